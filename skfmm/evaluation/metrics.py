"""Binary classification metrics for skfmm's evaluation, and scorers for GridSearchCV.

Every metric is computed from (weighted) confusion counts, so bootstrap resampling is vectorised.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

__all__ = [
    "METRICS",
    "METRIC_RANGES",
    "CHANCE_LEVELS",
    "compute_metrics",
    "MetricScorer",
    "make_scorers",
    "SCORERS",
    "positive_class_scores",
]

#: Metric names, in the order of the result tables. ``mcc`` is the primary metric.
METRICS = ("mcc", "auroc", "balanced_accuracy", "accuracy", "f1", "sensitivity", "specificity")

#: The range of each metric. Every interval skfmm reports lies inside it; the difference of
#: two values of a metric lies in ``(low - high, high - low)``.
METRIC_RANGES = {
    "mcc": (-1.0, 1.0),
    "auroc": (0.0, 1.0),
    "balanced_accuracy": (0.0, 1.0),
    "accuracy": (0.0, 1.0),
    "f1": (0.0, 1.0),
    "sensitivity": (0.0, 1.0),
    "specificity": (0.0, 1.0),
}

#: The value of each metric for a classifier without skill, which p-values test against.
#: ``"majority"``: the majority-class rate of the training folds (the accuracy of always
#: predicting the training part's most frequent class). None: no chance level independent of
#: the classifier (sensitivity and specificity move with the rate of positive predictions, the
#: macro F1 with both class rates), so no p-value.
CHANCE_LEVELS = {
    "mcc": 0.0,
    "auroc": 0.5,
    "balanced_accuracy": 0.5,
    "accuracy": "majority",
    "f1": None,
    "sensitivity": None,
    "specificity": None,
}


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


def _metrics_from_weights(is_pos, pred_pos, scores, weights):
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


def _resolve_pos_label(pos_label, classes, labels, who):
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


def _compute_metrics(y_true, y_pred, y_score=None, pos_label=None, *, classes=None,
                     sample_weight=None):
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
    pos_label = _resolve_pos_label(pos_label, classes, labels, who)
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
    values = _metrics_from_weights(y_true == pos_label, y_pred == pos_label, y_score, weights)
    result = {name: float(values[name][0]) for name in METRICS}
    return result, _undefined_reason(result, y_true, pos_label)


def compute_metrics(
    y_true, y_pred, y_score=None, pos_label=None, *, classes=None, sample_weight=None
):
    """Compute every binary metric of :data:`METRICS` for one set of predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels; any two values (strings too).
    y_score : array-like of shape (n_samples,) or (n_samples, 2), default=None
        Scores for the positive class (predicted probabilities, as ``predict_proba[:, 1]``;
        any score that grows with the positive class gives the same AUROC). A 2-D array is
        read as ``predict_proba`` output with columns in the order of ``classes``. Without
        scores, ``auroc`` is NaN.
    pos_label : label, default=None
        The positive class (for sensitivity, specificity, AUROC). Default: the second of the
        two sorted classes (``1`` for 0/1, ``"responder"`` for ``"non-responder"/"responder"``).
    classes : array-like of two labels, default=None
        Both classes, needed when ``y_true`` and ``y_pred`` hold only one of them.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples (counts in a bootstrap sample).

    Returns
    -------
    dict
        Keys ``mcc, auroc, balanced_accuracy, accuracy, f1, sensitivity, specificity``
        (``f1`` is macro-F1, the mean of both classes' F1). A metric that is undefined for
        these labels is NaN, with an :class:`~sklearn.exceptions.UndefinedMetricWarning`:
        MCC, AUROC and balanced accuracy need both classes in ``y_true``, sensitivity a
        positive, specificity a negative; macro-F1 is undefined only when a class is
        absent from both ``y_true`` and ``y_pred`` (a class predicted but absent from the
        truth has F1 0). When ``y_true`` has both classes but every prediction is one
        class, MCC is 0 (its limit value, as in scikit-learn).

    Examples
    --------
    >>> from skfmm.evaluation import compute_metrics
    >>> m = compute_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"], [0.1, 0.6, 0.7, 0.9])
    >>> round(m["mcc"], 3), m["auroc"], m["sensitivity"], m["specificity"]
    (0.577, 1.0, 1.0, 0.5)
    """
    result, reason = _compute_metrics(
        y_true, y_pred, y_score, pos_label, classes=classes, sample_weight=sample_weight
    )
    if reason is not None:
        warnings.warn(reason, UndefinedMetricWarning, stacklevel=2)
    return result


def positive_class_scores(estimator, X, pos_label=None):
    """Scores of the positive class from a fitted classifier.

    ``predict_proba`` column of ``pos_label`` when the estimator has it, else
    ``decision_function`` (sign-flipped if the positive class is the first), else None.

    Parameters
    ----------
    estimator : fitted classifier with ``classes_``
    X : array-like or MultimodalData
    pos_label : label, default=None
        Default: ``estimator.classes_[1]``.

    Returns
    -------
    ndarray of shape (n_samples,) or None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import positive_class_scores
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array(["no", "no", "yes", "yes"])
    >>> clf = LogisticRegression().fit(X, y)
    >>> positive_class_scores(clf, X, "yes").shape
    (4,)
    """
    classes = list(getattr(estimator, "classes_", []))
    if pos_label is None:
        if len(classes) != 2:
            raise ValueError(
                "positive_class_scores: pass 'pos_label'; the estimator has no two "
                f"'classes_' (got {classes})."
            )
        pos_label = classes[1]
    if hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(X), dtype=float)
        if pos_label not in classes:
            raise ValueError(
                f"positive_class_scores: 'pos_label' {pos_label!r} is not among the "
                f"estimator's classes_ {classes}."
            )
        return proba[:, classes.index(pos_label)]
    if hasattr(estimator, "decision_function"):
        scores = np.asarray(estimator.decision_function(X), dtype=float)
        if scores.ndim == 1:
            return scores if pos_label == classes[1] else -scores
        return scores[:, classes.index(pos_label)]
    return None


class MetricScorer:
    """A scikit-learn scorer for one of :data:`METRICS` (usable as ``scoring=`` anywhere).

    Parameters
    ----------
    metric : str
        One of :data:`METRICS`.
    pos_label : label, default=None
        The positive class; default ``estimator.classes_[1]`` (the second sorted class).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skfmm.evaluation import MetricScorer
    >>> X = np.r_[np.zeros((10, 1)), np.ones((10, 1))]
    >>> y = np.repeat(["no", "yes"], 10)
    >>> cross_val_score(LogisticRegression(), X, y, scoring=MetricScorer("mcc"), cv=2).tolist()
    [1.0, 1.0]
    """

    def __init__(self, metric, pos_label=None):
        self.metric = metric
        self.pos_label = pos_label

    def __call__(self, estimator, X, y_true, sample_weight=None):
        if self.metric not in METRICS:
            raise ValueError(
                f"MetricScorer: 'metric' must be one of {METRICS}; got {self.metric!r}."
            )
        classes = getattr(estimator, "classes_", None)
        pos_label = self.pos_label
        if pos_label is None and classes is not None and len(classes) == 2:
            pos_label = classes[1]
        y_pred = estimator.predict(X)
        y_score = positive_class_scores(estimator, X, pos_label) if self.metric == "auroc" else None
        values, reason = _compute_metrics(
            y_true, y_pred, y_score, pos_label, classes=classes, sample_weight=sample_weight
        )
        if np.isnan(values[self.metric]):
            warnings.warn(f"MetricScorer: {reason}", UndefinedMetricWarning, stacklevel=2)
        return values[self.metric]

    def __repr__(self):
        return f"MetricScorer({self.metric!r}, pos_label={self.pos_label!r})"


def make_scorers(pos_label=None):
    """One :class:`MetricScorer` per metric, as a dict for ``scoring=``.

    Parameters
    ----------
    pos_label : label, default=None
        The positive class; default ``estimator.classes_[1]``.

    Returns
    -------
    dict
        ``{name: MetricScorer(name, pos_label)}`` for every name in :data:`METRICS`.

    Examples
    --------
    >>> from skfmm.evaluation import make_scorers
    >>> sorted(make_scorers())[:3]
    ['accuracy', 'auroc', 'balanced_accuracy']
    """
    return {name: MetricScorer(name, pos_label) for name in METRICS}


#: Scorers with the default positive class (``classes_[1]``), keyed by metric name.
SCORERS = make_scorers()
