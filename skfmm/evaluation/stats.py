"""Bootstrap statistics on plain arrays: pooled metrics from subject weights, intervals.

Knows nothing of :class:`~skfmm.evaluation.NestedCVResult`, so every other module of
``skfmm.evaluation`` can use it without importing one another.
"""

from __future__ import annotations

import numpy as np

from .metrics import METRICS, _metrics_from_weights

__all__ = []


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


def _point_weights(n_subjects):
    """The weights of the point estimate: every subject once."""
    return np.ones((1, n_subjects))


def _subject_weights(n_subjects, n_boot, random_state):
    """``n_boot`` subject-bootstrap samples as multiplicities, ``(n_boot, n_subjects)``.

    Sharing one draw between models (or protocols) pairs their bootstrap samples.
    """
    rng = np.random.default_rng(random_state)
    weights = rng.multinomial(n_subjects, np.full(n_subjects, 1.0 / n_subjects), size=n_boot)
    return weights.astype(float)


def _fold_bootstrap_means(values, n_boot, random_state):
    """Means of ``n_boot`` resamples (with replacement) of the per-fold ``values``."""
    rng = np.random.default_rng(random_state)
    return values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)


def _interval(boot, ci):
    """Percentile interval of the finite bootstrap values; NaN, NaN when none is finite."""
    alpha = (1.0 - ci) / 2.0
    finite = boot[np.isfinite(boot)]
    if len(finite) == 0:
        return np.nan, np.nan
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(low), float(high)
