"""Interval statistics on plain arrays: the corrected repeated-CV t interval, the bootstraps.

Knows nothing of :class:`~skfmm.evaluation.NestedCVResult`, so every other module of
``skfmm.evaluation`` (and :mod:`skfmm.interpret`) can use it without importing one another.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats as _scipy_stats

from .metrics import METRICS, _metrics_from_weights

__all__ = ["corrected_t_interval", "bootstrap_mean_interval"]


def corrected_t_interval(values, test_train_ratio, ci=0.95):
    """Mean of per-fold values with the corrected repeated-CV t interval and its p-value.

    The variance of the mean of ``k`` fold values (``r`` repeats of a K-fold split) is
    ``(1/k + n_test/n_train) * s**2`` (Nadeau & Bengio, 2003, "corrected resampled t"; with
    the ``k - 1`` degrees of freedom of Bouckaert & Frank, 2004): the second term accounts for
    the folds sharing training subjects, which the plain ``s**2 / k`` ignores.

    Parameters
    ----------
    values : array-like of shape (k,)
        One value per outer fold (all repeats); NaN values are refused.
    test_train_ratio : float
        ``n_test / n_train`` of the folds (their mean when sizes differ by one).
    ci : float, default=0.95

    Returns
    -------
    tuple of float
        ``(mean, ci_low, ci_high, p_value)``; the p-value is two-sided, against 0. With one
        fold, or when every fold has the same value (no estimate of the spread), the interval
        and p-value are NaN.

    Examples
    --------
    >>> from skfmm.evaluation.stats import corrected_t_interval
    >>> mean, low, high, p = corrected_t_interval([0.1, 0.3, -0.1, 0.2, 0.0], 0.25)
    >>> [round(float(v), 2) for v in (mean, low, high, p)]
    [0.1, -0.19, 0.39, 0.4]
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) == 0 or not np.all(np.isfinite(values)):
        raise ValueError("corrected_t_interval: 'values' must be a non-empty 1-D array of finite "
                         f"per-fold values; got {values!r}.")
    if not (np.isfinite(test_train_ratio) and test_train_ratio >= 0):
        raise ValueError("corrected_t_interval: 'test_train_ratio' must be a finite number >= 0; "
                         f"got {test_train_ratio!r}.")
    k = len(values)
    mean = float(values.mean())
    if k < 2:
        return mean, np.nan, np.nan, np.nan
    sd = float(values.std(ddof=1))
    if sd == 0.0:
        # Identical fold values (a constant prediction, or MCC's few values on tiny folds)
        # give no estimate of the spread: a zero-width interval would claim certainty.
        return mean, np.nan, np.nan, np.nan
    se = sd * np.sqrt(1.0 / k + float(test_train_ratio))
    t_crit = float(_scipy_stats.t.ppf(0.5 + ci / 2.0, df=k - 1))
    p_value = float(2.0 * _scipy_stats.t.sf(abs(mean) / se, df=k - 1))
    return mean, float(mean - t_crit * se), float(mean + t_crit * se), p_value


def bootstrap_mean_interval(values, *, n_boot, ci=0.95, random_state=0, method="BCa"):
    """Bootstrap interval of the mean of ``values`` along axis 0 (``scipy.stats.bootstrap``).

    The one bootstrap of a plain mean in skfmm (per-fold values, per-subject modality
    shares). ``values`` may be 2-D ``(n, m)``: one interval per column, from the same
    resamples of the rows. A sample of one row, or a column whose values are all equal,
    gets the degenerate interval ``[mean, mean]`` (the bootstrap cannot say more).

    Parameters
    ----------
    values : array-like of shape (n,) or (n, m)
    n_boot : int
    ci : float, default=0.95
    random_state : int, default=0
    method : {"BCa", "percentile", "basic"}, default="BCa"

    Returns
    -------
    tuple of (float or ndarray)
        ``(mean, ci_low, ci_high)``, each of shape ``()`` or ``(m,)``.

    Examples
    --------
    >>> from skfmm.evaluation.stats import bootstrap_mean_interval
    >>> mean, low, high = bootstrap_mean_interval([0.1, 0.3, -0.1, 0.2, 0.0], n_boot=999)
    >>> bool(low < mean < high), round(float(mean), 2)
    (True, 0.1)
    """
    values = np.asarray(values, dtype=float)
    mean = values.mean(axis=0)
    low, high = np.array(mean, dtype=float, copy=True), np.array(mean, dtype=float, copy=True)
    spread = np.ptp(values, axis=0) > 0 if len(values) > 1 else np.zeros_like(mean, dtype=bool)
    if np.any(spread):
        sub = values[:, spread] if values.ndim == 2 else values
        with warnings.catch_warnings():
            # BCa's acceleration is undefined on a sample with ties everywhere; scipy warns
            # and returns NaN, which the fallback below replaces by the percentile interval.
            warnings.simplefilter("ignore", _scipy_stats.DegenerateDataWarning)
            res = _scipy_stats.bootstrap(
                (sub,), np.mean, n_resamples=int(n_boot), confidence_level=ci, axis=0,
                method=method, random_state=np.random.default_rng(random_state), vectorized=True,
            )
            lo, hi = res.confidence_interval
            if method != "percentile" and not np.all(np.isfinite([lo, hi])):
                res = _scipy_stats.bootstrap(
                    (sub,), np.mean, n_resamples=int(n_boot), confidence_level=ci, axis=0,
                    method="percentile", random_state=np.random.default_rng(random_state),
                    vectorized=True,
                )
                lo, hi = res.confidence_interval
        if values.ndim == 2:
            low[spread], high[spread] = lo, hi
        else:
            low, high = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    if values.ndim == 1:
        return float(mean), float(low), float(high)
    return mean, low, high


def _pooled_values(repeats, subject_weights):
    """Each metric on the pooled predictions of each repeat, averaged over repeats.

    ``repeats`` holds one ``(subject_index, is_pos, pred_pos, scores)`` per repeat;
    ``subject_weights`` is ``(n_samples, n_subjects)``, one row per (bootstrap) sample.
    Returns ``{metric: ndarray of shape (n_samples,)}``.
    """
    per_repeat = [
        _metrics_from_weights(is_pos, pred_pos, scores, subject_weights[:, idx])
        for idx, is_pos, pred_pos, scores in repeats
    ]
    return {m: np.mean([values[m] for values in per_repeat], axis=0) for m in METRICS}


def _swapped_values(repeats_a, repeats_b, swap):
    """Each metric of ``b`` with the predictions of the subjects in ``swap`` taken from ``a``.

    ``swap`` is ``(n_samples, n_subjects)`` of 0/1, one swap pattern per row, the same subject
    swapped in every repeat. Scoring the two results' predictions side by side with weights
    ``1 - swap`` and ``swap`` keeps the vectorised weighted metrics. Returns
    ``{metric: ndarray of shape (n_samples,)}``, averaged over repeats.
    """
    per_repeat = []
    for (idx_a, pos_a, pred_a, s_a), (idx_b, pos_b, pred_b, s_b) in zip(repeats_a, repeats_b):
        scores = None if s_a is None or s_b is None else np.concatenate([s_b, s_a])
        weights = np.concatenate([1.0 - swap[:, idx_b], swap[:, idx_a]], axis=1)
        per_repeat.append(_metrics_from_weights(np.concatenate([pos_b, pos_a]),
                                                np.concatenate([pred_b, pred_a]), scores,
                                                weights))
    return {m: np.mean([values[m] for values in per_repeat], axis=0) for m in METRICS}


def _point_weights(n_subjects):
    """The weights of the point estimate: every subject once."""
    return np.ones((1, n_subjects))


def _subject_weights(n_subjects, n_boot, random_state):
    """``n_boot`` subject-bootstrap samples as multiplicities, ``(n_boot, n_subjects)``.

    Sharing one draw between models (or protocols) pairs their bootstrap samples. The
    pooled out-of-fold metric is recomputed from weighted confusion counts for all samples at
    once; ``benchmarks/bench_bootstrap.py`` measures this against ``scipy.stats.bootstrap``.
    """
    rng = np.random.default_rng(random_state)
    weights = rng.multinomial(n_subjects, np.full(n_subjects, 1.0 / n_subjects), size=n_boot)
    return weights.astype(float)


def _interval(boot, ci):
    """Percentile interval of the finite bootstrap values; NaN, NaN when none is finite."""
    alpha = (1.0 - ci) / 2.0
    finite = boot[np.isfinite(boot)]
    if len(finite) == 0:
        return np.nan, np.nan
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(low), float(high)
