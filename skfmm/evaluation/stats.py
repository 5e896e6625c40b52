"""Interval statistics on plain arrays: the corrected repeated-CV t interval, a mean's bootstrap.

Knows nothing of :class:`~skfmm.evaluation.NestedCVResult`, so every other module of
``skfmm.evaluation`` (and :mod:`skfmm.interpret`) can use it without importing one another.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats as _scipy_stats

from ..utils._docs import fill_doc

__all__ = ["corrected_t_interval", "bootstrap_mean_interval"]


@fill_doc
def corrected_t_interval(values, test_train_ratio, ci=0.95, *, bounds=None, null=0.0,
                         transform=False):
    """Mean of per-fold values with the corrected repeated-CV t interval and its p-value.

    The variance of the mean of ``k`` fold values (``r`` repeats of a K-fold split) is
    ``(1/k + n_test/n_train) * s**2`` (Nadeau & Bengio, 2003, "corrected resampled t"; with
    the ``k - 1`` degrees of freedom of Bouckaert & Frank, 2004): the second term accounts for
    the folds sharing training subjects, which the plain ``s**2 / k`` ignores.

    A t interval is symmetric and can pass a metric's bound (an MCC interval up to 1.08).
    With ``bounds`` (the metric's range) the interval lies inside it by construction, in one
    of two ways:

    - ``transform=False`` (default): the t interval intersected with the range. The true
      value lies in the range, so the intersection contains it whenever the t interval does:
      the coverage is exactly that of the t interval, and so is the p-value. An end at the
      bound says "the data allow values up to the bound".
    - ``transform=True``: the interval is built on the scale ``z = atanh(u)``, ``u`` the mean
      rescaled to ``[-1, 1]`` (Fisher's z for a correlation such as MCC, half the logit for
      a proportion such as AUROC); the standard error moves there by the delta method
      (``se_z = se_u / (1 - u**2)``) and the interval comes back through ``tanh``. It is
      asymmetric, shorter toward the bound and longer toward the middle, as it would be if
      the fold-to-fold spread shrank near a bound; it contains a central value (MCC 0, AUROC
      0.5) whenever the t interval does. The p-value is this interval inverted, on the same
      scale.

    The estimate is the mean of the values either way; the p-value is two-sided, of
    ``H0: mean == null``, and below ``1 - ci`` exactly when the interval excludes ``null``.

    Parameters
    ----------
    values : array-like of shape (k,)
        One value per outer fold (all repeats); NaN values are refused.
    test_train_ratio : float
        ``n_test / n_train`` of the folds (their mean when sizes differ by one).
    %(ci)s
    bounds : tuple of two floats, default=None
        ``(low, high)``: the range the values lie in (a metric's range,
        :data:`~skfmm.evaluation.METRIC_RANGES`); values outside it are refused. None: the
        plain symmetric t interval.
    null : float or None, default=0.0
        The value the p-value tests (strictly inside ``bounds``); None: no p-value.
    transform : bool, default=False
        With ``bounds``: the Fisher-z / logit construction rather than the intersection.

    Returns
    -------
    tuple of float
        ``(mean, ci_low, ci_high, p_value)``. With one fold, or when every fold has the same
        value (no estimate of the spread), the interval and p-value are NaN.

    Examples
    --------
    >>> from skfmm.evaluation.stats import corrected_t_interval
    >>> mean, low, high, p = corrected_t_interval([0.1, 0.3, -0.1, 0.2, 0.0], 0.25)
    >>> [round(float(v), 2) for v in (mean, low, high, p)]
    [0.1, -0.19, 0.39, 0.4]

    Near a bound the plain interval passes it; the bounded ones do not:

    >>> folds = [0.9, 1.0, 0.7, 1.0, 0.8]
    >>> [round(float(v), 2) for v in corrected_t_interval(folds, 0.25)[1:3]]
    [0.64, 1.12]
    >>> [round(float(v), 2) for v in corrected_t_interval(folds, 0.25, bounds=(-1, 1))[1:3]]
    [0.64, 1.0]
    >>> [round(float(v), 2)
    ...  for v in corrected_t_interval(folds, 0.25, bounds=(-1, 1), transform=True)[1:3]]
    [0.29, 0.99]
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) == 0 or not np.all(np.isfinite(values)):
        raise ValueError("corrected_t_interval: 'values' must be a non-empty 1-D array of finite "
                         f"per-fold values; got {values!r}.")
    if not (np.isfinite(test_train_ratio) and test_train_ratio >= 0):
        raise ValueError("corrected_t_interval: 'test_train_ratio' must be a finite number >= 0; "
                         f"got {test_train_ratio!r}.")
    if bounds is not None:
        _check_bounds(values, bounds, null, "corrected_t_interval")
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
    if bounds is None or not transform:
        p_value = (np.nan if null is None
                   else float(2.0 * _scipy_stats.t.sf(abs(mean - null) / se, df=k - 1)))
        low, high = mean - t_crit * se, mean + t_crit * se
        if bounds is not None:
            low, high = max(low, float(bounds[0])), min(high, float(bounds[1]))
        return mean, float(low), float(high), p_value
    centre, half = (bounds[0] + bounds[1]) / 2.0, (bounds[1] - bounds[0]) / 2.0
    # sd > 0 puts the mean strictly inside the range; the clip only absorbs rounding.
    u = float(np.clip((mean - centre) / half, -1.0 + 1e-15, 1.0 - 1e-15))
    z = float(np.arctanh(u))
    se_z = se / half / (1.0 - u * u)
    low = centre + half * float(np.tanh(z - t_crit * se_z))
    high = centre + half * float(np.tanh(z + t_crit * se_z))
    p_value = np.nan
    if null is not None:
        z_null = float(np.arctanh((null - centre) / half))
        p_value = float(2.0 * _scipy_stats.t.sf(abs(z - z_null) / se_z, df=k - 1))
    return mean, low, high, p_value


def _check_bounds(values, bounds, null, who):
    """Refuse bounds that are not a range, values outside them, a null not inside them."""
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: 'bounds' must be two numbers (low, high); got {bounds!r}.")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{who}: 'bounds' must be two finite numbers (low, high) with "
                         f"low < high; got {bounds!r}.")
    slack = 1e-9 * (high - low)  # rounding of the metric computations
    if len(values) and (values.min() < low - slack or values.max() > high + slack):
        raise ValueError(f"{who}: 'values' must lie in 'bounds' {bounds!r}; got values from "
                         f"{float(values.min())!r} to {float(values.max())!r}.")
    if null is not None and not low < null < high:
        raise ValueError(f"{who}: 'null' must lie strictly inside 'bounds' {bounds!r}; got "
                         f"{null!r}.")


@fill_doc
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
    %(ci)s
    %(random_state)s
        It seeds the resampling.
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
