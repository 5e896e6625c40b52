"""Feature extraction: parcel time series, functional connectivity, temporal features, the
container."""

from .._lazy import attach
from .container import MultimodalData

_LAZY = {
    "TimeSeriesExtractor": "skfmm.extraction.timeseries",
    "ConnectivityExtractor": "skfmm.extraction.connectivity",
    "TemporalFeatures": "skfmm.extraction.temporal",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, eager=["MultimodalData"])
