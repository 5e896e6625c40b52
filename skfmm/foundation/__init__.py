"""Foundation models: BrainLM in plain PyTorch, its pretraining, the demo model, embeddings.

Heavy submodules are imported lazily so ``import skfmm.foundation`` stays light.
"""

_LAZY = {
    "BrainLM": "skfmm.foundation.brainlm",
    "BrainLMConfig": "skfmm.foundation.brainlm",
    "pretrain_brainlm": "skfmm.foundation.pretrain",
    "load_foundation_model": "skfmm.foundation.registry",
    "BrainLMEmbedder": "skfmm.foundation.embedder",
    "embed": "skfmm.foundation.embedder",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skfmm.foundation' has no attribute {name!r}")


def __dir__():
    return __all__
