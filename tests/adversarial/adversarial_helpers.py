"""Helpers of the adversarial suite."""

from skfmm.foundation import BrainLMConfig


def tiny_config(**changes):
    params = dict(hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                  timepoint_patching_size=10, conv_kernel_size=3)
    params.update(changes)
    return BrainLMConfig(**params)
