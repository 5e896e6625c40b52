"""The benchmark run behind ``skfmm benchmark``: cohorts, nested CV of every model, files, report.

:func:`run_benchmark` reads as the list of the run's stages: the arguments, the output folder,
the zoo, the cohorts, the tasks (:mod:`skfmm.benchmark.tasks`), their evaluation, and the
outputs (:mod:`skfmm.benchmark.outputs`), with the environment record
(:mod:`skfmm.benchmark.environment`).
"""

from __future__ import annotations

import contextlib
import os
import time

import numpy as np

from ..utils._docs import fill_doc
from .environment import environment_markdown, run_environment, run_provenance
from .outputs import (
    COMPARISONS,
    RESULT_COLUMNS,
    RunTables,
    cohort_text,
    comparisons_markdown,
    figure_caption,
    interpretation_section,
    print_summary,
    scenario_text,
    write_authors_protocol,
    write_figures,
    write_paired_comparisons,
    write_run_json,
    write_run_report,
    write_tables,
)
from .report import SUMMARY_COLUMNS, null_coverage, results_table
from .scenarios import DESIGNS, SCENARIOS, bids_cohort, simulated_cohorts
from .tasks import AUTHORS_SUFFIX, BenchmarkTask, benchmark_tasks
from .zoo import DEEP_MODELS, FM_MODELS, MODEL_SIZES, make_baselines

# run_provenance, run_environment, the column lists, COMPARISONS and AUTHORS_SUFFIX are
# imported here too: this module was their home.
__all__ = ["run_benchmark", "run_provenance", "run_environment", "RESULT_COLUMNS",
           "SUMMARY_COLUMNS", "AUTHORS_SUFFIX", "COMPARISONS", "BenchmarkTask"]


@fill_doc
def run_benchmark(scenarios=None, *, size="default", out="skfmm_results", seed=0,
                  foundation_model="demo", fc_encoder=None, models=None, n_repeats=None,
                  n_splits=None, authors_protocol=True, interpret=False, device="cpu",
                  n_subjects=56,
                  n_regions=100, n_timepoints=220, window=200, bids=None, atlas=None,
                  label=None, derivatives=None, coords=None, groups=None, n_jobs=None,
                  dask=None, dask_workers=2, threads=1, verbose=1,
                  command="skfmm benchmark"):
    """Run the benchmark and write its tables, figures and report to ``out``.

    For every scenario (or the BIDS cohort) and every model of
    :func:`skfmm.benchmark.zoo.make_baselines`, nested cross-validation
    (:func:`skfmm.evaluation.nested_cross_validate`, outer repeated stratified K-fold or
    leave-one-group-out, inner GridSearchCV) with the same outer splits for every model.
    On the `none` scenario (no effect) the FMM_TC model is also trained by the authors' protocol
    (best epoch on the test fold) to measure how much it inflates MCC.

    Parameters
    ----------
    scenarios : list of {"none", "fc", "ts", "both"}, default=None
        Simulated scenarios (default all four); ignored with ``bids``.
    size : {"quick", "default", "full"}, default="default"
        Model sizes (:data:`skfmm.benchmark.zoo.MODEL_SIZES`) and CV design
        (:data:`skfmm.benchmark.scenarios.DESIGNS`).
    out : str, default="skfmm_results"
        Output folder: ``results.csv``, ``summary.csv``, ``folds.csv``,
        ``predictions.csv``, ``authors_protocol.csv``, ``mcc.png``, ``roc.png``,
        ``report.md``, ``run.json`` and the fold cache ``cache/``.
    seed : int, default=0
    foundation_model : "demo" or str path, default="demo"
    fc_encoder : str, default=None
    models : list of str, default=None
    n_repeats, n_splits : int, default=None
        Override the size's outer design.
    authors_protocol : bool, default=True
    interpret : bool, default=False
        Fit ``fmm_tc`` on all subjects of each scenario and run
        :func:`skfmm.interpret.interpretation_report` (a description of that model, not a
        performance estimate).
    device : str, default="cpu"
    n_subjects, n_regions, n_timepoints, window : int
        Simulated cohort size and the window kept.
    bids, atlas, label, derivatives, coords : str, default=None
        A real cohort (:func:`skfmm.datasets.load_bids_cohort`); ``atlas`` may be None
        for a tree written by :func:`skfmm.datasets.to_bids`.
    groups : str, default=None
        Metadata column for leave-one-group-out outer splits.
    %(n_jobs)s
        Here: the outer folds of each model.
    dask : str, default=None
        ``"local"`` or a scheduler address (:func:`skfmm.parallel.dask_backend`).
    dask_workers : int, default=2
    threads : int or None, default=1
        torch and BLAS threads of this process for the duration of the run (restored
        afterwards); None leaves them alone.
    %(verbose)s
        1: a progress bar on a terminal (a line per scenario and model otherwise) and the
        summary; 2: the lines on a terminal too.
    command : str
        Recorded in the report.

    Returns
    -------
    dict
        ``results``, ``summary``, ``table`` (DataFrames), ``coverage``, ``inflation``
        (dicts or None), ``wall_s``, ``n_folds``, ``n_cached``.

    Examples
    --------
    >>> import tempfile
    >>> from skfmm.benchmark.run import run_benchmark
    >>> res = run_benchmark(["none"], size="quick", out=tempfile.mkdtemp(), models=["chance"],
    ...                     n_subjects=24, n_regions=16, n_timepoints=50, window=40, verbose=0)
    >>> res["n_folds"], list(res["table"].index), res["coverage"]["all_cover"]
    (3, ['chance'], None)
    """
    from ..utils.threads import limited_threads

    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"run_benchmark: 'threads' must be a positive int or None; got "
                         f"{threads!r}.")
    with limited_threads(threads), contextlib.ExitStack() as held:
        start = time.perf_counter()
        design = _design(size, n_repeats, n_splits)
        if bids is None:
            scenarios = _check_scenarios(scenarios)
        cache_dir, memory = _claim_output_folder(out, command, held)
        zoo = make_baselines(foundation_model, fc_encoder=fc_encoder, random_state=seed,
                             size=size, device=device, models=models, memory=memory)
        if verbose:
            print(f"[skfmm benchmark] size={size}: {design['n_splits']}-fold outer CV x "
                  f"{design['n_repeats']} repeat(s), inner {design['inner_splits']}-fold grid "
                  f"search; models: {', '.join(zoo)}", flush=True)
        # The foundation model if a model of the run uses it (a bad one refused here), else None.
        used_fm = _check_foundation_model(zoo, foundation_model, verbose)
        if bids is None:
            cohorts = simulated_cohorts(scenarios, n_subjects=n_subjects, n_regions=n_regions,
                                        n_timepoints=n_timepoints, window=window, seed=seed)
        else:
            cohorts = _bids(bids, atlas, label, coords=coords, window=window,
                            derivatives=derivatives, foundation_model=used_fm, seed=seed,
                            verbose=verbose)
        scenarios = list(cohorts)
        tasks = benchmark_tasks(scenarios, zoo, authors_protocol=authors_protocol)
        tables = _evaluate(tasks, zoo, cohorts, design, groups=groups, n_jobs=n_jobs, dask=dask,
                           dask_workers=dask_workers, seed=seed, cache_dir=cache_dir,
                           verbose=verbose)

        main_summary, results_csv = write_tables(out, tables)
        coverage = null_coverage(main_summary) if "none" in scenarios else None
        inflation, extra_points = write_authors_protocol(
            out, tables, n_boot=design["n_boot"], max_epochs=MODEL_SIZES[size]["max_epochs"],
            seed=seed)
        write_figures(out, main_summary, tables, extra_points, figure_caption(
            cohorts, bids=bids, n_subjects=n_subjects, n_regions=n_regions, window=window,
            foundation_model=used_fm, deep=[m for m in zoo if m in DEEP_MODELS], size=size,
            fc_encoder=fc_encoder, design=design, groups=groups, seed=seed))
        memory.clear(warn=False)
        comparisons = write_paired_comparisons(out, tables, scenarios, n_boot=design["n_boot"],
                                               seed=seed)
        extra_sections = _report_sections(comparisons, interpret, zoo, cohorts, out, groups, seed)
        environment = run_environment(device=device, threads=threads, n_jobs=n_jobs,
                                      dask=dask, foundation_model=used_fm)
        provenance = run_provenance(command)
        extra_sections.append(("Environment", environment_markdown(environment)))
        wall = time.perf_counter() - start
        table = results_table(main_summary, "mcc")
        n_folds, n_cached = tables.n_folds, tables.n_cached
        write_run_report(
            out, main_summary, command=command, size=size, design=design,
            cohort=cohort_text(cohorts, bids=bids, atlas=atlas, n_subjects=n_subjects,
                               n_regions=n_regions, n_timepoints=n_timepoints, window=window),
            scenarios=scenario_text(cohorts, bids=bids, label=label), zoo=zoo, groups=groups,
            foundation_model=foundation_model, seed=seed, coverage=coverage,
            inflation=inflation, extra_sections=extra_sections, wall=wall, n_folds=n_folds,
            n_cached=n_cached)
        write_run_json(out, {**provenance, "size": size, "design": design, "seed": seed,
                             "scenarios": scenarios, "models": list(zoo), "wall_s": wall,
                             "n_folds": n_folds, "n_cached": n_cached,
                             "environment": environment})
        if verbose:
            print_summary(out, table, main_summary, coverage, inflation, comparisons, wall=wall,
                          n_folds=n_folds, n_cached=n_cached)
    return {"results": results_csv, "summary": main_summary, "coverage": coverage,
            "inflation": inflation, "comparisons": comparisons, "wall_s": wall,
            "n_folds": n_folds, "n_cached": n_cached, "table": table}


# --------------------------------------------------------------------------- arguments


def _design(size, n_repeats, n_splits):
    """The size's cross-validation design, with the outer folds and repeats overridden."""
    if size not in DESIGNS:
        raise ValueError(f"run_benchmark: 'size' must be one of {tuple(DESIGNS)}; got {size!r}.")
    design = dict(DESIGNS[size])
    for key, value in (("n_repeats", n_repeats), ("n_splits", n_splits)):
        if value is not None:
            if not isinstance(value, int) or value < (1 if key == "n_repeats" else 2):
                raise ValueError(f"run_benchmark: '{key}' must be an int >= "
                                 f"{1 if key == 'n_repeats' else 2}; got {value!r}.")
            design[key] = value
    return design


def _check_scenarios(scenarios):
    scenarios = list(SCENARIOS) if not scenarios else list(dict.fromkeys(scenarios))
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise ValueError(f"run_benchmark: unknown scenarios {unknown}; choose from "
                         f"{list(SCENARIOS)}.")
    return scenarios



def _claim_output_folder(out, command, held):
    """Create ``out`` and lock it for this run (held in ``held``); returns the fold cache's
    folder and the connectome cache (a :class:`joblib.Memory`)."""
    import joblib

    from ..utils.files import folder_lock

    os.makedirs(out, exist_ok=True)
    # One run per output folder: a second run on it is refused, naming the first (its
    # tables, figures and connectome cache would otherwise be written over or cleared
    # under the first). The lock goes with the process, however it ends.
    held.enter_context(folder_lock(out, "run_benchmark", description=command))
    cache_dir = os.path.join(out, "cache")
    os.makedirs(os.path.join(cache_dir, "connectomes"), exist_ok=True)
    # Connectomes fitted on a training set are shared by grid candidates and by the two
    # correlation models; cleared at the end (the fold cache keeps the results).
    return cache_dir, joblib.Memory(os.path.join(cache_dir, "connectomes"), verbose=0)


# --------------------------------------------------------------------------- cohorts


def _check_foundation_model(zoo, foundation_model, verbose):
    """``foundation_model`` when a model of ``zoo`` uses it, loaded once so that a bad one is
    refused before any cohort is built; None when no model uses it."""
    if not any(m in zoo for m in FM_MODELS):
        return None
    from ..foundation import resolve_foundation_model

    resolve_foundation_model(foundation_model, copy=False, verbose=verbose)
    return foundation_model


def _bids(root, atlas, label, **kwargs):
    """The BIDS cohort as the only "scenario", named after the dataset's folder."""
    name = os.path.basename(os.path.normpath(os.path.abspath(root))) or "bids"
    return {name: bids_cohort(root, atlas, label, **kwargs)}


# --------------------------------------------------------------------------- evaluation


def _outer_split(metadata, groups, design):
    """``(outer_cv, groups)`` of nested_cross_validate: K-fold, or one fold per group."""
    if groups is None:
        return design["n_splits"], None
    if metadata is None or groups not in metadata:
        raise ValueError(f"run_benchmark: 'groups' names the column {groups!r}, absent from "
                         f"the cohort's metadata (columns: "
                         f"{[] if metadata is None else list(metadata.columns)}).")
    return "logo", np.asarray(metadata[groups])


def _evaluate(tasks, zoo, cohorts, design, *, groups, n_jobs, dask, dask_workers, seed,
              cache_dir, verbose):
    """Nested CV of every task (the authors' protocol's by its fold fitter, without a grid).

    Returns the :class:`~skfmm.benchmark.outputs.RunTables` of the results.
    """
    from tqdm.auto import tqdm

    from ..evaluation import nested_cross_validate
    from ..parallel import dask_backend
    from ..utils.progress import bar_disabled
    from .protocol import authors_protocol_fit_predict

    results = {}
    backend = (dask_backend(dask, n_workers=dask_workers) if dask is not None
               else contextlib.nullcontext())
    with backend:
        bar = tqdm(tasks, desc="benchmark", disable=bar_disabled(verbose))
        # Without a terminal (a log file, CI), or with verbose=2: one line per model instead
        # of a bar's cursor codes.
        lines = verbose >= 2 or (verbose and bar_disabled(verbose))
        for i, task in enumerate(bar):
            bar.set_postfix_str(f"{task.scenario} / {task.name}")
            if lines:
                print(f"[skfmm benchmark] {i + 1}/{len(tasks)}: {task.scenario} / {task.name}",
                      flush=True)
            X, y, metadata = cohorts[task.scenario]
            outer_cv, group_values = _outer_split(metadata, groups, design)
            estimator, grid = zoo[task.model]
            kwargs = {}
            if task.protocol == "authors":
                grid, kwargs["fold_fitter"] = None, authors_protocol_fit_predict
            results[task] = nested_cross_validate(
                estimator, X, y, param_grid=grid, outer_cv=outer_cv,
                inner_cv=design["inner_splits"], groups=group_values,
                n_repeats=(design["n_repeats"] if outer_cv is None
                           or isinstance(outer_cv, int) else None),
                n_jobs=n_jobs, random_state=seed,
                cache_dir=cache_dir, name=task.name, verbose=verbose, **kwargs,
            )
        bar.close()
    return RunTables.from_results(results, n_boot=design["n_boot"], seed=seed)


# --------------------------------------------------------------------------- report


def _report_sections(comparisons, interpret, zoo, cohorts, out, groups, seed):
    """The report's paired comparisons and, with ``interpret``, the interpretation of fmm_tc
    (fitted here, on every subject of each scenario)."""
    sections = []
    if len(comparisons):
        sections.append(("Paired comparisons (what the foundation model adds)",
                         comparisons_markdown(comparisons)))
    if interpret:
        sections.append(("Interpretation of FMM_TC (integrated gradients)",
                         interpretation_section(zoo, cohorts, out, groups, seed)))
    return sections
