"""ConnectivityExtractor: functional connectivity of each subject's window, fitted inside the
fold (the tangent reference), added to the multimodal container or returned for classical models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from ..utils.validation import check_choice, check_timeseries_list
from ..container import ContainerInputMixin, MultimodalData
from .names import check_region_names
from ..utils._docs import fill_doc

__all__ = ["ConnectivityExtractor"]

_KINDS = ("correlation", "partial correlation", "tangent", "covariance", "precision", "gram")
_OUTPUTS = ("multimodal", "matrix", "vector")


@fill_doc
class ConnectivityExtractor(ContainerInputMixin, TransformerMixin, BaseEstimator):
    """Functional connectivity of each subject's time series.

    Everything that depends on the cohort (the tangent-space reference) is learned in
    ``fit``; ``transform`` works on any number of subjects, one included.

    Parameters
    ----------
    kind : {"correlation", "partial correlation", "tangent", "covariance", "precision", \
"gram"}, default="correlation"
        The first five are computed by :class:`nilearn.connectome.ConnectivityMeasure`
        (with its covariance estimator, Ledoit-Wolf shrinkage by default). ``"gram"`` is
        the FMM_TC authors' ``X X^T`` of the window (an uncentred Gram matrix over time,
        not a correlation), kept for faithful reproduction.
    cov_estimator : sklearn covariance estimator, default=None
        Passed to nilearn; None means nilearn's ``LedoitWolf(store_precision=False)``.
    fisher_z : bool, default=False
        Apply ``arctanh`` to the coefficients and zero the diagonal. Only for
        ``"correlation"`` and ``"partial correlation"``.
    output : {"multimodal", "matrix", "vector"}, default="multimodal"
        ``"multimodal"``: the input container with ``fc`` (n, R, R) float32 added (plain
        arrays of equal length become the ``ts`` of a new container). ``"matrix"``: the
        (n, R, R) array. ``"vector"``: the edges without the diagonal, (n, R (R - 1) / 2),
        for classical scikit-learn models, vectorised by nilearn's
        :func:`~nilearn.connectome.sym_matrix_to_vec` (``discard_diagonal=True``: the
        lower triangle row by row, edges (1, 0), (2, 0), (2, 1), (3, 0), ...), the layout
        of ``ConnectivityMeasure(vectorize=True, discard_diagonal=True)``;
        :meth:`get_feature_names_out` names each edge, and ``set_output(transform="pandas")``
        gives a DataFrame with those columns (for the 3-D outputs, ``"matrix"`` and
        ``"multimodal"``, it names the regions, and ``set_output`` other than
        ``"default"`` is refused: a table cannot hold them).
    %(region_names)s
        Used by :meth:`get_feature_names_out`.

    Attributes
    ----------
    n_regions_ : int
    region_names_ : ndarray of str, shape (n_regions,)
        The region names used in the edge names.
    measure_ : nilearn ConnectivityMeasure or None
        The fitted measure (None for ``"gram"``); for ``"tangent"`` its ``mean_`` is the
        reference learned from the training subjects only.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import ConnectivityExtractor
    >>> rng = np.random.default_rng(0)
    >>> ts = rng.standard_normal((6, 50, 4))
    >>> ConnectivityExtractor(output="vector").fit_transform(ts).shape
    (6, 6)
    >>> X = ConnectivityExtractor(kind="tangent").fit(ts[:5]).transform(ts[5:])
    >>> X["fc"].shape
    (1, 4, 4)

    Edge names, so that a linear model's coefficients map back to edges:

    >>> ext = ConnectivityExtractor(output="vector", region_names=["PCC", "mPFC", "AG", "IPS"])
    >>> ext.fit(ts).get_feature_names_out()[:3].tolist()
    ['PCC--mPFC', 'PCC--AG', 'mPFC--AG']
    >>> ext.set_output(transform="pandas").transform(ts).columns[0]
    'PCC--mPFC'
    """

    def __init__(
        self,
        kind: str = "correlation",
        *,
        cov_estimator: Any = None,
        fisher_z: bool = False,
        output: str = "multimodal",
        region_names: Sequence[str] | None = None,
    ) -> None:
        self.kind = kind
        self.cov_estimator = cov_estimator
        self.fisher_z = fisher_z
        self.output = output
        self.region_names = region_names

    def _check_params(self):
        check_choice(self.kind, _KINDS, "kind")
        check_choice(self.output, _OUTPUTS, "output")
        if not isinstance(self.fisher_z, bool):
            raise ValueError(f"'fisher_z' must be True or False; got {self.fisher_z!r}.")
        if self.fisher_z and self.kind not in ("correlation", "partial correlation"):
            raise ValueError(
                "'fisher_z'=True applies to kind='correlation' or 'partial correlation' "
                f"(coefficients in [-1, 1]); got kind={self.kind!r}."
            )

    def _region_names(self, n_regions):
        return check_region_names(self.region_names, n_regions, "region_names")

    def fit(self, X: Any, y: Any = None) -> "ConnectivityExtractor":
        """Learn the cohort-level part (the tangent reference) from the training subjects.

        Parameters
        ----------
        X : MultimodalData with ``ts``, list of 2-D arrays (n_timepoints, n_regions), or
            3-D array (n_subjects, n_timepoints, n_regions).
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        subjects, _ = _split_input(X)
        self.n_regions_ = subjects[0].shape[1]
        self.region_names_ = self._region_names(self.n_regions_)
        if self.kind == "gram":
            self.measure_ = None
        else:
            from nilearn.connectome import ConnectivityMeasure

            self.measure_ = ConnectivityMeasure(
                kind=self.kind,
                cov_estimator=None if self.cov_estimator is None else clone(self.cov_estimator),
            ).fit(subjects)
        return self

    def transform(self, X: Any) -> Any:
        """Connectivity of every subject, shaped by ``output``.

        Parameters
        ----------
        X : MultimodalData with ``ts``, list of 2-D arrays or 3-D array.

        Returns
        -------
        MultimodalData or ndarray (a DataFrame for ``output="vector"`` after
        ``set_output(transform="pandas")``)
        """
        check_is_fitted(self, "n_regions_")
        self._check_params()
        wrapped = _get_output_config("transform", self)["dense"]
        if wrapped != "default" and self.output != "vector":
            raise ValueError(
                f"set_output(transform={wrapped!r}) gives a table of named edges and needs "
                f"'output'='vector' (one row per subject); got output={self.output!r}. Use "
                "set_output(transform='default') for matrices or the container."
            )
        subjects, container = _split_input(X, n_regions=self.n_regions_)
        fc = self._connectivity(subjects)
        if self.fisher_z:
            fc = _fisher_z(fc)
        if self.output == "matrix":
            return fc.astype(np.float32)
        if self.output == "vector":
            from nilearn.connectome import sym_matrix_to_vec

            return sym_matrix_to_vec(fc, discard_diagonal=True).astype(np.float32)
        if container is None:
            lengths = {s.shape[0] for s in subjects}
            if len(lengths) != 1:
                raise ValueError(
                    "output='multimodal' needs time series of one length to carry as 'ts'; "
                    f"got lengths {sorted(lengths)}. Put TimeSeriesExtractor first, or use "
                    "output='matrix' or 'vector'."
                )
            container = MultimodalData(ts=np.stack(subjects).astype(np.float32))
        else:
            container = container.copy()
        container["fc"] = fc.astype(np.float32)
        return container

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        """Names of the output's features: edges for ``"vector"``, regions otherwise.

        ``output="vector"``: one name per column, in column order; edge ``(i, j)`` with
        ``j < i`` (nilearn's lower-triangle order) is named ``"{name_j}--{name_i}"``.
        ``output="matrix"`` / ``"multimodal"``: the output is 3-D (each subject's
        ``(n_regions, n_regions)`` matrix), which has no columns; the names returned are the
        region names of its rows and columns (one per region), in order.

        Parameters
        ----------
        input_features : sequence of str, optional
            Region names (one per region) to use instead of ``region_names_``; in a
            pipeline, the names :meth:`TimeSeriesExtractor.get_feature_names_out` gives.

        Returns
        -------
        ndarray of str
            shape (n_regions * (n_regions - 1) / 2,) for ``"vector"``, (n_regions,) else.
        """
        check_is_fitted(self, "n_regions_")
        names = (self.region_names_ if input_features is None
                 else check_region_names(input_features, self.n_regions_, "input_features"))
        if self.output != "vector":
            return np.asarray(names, dtype=object)
        rows, cols = np.tril_indices(self.n_regions_, k=-1)
        return np.array([f"{names[j]}--{names[i]}" for i, j in zip(rows, cols)], dtype=object)

    def _connectivity(self, subjects):
        if self.kind == "gram":
            return np.stack([x.T @ x for x in subjects])
        if self.kind == "tangent" and len(subjects) == 1:
            # nilearn refuses a single subject in transform; the tangent map of a subject
            # only depends on it and the fitted reference, so a duplicated subject gives
            # exactly its own matrix.
            return self.measure_.transform([subjects[0], subjects[0]])[:1]
        return np.asarray(self.measure_.transform(subjects))


def _fisher_z(fc):
    fc = np.array(fc, dtype=np.float64)
    idx = np.arange(fc.shape[1])
    fc[:, idx, idx] = 0.0
    if np.any(np.abs(fc) >= 1):
        raise ValueError(
            "fisher_z: some off-diagonal coefficients are +/-1 (perfectly collinear "
            "regions); arctanh would be infinite. Remove duplicated regions or use "
            "fisher_z=False."
        )
    return np.arctanh(fc)


def _split_input(X, n_regions=None):
    """Return (list of 2-D float arrays, the container or None)."""
    if isinstance(X, dict):
        if "ts" not in X:
            raise ValueError(
                "ConnectivityExtractor needs the time series under the key 'ts' of 'X'; "
                f"got keys {sorted(X.keys())}."
            )
        container = X if isinstance(X, MultimodalData) else MultimodalData(**X)
        subjects = check_timeseries_list(np.asarray(container["ts"]), argument="X['ts']",
                                         n_regions=n_regions)
        return subjects, container
    return check_timeseries_list(X, n_regions=n_regions), None
