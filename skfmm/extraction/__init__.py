"""Feature extraction: parcel time series, functional connectivity, temporal features, the
container."""

from .._lazy import attach
from ..container import MultimodalData
from .names import default_region_names

_LAZY = {
    "TimeSeriesExtractor": "skfmm.extraction.timeseries",
    "ConnectivityExtractor": "skfmm.extraction.connectivity",
    "TemporalFeatures": "skfmm.extraction.temporal",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, eager=["MultimodalData", "default_region_names"])
