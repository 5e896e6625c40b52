"""Fixtures of the classifier tests (module-scoped: the cohort is extracted once)."""

import pytest
from classifier_helpers import make_cohort

from skfmm.foundation import BrainLM, BrainLMConfig


@pytest.fixture(scope="module")
def cohort():
    return make_cohort()


@pytest.fixture(scope="module")
def tiny_brainlm():
    cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, timepoint_patching_size=10,
                        decoder_hidden_size=16, decoder_intermediate_size=32)
    return BrainLM(cfg, with_decoder=False, random_state=0)
