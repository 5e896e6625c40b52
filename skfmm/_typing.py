"""Type aliases of the public API's hints (for readers and type checkers; nothing at run time).

Imports nothing else of skfmm, so any module may use it.
"""

from __future__ import annotations

import os
from typing import Any, Union

from numpy.typing import ArrayLike

#: A file or folder: a string or an ``os.PathLike``.
PathLike = Union[str, "os.PathLike[str]"]
#: A cohort: a MultimodalData container, a list of (n_timepoints, n_regions) arrays, a 3-D
#: array, or NIfTI paths / images for TimeSeriesExtractor.
CohortLike = Any
#: An int seed, a numpy RandomState or None.
RandomStateLike = Union[int, Any, None]
#: "cpu", "cuda", "cuda:N", "auto" or a torch.device.
DeviceLike = Union[str, Any]

__all__ = ["ArrayLike", "PathLike", "CohortLike", "RandomStateLike", "DeviceLike"]
