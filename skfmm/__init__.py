"""skfmm: FMM_TC fMRI drug-response prediction as scikit-learn estimators.

The public estimators are imported lazily so ``import skfmm`` stays light.
"""

__version__ = "0.1.0"

_LAZY = {
    "MultimodalData": "skfmm.extraction.container",
    "TimeSeriesExtractor": "skfmm.extraction.timeseries",
    "ConnectivityExtractor": "skfmm.extraction.connectivity",
    "BrainLMEmbedder": "skfmm.foundation.embedder",
    "FMMTCClassifier": "skfmm.classifier",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skfmm' has no attribute {name!r}")


def __dir__():
    return __all__
