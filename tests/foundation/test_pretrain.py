"""Tests of pretrain_brainlm: objective, determinism, schedule, scaling, bad input."""

import numpy as np
import pytest
import torch

from skfmm.foundation import BrainLM, BrainLMConfig, pretrain_brainlm
from skfmm.foundation.scaling import scale_window

CFG = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
           decoder_hidden_size=16, decoder_num_hidden_layers=1, decoder_num_attention_heads=2,
           decoder_intermediate_size=32, timepoint_patching_size=10, conv_kernel_size=5)


def smooth_series(n, T=80, R=6, seed=0):
    """Slow oscillations plus a little noise: masked patches are predictable from neighbours."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None]
    return [100 + 5 * np.sin(2 * np.pi * t / rng.uniform(30, 60, R) + rng.uniform(0, 6.3, R))
            + 0.2 * rng.standard_normal((T, R)) for _ in range(n)]


COORDS = np.random.default_rng(1).normal(size=(6, 3)) * 40


def test_deterministic_and_history():
    ts = smooth_series(6)
    kw = dict(n_epochs=3, batch_size=4, window=40, verbose=0, random_state=3)
    a = pretrain_brainlm(ts, COORDS, BrainLMConfig(**CFG), **kw)
    b = pretrain_brainlm(ts, COORDS, BrainLMConfig(**CFG), **kw)
    c = pretrain_brainlm(ts, COORDS, BrainLMConfig(**CFG), **dict(kw, random_state=4))
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    assert [h["loss"] for h in a.pretraining_history_] == [h["loss"] for h in b.pretraining_history_]
    assert [h["epoch"] for h in a.pretraining_history_] == [1, 2, 3]
    assert a.pretraining_history_[-1]["lr"] == pytest.approx(0.0, abs=1e-12)  # cosine end
    assert not a.training
    assert a.config.extra["skfmm_input_scaling"] == "zscore"
    assert a.config.num_timepoints_per_voxel == 40 and a.config.num_brain_voxels == 6


def test_training_reduces_the_masked_reconstruction_objective():
    ts = smooth_series(4, T=40, seed=2)  # window == T: the crops are fixed
    model = pretrain_brainlm(ts, COORDS, BrainLMConfig(**CFG), n_epochs=60, batch_size=4,
                             lr=3e-3, window=40, verbose=0, random_state=0)
    losses = [h["loss"] for h in model.pretraining_history_]
    assert np.mean(losses[-10:]) < 0.85 * np.mean(losses[:5])
    x = np.stack([scale_window(s, "zscore").T for s in ts]).astype(np.float32)
    sig = torch.from_numpy(x)
    xyz = torch.tensor(COORDS, dtype=torch.float32).expand(4, -1, -1)
    noise = torch.rand(4, 24, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        trained = model(sig, xyz, noise=noise).loss.item()
        untrained = BrainLM(model.config, random_state=0).eval()(sig, xyz, noise=noise).loss.item()
    assert trained < 0.85 * untrained


def test_scalings():
    w = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    z = scale_window(w, "zscore")
    assert np.allclose(z[:, 0], [-1.2247449, 0.0, 1.2247449]) and np.all(z[:, 1] == 0)
    assert np.allclose(scale_window(w, "brainlm")[:, 0], np.array([-2, 0, 2]) / 41.44047)
    assert scale_window(w, "none") is w


def test_accepts_3d_array_and_records_scaling():
    ts = np.stack(smooth_series(4, T=40))
    model = pretrain_brainlm(ts, COORDS, CFG, n_epochs=1, window=20, standardize="brainlm",
                             verbose=0)
    assert model.config.input_scaling == "brainlm"


def test_region_block_trains_on_contiguous_parcel_blocks(monkeypatch):
    seen = []
    forward = BrainLM.forward

    def spy(self, signal_vectors, xyz_vectors, **kw):
        seen.append((signal_vectors.detach().clone(), xyz_vectors[0].detach().clone()))
        return forward(self, signal_vectors, xyz_vectors, **kw)

    monkeypatch.setattr(BrainLM, "forward", spy)
    ts = smooth_series(4, T=40, seed=5)  # window == T: the crop is the whole run
    model = pretrain_brainlm(ts, COORDS, BrainLMConfig(**CFG), n_epochs=4, batch_size=4,
                             window=40, region_block=3, verbose=0, random_state=0)
    assert len(seen) == 4
    full = np.stack([scale_window(s, "zscore").T for s in ts]).astype(np.float32)
    starts = set()
    for signal, xyz in seen:
        assert signal.shape[1:] == (3, 40)
        # The block is a contiguous run of parcels, with its own coordinates, and the same
        # for every subject of the batch; the parcels are scaled over the whole crop.
        r0 = int(np.argmin([np.abs(COORDS[r:r + 3] - xyz.numpy()).max() for r in range(4)]))
        np.testing.assert_allclose(xyz.numpy(), COORDS[r0:r0 + 3], atol=1e-5)
        rows = {tuple(np.round(x, 4)) for x in full[:, r0:r0 + 3, :5].reshape(4, -1)}
        assert {tuple(np.round(x, 4)) for x in signal.numpy()[:, :, :5].reshape(len(signal), -1)} <= rows
        starts.add(r0)
    assert len(starts) > 1  # blocks are drawn at random
    # The model is still a model of all parcels.
    out = model.encode(torch.from_numpy(full), torch.tensor(COORDS, dtype=torch.float32).expand(4, -1, -1))
    assert out.shape == (4, 1 + 6 * 4, 16)


@pytest.mark.parametrize("kwargs, match", [
    (dict(window=45), "multiple of the patch size"),
    (dict(window=100), "fewer timepoints"),
    (dict(standardize="robust"), "standardize"),
    (dict(n_epochs=0), "n_epochs"),
    (dict(lr=-1.0), "lr"),
    (dict(device="gpu0"), "device"),
    (dict(region_block=0), "region_block"),
    (dict(region_block=7), "region_block.*n_regions=6"),
    (dict(region_block=2.5), "region_block"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pretrain_brainlm(smooth_series(2), COORDS, CFG, verbose=0, **dict(dict(window=40), **kwargs))


def test_bad_data():
    ts = smooth_series(2)
    with pytest.raises(ValueError, match="coords"):
        pretrain_brainlm(ts, COORDS[:5], CFG, window=40, verbose=0)
    ts[1][3, 2] = np.nan
    with pytest.raises(ValueError, match=r"timeseries\[1\].*NaN"):
        pretrain_brainlm(ts, COORDS, CFG, window=40, verbose=0)
    with pytest.raises(ValueError, match="same parcellation"):
        pretrain_brainlm([np.zeros((40, 6)), np.zeros((40, 5))], COORDS, CFG, window=40, verbose=0)
    with pytest.raises(TypeError, match="timeseries"):
        pretrain_brainlm("data.npy", COORDS, CFG, verbose=0)


def test_masked_patch_mse_scores_fixed_masks_against_zeros():
    from skfmm.foundation import masked_patch_mse

    ts = smooth_series(5, T=40, seed=7)
    model = BrainLM(BrainLMConfig(**CFG), random_state=0).train()
    a = masked_patch_mse(model, ts, COORDS, standardize="zscore", random_state=3, batch_size=2)
    assert model.training  # scored in eval mode, the caller's mode restored
    model.eval()
    b = masked_patch_mse(model, ts, COORDS, standardize="zscore", random_state=3, batch_size=5)
    c = masked_patch_mse(model, ts, COORDS, standardize="zscore", random_state=4)
    assert a == pytest.approx(b, rel=1e-6)  # batching does not change the score
    assert a["model"] != pytest.approx(c["model"], rel=1e-6)  # the masks follow random_state
    # Recompute from the model's own forward on one batch with the same masks.
    x = torch.from_numpy(np.stack([scale_window(s, "zscore").T for s in ts]).astype(np.float32))
    noise = torch.rand(5, 24, generator=torch.Generator().manual_seed(3))
    xyz = torch.tensor(COORDS, dtype=torch.float32).expand(5, -1, -1)
    with torch.no_grad():
        out = model(x, xyz, noise=noise)
    mask = out.mask.unsqueeze(-1).expand_as(out.logits).bool()
    target = x.reshape(out.logits.shape)
    assert a["model"] == pytest.approx(out.loss.item(), rel=1e-5)
    assert a["zeros"] == pytest.approx(float((target[mask] ** 2).mean()), rel=1e-5)


def test_masked_patch_mse_bad_input():
    from skfmm.foundation import masked_patch_mse

    model = BrainLM(BrainLMConfig(**CFG), random_state=0)
    ts = smooth_series(2, T=40)
    with pytest.raises(TypeError, match="'model' must be a BrainLM"):
        masked_patch_mse("model", ts, COORDS)
    with pytest.raises(ValueError, match="same length.*30, 40"):
        masked_patch_mse(model, [ts[0][:30], ts[1]], COORDS)
    with pytest.raises(ValueError, match="'coords'"):
        masked_patch_mse(model, ts, COORDS[:4])
    with pytest.raises(ValueError, match="'standardize'"):
        masked_patch_mse(model, ts, COORDS, standardize="robust")
    with pytest.raises(ValueError, match="'batch_size'"):
        masked_patch_mse(model, ts, COORDS, batch_size=0)
    with pytest.raises(RuntimeError, match="decoder"):
        masked_patch_mse(BrainLM(BrainLMConfig(**CFG), with_decoder=False), ts, COORDS)


def test_norm_patch_loss_targets_standardised_patches(tmp_path):
    from skfmm.foundation import masked_patch_mse
    from skfmm.foundation.pretrain import normalize_patches

    ts = smooth_series(4, T=40, seed=2)
    kw = dict(n_epochs=40, batch_size=4, lr=3e-3, window=40, verbose=0, random_state=0)
    model = pretrain_brainlm(ts, COORDS, BrainLMConfig(**CFG), norm_patch_loss=True, **kw)
    plain = pretrain_brainlm(ts, COORDS, BrainLMConfig(**CFG), **kw)
    assert model.config.extra["skfmm_norm_patch_loss"] is True
    assert "skfmm_norm_patch_loss" not in plain.config.extra  # default off, config unchanged
    assert model.fingerprint() != plain.fingerprint()
    losses = [h["loss"] for h in model.pretraining_history_]
    assert np.mean(losses[-5:]) < 0.85 * np.mean(losses[:5])
    # The objective: MSE of the masked patches, each standardised by its own mean and SD.
    x = torch.from_numpy(np.stack([scale_window(s, "zscore").T for s in ts]).astype(np.float32))
    noise = torch.rand(4, 24, generator=torch.Generator().manual_seed(3))
    xyz = torch.tensor(COORDS, dtype=torch.float32).expand(4, -1, -1)
    with torch.no_grad():
        out = model(x, xyz, noise=noise)
    target = normalize_patches(x.reshape(out.logits.shape))
    assert torch.allclose(target.mean(-1), torch.zeros(()), atol=1e-5)
    assert torch.allclose(target.std(-1, unbiased=False), torch.ones(()), atol=1e-3)
    mask = out.mask.unsqueeze(-1).expand_as(out.logits).bool()
    expected = float(((out.logits - target)[mask] ** 2).mean())
    # masked_patch_mse follows the recorded objective, also after a save / load round trip.
    model.save_pretrained(tmp_path)
    loaded = BrainLM.from_pretrained(tmp_path)
    scores = masked_patch_mse(loaded, ts, COORDS, standardize="zscore", random_state=3)
    assert scores["model"] == pytest.approx(expected, rel=1e-5)
    assert scores["zeros"] == pytest.approx(1.0, abs=1e-3)
    untrained = BrainLM(model.config, random_state=0)
    assert scores["model"] < 0.85 * masked_patch_mse(untrained, ts, COORDS, random_state=3)["model"]
