"""What the modules of ``skfmm.evaluation`` share of the metrics, without underscores.

The metrics from weighted confusion counts (one row of weights per bootstrap sample, so a
bootstrap is one matrix product), the positive class, and :func:`compute_metrics` returning its
undefined-metric reason instead of warning (for ``metrics.py``, ``nested.py`` and
``_bootstrap.py``). Imports no other module of ``skfmm.evaluation``; the metric names and their
order are :data:`skfmm.evaluation.METRICS` (``metrics_from_weights`` returns them in that order).
"""

from __future__ import annotations

import numpy as np

__all__ = ["metrics_from_weights", "resolve_pos_label", "compute_metrics_and_reason"]


def _ratio(num, den):
    """``num / den`` with NaN where ``den == 0`` (an undefined value, never a made-up one)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _weighted_auroc(is_pos, scores, weights):
    """Area under the ROC curve for each row of ``weights`` (shape ``(B, n)``).

    The weighted Mann-Whitney statistic: the probability that a positive outranks a
    negative, ties counting one half (the same value as ``roc_auc_score``).
    """
    order = np.argsort(scores, kind="stable")
    s = scores[order]
    w = weights[:, order]
    pos = is_pos[order]
    w_pos = w * pos
    w_neg = w * ~pos
    cum_neg = np.concatenate([np.zeros((w.shape[0], 1)), np.cumsum(w_neg, axis=1)], axis=1)
    _, starts, counts = np.unique(s, return_index=True, return_counts=True)
    group = np.repeat(np.arange(len(starts)), counts)
    below = cum_neg[:, starts]
    tied = cum_neg[:, starts + counts] - below
    num = np.sum(w_pos * (below[:, group] + 0.5 * tied[:, group]), axis=1)
    return _ratio(num, w_pos.sum(axis=1) * w_neg.sum(axis=1))


def metrics_from_weights(is_pos, pred_pos, scores, weights):
    """All of :data:`METRICS` for each row of ``weights`` (``(B, n)``); NaN where undefined.

    ``is_pos``/``pred_pos`` are boolean arrays (truth / prediction is the positive class),
    ``scores`` the positive-class scores or None.
    """
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    tp = weights @ (is_pos & pred_pos)
    fn = weights @ (is_pos & ~pred_pos)
    fp = weights @ (~is_pos & pred_pos)
    tn = weights @ (~is_pos & ~pred_pos)
    n_pos, n_neg = tp + fn, tn + fp
    sensitivity = _ratio(tp, n_pos)
    specificity = _ratio(tn, n_neg)
    f1 = 0.5 * (_ratio(2 * tp, 2 * tp + fp + fn) + _ratio(2 * tn, 2 * tn + fn + fp))
    # MCC needs both classes in the truth; a one-class prediction of a two-class truth
    # gets the limit value 0 (scikit-learn's convention, and a constant predictor's MCC).
    den = np.sqrt((tp + fp) * n_pos * n_neg * (tn + fn))
    mcc = _ratio(tp * tn - fp * fn, den)
    mcc = np.where((den == 0) & (n_pos > 0) & (n_neg > 0), 0.0, mcc)
    if scores is None:
        auroc = np.full(weights.shape[0], np.nan)
    else:
        auroc = _weighted_auroc(is_pos, scores, weights)
    return {
        "mcc": mcc,
        "auroc": auroc,
        "balanced_accuracy": 0.5 * (sensitivity + specificity),
        "accuracy": _ratio(tp + tn, n_pos + n_neg),
        "f1": f1,
        "sensitivity": sensitivity,
        "specificity": specificity,
    }


def _as_1d(values, argument, who):
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(
            f"{who}: '{argument}' must be a 1-D array of labels; got shape {arr.shape}."
        )
    return arr


def resolve_pos_label(pos_label, classes, labels, who):
    """The positive class: ``pos_label``, else the second of the two sorted classes."""
    if classes is not None:
        classes = np.unique(np.asarray(classes))
        if len(classes) != 2:
            raise ValueError(
                f"{who}: 'classes' must hold exactly two class labels; got {list(classes)}."
            )
        extra = np.setdiff1d(labels, classes)
        if len(extra):
            raise ValueError(
                f"{who}: the labels {list(extra)} are not among 'classes' {list(classes)}."
            )
        known = classes
    else:
        known = labels
    if len(known) > 2:
        raise ValueError(
            f"{who} handles binary classification only; got {len(known)} classes "
            f"{list(known)}."
        )
    if pos_label is None:
        if len(known) < 2:
            raise ValueError(
                f"{who}: cannot tell the positive class, only {list(known)} occurs in "
                "y_true and y_pred; pass 'pos_label' (or 'classes')."
            )
        return known[1]
    if len(known) == 2 and pos_label not in list(known):
        raise ValueError(
            f"{who}: 'pos_label' must be one of the classes {list(known)}; got {pos_label!r}."
        )
    return pos_label


def _positive_column(y_score, n, classes, pos_label, who):
    """The positive-class score as a finite 1-D float array (from 1-D or (n, 2) input)."""
    y_score = np.asarray(y_score, dtype=float)
    if y_score.ndim == 2:
        if y_score.shape[1] != 2 or classes is None:
            raise ValueError(
                f"{who}: a 2-D 'y_score' must have two columns in the order of 'classes' "
                f"(and 'classes' must be known); got shape {y_score.shape}."
            )
        y_score = y_score[:, list(classes).index(pos_label)]
    if y_score.shape != (n,):
        raise ValueError(
            f"{who}: 'y_score' must hold one score per sample ({n}); got shape {y_score.shape}."
        )
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{who}: 'y_score' contains NaN or infinite values.")
    return y_score


def _undefined_reason(result, y_true, pos_label):
    """A sentence naming the NaN metrics and why, or None when all are defined."""
    undefined = [name for name, value in result.items() if np.isnan(value)]
    if not undefined:
        return None
    if undefined == ["auroc"]:
        return "auroc undefined (no positive-class scores); reported as NaN."
    n_pos = int(np.sum(y_true == pos_label))
    return (
        f"{', '.join(undefined)} undefined (y_true has {n_pos} positive ({pos_label!r}) and "
        f"{len(y_true) - n_pos} negative samples); reported as NaN."
    )


def compute_metrics_and_reason(y_true, y_pred, y_score=None, pos_label=None, *,
                               classes=None, sample_weight=None):
    """:func:`compute_metrics` without the warning: returns ``(values, reason or None)``."""
    who = "compute_metrics"
    y_true = _as_1d(y_true, "y_true", who)
    y_pred = _as_1d(y_pred, "y_pred", who)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"{who}: 'y_true' and 'y_pred' must have the same length; got {len(y_true)} "
            f"and {len(y_pred)}."
        )
    if len(y_true) == 0:
        raise ValueError(f"{who}: 'y_true' is empty.")
    labels = np.unique(np.concatenate([y_true.astype(object), y_pred.astype(object)]))
    pos_label = resolve_pos_label(pos_label, classes, labels, who)
    if y_score is not None:
        known = np.unique(classes) if classes is not None else (labels if len(labels) == 2 else None)
        y_score = _positive_column(y_score, len(y_true), known, pos_label, who)
    if sample_weight is None:
        weights = np.ones((1, len(y_true)))
    else:
        weights = np.asarray(sample_weight, dtype=float)
        if weights.shape != y_true.shape or np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise ValueError(
                f"{who}: 'sample_weight' must be {len(y_true)} finite non-negative numbers; "
                f"got shape {weights.shape}."
            )
        weights = weights[None, :]
    values = metrics_from_weights(y_true == pos_label, y_pred == pos_label, y_score, weights)
    result = {name: float(value[0]) for name, value in values.items()}  # METRICS' order
    return result, _undefined_reason(result, y_true, pos_label)
