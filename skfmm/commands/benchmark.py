"""``skfmm benchmark``: the command line of the main job (its arguments, checked and passed on).

The run itself, nested CV of FMM_TC against its baselines, is :mod:`skfmm.benchmark.run`.
"""

from __future__ import annotations

import shlex

from skfmm.benchmark.scenarios import SCENARIOS
from skfmm.commands._common import add_verbosity, usage_error, verbosity

HELP = ("The main job: nested CV of FMM_TC against baselines (simulated cohort in four scenarios "
        "or a BIDS cohort); tables, figures, honesty report.")


def add_arguments(parser):
    g = parser.add_argument_group("what to run")
    g.add_argument("--scenario", action="append", choices=list(SCENARIOS), default=None,
                   help="simulated scenario (repeatable; default: all four: none fc ts both)")
    g.add_argument("--models", nargs="+", default=None, metavar="NAME",
                   help="models to run (default: the main job's, skfmm.benchmark.zoo."
                        "BASELINE_NAMES; the extended zoo's EXTENDED_NAMES, e.g. "
                        "fmm_tc_parcel, only when named)")
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
                   help="frozen encoder: 'demo' (default), a BrainLM weights folder or a "
                        "Hugging Face id (vandijklab/brainlm/old_13M, needs skfmm[hub])")
    g.add_argument("--fc-encoder", choices=["resnet18", "brainnetcnn", "mlp"], default=None,
                   help="connectivity encoder of the deep models (default: by size)")
    g.add_argument("--n-repeats", type=int, default=None, help="outer repeats (default: by size)")
    g.add_argument("--n-splits", type=int, default=None, help="outer folds (default: by size)")
    g.add_argument("--interpret", action="store_true",
                   help="also fit fmm_tc on every subject of each scenario and write its "
                        "integrated-gradients interpretation (modality shares per study, "
                        "top regions) to OUT/interpretation/ and the report")
    g.add_argument("--no-authors-protocol", action="store_true",
                   help="skip the authors' protocol run on the `none` scenario (no effect)")
    g.add_argument("--device", default="cpu", help="device of the deep models: cpu, cuda, auto")
    g.add_argument("--threads", type=int, default=1,
                   help="torch and BLAS threads of this process during the run (default 1: "
                        "the fits are small and extra threads only contend; use --n-jobs or "
                        "--dask to use more cores)")
    add_verbosity(g, default_help="a progress bar on a terminal, a line per model in a log, "
                                  "and the summary",
                  verbose_help="a line per scenario and model on a terminal too")
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
        usage_error(args, "--atlas, --label, --coords and --derivatives need --bids ROOT.")
    if args.bids is not None and args.label is None:
        usage_error(args, "--bids needs --label COL (and --atlas PATH unless the tree was "
                          "written by skfmm.datasets.to_bids).")
    if args.bids is not None and args.scenario:
        usage_error(args, "--scenario applies to the simulated cohort, not --bids.")
    size = "quick" if args.quick else "full" if args.full else "default"
    _check_arguments(args, size)
    from skfmm.benchmark.run import run_benchmark

    from skfmm.parallel import stop_workers_on_exit

    invocation = getattr(args, "invocation", None)
    command = shlex.join(invocation) if invocation else _command_line(args)
    with stop_workers_on_exit():
        _run(run_benchmark, args, size, command)
    return 0


def _run(run_benchmark, args, size, command):
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
        dask_workers=args.dask_workers, threads=args.threads, verbose=verbosity(args),
        command=command,
    )


def _check_arguments(args, size):
    """Refuse bad arguments before anything is built, naming the option (SystemExit)."""
    import os

    from skfmm.benchmark.scenarios import DESIGNS

    def refuse(message):
        raise SystemExit(f"skfmm benchmark: {message}")

    if args.n_jobs is not None and args.n_jobs == 0:
        refuse("--n-jobs must be a positive number of parallel folds (or -1 for one per "
               "CPU); got 0.")
    for option, value, low in (("--threads", args.threads, 1),
                               ("--dask-workers", args.dask_workers, 1),
                               ("--n-repeats", args.n_repeats, 1),
                               ("--n-splits", args.n_splits, 2)):
        if value is not None and value < low:
            refuse(f"{option} must be an integer >= {low}; got {value}.")
    if args.bids is None:
        design = dict(DESIGNS[size])
        n_splits = args.n_splits or design["n_splits"]
        # Each class needs a subject in every outer test fold, and every outer training
        # part enough of each class for the inner folds.
        needed = 2 * (n_splits + design["inner_splits"])
        if args.n_subjects < needed:
            refuse(f"--n-subjects must be at least {needed} for {n_splits} outer and "
                   f"{design['inner_splits']} inner folds (2 x (outer + inner), so that each "
                   f"class reaches every fold); got {args.n_subjects}.")
    else:
        for option, value in (("--bids", args.bids), ("--atlas", args.atlas),
                              ("--coords", args.coords)):
            if value is not None and not os.path.exists(value):
                refuse(f"{option}: no such file or folder: {value!r}.")
        if not os.path.isdir(args.bids):
            refuse(f"--bids must be a BIDS dataset folder; {args.bids!r} is a file.")
        if not os.path.isfile(os.path.join(args.bids, "participants.tsv")):
            refuse(f"--bids: {args.bids!r} has no participants.tsv (a BIDS dataset needs one "
                   "for the labels).")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        refuse(f"--out must be a folder; {args.out!r} is a file.")
    parent = os.path.dirname(os.path.abspath(args.out))
    existing = args.out if os.path.isdir(args.out) else parent
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        refuse(f"--out {args.out!r} cannot be written ({existing!r} is not a writable folder).")
    _check_device(args.device, refuse)


def _check_device(device, refuse):
    import torch

    name = str(device)
    if name not in ("cpu", "auto") and not name.startswith(("cuda", "mps")):
        refuse(f"--device must be cpu, cuda, cuda:N or auto; got {name!r}.")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            refuse(f"--device {name}: this torch ({torch.__version__}) has no usable CUDA "
                   "device; use --device cpu or auto.")
        index = name.partition(":")[2]
        if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
            refuse(f"--device {name}: no such CUDA device ({torch.cuda.device_count()} "
                   "visible).")
    if name == "mps" and not torch.backends.mps.is_available():
        refuse("--device mps: MPS is not available here; use --device cpu or auto.")


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
