"""Tests of skfmm.evaluation.summary: pooled estimates and bootstrap summaries."""

import numpy as np
import pandas as pd
import pytest
from evaluation_problems import _problem
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import matthews_corrcoef

from skfmm.evaluation import nested_cross_validate, paired_difference, pooled_metrics, summarize

def test_pooled_estimate_is_the_repeat_average_of_the_pooled_metric():
    X, y = _problem(8, shift=0.6)
    res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
    expected = np.mean([
        matthews_corrcoef(p["y_true"], p["y_pred"]) for _, p in res.predictions.groupby("repeat")
    ])
    assert pooled_metrics(res)["mcc"] == pytest.approx(expected)
    table = summarize(res, metrics=["mcc", "auroc"], n_boot=500)
    assert list(table.columns) == ["model", "metric", "mean", "ci_low", "ci_high"]
    assert table["metric"].tolist() == ["mcc", "auroc"]
    assert table.loc[0, "mean"] == pytest.approx(expected)
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()
    pd.testing.assert_frame_equal(table, summarize(res, metrics=["mcc", "auroc"], n_boot=500))
    folds = summarize(res.folds, metrics=["mcc"], n_boot=500)
    assert folds.attrs["method"] == "folds"
    assert folds.loc[0, "mean"] == pytest.approx(res.folds["mcc"].mean())
    named = summarize({"ours": res, "again": res}, metrics=["mcc"], n_boot=200)
    assert named["model"].tolist() == ["ours", "again"]
    assert named.loc[0, "ci_low"] == named.loc[1, "ci_low"]  # same seed per model


def test_interval_covers_zero_on_null_data_and_excludes_it_on_easy_data():
    covered = []
    for seed in range(10):
        X, y = _problem(100 + seed, n_features=5)
        res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
        row = summarize(res, metrics=["mcc"], n_boot=1000).iloc[0]
        covered.append(row["ci_low"] <= 0 <= row["ci_high"])
    assert sum(covered) >= 8, covered
    X, y = _problem(200, shift=1.5)
    res = nested_cross_validate(LogisticRegression(), X, y, param_grid={"C": [0.1, 1.0]},
                                n_repeats=2, verbose=0)
    row = summarize(res, metrics=["mcc"], n_boot=1000).iloc[0]
    assert row["ci_low"] > 0.3


def test_summarize_refuses_bad_arguments():
    with pytest.raises(ValueError, match="metrics"):
        summarize(pd.DataFrame({"model": ["a"], "mcc": [0.1]}), metrics=["precision"])
    with pytest.raises(ValueError, match="'ci'"):
        summarize(pd.DataFrame({"model": ["a"], "mcc": [0.1]}), metrics=["mcc"], ci=95)
    with pytest.raises(TypeError, match="results"):
        summarize(42)


@pytest.fixture(scope="module")
def chance_and_logreg():
    X, y = _problem(10, shift=1.5)
    kw = dict(n_repeats=2, verbose=0)
    return (nested_cross_validate(DummyClassifier(), X, y, **kw),
            nested_cross_validate(LogisticRegression(), X, y, **kw))


def test_paired_difference_is_the_difference_of_pooled_metrics(chance_and_logreg):
    chance, logreg = chance_and_logreg
    for metric in ("mcc", "auroc", "balanced_accuracy"):
        diff = paired_difference(chance, logreg, metric=metric, n_boot=300)
        assert diff["a"] == pooled_metrics(chance)[metric]
        assert diff["b"] == pooled_metrics(logreg)[metric]
        assert diff["difference"] == pytest.approx(diff["b"] - diff["a"])
        assert diff["metric"] == metric
    assert paired_difference(logreg, logreg, n_boot=50)["difference"] == 0.0
    swapped = paired_difference(logreg, chance, n_boot=300)
    assert swapped["difference"] == -paired_difference(chance, logreg, n_boot=300)["difference"]


def test_paired_difference_interval_contains_a_real_difference(chance_and_logreg):
    chance, logreg = chance_and_logreg
    diff = paired_difference(chance, logreg, n_boot=500, ci=0.9, random_state=1)
    assert 0 < diff["ci_low"] <= diff["difference"] <= diff["ci_high"]
    assert diff == paired_difference(chance, logreg, n_boot=500, ci=0.9, random_state=1)
    # The paired interval of a result against itself collapses to zero.
    same = paired_difference(logreg, logreg, n_boot=200)
    assert same["ci_low"] == same["ci_high"] == 0.0


def test_paired_difference_refuses_other_splits_and_bad_arguments(chance_and_logreg):
    chance, logreg = chance_and_logreg
    X, y = _problem(10, shift=1.5)
    other_seed = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, random_state=1,
                                       verbose=0)
    with pytest.raises(ValueError, match=r"'a' and 'b'.*same outer splits.*outer fold 0"):
        paired_difference(chance, other_seed)
    one_repeat = nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, verbose=0)
    with pytest.raises(ValueError, match=r"'a' and 'b'.*10 and 5 outer folds"):
        paired_difference(chance, one_repeat)
    with pytest.raises(ValueError, match=r"'metric' must be one of .*got 'precision'"):
        paired_difference(chance, logreg, metric="precision")
    for n_boot in (0, 2.5, "100"):
        with pytest.raises(ValueError, match=r"'n_boot' must be a positive int; got"):
            paired_difference(chance, logreg, n_boot=n_boot)
    with pytest.raises(ValueError, match=r"'ci' must be a number in \(0, 1\); got 95"):
        paired_difference(chance, logreg, ci=95)
    with pytest.raises(TypeError, match=r"'b' must be a NestedCVResult .*got DataFrame"):
        paired_difference(chance, logreg.folds)
    no_predictions = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0,
                                           return_predictions=False)
    with pytest.raises(TypeError, match=r"'a' must be .*got NestedCVResult without predictions"):
        paired_difference(no_predictions, logreg)
