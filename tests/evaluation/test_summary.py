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
    table = summarize(res, metrics=["mcc", "auroc"], n_boot=500, method="subjects")
    assert list(table.columns) == ["model", "metric", "mean", "ci_low", "ci_high", "method",
                                   "n_folds", "chance", "p_value", "p_null", "one_class", "note"]
    assert table["metric"].tolist() == ["mcc", "auroc"]
    assert table.loc[0, "mean"] == pytest.approx(expected)
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()
    pd.testing.assert_frame_equal(
        table, summarize(res, metrics=["mcc", "auroc"], n_boot=500, method="subjects"))
    folds = summarize(res.folds, metrics=["mcc"], n_boot=500, method="folds")
    assert folds.attrs["method"] == "folds"
    assert folds.loc[0, "mean"] == pytest.approx(res.folds["mcc"].mean())
    named = summarize({"ours": res, "again": res}, metrics=["mcc"], n_boot=200,
                      method="subjects")
    assert named["model"].tolist() == ["ours", "again"]
    assert named.loc[0, "ci_low"] == named.loc[1, "ci_low"]  # same seed per model


def test_interval_covers_zero_on_null_data_and_excludes_it_on_easy_data():
    covered = []
    for seed in range(10):
        X, y = _problem(100 + seed, n_features=5)
        res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
        for method in ("corrected_t", "subjects"):
            row = summarize(res, metrics=["mcc"], n_boot=1000, method=method).iloc[0]
            covered.append(row["ci_low"] <= 0 <= row["ci_high"])
    assert sum(covered) >= 16, covered
    X, y = _problem(200, shift=1.5)
    res = nested_cross_validate(LogisticRegression(), X, y, param_grid={"C": [0.1, 1.0]},
                                n_repeats=2, verbose=0)
    for method in ("corrected_t", "subjects"):
        row = summarize(res, metrics=["mcc"], n_boot=1000, method=method).iloc[0]
        assert row["ci_low"] > 0.3


def test_default_is_the_corrected_repeated_cv_t_interval_on_the_per_fold_values():
    X, y = _problem(3, shift=0.5)
    res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
    row = summarize(res, metrics=["mcc"]).iloc[0]
    assert row["method"] == "corrected_t"
    values = res.folds["mcc"].to_numpy()
    k, ratio = len(values), (res.folds["n_test"] / res.folds["n_train"]).mean()
    assert k == 10 and ratio == pytest.approx(12 / 48)
    # By hand: Nadeau & Bengio's variance (1/k + n_test/n_train) s^2, t with k - 1 dof.
    half = 2.2621571627409915 * np.sqrt((1 / k + 0.25) * values.var(ddof=1))  # t(0.975, 9)
    assert row["mean"] == pytest.approx(values.mean())
    assert row["ci_low"] == pytest.approx(values.mean() - half)
    assert row["ci_high"] == pytest.approx(values.mean() + half)
    # The plain t interval (s^2 / k) would be sqrt(3.5) times narrower.
    naive = 2.2621571627409915 * values.std(ddof=1) / np.sqrt(k)
    assert half / naive == pytest.approx(np.sqrt(3.5))
    assert 0 < row["p_value"] < 1
    # A per-fold table with the fold sizes gives the same row; without them, a clear error.
    same = summarize(res.folds, metrics=["mcc"]).iloc[0]
    assert (same["mean"], same["ci_low"], same["ci_high"]) == pytest.approx(
        (row["mean"], row["ci_low"], row["ci_high"]))
    with pytest.raises(ValueError, match=r"corrected_t.*lacks the columns \['n_train', 'n_test'\]"):
        summarize(res.folds.drop(columns=["n_train", "n_test"]), metrics=["mcc"],
                  method="corrected_t")
    # One fold: no fold-to-fold variance to estimate, so auto falls back to the bootstrap.
    assert summarize(res.folds.iloc[:1], metrics=["mcc"]).attrs["method"] == "folds"


def test_one_class_model_is_flagged():
    X, y = _problem(4, shift=1.0)
    dummy = nested_cross_validate(DummyClassifier(), X, y, n_repeats=1, verbose=0)
    logreg = nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, verbose=0)
    table = summarize({"dummy": dummy, "logreg": logreg}, metrics=["mcc"])
    assert table["one_class"].tolist() == [True, False]
    # MCC 0 in every fold: no spread to estimate, so no interval rather than [0, 0].
    assert table.loc[0, "mean"] == 0.0
    assert np.isnan(table.loc[0, "ci_low"]) and np.isnan(table.loc[0, "ci_high"])
    assert summarize(dummy.folds, metrics=["mcc"]).loc[0, "one_class"] is None


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
        diff = paired_difference(chance, logreg, metric=metric, n_boot=300, method="subjects",
                                 n_permutations=0)
        assert diff["a"] == pooled_metrics(chance)[metric]
        assert diff["b"] == pooled_metrics(logreg)[metric]
        assert diff["difference"] == pytest.approx(diff["b"] - diff["a"])
        assert diff["metric"] == metric
    assert paired_difference(logreg, logreg, n_boot=50)["difference"] == 0.0
    swapped = paired_difference(logreg, chance, n_boot=300)
    assert swapped["difference"] == -paired_difference(chance, logreg, n_boot=300)["difference"]


def test_paired_difference_default_is_the_corrected_t_on_per_fold_differences(chance_and_logreg):
    chance, logreg = chance_and_logreg
    diff = paired_difference(chance, logreg, n_permutations=199)
    assert diff["method"] == "corrected_t"
    per_fold = logreg.folds["mcc"].to_numpy() - chance.folds["mcc"].to_numpy()
    k = len(per_fold)
    half = 2.2621571627409915 * np.sqrt((1 / k + 0.25) * per_fold.var(ddof=1))
    assert diff["difference"] == pytest.approx(per_fold.mean())
    assert (diff["ci_low"], diff["ci_high"]) == pytest.approx(
        (per_fold.mean() - half, per_fold.mean() + half))
    assert diff["p_value"] < 0.001
    assert diff["pooled_difference"] == pytest.approx(
        pooled_metrics(logreg)["mcc"] - pooled_metrics(chance)["mcc"])
    # logreg is far better: no swap of half the subjects' predictions does as well.
    assert diff["p_permutation"] == pytest.approx(1 / 200)


def test_paired_permutation_p_value_is_large_for_two_equal_models():
    X, y = _problem(11, n_features=5)
    a = nested_cross_validate(LogisticRegression(C=1.0), X, y, n_repeats=2, verbose=0)
    b = nested_cross_validate(LogisticRegression(C=0.5), X, y, n_repeats=2, verbose=0)
    diff = paired_difference(a, b, n_permutations=499)
    assert diff["p_permutation"] > 0.2
    # Swapping predictions between a result and itself changes nothing: p = 1.
    assert paired_difference(a, a, n_permutations=99)["p_permutation"] == 1.0


def test_paired_difference_interval_contains_a_real_difference(chance_and_logreg):
    chance, logreg = chance_and_logreg
    for method in ("corrected_t", "subjects"):
        diff = paired_difference(chance, logreg, n_boot=500, ci=0.9, random_state=1,
                                 method=method, n_permutations=99)
        assert 0 < diff["ci_low"] <= diff["difference"] <= diff["ci_high"]
        assert diff == paired_difference(chance, logreg, n_boot=500, ci=0.9, random_state=1,
                                         method=method, n_permutations=99)
    # The paired interval of a result against itself collapses to zero.
    same = paired_difference(logreg, logreg, n_boot=200, method="subjects")
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
    with pytest.raises(ValueError, match=r"'method' must be one of .*got 'bca'"):
        paired_difference(chance, logreg, method="bca")
    with pytest.raises(ValueError, match=r"'n_permutations' must be an int >= 0; got -1"):
        paired_difference(chance, logreg, n_permutations=-1)
    with pytest.raises(TypeError, match=r"'b' must be a NestedCVResult .*got DataFrame"):
        paired_difference(chance, logreg.folds)
    no_predictions = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0,
                                           return_predictions=False)
    with pytest.raises(TypeError, match=r"'a' must be .*got NestedCVResult without predictions"):
        paired_difference(no_predictions, logreg)
