"""The result of :func:`~skfmm.evaluation.nested_cross_validate`.

``summary.py`` recognises a result by its fields and never imports this module, so the
import below makes no cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .summary import summarize

__all__ = ["NestedCVResult"]


@dataclass
class NestedCVResult:
    """What :func:`nested_cross_validate` returns.

    Attributes
    ----------
    model : str
        The model's name (the ``model`` column of both tables).
    folds : pandas.DataFrame
        One row per outer fold: ``model, repeat, fold, n_train, n_test``,
        ``train_majority_rate`` (the share of the training part's most frequent class, per
        subject: the accuracy of always predicting it), ``test_groups`` (with ``groups``),
        every metric of :data:`~skfmm.evaluation.METRICS`,
        ``best_params`` (dict chosen by the inner search, ``{}`` without a grid),
        ``fit_time`` (seconds) and ``from_cache``.
    predictions : pandas.DataFrame or None
        Out-of-fold predictions, one row per (outer fold, test subject): ``model, repeat,
        fold, sample`` (row position in ``X``), ``y_true, y_pred, y_score`` (positive-class
        score, NaN if the model gives none) and ``group`` (with ``groups``).
    splits : list of (ndarray, ndarray)
        The outer ``(train, test)`` row indices, in fold order.
    classes : ndarray
        The two classes, sorted.
    pos_label : label
        The positive class used for every metric.
    """

    model: str
    folds: pd.DataFrame
    predictions: pd.DataFrame | None
    splits: list = field(repr=False)
    classes: np.ndarray = field(repr=False)
    pos_label: object = None

    def summary(self, **kwargs):
        """Shortcut for :func:`skfmm.evaluation.summarize` on this result.

        Parameters
        ----------
        **kwargs
            Arguments of :func:`~skfmm.evaluation.summarize` (``metrics``, ``n_boot``,
            ``ci``, ``random_state``, ``method``).

        Returns
        -------
        pandas.DataFrame
            As :func:`~skfmm.evaluation.summarize`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skfmm.evaluation import nested_cross_validate
        >>> X, y = np.r_[np.zeros((10, 1)), np.ones((10, 1))], np.repeat([0, 1], 10)
        >>> res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, verbose=0)
        >>> res.summary(metrics=["mcc"], n_boot=100)[["metric", "mean"]].values.tolist()
        [['mcc', 1.0]]
        """
        return summarize(self, **kwargs)

    def __repr__(self):
        mcc = self.folds["mcc"]
        return (
            f"NestedCVResult(model={self.model!r}, n_folds={len(self.folds)}, "
            f"mean fold mcc={np.nanmean(mcc) if mcc.notna().any() else float('nan'):.3f}, "
            f"pos_label={self.pos_label!r})"
        )
