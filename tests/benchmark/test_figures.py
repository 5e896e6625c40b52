"""The benchmark figures say what they show and can be compared across panels."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from skfmm.benchmark.figures import plot_mcc_intervals, plot_roc_curves
from skfmm.utils.plotting import pyplot


def _summary(method=None):
    rows = []
    for k, scenario in enumerate(("none", "fc", "ts", "both")):
        for model, mean in (("chance", 0.1), ("fmm_tc", -0.5 + 0.4 * k)):
            rows.append(dict(scenario=scenario, model=model, metric="mcc", mean=mean,
                             ci_low=mean - 0.2, ci_high=min(mean + 0.5, 1.0)))
    frame = pd.DataFrame(rows)
    return frame if method is None else frame.assign(method=method)


def _texts(fig):
    return [t.get_text() for t in fig.texts]


def _legend(fig):
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_mcc_panels_are_titled_in_words_and_share_the_metric_range():
    fig = plot_mcc_intervals(_summary())
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["No effect (none)", "Connectivity effect (fc)",
                      "Temporal-dynamics effect (ts)", "Both effects (both)"]
    # One x-axis for all panels, the whole range of MCC: panels compare by eye.
    assert {tuple(np.round(ax.get_xlim(), 3)) for ax in fig.axes} == {(-1.05, 1.05)}
    for ax in fig.axes:
        bounds = sorted(round(line.get_xdata()[0], 6) for line in ax.get_lines()
                        if line.get_linestyle() == "-" and len(set(line.get_xdata())) == 1)
        assert bounds == [-1.0, 1.0]
    # One axis label for the figure, none per panel.
    assert [ax.get_xlabel() for ax in fig.axes] == [""] * 4
    assert "MCC (95 % CI)" in _texts(fig)
    pyplot().close(fig)


def test_mcc_axis_names_the_summary_estimate_and_interval():
    """The label follows summary.csv's method column."""
    labels = {}
    for method in ("corrected_t", "corrected_t_transformed", "subjects", "folds"):
        fig = plot_mcc_intervals(_summary(method))
        labels[method] = [t for t in _texts(fig) if t.startswith("MCC")]
        pyplot().close(fig)
    assert labels == {
        "corrected_t": ["MCC, mean over outer folds (95 % corrected t CI)"],
        "corrected_t_transformed": ["MCC, mean over outer folds (95 % corrected t CI, Fisher z)"],
        "subjects": ["MCC, pooled out-of-fold (95 % subject-bootstrap CI)"],
        "folds": ["MCC, mean over outer folds (95 % fold-bootstrap CI)"],
    }


def test_mcc_legend_has_an_entry_for_every_marker_kind_and_the_caption_says_what_ran():
    summary = pd.concat([
        _summary("corrected_t"),
        pd.DataFrame([dict(scenario="none", model="constant", metric="mcc", mean=0.0,
                           ci_low=np.nan, ci_high=np.nan, method="corrected_t",
                           one_class=True),
                      dict(scenario="fc", model="tiny", metric="mcc", mean=0.2, ci_low=np.nan,
                           ci_high=np.nan, method="corrected_t", one_class=False)])])
    extra = {"none": [("fmm_tc, authors' protocol", 0.3, 0.0, 0.6)]}
    fig = plot_mcc_intervals(summary, extra=extra, caption="Simulated cohort: 56 patients.")
    assert _legend(fig) == [
        "estimate, 95 % CI", "authors' protocol (best epoch on the test fold)",
        "CI cut at the metric's bound", "no CI (too few folds or no spread)",
        "one class predicted", "chance (0)", "range of MCC [-1, 1]"]
    assert "Simulated cohort: 56 patients." in _texts(fig)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["chance", "fmm_tc", "constant", "tiny", "fmm_tc, authors' protocol"]
    # The fmm_tc interval of 'both' (0.7 + 0.5) is cut at +1: a triangle marks the cut.
    cut = [line for line in fig.axes[3].get_lines() if line.get_marker() == ">"]
    assert len(cut) == 1 and cut[0].get_xdata()[0] == 1.0
    # Without any cut interval, no such legend entry.
    fig2 = plot_mcc_intervals(_summary().assign(ci_high=lambda d: d["mean"] + 0.1))
    assert "CI cut at the metric's bound" not in _legend(fig2)
    pyplot().close(fig)
    pyplot().close(fig2)


def test_mcc_draws_into_the_callers_axes():
    plt = pyplot()
    fig, axes = plt.subplots(2, 2)
    out = plot_mcc_intervals(_summary(), axes=axes)
    assert out is fig
    assert all(len(ax.get_lines()) > 0 for ax in axes.ravel())
    with pytest.raises(ValueError, match=r"'axes' must hold one matplotlib Axes per scenario "
                                         r"\(4\); got 2"):
        plot_mcc_intervals(_summary(), axes=axes[0])
    plt.close(fig)


def test_other_scenario_names_are_kept():
    fig = plot_mcc_intervals(_summary().query("scenario == 'fc'").assign(scenario="ds000208"))
    assert fig.axes[0].get_title() == "ds000208"
    pyplot().close(fig)


def _predictions():
    rng = np.random.default_rng(0)
    frames = []
    for model, noise in (("corr_logreg", 0.6), ("fmm_tc", 2.0)):
        for repeat in range(2):
            for fold in range(3):
                y = rng.permutation(np.array([0, 1] * 6))
                frames.append(pd.DataFrame({
                    "scenario": "fc", "model": model, "repeat": repeat, "fold": fold,
                    "y_true": y, "y_score": y + noise * rng.standard_normal(12) + 3.0 * (fold + 3 * repeat),
                    "pos_label": 1}))
    return pd.concat(frames, ignore_index=True)


def test_roc_legend_reads_the_mean_auroc_over_folds_as_the_table():
    p = _predictions()
    fig = plot_roc_curves(p)
    ax = fig.axes[0]
    assert ax.get_title() == "Connectivity effect (fc)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # The table's AUROC: each outer fold's AUROC, averaged (not the pooled curve's area,
    # which would count every subject once per repeat).
    means = {m: np.mean([roc_auc_score(f["y_true"], f["y_score"])
                         for _, f in g.groupby(["repeat", "fold"])])
             for m, g in p.groupby("model")}
    pooled = roc_auc_score(p.loc[p.model == "fmm_tc", "y_true"],
                           p.loc[p.model == "fmm_tc", "y_score"])
    # folds scored on other scales (as models refitted per fold are): pooling mixes them
    assert abs(pooled - means["fmm_tc"]) > 0.05
    assert legend == [f"corr_logreg: AUROC {means['corr_logreg']:.2f} (6 folds)",
                      f"fmm_tc: AUROC {means['fmm_tc']:.2f} (6 folds)"]
    # One mean curve per model with a band; the diagonal has no legend entry.
    assert len(ax.collections) == 2
    pyplot().close(fig)


def test_roc_curves_of_many_models_are_told_apart_by_colour_and_line_style():
    # 14 models, as in the main job: more than the ten colours of the cycle
    p = _predictions()
    one = p[p.model == "corr_logreg"]
    p = pd.concat([one.assign(model=f"model{k:02d}") for k in range(14)], ignore_index=True)
    fig = plot_roc_curves(p)
    lines = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("model")]
    assert len(lines) == 14
    styles = {(line.get_color(), line.get_linestyle()) for line in lines}
    assert len(styles) == 14
    pyplot().close(fig)


def test_every_figure_is_written_as_png_at_300_dpi_and_as_pdf_and_svg(tmp_path):
    from PIL import Image

    from skfmm.utils.plotting import FIGURE_FORMATS, save_figure

    fig = plot_roc_curves(_predictions())
    width, height = fig.get_size_inches()
    paths = save_figure(fig, tmp_path / "roc.png", formats=FIGURE_FORMATS, close=True)
    assert [p.rsplit(".", 1)[1] for p in paths] == ["png", "pdf", "svg"]
    assert (tmp_path / "roc.pdf").read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in (tmp_path / "roc.svg").read_bytes()[:500]
    with Image.open(tmp_path / "roc.png") as image:
        dpi = image.info["dpi"]
        assert round(dpi[0]) == 300
        # tight bounding box: at least the figure's width at 300 dpi
        assert image.size[0] >= 0.9 * width * 300
