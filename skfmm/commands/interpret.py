"""``skfmm interpret``: integrated-gradients interpretation of a saved FMM_TC model.

Loads the model (joblib / pickle) and the data (.npz, a BIDS dataset or a simulated cohort matching
the model's parcels and window); writes CSVs + figures.
"""

from __future__ import annotations

HELP = ("Interpret a saved FMM_TC model with integrated gradients: modality shares per group, "
        "region importance, top edges (CSV + figures).")


def add_arguments(parser):
    parser.add_argument("--model", required=True,
                        help="fitted FMMTCClassifier or Pipeline ending in one, saved with "
                             "joblib.dump or pickle (only load files you trust)")
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--data",
                      help=".npz with the container arrays (ts, xyz, fc, covariates) or a 3-D "
                           "'timeseries' array (n, T, R) for a pipeline that starts with "
                           "TimeSeriesExtractor")
    data.add_argument("--cohort", metavar="KEY=VALUE,...",
                      help="simulate the cohort with make_pain_cohort(KEY=VALUE, ...), e.g. "
                           "'fc_effect=1,ts_effect=0,random_state=0'; n_regions and "
                           "n_timepoints default to the model's parcels and window")
    data.add_argument("--bids", metavar="ROOT",
                      help="BIDS dataset (participants.tsv + runs, e.g. ds000208) read with "
                           "load_bids_cohort; a fitted Pipeline extracts its runs itself, a "
                           "bare classifier needs --atlas")
    bids = parser.add_argument_group("with --bids")
    bids.add_argument("--label", default="Response",
                      help="participants.tsv column of the outcome (default Response); "
                           "participants without it are left out")
    bids.add_argument("--derivatives", metavar="fmriprep|PATH", default=None,
                      help="read fMRIPrep outputs (ROOT/derivatives/fmriprep, or PATH) "
                           "instead of the raw runs")
    bids.add_argument("--space", default=None,
                      help="fMRIPrep space- entity when several spaces were written")
    bids.add_argument("--atlas", default=None,
                      help="labels or maps image, for a bare FMMTCClassifier (a Pipeline "
                           "brings its own)")
    bids.add_argument("--coords", default=None,
                      help="parcel coordinates file (A424 format) for --atlas (default: "
                           "atlas centroids)")
    parser.add_argument("--groups",
                        help="group of each subject: an array name in the .npz, or a metadata "
                             "column of the cohort or of participants.tsv (e.g. study, Drug)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--baseline", choices=("zeros", "mean"), default="zeros",
                        help="integration baseline (default zeros); 'mean' needs --background")
    parser.add_argument("--background",
                        help="training data for --baseline mean: an .npz as for --data, or "
                             "'same' for the data being interpreted")
    parser.add_argument("--target", default=None,
                        help="class label whose logit is explained (default: each subject's "
                             "predicted class); compared with the model's classes as text")
    parser.add_argument("--n-steps", type=int, default=50, help="integration steps (default 50)")
    parser.add_argument("--top-edges", type=int, default=20, help="edges shown (default 20)")
    parser.add_argument("--top-regions", type=int, default=20,
                        help="regions on the glass brain (default 20)")
    parser.add_argument("--n-boot", type=int, default=1000,
                        help="bootstrap resamples of the group intervals (default 1000)")
    parser.add_argument("--prefix", default="", help="prefix of the file names")
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument("--verbose", action="store_true",
                      help="also print each step's duration and what was loaded")
    talk.add_argument("--quiet", action="store_true",
                      help="no progress lines or bars (default: a line per step and a "
                           "progress bar over the subjects)")


def _parse_cohort(spec):
    import ast
    import inspect

    from skfmm.datasets import make_pain_cohort

    allowed = list(inspect.signature(make_pain_cohort).parameters)
    kwargs = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        if "=" not in item:
            raise SystemExit(f"skfmm interpret: --cohort items must be KEY=VALUE; got {item!r}.")
        key, value = (s.strip() for s in item.split("=", 1))
        if key not in allowed:
            raise SystemExit(f"skfmm interpret: --cohort key {key!r} is not a parameter of "
                             f"make_pain_cohort (choose from {', '.join(allowed)}).")
        try:
            kwargs[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            kwargs[key] = value
    return kwargs


def _check_file(path, argument):
    from pathlib import Path

    if not Path(path).is_file():
        raise SystemExit(f"skfmm interpret: {argument}: no file at '{path}'.")


def _load_npz(path, argument):
    import numpy as np

    from skfmm.container import KNOWN_KEYS, MultimodalData

    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    known = {k: v for k, v in arrays.items() if k in KNOWN_KEYS}
    if "ts" in known or "fc" in known:
        return MultimodalData(**known), arrays
    if "timeseries" in arrays:
        return arrays["timeseries"], arrays
    raise SystemExit(
        f"skfmm interpret: {argument} '{path}' must hold container arrays (ts, xyz, fc, "
        f"covariates) or a 'timeseries' array; it holds {sorted(arrays)}."
    )


def _container_for(clf, cohort):
    """Extraction with the package defaults when the saved model is a bare classifier."""
    from sklearn.pipeline import Pipeline

    from skfmm import ConnectivityExtractor, TimeSeriesExtractor

    window = clf.module_sizes_.get("window") or 200
    steps = [("ts", TimeSeriesExtractor(coords=cohort.coords, window=window, verbose=0))]
    if "fc" in clf.modalities:
        steps.append(("fc", ConnectivityExtractor()))
    print(f"The model is a bare FMMTCClassifier: extracting the cohort with "
          f"TimeSeriesExtractor(window={window})"
          + (" + ConnectivityExtractor()" if "fc" in clf.modalities else "") + ".")
    return Pipeline(steps).fit_transform(cohort.timeseries)


def _model_shape(estimator, clf):
    """The parcels and window the fitted model reads (from its fitted sizes)."""
    from sklearn.pipeline import Pipeline

    sizes = getattr(clf, "module_sizes_", None) or {}
    n_regions, window = sizes.get("n_regions"), sizes.get("window")
    if isinstance(estimator, Pipeline):
        first = estimator.steps[0][1]
        window = getattr(first, "window", None) or window
        n_regions = getattr(first, "n_regions_", None) or n_regions
    return n_regions, window


def _match_cohort(kwargs, n_regions, window):
    """Fill n_regions / n_timepoints from the model; refuse values that cannot fit it."""
    notes = []
    if n_regions is not None:
        given = kwargs.get("n_regions")
        if given is None:
            kwargs["n_regions"] = n_regions
            notes.append(f"n_regions={n_regions}")
        elif given != n_regions:
            raise SystemExit(
                f"skfmm interpret: --cohort n_regions={given!r} does not match the model, "
                f"fitted on {n_regions} parcels; use n_regions={n_regions} (or leave it out).")
    if window is not None:
        given = kwargs.get("n_timepoints")
        if given is None:
            import inspect

            from skfmm.datasets import make_pain_cohort

            default = inspect.signature(make_pain_cohort).parameters["n_timepoints"].default
            if default < window:
                kwargs["n_timepoints"] = window
                notes.append(f"n_timepoints={window}")
        elif isinstance(given, int) and given < window:
            raise SystemExit(
                f"skfmm interpret: --cohort n_timepoints={given} is shorter than the model's "
                f"window of {window} volumes; use n_timepoints={window} or more.")
    return notes


def _bids_input(args, estimator, clf, verbose):
    """The runs of a BIDS dataset, as the fitted model reads them, and its metadata."""
    import os

    from sklearn.pipeline import Pipeline

    from skfmm import ConnectivityExtractor, TimeSeriesExtractor
    from skfmm.datasets import load_bids_cohort

    pipeline = isinstance(estimator, Pipeline)
    first = estimator.steps[0][1] if pipeline else None
    if pipeline and not isinstance(first, TimeSeriesExtractor):
        raise SystemExit(
            "skfmm interpret: --bids needs a Pipeline that starts with TimeSeriesExtractor "
            f"(it reads the runs), or a bare FMMTCClassifier with --atlas; the pipeline starts "
            f"with {type(first).__name__}.")
    if pipeline and getattr(first, "input_kind_", "nifti") != "nifti":
        raise SystemExit(
            "skfmm interpret: --bids: the pipeline's TimeSeriesExtractor was fitted on arrays, "
            "not NIfTI runs with an atlas, so it cannot read a BIDS dataset; use --data with "
            "its arrays, or refit the pipeline on the images.")
    if pipeline and (args.atlas or args.coords):
        raise SystemExit(
            "skfmm interpret: --atlas/--coords apply to a bare FMMTCClassifier; the "
            "pipeline's TimeSeriesExtractor has its own atlas (leave them out).")
    if not os.path.isdir(args.bids):
        raise SystemExit(f"skfmm interpret: --bids: no BIDS dataset folder at '{args.bids}'.")
    for argument, path in (("--atlas", args.atlas), ("--coords", args.coords)):
        if path is not None:
            _check_file(path, argument)
    cohort = load_bids_cohort(args.bids, atlas=args.atlas, label=args.label,
                              derivatives=args.derivatives, space=args.space)
    if verbose:
        print(f"Read {len(cohort.images)} runs of {args.bids}"
              + (f" ({args.derivatives})" if args.derivatives else ""), flush=True)
    if pipeline:
        return list(cohort.images), cohort
    if cohort.atlas is None:
        raise SystemExit(
            "skfmm interpret: --bids with a bare FMMTCClassifier needs --atlas PATH (the "
            "parcellation the model was trained with) to extract the runs; or save the whole "
            "fitted Pipeline instead.")
    n_regions, window = _model_shape(estimator, clf)
    scaling = (clf.foundation_model_.config.input_scaling
               if getattr(clf, "foundation_model_", None) is not None else "zscore")
    steps = [("ts", TimeSeriesExtractor(atlas=cohort.atlas, coords=args.coords or cohort.coords,
                                        window=window or 200, standardize=scaling,
                                        verbose=min(verbose, 1)))]
    if "fc" in clf.modalities:
        steps.append(("fc", ConnectivityExtractor()))
    print(f"The model is a bare FMMTCClassifier: extracting the runs with "
          f"TimeSeriesExtractor(window={window or 200}, standardize={scaling!r})"
          + (" + ConnectivityExtractor()" if "fc" in clf.modalities else "")
          + " and no confound regression (save the fitted Pipeline to reuse its extraction).")
    X = Pipeline(steps).fit_transform(list(cohort.images))
    if n_regions is not None and X.n_regions != n_regions:
        raise SystemExit(
            f"skfmm interpret: --atlas gives {X.n_regions} parcels but the model was fitted on "
            f"{n_regions}; pass the atlas it was trained with.")
    return X, cohort


def run(args):
    import joblib
    import numpy as np
    from sklearn.pipeline import Pipeline

    from skfmm.interpret import interpretation_report
    from skfmm.interpret._common import resolve_estimator

    from skfmm.commands._common import check_npz, check_output_folder, quiet_model
    from skfmm.utils.files import check_name_part

    verbose = 0 if args.quiet else 2 if args.verbose else 1
    check_name_part(args.prefix, "--prefix", who="skfmm interpret")  # before any work
    check_output_folder(args.out, "--out", "interpret")
    cohort_kwargs = None if args.cohort is None else _parse_cohort(args.cohort)
    _check_file(args.model, "--model")
    for argument, path in (("--data", args.data), ("--background", args.background)):
        if path is not None and path != "same":
            _check_file(path, argument)
            check_npz(path, argument, "interpret")
    if verbose:
        print(f"Loading the model from {args.model}", flush=True)
    estimator = joblib.load(args.model)
    if not verbose:
        quiet_model(estimator)
    clf, _ = resolve_estimator(estimator, None, who="skfmm interpret")
    if verbose >= 2:
        print(f"  {type(estimator).__name__}: modalities {tuple(clf.modalities)}, classes "
              f"{np.asarray(clf.classes_).tolist()}", flush=True)
    for option in ("atlas", "coords", "derivatives", "space"):
        if args.bids is None and getattr(args, option) is not None:
            raise SystemExit(f"skfmm interpret: --{option} applies with --bids ROOT only.")
    groups = None
    if args.bids is not None:
        X, cohort = _bids_input(args, estimator, clf, verbose)
        if args.groups is not None:
            if args.groups not in cohort.metadata.columns:
                raise SystemExit(
                    f"skfmm interpret: --groups {args.groups!r} is not a participants.tsv "
                    f"column (choose from {list(cohort.metadata.columns)}).")
            groups = cohort.metadata[args.groups].to_numpy()
    elif args.data is not None:
        X, arrays = _load_npz(args.data, "--data")
        if args.groups is not None:
            if args.groups not in arrays:
                raise SystemExit(f"skfmm interpret: --groups {args.groups!r} is not an array "
                                 f"of '{args.data}' (it holds {sorted(arrays)}).")
            groups = arrays[args.groups]
    else:
        from skfmm.datasets import make_pain_cohort

        if isinstance(estimator, Pipeline) and getattr(
                estimator.steps[0][1], "input_kind_", "arrays") == "nifti":
            raise SystemExit(
                "skfmm interpret: --cohort simulates parcel time series, but the pipeline "
                "reads NIfTI runs through an atlas; use --bids ROOT with its images.")
        notes = _match_cohort(cohort_kwargs, *_model_shape(estimator, clf))
        if verbose:
            print(f"Simulating the cohort make_pain_cohort({args.cohort})"
                  + (f" with {', '.join(notes)} from the model" if notes else ""), flush=True)
        cohort = make_pain_cohort(**cohort_kwargs)
        X = (list(cohort.timeseries) if isinstance(estimator, Pipeline)
             else _container_for(clf, cohort))
        if args.groups is not None:
            if args.groups not in cohort.metadata.columns:
                raise SystemExit(f"skfmm interpret: --groups {args.groups!r} is not a metadata "
                                 f"column (choose from {list(cohort.metadata.columns)}).")
            groups = cohort.metadata[args.groups].to_numpy()
    if verbose >= 2:
        print(f"  {len(X)} subjects" + ("" if groups is None else
                                         f" in {len(set(np.asarray(groups).tolist()))} groups"),
              flush=True)
    background = None
    if args.background == "same":
        background = X
    elif args.background is not None:
        background, _ = _load_npz(args.background, "--background")
    target = None
    if args.target is not None:
        matches = [c for c in np.asarray(clf.classes_).tolist() if str(c) == args.target]
        if not matches:
            raise SystemExit(f"skfmm interpret: --target {args.target!r} is not a class of the "
                             f"model {np.asarray(clf.classes_).tolist()}.")
        target = matches[0]
    paths = interpretation_report(
        estimator, X, groups=groups, out_dir=args.out, target=target, baseline=args.baseline,
        background=background, n_steps=args.n_steps, top_edges=args.top_edges,
        top_regions=args.top_regions, n_boot=args.n_boot, prefix=args.prefix, verbose=verbose,
    )
    for key, path in paths.items():
        print(f"{key:>26}: {path}")
    return 0
