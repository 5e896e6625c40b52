"""Fixtures of the benchmark's tests: a tiny foundation model and small simulated containers."""

import pytest

from skfmm import TimeSeriesExtractor
from skfmm.datasets import make_pain_cohort
from skfmm.foundation import BrainLM, BrainLMConfig


@pytest.fixture(scope="session")
def tiny_fm(tmp_path_factory):
    """A small random BrainLM saved as released weights are, passed around as a path."""
    path = tmp_path_factory.mktemp("tiny_brainlm")
    config = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=32, num_timepoints_per_voxel=40,
                           timepoint_patching_size=20, conv_kernel_size=None, mask_ratio=0.0,
                           extra={"skfmm_input_scaling": "zscore"})
    BrainLM(config, with_decoder=False, random_state=0).save_pretrained(path)
    return str(path)


def _container(n_subjects, fc_effect, ts_effect, seed=0):
    cohort = make_pain_cohort(n_subjects, n_regions=16, n_timepoints=50, fc_effect=fc_effect,
                              ts_effect=ts_effect, random_state=seed)
    X = TimeSeriesExtractor(window=40, coords=cohort.coords, t_r=cohort.t_r,
                            verbose=0).fit_transform(cohort.timeseries)
    return X, cohort.y


@pytest.fixture(scope="module")
def cohort():
    """24 subjects carrying both effects (0.6)."""
    return _container(24, 0.6, 0.6)


@pytest.fixture(scope="module")
def null_cohort():
    """40 subjects whose labels are independent of the data."""
    return _container(40, 0.0, 0.0, seed=1)
