"""pooling="parcel": per-parcel mean tokens in the embedder, the factorized head, the classifier."""

import numpy as np
import pytest
import torch

from skfmm import BrainLMEmbedder, FMMTCClassifier, MultimodalData
from skfmm.foundation.embedder import embed
from skfmm.foundation.pooling import pool_tokens
from skfmm.nn import FMMTCModule
from skfmm.nn.fmmtc import ParcelProjection


def _data(n=6, window=40, n_regions=5, seed=0):
    rng = np.random.default_rng(seed)
    return MultimodalData(ts=rng.standard_normal((n, window, n_regions)).astype("float32"),
                          xyz=np.broadcast_to(rng.uniform(-50, 50, (n_regions, 3)),
                                              (n, n_regions, 3)).astype("float32"),
                          fc=rng.standard_normal((n, n_regions, n_regions)).astype("float32"))


def test_parcel_pooling_is_the_mean_of_each_parcels_tokens(tiny_brainlm):
    X = _data()
    n, window, R = X["ts"].shape
    patches = window // tiny_brainlm.config.timepoint_patching_size
    hidden = tiny_brainlm.eval().encode(torch.from_numpy(X["ts"]).transpose(1, 2),
                                        torch.from_numpy(X["xyz"]))
    by_hand = torch.stack([hidden[:, 1 + r * patches:1 + (r + 1) * patches].mean(1)
                           for r in range(R)], dim=1).flatten(1)
    out = embed(tiny_brainlm, X["ts"], X["xyz"], pooling="parcel")
    assert out.shape == (n, R * 16)
    np.testing.assert_allclose(out, by_hand.detach().numpy(), atol=1e-5)
    # The mean of the parcel vectors is the mean pooling (every parcel has as many patches).
    mean = embed(tiny_brainlm, X["ts"], X["xyz"], pooling="mean")
    np.testing.assert_allclose(out.reshape(n, R, 16).mean(1), mean, atol=1e-5)
    with pytest.raises(ValueError, match="'n_regions'"):
        pool_tokens(hidden, "parcel", n_regions=3)


def test_embedder_parcel_features_and_differentiable_path(tiny_brainlm):
    X = _data()
    emb = BrainLMEmbedder(tiny_brainlm, pooling="parcel", standardize=True, verbose=0).fit(X)
    assert emb.n_features_out_ == 5 * 16
    out = emb.transform(X)
    assert out.shape == (6, 80)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-4)
    tensor = emb.encode_tensor(torch.from_numpy(X["ts"]), torch.from_numpy(X["xyz"]))
    np.testing.assert_allclose(tensor.detach().numpy(), out, atol=1e-4)


def test_factorized_head_does_not_grow_with_parcels_times_hidden():
    def n_params(n_regions, hidden, rank=1):
        net = FMMTCModule(n_regions=n_regions, modalities=("ts",), pooling="parcel",
                          ts_embedding_dim=n_regions * hidden, parcel_rank=rank)
        return sum(p.numel() for p in net.parameters())

    # hidden * rank + rank (projection) + n_regions * rank * 2 + 2 (head)
    assert n_params(100, 64) == 64 + 1 + 200 + 2
    assert n_params(400, 64) == 64 + 1 + 800 + 2
    assert n_params(100, 64, rank=3) == 192 + 3 + 600 + 2
    # A plain linear head on the flattened parcel vectors would hold 100 * 64 * 2 weights.
    assert n_params(100, 64) < 100 * 64


def test_factorized_head_is_one_projection_then_one_weight_per_parcel():
    net = FMMTCModule(n_regions=3, modalities=("ts",), pooling="parcel", ts_embedding_dim=3 * 4)
    emb = torch.randn(5, 12)
    w, b = net.parcel_projection.projection.weight[0], net.parcel_projection.projection.bias
    scores = torch.stack([emb[:, 4 * r:4 * (r + 1)] @ w + b for r in range(3)], dim=1)
    expected = scores @ net.head.weight.T + net.head.bias
    torch.testing.assert_close(net(ts_emb=emb), expected)
    with pytest.raises(ValueError, match="n_regions"):
        FMMTCModule(n_regions=3, modalities=("ts",), pooling="parcel", ts_embedding_dim=10)
    with pytest.raises(ValueError, match="ParcelProjection expects"):
        ParcelProjection(3, 4)(torch.zeros(2, 13))


@pytest.mark.parametrize("modalities", [("ts",), ("ts", "fc")])
def test_classifier_with_parcel_pooling_fits_and_reads_one_block_per_parcel(tiny_brainlm,
                                                                            modalities):
    X = _data(n=12)
    y = np.array([0, 1] * 6)
    clf = FMMTCClassifier(foundation_model=tiny_brainlm, modalities=modalities,
                          pooling="parcel", fc_encoder="mlp", module__fc_width=8,
                          module__fc_features=8, max_epochs=2, train_split=None,
                          random_state=0, verbose=0).fit(X, y)
    assert clf.module_sizes_["ts_embedding_dim"] == 5 * 16
    assert clf.module_.head.in_features == 5 + (8 if "fc" in modalities else 0)
    proba = clf.predict_proba(X)
    assert proba.shape == (12, 2) and np.all(np.isfinite(proba))
    # The default stays the paper's CLS.
    assert FMMTCClassifier().pooling == "cls"


def test_parcel_pooling_refuses_a_bad_pooling_name(tiny_brainlm):
    with pytest.raises(ValueError, match="'pooling' must be one of .*'parcel'"):
        BrainLMEmbedder(tiny_brainlm, pooling="region", verbose=0).fit(_data())
