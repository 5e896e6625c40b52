"""The benchmark's tables: protocol_inflation's errors name its own arguments; the old home."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import skfmm.report
from skfmm.benchmark import figures, report
from skfmm.benchmark.report import protocol_inflation
from skfmm.evaluation import nested_cross_validate


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), np.repeat([0, 1], 20)
    return X, y, nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, verbose=0)


def test_protocol_inflation_errors_name_ours_and_authors(result):
    X, y, res = result
    with pytest.raises(TypeError, match=r"^protocol_inflation: 'ours' must be a NestedCVResult"):
        protocol_inflation(res.folds, res)
    with pytest.raises(TypeError,
                       match=r"^protocol_inflation: 'authors' must be a NestedCVResult"):
        protocol_inflation(res, None)
    other = nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, random_state=1,
                                  verbose=0)
    with pytest.raises(ValueError, match=r"^protocol_inflation: 'ours' and 'authors' must be "
                                         r"evaluated on the same outer splits"):
        protocol_inflation(res, other)


def test_old_home_still_imports_the_public_names_with_a_deprecation_warning():
    assert len(skfmm.report.__all__) == 6
    for name in skfmm.report.__all__:
        new_home = figures if name.startswith("plot_") else report
        with pytest.warns(FutureWarning, match=rf"skfmm\.report\.{name} is deprecated.*"
                                               rf"from {new_home.__name__} import {name}"):
            assert getattr(skfmm.report, name) is getattr(new_home, name)
    with pytest.warns(FutureWarning, match="skfmm.benchmark.report"):
        from skfmm.report import results_table
    assert results_table is report.results_table


def _one_class_summary():
    import pandas as pd

    return pd.DataFrame({
        "scenario": ["none", "none"], "model": ["constant", "logreg"], "metric": ["mcc", "mcc"],
        "mean": [0.0, -0.1], "ci_low": [0.0, -0.4], "ci_high": [0.0, 0.2],
        "p_value": [np.nan, 0.5], "method": ["corrected_t"] * 2, "one_class": [True, False]})


def test_one_class_model_is_flagged_in_table_report_and_figure(tmp_path):
    summary = _one_class_summary()
    table = report.results_table(summary)
    assert table.loc["constant", "none"] == "one class predicted"
    assert table.loc["logreg", "none"] == "-0.10 [-0.40, +0.20]"
    text = report.write_report(tmp_path / "r.md", summary=summary, command="c", design={},
                               scenarios={}, models={}, coverage=report.null_coverage(summary))
    assert "| constant | one class predicted |" in text
    assert "+0.00 [+0.00, +0.00]" not in text
    assert "constant predicted one class for every subject of every fold" in text
    fig = figures.plot_mcc_intervals(summary)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["one class predicted"]
    # Without the flag the same row would read as a precise zero.
    plain = report.results_table(summary.assign(one_class=False))
    assert plain.loc["constant", "none"] == "+0.00 [+0.00, +0.00]"


def test_report_names_the_interval_method(tmp_path):
    summary = _one_class_summary()
    text = report.write_report(tmp_path / "r.md", summary=summary, command="c", design={},
                               scenarios={}, models={})
    assert ("## MCC (mean over all outer folds, 95 % corrected repeated-CV t interval on the "
            "per-fold values, cut at the metric's range)") in text
    text = report.write_report(tmp_path / "r.md", summary=summary.assign(method="subjects"),
                               command="c", design={}, scenarios={}, models={})
    assert "95 % subject bootstrap of the pooled out-of-fold metric" in text
