"""The subject bootstrap of pooled out-of-fold metrics, for ``summary.py``.

Subjects are resampled as multinomial weights, and every metric of each sample is recomputed
from weighted confusion counts (:func:`~skfmm.evaluation._common.metrics_from_weights`), all
samples at once; ``benchmarks/bench_bootstrap.py`` measures this against
``scipy.stats.bootstrap``.
"""

from __future__ import annotations

import numpy as np

from ._common import metrics_from_weights
from .metrics import METRICS

__all__ = ["pooled_values", "swapped_values", "point_weights", "subject_weights",
           "percentile_interval"]


def pooled_values(repeats, subject_weights):
    """Each metric on the pooled predictions of each repeat, averaged over repeats.

    ``repeats`` holds one ``(subject_index, is_pos, pred_pos, scores)`` per repeat;
    ``subject_weights`` is ``(n_samples, n_subjects)``, one row per (bootstrap) sample.
    Returns ``{metric: ndarray of shape (n_samples,)}``.
    """
    per_repeat = [
        metrics_from_weights(is_pos, pred_pos, scores, subject_weights[:, idx])
        for idx, is_pos, pred_pos, scores in repeats
    ]
    return {m: np.mean([values[m] for values in per_repeat], axis=0) for m in METRICS}


def swapped_values(repeats_a, repeats_b, swap):
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
        per_repeat.append(metrics_from_weights(np.concatenate([pos_b, pos_a]),
                                               np.concatenate([pred_b, pred_a]), scores,
                                               weights))
    return {m: np.mean([values[m] for values in per_repeat], axis=0) for m in METRICS}


def point_weights(n_subjects):
    """The weights of the point estimate: every subject once."""
    return np.ones((1, n_subjects))


def subject_weights(n_subjects, n_boot, random_state):
    """``n_boot`` subject-bootstrap samples as multiplicities, ``(n_boot, n_subjects)``.

    Sharing one draw between models (or protocols) pairs their bootstrap samples. The
    pooled out-of-fold metric is recomputed from weighted confusion counts for all samples at
    once; ``benchmarks/bench_bootstrap.py`` measures this against ``scipy.stats.bootstrap``.
    """
    rng = np.random.default_rng(random_state)
    weights = rng.multinomial(n_subjects, np.full(n_subjects, 1.0 / n_subjects), size=n_boot)
    return weights.astype(float)


def percentile_interval(boot, ci):
    """Percentile interval of the finite bootstrap values; NaN, NaN when none is finite."""
    alpha = (1.0 - ci) / 2.0
    finite = boot[np.isfinite(boot)]
    if len(finite) == 0:
        return np.nan, np.nan
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(low), float(high)
