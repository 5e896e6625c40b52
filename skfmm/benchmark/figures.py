"""Figures of the benchmark (``skfmm benchmark``): MCC intervals and ROC curves.

Each function draws from the benchmark's tables (``summary.csv``, ``predictions.csv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..utils.plotting import pyplot
from .report import ONE_CLASS, _check_summary, _is_one_class, _ordered

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
    "subjects": "pooled out-of-fold (95 % subject-bootstrap CI)",
    "folds": "mean over outer folds (95 % fold-bootstrap CI)",
}


def _estimate_label(metric, rows):
    """Axis label naming the estimate and the interval the summary rows hold."""
    methods = set(rows["method"].dropna()) if "method" in rows else set()
    if len(methods) == 1 and next(iter(methods)) in _METHOD_LABELS:
        return f"{metric.upper()}, {_METHOD_LABELS[next(iter(methods))]}"
    return f"{metric.upper()} (95 % CI)"  # an older summary that does not say, or a mix


def plot_mcc_intervals(summary, path=None, *, metric="mcc", extra=None):
    """Estimate and interval of ``metric`` per model, one panel per scenario.

    The interval is the summary's own (``summary.csv``: by default the corrected repeated-CV
    t interval). A model that predicted one class for every subject of every fold
    (``one_class``) is drawn as a hollow marker at its value, labelled "one class
    predicted", without an interval.

    Parameters
    ----------
    summary : DataFrame
        As ``summary.csv``.
    path : str, optional
        Where to save the figure (format from the extension).
    metric : str, default="mcc"
    extra : dict, optional
        ``{scenario: [(label, mean, ci_low, ci_high), ...]}`` extra points drawn in red
        (the authors' protocol in the `none` scenario (no effect)).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from skfmm.benchmark.figures import plot_mcc_intervals
    >>> s = pd.DataFrame({"scenario": ["none"], "model": ["chance"], "metric": ["mcc"],
    ...                   "mean": [0.0], "ci_low": [-0.2], "ci_high": [0.2]})
    >>> len(plot_mcc_intervals(s).axes)
    1
    """
    _check_summary(summary, "plot_mcc_intervals")
    plt = pyplot()
    rows = summary[summary["metric"] == metric]
    scenarios = _ordered(rows["scenario"])
    models = _ordered(rows["model"])
    extra = extra or {}
    n_extra = max((len(v) for v in extra.values()), default=0)
    fig, axes = plt.subplots(1, len(scenarios), figsize=(3.2 * len(scenarios) + 1.6,
                                                         0.45 * (len(models) + n_extra) + 1.4),
                             sharey=True, squeeze=False)
    labels = list(models) + [e[0] for e in next(iter(extra.values()), [])] if extra else models
    for ax, scenario in zip(axes[0], scenarios):
        sub = rows[rows["scenario"] == scenario].set_index("model")
        for i, model in enumerate(models):
            if model not in sub.index:
                continue
            r = sub.loc[model]
            if _is_one_class(r):
                ax.plot(r["mean"], i, "o", mfc="none", color="grey")
                ax.annotate(ONE_CLASS, (r["mean"], i), xytext=(6, 0),
                            textcoords="offset points", va="center", fontsize=7, color="grey")
            elif np.isfinite(r["mean"]) and np.isfinite(r["ci_low"]):
                ax.errorbar(r["mean"], i, xerr=[[r["mean"] - r["ci_low"]],
                                                [r["ci_high"] - r["mean"]]],
                            fmt="o", color="C0", capsize=3)
            elif np.isfinite(r["mean"]):  # no interval (a single fold)
                ax.plot(r["mean"], i, "o", color="C0")
        for j, (label, mean, low, high) in enumerate(extra.get(scenario, [])):
            ax.errorbar(mean, len(models) + j, xerr=[[mean - low], [high - mean]], fmt="s",
                        color="C3", capsize=3)
        ax.axvline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_title(scenario_title(scenario))
        ax.set_xlabel(_estimate_label(metric, rows))
    axes[0][0].set_yticks(range(len(labels)))
    axes[0][0].set_yticklabels(labels)
    axes[0][0].invert_yaxis()
    return _finish(fig, path)


def plot_roc_curves(predictions, path=None):
    """ROC curves from out-of-fold predictions, one panel per scenario, one curve per model.

    Each curve pools every outer fold and repeat (each subject scored by models that never
    saw it); models without scores are left out.

    Parameters
    ----------
    predictions : DataFrame
        Columns ``scenario, model, y_true, y_score`` and ``pos_label`` (or a positive class
        of 1 / True).
    path : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from skfmm.benchmark.figures import plot_roc_curves
    >>> p = pd.DataFrame({"scenario": "fc", "model": "m", "y_true": [0, 1, 0, 1],
    ...                   "y_score": [0.1, 0.9, 0.4, 0.6], "pos_label": 1})
    >>> len(plot_roc_curves(p).axes)
    1
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    needed = ("scenario", "model", "y_true", "y_score")
    if not isinstance(predictions, pd.DataFrame) or any(c not in predictions for c in needed):
        raise ValueError(f"plot_roc_curves: 'predictions' must be a DataFrame with columns "
                         f"{list(needed)}.")
    plt = pyplot()
    scenarios = _ordered(predictions["scenario"])
    n_models = max((sub["model"].nunique() for _, sub in predictions.groupby("scenario")),
                   default=1)
    fig, axes = plt.subplots(1, len(scenarios), figsize=(3.8 * len(scenarios),
                                                         4.2 + 0.22 * (n_models + 1)),
                             squeeze=False)
    for ax, scenario in zip(axes[0], scenarios):
        sub = predictions[predictions["scenario"] == scenario]
        for k, model in enumerate(_ordered(sub["model"])):
            p = sub[sub["model"] == model]
            scores = p["y_score"].to_numpy(dtype=float)
            if not np.all(np.isfinite(scores)):
                continue
            pos = p["pos_label"].iloc[0] if "pos_label" in p else 1
            truth = p["y_true"].to_numpy() == pos
            if truth.all() or not truth.any():
                continue
            fpr, tpr, _ = roc_curve(truth, scores)
            auc = roc_auc_score(truth, scores)
            ax.plot(fpr, tpr, lw=1.2, color=f"C{k % 10}", label=f"{model}: AUC = {auc:.2f}")
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="diagonal: AUC = 0.50")
        ax.set_title(scenario_title(scenario))
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_aspect("equal")
        # below the panel, one entry per line: readable with ten models
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18),
                  frameon=False)
    return _finish(fig, path)


def _finish(fig, path):
    """Lay the figure out; given a path, save it and close it (pyplot keeps open figures alive)."""
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")  # the ROC legends sit below the axes
        pyplot().close(fig)
    return fig
