"""Figures of the benchmark (``skfmm benchmark``): MCC intervals and ROC curves.

Each function draws from the benchmark's tables (``summary.csv``, ``predictions.csv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..utils._docs import fill_doc
from ..utils.plotting import pyplot, save_figure
from ._common import check_summary, is_one_class, ordered
from .report import ONE_CLASS

__all__ = ["plot_mcc_intervals", "plot_roc_curves"]

#: Panel titles of the simulated scenarios, in words; any other scenario name (a BIDS
#: cohort's folder) is shown as it is.
SCENARIO_TITLES = {
    "none": "No effect (none)",
    "fc": "Connectivity effect (fc)",
    "ts": "Temporal-dynamics effect (ts)",
    "both": "Both effects (both)",
}


def scenario_title(scenario: str) -> str:
    """The words a panel of ``scenario`` is titled with (other names are kept as they are).

    Examples
    --------
    >>> from skfmm.benchmark.figures import scenario_title
    >>> scenario_title("fc"), scenario_title("ds000208")
    ('Connectivity effect (fc)', 'ds000208')
    """
    return SCENARIO_TITLES.get(str(scenario), str(scenario))


# What the estimate and the interval of each summary method are, in the axis label.
_METHOD_LABELS = {
    "corrected_t": "mean over outer folds (95 % corrected t CI)",
    "corrected_t_transformed": "mean over outer folds (95 % corrected t CI, Fisher z)",
    "subjects": "pooled out-of-fold (95 % subject-bootstrap CI)",
    "folds": "mean over outer folds (95 % fold-bootstrap CI)",
}
#: Colours of the marker kinds (colour-blind safe: Okabe-Ito blue, vermilion, grey).
_ESTIMATE, _AUTHORS, _MUTED = "#0072B2", "#D55E00", "#7f7f7f"


def _estimate_label(metric, rows):
    """Axis label naming the estimate and the interval the summary rows hold."""
    methods = set(rows["method"].dropna()) if "method" in rows else set()
    if len(methods) == 1 and next(iter(methods)) in _METHOD_LABELS:
        return f"{metric.upper()}, {_METHOD_LABELS[next(iter(methods))]}"
    return f"{metric.upper()} (95 % CI)"  # an older summary that does not say, or a mix


def _chance_line(metric, rows):
    """The chance level drawn as a dashed line (None where the metric has none)."""
    from ..evaluation import CHANCE_LEVELS

    level = CHANCE_LEVELS.get(metric)
    if isinstance(level, str) and "chance" in rows:
        values = rows["chance"].dropna().unique()
        level = float(values[0]) if len(values) == 1 else None
    return level if isinstance(level, (int, float)) else None


def _axes_row(axes, n, who):
    """The caller's axes as a flat list of ``n``, or None to make a new figure."""
    if axes is None:
        return None
    flat = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(flat) != n:
        raise ValueError(f"{who}: 'axes' must hold one matplotlib Axes per scenario ({n}); "
                         f"got {len(flat)}.")
    return flat


@fill_doc
def plot_mcc_intervals(summary, path=None, *, metric="mcc", extra=None, axes=None,
                       caption=None):
    """Estimate and interval of ``metric`` per model, one panel per scenario.

    The panels share one x-axis, the metric's whole range (MCC -1 to 1), with its bounds
    drawn and the chance level dashed, so panels compare by eye. The interval is the
    summary's own (``summary.csv``: by default the corrected repeated-CV t interval, cut at
    the metric's range; an end cut at a bound is drawn as a triangle). A model that predicted
    one class for every subject of every fold (``one_class``) is a hollow grey marker,
    labelled; a model without an interval (too few folds, no spread) a grey dot. The legend
    has an entry for each kind of marker drawn.

    Parameters
    ----------
    %(summary_csv)s
    %(path_figure)s
    %(metric)s
    extra : dict, optional
        ``{scenario: [(label, mean, ci_low, ci_high), ...]}`` extra points drawn as squares
        (the authors' protocol in the ``none`` scenario).
    %(axes_scenarios)s
    %(caption)s

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from skfmm.benchmark.figures import plot_mcc_intervals
    >>> s = pd.DataFrame({"scenario": ["none"], "model": ["chance"], "metric": ["mcc"],
    ...                   "mean": [0.0], "ci_low": [-0.2], "ci_high": [0.2]})
    >>> fig = plot_mcc_intervals(s)
    >>> len(fig.axes), tuple(float(v) for v in fig.axes[0].get_xlim())
    (1, (-1.05, 1.05))
    """
    from matplotlib.lines import Line2D

    from ..evaluation import METRIC_RANGES

    check_summary(summary, "plot_mcc_intervals")
    if metric not in METRIC_RANGES:
        raise ValueError(f"plot_mcc_intervals: 'metric' must be one of {list(METRIC_RANGES)}; "
                         f"got {metric!r}.")
    rows = summary[summary["metric"] == metric]
    if rows.empty:
        raise ValueError(f"plot_mcc_intervals: no rows with metric {metric!r} in 'summary'.")
    scenarios = ordered(rows["scenario"])
    models = ordered(rows["model"])
    extra = extra or {}
    extra_labels = ordered(e[0] for points in extra.values() for e in points)
    labels = list(models) + extra_labels
    low_m, high_m = METRIC_RANGES[metric]
    pad = 0.025 * (high_m - low_m)
    flat = _axes_row(axes, len(scenarios), "plot_mcc_intervals")
    if flat is None:
        plt = pyplot()
        fig, grid = plt.subplots(1, len(scenarios), figsize=(2.6 * len(scenarios) + 1.8,
                                                             0.32 * len(labels) + 1.6),
                                 sharex=True, sharey=True, squeeze=False)
        flat = list(grid[0])
    else:
        fig = flat[0].figure
    chance = _chance_line(metric, rows)
    kinds = set()
    for ax, scenario in zip(flat, scenarios):
        sub = rows[rows["scenario"] == scenario].set_index("model")
        for i, model in enumerate(models):
            if model not in sub.index:
                continue
            r = sub.loc[model]
            if is_one_class(r):
                ax.plot(r["mean"], i, "o", mfc="none", color=_MUTED)
                ax.annotate(ONE_CLASS, (r["mean"], i), xytext=(6, 0),
                            textcoords="offset points", va="center", fontsize=6,
                            color=_MUTED)
                kinds.add("one_class")
            elif np.isfinite(r["mean"]) and np.isfinite(r["ci_low"]):
                _interval(ax, i, r["mean"], r["ci_low"], r["ci_high"], _ESTIMATE, "o",
                          (low_m, high_m), kinds)
                kinds.add("estimate")
            elif np.isfinite(r["mean"]):
                ax.plot(r["mean"], i, "o", color=_MUTED, ms=4)
                kinds.add("no_interval")
        for j, label in enumerate(extra_labels):
            for name, mean, low, high in extra.get(scenario, []):
                if name == label:
                    _interval(ax, len(models) + j, mean, low, high, _AUTHORS, "s",
                              (low_m, high_m), kinds)
                    kinds.add("authors")
        for bound in (low_m, high_m):
            ax.axvline(bound, color="black", lw=0.8)
        if chance is not None:
            ax.axvline(chance, color=_MUTED, lw=0.8, ls="--")
        ax.set_xlim(low_m - pad, high_m + pad)
        ax.set_title(scenario_title(scenario), fontsize="medium")
        ax.grid(axis="x", color="0.9", lw=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize="small")
    flat[0].set_yticks(range(len(labels)))
    flat[0].set_yticklabels(labels, fontsize="small")
    if not flat[0].yaxis_inverted():
        flat[0].invert_yaxis()
    handles = []
    if "estimate" in kinds:
        handles.append(Line2D([], [], color=_ESTIMATE, marker="o", label="estimate, 95 % CI"))
    if "authors" in kinds:
        handles.append(Line2D([], [], color=_AUTHORS, marker="s",
                              label="authors' protocol (best epoch on the test fold)"))
    if "cut" in kinds:
        handles.append(Line2D([], [], color="black", marker=">", ls="none",
                              label="CI cut at the metric's bound"))
    if "no_interval" in kinds:
        handles.append(Line2D([], [], color=_MUTED, marker="o", ms=4, ls="none",
                              label="no CI (too few folds or no spread)"))
    if "one_class" in kinds:
        handles.append(Line2D([], [], color=_MUTED, marker="o", mfc="none", ls="none",
                              label=ONE_CLASS))
    if chance is not None:
        handles.append(Line2D([], [], color=_MUTED, ls="--", label=f"chance ({chance:g})"))
    handles.append(Line2D([], [], color="black", lw=0.8,
                          label=f"range of {metric.upper()} [{low_m:g}, {high_m:g}]"))
    _footer(fig, _estimate_label(metric, rows), handles, caption, ncol=3,
            own_figure=axes is None)
    return _finish(fig, path)


def _footer(fig, xlabel, handles, caption, *, ncol, own_figure):
    """Below the panels, in this order: the shared axis label, the legend, the caption.

    The space is reserved in inches (the figure grows by it), so the three never overlap
    whatever the figure's height; on the caller's axes only the texts are added.
    """
    rows = -(-len(handles) // ncol) if handles else 0
    lines = caption.count("\n") + 1 if caption else 0
    reserve = 0.32 + 0.2 * rows + 0.17 * lines + 0.12  # inches: label, legend, caption
    width, height = fig.get_size_inches()
    if own_figure:
        fig.set_size_inches(width, height + reserve)
        height += reserve
        fig.tight_layout(rect=(0, reserve / height, 1, 1))
    fig.text(0.5, reserve / height, xlabel, ha="center", va="top", fontsize="medium")
    if handles:
        fig.legend(handles=handles, loc="upper center", ncol=ncol, frameon=False,
                   fontsize="small", bbox_to_anchor=(0.5, (reserve - 0.27) / height),
                   borderaxespad=0.0, handlelength=1.8, columnspacing=1.2)
    if caption:
        fig.text(0.5, 0.04 / height, caption, ha="center", va="bottom", fontsize="x-small")


def _interval(ax, y, mean, low, high, colour, marker, bounds, kinds):
    """One estimate with its interval; an end that sits on a bound gets a triangle."""
    ax.errorbar(mean, y, xerr=[[mean - low], [high - mean]], fmt=marker, color=colour,
                capsize=2.5, ms=5, lw=1.2)
    tol = 1e-9 * (bounds[1] - bounds[0])
    if low <= bounds[0] + tol:
        ax.plot(bounds[0], y, "<", color="black", ms=5)
        kinds.add("cut")
    if high >= bounds[1] - tol:
        ax.plot(bounds[1], y, ">", color="black", ms=5)
        kinds.add("cut")


@fill_doc
def plot_roc_curves(predictions, path=None, *, axes=None, caption=None):
    """Mean ROC curve over the outer folds per model, with a band, one panel per scenario.

    Each outer fold's ROC curve (its test subjects, scored by a model that never saw them)
    is interpolated at common false-positive rates and averaged (vertical averaging,
    Fawcett 2006); the band is +/- one standard deviation of the folds' true-positive rates
    (drawn within [0, 1]). The legend's AUROC is the mean of the folds' AUROCs: the
    estimate of ``summary.csv``, not the area under a curve pooled over repeats (which
    would count every subject once per repeat). Models without scores are left out.

    Parameters
    ----------
    predictions : DataFrame
        Columns ``scenario, model, repeat, fold, y_true, y_score`` and ``pos_label`` (or a
        positive class of 1 / True); without ``repeat`` and ``fold``, all rows are one fold.
    %(path_figure)s
    %(axes_scenarios)s
    %(caption)s

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from skfmm.benchmark.figures import plot_roc_curves
    >>> p = pd.DataFrame({"scenario": "fc", "model": "m", "repeat": 0, "fold": [0] * 4 + [1] * 4,
    ...                   "y_true": [0, 1] * 4, "y_score": [.1, .9, .4, .6, .3, .8, .6, .5],
    ...                   "pos_label": 1})
    >>> fig = plot_roc_curves(p)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['m: AUROC 0.88 (2 folds)']
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    needed = ("scenario", "model", "y_true", "y_score")
    if not isinstance(predictions, pd.DataFrame) or any(c not in predictions for c in needed):
        raise ValueError(f"plot_roc_curves: 'predictions' must be a DataFrame with columns "
                         f"{list(needed)}.")
    predictions = predictions.copy()
    for column in ("repeat", "fold"):
        if column not in predictions:
            predictions[column] = 0
    scenarios = ordered(predictions["scenario"])
    n_models = max((sub["model"].nunique() for _, sub in predictions.groupby("scenario")),
                   default=1)
    flat = _axes_row(axes, len(scenarios), "plot_roc_curves")
    if flat is None:
        plt = pyplot()
        fig, grid = plt.subplots(1, len(scenarios), figsize=(3.3 * len(scenarios) + 0.4,
                                                             3.9 + 0.2 * n_models),
                                 sharex=True, sharey=True, squeeze=False)
        flat = list(grid[0])
    else:
        fig = flat[0].figure
    grid_fpr = np.linspace(0.0, 1.0, 101)
    for ax, scenario in zip(flat, scenarios):
        sub = predictions[predictions["scenario"] == scenario]
        for k, model in enumerate(ordered(sub["model"])):
            p = sub[sub["model"] == model]
            if not np.all(np.isfinite(p["y_score"].to_numpy(dtype=float))):
                continue
            pos = p["pos_label"].iloc[0] if "pos_label" in p else 1
            tprs, aucs = [], []
            for _, fold in p.groupby(["repeat", "fold"], sort=True):
                truth = fold["y_true"].to_numpy() == pos
                if truth.all() or not truth.any():
                    continue  # AUROC undefined on this fold, as in the fold table
                scores = fold["y_score"].to_numpy(dtype=float)
                fpr, tpr, _ = roc_curve(truth, scores)
                tprs.append(np.interp(grid_fpr, fpr, tpr))
                tprs[-1][0] = 0.0
                aucs.append(roc_auc_score(truth, scores))
            if not aucs:
                continue
            tprs = np.asarray(tprs)
            mean_tpr = tprs.mean(axis=0)
            # ten colours, then the same colours dashed, dotted, ...: one style per model
            colour, style = f"C{k % 10}", ("-", "--", ":", "-.")[(k // 10) % 4]
            ax.plot(grid_fpr, mean_tpr, lw=1.3, color=colour, ls=style,
                    label=f"{model}: AUROC {np.mean(aucs):.2f} ({len(aucs)} folds)")
            spread = tprs.std(axis=0)
            ax.fill_between(grid_fpr, np.maximum(mean_tpr - spread, 0.0),
                            np.minimum(mean_tpr + spread, 1.0), color=colour, alpha=0.08,
                            lw=0)
        ax.plot([0, 1], [0, 1], color=_MUTED, lw=0.8, ls="--")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(scenario_title(scenario), fontsize="medium")
        ax.set_aspect("equal")
        ax.tick_params(labelsize="small")
        if ax.get_legend_handles_labels()[0]:
            # below the panel, one entry per line: readable with ten models
            ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.16),
                      frameon=False)
    flat[0].set_ylabel("true positive rate")
    for ax in flat:
        ax.set_xlabel("false positive rate", fontsize="small")
    if axes is None:
        fig.tight_layout()
    text = ("Mean ROC over the outer folds (vertical averaging), band +/- 1 SD over folds; "
            "AUROC: mean over folds (as summary.csv); grey dashed diagonal: chance.")
    # The caption goes under the lowest legend, measured once the figure is laid out.
    fig.draw_without_rendering()
    inv = fig.transFigure.inverted()
    bottoms = [inv.transform(ax.get_legend().get_window_extent())[0, 1] for ax in flat
               if ax.get_legend() is not None]
    fig.text(0.5, min(bottoms, default=0.0) - 0.08 / fig.get_size_inches()[1],
             text + ("\n" + caption if caption else ""), ha="center", va="top",
             fontsize="x-small")
    return _finish(fig, path)


def _finish(fig, path):
    """Given a path, save the figure there (300 dpi) and close it; return the figure."""
    if path is not None:
        save_figure(fig, path, close=True)
    return fig
