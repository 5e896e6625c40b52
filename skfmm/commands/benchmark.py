"""``skfmm benchmark``: the command line of the main job (its arguments, checked and passed on).

The run itself, nested CV of FMM_TC against its baselines, is :mod:`skfmm.benchmark.run`.
"""

from __future__ import annotations

import shlex

from skfmm.benchmark.scenarios import SCENARIOS

HELP = ("The main job: nested CV of FMM_TC against baselines (simulated cohort in four scenarios "
        "or a BIDS cohort); tables, figures, honesty report.")


def add_arguments(parser):
    g = parser.add_argument_group("what to run")
    g.add_argument("--scenario", action="append", choices=list(SCENARIOS), default=None,
                   help="simulated scenario (repeatable; default: all four: null fc ts both)")
    g.add_argument("--models", nargs="+", default=None, metavar="NAME",
                   help="subset of models (default: all of skfmm.benchmark.zoo.BASELINE_NAMES)")
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
    from skfmm.benchmark.run import run_benchmark

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
