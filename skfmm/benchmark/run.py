"""The benchmark run behind ``skfmm benchmark``: cohorts, nested CV of every model, files, report.

:func:`run_benchmark` strings together small steps, one per stage of the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import time

import numpy as np
import pandas as pd

from .figures import plot_mcc_intervals, plot_roc_curves
from .report import (
    SUMMARY_COLUMNS,
    _inflation_interval,
    _p_text,
    interval_caption,
    null_coverage,
    paired_caption,
    protocol_inflation,
    results_table,
    summary_method,
    write_report,
)
from .scenarios import DESIGNS, SCENARIO_DESCRIPTIONS, SCENARIOS, bids_cohort, simulated_cohorts
from .zoo import BASELINE_DESCRIPTIONS, DEEP_MODELS, FM_MODELS, MODEL_SIZES, make_baselines

__all__ = ["run_benchmark", "run_provenance", "run_environment", "RESULT_COLUMNS",
           "SUMMARY_COLUMNS", "AUTHORS_SUFFIX"]

#: Columns of ``results.csv`` (and ``authors_protocol.csv``): one row per outer fold.
RESULT_COLUMNS = ["scenario", "model", "repeat", "fold", "mcc", "auroc", "balanced_accuracy",
                  "accuracy", "f1", "sensitivity", "specificity"]
#: Appended to a model's name for its run by the authors' protocol.
AUTHORS_SUFFIX = " [authors' protocol]"

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
    n_jobs : int, default=None
    dask : str, default=None
        ``"local"`` or a scheduler address (:func:`skfmm.parallel.dask_backend`).
    dask_workers : int, default=2
    threads : int or None, default=1
        torch and BLAS threads of this process for the duration of the run (restored
        afterwards); None leaves them alone.
    verbose : int, default=1
        0: silent; 1: a progress bar on a terminal (a line per scenario and model otherwise)
        and the summary; 2: the lines on a terminal too.
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
    import joblib

    from ..utils.files import folder_lock
    from ..utils.threads import limited_threads

    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"run_benchmark: 'threads' must be a positive int or None; got "
                         f"{threads!r}.")
    with limited_threads(threads), contextlib.ExitStack() as held:
        start = time.perf_counter()
        design = _design(size, n_repeats, n_splits)
        if bids is None:
            scenarios = _check_scenarios(scenarios)
        os.makedirs(out, exist_ok=True)
        # One run per output folder: a second run on it is refused, naming the first (its
        # tables, figures and connectome cache would otherwise be written over or cleared
        # under the first). The lock goes with the process, however it ends.
        held.enter_context(folder_lock(out, "run_benchmark", description=command))
        cache_dir = os.path.join(out, "cache")
        os.makedirs(os.path.join(cache_dir, "connectomes"), exist_ok=True)
        # Connectomes fitted on a training set are shared by grid candidates and by the two
        # correlation models; cleared at the end (the fold cache keeps the results).
        memory = joblib.Memory(os.path.join(cache_dir, "connectomes"), verbose=0)
        zoo = make_baselines(foundation_model, fc_encoder=fc_encoder, random_state=seed,
                             size=size, device=device, models=models, memory=memory)
        if verbose:
            print(f"[skfmm benchmark] size={size}: {design['n_splits']}-fold outer CV x "
                  f"{design['n_repeats']} repeat(s), inner {design['inner_splits']}-fold grid "
                  f"search; models: {', '.join(zoo)}", flush=True)
        needs_fm = any(m in zoo for m in FM_MODELS)
        if needs_fm:
            from ..foundation import load_foundation_model

            load_foundation_model(foundation_model, verbose=verbose)  # refuse a bad model early
        if bids is None:
            cohorts = simulated_cohorts(scenarios, n_subjects=n_subjects, n_regions=n_regions,
                                        n_timepoints=n_timepoints, window=window, seed=seed)
        else:
            cohorts = _bids(bids, atlas, label, coords=coords, window=window,
                            derivatives=derivatives,
                            foundation_model=foundation_model if needs_fm else None, seed=seed,
                            verbose=verbose)
        scenarios = list(cohorts)
        protocol_model = _protocol_model(zoo, scenarios, authors_protocol)
        results, folds, predictions, summary = _evaluate(
            zoo, cohorts, protocol_model, design, groups=groups, n_jobs=n_jobs, dask=dask,
            dask_workers=dask_workers, seed=seed, cache_dir=cache_dir, verbose=verbose)
        main_summary, results_csv = _write_tables(out, folds, predictions, summary)

        coverage = null_coverage(main_summary) if "none" in scenarios else None
        inflation, extra_points = None, {}
        if protocol_model is not None:
            inflation, extra_points = _authors_protocol_outputs(
                out, protocol_model, results, folds, summary, n_boot=design["n_boot"],
                max_epochs=MODEL_SIZES[size]["max_epochs"], seed=seed)
        _write_figures(out, main_summary, predictions, extra_points, _figure_caption(
            cohorts, bids=bids, n_subjects=n_subjects, n_regions=n_regions, window=window,
            foundation_model=foundation_model if needs_fm else None,
            deep=[m for m in zoo if m in DEEP_MODELS], size=size, fc_encoder=fc_encoder,
            design=design, groups=groups, seed=seed))
        memory.clear(warn=False)
        n_cached = int(folds["from_cache"].sum())
        comparisons = _paired_comparisons(out, results, scenarios, n_boot=design["n_boot"],
                                          seed=seed)
        extra_sections = []
        if len(comparisons):
            extra_sections.append(("Paired comparisons (what the foundation model adds)",
                                   _comparisons_markdown(comparisons)))
        if interpret:
            extra_sections.append(("Interpretation of FMM_TC (integrated gradients)",
                                   _interpretation(zoo, cohorts, out, groups, seed)))
        environment = run_environment(device=device, threads=threads, n_jobs=n_jobs,
                                      dask=dask, foundation_model=foundation_model
                                      if needs_fm else None)
        provenance = run_provenance(command)
        extra_sections.append(("Environment", _environment_markdown(environment)))
        wall = time.perf_counter() - start
        table = results_table(main_summary, "mcc")
        _write_report(out, main_summary, command=command, size=size, design=design,
                      cohort_text=_cohort_text(cohorts, bids=bids, atlas=atlas,
                                               n_subjects=n_subjects, n_regions=n_regions,
                                               n_timepoints=n_timepoints, window=window),
                      scenario_text=_scenario_text(cohorts, bids=bids, label=label),
                      zoo=zoo, groups=groups, foundation_model=foundation_model, seed=seed,
                      coverage=coverage, inflation=inflation, extra_sections=extra_sections,
                      wall=wall, n_folds=len(folds), n_cached=n_cached)
        with open(os.path.join(out, "run.json"), "w") as fh:
            json.dump(_json_safe({**provenance, "size": size, "design": design, "seed": seed,
                                  "scenarios": scenarios, "models": list(zoo), "wall_s": wall,
                                  "n_folds": int(len(folds)), "n_cached": n_cached,
                                  "environment": environment}), fh, indent=1)
        if verbose:
            _print_summary(out, table, main_summary, coverage, inflation, comparisons, wall=wall,
                           n_folds=len(folds), n_cached=n_cached)
    return {"results": results_csv, "summary": main_summary, "coverage": coverage,
            "inflation": inflation, "comparisons": comparisons, "wall_s": wall,
            "n_folds": int(len(folds)), "n_cached": n_cached, "table": table}


# --------------------------------------------------------------------------- environment


def run_provenance(command="skfmm benchmark"):
    """What made a run: skfmm's version, its git commit when run from a checkout, the command.

    Parameters
    ----------
    command : str, default="skfmm benchmark"
        The command as skfmm understood it (the options that differ from their defaults).

    Returns
    -------
    dict
        ``skfmm_version``; ``git`` (``commit``, ``dirty``: uncommitted changes to tracked
        files, or None when skfmm is not imported from a git checkout or git is absent);
        ``command``; ``argv`` (the process's arguments, exactly as invoked) and ``cwd``.

    Examples
    --------
    >>> from skfmm.benchmark.run import run_provenance
    >>> record = run_provenance("skfmm benchmark --quick")
    >>> sorted(record), record["command"]
    (['argv', 'command', 'cwd', 'git', 'skfmm_version'], 'skfmm benchmark --quick')
    """
    import subprocess
    import sys
    from importlib import metadata
    from pathlib import Path

    try:
        version = metadata.version("skfmm")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        version = "unknown"
    root = Path(__file__).resolve().parents[2]
    git = None
    if (root / ".git").exists():
        try:
            commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                                    capture_output=True, text=True, timeout=10, check=True)
            status = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                     "--untracked-files=no"], capture_output=True, text=True,
                                    timeout=10, check=True)
            git = {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}
        except (OSError, subprocess.SubprocessError):
            git = None
    return {"skfmm_version": version, "git": git, "command": str(command),
            "argv": [os.path.basename(sys.argv[0])] + sys.argv[1:], "cwd": os.getcwd()}


#: Distributions whose versions make a run reproducible (import name -> distribution name).
RECORDED_PACKAGES = {"skfmm": "skfmm", "torch": "torch", "sklearn": "scikit-learn",
                     "skorch": "skorch", "nilearn": "nilearn", "numpy": "numpy",
                     "scipy": "scipy"}


def run_environment(*, device="cpu", threads=1, n_jobs=None, dask=None, foundation_model=None):
    """What a run ran on: package versions, device, thread counts, the foundation model.

    Called inside the run's thread limits, so the counts are the ones the fits used.

    Parameters
    ----------
    device : str, default="cpu"
        The requested device of the deep models; ``resolved`` is what ``"auto"`` became.
    threads : int or None, default=1
        The requested torch/BLAS threads of the process.
    n_jobs, dask : optional
        Outer-fold parallelism, recorded as given.
    foundation_model : str, path or None
        The frozen encoder, only when a model that uses it ran; None leaves it out.

    Returns
    -------
    dict
        ``python``, ``packages`` (name -> version), ``device`` (requested, resolved and,
        on CUDA, the GPU's name), ``threads`` (requested, torch intra- and inter-op,
        BLAS/OpenMP pools by library, CPUs available), ``parallel`` and, with a foundation
        model, ``foundation_model`` (name, folder, weights file and its sha256, shape).

    Examples
    --------
    >>> from skfmm.benchmark.run import run_environment
    >>> env = run_environment(threads=1)
    >>> sorted(env["packages"])[:3], env["device"]["resolved"]
    (['nilearn', 'numpy', 'scipy'], 'cpu')
    """
    import platform
    from importlib import metadata

    import torch
    from threadpoolctl import threadpool_info

    from ..utils.device import resolve_device
    from ..utils.threads import available_cpus

    packages = {}
    for name, dist in RECORDED_PACKAGES.items():
        try:
            packages[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            module = __import__(name)
            packages[name] = getattr(module, "__version__", "unknown")
    resolved = resolve_device(device)
    device_info = {"requested": str(device), "resolved": str(resolved)}
    if resolved.type == "cuda":
        device_info["name"] = torch.cuda.get_device_name(resolved)
    blas = {}
    for pool in threadpool_info():
        key = f"{pool.get('internal_api')} ({pool.get('user_api')})"
        blas[key] = max(blas.get(key, 0), int(pool.get("num_threads") or 0))
    env = {
        "python": platform.python_version(),
        "packages": packages,
        "device": device_info,
        "threads": {"requested": threads, "torch": torch.get_num_threads(),
                    "torch_interop": torch.get_num_interop_threads(), "blas": blas,
                    "cpus_available": available_cpus()},
        "parallel": {"n_jobs": n_jobs, "dask": dask},
    }
    if foundation_model is not None:
        env["foundation_model"] = _foundation_identity(foundation_model)
    return env


def _foundation_identity(foundation_model):
    """Name, folder, weights file, sha256 and shape of the frozen encoder that ran."""
    from pathlib import Path

    from ..foundation import BrainLM, load_foundation_model
    from ..foundation.brainlm import SAFE_WEIGHTS_NAME, WEIGHTS_NAME
    from ..foundation.registry import file_sha256, resolve_foundation_dir

    identity = {"name": str(foundation_model) if not isinstance(foundation_model, BrainLM)
                else "BrainLM instance"}
    directory = (None if isinstance(foundation_model, BrainLM)
                 else resolve_foundation_dir(foundation_model))
    if directory is not None:
        identity["directory"] = str(Path(directory).resolve())
        for name in (SAFE_WEIGHTS_NAME, WEIGHTS_NAME):
            if (Path(directory) / name).is_file():
                identity["weights"] = name
                identity["sha256"] = file_sha256(Path(directory) / name)
                break
    config = load_foundation_model(foundation_model, verbose=0).config
    identity["config"] = {k: getattr(config, k, None) for k in (
        "hidden_size", "num_hidden_layers", "num_attention_heads", "timepoint_patching_size",
        "num_timepoints_per_voxel")}
    return identity


def _environment_markdown(env):
    lines = [f"- packages: {', '.join(f'{k} {v}' for k, v in env['packages'].items())}; "
             f"Python {env['python']}",
             f"- device: {env['device']['resolved']} (requested {env['device']['requested']}"
             + (f"; {env['device']['name']}" if "name" in env["device"] else "") + ")",
             f"- threads: torch {env['threads']['torch']} (inter-op "
             f"{env['threads']['torch_interop']}), BLAS/OpenMP "
             + (", ".join(f"{k}: {v}" for k, v in env["threads"]["blas"].items()) or "none loaded")
             + f"; {env['threads']['cpus_available']} CPUs available; outer folds: n_jobs="
             f"{env['parallel']['n_jobs']}, dask={env['parallel']['dask']}"]
    fm = env.get("foundation_model")
    if fm is not None:
        shape = ", ".join(f"{k}={v}" for k, v in fm["config"].items())
        lines.append(f"- foundation model: {fm['name']}"
                     + (f" ({fm['directory']}/{fm.get('weights', '?')}, sha256 "
                        f"{fm.get('sha256', '?')})" if "directory" in fm else "")
                     + f"; {shape}")
    return "\n".join(lines)


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


# --------------------------------------------------------------------------- cohorts


def _bids(root, atlas, label, **kwargs):
    """The BIDS cohort as the only "scenario", named after the dataset's folder."""
    name = os.path.basename(os.path.normpath(os.path.abspath(root))) or "bids"
    return {name: bids_cohort(root, atlas, label, **kwargs)}


def _cohort_text(cohorts, *, bids, atlas, n_subjects, n_regions, n_timepoints, window):
    if bids is None:
        return (f"simulated pain cohort (skfmm.datasets.make_pain_cohort): {n_subjects} "
                f"patients, {n_regions} parcels, {n_timepoints} volumes, window {window}")
    (_, y, _), = cohorts.values()
    return f"BIDS cohort {bids} ({len(y)} subjects), atlas {atlas}, window {window}"


def _figure_caption(cohorts, *, bids, n_subjects, n_regions, window, foundation_model, deep,
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


def _scenario_text(cohorts, *, bids, label):
    if bids is None:
        return {s: SCENARIO_DESCRIPTIONS[s] for s in cohorts}
    return {name: f"BIDS cohort {bids}, label column {label!r}" for name in cohorts}


# --------------------------------------------------------------------------- evaluation


def _protocol_model(zoo, scenarios, authors_protocol):
    """The deep model also trained by the authors' protocol on the `none` scenario (no effect), or None."""
    if not authors_protocol or "none" not in scenarios:
        return None
    return "fmm_tc" if "fmm_tc" in zoo else next((m for m in zoo if m in DEEP_MODELS), None)


def _outer_split(metadata, groups, design):
    """``(outer_cv, groups)`` of nested_cross_validate: K-fold, or one fold per group."""
    if groups is None:
        return design["n_splits"], None
    if metadata is None or groups not in metadata:
        raise ValueError(f"run_benchmark: 'groups' names the column {groups!r}, absent from "
                         f"the cohort's metadata (columns: "
                         f"{[] if metadata is None else list(metadata.columns)}).")
    return "logo", np.asarray(metadata[groups])


def _evaluate(zoo, cohorts, protocol_model, design, *, groups, n_jobs, dask, dask_workers, seed,
              cache_dir, verbose):
    """Nested CV of every (scenario, model), then the authors' protocol on the `none` scenario (no effect).

    Returns the results by ``(scenario, model)`` and the per-fold, prediction and summary
    tables of all of them (with a ``scenario`` column).
    """
    from tqdm.auto import tqdm
    from ..utils.progress import bar_disabled

    from ..evaluation import nested_cross_validate, summarize
    from ..parallel import dask_backend
    from .protocol import authors_protocol_fit_predict

    tasks = [(s, m) for s in cohorts for m in zoo]
    if protocol_model is not None:
        tasks.append(("none", protocol_model + AUTHORS_SUFFIX))
    results, fold_tables, pred_tables, summaries = {}, [], [], []
    backend = (dask_backend(dask, n_workers=dask_workers) if dask is not None
               else contextlib.nullcontext())
    with backend:
        bar = tqdm(tasks, desc="benchmark", disable=bar_disabled(verbose))
        # Without a terminal (a log file, CI), or with verbose=2: one line per model instead
        # of a bar's cursor codes.
        lines = verbose >= 2 or (verbose and bar_disabled(verbose))
        for i, (scenario, model) in enumerate(bar):
            bar.set_postfix_str(f"{scenario} / {model}")
            if lines:
                print(f"[skfmm benchmark] {i + 1}/{len(tasks)}: {scenario} / {model}",
                      flush=True)
            X, y, metadata = cohorts[scenario]
            outer_cv, group_values = _outer_split(metadata, groups, design)
            is_authors = model.endswith(AUTHORS_SUFFIX)
            estimator, grid = zoo[model[: -len(AUTHORS_SUFFIX)] if is_authors else model]
            kwargs = {}
            if is_authors:
                grid, kwargs["fold_fitter"] = None, authors_protocol_fit_predict
            res = nested_cross_validate(
                estimator, X, y, param_grid=grid, outer_cv=outer_cv,
                inner_cv=design["inner_splits"], groups=group_values,
                n_repeats=(design["n_repeats"] if outer_cv is None
                           or isinstance(outer_cv, int) else None),
                n_jobs=n_jobs, random_state=seed,
                cache_dir=cache_dir, name=model, verbose=verbose, **kwargs,
            )
            results[(scenario, model)] = res
            fold_tables.append(res.folds.copy())
            preds = res.predictions.copy()
            preds["pos_label"] = res.pos_label
            pred_tables.append(preds)
            summaries.append(summarize(res, n_boot=design["n_boot"], random_state=seed))
            for table in (fold_tables[-1], pred_tables[-1], summaries[-1]):
                table.insert(0, "scenario", scenario)
        bar.close()
    return (results, pd.concat(fold_tables, ignore_index=True),
            pd.concat(pred_tables, ignore_index=True),
            pd.concat(summaries, ignore_index=True)[SUMMARY_COLUMNS])


# --------------------------------------------------------------------------- outputs


def _is_authors(models):
    return models.str.endswith(AUTHORS_SUFFIX)


def _write_tables(out, folds, predictions, summary):
    """``results.csv``, ``summary.csv`` (our protocol only), ``folds.csv``, ``predictions.csv``.

    Returns the main summary and results tables (without the authors' protocol).
    """
    main_summary = summary[~_is_authors(summary["model"])].reset_index(drop=True)
    results_csv = folds.loc[~_is_authors(folds["model"]), RESULT_COLUMNS].reset_index(drop=True)
    results_csv.to_csv(os.path.join(out, "results.csv"), index=False)
    main_summary.to_csv(os.path.join(out, "summary.csv"), index=False)
    detail = folds.drop(columns=[c for c in ("best_params",) if c in folds])
    detail["best_params"] = folds["best_params"].map(lambda d: json.dumps(d, default=str))
    detail.to_csv(os.path.join(out, "folds.csv"), index=False)
    predictions.to_csv(os.path.join(out, "predictions.csv"), index=False)
    return main_summary, results_csv


def _json_safe(record):
    """``record`` with NaN and infinite floats as None: JSON has no NaN (strict readers
    refuse Python's ``NaN``)."""
    if isinstance(record, dict):
        return {k: _json_safe(v) for k, v in record.items()}
    if isinstance(record, (list, tuple)):
        return [_json_safe(v) for v in record]
    if isinstance(record, (float, np.floating)):
        return float(record) if np.isfinite(record) else None
    if isinstance(record, np.integer):
        return int(record)
    if isinstance(record, np.bool_):
        return bool(record)
    return record


def _authors_protocol_outputs(out, protocol_model, results, folds, summary, *, n_boot,
                              max_epochs, seed):
    """The inflation of the authors' protocol, its files, and its point on the MCC figure.

    Writes ``authors_protocol.csv`` and ``authors_protocol.json``; returns the inflation
    and the figure's extra points ``{"none": [(label, mean, ci_low, ci_high)]}``.
    """
    authors_name = protocol_model + AUTHORS_SUFFIX
    inflation = protocol_inflation(results[("none", protocol_model)],
                                   results[("none", authors_name)], n_boot=n_boot,
                                   random_state=seed)
    inflation["model"] = protocol_model
    inflation["max_epochs"] = max_epochs
    folds.loc[_is_authors(folds["model"]), RESULT_COLUMNS].to_csv(
        os.path.join(out, "authors_protocol.csv"), index=False)
    a = summary[_is_authors(summary["model"]) & (summary["metric"] == "mcc")].iloc[0]
    label = "fmm_tc, authors' protocol" if protocol_model == "fmm_tc" else authors_name
    with open(os.path.join(out, "authors_protocol.json"), "w") as fh:
        json.dump(_json_safe(inflation), fh, indent=1)
    return inflation, {"none": [(label, a["mean"], a["ci_low"], a["ci_high"])]}


_COMPARISON_COLUMNS = ["scenario", "comparison", "metric", "method", "difference", "ci_low",
                       "ci_high", "n_folds", "p_value", "p_permutation", "p_null", "note", "a",
                       "b", "pooled_difference"]


def _paired_comparisons(out, results, scenarios, *, n_boot, seed):
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
            if (scenario, a) in results and (scenario, b) in results:
                diff = paired_difference(results[(scenario, a)], results[(scenario, b)],
                                         metric="mcc", n_boot=n_boot, random_state=seed)
                rows.append({"scenario": scenario, "comparison": f"{b} - {a}",
                             **{k: diff[k] for k in _COMPARISON_COLUMNS[2:]}})
    table = pd.DataFrame(rows, columns=_COMPARISON_COLUMNS)
    if rows:
        table.to_csv(os.path.join(out, "paired_comparisons.csv"), index=False)
    return table


def _comparisons_markdown(table):
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


def _write_figures(out, main_summary, predictions, extra_points, caption):
    """``mcc`` and ``roc`` figures, each as PNG (300 dpi), PDF and SVG."""
    from ..utils.plotting import FIGURE_FORMATS, save_figure

    fig = plot_mcc_intervals(main_summary, extra=extra_points, caption=caption)
    save_figure(fig, os.path.join(out, "mcc.png"), formats=FIGURE_FORMATS, close=True)
    fig = plot_roc_curves(predictions[~_is_authors(predictions["model"])], caption=caption)
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


def _write_report(out, main_summary, *, command, size, design, cohort_text, scenario_text, zoo,
                  groups, foundation_model, seed, coverage, inflation, extra_sections, wall,
                  n_folds, n_cached):
    """``report.md``: the design of the run, its tables, honesty checks, figures and notes."""
    write_report(
        os.path.join(out, "report.md"), summary=main_summary, command=command,
        design={
            "cohort": cohort_text,
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
        scenarios=scenario_text, models={m: BASELINE_DESCRIPTIONS[m] for m in zoo},
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


def _print_summary(out, table, summary, coverage, inflation, comparisons, *, wall, n_folds,
                   n_cached):
    print()
    print(f"MCC, estimate [95 % CI] ({interval_caption(summary_method(summary))}):")
    print(table.to_string())
    if coverage is not None:
        print(coverage["statement"])
    if inflation is not None:
        print("Authors' protocol (best epoch on the test fold) on the `none` scenario (no "
              f"effect): {inflation['model']} MCC {inflation['authors']:+.3f} vs ours "
              f"{inflation['ours']:+.3f} (pooled); inflation {inflation['difference']:+.3f} "
              f"({_inflation_interval(inflation)}){_p_text(inflation)}")
    if len(comparisons):
        print(f"Paired MCC differences, b - a [95 % {paired_caption(comparisons['method'].iloc[0])}"
              "], p (t), p (paired permutation); two-sided, H0: no difference:")
        for r in comparisons.itertuples():
            print(f"  {r.scenario:>5s}  {r.comparison:34s} {_difference_cell(r, 3)}  "
                  f"p={_p_cell(r.p_value)}  p_perm={_p_cell(r.p_permutation)}")
    print(f"Wall time {wall:.0f} s; {n_cached} of {n_folds} folds from the cache. "
          f"Written to {out}/ (report.md, results.csv, summary.csv, mcc and roc figures as .png, .pdf, .svg)")


# --------------------------------------------------------------------------- interpretation


def _interpretation(zoo, cohorts, out, groups, seed):
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
