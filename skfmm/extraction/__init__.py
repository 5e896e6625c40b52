"""Feature extraction: parcel time series, functional connectivity, the container."""

from .container import MultimodalData

_LAZY = {
    "TimeSeriesExtractor": "skfmm.extraction.timeseries",
    "ConnectivityExtractor": "skfmm.extraction.connectivity",
}

__all__ = ["MultimodalData", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skfmm.extraction' has no attribute {name!r}")
