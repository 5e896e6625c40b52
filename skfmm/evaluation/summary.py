"""Summaries of nested cross-validation results: pooled metrics, bootstrap intervals, paired
differences.

The bootstrap resamples subjects of the pooled out-of-fold predictions (or folds, as a fallback).
A result is recognised by its fields rather than by its class: ``results.py`` imports this
module for :meth:`NestedCVResult.summary`, so importing it back would make a cycle.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings

import numpy as np
import pandas as pd

from .metrics import METRICS
from .stats import _fold_bootstrap_means, _interval, _point_weights, _pooled_values, _subject_weights

__all__ = ["summarize", "pooled_metrics", "paired_difference"]

#: The fields of :class:`~skfmm.evaluation.NestedCVResult` that the summaries read.
_RESULT_FIELDS = ("model", "folds", "predictions", "splits", "classes", "pos_label")

_COLUMNS = ["model", "metric", "mean", "ci_low", "ci_high"]


def _is_result(obj):
    """Whether ``obj`` is a NestedCVResult (a dataclass with its fields)."""
    return dataclasses.is_dataclass(obj) and not isinstance(obj, type) and all(
        hasattr(obj, name) for name in _RESULT_FIELDS
    )


def _check_metrics(metrics, who):
    if metrics is None:
        return list(METRICS)
    if isinstance(metrics, str):
        metrics = [metrics]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"{who}: 'metrics' must be names from {METRICS}; got {unknown}.")
    return list(metrics)


def _prediction_arrays(result):
    """Per-repeat arrays of the pooled out-of-fold predictions, with subject positions."""
    preds = result.predictions
    subjects, subject_index = np.unique(preds["sample"].to_numpy(), return_inverse=True)
    scores = preds["y_score"].to_numpy(dtype=float)
    pos = result.pos_label
    is_pos = preds["y_true"].to_numpy() == pos
    pred_pos = preds["y_pred"].to_numpy() == pos
    repeats = []
    for r in np.unique(preds["repeat"].to_numpy()):
        mask = preds["repeat"].to_numpy() == r
        s = scores[mask]
        repeats.append((subject_index[mask], is_pos[mask], pred_pos[mask],
                        s if np.all(np.isfinite(s)) else None))
    return len(subjects), repeats


def pooled_metrics(result):
    """Each metric on the pooled out-of-fold predictions, averaged over outer repeats.

    This is the point estimate of :func:`summarize` (``method="subjects"``) and the
    statistic of :func:`permutation_test`.

    Parameters
    ----------
    result : NestedCVResult
        With predictions (``return_predictions=True``).

    Returns
    -------
    dict
        One float per name of :data:`~skfmm.evaluation.METRICS` (NaN where undefined).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import nested_cross_validate, pooled_metrics
    >>> X = np.r_[np.zeros((10, 1)), np.ones((10, 1))]
    >>> y = np.repeat([0, 1], 10)
    >>> res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, verbose=0)
    >>> pooled_metrics(res)["mcc"]
    1.0
    """
    _require_predictions(result, "pooled_metrics")
    n_subjects, repeats = _prediction_arrays(result)
    values = _pooled_values(repeats, _point_weights(n_subjects))
    return {m: float(values[m][0]) for m in METRICS}


def _require_predictions(result, who):
    if not _is_result(result) or result.predictions is None:
        raise ValueError(
            f"{who} needs a NestedCVResult with out-of-fold predictions "
            "(nested_cross_validate(..., return_predictions=True)); got "
            f"{type(result).__name__}{' without predictions' if _is_result(result) else ''}."
        )


def _summarize_subjects(result, metrics, n_boot, ci, random_state):
    _require_predictions(result, "summarize(method='subjects')")
    n_subjects, repeats = _prediction_arrays(result)
    point = _pooled_values(repeats, _point_weights(n_subjects))
    boot = _pooled_values(repeats, _subject_weights(n_subjects, n_boot, random_state))
    rows = []
    for m in metrics:
        estimate = float(point[m][0])
        if np.isnan(estimate):
            low = high = np.nan
        else:
            n_undefined = int(np.sum(~np.isfinite(boot[m])))
            if n_undefined:
                warnings.warn(
                    f"summarize: {result.model} {m} was undefined in {n_undefined} of "
                    f"{n_boot} bootstrap samples (a sample with one class); they are left "
                    "out of the interval.",
                    stacklevel=3,
                )
            low, high = _interval(boot[m], ci)
        rows.append([result.model, m, estimate, low, high])
    return rows


def _summarize_folds(model, folds, metrics, n_boot, ci, random_state):
    rows = []
    for m in metrics:
        if m not in folds:
            raise ValueError(f"summarize: the fold table of {model!r} has no column {m!r}.")
        values = folds[m].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if len(finite) < len(values):
            warnings.warn(
                f"summarize: {model} {m} is undefined (NaN) on {len(values) - len(finite)} of "
                f"{len(values)} folds; the mean and interval use the other folds.",
                stacklevel=3,
            )
        if len(finite) == 0:
            rows.append([model, m, np.nan, np.nan, np.nan])
            continue
        boot = _fold_bootstrap_means(finite, n_boot, random_state)
        rows.append([model, m, float(finite.mean()), *_interval(boot, ci)])
    return rows


def summarize(results, metrics=None, *, n_boot=2000, ci=0.95, random_state=0, method="auto"):
    """Mean and bootstrap confidence interval of each metric, per model.

    Parameters
    ----------
    results : NestedCVResult, list or dict of them, or DataFrame
        Results of :func:`nested_cross_validate` (a dict's keys replace the model names),
        or a per-fold table with a ``model`` column and metric columns (as ``results.csv``).
    metrics : list of str, default=None
        Names from :data:`~skfmm.evaluation.METRICS`; default all.
    n_boot : int, default=2000
        Bootstrap samples.
    ci : float, default=0.95
        Coverage of the percentile interval.
    random_state : int, default=0
        Seed of the bootstrap (the same for every model, so adding a model changes no other
        model's interval).
    method : {"auto", "subjects", "folds"}, default="auto"
        ``"subjects"``: the estimate is each metric on the pooled out-of-fold predictions of
        a repeat (every subject predicted once, by a model that never saw it), averaged over
        repeats; the interval resamples subjects with replacement (the same subjects in
        every repeat) and recomputes that estimate. ``"folds"``: the estimate is the mean of
        the per-fold values and the interval resamples folds; it is narrower than it should
        be, since folds share training subjects. ``"auto"``: subjects when predictions
        exist, else folds.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, metric, mean, ci_low, ci_high``; one row per model and metric.
        ``attrs["method"]`` records the method.

    Notes
    -----
    Neither bootstrap is exact: cross-validation folds are not independent, and the
    subject bootstrap treats each subject's out-of-fold prediction as fixed, so it captures
    the test-sample uncertainty but not the variability of training on another sample
    (no unbiased variance estimator for K-fold CV exists; Bengio & Grandvalet, 2004).
    Read the interval as a guide to what the cohort size allows, not as exact coverage.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import nested_cross_validate, summarize
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 30)
    >>> X = rng.normal(size=(60, 2)) + 2 * y[:, None]
    >>> res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
    >>> table = summarize(res, metrics=["mcc"], n_boot=500)
    >>> list(table.columns), bool(table.loc[0, "ci_low"] > 0)
    (['model', 'metric', 'mean', 'ci_low', 'ci_high'], True)
    """
    who = "summarize"
    metrics = _check_metrics(metrics, who)
    if not isinstance(n_boot, numbers.Integral) or n_boot < 1:
        raise ValueError(f"{who}: 'n_boot' must be a positive int; got {n_boot!r}.")
    if not (isinstance(ci, numbers.Real) and 0 < ci < 1):
        raise ValueError(f"{who}: 'ci' must be a number in (0, 1); got {ci!r}.")
    if method not in ("auto", "subjects", "folds"):
        raise ValueError(
            f"{who}: 'method' must be one of ('auto', 'subjects', 'folds'); got {method!r}."
        )
    if isinstance(results, pd.DataFrame):
        if method == "subjects":
            raise ValueError(
                f"{who}: method='subjects' needs NestedCVResult objects with predictions; "
                "got a per-fold DataFrame."
            )
        if "model" not in results:
            raise ValueError(f"{who}: the per-fold DataFrame needs a 'model' column.")
        rows = []
        for model, folds in results.groupby("model", sort=False):
            rows += _summarize_folds(model, folds, metrics, n_boot, ci, random_state)
        used = "folds"
    else:
        if _is_result(results):
            items = [(results.model, results)]
        elif isinstance(results, dict):
            items = list(results.items())
        elif isinstance(results, (list, tuple)):
            items = [(getattr(r, "model", None), r) for r in results]
        else:
            raise TypeError(
                f"{who}: 'results' must be a NestedCVResult, a list or dict of them, or a "
                f"per-fold DataFrame; got {type(results).__name__}."
            )
        rows, used = [], set()
        for model, result in items:
            if not _is_result(result):
                raise TypeError(
                    f"{who}: every result must be a NestedCVResult; got {type(result).__name__}."
                )
            if model != result.model:
                result = dataclasses.replace(result, model=str(model))
            use = method
            if method == "auto":
                use = "subjects" if result.predictions is not None else "folds"
            if use == "subjects":
                rows += _summarize_subjects(result, metrics, n_boot, ci, random_state)
            else:
                rows += _summarize_folds(result.model, result.folds, metrics, n_boot, ci, random_state)
            used.add(use)
        used = used.pop() if len(used) == 1 else "mixed"
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table.attrs["method"] = used
    table.attrs["ci"] = ci
    return table


def paired_difference(a, b, *, metric="mcc", n_boot=2000, ci=0.95, random_state=0,
                      names=("a", "b"), who="paired_difference"):
    """Difference of a pooled metric between two results on the same splits (``b`` minus ``a``).

    The estimate is :func:`pooled_metrics` of ``b`` minus that of ``a`` (each the metric on
    the pooled out-of-fold predictions, averaged over repeats). The interval is a paired
    subject bootstrap: every bootstrap sample resamples the subjects once and scores both
    results on the same resampled subjects, so what the two share cancels out.

    Parameters
    ----------
    a, b : NestedCVResult
        With predictions, from the same outer splits of the same subjects (the same
        ``outer_cv``, ``n_repeats`` and ``random_state`` of
        :func:`nested_cross_validate`); ``a`` is the reference.
    metric : str, default="mcc"
        Name from :data:`~skfmm.evaluation.METRICS`.
    n_boot : int, default=2000
        Bootstrap samples.
    ci : float, default=0.95
        Coverage of the percentile interval.
    random_state : int, default=0
        Seed of the bootstrap.
    names : tuple of two str, default=("a", "b")
        How error messages name ``a`` and ``b``: a function that passes its own arguments
        on gives their names, so that its callers read errors about what they passed.
    who : str, default="paired_difference"
        The function error messages start with (that caller's name).

    Returns
    -------
    dict
        ``metric``; ``difference`` (``b`` minus ``a``); ``ci_low``, ``ci_high`` (NaN if the
        metric is undefined in every bootstrap sample; samples where it is undefined are
        left out); ``a``, ``b`` (the pooled values).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import nested_cross_validate, paired_difference
    >>> y = np.repeat([0, 1], 30)
    >>> X = np.random.default_rng(0).normal(loc=2 * y[:, None], size=(60, 2))
    >>> chance, logreg = (nested_cross_validate(model, X, y, n_repeats=2, verbose=0)
    ...                   for model in (DummyClassifier(), LogisticRegression()))
    >>> diff = paired_difference(chance, logreg, n_boot=500)
    >>> diff["difference"] == diff["b"] - diff["a"], bool(diff["ci_low"] > 0)
    (True, True)
    """
    name_a, name_b = names
    for argument, result in ((name_a, a), (name_b, b)):
        if not _is_result(result) or result.predictions is None:
            raise TypeError(
                f"{who}: '{argument}' must be a NestedCVResult with out-of-fold predictions "
                "(nested_cross_validate(..., return_predictions=True)); got "
                f"{type(result).__name__}{' without predictions' if _is_result(result) else ''}."
            )
    if metric not in METRICS:
        raise ValueError(f"{who}: 'metric' must be one of {METRICS}; got {metric!r}.")
    if not isinstance(n_boot, numbers.Integral) or n_boot < 1:
        raise ValueError(f"{who}: 'n_boot' must be a positive int; got {n_boot!r}.")
    if not (isinstance(ci, numbers.Real) and 0 < ci < 1):
        raise ValueError(f"{who}: 'ci' must be a number in (0, 1); got {ci!r}.")
    differing = _first_differing_split(a.splits, b.splits)
    if differing is not None:
        raise ValueError(
            f"{who}: '{name_a}' and '{name_b}' must be evaluated on the same outer splits; got "
            f"{differing}. Run both with the same outer_cv, n_repeats and random_state."
        )
    n_a, repeats_a = _prediction_arrays(a)
    n_b, repeats_b = _prediction_arrays(b)
    if n_a != n_b:
        raise ValueError(
            f"{who}: '{name_a}' and '{name_b}' must hold the same subjects; got {n_a} and {n_b} "
            "subjects."
        )
    point_a = float(_pooled_values(repeats_a, _point_weights(n_a))[metric][0])
    point_b = float(_pooled_values(repeats_b, _point_weights(n_b))[metric][0])
    # One draw of subjects scores both results: the bootstrap is paired.
    weights = _subject_weights(n_b, n_boot, random_state)
    boot = _pooled_values(repeats_b, weights)[metric] - _pooled_values(repeats_a, weights)[metric]
    low, high = _interval(boot, ci)
    return {"metric": metric, "difference": point_b - point_a, "ci_low": low, "ci_high": high,
            "a": point_a, "b": point_b}


def _first_differing_split(splits_a, splits_b):
    """How two lists of outer splits differ (by their test rows), or None if they do not."""
    if len(splits_a) != len(splits_b):
        return f"{len(splits_a)} and {len(splits_b)} outer folds"
    for i, (split_a, split_b) in enumerate(zip(splits_a, splits_b)):
        if not np.array_equal(split_a[1], split_b[1]):
            return f"other test rows in outer fold {i}"
    return None
