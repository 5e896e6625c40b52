"""Binary classification metrics for skfmm's evaluation, and scorers for GridSearchCV.

Every metric is computed from (weighted) confusion counts (``_common.metrics_from_weights``), so
bootstrap resampling is vectorised.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

from ..utils._docs import fill_doc
from ._common import compute_metrics_and_reason

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


@fill_doc
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
    %(pos_label)s
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
    result, reason = compute_metrics_and_reason(
        y_true, y_pred, y_score, pos_label, classes=classes, sample_weight=sample_weight
    )
    if reason is not None:
        warnings.warn(reason, UndefinedMetricWarning, stacklevel=2)
    return result


@fill_doc
def positive_class_scores(estimator, X, pos_label=None):
    """Scores of the positive class from a fitted classifier.

    ``predict_proba`` column of ``pos_label`` when the estimator has it, else
    ``decision_function`` (sign-flipped if the positive class is the first), else None.

    Parameters
    ----------
    estimator : fitted classifier with ``classes_``
    X : array-like or MultimodalData
    %(pos_label_estimator)s

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


@fill_doc
class MetricScorer:
    """A scikit-learn scorer for one of :data:`METRICS` (usable as ``scoring=`` anywhere).

    Parameters
    ----------
    metric : str
        One of :data:`METRICS`.
    %(pos_label_estimator)s

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
        values, reason = compute_metrics_and_reason(
            y_true, y_pred, y_score, pos_label, classes=classes, sample_weight=sample_weight
        )
        if np.isnan(values[self.metric]):
            warnings.warn(f"MetricScorer: {reason}", UndefinedMetricWarning, stacklevel=2)
        return values[self.metric]

    def __repr__(self):
        return f"MetricScorer({self.metric!r}, pos_label={self.pos_label!r})"


@fill_doc
def make_scorers(pos_label=None):
    """One :class:`MetricScorer` per metric, as a dict for ``scoring=``.

    Parameters
    ----------
    %(pos_label_estimator)s

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
