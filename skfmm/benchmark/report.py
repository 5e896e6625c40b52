"""Tables and the markdown report of the benchmark (``skfmm benchmark``), from its results.

Reads the bootstrap summaries and nested-CV results; figures: :mod:`skfmm.benchmark.figures`.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..utils._docs import fill_doc
from ._common import SUMMARY_COLUMNS, check_summary, is_one_class, ordered

__all__ = [
    "results_table",
    "p_value_table",
    "summary_method",
    "null_coverage",
    "protocol_inflation",
    "write_report",
    "SUMMARY_COLUMNS",
]

#: How each interval method of :func:`skfmm.evaluation.summarize` is described in the outputs.
METHOD_TEXT = {
    "corrected_t": "corrected repeated-CV t interval on the per-fold values, cut at the "
                   "metric's range",
    "corrected_t_transformed": "corrected repeated-CV t interval on the per-fold values, on "
                               "the Fisher-z / logit scale",
    "subjects": "subject bootstrap of the pooled out-of-fold metric",
    "folds": "bootstrap over folds",
}
#: Estimates, per method.
ESTIMATE_TEXT = {
    "corrected_t": "mean over all outer folds",
    "corrected_t_transformed": "mean over all outer folds",
    "subjects": "pooled out-of-fold, averaged over repeats",
    "folds": "mean over all outer folds",
}
#: The cell of a model that predicted one class for every subject of every fold.
ONE_CLASS = "one class predicted"


def summary_method(summary):
    """The interval method of a summary (``"mixed"`` when it varies; None when not recorded)."""
    if "method" not in summary:
        return summary.attrs.get("method")
    methods = summary["method"].dropna().unique()
    return methods[0] if len(methods) == 1 else ("mixed" if len(methods) else None)


@fill_doc
def results_table(summary, metric="mcc", digits=2):
    """One cell ``mean [ci_low, ci_high]`` per model (rows) and scenario (columns).

    A model that predicted one class for every subject of every fold (``one_class``) reads
    ``"one class predicted"`` rather than a precise-looking ``+0.00 [+0.00, +0.00]``; for
    AUROC, which it may still have from its scores, the flag follows the value.

    Parameters
    ----------
    summary : DataFrame
        Columns ``scenario, model, metric, mean, ci_low, ci_high`` (``summary.csv``), and
        optionally ``one_class``.
    %(metric)s
    digits : int, default=2

    Returns
    -------
    DataFrame
        Index: models (in order of appearance); columns: scenarios.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfmm.benchmark.report import results_table
    >>> s = pd.DataFrame({"scenario": ["none"], "model": ["chance"], "metric": ["mcc"],
    ...                   "mean": [0.013], "ci_low": [-0.2], "ci_high": [0.25]})
    >>> results_table(s).loc["chance", "none"]
    '+0.01 [-0.20, +0.25]'
    >>> results_table(s.assign(mean=0.0, ci_low=0.0, ci_high=0.0, one_class=True)).iloc[0, 0]
    'one class predicted'
    """
    check_summary(summary, "results_table")
    rows = summary[summary["metric"] == metric]
    if rows.empty:
        raise ValueError(f"results_table: no rows with metric {metric!r} in 'summary' (metrics: "
                         f"{sorted(summary['metric'].unique())}).")

    def cell(r):
        one_class = is_one_class(r)
        if one_class and metric != "auroc":
            return ONE_CLASS
        if not np.isfinite(r["mean"]):
            text = "n/a"
        elif not np.isfinite(r["ci_low"]):
            text = f"{r['mean']:+.{digits}f} [{_missing_interval(r)}]"
        else:
            text = (f"{r['mean']:+.{digits}f} [{r['ci_low']:+.{digits}f}, "
                    f"{r['ci_high']:+.{digits}f}]")
        return f"{text} ({ONE_CLASS})" if one_class else text

    table = pd.DataFrame(index=ordered(rows["model"]), columns=ordered(rows["scenario"]),
                         dtype=object)
    for _, r in rows.iterrows():
        table.loc[r["model"], r["scenario"]] = cell(r)
    table.index.name = "model"
    return table.fillna("")


def _missing_interval(row):
    """A table cell's words for a missing interval, from the summary's ``note``."""
    note = row.get("note", "")
    note = note if isinstance(note, str) else ""
    if "outer fold" in note:
        return f"no CI: {note.split(': ')[1].split(',')[0]}"
    if "same value" in note:
        return "no CI: no spread"
    return "no CI"


@fill_doc
def p_value_table(summary, metric="mcc"):
    """One cell per model and scenario: the p-value against the metric's chance level.

    Parameters
    ----------
    %(summary_csv)s
        With ``p_value`` and ``p_null``.
    %(metric)s

    Returns
    -------
    DataFrame
        Index: models; columns: scenarios; cells ``"0.012"``, ``"<0.001"`` or ``"n/a"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfmm.benchmark.report import p_value_table
    >>> s = pd.DataFrame({"scenario": ["none", "fc"], "model": "m", "metric": "mcc",
    ...                   "mean": [0.0, 0.6], "ci_low": [-0.3, 0.2], "ci_high": [0.3, 0.9],
    ...                   "p_value": [0.93, 0.0004], "p_null": "two-sided, H0: mcc = 0"})
    >>> p_value_table(s).loc["m"].tolist()
    ['0.930', '<0.001']
    """
    check_summary(summary, "p_value_table")
    rows = summary[summary["metric"] == metric]
    table = pd.DataFrame(index=ordered(rows["model"]), columns=ordered(rows["scenario"]),
                         dtype=object)
    for _, r in rows.iterrows():
        p = r.get("p_value", np.nan)
        table.loc[r["model"], r["scenario"]] = (
            "n/a" if not np.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.3f}")
    table.index.name = "model"
    return table.fillna("")


def _p_null(summary, metric):
    """What the p-values of ``metric`` test, in words (the summary's ``p_null``)."""
    if "p_null" not in summary:
        return None
    texts = summary.loc[(summary["metric"] == metric) & summary["p_value"].notna(), "p_null"]
    texts = ordered(texts.dropna())
    return texts[0] if len(texts) == 1 else ("; ".join(texts) if texts else None)


@fill_doc
def null_coverage(summary, scenario="none", metric="mcc"):
    """Which models' interval of ``metric`` covers 0 in the `none` scenario (no effect).

    Parameters
    ----------
    %(summary_csv)s
    scenario : str, default="none"
    %(metric)s

    Returns
    -------
    dict
        ``covers``: {model: bool} (models with an interval); ``all_cover``: bool (None
        when no model has an interval);
        ``statement``: one sentence or a few; ``one_class``, ``no_interval``: lists of models.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfmm.benchmark.report import null_coverage
    >>> s = pd.DataFrame({"scenario": ["none", "none"], "model": ["a", "b"],
    ...                   "metric": ["mcc", "mcc"], "mean": [0.0, 0.3],
    ...                   "ci_low": [-0.2, 0.1], "ci_high": [0.2, 0.5]})
    >>> cov = null_coverage(s)
    >>> cov["covers"], cov["all_cover"]
    ({'a': True, 'b': False}, False)
    """
    check_summary(summary, "null_coverage")
    rows = summary[(summary["scenario"] == scenario) & (summary["metric"] == metric)]
    if rows.empty:
        raise ValueError(f"null_coverage: no {metric!r} rows for scenario {scenario!r} in "
                         "'summary'.")
    covers, no_interval = {}, []
    for _, r in rows.iterrows():
        if not (np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"])):
            no_interval.append(r["model"])
            continue
        covers[r["model"]] = bool(r["ci_low"] <= 0 <= r["ci_high"])
    failing = [m for m, ok in covers.items() if not ok]
    above = [m for m in failing if rows.set_index("model").loc[m, "ci_low"] > 0]
    below = [m for m in failing if m not in above]
    one_class = [r["model"] for _, r in rows.iterrows() if is_one_class(r)]
    lead = "In the `none` scenario (no effect: labels independent of the data)"
    if not covers:
        statement = f"{lead} no model has an interval, so there is no coverage check."
    elif not failing:
        statement = (f"{lead} every model's 95 % {metric.upper()} interval covers 0 "
                     f"({len(covers)} of {len(covers)}{' with an interval' if no_interval else ''}"
                     ").")
    else:
        statement = (f"{lead} {len(covers) - len(failing)} of {len(covers)} models have a 95 % "
                     f"{metric.upper()} interval that covers 0; the interval does NOT cover 0 "
                     f"for: {', '.join(failing)}.")
        if above:
            statement += (f" Entirely above 0 ({', '.join(above)}): a 95 % interval lands "
                          "there by chance about once in 40; more often than that points to a "
                          "leak or to optimistic selection.")
        if below:
            statement += (f" Entirely below 0 ({', '.join(below)}): not skill and not a leak "
                          "but chance or the known negative bias of cross-validation under "
                          "the null on small samples (a subject held out shifts the training "
                          "classes' means away from it; strongest for linear models on many "
                          "features).")
    if no_interval:
        notes = rows.set_index("model").get("note")
        reasons = ordered(notes[m].removeprefix("no interval: ") for m in no_interval
                           if notes is not None and isinstance(notes[m], str)) or [
            "identical values in every fold, or a single fold"]
        statement += (f" No interval for {', '.join(no_interval)} ({'; '.join(reasons)}), so "
                      "no coverage check for them.")
    if one_class:
        statement += (f" {', '.join(one_class)} predicted one class for every subject of every "
                      "fold: MCC 0 by construction, not a measured chance level.")
    return {"covers": covers, "all_cover": (not failing) if covers else None,
            "statement": statement, "one_class": one_class, "no_interval": no_interval}


@fill_doc
def protocol_inflation(ours, authors, *, metric="mcc", n_boot=2000, n_permutations=2000, ci=0.95,
                       random_state=0, method="auto"):
    """How much the authors' protocol (best epoch on the test fold) inflates a metric.

    Both results must come from the same outer splits of the same subjects (the same
    ``random_state`` of :func:`~skfmm.evaluation.nested_cross_validate`). It is
    :func:`~skfmm.evaluation.paired_difference` with ``a=ours`` and ``b=authors``: by
    default the mean of the per-fold differences (authors minus ours) with the corrected
    repeated-CV t interval and p-value, plus the paired permutation p-value of the pooled
    difference, the pooled values and the per-fold means; its errors name ``ours`` and
    ``authors``.

    Parameters
    ----------
    ours, authors : NestedCVResult
        With predictions.
    %(metric)s
    %(n_boot_methods)s
    %(n_permutations_swaps)s
    %(ci)s
    %(random_state)s
        It seeds the bootstrap and the swaps.
    method : {"auto", "corrected_t", "subjects"}, default="auto"
        As for :func:`~skfmm.evaluation.paired_difference`.

    Returns
    -------
    dict
        ``difference``, ``ci_low``, ``ci_high``, ``p_value``, ``p_permutation``, ``p_null``
        (what they test), ``note`` (why the interval is missing, or ``""``), ``method``,
        ``ours``, ``authors`` (pooled values), ``ours_fold_mean``, ``authors_fold_mean``
        (mean of per-fold values, as the paper reports), ``n_folds``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import nested_cross_validate
    >>> from skfmm.benchmark.report import protocol_inflation
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(40, 2)), np.repeat([0, 1], 20)
    >>> a = nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, verbose=0)
    >>> protocol_inflation(a, a, n_permutations=99)["difference"]
    0.0
    """
    from ..evaluation import paired_difference

    diff = paired_difference(ours, authors, metric=metric, method=method, n_boot=n_boot,
                             n_permutations=n_permutations, ci=ci, random_state=random_state,
                             names=("ours", "authors"), who="protocol_inflation")
    pooled = {"ours": diff["a"], "authors": diff["b"]}
    if diff["method"] != "subjects":
        from ..evaluation import pooled_metrics

        pooled = {"ours": pooled_metrics(ours)[metric], "authors": pooled_metrics(authors)[metric]}
    return {
        "metric": metric,
        "method": diff["method"],
        "difference": diff["difference"],
        "ci_low": diff["ci_low"],
        "ci_high": diff["ci_high"],
        "p_value": diff["p_value"],
        "p_permutation": diff["p_permutation"],
        "p_null": diff["p_null"],
        "note": diff["note"],
        **pooled,
        "ours_fold_mean": float(np.nanmean(ours.folds[metric])),
        "authors_fold_mean": float(np.nanmean(authors.folds[metric])),
        "n_folds": int(len(ours.folds)),
    }


def interval_caption(method):
    """The caption of a table of estimates and 95 % intervals made by ``method``."""
    if method in METHOD_TEXT:
        return f"{ESTIMATE_TEXT[method]}, 95 % {METHOD_TEXT[method]}"
    return "95 % interval, method " + str(method)


def paired_caption(method):
    """How a paired difference's interval is named."""
    return {"corrected_t": "corrected repeated-CV t interval on the per-fold differences",
            "subjects": "paired subject-bootstrap interval"}.get(method, str(method))


def p_text(diff):
    """The p-values of a paired difference in words, after "; " (empty without any)."""
    parts = []
    if np.isfinite(diff.get("p_value", np.nan)):
        parts.append(f"corrected t p = {diff['p_value']:.3f}")
    if np.isfinite(diff.get("p_permutation", np.nan)):
        parts.append(f"paired permutation p = {diff['p_permutation']:.3f}")
    if parts:
        parts[-1] += " (two-sided, H0: no difference)"
    return ("; " + ", ".join(parts)) if parts else ""


def inflation_interval(i):
    """The inflation's interval in words, or why there is none."""
    if not np.isfinite(i.get("ci_low", np.nan)):
        return i.get("note") or "no interval"
    return (f"95 % {paired_caption(i.get('method', 'subjects'))} [{i['ci_low']:+.3f}, "
            f"{i['ci_high']:+.3f}]")


def _markdown(table):
    cols = [table.index.name or ""] + [str(c) for c in table.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in table.iterrows():
        lines.append("| " + " | ".join([str(idx)] + [str(v) for v in row.tolist()]) + " |")
    return "\n".join(lines)


@fill_doc
def write_report(path, *, summary, command, design, scenarios, models, coverage=None,
                 inflation=None, timing=None, notes=(), figures=(), extra_sections=()):
    """Write the benchmark's markdown report.

    Parameters
    ----------
    path : str
        The ``.md`` file to write.
    %(summary_csv)s
    command : str
        The command line that made the results.
    design : dict
        Cohort and cross-validation settings (printed as a list).
    scenarios : dict
        ``{name: description}``.
    models : dict
        ``{name: description}``.
    coverage : dict, optional
        :func:`null_coverage`'s output.
    inflation : dict, optional
        :func:`protocol_inflation`'s output plus ``model`` (and ``max_epochs``).
    timing : dict, optional
        ``wall_s``, ``n_folds``, ``n_cached``.
    notes : list of str
    figures : list of (title, relative path)
    extra_sections : list of (title, markdown text)

    Returns
    -------
    str
        The markdown text.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> from skfmm.benchmark.report import write_report
    >>> s = pd.DataFrame({"scenario": ["none"], "model": ["chance"], "metric": ["mcc"],
    ...                   "mean": [0.0], "ci_low": [-0.2], "ci_high": [0.2]})
    >>> text = write_report(os.path.join(tempfile.mkdtemp(), "r.md"), summary=s,
    ...                     command="skfmm benchmark", design={}, scenarios={}, models={})
    >>> text.startswith("# skfmm benchmark")
    True
    """
    check_summary(summary, "write_report")
    out = ["# skfmm benchmark report", "", f"Command: `{command}`", ""]
    if design:
        out += ["## Design", ""] + [f"- {k}: {v}" for k, v in design.items()] + [""]
    if scenarios:
        out += ["## Scenarios", ""] + [f"- `{k}`: {v}" for k, v in scenarios.items()] + [""]
    if models:
        out += ["## Models", ""] + [f"- `{k}`: {v}" for k, v in models.items()] + [""]
    method = summary_method(summary)
    out += [f"## MCC ({interval_caption(method)})", "", _markdown(results_table(summary, "mcc")),
            ""]
    if method in ("corrected_t", "corrected_t_transformed"):
        out += ["Every interval lies in the metric's range (MCC [-1, 1], AUROC [0, 1])"
                + (": an end at a bound (+1.00) is where the t interval, which reached past "
                   "it, is cut (docs/evaluation.md)." if method == "corrected_t" else "."), ""]
    missing = ordered(n for n in summary.get("note", pd.Series(dtype=object)).dropna()
                       if isinstance(n, str) and n.startswith("no interval"))
    if missing:
        out += ["`no CI`: " + "; ".join(missing) + ".", ""]
    p_null = _p_null(summary, "mcc")
    if p_null is not None:
        out += ["### p-values of MCC against chance", "", f"Corrected t test, {p_null}.", "",
                _markdown(p_value_table(summary, "mcc")), "",
                "One p-value per cell and no correction for the number of cells: read them "
                "as a screen, and compare two models by their paired difference below.", ""]
    flagged = sorted({r["model"] for _, r in summary.iterrows() if is_one_class(r)})
    if flagged:
        out += [f"`{ONE_CLASS}`: {', '.join(flagged)} predicted a single class for every "
                "subject of every outer fold in that scenario (MCC 0 by construction, not a "
                "measured 0).", ""]
    if "auroc" in set(summary["metric"]):
        out += ["## AUROC (same estimator and interval)", "",
                _markdown(results_table(summary, "auroc")), ""]
    out += ["## Honesty checks", ""]
    if coverage is not None:
        out += ["### No-effect scenario (`none`): do the MCC intervals cover 0?", "",
                coverage["statement"], ""]
        out += ["| model | MCC interval covers 0 |", "|---|---|"]
        out += [f"| {m} | {'yes' if ok else 'NO'} |" for m, ok in coverage["covers"].items()]
        out += [""]
    else:
        out += ["(no `none` scenario in this run: the null-coverage check was not made)", ""]
    if inflation is not None:
        i = inflation
        out += [
            "### The authors' protocol on the `none` scenario (no effect)",
            "",
            f"Model `{i['model']}` trained by the FMM_TC authors' protocol (all "
            f"{i.get('max_epochs', '?')} epochs without a validation split, the epoch with the "
            "best MCC on the *test* fold kept) on the same outer splits as our protocol "
            "(train_split='auto': all epochs, the last one kept, on cohorts below 50 training "
            "subjects per class; early stopping on a validation split of the training data "
            "above).",
            "",
            "| protocol | pooled out-of-fold MCC | mean per-fold MCC |",
            "|---|---|---|",
            f"| ours (honest) | {i['ours']:+.3f} | {i['ours_fold_mean']:+.3f} |",
            f"| authors' (best epoch on test fold) | {i['authors']:+.3f} | "
            f"{i['authors_fold_mean']:+.3f} |",
            "",
            f"Inflation caused by the authors' protocol: MCC {i['difference']:+.3f} "
            f"({inflation_interval(i)}{p_text(i)}; over {i['n_folds']} folds). The labels are "
            "independent of the data here, so every point above 0 is optimism of the "
            "protocol, not signal.",
            "",
        ]
    elif coverage is not None:
        out += ["(the authors' protocol was not run: no deep model in this run)", ""]
    for title, text in extra_sections:
        out += [f"## {title}", "", text, ""]
    if figures:
        out += ["## Figures", ""] + [f"![{t}]({p})" for t, p in figures] + [""]
    if timing:
        out += ["## Run", ""] + [f"- {k}: {v}" for k, v in timing.items()] + [""]
    if notes:
        out += ["## How to read this", ""] + [f"- {n}" for n in notes] + [""]
    text = "\n".join(out)
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        fh.write(text)
    return text
