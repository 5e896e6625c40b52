"""Summaries of nested cross-validation: bootstrap confidence intervals and permutation tests.

The bootstrap resamples subjects of the pooled out-of-fold predictions (or folds, as a fallback).
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field

import joblib
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .metrics import METRICS, _metrics_from_weights
from .nested import NestedCVResult, nested_cross_validate

__all__ = ["summarize", "permutation_test", "PermutationTestResult", "pooled_metrics"]

_COLUMNS = ["model", "metric", "mean", "ci_low", "ci_high"]


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


def _pooled_values(repeats, subject_weights):
    """Each metric on the pooled predictions of each repeat, averaged over repeats."""
    per_repeat = [
        _metrics_from_weights(is_pos, pred_pos, scores, subject_weights[:, idx])
        for idx, is_pos, pred_pos, scores in repeats
    ]
    return {m: np.mean([values[m] for values in per_repeat], axis=0) for m in METRICS}


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
    values = _pooled_values(repeats, np.ones((1, n_subjects)))
    return {m: float(values[m][0]) for m in METRICS}


def _require_predictions(result, who):
    if not isinstance(result, NestedCVResult) or result.predictions is None:
        raise ValueError(
            f"{who} needs a NestedCVResult with out-of-fold predictions "
            "(nested_cross_validate(..., return_predictions=True)); got "
            f"{type(result).__name__}{' without predictions' if isinstance(result, NestedCVResult) else ''}."
        )


def _interval(boot, ci):
    alpha = (1.0 - ci) / 2.0
    finite = boot[np.isfinite(boot)]
    if len(finite) == 0:
        return np.nan, np.nan
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _summarize_subjects(result, metrics, n_boot, ci, random_state):
    _require_predictions(result, "summarize(method='subjects')")
    n_subjects, repeats = _prediction_arrays(result)
    point = _pooled_values(repeats, np.ones((1, n_subjects)))
    rng = np.random.default_rng(random_state)
    weights = rng.multinomial(n_subjects, np.full(n_subjects, 1.0 / n_subjects), size=n_boot)
    boot = _pooled_values(repeats, weights.astype(float))
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
        rng = np.random.default_rng(random_state)
        boot = finite[rng.integers(0, len(finite), size=(n_boot, len(finite)))].mean(axis=1)
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
        if isinstance(results, NestedCVResult):
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
            if not isinstance(result, NestedCVResult):
                raise TypeError(
                    f"{who}: every result must be a NestedCVResult; got {type(result).__name__}."
                )
            if model != result.model:
                result = NestedCVResult(
                    model=str(model), folds=result.folds, predictions=result.predictions,
                    splits=result.splits, classes=result.classes, pos_label=result.pos_label,
                )
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


@dataclass
class PermutationTestResult:
    """What :func:`permutation_test` returns.

    Attributes
    ----------
    metric : str
    statistic : float
        The metric on the true labels (:func:`pooled_metrics` of ``result``).
    p_value : float
        ``(1 + #{null >= statistic}) / (1 + n_permutations)``.
    null_distribution : ndarray of shape (n_permutations,)
        The statistic on each label permutation.
    result : NestedCVResult
        The nested cross-validation on the true labels.
    """

    metric: str
    statistic: float
    p_value: float
    null_distribution: np.ndarray = field(repr=False)
    result: NestedCVResult = field(repr=False)


def _permuted_statistic(estimator, X, y_perm, metric, kwargs):
    result = nested_cross_validate(estimator, X, y_perm, **kwargs)
    return pooled_metrics(result)[metric]


def permutation_test(
    estimator,
    X,
    y,
    *,
    n_permutations=100,
    metric="mcc",
    groups=None,
    n_jobs=None,
    random_state=0,
    verbose=1,
    **nested_kwargs,
):
    """Label-permutation p-value of a metric, each permutation through the whole nested CV.

    The labels are shuffled (within groups when ``groups`` is given), and the complete
    :func:`nested_cross_validate` (inner search included) runs on each shuffle with the
    same splitter seeds; the p-value is the fraction of shuffles scoring at least as high
    as the true labels (counting the true labels as one shuffle).

    Parameters
    ----------
    estimator, X, y
        As for :func:`nested_cross_validate`.
    n_permutations : int, default=100
        Number of label shuffles; the smallest reachable p-value is ``1/(n_permutations+1)``.
    metric : str, default="mcc"
        Name from :data:`~skfmm.evaluation.METRICS`; higher must mean better.
    groups : array-like, default=None
        Passed to the nested CV; labels are shuffled within each group.
    n_jobs : int, default=None
        Permutations run in parallel through joblib (Dask under
        :func:`skfmm.parallel.dask_backend`); the p-value does not depend on it.
    random_state : int, default=0
        Seeds the shuffles and the nested CV splitters.
    verbose : int, default=1
        0 silences the progress bar.
    **nested_kwargs
        Other arguments of :func:`nested_cross_validate` (``param_grid``, ``outer_cv``,
        ``n_repeats``, ``fold_fitter``, ``cache_dir``, ...).

    Returns
    -------
    PermutationTestResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import permutation_test
    >>> y = np.repeat([0, 1], 15)
    >>> X = np.random.default_rng(0).normal(size=(30, 2)) + 3 * y[:, None]
    >>> res = permutation_test(LogisticRegression(), X, y, n_permutations=9, n_repeats=1,
    ...                        verbose=0)
    >>> res.p_value
    0.1
    """
    who = "permutation_test"
    if metric not in METRICS:
        raise ValueError(f"{who}: 'metric' must be one of {METRICS}; got {metric!r}.")
    if not isinstance(n_permutations, numbers.Integral) or n_permutations < 1:
        raise ValueError(f"{who}: 'n_permutations' must be a positive int; got {n_permutations!r}.")
    for reserved in ("n_jobs", "verbose", "return_predictions"):
        if reserved in nested_kwargs:
            raise TypeError(f"{who}: '{reserved}' is set by permutation_test itself.")
    y = np.asarray(y)
    kwargs = dict(nested_kwargs, groups=groups, random_state=random_state, verbose=0,
                  return_predictions=True, n_jobs=1)
    observed = nested_cross_validate(estimator, X, y, **kwargs)
    statistic = pooled_metrics(observed)[metric]

    rng = np.random.default_rng(random_state)
    if groups is None:
        perms = [rng.permutation(len(y)) for _ in range(n_permutations)]
    else:
        groups_arr = np.asarray(groups)
        perms = []
        for _ in range(n_permutations):
            order = np.arange(len(y))
            for g in np.unique(groups_arr):
                members = np.flatnonzero(groups_arr == g)
                order[members] = members[rng.permutation(len(members))]
            perms.append(order)
    jobs = joblib.Parallel(n_jobs=n_jobs, return_as="generator")(
        joblib.delayed(_permuted_statistic)(estimator, X, y[p], metric, kwargs) for p in perms
    )
    null = np.array(
        list(tqdm(jobs, total=n_permutations, desc=f"{who} ({metric})",
                  disable=verbose == 0, leave=False)),
        dtype=float,
    )
    if np.isnan(statistic):
        p_value = np.nan
    else:
        p_value = float((1 + np.sum(null >= statistic)) / (1 + n_permutations))
    return PermutationTestResult(
        metric=metric, statistic=float(statistic), p_value=p_value,
        null_distribution=null, result=observed,
    )
