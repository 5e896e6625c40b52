"""Summaries of nested cross-validation results: estimates, intervals, paired differences.

The default interval is the corrected repeated-CV t interval on the per-fold values; the subject
bootstrap of the pooled out-of-fold predictions and the fold bootstrap stay available by name.
A result is recognised by its fields rather than by its class: ``results.py`` imports this
module for :meth:`NestedCVResult.summary`, so importing it back would make a cycle.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings

import numpy as np
import pandas as pd

from ..utils._docs import fill_doc
from ._bootstrap import (
    percentile_interval,
    point_weights,
    pooled_values,
    subject_weights,
    swapped_values,
)
from .metrics import CHANCE_LEVELS, METRIC_RANGES, METRICS
from .stats import bootstrap_mean_interval, corrected_t_interval

__all__ = ["summarize", "pooled_metrics", "paired_difference", "one_class_predictions"]

#: The fields of :class:`~skfmm.evaluation.NestedCVResult` that the summaries read.
_RESULT_FIELDS = ("model", "folds", "predictions", "splits", "classes", "pos_label")

#: Columns of :func:`summarize`.
_COLUMNS = ["model", "metric", "mean", "ci_low", "ci_high", "method", "n_folds", "chance",
            "p_value", "p_null", "one_class", "note"]

#: The interval methods of :func:`summarize` and :func:`paired_difference`.
METHODS = ("corrected_t", "corrected_t_transformed", "subjects", "folds")

#: The t-based methods, and the fewest outer folds they give an interval from by default.
_T_METHODS = ("corrected_t", "corrected_t_transformed")
MIN_FOLDS = 5


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

    This is the point estimate of :func:`summarize` with ``method="subjects"`` and the
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
    values = pooled_values(repeats, point_weights(n_subjects))
    return {m: float(values[m][0]) for m in METRICS}


def _require_predictions(result, who):
    if not _is_result(result) or result.predictions is None:
        raise ValueError(
            f"{who} needs a NestedCVResult with out-of-fold predictions "
            "(nested_cross_validate(..., return_predictions=True)); got "
            f"{type(result).__name__}{' without predictions' if _is_result(result) else ''}."
        )


def one_class_predictions(result):
    """Whether a result predicted a single class for every subject of every outer fold.

    Such a model has MCC 0 in every fold whatever the data (the limit value of a constant
    prediction), so its interval collapses to ``[0, 0]``: a table should say "one class"
    rather than show a precise zero. None when the result kept no predictions.

    Parameters
    ----------
    result : NestedCVResult

    Returns
    -------
    bool or None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skfmm.evaluation import nested_cross_validate, one_class_predictions
    >>> X, y = np.zeros((20, 1)), np.repeat([0, 1], 10)
    >>> res = nested_cross_validate(DummyClassifier(), X, y, n_repeats=1, verbose=0)
    >>> one_class_predictions(res)
    True
    """
    if not _is_result(result):
        raise TypeError("one_class_predictions: 'result' must be a NestedCVResult; got "
                        f"{type(result).__name__}.")
    if result.predictions is None:
        return None
    n_classes = result.predictions.groupby(["repeat", "fold"])["y_pred"].nunique()
    return bool((n_classes <= 1).all())


def _fold_table_values(folds, metric, who, model):
    """Finite per-fold values of ``metric`` with their ``(repeat, fold)`` keys; warns on NaN."""
    if metric not in folds:
        raise ValueError(f"{who}: the fold table of {model!r} has no column {metric!r}.")
    values = folds[metric].to_numpy(dtype=float)
    finite = np.isfinite(values)
    if not finite.all():
        warnings.warn(
            f"{who}: {model} {metric} is undefined (NaN) on {int((~finite).sum())} of "
            f"{len(values)} folds; the mean and interval use the other folds.",
            stacklevel=4,
        )
    return values, finite


def _test_train_ratio(folds, who, model):
    missing = [c for c in ("n_train", "n_test") if c not in folds]
    if missing:
        raise ValueError(
            f"{who}: method='corrected_t' needs the fold sizes; the fold table of {model!r} "
            f"lacks the columns {missing} (expected those of NestedCVResult.folds)."
        )
    return float(np.mean(folds["n_test"].to_numpy(float) / folds["n_train"].to_numpy(float)))


def _chance(folds, metric, finite):
    """The chance level of ``metric`` (None where it has none) and how the p-value names it."""
    level = CHANCE_LEVELS[metric]
    if level is None:
        return None, (f"no p-value: {metric} has no chance level independent of the "
                      "classifier's predicted class rates")
    if level == "majority":
        if "train_majority_rate" not in folds:
            return None, ("no p-value: the fold table has no train_majority_rate, the chance "
                          "level of accuracy")
        level = float(np.mean(folds["train_majority_rate"].to_numpy(float)[finite]))
        return level, (f"two-sided, H0: {metric} = {level:.3f} (chance level: the training "
                       "folds' majority-class rate)")
    return float(level), f"two-sided, H0: {metric} = {level:g} (chance level)"


def _t_note(k, min_folds, low):
    """Why a t interval is missing (NaN), or ''."""
    if k < min_folds:
        return (f"no interval: {k} outer fold{'s' if k != 1 else ''}, fewer than "
                f"min_folds={min_folds} for a t interval")
    if not np.isfinite(low):
        return "no interval: the same value in every fold (no spread to estimate)"
    return ""


def _summarize_t(model, folds, metrics, ci, one_class, method, min_folds, who="summarize"):
    ratio = _test_train_ratio(folds, who, model)
    rows = []
    for m in metrics:
        values, finite = _fold_table_values(folds, m, who, model)
        k = int(finite.sum())
        chance, p_null = _chance(folds, m, finite)
        if k == 0:
            rows.append([model, m, np.nan, np.nan, np.nan, method, 0, chance, np.nan,
                         "no p-value: undefined in every fold", one_class,
                         f"{m} undefined in every fold"])
            continue
        mean, low, high, p = corrected_t_interval(
            values[finite], ratio, ci, bounds=METRIC_RANGES[m], null=chance,
            transform=method == "corrected_t_transformed")
        note = _t_note(k, min_folds, low)
        if note:
            low = high = p = np.nan
            p_null = "no p-value: " + note.removeprefix("no interval: ")
        rows.append([model, m, mean, low, high, method, k, chance, p, p_null, one_class, note])
    return rows


_NO_P_BOOTSTRAP = "no p-value with a bootstrap interval (method='corrected_t' gives one)"


def _summarize_subjects(result, metrics, n_boot, ci, random_state, one_class):
    _require_predictions(result, "summarize(method='subjects')")
    n_subjects, repeats = _prediction_arrays(result)
    point = pooled_values(repeats, point_weights(n_subjects))
    boot = pooled_values(repeats, subject_weights(n_subjects, n_boot, random_state))
    rows = []
    for m in metrics:
        estimate = float(point[m][0])
        note = ""
        if np.isnan(estimate):
            low = high = np.nan
            note = f"{m} undefined on the pooled predictions"
        else:
            n_undefined = int(np.sum(~np.isfinite(boot[m])))
            if n_undefined:
                warnings.warn(
                    f"summarize: {result.model} {m} was undefined in {n_undefined} of "
                    f"{n_boot} bootstrap samples (a sample with one class); they are left "
                    "out of the interval.",
                    stacklevel=3,
                )
            # Each bootstrap value is the metric of a resample, so the percentiles lie in
            # the metric's range.
            low, high = percentile_interval(boot[m], ci)
        chance, _ = _chance(result.folds, m, np.ones(len(result.folds), bool))
        rows.append([result.model, m, estimate, low, high, "subjects", len(result.folds),
                     chance, np.nan, _NO_P_BOOTSTRAP, one_class, note])
    return rows


def _summarize_folds(model, folds, metrics, n_boot, ci, random_state, one_class):
    rows = []
    for m in metrics:
        values, finite = _fold_table_values(folds, m, "summarize", model)
        k = int(finite.sum())
        chance, _ = _chance(folds, m, finite)
        if k == 0:
            rows.append([model, m, np.nan, np.nan, np.nan, "folds", 0, chance, np.nan,
                         _NO_P_BOOTSTRAP, one_class, f"{m} undefined in every fold"])
            continue
        # Bootstrap means of values in the range stay in the range.
        mean, low, high = bootstrap_mean_interval(values[finite], n_boot=n_boot, ci=ci,
                                                  random_state=random_state)
        note = ""
        if k < 2 or np.ptp(values[finite]) == 0:
            low = high = np.nan  # not a zero-width interval that would claim certainty
            note = ("no interval: a single fold" if k < 2 else
                    "no interval: the same value in every fold (no spread to estimate)")
        rows.append([model, m, mean, low, high, "folds", k, chance, np.nan, _NO_P_BOOTSTRAP,
                     one_class, note])
    return rows


def _auto_method(folds, has_predictions):
    """corrected_t when there are two folds or more and their sizes are known."""
    if len(folds) >= 2 and "n_train" in folds and "n_test" in folds:
        return "corrected_t"
    return "subjects" if has_predictions else "folds"


def _check_min_folds(who, min_folds):
    if not isinstance(min_folds, numbers.Integral) or isinstance(min_folds, bool) or min_folds < 2:
        raise ValueError(f"{who}: 'min_folds' must be an int >= 2; got {min_folds!r}.")


def _check_common(who, n_boot, ci, method):
    if not isinstance(n_boot, numbers.Integral) or isinstance(n_boot, bool) or n_boot < 1:
        raise ValueError(f"{who}: 'n_boot' must be a positive int; got {n_boot!r}.")
    if not (isinstance(ci, numbers.Real) and 0 < ci < 1):
        raise ValueError(f"{who}: 'ci' must be a number in (0, 1); got {ci!r}.")
    if method not in ("auto",) + METHODS:
        raise ValueError(f"{who}: 'method' must be one of {('auto',) + METHODS}; got "
                         f"{method!r}.")


@fill_doc
def summarize(results, metrics=None, *, n_boot=2000, ci=0.95, random_state=0, method="auto",
              min_folds=MIN_FOLDS):
    """Estimate, confidence interval and p-value against chance of each metric, per model.

    Every interval lies inside its metric's range (:data:`~skfmm.evaluation.METRIC_RANGES`),
    and every p-value tests the metric's chance level
    (:data:`~skfmm.evaluation.CHANCE_LEVELS`), not 0.

    Parameters
    ----------
    results : NestedCVResult, list or dict of them, or DataFrame
        Results of :func:`nested_cross_validate` (a dict's keys replace the model names),
        or a per-fold table with a ``model`` column and metric columns (as
        ``NestedCVResult.folds``; ``n_train`` and ``n_test`` columns for ``"corrected_t"``).
    metrics : list of str, default=None
        Names from :data:`~skfmm.evaluation.METRICS`; default all.
    %(n_boot_methods)s
    %(ci)s
    %(random_state)s
        It seeds the bootstrap, the same for every model (so adding a model changes no
        other model's interval).
    method : {"auto", "corrected_t", "corrected_t_transformed", "subjects", "folds"}, \
            default="auto"
        ``"corrected_t"``: the estimate is the mean of the per-fold values (every fold of
        every repeat) and the interval the corrected repeated-CV t interval
        (:func:`~skfmm.evaluation.stats.corrected_t_interval`: Nadeau & Bengio 2003,
        Bouckaert & Frank 2004), whose variance term ``(1/k + n_test/n_train) s**2`` accounts
        for the folds sharing training subjects, intersected with the metric's range (which
        keeps its coverage exactly); ``p_value`` is its two-sided p-value against the
        chance level. ``"corrected_t_transformed"``: the same t interval built on the
        Fisher-z (MCC) or logit (the proportions) scale of the mean and mapped back:
        asymmetric, wider toward the middle of the range (``docs/evaluation.md`` measures
        both). ``"subjects"``: the estimate is each metric on the pooled out-of-fold
        predictions of a repeat, averaged over repeats; the interval resamples subjects with
        replacement and recomputes that estimate (it treats the trained models as fixed, so
        it is too narrow: 78-86 % coverage of 0 on null cohorts). ``"folds"``: the mean of
        the per-fold values with a BCa bootstrap over folds (``scipy.stats.bootstrap``;
        narrower still). ``"auto"``: ``"corrected_t"`` when there are two folds or more with
        known sizes, else ``"subjects"`` when predictions exist, else ``"folds"``.
    %(min_folds)s

    Returns
    -------
    pandas.DataFrame
        One row per model and metric, columns:

        - ``model``, ``metric``, ``mean`` (the estimate), ``ci_low``, ``ci_high``,
          ``method``, ``n_folds`` (the folds where the metric is defined);
        - ``chance``: the metric's chance level (MCC 0, AUROC and balanced accuracy 0.5,
          accuracy the majority-class rate of the training folds; NaN for F1, sensitivity
          and specificity, whose chance value depends on the classifier);
        - ``p_value``: two-sided p-value of the t methods against ``chance`` (below
          ``1 - ci`` exactly when the interval excludes it); NaN for the bootstraps and
          where there is no chance level; ``p_null`` says in words what it tests or why
          there is none;
        - ``one_class`` (:func:`one_class_predictions`; None for a per-fold table);
        - ``note``: why the interval is missing, or ``""``.

        ``attrs["method"]`` records the method (``"mixed"`` when it differs between models).

    Notes
    -----
    No unbiased estimator of the variance of a K-fold estimate exists (Bengio & Grandvalet,
    2004); the corrected t interval is a heuristic correction whose coverage is measured,
    not assumed (``benchmarks/ci_coverage.py``). For a p-value valid whatever the
    dependence between folds, use :func:`~skfmm.evaluation.permutation_test`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import nested_cross_validate, summarize
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 30)
    >>> X = rng.normal(size=(60, 2)) + 2 * y[:, None]
    >>> res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
    >>> table = summarize(res, metrics=["mcc", "auroc"])
    >>> table.loc[0, "method"], bool(table.loc[0, "ci_low"] > 0)
    ('corrected_t', True)
    >>> bool(table.loc[1, "ci_high"] <= 1.0), table.loc[1, "p_null"]
    (True, 'two-sided, H0: auroc = 0.5 (chance level)')
    """
    who = "summarize"
    metrics = _check_metrics(metrics, who)
    _check_common(who, n_boot, ci, method)
    _check_min_folds(who, min_folds)
    if isinstance(results, pd.DataFrame):
        if method == "subjects":
            raise ValueError(
                f"{who}: method='subjects' needs NestedCVResult objects with predictions; "
                "got a per-fold DataFrame."
            )
        if "model" not in results:
            raise ValueError(f"{who}: the per-fold DataFrame needs a 'model' column.")
        items = [(model, folds, None) for model, folds in results.groupby("model", sort=False)]
    else:
        if _is_result(results):
            pairs = [(results.model, results)]
        elif isinstance(results, dict):
            pairs = list(results.items())
        elif isinstance(results, (list, tuple)):
            pairs = [(getattr(r, "model", None), r) for r in results]
        else:
            raise TypeError(
                f"{who}: 'results' must be a NestedCVResult, a list or dict of them, or a "
                f"per-fold DataFrame; got {type(results).__name__}."
            )
        items = []
        for model, result in pairs:
            if not _is_result(result):
                raise TypeError(
                    f"{who}: every result must be a NestedCVResult; got {type(result).__name__}."
                )
            if model != result.model:
                result = dataclasses.replace(result, model=str(model))
            items.append((result.model, result.folds, result))
    rows, used = [], set()
    for model, folds, result in items:
        has_predictions = result is not None and result.predictions is not None
        use = _auto_method(folds, has_predictions) if method == "auto" else method
        one_class = one_class_predictions(result) if result is not None else None
        if use in _T_METHODS:
            rows += _summarize_t(model, folds, metrics, ci, one_class, use, min_folds)
        elif use == "subjects":
            rows += _summarize_subjects(result, metrics, n_boot, ci, random_state, one_class)
        else:
            rows += _summarize_folds(model, folds, metrics, n_boot, ci, random_state, one_class)
        used.add(use)
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table.attrs["method"] = used.pop() if len(used) == 1 else "mixed"
    table.attrs["ci"] = ci
    return table


@fill_doc
def paired_difference(a, b, *, metric="mcc", method="auto", n_boot=2000, n_permutations=2000,
                      ci=0.95, random_state=0, min_folds=MIN_FOLDS, names=("a", "b"),
                      who="paired_difference"):
    """Difference of a metric between two results on the same splits (``b`` minus ``a``).

    Parameters
    ----------
    a, b : NestedCVResult
        With predictions, from the same outer splits of the same subjects (the same
        ``outer_cv``, ``n_repeats`` and ``random_state`` of
        :func:`nested_cross_validate`); ``a`` is the reference.
    %(metric)s
    method : {"auto", "corrected_t", "corrected_t_transformed", "subjects"}, default="auto"
        ``"corrected_t"`` (``"auto"`` with two folds or more): the difference is the mean of
        the per-fold differences ``b - a`` (same fold, same test subjects), with the
        corrected repeated-CV t interval and p-value on those differences (the corrected
        resampled paired t-test of Nadeau & Bengio 2003), intersected with the range of a
        difference (``[-2, 2]`` for MCC, ``[-1, 1]`` for the others);
        ``"corrected_t_transformed"``: built on the Fisher-z scale of the difference over
        its range instead (as :func:`summarize`). ``"subjects"``: the difference of
        the pooled metrics (:func:`pooled_metrics`) with a paired subject bootstrap (every
        bootstrap sample scores both results on the same resampled subjects); it treats the
        trained models as fixed and is too narrow.
    %(n_boot_methods)s
    %(n_permutations_swaps)s
    %(ci)s
    %(random_state)s
        It seeds the bootstrap and the swaps.
    %(min_folds)s
    names : tuple of two str, default=("a", "b")
        How error messages name ``a`` and ``b``: a function that passes its own arguments
        on gives their names, so that its callers read errors about what they passed.
    who : str, default="paired_difference"
        The function error messages start with (that caller's name).

    Returns
    -------
    dict
        ``metric``; ``method``; ``difference`` (``b`` minus ``a``); ``ci_low``, ``ci_high``;
        ``n_folds``; ``p_value`` (two-sided, of the corrected t, ``H0: difference = 0``;
        NaN for ``"subjects"``); ``p_null`` (what both p-values test); ``note`` (why the
        interval is missing, or ``""``);
        ``p_permutation`` (two-sided paired permutation p-value of the pooled difference: each
        permutation swaps the two results' out-of-fold predictions of a random half of the
        subjects, the same subjects in every repeat;
        ``(1 + #{|swapped| >= |observed|}) / (1 + n_permutations)``); ``a``, ``b`` (the two
        estimates the difference is made of: per-fold means for ``"corrected_t"``, pooled
        values for ``"subjects"``); ``pooled_difference`` (the pooled metric of ``b`` minus
        that of ``a``).

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
    >>> diff = paired_difference(chance, logreg, n_permutations=199)
    >>> diff["method"], bool(diff["ci_low"] > 0), diff["p_permutation"]
    ('corrected_t', True, 0.005)
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
    _check_common(who, n_boot, ci, method)
    _check_min_folds(who, min_folds)
    if method == "folds":
        raise ValueError(f"{who}: 'method' must be 'auto', 'corrected_t', "
                         "'corrected_t_transformed' or 'subjects'; got 'folds'.")
    if (not isinstance(n_permutations, numbers.Integral) or isinstance(n_permutations, bool)
            or n_permutations < 0):
        raise ValueError(f"{who}: 'n_permutations' must be an int >= 0; got "
                         f"{n_permutations!r}.")
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
    pooled_a = float(pooled_values(repeats_a, point_weights(n_a))[metric][0])
    pooled_b = float(pooled_values(repeats_b, point_weights(n_b))[metric][0])
    observed = pooled_b - pooled_a
    use = _auto_method(a.folds, True) if method == "auto" else method
    out = {"metric": metric, "method": use, "note": "",
           "p_null": f"two-sided, H0: {metric} difference = 0"}
    if use in _T_METHODS:
        ratio = _test_train_ratio(b.folds, who, name_b)
        keys = ["repeat", "fold"]
        merged = a.folds[keys + [metric]].merge(b.folds[keys + [metric]], on=keys,
                                                suffixes=("_a", "_b"))
        fa, fb = merged[f"{metric}_a"].to_numpy(float), merged[f"{metric}_b"].to_numpy(float)
        finite = np.isfinite(fa) & np.isfinite(fb)
        if not finite.all():
            warnings.warn(f"{who}: {metric} is undefined (NaN) on {int((~finite).sum())} of "
                          f"{len(fa)} folds of '{name_a}' or '{name_b}'; the difference uses the "
                          "other folds.", stacklevel=2)
        low_m, high_m = METRIC_RANGES[metric]
        span = high_m - low_m
        if finite.any():
            diff, low, high, p = corrected_t_interval(
                fb[finite] - fa[finite], ratio, ci, bounds=(-span, span), null=0.0,
                transform=use == "corrected_t_transformed")
            mean_a, mean_b = float(fa[finite].mean()), float(fb[finite].mean())
            out["note"] = _t_note(int(finite.sum()), min_folds, low)
            if out["note"]:
                low = high = p = np.nan
        else:
            diff = low = high = p = mean_a = mean_b = np.nan
            out["note"] = f"{metric} undefined in every fold"
        out.update(difference=diff, ci_low=low, ci_high=high, n_folds=int(finite.sum()),
                   p_value=p)
    else:
        # One draw of subjects scores both results: the bootstrap is paired.
        weights = subject_weights(n_b, n_boot, random_state)
        boot = (pooled_values(repeats_b, weights)[metric]
                - pooled_values(repeats_a, weights)[metric])
        low, high = percentile_interval(boot, ci)
        mean_a, mean_b = pooled_a, pooled_b
        out.update(difference=observed, ci_low=low, ci_high=high, n_folds=len(b.folds),
                   p_value=np.nan)
    out["p_permutation"] = _swap_p_value(repeats_a, repeats_b, n_b, observed, metric,
                                         n_permutations, random_state)
    out.update(a=mean_a, b=mean_b, pooled_difference=observed)
    return out


def _swap_p_value(repeats_a, repeats_b, n_subjects, observed, metric, n_permutations,
                  random_state):
    """Two-sided paired permutation p-value: swap the two results' predictions per subject."""
    if n_permutations == 0 or not np.isfinite(observed):
        return np.nan
    rng = np.random.default_rng([random_state, 1])  # not the bootstrap's stream
    swap = rng.integers(0, 2, size=(int(n_permutations), n_subjects)).astype(float)
    swapped_b = swapped_values(repeats_a, repeats_b, swap)[metric]
    swapped_a = swapped_values(repeats_b, repeats_a, swap)[metric]
    null = swapped_b - swapped_a
    null = null[np.isfinite(null)]
    # A small tolerance so that ties with the observed value (common: MCC takes few values
    # on a small cohort) count as at least as extreme.
    hits = np.sum(np.abs(null) >= abs(observed) - 1e-12)
    return float((1 + hits) / (1 + len(null)))


def _first_differing_split(splits_a, splits_b):
    """How two lists of outer splits differ (by their test rows), or None if they do not."""
    if len(splits_a) != len(splits_b):
        return f"{len(splits_a)} and {len(splits_b)} outer folds"
    for i, (split_a, split_b) in enumerate(zip(splits_a, splits_b)):
        if not np.array_equal(split_a[1], split_b[1]):
            return f"other test rows in outer fold {i}"
    return None
