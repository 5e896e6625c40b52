"""skfmm: FMM_TC fMRI drug-response prediction as scikit-learn estimators.

The public estimators are imported lazily so ``import skfmm`` stays light.
"""

__version__ = "0.1.0"

from ._lazy import attach  # noqa: E402

_LAZY = {
    "MultimodalData": "skfmm.container",
    "TimeSeriesExtractor": "skfmm.extraction.timeseries",
    "ConnectivityExtractor": "skfmm.extraction.connectivity",
    "TemporalFeatures": "skfmm.extraction.temporal",
    "BrainLMEmbedder": "skfmm.foundation.embedder",
    "FMMTCClassifier": "skfmm.classifier",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY)
__all__ = __all__ + ["__version__"]
