"""``skfmm pretrain``: pretrain a BrainLM on your own parcel time series, or build the demo model.

Input: a ``.npy`` (n, T, R) array or an ``.npz`` of (T_i, R) arrays, plus a coordinates file.
"""

from __future__ import annotations

from skfmm.commands._common import (add_verbosity, check_output_folder, input_error, usage_error,
                                   verbosity)

HELP = "Pretrain a BrainLM (masked autoencoder) on parcel time series, or build the demo model."


def add_arguments(parser):
    parser.add_argument("--demo", action="store_true",
                        help="check the demo model shipped with skfmm and print where it is; "
                             "with --rebuild, pretrain it again from its recipe into --output")
    parser.add_argument("--rebuild", action="store_true",
                        help="with --demo: rebuild the demo (a few CPU minutes) into --output "
                             "and compare it with the shipped weights")
    parser.add_argument("--timeseries", metavar="FILE",
                        help=".npy (n, T, R) or .npz of (T_i, R) arrays (required unless --demo)")
    parser.add_argument("--coords", metavar="FILE",
                        help="coordinates file, index x y z rows as BrainLM's "
                             "A424_Coordinates.dat (required unless --demo)")
    parser.add_argument("--output", metavar="DIR",
                        help="folder to write config.json + the weights (required unless "
                             "--demo without --rebuild)")
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="BrainLM config.json to start from (default: the released "
                             "GitHub model's shape)")
    parser.add_argument("--epochs", type=int, default=20,
                        help="passes over the time series (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=8,
                        help="windows per optimisation step (default %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3,
                        help="peak learning rate after warm-up (default %(default)s)")
    parser.add_argument("--window", type=int, default=None,
                        help="timepoints per training window, a multiple of the config's "
                             "patch size (default: the config's num_timepoints_per_voxel)")
    parser.add_argument("--region-block", type=int, default=None,
                        help="train each step on a random block of this many neighbouring "
                             "parcels (cheaper steps; see pretrain_brainlm; default: all "
                             "parcels)")
    parser.add_argument("--standardize", default="zscore", choices=["zscore", "brainlm", "none"],
                        help="per-crop scaling, as TimeSeriesExtractor(standardize=...) "
                             "(default %(default)s)")
    parser.add_argument("--device", default="auto",
                        help="cpu, cuda or auto (CUDA when available; default %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of initialisation, masking and windows (default %(default)s)")
    add_verbosity(parser, default_help="a progress bar over the steps, on a terminal",
                  verbose_help="also print each epoch's loss")

def run(args):
    import json
    import os
    from pathlib import Path

    import numpy as np

    from skfmm.foundation import BrainLMConfig, load_foundation_model, pretrain_brainlm

    if args.rebuild and not args.demo:
        usage_error(args, "--rebuild goes with --demo.")
    if args.demo:
        return _demo(args)
    missing = [f"--{n}" for n in ("timeseries", "coords", "output") if getattr(args, n) is None]
    if missing:
        usage_error(args, f"{', '.join(missing)} required (or use --demo).")
    from skfmm.datasets.atlas import read_coords_file

    # The output is checked before any work: a file there would fail only after training.
    check_output_folder(args.output, "--output", "pretrain")
    for option in ("timeseries", "coords", "config"):
        value = getattr(args, option)
        if value is not None and not os.path.isfile(value):
            input_error("pretrain", f"--{option}: no file at '{value}'.")
    verbose = verbosity(args)
    path = Path(args.timeseries)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            series = [npz[k] for k in npz.files]
    elif path.suffix == ".npy":
        series = np.load(path, allow_pickle=False)
    else:
        input_error("pretrain", f"--timeseries must be a .npy or .npz file; got '{path}'.")
    config = BrainLMConfig.from_json_file(args.config) if args.config else None
    model = pretrain_brainlm(series, read_coords_file(args.coords), config,
                             n_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                             window=args.window, region_block=args.region_block,
                             standardize=args.standardize,
                             random_state=args.seed, device=args.device, verbose=verbose)
    model.save_pretrained(args.output)
    Path(args.output, "pretraining_history.json").write_text(
        json.dumps(model.pretraining_history_, indent=1) + "\n")
    last = model.pretraining_history_[-1]["loss"]
    print(f"saved to {args.output} (final masked-patch loss {last:.4f})")
    return 0


def _demo(args):
    import json
    from pathlib import Path

    from skfmm.foundation import load_foundation_model
    from skfmm.foundation.brainlm import SAFE_WEIGHTS_NAME
    from skfmm.foundation.registry import BUILD_RECORD, DEMO_DIR, build_demo_model

    if not args.rebuild:
        model = load_foundation_model("demo")  # checks the shipped files against their sha256
        shipped = json.loads((DEMO_DIR / BUILD_RECORD).read_text())
        print(f"demo BrainLM shipped with skfmm: {DEMO_DIR} (hidden {model.config.hidden_size}, "
              f"sha256 {shipped['sha256'][:16]}..., weights verified, config.json verified)")
        return 0
    if args.output is None:
        usage_error(args, "--demo --rebuild needs --output (a new folder).")
    check_output_folder(args.output, "--output", "pretrain")
    out = Path(args.output)
    build_demo_model(out, verbose=verbosity(args))
    record = json.loads((out / BUILD_RECORD).read_text())
    summary = (f"rebuilt demo in {out} ({record['seconds']:.0f} s, {record['threads']} torch "
               f"thread(s)); {SAFE_WEIGHTS_NAME} sha256 {record['sha256'][:16]}...")
    # Rebuilding is also the way out of a damaged installation: compare only when the shipped
    # record can be read.
    try:
        shipped = json.loads((DEMO_DIR / BUILD_RECORD).read_text())
        shipped_sha = shipped["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        print(f"{summary}; no readable shipped {BUILD_RECORD} in {DEMO_DIR} to compare with")
        return 0
    if record["sha256"] == shipped_sha:
        print(f"{summary}: identical to the shipped weights")
    else:
        print(f"{summary}: differs from the shipped {shipped_sha[:16]}... (shipped with "
              f"{shipped.get('threads')} thread(s), torch {shipped.get('torch')}; this build: "
              f"torch {record['torch']})")
    return 0
