"""Real-size check: a simulated cohort at the released BrainLM's size through skfmm on CPU.

424 parcels (A424), window 200, ``--n-subjects`` subjects (default 300): simulation,
extraction (``TimeSeriesExtractor(standardize="brainlm")`` + ``ConnectivityExtractor``),
frozen embedding with an on-disk cache (``BrainLMEmbedder(memory=DIR)``), then one
``FMMTCClassifier`` fit that reads the embeddings back from that cache. The encoder has the
GitHub checkpoint's architecture (``BrainLMConfig()``: hidden 256, 4 layers, 4 heads,
4241 tokens per window) with random weights: the cost does not depend on the weights, and
the released ones cannot ship here.

Each stage runs in its own subprocess, so its wall time and its peak resident memory
(``ru_maxrss``) are its own; the stages pass their outputs through files in ``--workdir``.
``import`` is a stage that only imports skfmm and torch (the floor of every stage's memory).

    OMP_NUM_THREADS=2 python benchmarks/real_size.py --threads 2 [--n-subjects 300]
        [--n-timepoints 220] [--max-epochs 1] [--fc-encoder resnet18] [--workdir DIR]
        [--json benchmarks/results/real_size.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

STAGES = ("import", "simulate", "extract", "embed", "embed_cached", "fit")


def _peak_mb():
    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _stage(name, args):
    """Run one stage in this process; return what it measured."""
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    work = args.workdir
    start = time.perf_counter()
    info = {}
    if name == "import":
        import skfmm  # noqa: F401
        import skfmm.classifier  # noqa: F401
    elif name == "simulate":
        from skfmm.datasets import make_pain_cohort

        cohort = make_pain_cohort(args.n_subjects, n_regions=424,
                                  n_timepoints=args.n_timepoints, random_state=0)
        np.save(os.path.join(work, "runs.npy"), np.stack(cohort.timeseries).astype(np.float32))
        np.save(os.path.join(work, "coords.npy"), cohort.coords)
        np.save(os.path.join(work, "y.npy"), cohort.y)
        info["runs_mb"] = round(os.path.getsize(os.path.join(work, "runs.npy")) / 2**20, 1)
    elif name == "extract":
        from sklearn.pipeline import make_pipeline

        from skfmm import ConnectivityExtractor, TimeSeriesExtractor

        runs = np.load(os.path.join(work, "runs.npy"), mmap_mode="r")
        coords = np.load(os.path.join(work, "coords.npy"))
        X = make_pipeline(
            TimeSeriesExtractor(coords=coords, window=200, standardize="brainlm", verbose=0),
            ConnectivityExtractor(kind="correlation"),
        ).fit_transform(list(runs))
        np.savez(os.path.join(work, "container.npz"), **{k: np.asarray(v) for k, v in X.items()})
        info["container_mb"] = round(sum(np.asarray(v).nbytes for v in X.values()) / 2**20, 1)
        info["shapes"] = {k: list(np.asarray(v).shape) for k, v in X.items()}
    elif name in ("embed", "embed_cached"):
        from skfmm.foundation import BrainLMEmbedder

        with np.load(os.path.join(work, "container.npz")) as f:
            ts, xyz = f["ts"], f["xyz"]
        from skfmm import MultimodalData

        emb = BrainLMEmbedder(os.path.join(work, "brainlm"), memory=os.path.join(work, "cache"),
                              verbose=0).fit_transform(MultimodalData(ts=ts, xyz=xyz))
        info["embedding_shape"] = list(np.asarray(emb).shape)
        info["per_subject_s"] = None  # filled below
    elif name == "fit":
        from skfmm import FMMTCClassifier, MultimodalData

        with np.load(os.path.join(work, "container.npz")) as f:
            X = MultimodalData(ts=f["ts"], xyz=f["xyz"], fc=f["fc"])
        y = np.load(os.path.join(work, "y.npy"))
        clf = FMMTCClassifier(foundation_model=os.path.join(work, "brainlm"),
                              fc_encoder=args.fc_encoder, max_epochs=args.max_epochs,
                              memory=os.path.join(work, "cache"), train_split=None,
                              random_state=0, verbose=0)
        clf.fit(X, y)
        info["epochs"] = len(clf.history_)
        info["epoch_s"] = [round(float(h["dur"]), 1) for h in clf.history_]
    seconds = time.perf_counter() - start
    if name in ("embed", "embed_cached"):
        info["per_subject_s"] = round(seconds / args.n_subjects, 3)
    return {"stage": name, "seconds": round(seconds, 1), "peak_rss_mb": round(_peak_mb()), **info}


def _prepare_model(work):
    from skfmm.foundation import BrainLM, BrainLMConfig

    # the GitHub checkpoint's architecture (BrainLMConfig's defaults), random weights
    model = BrainLM(BrainLMConfig(), with_decoder=False, random_state=0)
    model.save_pretrained(os.path.join(work, "brainlm"), safe_serialization=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-subjects", type=int, default=300)
    parser.add_argument("--n-timepoints", type=int, default=220)
    parser.add_argument("--max-epochs", type=int, default=1)
    parser.add_argument("--fc-encoder", default="resnet18")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage is not None:  # child process
        print(json.dumps(_stage(args.stage, args)))
        return 0
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="skfmm_real_size_")
    os.makedirs(args.workdir, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
           "MKL_NUM_THREADS": str(args.threads), "OPENBLAS_NUM_THREADS": str(args.threads)}
    _prepare_model(args.workdir)
    results = []
    for stage in STAGES:
        cmd = [sys.executable, os.path.abspath(__file__), "--stage", stage,
               "--n-subjects", str(args.n_subjects), "--n-timepoints", str(args.n_timepoints),
               "--max-epochs", str(args.max_epochs), "--fc-encoder", args.fc_encoder,
               "--threads", str(args.threads), "--workdir", args.workdir]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise SystemExit(f"stage {stage} failed (exit {done.returncode})")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(row)
        print(json.dumps(row), flush=True)
    record = {
        "command": "python benchmarks/real_size.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
            if k in ("n_subjects", "n_timepoints", "max_epochs", "fc_encoder", "threads")),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "stages": results,
    }
    print("\n| stage | wall time (s) | peak RSS (MB) |\n|---|---|---|")
    for row in results:
        print(f"| {row['stage']} | {row['seconds']} | {row['peak_rss_mb']} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(record, fh, indent=1)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
