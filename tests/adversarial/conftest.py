"""Fixtures of the adversarial suite: small inputs made by the tests, each case one test."""

import shutil

import numpy as np
import pytest

from .adversarial_helpers import tiny_config

from skfmm.foundation import BrainLM


@pytest.fixture(scope="module")
def bids_template(tmp_path_factory):
    """A 6-participant BIDS tree written by skfmm (read-only template: copy it to mutate)."""
    from skfmm.datasets import make_pain_cohort, to_bids

    root = tmp_path_factory.mktemp("bids_template")
    to_bids(make_pain_cohort(6, n_regions=16, n_timepoints=20, random_state=0), root / "ds",
            atlas_shape=(6, 7, 6))
    return root / "ds"


@pytest.fixture
def bids(bids_template, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(bids_template, root)
    return root


@pytest.fixture
def weights_dir(tmp_path):
    """A tiny encoder-only BrainLM written as safetensors."""
    path = tmp_path / "brainlm"
    BrainLM(tiny_config(), with_decoder=False, random_state=0).save_pretrained(
        path, safe_serialization=True)
    return path


@pytest.fixture
def toy_ts():
    rng = np.random.default_rng(0)
    n, regions = 12, 4
    ts = rng.standard_normal((n, 20, regions)).astype(np.float32)
    xyz = np.broadcast_to(rng.uniform(-50, 50, (regions, 3)), (n, regions, 3)).astype(np.float32)
    return ts, xyz, np.repeat(["a", "b"], n // 2)
