"""Foundation models: BrainLM in plain PyTorch, its pretraining, the demo model, embeddings.

Heavy submodules are imported lazily so ``import skfmm.foundation`` stays light.
"""

from .._lazy import attach  # noqa: E402

_LAZY = {
    "BrainLM": "skfmm.foundation.brainlm",
    "BrainLMConfig": "skfmm.foundation.brainlm",
    "pretrain_brainlm": "skfmm.foundation.pretrain",
    "masked_patch_mse": "skfmm.foundation.pretrain",
    "load_foundation_model": "skfmm.foundation.registry",
    "resolve_foundation_model": "skfmm.foundation.resolve",
    "ResolvedFoundationModel": "skfmm.foundation.resolve",
    "BrainLMEmbedder": "skfmm.foundation.embedder",
    "embed": "skfmm.foundation.embedder",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY)
