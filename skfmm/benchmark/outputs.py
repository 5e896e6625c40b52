"""The benchmark's outputs: tables (CSV), JSON records, figures, the report and the summary.

Everything :func:`skfmm.benchmark.run.run_benchmark` writes to its output folder is written
here, from the results of its tasks (:class:`RunTables`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .figures import plot_mcc_intervals, plot_roc_curves
from .report import (
    SUMMARY_COLUMNS,
    inflation_interval,
    interval_caption,
    p_text,
    paired_caption,
    protocol_inflation,
    summary_method,
    write_report,
)
from .scenarios import SCENARIO_DESCRIPTIONS
from .tasks import BenchmarkTask
from .zoo import BASELINE_DESCRIPTIONS, MODEL_SIZES

__all__ = ["RESULT_COLUMNS", "COMPARISONS", "RunTables", "write_tables", "write_authors_protocol",
           "write_paired_comparisons", "write_figures", "write_run_report", "write_run_json",
           "print_summary", "comparisons_markdown", "interpretation_section", "cohort_text",
           "scenario_text", "figure_caption", "json_safe"]

#: Columns of ``results.csv`` (and ``authors_protocol.csv``): one row per outer fold.
RESULT_COLUMNS = ["scenario", "model", "repeat", "fold", "mcc", "auroc", "balanced_accuracy",
                  "accuracy", "f1", "sensitivity", "specificity"]

#: Paired comparisons of the report ``(a, b)``: ``b`` minus ``a`` on the same subjects and
#: splits. The foundation-model boost, and the same with the random-weight control, which
#: separates what pretraining adds from what the architecture and the extra features add.
#: ``fmm_tc - multimodal_temporal`` and ``ts_only_fm - temporal_logreg`` put the foundation
#: model against the hand-made temporal features it should subsume.
COMPARISONS = (
    ("fc_only", "fmm_tc"),
    ("fc_only", "fmm_tc_random_fm"),
    ("fmm_tc_random_fm", "fmm_tc"),
    ("ts_only_random_fm", "ts_only_fm"),
    ("fc_only", "multimodal_temporal"),
    ("multimodal_temporal", "fmm_tc"),
    ("temporal_logreg", "ts_only_fm"),
    ("ts_only_random_fm_parcel", "ts_only_fm_parcel"),
    ("fmm_tc_random_fm_parcel", "fmm_tc_parcel"),
    ("fc_only", "fmm_tc_parcel"),
    ("temporal_logreg", "ts_only_fm_parcel"),
)


def cohort_text(cohorts, *, bids, atlas, n_subjects, n_regions, n_timepoints, window):
    """The report's description of the cohort (simulated, or the BIDS dataset)."""
    if bids is None:
        return (f"simulated pain cohort (skfmm.datasets.make_pain_cohort): {n_subjects} "
                f"patients, {n_regions} parcels, {n_timepoints} volumes, window {window}")
    (_, y, _), = cohorts.values()
    return f"BIDS cohort {bids} ({len(y)} subjects), atlas {atlas}, window {window}"


def figure_caption(cohorts, *, bids, n_subjects, n_regions, window, foundation_model, deep,
                   size, fc_encoder, design, groups, seed):
    """One line under the figures: what was run."""
    if bids is None:
        cohort = (f"Simulated cohort: {n_subjects} patients, {n_regions} parcels, window "
                  f"{window}")
    else:
        (X, y, _), = cohorts.values()
        cohort = f"{os.path.basename(os.path.normpath(bids))}: {len(y)} subjects"
    parts = [cohort]
    if deep:
        settings = MODEL_SIZES[size]
        parts.append(f"deep models: FC encoder {fc_encoder or settings['fc_encoder']}, "
                     f"{settings['max_epochs']} epochs"
                     + (f", foundation model {foundation_model}" if foundation_model else ""))
    outer = (f"leave one {groups} out" if groups else
             f"stratified {design['n_splits']}-fold x {design['n_repeats']}")
    parts.append(f"outer CV {outer}, inner {design['inner_splits']}-fold grid search; seed "
                 f"{seed}")
    return "; ".join(parts) + "."


def scenario_text(cohorts, *, bids, label):
    """The report's description of each scenario (or of the BIDS cohort)."""
    if bids is None:
        return {s: SCENARIO_DESCRIPTIONS[s] for s in cohorts}
    return {name: f"BIDS cohort {bids}, label column {label!r}" for name in cohorts}


def json_safe(record):
    """``record`` with NaN and infinite floats as None: JSON has no NaN (strict readers
    refuse Python's ``NaN``)."""
    if isinstance(record, dict):
        return {k: json_safe(v) for k, v in record.items()}
    if isinstance(record, (list, tuple)):
        return [json_safe(v) for v in record]
    if isinstance(record, (float, np.floating)):
        return float(record) if np.isfinite(record) else None
    if isinstance(record, np.integer):
        return int(record)
    if isinstance(record, np.bool_):
        return bool(record)
    return record


@dataclass
class RunTables:
    """The results of a run's tasks and their per-fold, prediction and summary rows.

    Attributes
    ----------
    results : dict of BenchmarkTask -> NestedCVResult
        In task order.
    folds, predictions, summary : DataFrame
        Every task's rows, in task order, ``scenario`` first; ``predictions`` with the
        ``pos_label`` of its task, ``summary`` with the :data:`SUMMARY_COLUMNS` of
        :func:`skfmm.evaluation.summarize` (``n_boot`` and ``random_state=seed``).
    """

    results: dict
    folds: pd.DataFrame
    predictions: pd.DataFrame
    summary: pd.DataFrame
    protocols: dict = field(repr=False)  # table name -> the protocol of each of its rows

    @classmethod
    def from_results(cls, results, *, n_boot, seed):
        """The tables of ``results`` (a dict of BenchmarkTask -> NestedCVResult)."""
        from ..evaluation import summarize

        parts = {"folds": [], "predictions": [], "summary": []}
        protocols = {name: [] for name in parts}
        for task, res in results.items():
            predictions = res.predictions.copy()
            predictions["pos_label"] = res.pos_label
            tables = {"folds": res.folds.copy(), "predictions": predictions,
                      "summary": summarize(res, n_boot=n_boot, random_state=seed)}
            for name, table in tables.items():
                table.insert(0, "scenario", task.scenario)
                parts[name].append(table)
                protocols[name] += [task.protocol] * len(table)
        return cls(results=dict(results),
                   folds=pd.concat(parts["folds"], ignore_index=True),
                   predictions=pd.concat(parts["predictions"], ignore_index=True),
                   summary=pd.concat(parts["summary"], ignore_index=True)[SUMMARY_COLUMNS],
                   protocols={name: np.array(p) for name, p in protocols.items()})

    def rows(self, table, protocol="nested"):
        """A boolean mask of the rows of ``table`` ("folds", "predictions", "summary") run
        by ``protocol``."""
        return self.protocols[table] == protocol

    def result(self, scenario, model, protocol="nested"):
        """The NestedCVResult of a task, or None when it did not run."""
        return self.results.get(BenchmarkTask(scenario, model, protocol))

    @property
    def n_folds(self):
        """The number of outer folds of all tasks."""
        return int(len(self.folds))

    @property
    def n_cached(self):
        """How many of them were loaded from the fold cache."""
        return int(self.folds["from_cache"].sum())


def write_tables(out, tables):
    """``results.csv``, ``summary.csv`` (our protocol only), ``folds.csv``, ``predictions.csv``.

    Returns the main summary and results tables (without the authors' protocol).
    """
    ours = tables.rows("folds")
    main_summary = tables.summary[tables.rows("summary")].reset_index(drop=True)
    results_csv = tables.folds.loc[ours, RESULT_COLUMNS].reset_index(drop=True)
    results_csv.to_csv(os.path.join(out, "results.csv"), index=False)
    main_summary.to_csv(os.path.join(out, "summary.csv"), index=False)
    folds = tables.folds
    detail = folds.drop(columns=[c for c in ("best_params",) if c in folds])
    detail["best_params"] = folds["best_params"].map(lambda d: json.dumps(d, default=str))
    detail.to_csv(os.path.join(out, "folds.csv"), index=False)
    tables.predictions.to_csv(os.path.join(out, "predictions.csv"), index=False)
    return main_summary, results_csv


def write_authors_protocol(out, tables, *, n_boot, max_epochs, seed):
    """The inflation of the authors' protocol, its files, and its point on the MCC figure.

    Writes ``authors_protocol.csv`` and ``authors_protocol.json`` when a task ran by the
    authors' protocol; returns the inflation (None without) and the figure's extra points
    ``{"none": [(label, mean, ci_low, ci_high)]}``.
    """
    task = next((t for t in tables.results if t.protocol == "authors"), None)
    if task is None:
        return None, {}
    inflation = protocol_inflation(tables.result(task.scenario, task.model),
                                   tables.results[task], n_boot=n_boot, random_state=seed)
    inflation["model"] = task.model
    inflation["max_epochs"] = max_epochs
    tables.folds.loc[tables.rows("folds", "authors"), RESULT_COLUMNS].to_csv(
        os.path.join(out, "authors_protocol.csv"), index=False)
    summary = tables.summary
    a = summary[tables.rows("summary", "authors") & (summary["metric"] == "mcc")].iloc[0]
    label = "fmm_tc, authors' protocol" if task.model == "fmm_tc" else task.name
    with open(os.path.join(out, "authors_protocol.json"), "w") as fh:
        json.dump(json_safe(inflation), fh, indent=1)
    return inflation, {task.scenario: [(label, a["mean"], a["ci_low"], a["ci_high"])]}


_COMPARISON_COLUMNS = ["scenario", "comparison", "metric", "method", "difference", "ci_low",
                       "ci_high", "n_folds", "p_value", "p_permutation", "p_null", "note", "a",
                       "b", "pooled_difference"]


def write_paired_comparisons(out, tables, scenarios, *, n_boot, seed):
    """MCC differences of the :data:`COMPARISONS` pairs run in each scenario, paired by subject.

    Writes ``paired_comparisons.csv`` (when any pair ran) and returns its table: ``b - a``
    (mean of the per-fold differences) with its corrected repeated-CV t interval and p-value,
    the paired permutation p-value of the pooled difference, both models' estimates and the
    pooled difference (:func:`skfmm.evaluation.paired_difference`).
    """
    from ..evaluation import paired_difference

    rows = []
    for scenario in scenarios:
        for a, b in COMPARISONS:
            res_a, res_b = tables.result(scenario, a), tables.result(scenario, b)
            if res_a is not None and res_b is not None:
                diff = paired_difference(res_a, res_b, metric="mcc", n_boot=n_boot,
                                         random_state=seed)
                rows.append({"scenario": scenario, "comparison": f"{b} - {a}",
                             **{k: diff[k] for k in _COMPARISON_COLUMNS[2:]}})
    table = pd.DataFrame(rows, columns=_COMPARISON_COLUMNS)
    if rows:
        table.to_csv(os.path.join(out, "paired_comparisons.csv"), index=False)
    return table


def comparisons_markdown(table):
    """The report's section of paired comparisons from :func:`write_paired_comparisons`'s
    table."""
    method = table["method"].iloc[0] if len(table) else "corrected_t"
    lines = ["MCC of `b` minus MCC of `a` on the same subjects and outer splits, with a 95 % "
             f"{paired_caption(method)}, its p-value, and a paired permutation p-value (the two "
             "models' out-of-fold predictions swapped for random halves of the subjects; "
             "`paired_comparisons.csv`). `*_random_fm` models use the foundation model's "
             "architecture with random weights: `fmm_tc - fmm_tc_random_fm` is what "
             "pretraining adds. `fmm_tc - multimodal_temporal` and `ts_only_fm - "
             "temporal_logreg` put the foundation model against hand-made temporal features "
             "(ALFF, fALFF, autocorrelation, timescale) in the same place.", "",
             "| scenario | b - a | difference [95 % CI] | p (t) | p (permutation) | a | b |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.scenario} | {r.comparison} | {_difference_cell(r)} | "
                     f"{_p_cell(r.p_value)} | {_p_cell(r.p_permutation)} | {r.a:+.2f} | "
                     f"{r.b:+.2f} |")
    lines += ["", "Both p-values are two-sided, of H0: no difference between the two models."]
    return "\n".join(lines)


def _difference_cell(r, digits=2):
    if not np.isfinite(r.ci_low):
        return f"{r.difference:+.{digits}f} [no CI]"
    return f"{r.difference:+.{digits}f} [{r.ci_low:+.{digits}f}, {r.ci_high:+.{digits}f}]"


def _p_cell(p):
    return "n/a" if not np.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.3f}"


def write_figures(out, main_summary, tables, extra_points, caption):
    """``mcc`` and ``roc`` figures, each as PNG (300 dpi), PDF and SVG."""
    from ..utils.plotting import FIGURE_FORMATS, save_figure

    fig = plot_mcc_intervals(main_summary, extra=extra_points, caption=caption)
    save_figure(fig, os.path.join(out, "mcc.png"), formats=FIGURE_FORMATS, close=True)
    fig = plot_roc_curves(tables.predictions[tables.rows("predictions")], caption=caption)
    save_figure(fig, os.path.join(out, "roc.png"), formats=FIGURE_FORMATS, close=True)


_NOTES = [
    "Each number is computed on subjects the model never saw: connectomes, the tangent "
    "reference, scalers, networks and hyper-parameters are all learned inside the outer "
    "training part; only the per-subject, label-free window extraction runs once.",
    "The interval is the corrected repeated-CV t interval (Nadeau & Bengio 2003) on the "
    "per-fold values: it counts the fold-to-fold variability of cross-validation, which the "
    "subject bootstrap of the pooled predictions (skfmm.evaluation.summarize(..., "
    "method='subjects')) leaves out. Its coverage of 0 on null cohorts is measured by "
    "benchmarks/ci_coverage.py (docs/evaluation.md). Compare two models by their paired "
    "difference (below), not by overlapping intervals.",
    "results.csv: one row per outer fold; summary.csv: mean and interval per scenario, "
    "model and metric; folds.csv adds fit times, chosen hyper-parameters and cache hits.",
]


def write_run_report(out, main_summary, *, command, size, design, cohort, scenarios, zoo,
                     groups, foundation_model, seed, coverage, inflation, extra_sections, wall,
                     n_folds, n_cached):
    """``report.md``: the design of the run, its tables, honesty checks, figures and notes."""
    write_report(
        os.path.join(out, "report.md"), summary=main_summary, command=command,
        design={
            "cohort": cohort,
            "outer CV": ("leave one group out over " + repr(groups)) if groups else
                        f"stratified {design['n_splits']}-fold x {design['n_repeats']} "
                        "repeat(s), the same splits for every model",
            "inner CV": f"stratified {design['inner_splits']}-fold GridSearchCV (MCC) over "
                        "each model's grid, inside the outer training part",
            "deep models": ", ".join(f"{k}={v}" for k, v in MODEL_SIZES[size].items()
                                     if k != "deep_grid") + "; train_split='auto': all "
                           "max_epochs below 50 training subjects per class, early stopping "
                           "on a 20 % stratified validation split of the training part above",
            "foundation model": str(foundation_model),
            "seed": seed,
            "intervals": f"{interval_caption(summary_method(main_summary))} "
                         f"({design['n_splits'] * design['n_repeats']} outer folds)",
        },
        scenarios=scenarios, models={m: BASELINE_DESCRIPTIONS[m] for m in zoo},
        coverage=coverage, inflation=inflation,
        timing={
            "wall time": f"{wall:.0f} s",
            "outer folds": f"{n_folds} ({n_cached} loaded from the cache, "
                           f"{n_folds - n_cached} fitted)",
        },
        extra_sections=extra_sections,
        figures=[("MCC per model and scenario", "mcc.png"),
                 ("ROC curves (out-of-fold)", "roc.png")],
        notes=_NOTES,
    )


def write_run_json(out, record):
    """``run.json``: ``record`` with NaN and infinite floats as null."""
    with open(os.path.join(out, "run.json"), "w") as fh:
        json.dump(json_safe(record), fh, indent=1)


def print_summary(out, table, summary, coverage, inflation, comparisons, *, wall, n_folds,
                  n_cached):
    """The run's results on stdout: MCC table, honesty checks, paired differences."""
    print()
    print(f"MCC, estimate [95 % CI] ({interval_caption(summary_method(summary))}):")
    print(table.to_string())
    if coverage is not None:
        print(coverage["statement"])
    if inflation is not None:
        print("Authors' protocol (best epoch on the test fold) on the `none` scenario (no "
              f"effect): {inflation['model']} MCC {inflation['authors']:+.3f} vs ours "
              f"{inflation['ours']:+.3f} (pooled); inflation {inflation['difference']:+.3f} "
              f"({inflation_interval(inflation)}){p_text(inflation)}")
    if len(comparisons):
        print(f"Paired MCC differences, b - a [95 % {paired_caption(comparisons['method'].iloc[0])}"
              "], p (t), p (paired permutation); two-sided, H0: no difference:")
        for r in comparisons.itertuples():
            print(f"  {r.scenario:>5s}  {r.comparison:34s} {_difference_cell(r, 3)}  "
                  f"p={_p_cell(r.p_value)}  p_perm={_p_cell(r.p_permutation)}")
    print(f"Wall time {wall:.0f} s; {n_cached} of {n_folds} folds from the cache. "
          f"Written to {out}/ (report.md, results.csv, summary.csv, mcc and roc figures as .png, .pdf, .svg)")


def interpretation_section(zoo, cohorts, out, groups, seed):
    """Fit fmm_tc on every subject of each scenario; interpretation tables and a summary."""
    from sklearn.base import clone

    if "fmm_tc" not in zoo:
        return "(not run: `fmm_tc` is not among the models of this run)"
    try:
        from ..interpret import interpretation_report
    except ImportError as exc:  # pragma: no cover - depends on the installation
        return f"(not run: skfmm.interpret is unavailable: {exc})"
    lines = [
        "`fmm_tc` refitted on every subject of each scenario (a description of that model, "
        "not a performance estimate). Modality share: fraction of the absolute integrated-"
        "gradients attribution going to each modality, mean [95 % CI] per "
        f"{groups or 'study'}. Top regions: largest attribution (0-based parcel indices).",
        "",
    ]
    for scenario, (X, y, metadata) in cohorts.items():
        column = groups or "study"
        group_values = (np.asarray(metadata[column]) if metadata is not None
                        and column in metadata else None)
        model = clone(zoo["fmm_tc"][0]).fit(X, y)
        folder = os.path.join(out, "interpretation", scenario)
        paths = interpretation_report(model, X, groups=group_values, out_dir=folder,
                                      n_steps=16, n_boot=500, random_state=seed)
        shares = pd.read_csv(paths["modality_shares_by_group"])
        cells = [f"{r.group} {r.modality} {r.mean:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]"
                 for r in shares.itertuples()]
        regions = pd.read_csv(paths["region_importance"], index_col=0)
        top = regions["importance"].sort_values(ascending=False).index[:10].tolist()
        lines.append(f"- `{scenario}`: modality shares: {'; '.join(cells)}. Top regions: "
                     f"{top}.")
        planted = (metadata.attrs.get("planted") if metadata is not None else None) or {}
        for kind in ("fc", "ts"):
            if planted.get(kind):
                hits = sorted(set(top) & set(planted[kind]))
                lines.append(f"  planted {kind} regions {planted[kind]}: {len(hits)} among the "
                             "top 10")
        lines.append(f"  (files in `interpretation/{scenario}/`)")
    return "\n".join(lines)
