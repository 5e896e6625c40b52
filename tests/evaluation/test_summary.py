"""Tests of skfmm.evaluation.summary: pooled estimates and bootstrap summaries."""

import numpy as np
import pandas as pd
import pytest
from evaluation_problems import _problem
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import matthews_corrcoef

from skfmm.evaluation import nested_cross_validate, pooled_metrics, summarize

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
