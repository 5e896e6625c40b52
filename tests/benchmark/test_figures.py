"""The benchmark figures say what they show: panels titled in words, AUC in the legend."""

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from skfmm.benchmark.figures import plot_mcc_intervals, plot_roc_curves


def _summary():
    rows = []
    for scenario in ("none", "fc", "ts", "both"):
        for model in ("chance", "fmm_tc"):
            rows.append(dict(scenario=scenario, model=model, metric="mcc", mean=0.1,
                             ci_low=-0.1, ci_high=0.3))
    return pd.DataFrame(rows)


def test_mcc_panels_are_titled_in_words():
    fig = plot_mcc_intervals(_summary())
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["No effect (none)", "Connectivity effect (fc)",
                      "Temporal-dynamics effect (ts)", "Both effects (both)"]
    assert "MCC" in fig.axes[0].get_xlabel() and "95 % CI" in fig.axes[0].get_xlabel()


def test_mcc_axis_names_the_summary_estimate_and_interval():
    """The label follows summary.csv's method column (stale 'pooled out-of-fold' was wrong)."""
    labels = {method: plot_mcc_intervals(_summary().assign(method=method)).axes[0].get_xlabel()
              for method in ("corrected_t", "subjects", "folds")}
    assert labels == {
        "corrected_t": "MCC, mean over outer folds (95 % corrected t CI)",
        "subjects": "MCC, pooled out-of-fold (95 % subject-bootstrap CI)",
        "folds": "MCC, mean over outer folds (95 % fold-bootstrap CI)",
    }
    assert plot_mcc_intervals(_summary()).axes[0].get_xlabel() == "MCC (95 % CI)"


def test_other_scenario_names_are_kept():
    s = _summary().query("scenario == 'fc'").assign(scenario="ds000208")
    assert plot_mcc_intervals(s).axes[0].get_title() == "ds000208"


def test_roc_legend_reads_auc():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 10)
    frames = []
    for model, noise in (("corr_logreg", 0.5), ("fmm_tc", 2.0)):
        score = y + noise * rng.standard_normal(20)
        frames.append(pd.DataFrame({"scenario": "fc", "model": model, "y_true": y,
                                    "y_score": score, "pos_label": 1}))
    p = pd.concat(frames)
    fig = plot_roc_curves(p)
    ax = fig.axes[0]
    assert ax.get_title() == "Connectivity effect (fc)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    aucs = {m: roc_auc_score(g["y_true"], g["y_score"]) for m, g in p.groupby("model")}
    assert legend == [f"corr_logreg: AUC = {aucs['corr_logreg']:.2f}",
                      f"fmm_tc: AUC = {aucs['fmm_tc']:.2f}", "diagonal: AUC = 0.50"]
