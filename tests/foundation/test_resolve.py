"""resolve_foundation_model: the one type check, a private copy in eval mode, the identity."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from skfmm import BrainLMEmbedder, TimeSeriesExtractor
from skfmm.foundation import (BrainLM, BrainLMConfig, ResolvedFoundationModel,
                              load_foundation_model, resolve_foundation_model)
from skfmm.foundation.registry import DEMO_DIR
from skfmm.foundation.resolve import check_foundation_model

CFG = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=32, timepoint_patching_size=10, conv_kernel_size=5)
MESSAGE = ("'{}' must be {}'demo', a path to BrainLM weights, a Hugging Face id such as "
           "'vandijklab/brainlm/old_13M' or a BrainLM instance; got {}.")


@pytest.mark.parametrize("bad", [3, 2.5, b"demo", ["demo"]])
def test_a_value_of_the_wrong_type_is_refused_naming_the_argument(bad):
    name = type(bad).__name__
    with pytest.raises(TypeError) as info:
        resolve_foundation_model(bad)
    assert str(info.value) == MESSAGE.format("foundation_model", "", name)
    with pytest.raises(TypeError) as info:
        resolve_foundation_model(bad, argument="model", allow_none=True)
    assert str(info.value) == MESSAGE.format("model", "None, ", name)
    with pytest.raises(TypeError) as info:
        check_foundation_model(bad, allow_none=True)
    assert str(info.value) == MESSAGE.format("foundation_model", "None, ", name)


def test_none_only_when_allowed():
    assert resolve_foundation_model(None, allow_none=True) is None
    with pytest.raises(TypeError, match="got NoneType"):
        resolve_foundation_model(None)


def test_every_caller_refuses_with_the_same_message():
    ts = np.zeros((2, 20, 3))
    with pytest.raises(TypeError) as embedder:
        BrainLMEmbedder(3.5, coords=np.zeros((3, 3)), verbose=0).fit(ts)
    with pytest.raises(TypeError) as extractor:
        TimeSeriesExtractor(window=20, foundation_model=3.5).fit([np.zeros((30, 3))])
    assert str(embedder.value) == MESSAGE.format("foundation_model", "", "float")
    assert str(extractor.value) == MESSAGE.format("foundation_model", "None, ", "float")


def test_an_instance_is_copied_in_eval_mode_and_the_callers_model_is_untouched():
    model = BrainLM(CFG, with_decoder=False, random_state=0).train()
    resolved = resolve_foundation_model(model)
    assert isinstance(resolved, ResolvedFoundationModel)
    assert resolved.model is not model and not resolved.model.training
    assert model.training  # the caller's flag is kept
    assert resolved.fingerprint == model.fingerprint()
    first = next(resolved.model.parameters())
    first.data.add_(1.0)  # editing the copy leaves the caller's weights alone
    assert not np.allclose(first.detach().numpy(), next(model.parameters()).detach().numpy())
    assert resolved.identity == {
        "name": "BrainLM instance",
        "config": {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                   "timepoint_patching_size": 10,
                   "num_timepoints_per_voxel": CFG.num_timepoints_per_voxel},
        "fingerprint": model.fingerprint(),
    }
    same = resolve_foundation_model(model, copy=False)
    assert same.model is model and model.training


def test_a_folder_is_loaded_and_identified_by_its_files(tmp_path):
    model = BrainLM(CFG, with_decoder=False, random_state=1)
    model.save_pretrained(tmp_path)
    resolved = resolve_foundation_model(str(tmp_path))
    assert not resolved.model.training
    assert resolved.fingerprint == model.fingerprint()
    assert resolved.directory == Path(tmp_path)
    weights = resolved.identity["weights"]
    digest = hashlib.sha256((tmp_path / weights).read_bytes()).hexdigest()
    assert resolved.identity["name"] == str(tmp_path)
    assert resolved.identity["directory"] == str(Path(tmp_path).resolve())
    assert resolved.identity["sha256"] == digest
    assert resolved.identity["config"]["hidden_size"] == 16
    assert resolved.identity["fingerprint"] == model.fingerprint()
    # load_foundation_model gives the same weights
    assert load_foundation_model(tmp_path).fingerprint() == resolved.fingerprint
    # each resolution is a fresh copy
    assert resolve_foundation_model(tmp_path).model is not resolved.model


def test_demo_and_unknown_names():
    demo = resolve_foundation_model("demo")
    assert demo.directory == DEMO_DIR and demo.identity["name"] == "demo"
    assert demo.fingerprint == load_foundation_model("demo").fingerprint()
    with pytest.raises(ValueError, match="load_foundation_model: unknown model 'no-such-model'"):
        resolve_foundation_model("no-such-model")
