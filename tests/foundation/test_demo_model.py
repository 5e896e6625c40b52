"""The demo foundation model: shipped with the package, verified on load, measurably pretrained."""

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
from skfmm.foundation.pretrain import masked_patch_mse
import json
import shutil

import skfmm.foundation.registry as registry


@pytest.fixture(scope="session")
def demo():
    return load_foundation_model("demo")


@pytest.fixture(scope="session")
def held_out():
    # A seed the demo never saw (it is pretrained on random_state=0), its corpus settings.
    return registry.demo_held_out_corpus()


def test_registry_rejects_unknown_names():
    with pytest.raises(ValueError, match=r"unknown model 'brainlm-large'.*'demo'.*config\.json"):
        load_foundation_model("brainlm-large")
    with pytest.raises(TypeError, match="name_or_path"):
        load_foundation_model(3)


def test_demo_build_pins_threads_within_what_is_available(monkeypatch, tmp_path):
    # torch rounds differently with different thread counts (measured: weights differ by
    # ~1e-4 after 10 steps), so the build fixes the count, never above the caller's setting
    # or the CPUs available, records it, and restores the caller's.
    import skfmm.datasets
    import skfmm.foundation.pretrain
    from skfmm.foundation import BrainLMConfig
    from skfmm.foundation.registry import DEMO_BUILD_THREADS, build_demo_model

    seen = {}

    def fake_pretrain(timeseries, coords, config, **kw):
        seen["threads"] = torch.get_num_threads()
        seen["kw"] = kw
        model = BrainLM(BrainLMConfig(hidden_size=8, num_hidden_layers=1, intermediate_size=8,
                                      decoder_hidden_size=8, decoder_num_hidden_layers=1,
                                      decoder_intermediate_size=8, num_attention_heads=2,
                                      decoder_num_attention_heads=2), random_state=0)
        model.pretraining_history_ = [{"epoch": 1, "loss": 1.0, "lr": 0.0, "seconds": 0.0}]
        return model

    monkeypatch.setattr(skfmm.foundation.pretrain, "pretrain_brainlm", fake_pretrain)
    monkeypatch.setattr(registry, "demo_held_out_mse", lambda model: {"model": 0.5, "zeros": 1.0})
    monkeypatch.setattr(skfmm.datasets, "make_pretraining_corpus",
                        lambda **kw: make_pretraining_corpus(2, n_regions=16, n_timepoints=20))
    before = torch.get_num_threads()
    try:
        for caller, cpus, expected in ((8, 8, DEMO_BUILD_THREADS), (1, 8, 1), (8, 1, 1)):
            monkeypatch.setattr(registry, "available_cpus", lambda: cpus)
            torch.set_num_threads(caller)
            out = tmp_path / f"demo-{caller}-{cpus}"
            build_demo_model(out, verbose=0)
            assert seen["threads"] == min(expected, DEMO_BUILD_THREADS)
            assert torch.get_num_threads() == caller
            record = json.loads((out / "build.json").read_text())
            assert record["threads"] == seen["threads"]
            assert record["sha256"] == registry.file_sha256(out / "model.safetensors")
            assert record["config_sha256"] == registry.config_sha256(out / "config.json")
            assert record["recipe"] == registry.DEMO_RECIPE and record["loss"] == [1.0]
            assert record["held_out_masked_mse"] == {"model": 0.5, "zeros": 1.0}
    finally:
        torch.set_num_threads(before)
    assert seen["kw"]["region_block"] == 20 and seen["kw"]["random_state"] == 0
    assert (out / "pretraining_history.json").is_file()
    assert BrainLM.from_pretrained(out).config.hidden_size == 8


def test_shipped_demo_matches_its_recipe_loads_strictly_and_builds_nothing(monkeypatch, demo):
    record = json.loads((registry.DEMO_DIR / "build.json").read_text())
    assert record["config"] == registry.DEMO_CONFIG and record["recipe"] == registry.DEMO_RECIPE
    assert record["model"] == registry._demo_id() == demo.config.extra["skfmm_model"]
    assert record["sha256"] == registry.file_sha256(registry.DEMO_DIR / "model.safetensors")
    assert record["config_sha256"] == registry.config_sha256(registry.DEMO_DIR / "config.json")
    assert len(record["loss"]) == registry.DEMO_RECIPE["train"]["n_epochs"]
    for key, value in registry.DEMO_CONFIG.items():
        assert getattr(demo.config, key) == value, key
    strict = BrainLM.from_pretrained(registry.DEMO_DIR)  # raises on missing/unexpected keys
    assert strict.fingerprint() == demo.fingerprint()
    assert (registry.DEMO_DIR / "model.safetensors").stat().st_size < 5_000_000

    def no_build(*args, **kwargs):
        raise AssertionError("the demo must load without pretraining")

    monkeypatch.setattr(registry, "build_demo_model", no_build)
    import skfmm.foundation.pretrain

    monkeypatch.setattr(skfmm.foundation.pretrain, "pretrain_brainlm", no_build)
    assert load_foundation_model("demo").fingerprint() == demo.fingerprint()


def test_missing_or_corrupted_demo_files_are_refused_with_how_to_rebuild(tmp_path, monkeypatch):
    shipped = registry.DEMO_DIR
    copy = tmp_path / "demo"
    shutil.copytree(shipped, copy)
    monkeypatch.setattr(registry, "DEMO_DIR", copy)
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # truncated
    with pytest.raises(ValueError, match=r"model.safetensors is corrupted \(sha256 .*expected"
                                         r".*skfmm pretrain --demo --rebuild"):
        load_foundation_model("demo")
    weights.unlink()
    with pytest.raises(FileNotFoundError, match=r"\['model.safetensors'\] are missing.*rebuild"):
        load_foundation_model("demo")
    shutil.copy(shipped / "model.safetensors", weights)
    (copy / "build.json").write_text("{not json")
    with pytest.raises(ValueError, match="build.json is unreadable.*--rebuild"):
        load_foundation_model("demo")
    shutil.copy(shipped / "build.json", copy / "build.json")
    assert load_foundation_model("demo").config.hidden_size == registry.DEMO_CONFIG["hidden_size"]


def test_demo_reconstructs_masked_patches(demo, held_out):
    corpus, ts = held_out
    rand = BrainLM(demo.config, random_state=1).eval()
    demo_scores = masked_patch_mse(demo, ts, corpus.coords, random_state=5)
    demo_mse, zeros_mse = demo_scores["model"], demo_scores["zeros"]
    rand_mse = masked_patch_mse(rand, ts, corpus.coords, random_state=5)["model"]
    print(f"held-out masked MSE: demo {demo_mse:.3f}, random {rand_mse:.3f}, zeros {zeros_mse:.3f}")
    # Measured: demo 0.807, random 1.502, zeros 1.002. Most of this corpus's signal is
    # parcel-local (local weight 0.5-0.9), which no visible neighbour predicts: the bar is
    # lower than the 0.8 x zeros the previous demo (0.595, on a network-dominated corpus) met.
    assert demo_mse < 0.6 * rand_mse
    assert demo_mse < 0.85 * zeros_mse
    # The figure the build recorded (and the docs quote) is what the shipped file gives.
    recorded = json.loads((registry.DEMO_DIR / "build.json").read_text())["held_out_masked_mse"]
    assert demo_mse == pytest.approx(recorded["model"], abs=2e-4)
    assert zeros_mse == pytest.approx(recorded["zeros"], abs=2e-4)


@pytest.mark.slow
@pytest.mark.timeout(2400)  # a full pretraining run: minutes on 2 idle cores, more when busy
def test_rebuilding_the_demo_reproduces_the_shipped_model(tmp_path):
    """The committed recipe makes a model as good as the shipped one (same recorded MSE)."""
    shipped = json.loads((registry.DEMO_DIR / "build.json").read_text())
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(shipped["threads"], registry.available_cpus())))
    try:
        registry.build_demo_model(tmp_path / "demo", verbose=0)
    finally:
        torch.set_num_threads(before)
    record = json.loads((tmp_path / "demo" / "build.json").read_text())
    print(f"rebuilt: {record['seconds']} s, {record['threads']} thread(s), held-out MSE "
          f"{record['held_out_masked_mse']}, same sha256: {record['sha256'] == shipped['sha256']}")
    assert record["model"] == shipped["model"] and record["epochs"] == shipped["epochs"]
    # The weights themselves are identical only for the same thread count, torch build and
    # CPU kernels; what must hold everywhere is the quality the docs quote.
    assert record["held_out_masked_mse"]["model"] == pytest.approx(
        shipped["held_out_masked_mse"]["model"], abs=0.02)


def _probe_r2(model, ts, coords, y, pooling):
    emb = embed(model, ts, coords, pooling=pooling)
    probe = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
    cv = KFold(5, shuffle=True, random_state=0)
    return cross_val_score(probe, emb, y, cv=cv, scoring="r2").mean()


@pytest.fixture(scope="session")
def probe_set():
    # 300 held-out windows: with 60 the ridge probe's R2 is too noisy to compare models.
    return registry.demo_held_out_corpus(300)


def _probe_scores(demo, probe_set, pooling, names):
    corpus, ts = probe_set
    # Same architecture (the demo's CLS stays out of the convolution), random weights.
    rand = BrainLM(demo.config, random_state=1, with_decoder=False)
    scores = {}
    for name in names:
        y = corpus.params[name].to_numpy()
        y = np.log(y) if name == "timescale" else y
        scores[name] = {label: _probe_r2(m, ts, corpus.coords, y, pooling)
                        for label, m in (("demo", demo), ("random", rand))}
    print(f"ridge probe R2 ({pooling}): {scores}")
    return scores


def test_demo_token_embeddings_carry_corpus_parameters(demo, probe_set):
    scores = _probe_scores(demo, probe_set, "mean", ("noise_level", "timescale"))
    # Measured: noise_level demo 0.32, random -0.04; timescale demo 0.73, random 0.26.
    assert scores["noise_level"]["demo"] > scores["noise_level"]["random"] + 0.25
    assert scores["timescale"]["demo"] >= 0.6
    assert scores["timescale"]["demo"] > scores["timescale"]["random"] + 0.3


def test_demo_cls_embeddings_carry_corpus_parameters(demo, probe_set):
    assert demo.config.cls_in_conv is False
    scores = _probe_scores(demo, probe_set, "cls", ("noise_level", "hrf_peak", "timescale"))
    # Measured: noise_level demo 0.38, random -0.04; hrf_peak demo 0.31, random 0.01;
    # log timescale demo 0.72, random 0.18 (the local timescale: the target >= 0.5).
    assert scores["noise_level"]["demo"] > scores["noise_level"]["random"] + 0.25
    assert scores["hrf_peak"]["demo"] > scores["hrf_peak"]["random"] + 0.1
    assert scores["timescale"]["demo"] >= 0.6
    assert scores["timescale"]["demo"] > scores["timescale"]["random"] + 0.3


@pytest.mark.slow
def test_a_wheel_carries_the_demo_weights(tmp_path):
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    root = Path(registry.__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", str(root), "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path)], check=True)
    (wheel,) = tmp_path.glob("skfmm-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("config.json", "model.safetensors", "build.json"):
        assert f"skfmm/foundation/demo/{name}" in names
