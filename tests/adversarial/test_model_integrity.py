"""Integrity covers what defines the model; config fields checked on load (issue 21)."""

import json
import shutil

import pytest

from skfmm.foundation import BrainLM, BrainLMConfig, load_foundation_model, registry

from .adversarial_helpers import tiny_config


@pytest.mark.parametrize("change", [{"cls_in_conv": True}, {"skfmm_t_r": 1.0},
                                    {"hidden_dropout_prob": 0.5}, {"new_field": 1}])
def test_demo_copy_with_a_changed_config_field_is_refused(tmp_path, monkeypatch, change):
    copy = tmp_path / "demo"
    shutil.copytree(registry.DEMO_DIR, copy)
    monkeypatch.setattr(registry, "DEMO_DIR", copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, **change}, indent=4))
    with pytest.raises(ValueError, match=r"config.json is not the demo's.*--rebuild"):
        load_foundation_model("demo")


def test_demo_config_reindented_is_still_the_demo(tmp_path, monkeypatch):
    copy = tmp_path / "demo"
    shutil.copytree(registry.DEMO_DIR, copy)
    monkeypatch.setattr(registry, "DEMO_DIR", copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps(config, indent=7, sort_keys=False))
    assert load_foundation_model("demo").config.hidden_size == registry.DEMO_CONFIG["hidden_size"]


@pytest.mark.parametrize("field,value,message", [
    ("skfmm_t_r", -2.5, "'skfmm_t_r'.*finite positive"),
    ("skfmm_t_r", "2.5", "'skfmm_t_r'.*finite positive"),
    ("skfmm_input_scaling", "minmax", "'skfmm_input_scaling' must be one of"),
    ("skfmm_model", 3, "'skfmm_model' must be a string"),
    ("hidden_size", 4_000_000, "'hidden_size' must be at most"),
    ("intermediate_size", 65_536, r"about 3.22e\+09 parameters"),
])
def test_config_fields_are_checked_on_load_before_allocation(tmp_path, field, value, message):
    path = tmp_path / "m"
    BrainLM(tiny_config(), with_decoder=False, random_state=0).save_pretrained(
        path, safe_serialization=True)
    config = json.loads((path / "config.json").read_text())
    config[field] = value
    if field == "intermediate_size":
        config.update(hidden_size=16_384)  # each size allowed, together 12.9 GB
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=message):
        load_foundation_model(path)


def test_released_sizes_are_within_the_bounds():
    released = BrainLMConfig(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32,
                             num_attention_heads=16, decoder_hidden_size=512,
                             decoder_num_attention_heads=16, decoder_intermediate_size=2048,
                             decoder_num_hidden_layers=8, num_brain_voxels=424)
    # 32 x (4 x 1280^2 + 2 x 1280 x 5120) + 8 x (4 x 512^2 + 2 x 512 x 2048)
    assert released.estimated_parameters() == 654_311_424
