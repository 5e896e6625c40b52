"""Feature extraction: parcel time series, functional connectivity, the container."""

from .container import MultimodalData
from .timeseries import TimeSeriesExtractor
from .connectivity import ConnectivityExtractor

__all__ = ["MultimodalData", "TimeSeriesExtractor", "ConnectivityExtractor"]
