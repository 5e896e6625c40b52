"""Common fixtures: small cohorts made by the tests themselves, offline."""

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from skfmm.foundation import BrainLM, BrainLMConfig

# Tiny fits are dominated by BLAS thread start-up on 2 cores (about 30x slower for a small
# logistic regression): the suite runs single-threaded.
torch.set_num_threads(1)
threadpool_limits(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def small_runs(rng):
    """Six subjects, 5 regions, varying run lengths, raw-BOLD-like offsets."""
    lengths = [60, 55, 70, 40, 65, 58]
    return [500 + 10 * rng.standard_normal((n, 5)) for n in lengths]


@pytest.fixture
def small_coords(rng):
    return rng.uniform(-60, 60, size=(5, 3))


@pytest.fixture(scope="module")
def tiny_brainlm():
    cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, timepoint_patching_size=10,
                        decoder_hidden_size=16, decoder_intermediate_size=32)
    return BrainLM(cfg, with_decoder=False, random_state=0)
