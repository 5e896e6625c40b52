"""The public API carries type hints that resolve, and the package says so (PEP 561)."""

import inspect
import tomllib
import typing
from pathlib import Path

import pytest

import skfmm
import skfmm._typing
from skfmm.cli import main as cli_main
from skfmm import BrainLMEmbedder, ConnectivityExtractor, FMMTCClassifier, TimeSeriesExtractor
from skfmm.datasets import load_bids_cohort, make_pain_cohort
from skfmm.foundation import BrainLM, load_foundation_model, pretrain_brainlm
from skfmm.interpret import (
    modality_attributions,
    region_and_edge_attributions,
    region_attributions,
)

ROOT = Path(__file__).resolve().parents[1]

PUBLIC = [
    TimeSeriesExtractor.__init__, TimeSeriesExtractor.fit, ConnectivityExtractor.__init__,
    ConnectivityExtractor.fit, ConnectivityExtractor.get_feature_names_out,
    FMMTCClassifier.__init__, FMMTCClassifier.fit, FMMTCClassifier.predict,
    FMMTCClassifier.predict_proba, BrainLMEmbedder.__init__, BrainLMEmbedder.fit,
    BrainLM.__init__, BrainLM.encode, BrainLM.from_pretrained, BrainLM.save_pretrained,
    load_foundation_model, pretrain_brainlm, make_pain_cohort, load_bids_cohort,
    modality_attributions, region_attributions, region_and_edge_attributions, cli_main,
]


@pytest.mark.parametrize("function", PUBLIC, ids=lambda f: f.__qualname__)
def test_public_callable_is_fully_annotated_and_resolves(function):
    function = inspect.unwrap(function)
    signature = inspect.signature(function)
    missing = [name for name, p in signature.parameters.items()
               if name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    assert not missing, f"{function.__qualname__}: no hint for {missing}"
    assert signature.return_annotation is not inspect.Signature.empty
    namespace = {**function.__globals__, **vars(skfmm._typing)}
    hints = typing.get_type_hints(function, globalns=namespace)
    assert "return" in hints


def test_package_ships_a_py_typed_marker():
    assert (Path(skfmm.__file__).parent / "py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["skfmm"]
