"""The demo foundation model: built once per session, cached, and measurably pretrained."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfmm.datasets import make_pretraining_corpus
from skfmm.foundation import BrainLM, load_foundation_model
from skfmm.foundation.embedder import embed
from skfmm.foundation.pretrain import scale_window
from skfmm.foundation.registry import demo_model_dir


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("skfmm_cache")
    load_foundation_model("demo", cache_dir=cache, verbose=0)  # the one build
    return cache


@pytest.fixture(scope="session")
def held_out():
    # A seed the demo never saw (it is pretrained on random_state=0).
    corpus = make_pretraining_corpus(60, n_regions=100, n_timepoints=200, random_state=123)
    ts = np.stack([scale_window(s, "zscore") for s in corpus.timeseries]).astype(np.float32)
    return corpus, ts


def test_registry_rejects_unknown_names():
    with pytest.raises(ValueError, match=r"unknown model 'brainlm-large'.*'demo'.*config\.json"):
        load_foundation_model("brainlm-large")
    with pytest.raises(TypeError, match="name_or_path"):
        load_foundation_model(3)


@pytest.mark.slow
def test_demo_is_cached_and_env_var_is_honoured(demo_cache, monkeypatch):
    folder = demo_model_dir(demo_cache)
    weights = folder / "pytorch_model.bin"
    stamp = weights.stat().st_mtime_ns
    monkeypatch.setenv("SKFMM_CACHE_DIR", str(demo_cache))
    a = load_foundation_model("demo")
    b = load_foundation_model("demo", cache_dir=demo_cache)
    assert weights.stat().st_mtime_ns == stamp  # not rebuilt
    assert a is not b and a.fingerprint() == b.fingerprint()
    assert a.config.hidden_size == 64 and a.config.input_scaling == "zscore"
    assert (folder / "pretraining_history.json").is_file()


def _masked_mse(model, corpus, ts):
    signal = torch.from_numpy(ts.transpose(0, 2, 1).copy())
    xyz = torch.tensor(corpus.coords, dtype=torch.float32).expand(len(ts), -1, -1)
    noise = torch.rand(len(ts), signal.shape[1] * 10, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        return model(signal, xyz, noise=noise).loss.item(), float((signal ** 2).mean())


@pytest.mark.slow
def test_demo_reconstructs_masked_patches(demo_cache, held_out):
    corpus, ts = held_out
    demo = load_foundation_model("demo", cache_dir=demo_cache)
    rand = BrainLM(demo.config, random_state=1).eval()
    demo_mse, zeros_mse = _masked_mse(demo, corpus, ts)
    rand_mse, _ = _masked_mse(rand, corpus, ts)
    print(f"held-out masked MSE: demo {demo_mse:.3f}, random {rand_mse:.3f}, zeros {zeros_mse:.3f}")
    # Measured: demo 0.595, random 1.501, zeros 1.000 (z-scored windows).
    assert demo_mse < 0.6 * rand_mse
    assert demo_mse < 0.8 * zeros_mse


def _probe_r2(model, ts, coords, y, pooling):
    emb = embed(model, ts, coords, pooling=pooling)
    probe = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
    cv = KFold(5, shuffle=True, random_state=0)
    return cross_val_score(probe, emb, y, cv=cv, scoring="r2").mean()


@pytest.fixture(scope="session")
def probe_set():
    # 300 held-out windows: with 60 the ridge probe's R2 is too noisy to compare models.
    corpus = make_pretraining_corpus(300, n_regions=100, n_timepoints=200, random_state=123)
    ts = np.stack([scale_window(s, "zscore") for s in corpus.timeseries]).astype(np.float32)
    return corpus, ts


@pytest.mark.slow
def test_demo_token_embeddings_carry_corpus_parameters(demo_cache, probe_set):
    corpus, ts = probe_set
    demo = load_foundation_model("demo", cache_dir=demo_cache)
    rand = BrainLM(demo.config, random_state=1, with_decoder=False)
    y = corpus.params["noise_level"].to_numpy()
    scores = {name: _probe_r2(m, ts, corpus.coords, y, "mean")
              for name, m in (("demo", demo), ("random", rand))}
    print(f"noise-level ridge probe R2 on mean-pooled tokens: {scores}")
    # Measured: demo 0.56, random -0.04.
    assert scores["demo"] > scores["random"] + 0.25


# Known gap, measured and explained in docs/foundation.md: the CLS output of a BrainLM is
# dominated by the depthwise convolution over its first ~33 tokens (the first three parcels
# in identity order; swapping those parcels moves the demo's CLS more than swapping all the
# others), and the masked-autoencoder loss never trains the CLS. A probe on it stays at
# R2 ~0 for every corpus parameter, for the demo as for a random model. strict=True: if a
# later recipe makes the CLS informative this fails as XPASS and the marker must go.
@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="the demo's CLS embedding is not trained by the MAE loss")
def test_demo_cls_embeddings_carry_corpus_parameters(demo_cache, probe_set):
    corpus, ts = probe_set
    demo = load_foundation_model("demo", cache_dir=demo_cache)
    rand = BrainLM(demo.config, random_state=1, with_decoder=False)
    best = []
    for name in ("noise_level", "hrf_peak", "network_weight"):
        y = corpus.params[name].to_numpy()
        best.append(_probe_r2(demo, ts, corpus.coords, y, "cls")
                    - _probe_r2(rand, ts, corpus.coords, y, "cls"))
    assert max(best) > 0.1
