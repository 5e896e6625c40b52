"""``skfmm benchmark``: the main job. Nested cross-validation of FMM_TC against its baselines on
the simulated cohort (four scenarios) or a real BIDS cohort, with an honesty report."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import time

import numpy as np
import pandas as pd

HELP = ("The main job: nested CV of FMM_TC against baselines (simulated cohort in four scenarios "
        "or a BIDS cohort); tables, figures, honesty report.")

#: Scenario name -> (fc_effect, ts_effect) of :func:`skfmm.datasets.make_pain_cohort`.
SCENARIOS = {
    "null": (0.0, 0.0),
    "fc": (0.5, 0.0),
    "ts": (0.0, 0.5),
    "both": (0.5, 0.5),
}

SCENARIO_DESCRIPTIONS = {
    "null": "no effect (fc_effect=0, ts_effect=0): labels independent of the data; every "
            "honest model should be at chance",
    "fc": "connectivity effect only (fc_effect=0.5): responders' pain-network parcels share "
          "a hidden hub (higher zero-lag correlations)",
    "ts": "temporal-dynamics effect only (ts_effect=0.5): slower parcel-local fluctuations in "
          "responders, variance and expected correlations unchanged",
    "both": "both effects (fc_effect=0.5, ts_effect=0.5)",
}

#: Cross-validation design per size: outer stratified K-fold x repeats, inner K-fold,
#: bootstrap samples.
DESIGNS = {
    "quick": dict(n_splits=3, n_repeats=1, inner_splits=3, n_boot=500),
    "default": dict(n_splits=5, n_repeats=2, inner_splits=3, n_boot=2000),
    "full": dict(n_splits=5, n_repeats=5, inner_splits=3, n_boot=2000),
}

RESULT_COLUMNS = ["scenario", "model", "repeat", "fold", "mcc", "auroc", "balanced_accuracy",
                  "accuracy", "f1", "sensitivity", "specificity"]
SUMMARY_COLUMNS = ["scenario", "model", "metric", "mean", "ci_low", "ci_high"]
AUTHORS_SUFFIX = " [authors' protocol]"


def add_arguments(parser):
    g = parser.add_argument_group("what to run")
    g.add_argument("--scenario", action="append", choices=list(SCENARIOS), default=None,
                   help="simulated scenario (repeatable; default: all four: null fc ts both)")
    g.add_argument("--models", nargs="+", default=None, metavar="NAME",
                   help="subset of models (default: all of skfmm.baselines.BASELINE_NAMES)")
    size = g.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="reduced size: 3 outer folds, lighter grids, at most 20 epochs")
    size.add_argument("--full", action="store_true",
                      help="the paper's settings: ResNet-18, 100 epochs, batch 8, lr 5e-4; "
                           "5 x 5-fold outer CV")
    g.add_argument("--out", default="skfmm_results",
                   help="output folder (default ./skfmm_results); finished folds are cached "
                        "in OUT/cache so an interrupted run resumes")
    g.add_argument("--seed", type=int, default=0, help="seed of cohort, splits and models")
    g.add_argument("--foundation-model", default="demo", metavar="NAME_OR_PATH",
                   help="frozen encoder: 'demo' (default) or a BrainLM weights folder")
    g.add_argument("--fc-encoder", choices=["resnet18", "brainnetcnn", "mlp"], default=None,
                   help="connectivity encoder of the deep models (default: by size)")
    g.add_argument("--n-repeats", type=int, default=None, help="outer repeats (default: by size)")
    g.add_argument("--n-splits", type=int, default=None, help="outer folds (default: by size)")
    g.add_argument("--interpret", action="store_true",
                   help="also fit fmm_tc on every subject of each scenario and write its "
                        "integrated-gradients interpretation (modality shares per study, "
                        "top regions) to OUT/interpretation/ and the report")
    g.add_argument("--no-authors-protocol", action="store_true",
                   help="skip the authors' protocol run on the null scenario")
    g.add_argument("--device", default="cpu", help="device of the deep models: cpu, cuda, auto")
    g.add_argument("--threads", type=int, default=1,
                   help="torch and BLAS threads of this process during the run (default 1: "
                        "the fits are small and extra threads only contend; use --n-jobs or "
                        "--dask to use more cores)")
    g.add_argument("--quiet", action="store_true", help="no progress bars")
    sim = parser.add_argument_group("simulated cohort size")
    sim.add_argument("--n-subjects", type=int, default=56, help="patients (default 56)")
    sim.add_argument("--n-regions", type=int, default=100, help="parcels (default 100)")
    sim.add_argument("--n-timepoints", type=int, default=220, help="volumes (default 220)")
    sim.add_argument("--window", type=int, default=200, help="window kept (default 200)")
    real = parser.add_argument_group("real cohort (instead of the simulated scenarios)")
    real.add_argument("--bids", metavar="ROOT", default=None,
                      help="BIDS dataset root (participants.tsv gives the labels)")
    real.add_argument("--atlas", metavar="PATH", default=None, help="parcellation labels image")
    real.add_argument("--label", metavar="COL", default=None,
                      help="participants.tsv column holding the binary outcome")
    real.add_argument("--derivatives", metavar="fmriprep|PATH", default=None,
                      help="read fMRIPrep outputs (ROOT/derivatives/fmriprep, or PATH) with "
                           "motion + WM/CSF confounds and detrending; default: the raw runs")
    real.add_argument("--coords", metavar="FILE", default=None,
                      help="parcel coordinates file (default: atlas centroids)")
    real.add_argument("--groups", metavar="COL", default=None,
                      help="leave-one-group-out outer splits over this metadata column "
                           "(e.g. study); also works on the simulated cohort")
    par = parser.add_argument_group("parallelism")
    par.add_argument("--n-jobs", type=int, default=None,
                     help="outer folds in parallel (joblib; default 1)")
    par.add_argument("--dask", metavar="ADDRESS", default=None,
                     help="run folds on a Dask cluster: a scheduler address or 'local'")
    par.add_argument("--dask-workers", type=int, default=2,
                     help="workers of --dask local (default 2)")


def run(args):
    if args.bids is None and any(v is not None for v in (args.atlas, args.label, args.coords,
                                                         args.derivatives)):
        raise SystemExit("skfmm benchmark: --atlas, --label, --coords and --derivatives need "
                         "--bids ROOT.")
    if args.bids is not None and args.label is None:
        raise SystemExit("skfmm benchmark: --bids needs --label COL (and --atlas PATH unless "
                         "the tree was written by skfmm.datasets.to_bids).")
    if args.bids is not None and args.scenario:
        raise SystemExit("skfmm benchmark: --scenario applies to the simulated cohort, not "
                         "--bids.")
    size = "quick" if args.quick else "full" if args.full else "default"
    command = _command_line(args)
    run_benchmark(
        scenarios=args.scenario, size=size, out=args.out, seed=args.seed,
        foundation_model=args.foundation_model, fc_encoder=args.fc_encoder, models=args.models,
        n_repeats=args.n_repeats, n_splits=args.n_splits,
        authors_protocol=not args.no_authors_protocol, interpret=args.interpret,
        device=args.device,
        n_subjects=args.n_subjects, n_regions=args.n_regions, n_timepoints=args.n_timepoints,
        window=args.window, bids=args.bids, atlas=args.atlas, label=args.label,
        derivatives=args.derivatives,
        coords=args.coords, groups=args.groups, n_jobs=args.n_jobs, dask=args.dask,
        dask_workers=args.dask_workers, threads=args.threads, verbose=0 if args.quiet else 1,
        command=command,
    )
    return 0


def _command_line(args):
    """``skfmm benchmark`` with the options that differ from their defaults."""
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    add_arguments(parser)
    words = ["skfmm", "benchmark"]
    for action in parser._actions:
        value = getattr(args, action.dest, None)
        if not action.option_strings or value == action.default:
            continue
        flag = action.option_strings[0]
        if isinstance(action, argparse._StoreTrueAction):
            words.append(flag)
        elif isinstance(action, argparse._AppendAction):
            for v in value:
                words += [flag, shlex.quote(str(v))]
        elif isinstance(value, list):
            words += [flag] + [shlex.quote(str(v)) for v in value]
        else:
            words += [flag, shlex.quote(str(value))]
    return " ".join(words)


# --------------------------------------------------------------------------- data


def _simulated_cohorts(scenarios, *, n_subjects, n_regions, n_timepoints, window, seed,
                       verbose):
    from skfmm import TimeSeriesExtractor
    from skfmm.datasets import make_pain_cohort

    cohorts = {}
    for name in scenarios:
        fc_effect, ts_effect = SCENARIOS[name]
        cohort = make_pain_cohort(n_subjects, n_regions=n_regions, n_timepoints=n_timepoints,
                                  fc_effect=fc_effect, ts_effect=ts_effect, random_state=seed)
        # Per-subject and label-free (window, per-parcel z-score): once, outside the folds.
        X = TimeSeriesExtractor(window=window, coords=cohort.coords, random_state=seed,
                                verbose=0).fit_transform(cohort.timeseries)
        metadata = cohort.metadata.copy()
        metadata.attrs["planted"] = {
            "fc": [int(r) for r in cohort.fc_effect_regions] if fc_effect > 0 else [],
            "ts": [int(r) for r in cohort.ts_effect_regions] if ts_effect > 0 else [],
        }
        cohorts[name] = (X, np.asarray(cohort.y), metadata)
    return cohorts


def _bids_cohort(root, atlas, label, coords, window, derivatives, foundation_model, seed,
                 verbose):
    from skfmm import TimeSeriesExtractor
    from skfmm.datasets import load_bids_cohort

    cohort = load_bids_cohort(root, atlas, label=label, derivatives=derivatives)
    standardize = "zscore"
    if foundation_model is not None:
        from skfmm.foundation import load_foundation_model

        # The released BrainLM expects its own scaling; the demo, per-parcel z-scores.
        standardize = load_foundation_model(foundation_model, verbose=verbose).config.input_scaling
    if coords is None:
        coords = getattr(cohort, "coords", None)
    extractor = TimeSeriesExtractor(
        atlas=cohort.atlas if getattr(cohort, "atlas", None) is not None else atlas,
        coords=coords, window=window, t_r=getattr(cohort, "t_r", None),
        standardize=standardize, detrend=derivatives is not None,
        # fMRIPrep confounds through nilearn's load_confounds (motion + WM/CSF).
        confounds_strategy=("motion", "wm_csf") if derivatives is not None else None,
        random_state=seed, verbose=verbose)
    # Per-subject and label-free: once, outside the folds.
    X = extractor.fit_transform(cohort.images)
    return X, np.asarray(cohort.y), cohort.metadata


# --------------------------------------------------------------------------- main entry


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
    :func:`skfmm.baselines.make_baselines`, nested cross-validation
    (:func:`skfmm.evaluation.nested_cross_validate`, outer repeated stratified K-fold or
    leave-one-group-out, inner GridSearchCV) with the same outer splits for every model.
    On the null scenario the FMM_TC model is also trained by the authors' protocol
    (best epoch on the test fold) to measure how much it inflates MCC.

    Parameters
    ----------
    scenarios : list of {"null", "fc", "ts", "both"}, default=None
        Simulated scenarios (default all four); ignored with ``bids``.
    size : {"quick", "default", "full"}, default="default"
        Model sizes (:data:`skfmm.baselines.MODEL_SIZES`) and CV design (:data:`DESIGNS`).
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
    command : str
        Recorded in the report.

    Returns
    -------
    dict
        ``results``, ``summary`` (DataFrames), ``coverage``, ``inflation`` (dicts or None),
        ``wall_s``, ``n_folds``, ``n_cached``.

    Examples
    --------
    >>> from skfmm.commands.benchmark import run_benchmark
    >>> # run_benchmark(["null"], size="quick", out="/tmp/skfmm_quick")
    """
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"run_benchmark: 'threads' must be a positive int or None; got "
                         f"{threads!r}.")
    from skfmm.utils.threads import limited_threads

    with limited_threads(threads):
        return _run_benchmark(
            scenarios, size=size, out=out, seed=seed, foundation_model=foundation_model,
            fc_encoder=fc_encoder, models=models, n_repeats=n_repeats, n_splits=n_splits,
            authors_protocol=authors_protocol, interpret=interpret, device=device,
            n_subjects=n_subjects,
            n_regions=n_regions, n_timepoints=n_timepoints, window=window, bids=bids,
            atlas=atlas, label=label, derivatives=derivatives, coords=coords, groups=groups,
            n_jobs=n_jobs, dask=dask, dask_workers=dask_workers, verbose=verbose,
            command=command)


def _run_benchmark(scenarios, *, size, out, seed, foundation_model, fc_encoder, models,
                   n_repeats, n_splits, authors_protocol, interpret, device, n_subjects,
                   n_regions,
                   n_timepoints, window, bids, atlas, label, derivatives, coords, groups,
                   n_jobs, dask, dask_workers, verbose, command):
    import joblib
    from tqdm.auto import tqdm

    from skfmm import report as rep
    from skfmm.baselines import BASELINE_DESCRIPTIONS, DEEP_MODELS, MODEL_SIZES, make_baselines
    from skfmm.evaluation import nested_cross_validate, summarize
    from skfmm.parallel import dask_backend

    start = time.perf_counter()
    if size not in DESIGNS:
        raise ValueError(f"run_benchmark: 'size' must be one of {tuple(DESIGNS)}; got {size!r}.")
    design = dict(DESIGNS[size])
    for key, value in (("n_repeats", n_repeats), ("n_splits", n_splits)):
        if value is not None:
            if not isinstance(value, int) or value < (1 if key == "n_repeats" else 2):
                raise ValueError(f"run_benchmark: '{key}' must be an int >= "
                                 f"{1 if key == 'n_repeats' else 2}; got {value!r}.")
            design[key] = value
    if bids is None:
        scenarios = list(SCENARIOS) if not scenarios else list(dict.fromkeys(scenarios))
        unknown = [s for s in scenarios if s not in SCENARIOS]
        if unknown:
            raise ValueError(f"run_benchmark: unknown scenarios {unknown}; choose from "
                             f"{list(SCENARIOS)}.")
    os.makedirs(out, exist_ok=True)
    cache_dir = os.path.join(out, "cache")

    # Connectomes fitted on a training set are shared by grid candidates and by the two
    # correlation models; cleared at the end (the fold cache keeps the results).
    memory = joblib.Memory(os.path.join(cache_dir, "connectomes"), verbose=0)
    zoo = make_baselines(foundation_model, fc_encoder=fc_encoder, random_state=seed, size=size,
                         device=device, models=models, memory=memory)
    if verbose:
        print(f"[skfmm benchmark] size={size}: {design['n_splits']}-fold outer CV x "
              f"{design['n_repeats']} repeat(s), inner {design['inner_splits']}-fold grid "
              f"search; models: {', '.join(zoo)}", flush=True)
    if any(m in zoo for m in ("ts_only_fm", "fmm_tc")):
        from skfmm.foundation import load_foundation_model

        load_foundation_model(foundation_model, verbose=verbose)  # build the demo once, up front

    if bids is None:
        cohorts = _simulated_cohorts(scenarios, n_subjects=n_subjects, n_regions=n_regions,
                                     n_timepoints=n_timepoints, window=window, seed=seed,
                                     verbose=verbose)
        scenario_text = {s: SCENARIO_DESCRIPTIONS[s] for s in scenarios}
        cohort_text = (f"simulated pain cohort (skfmm.datasets.make_pain_cohort): {n_subjects} "
                       f"patients, {n_regions} parcels, {n_timepoints} volumes, window {window}")
    else:
        fm = foundation_model if any(m in zoo for m in ("ts_only_fm", "fmm_tc")) else None
        X, y, metadata = _bids_cohort(bids, atlas, label, coords, window, derivatives, fm, seed,
                                      verbose)
        name = os.path.basename(os.path.normpath(bids)) or "bids"
        cohorts = {name: (X, y, metadata)}
        scenarios = [name]
        scenario_text = {name: f"BIDS cohort {bids}, label column {label!r}"}
        cohort_text = f"BIDS cohort {bids} ({len(y)} subjects), atlas {atlas}, window {window}"

    def outer_for(metadata, n):
        if groups is None:
            return design["n_splits"], None
        if metadata is None or groups not in metadata:
            raise ValueError(f"run_benchmark: 'groups' names the column {groups!r}, absent from "
                             f"the cohort's metadata (columns: "
                             f"{[] if metadata is None else list(metadata.columns)}).")
        return "logo", np.asarray(metadata[groups])

    protocol_model = None
    if authors_protocol and "null" in scenarios:
        protocol_model = "fmm_tc" if "fmm_tc" in zoo else next(
            (m for m in zoo if m in DEEP_MODELS), None)

    tasks = [(s, m) for s in scenarios for m in zoo]
    if protocol_model is not None:
        tasks.append(("null", protocol_model + AUTHORS_SUFFIX))
    results, fold_tables, pred_tables, summaries = {}, [], [], []
    with dask_backend(dask, n_workers=dask_workers) if dask is not None else contextlib.nullcontext():
        bar = tqdm(tasks, desc="benchmark", disable=verbose == 0)
        for scenario, model in bar:
            bar.set_postfix_str(f"{scenario} / {model}")
            X, y, metadata = cohorts[scenario]
            outer_cv, group_values = outer_for(metadata, len(y))
            is_authors = model.endswith(AUTHORS_SUFFIX)
            base = model[: -len(AUTHORS_SUFFIX)] if is_authors else model
            estimator, grid = zoo[base]
            kwargs = {}
            if is_authors:
                from skfmm.baselines import authors_protocol_fit_predict

                grid, kwargs["fold_fitter"] = None, authors_protocol_fit_predict
            res = nested_cross_validate(
                estimator, X, y, param_grid=grid, outer_cv=outer_cv,
                inner_cv=design["inner_splits"], groups=group_values,
                n_repeats=design["n_repeats"], n_jobs=n_jobs, random_state=seed,
                cache_dir=cache_dir, name=model, verbose=verbose, **kwargs,
            )
            results[(scenario, model)] = res
            folds = res.folds.copy()
            folds.insert(0, "scenario", scenario)
            fold_tables.append(folds)
            preds = res.predictions.copy()
            preds.insert(0, "scenario", scenario)
            preds["pos_label"] = res.pos_label
            pred_tables.append(preds)
            table = summarize(res, n_boot=design["n_boot"], random_state=seed)
            table.insert(0, "scenario", scenario)
            summaries.append(table)
        bar.close()

    folds = pd.concat(fold_tables, ignore_index=True)
    predictions = pd.concat(pred_tables, ignore_index=True)
    summary = pd.concat(summaries, ignore_index=True)[SUMMARY_COLUMNS]
    is_authors_row = folds["model"].str.endswith(AUTHORS_SUFFIX)
    authors_rows = summary["model"].str.endswith(AUTHORS_SUFFIX)
    main_summary = summary[~authors_rows].reset_index(drop=True)
    results_csv = folds.loc[~is_authors_row, RESULT_COLUMNS].reset_index(drop=True)
    results_csv.to_csv(os.path.join(out, "results.csv"), index=False)
    main_summary.to_csv(os.path.join(out, "summary.csv"), index=False)
    detail = folds.drop(columns=[c for c in ("best_params",) if c in folds])
    detail["best_params"] = folds["best_params"].map(lambda d: json.dumps(d, default=str))
    detail.to_csv(os.path.join(out, "folds.csv"), index=False)
    predictions.to_csv(os.path.join(out, "predictions.csv"), index=False)

    coverage = rep.null_coverage(main_summary) if "null" in scenarios else None
    inflation, extra_points = None, {}
    if protocol_model is not None:
        authors_name = protocol_model + AUTHORS_SUFFIX
        inflation = rep.protocol_inflation(
            results[("null", protocol_model)], results[("null", authors_name)],
            n_boot=design["n_boot"], random_state=seed)
        inflation["model"] = protocol_model
        inflation["max_epochs"] = MODEL_SIZES[size]["max_epochs"]
        folds.loc[is_authors_row, RESULT_COLUMNS].to_csv(
            os.path.join(out, "authors_protocol.csv"), index=False)
        a = summary[authors_rows & (summary["metric"] == "mcc")].iloc[0]
        extra_points["null"] = [("fmm_tc, authors' protocol" if protocol_model == "fmm_tc"
                                 else authors_name, a["mean"], a["ci_low"], a["ci_high"])]
        with open(os.path.join(out, "authors_protocol.json"), "w") as fh:
            json.dump(inflation, fh, indent=1)

    rep.plot_mcc_intervals(main_summary, os.path.join(out, "mcc.png"), extra=extra_points)
    rep.plot_roc_curves(predictions[~predictions["model"].str.endswith(AUTHORS_SUFFIX)],
                        os.path.join(out, "roc.png"))
    memory.clear(warn=False)
    wall = time.perf_counter() - start
    n_cached = int(folds["from_cache"].sum())
    timing = {
        "wall time": f"{wall:.0f} s",
        "outer folds": f"{len(folds)} ({n_cached} loaded from the cache, "
                       f"{len(folds) - n_cached} fitted)",
    }
    extra_sections = []
    if interpret:
        extra_sections.append(("Interpretation of FMM_TC (integrated gradients)",
                               _interpret(zoo, cohorts, scenarios, out, groups, seed, verbose)))
    wall = time.perf_counter() - start
    timing["wall time"] = f"{wall:.0f} s"
    table = rep.results_table(main_summary, "mcc")
    write_kwargs = dict(
        summary=main_summary, command=command,
        design={
            "cohort": cohort_text,
            "outer CV": ("leave one group out over " + repr(groups)) if groups else
                        f"stratified {design['n_splits']}-fold x {design['n_repeats']} "
                        "repeat(s), the same splits for every model",
            "inner CV": f"stratified {design['inner_splits']}-fold GridSearchCV (MCC) over "
                        "each model's grid, inside the outer training part",
            "deep models": ", ".join(f"{k}={v}" for k, v in MODEL_SIZES[size].items()
                                     if k != "deep_grid") + "; epoch chosen by early stopping "
                           "on a 20 % stratified validation split of the training part",
            "foundation model": str(foundation_model),
            "seed": seed,
            "intervals": f"95 % percentile bootstrap over subjects ({design['n_boot']} "
                         "samples) of the pooled out-of-fold metric",
        },
        scenarios=scenario_text, models={m: BASELINE_DESCRIPTIONS[m] for m in zoo},
        coverage=coverage, inflation=inflation, timing=timing, extra_sections=extra_sections,
        figures=[("MCC per model and scenario", "mcc.png"),
                 ("ROC curves (out-of-fold)", "roc.png")],
        notes=[
            "Each number is computed on subjects the model never saw: connectomes, the tangent "
            "reference, scalers, networks and hyper-parameters are all learned inside the outer "
            "training part; only the per-subject, label-free window extraction runs once.",
            "The interval reflects the test-sample uncertainty of a cohort this small (about "
            "+/-0.25 MCC for 56 patients); models whose intervals overlap are not shown to differ.",
            "results.csv: one row per outer fold; summary.csv: mean and interval per scenario, "
            "model and metric; folds.csv adds fit times, chosen hyper-parameters and cache hits.",
        ],
    )
    rep.write_report(os.path.join(out, "report.md"), **write_kwargs)
    with open(os.path.join(out, "run.json"), "w") as fh:
        json.dump({"command": command, "size": size, "design": design, "seed": seed,
                   "scenarios": scenarios, "models": list(zoo), "wall_s": wall,
                   "n_folds": int(len(folds)), "n_cached": n_cached}, fh, indent=1)

    if verbose:
        print()
        print("MCC, mean [95 % CI] (pooled out-of-fold, subject bootstrap):")
        print(table.to_string())
        if coverage is not None:
            print(coverage["statement"])
        if inflation is not None:
            print(f"Authors' protocol (best epoch on the test fold) on the null scenario: "
                  f"{inflation['model']} MCC {inflation['authors']:+.3f} vs ours "
                  f"{inflation['ours']:+.3f}; inflation {inflation['difference']:+.3f} "
                  f"[{inflation['ci_low']:+.3f}, {inflation['ci_high']:+.3f}]")
        print(f"Wall time {wall:.0f} s; {n_cached} of {len(folds)} folds from the cache. "
              f"Written to {out}/ (report.md, results.csv, summary.csv, mcc.png, roc.png)")
    return {"results": results_csv, "summary": main_summary, "coverage": coverage,
            "inflation": inflation, "wall_s": wall, "n_folds": int(len(folds)),
            "n_cached": n_cached, "table": table}


def _interpret(zoo, cohorts, scenarios, out, groups, seed, verbose):
    """Fit fmm_tc on every subject of each scenario; interpretation tables and a summary."""
    from sklearn.base import clone

    if "fmm_tc" not in zoo:
        return "(not run: `fmm_tc` is not among the models of this run)"
    try:
        from skfmm.interpret import interpretation_report
    except ImportError as exc:  # pragma: no cover - depends on the installation
        return f"(not run: skfmm.interpret is unavailable: {exc})"
    lines = [
        "`fmm_tc` refitted on every subject of each scenario (a description of that model, "
        "not a performance estimate). Modality share: fraction of the absolute integrated-"
        "gradients attribution going to each modality, mean [95 % CI] per "
        f"{groups or 'study'}. Top regions: largest attribution (0-based parcel indices).",
        "",
    ]
    for scenario in scenarios:
        X, y, metadata = cohorts[scenario]
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
