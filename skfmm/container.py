"""The sliceable multimodal container that carries a cohort through a pipeline.

Keys: ``ts`` (n, window, n_regions), ``xyz`` (n, n_regions, 3), ``fc`` (n, R, R) and
optionally ``covariates`` (n, k); TimeSeriesExtractor also records ``subject``, ``n_padded``
and ``t_r`` per row. Cross-validation splitters and skorch slice it by rows.
"""

from __future__ import annotations

import numpy as np
from skorch.helper import SliceDict

__all__ = ["MultimodalData", "KNOWN_KEYS", "check_multimodal", "ContainerInputMixin"]

#: Keys the package understands; other keys are carried along unchanged.
KNOWN_KEYS = ("ts", "xyz", "fc", "covariates")


class ContainerInputMixin:
    """sklearn tags of a transformer that takes the container (or 3-D arrays), not a 2-D
    table: put it before ``TransformerMixin, BaseEstimator`` in the bases.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator, TransformerMixin
    >>> from skfmm.container import ContainerInputMixin
    >>> class Identity(ContainerInputMixin, TransformerMixin, BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         return self
    ...     def transform(self, X):
    ...         return X
    >>> tags = Identity().__sklearn_tags__().input_tags
    >>> tags.two_d_array, tags.three_d_array, tags.dict
    (False, True, True)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.dict = True
        return tags


class MultimodalData(SliceDict):
    """Row-sliceable dict of per-subject arrays (a :class:`skorch.helper.SliceDict`).

    Every value is an array whose first axis is the subject. Indexing with a slice, an
    integer array or a boolean mask returns a new ``MultimodalData`` with those rows of
    every value, so scikit-learn's CV splitters and skorch can split it like ``X``.
    Indexing with a string returns that modality.

    Parameters
    ----------
    **arrays : array-like
        ``ts`` (n, window, n_regions), ``xyz`` (n, n_regions, 3), ``fc``
        (n, n_regions, n_regions), ``covariates`` (n, k), or other per-subject arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import MultimodalData
    >>> X = MultimodalData(ts=np.zeros((4, 10, 3)), xyz=np.zeros((4, 3, 3)))
    >>> X[[0, 2]]["ts"].shape
    (2, 10, 3)
    >>> len(X), X.n_regions
    (4, 3)
    """

    def __init__(self, **arrays):
        arrays = {k: (v if _is_tensor(v) else np.asarray(v)) for k, v in arrays.items()}
        for key, value in arrays.items():
            if value.ndim == 0:
                raise ValueError(
                    f"MultimodalData: '{key}' must be an array with one row per subject; "
                    f"got a scalar {value!r}."
                )
        super().__init__(**arrays)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            # One row as a length-1 container keeps every array's rank.
            key = slice(int(key), int(key) + 1) if key != -1 else slice(-1, None)
        return super().__getitem__(key)

    @property
    def n_regions(self):
        """Number of regions (parcels), read from ``ts``, ``xyz`` or ``fc``."""
        if "ts" in self:
            return self["ts"].shape[2]
        if "xyz" in self:
            return self["xyz"].shape[1]
        if "fc" in self:
            return self["fc"].shape[1]
        return None

    def __repr__(self):
        parts = ", ".join(f"{k}={tuple(v.shape)}" for k, v in self.items())
        if "subject" in self:  # several windows per subject: rows are windows, say both
            n_subjects = len(np.unique(np.asarray(self["subject"])))
            if n_subjects < len(self):
                return (f"MultimodalData(n_windows={len(self)}, n_subjects={n_subjects}, "
                        f"{parts})")
        return f"MultimodalData(n_subjects={len(self)}, {parts})"

    # Pickle through the constructor so the row count survives.
    def __reduce__(self):
        return (_rebuild, (dict(self),))


def _rebuild(arrays):
    return MultimodalData(**arrays)


def _is_tensor(value):
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return isinstance(value, torch.Tensor)


#: How to add a missing key, for the error of :func:`check_multimodal`.
_HINTS = {
    "ts": "Put TimeSeriesExtractor(output='multimodal') first to add 'ts'.",
    "xyz": "Give TimeSeriesExtractor the parcel coordinates to add 'xyz': coords= (an "
           "(n_regions, 3) array in MNI mm or an A424-style coordinates file), or atlas= "
           "(its parcel centroids are used).",
    "fc": "Put ConnectivityExtractor(output='multimodal') in front of it to add 'fc'.",
}


def check_multimodal(X, required, *, argument="X", who="this estimator"):
    """Check that ``X`` is a :class:`MultimodalData` holding the ``required`` keys.

    Raises a ``TypeError`` or ``ValueError`` that names the missing keys. A plain dict with
    the keys is returned as a :class:`MultimodalData`.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.container import check_multimodal
    >>> X = check_multimodal({"fc": np.zeros((2, 3, 3))}, ["fc"])
    >>> type(X).__name__, X.n_regions
    ('MultimodalData', 3)
    >>> check_multimodal(X, ["ts", "fc"], who="FMMTCClassifier")
    Traceback (most recent call last):
    ...
    ValueError: FMMTCClassifier needs the modalities ['ts', 'fc'] in 'X', but ['ts'] is missing ...
    """
    if not isinstance(X, dict):
        raise TypeError(
            f"{who} expects '{argument}' to be a MultimodalData container (from "
            f"TimeSeriesExtractor / ConnectivityExtractor) with keys {list(required)}; "
            f"got {type(X).__name__}."
        )
    missing = [k for k in required if k not in X]
    if missing:
        raise ValueError(
            f"{who} needs the modalities {list(required)} in '{argument}', but "
            f"{missing} {'is' if len(missing) == 1 else 'are'} missing (got keys "
            f"{sorted(X.keys())}). " + " ".join(_HINTS.get(k, "") for k in missing).strip()
        )
    if not isinstance(X, MultimodalData):
        X = MultimodalData(**X)
    return X
