"""Intervals inside each metric's range and p-values against each metric's chance level."""

import numpy as np
import pandas as pd
import pytest
from evaluation_problems import _problem
from scipy import stats
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from skfmm.evaluation import (
    CHANCE_LEVELS,
    METRIC_RANGES,
    METRICS,
    nested_cross_validate,
    paired_difference,
    summarize,
)
from skfmm.evaluation.stats import corrected_t_interval

T_975_9 = 2.2621571627409915  # scipy.stats.t.ppf(0.975, 9), written out


def _fold_table(values, metric="mcc", n_train=48, n_test=12, model="m"):
    return pd.DataFrame({"model": model, "repeat": np.repeat([0, 1], len(values) // 2),
                         "fold": np.tile(np.arange(len(values) // 2), 2), metric: values,
                         "n_train": n_train, "n_test": n_test,
                         "train_majority_rate": 0.5})


@pytest.mark.parametrize("method", ["corrected_t", "corrected_t_transformed", "folds"])
def test_every_interval_lies_in_its_metrics_range(method):
    # Fold values piled up at the bounds, as a strong effect on small test folds gives:
    # the plain t interval leaves the range on most of these draws.
    rng = np.random.default_rng(0)
    plain_outside = 0
    for metric, (low, high) in METRIC_RANGES.items():
        for _ in range(30):
            values = np.clip(rng.normal(high - 0.1, 0.2, size=10), low, high)
            if np.ptp(values) == 0:
                continue
            row = summarize(_fold_table(values, metric), metrics=[metric], method=method,
                            n_boot=300).iloc[0]
            assert low <= row["ci_low"] <= row["mean"] <= row["ci_high"] <= high, row
            half = T_975_9 * np.sqrt((1 / 10 + 0.25) * values.var(ddof=1))
            plain_outside += values.mean() + half > high
    assert plain_outside > 100  # the draws do test the bounds


def test_default_interval_is_the_t_interval_cut_at_the_range():
    values = np.array([1.0, 0.8, 1.0, 0.9, 0.6, 1.0, 0.7, 1.0, 0.8, 0.9])
    row = summarize(_fold_table(values), metrics=["mcc"]).iloc[0]
    half = T_975_9 * np.sqrt((1 / 10 + 0.25) * values.var(ddof=1))
    assert values.mean() + half > 1  # the plain interval passes the bound
    assert row["ci_low"] == pytest.approx(values.mean() - half)
    assert row["ci_high"] == 1.0
    # The p-value is the plain t test against chance (MCC 0), whatever the cut.
    t = values.mean() / (half / T_975_9)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(t, 9))


def test_transformed_interval_is_the_fisher_z_delta_method_interval():
    values = np.array([0.7, 0.3, 0.9, 0.5, 0.6, 0.8, 0.4, 0.7, 0.5, 0.6])
    row = summarize(_fold_table(values), metrics=["mcc"],
                    method="corrected_t_transformed").iloc[0]
    mean = values.mean()
    se = np.sqrt((1 / 10 + 0.25) * values.var(ddof=1))
    # By hand: z = atanh(mean), se_z = se / (1 - mean^2), back through tanh.
    z, se_z = 0.5 * np.log((1 + mean) / (1 - mean)), se / (1 - mean ** 2)
    assert row["mean"] == pytest.approx(mean)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        (np.tanh(z - T_975_9 * se_z), np.tanh(z + T_975_9 * se_z)))
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(z / se_z, 9))
    # AUROC: the logit scale (atanh of 2p - 1 is half the logit), chance 0.5.
    auc = 0.5 + values / 2
    row = summarize(_fold_table(auc, "auroc"), metrics=["auroc"],
                    method="corrected_t_transformed").iloc[0]
    logit, se_logit = np.log(auc.mean() / (1 - auc.mean())), (se / 2) / (
        auc.mean() * (1 - auc.mean()))
    expit = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        (expit(logit - T_975_9 * se_logit), expit(logit + T_975_9 * se_logit)))


@pytest.mark.parametrize("transform", [False, True])
def test_p_value_and_interval_agree_on_the_chance_level(transform):
    rng = np.random.default_rng(1)
    for _ in range(200):
        values = np.clip(rng.normal(rng.uniform(-0.3, 0.9), 0.3, size=10), -1, 1)
        mean, low, high, p = corrected_t_interval(values, 0.25, bounds=(-1, 1), null=0.0,
                                                  transform=transform)
        assert (p < 0.05) == (not low <= 0 <= high)


def test_chance_classifier_p_values_are_not_tiny_on_null_data():
    # Against 0, an AUROC or a balanced accuracy of a coin flip is "significant" (p ~ 1e-4);
    # against its chance level it is not, and the p-values spread out.
    p_values = {m: [] for m in ("mcc", "auroc", "balanced_accuracy", "accuracy")}
    for seed in range(12):
        X, y = _problem(300 + seed, n=56)
        res = nested_cross_validate(DummyClassifier(strategy="stratified", random_state=seed),
                                    X, y, n_repeats=2, verbose=0)
        table = summarize(res, metrics=list(p_values)).set_index("metric")
        for m in p_values:
            p_values[m].append(table.loc[m, "p_value"])
    for m, ps in p_values.items():
        ps = np.asarray(ps)[np.isfinite(ps)]  # NaN: a draw with the same value in every fold
        assert len(ps) >= 10
        assert np.median(ps) > 0.2, (m, ps)
        assert np.mean(ps < 0.05) <= 0.25, (m, ps)


def test_chance_levels_and_what_the_p_value_tests():
    X, y = _problem(5, n=56, shift=1.0)
    y = np.r_[np.zeros(30, int), np.ones(26, int)]  # 30 / 26, as the simulated cohort
    res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
    # Each fold's majority-class rate, counted by hand from its training rows.
    rates = [np.bincount(y[train]).max() / len(train) for train, _ in res.splits]
    np.testing.assert_allclose(res.folds["train_majority_rate"], rates)
    table = summarize(res).set_index("metric")
    assert table.loc["mcc", "chance"] == 0.0
    assert table.loc["auroc", "chance"] == table.loc["balanced_accuracy", "chance"] == 0.5
    assert table.loc["accuracy", "chance"] == pytest.approx(np.mean(rates))
    assert 0.53 < table.loc["accuracy", "chance"] < 0.55
    assert table.loc["accuracy", "p_null"].startswith("two-sided, H0: accuracy = 0.5")
    assert "the training folds' majority-class rate" in table.loc["accuracy", "p_null"]
    assert table.loc["mcc", "p_null"] == "two-sided, H0: mcc = 0 (chance level)"
    for m in ("f1", "sensitivity", "specificity"):
        assert np.isnan(table.loc[m, "chance"]) and np.isnan(table.loc[m, "p_value"])
        assert table.loc[m, "p_null"].startswith(f"no p-value: {m} has no chance level")
    assert set(CHANCE_LEVELS) == set(METRICS) == set(METRIC_RANGES)
    # The accuracy p-value tests the chance level, not 0 or 0.5.
    acc = res.folds["accuracy"].to_numpy()
    se = np.sqrt((1 / 10 + (res.folds["n_test"] / res.folds["n_train"]).mean()) * acc.var(ddof=1))
    assert table.loc["accuracy", "p_value"] == pytest.approx(
        2 * stats.t.sf(abs(acc.mean() - np.mean(rates)) / se, 9))


def test_too_few_folds_give_no_interval_and_say_why():
    X, y = _problem(6, n=36, shift=0.3)
    res = nested_cross_validate(LogisticRegression(), X, y, outer_cv=3, n_repeats=1, verbose=0)
    table = summarize(res, metrics=["mcc", "auroc"])
    assert table["ci_low"].isna().all() and table["ci_high"].isna().all()
    assert table["p_value"].isna().all()
    assert (table["note"] == "no interval: 3 outer folds, fewer than min_folds=5 for a t "
                             "interval").all()
    assert np.isfinite(table["mean"]).all()
    assert np.isfinite(summarize(res, metrics=["mcc"], min_folds=3).loc[0, "ci_low"])
    diff = paired_difference(res, res, n_permutations=0)
    assert np.isnan(diff["ci_low"]) and diff["note"].startswith("no interval: 3 outer folds")
    with pytest.raises(ValueError, match=r"'min_folds' must be an int >= 2; got 1"):
        summarize(res, min_folds=1)


def test_paired_difference_interval_lies_in_the_range_of_a_difference():
    X, y = _problem(7, shift=3.0)
    strong = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
    weak = nested_cross_validate(DummyClassifier(strategy="stratified", random_state=0), X, y,
                                 n_repeats=2, verbose=0)
    for method in ("corrected_t", "corrected_t_transformed", "subjects"):
        for a, b in ((weak, strong), (strong, weak)):
            d = paired_difference(a, b, method=method, n_boot=300, n_permutations=0)
            assert -2 <= d["ci_low"] <= d["difference"] <= d["ci_high"] <= 2
            assert d["p_null"] == "two-sided, H0: mcc difference = 0"
        d = paired_difference(weak, strong, metric="auroc", method=method, n_boot=300,
                              n_permutations=0)
        assert -1 <= d["ci_low"] <= d["ci_high"] <= 1
    assert strong.folds["mcc"].min() > 0.8  # the strong model is near the bound


def test_values_outside_the_range_are_refused():
    with pytest.raises(ValueError, match=r"'values' must lie in 'bounds' \(-1, 1\); got values "
                                         r"from .* to 1.5"):
        corrected_t_interval([0.2, 1.5, 0.4], 0.25, bounds=(-1, 1))
    with pytest.raises(ValueError, match=r"'null' must lie strictly inside 'bounds'"):
        corrected_t_interval([0.2, 0.5, 0.4], 0.25, bounds=(0, 1), null=1.0)
    with pytest.raises(ValueError, match=r"'bounds' must be two finite numbers"):
        corrected_t_interval([0.2, 0.5, 0.4], 0.25, bounds=(1, 0))
