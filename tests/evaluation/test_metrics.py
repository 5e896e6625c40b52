"""Tests of skfmm.evaluation.metrics: metrics and scorers, on small synthetic problems."""

import warnings

import numpy as np
import pytest
from evaluation_problems import _problem
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import matthews_corrcoef, roc_auc_score
from sklearn.model_selection import GridSearchCV

from skfmm.evaluation import METRICS, SCORERS, MetricScorer, compute_metrics, make_scorers

Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1])
Y_PRED = np.array([0, 0, 1, 0, 1, 1, 0])
Y_SCORE = np.array([0.1, 0.2, 0.7, 0.3, 0.9, 0.6, 0.2])
# tp=2 fn=1 fp=1 tn=3; AUROC: 8.5 of 12 positive-negative pairs ordered (one tie).
EXPECTED = {
    "mcc": 5 / 12,
    "auroc": 8.5 / 12,
    "balanced_accuracy": (2 / 3 + 3 / 4) / 2,
    "accuracy": 5 / 7,
    "f1": (2 / 3 + 3 / 4) / 2,
    "sensitivity": 2 / 3,
    "specificity": 3 / 4,
}


def test_compute_metrics_matches_hand_computed_confusion_counts():
    values = compute_metrics(Y_TRUE, Y_PRED, Y_SCORE)
    assert list(values) == list(METRICS)
    for name, expected in EXPECTED.items():
        assert values[name] == pytest.approx(expected), name


def test_compute_metrics_string_labels_and_pos_label():
    names = np.array(["non-responder", "responder"])
    values = compute_metrics(names[Y_TRUE], names[Y_PRED], Y_SCORE)  # default: 2nd sorted
    assert values == pytest.approx(EXPECTED)
    proba = np.c_[1 - Y_SCORE, Y_SCORE]  # predict_proba columns in sorted class order
    assert compute_metrics(names[Y_TRUE], names[Y_PRED], proba)["auroc"] == pytest.approx(8.5 / 12)
    flipped = compute_metrics(names[Y_TRUE], names[Y_PRED], 1 - Y_SCORE, pos_label="non-responder")
    assert flipped["sensitivity"] == pytest.approx(3 / 4)
    assert flipped["specificity"] == pytest.approx(2 / 3)
    assert flipped["mcc"] == pytest.approx(5 / 12)
    assert flipped["auroc"] == pytest.approx(8.5 / 12)


def test_compute_metrics_agrees_with_sklearn_with_weights():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 2, 80), rng.integers(0, 2, 80)
    y_score = np.round(rng.random(80), 1)  # many ties
    w = rng.integers(0, 4, 80).astype(float)
    values = compute_metrics(y_true, y_pred, y_score, sample_weight=w)
    assert values["mcc"] == pytest.approx(matthews_corrcoef(y_true, y_pred, sample_weight=w))
    assert values["auroc"] == pytest.approx(roc_auc_score(y_true, y_score, sample_weight=w))


def test_one_class_truth_gives_nan_and_warning_never_a_number():
    with pytest.warns(UndefinedMetricWarning, match="mcc"):
        values = compute_metrics([0, 0, 0], [0, 1, 0], [0.2, 0.8, 0.1], classes=[0, 1])
    for name in ("mcc", "auroc", "balanced_accuracy", "sensitivity"):
        assert np.isnan(values[name]), name
    assert values["f1"] == pytest.approx((0 + 0.8) / 2)  # F1(1)=0 (1 false positive), F1(0)=4/5
    with pytest.warns(UndefinedMetricWarning, match="f1"):
        assert np.isnan(compute_metrics([0, 0], [0, 0], classes=[0, 1])["f1"])
    assert values["specificity"] == pytest.approx(2 / 3)
    assert values["accuracy"] == pytest.approx(2 / 3)


def test_constant_prediction_of_two_class_truth_has_mcc_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = compute_metrics([0, 1, 0, 1], [1, 1, 1, 1], [0.5] * 4)
    assert values["mcc"] == 0.0
    assert values["auroc"] == 0.5
    assert values["sensitivity"] == 1.0 and values["specificity"] == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y_true=[0, 1, 2], y_pred=[0, 1, 2]), "binary"),
        (dict(y_true=[0, 1], y_pred=[0, 1], pos_label=3), "pos_label"),
        (dict(y_true=[0, 1], y_pred=[0, 1], y_score=[0.1, np.nan]), "y_score"),
        (dict(y_true=[0, 0], y_pred=[0, 0]), "pos_label"),
        (dict(y_true=[0, 1], y_pred=[0, 1, 1]), "same length"),
    ],
)
def test_compute_metrics_refuses_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compute_metrics(**kwargs)


def test_scorers_work_in_grid_search_with_string_labels():
    X, y = _problem(0, shift=1.0)
    labels = np.array(["no", "yes"])[y]
    assert set(make_scorers()) == set(METRICS) == set(SCORERS)
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, scoring=SCORERS, refit="mcc", cv=3)
    search.fit(X, labels)
    assert np.isfinite(search.cv_results_["mean_test_mcc"]).all()
    clf = LogisticRegression().fit(X, labels)
    expected = compute_metrics(labels, clf.predict(X), clf.predict_proba(X)[:, 1])
    assert SCORERS["mcc"](clf, X, labels) == pytest.approx(expected["mcc"])
    assert SCORERS["auroc"](clf, X, labels) == pytest.approx(
        roc_auc_score(labels == "yes", clf.predict_proba(X)[:, 1])
    )
    # The positive class switches sensitivity and specificity.
    assert MetricScorer("sensitivity", pos_label="no")(clf, X, labels) == pytest.approx(
        expected["specificity"]
    )
