"""Adversarial foundation-model checkpoints and shapes: refused at load, naming file and field."""

import json

import numpy as np
import pytest
import torch

from skfmm import BrainLMEmbedder, FMMTCClassifier, MultimodalData
from skfmm.foundation import BrainLM, load_foundation_model

from .adversarial_helpers import tiny_config


def _edit_config(directory, **changes):
    path = directory / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))
    return path


def test_nan_weight_is_refused_at_load_naming_the_entry(tmp_path):
    model = BrainLM(tiny_config(), with_decoder=False, random_state=0)
    with torch.no_grad():
        next(iter(model.parameters()))[0] = float("nan")
    model.save_pretrained(tmp_path / "m", safe_serialization=True)
    with pytest.raises(ValueError, match="NaN or infinite") as info:
        BrainLM.from_pretrained(tmp_path / "m")
    assert str(tmp_path / "m") in str(info.value) and "vit." in str(info.value)


@pytest.mark.parametrize("field, value", [
    ("layer_norm_eps", float("nan")), ("layer_norm_eps", -1e-5), ("layer_norm_eps", 0),
    ("hidden_dropout_prob", float("nan")), ("attention_probs_dropout_prob", 1.5),
    ("initializer_range", float("inf")), ("mask_ratio", float("nan")),
    ("conv_kernel_size", 65.7), ("conv_kernel_size", "65"), ("hidden_size", 8.0),
    ("num_brain_voxels", "424"), ("qkv_bias", "yes"),
])
def test_bad_config_value_is_refused_naming_field_and_file(weights_dir, field, value):
    path = _edit_config(weights_dir, **{field: value})
    with pytest.raises(ValueError, match=f"'{field}'") as info:
        load_foundation_model(weights_dir)
    assert str(path) in str(info.value)


def test_corrupt_safetensors_is_refused_naming_the_file(weights_dir):
    path = weights_dir / "model.safetensors"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="not a readable safetensors file") as info:
        load_foundation_model(weights_dir)
    assert str(path) in str(info.value)


def test_corrupt_safetensors_falls_back_to_a_valid_bin_beside_it(weights_dir):
    reference = BrainLM.from_pretrained(weights_dir)
    reference.save_pretrained(weights_dir)  # pytorch_model.bin, same weights
    path = weights_dir / "model.safetensors"
    path.write_bytes(b"\x00" * 16)
    with pytest.warns(UserWarning, match="pytorch_model.bin"):
        loaded = BrainLM.from_pretrained(weights_dir)
    assert loaded.fingerprint() == reference.fingerprint()


def _fitted(toy_ts, weights_dir):
    ts, xyz, y = toy_ts
    clf = FMMTCClassifier(foundation_model=str(weights_dir), modalities=("ts",), max_epochs=1,
                          train_split=None, verbose=0, random_state=0)
    return clf.fit(MultimodalData(ts=ts, xyz=xyz), y)


def test_predict_proba_never_returns_nan(toy_ts, weights_dir):
    ts, xyz, _ = toy_ts
    clf = _fitted(toy_ts, weights_dir)
    with torch.no_grad():
        for p in clf.module_.parameters():
            p.fill_(float("nan"))
    with pytest.raises(ValueError, match="NaN or infinite probabilities for 12 of 12"):
        clf.predict_proba(MultimodalData(ts=ts, xyz=xyz))
    with pytest.raises(ValueError, match="NaN or infinite probabilities"):
        clf.predict(MultimodalData(ts=ts, xyz=xyz))


def test_predict_with_another_window_is_refused_naming_both_shapes(toy_ts, weights_dir):
    ts, xyz, _ = toy_ts
    clf = _fitted(toy_ts, weights_dir)
    longer = np.concatenate([ts, ts], axis=1)  # 40 timepoints, a multiple of the patch
    with pytest.raises(ValueError, match=r"\(n, 20, 4\).*got \(12, 40, 4\)"):
        clf.predict(MultimodalData(ts=longer, xyz=xyz))


@pytest.mark.parametrize("change", ["window", "regions"])
def test_embedder_transform_with_another_shape_is_refused_naming_both(toy_ts, weights_dir,
                                                                       change):
    ts, xyz, _ = toy_ts
    emb = BrainLMEmbedder(str(weights_dir), verbose=0).fit(MultimodalData(ts=ts, xyz=xyz))
    if change == "window":
        other, other_xyz = np.concatenate([ts, ts], axis=1), xyz
        shapes = r"\(n, 40, 4\).*fit saw \(n, 20, 4\)"
    else:
        other, other_xyz = ts[:, :, :3].copy(), xyz[:, :3].copy()
        shapes = r"\(n, 20, 3\).*fit saw \(n, 20, 4\)"
    with pytest.raises(ValueError, match=shapes):
        emb.transform(MultimodalData(ts=other, xyz=other_xyz))
