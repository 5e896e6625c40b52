"""CUDA check of FMMTCClassifier in one run: fit/predict (fp32, bf16, fp16), determinism,
CPU loading of CUDA-fitted pickles, the paper-size fit against the authors' loop, and the
batched folds (``fit_stacked``) against lone fits.

Run on a machine with a GPU (a few minutes on an H200)::

    python benchmarks/gpu_check.py --n-subjects 56 --epochs 5

It exits with a message where CUDA is not available. Each section prints its figures; a
failed check raises at the end with the list of failures.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

_HERE = os.path.dirname(os.path.abspath(__file__))
# this checkout's skfmm and benchmarks, whatever another install on sys.path holds
sys.path[:0] = [os.path.dirname(_HERE), _HERE]

from bench_batched import compare, report  # noqa: E402
from bench_fmmtc import github_brainlm, make_data, time_device  # noqa: E402

from skfmm import BrainLMEmbedder, FMMTCClassifier  # noqa: E402
from skfmm.foundation import embedder  # noqa: E402

# Loads each pickle in a process that sees no GPU (CUDA_VISIBLE_DEVICES=""), writes the
# predictions (classifier, pipeline) or embeddings (embedder).
_CPU_LOAD = """
import pickle, sys, numpy as np, torch, warnings
warnings.simplefilter("ignore")
assert not torch.cuda.is_available()
with open(sys.argv[1], "rb") as f:
    objects, X = pickle.load(f)
out = {}
for name, obj in objects.items():
    out[name] = obj.transform(X) if name == "embedder" else obj.predict_proba(X)
np.savez(sys.argv[2], **out)
"""

FAILURES = []


def check(ok, message):
    print(("  ok   " if ok else "  FAIL ") + message)
    if not ok:
        FAILURES.append(message)


DEVICE = "cuda"


def sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def timed(fn):
    sync()
    t0 = time.perf_counter()
    out = fn()
    sync()
    return out, time.perf_counter() - t0


def classifier(brainlm, args, **kw):
    params = dict(foundation_model=brainlm, device=DEVICE, max_epochs=args.epochs,
                  train_split=None, random_state=0, verbose=0)
    params.update(kw)
    return FMMTCClassifier(**params)


def batched_check(X, y, brainlm, args):
    """Section 7: fit_stacked against lone fits, speed and equality."""
    print(f"\n7. batched folds: {args.folds} folds stacked (fit_stacked, vmap) against "
          f"{args.folds} lone fits, fp32, {args.epochs} epochs")
    y_int = np.where(y == "responder", 1, 0)
    X_fc = X.__class__(fc=X["fc"])
    # one step on the whole training set, ResNet-18: rounding only (grouped convolutions)
    one = compare(X_fc, y_int, "resnet18", 1, args.folds, batch_size=64, device=DEVICE,
                  rounding=False, optimizer=torch.optim.SGD, lr=0.01)
    print("  one SGD step, ResNet-18:")
    report(one)
    check(one["bn"] < 1e-3 and one["proba"] < 1e-3,
          "ResNet-18, one step: stacked BN statistics and outputs equal the lone fits (1e-3)")
    for encoder in ("mlp", "resnet18"):
        out = compare(X_fc, y_int, encoder, args.epochs, args.folds,
                      batch_size=args.batch_size, device=DEVICE)
        report(out)
        if encoder == "mlp":
            check(out["proba"] < 1e-4, "MLP: stacked folds' predictions equal the lone fits' "
                  "(1e-4)")
        else:
            # Lone CUDA fits are not repeatable to better than ~1e-3 without
            # deterministic=True; the reference is the rounding divergence itself.
            check(out["proba"] <= 5 * out["ref_proba"] + 1e-4,
                  "ResNet-18: stacked-vs-lone divergence within 5x the rounding divergence "
                  "of two lone fits")
    out = compare(X_fc, y_int, "mlp", args.epochs, args.folds, batch_size=args.batch_size,
                  device=DEVICE, rounding=False, train_split="validation")
    print("  per-fold validation split and early stopping (train_split='validation'):")
    report(out)
    check(out["proba"] < 1e-4, "MLP with per-fold validation: stacked predictions equal the "
          "lone fits' (1e-4)")
    out = compare(X, y_int, "resnet18", args.epochs, args.folds, batch_size=args.batch_size,
                  device=DEVICE, rounding=False, foundation_model=brainlm)
    print("  with the frozen BrainLM embedding (the paper's model):")
    report(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-subjects", type=int, default=56)
    parser.add_argument("--n-regions", type=int, default=424)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the checks")
    parser.add_argument("--speed-epochs", type=int, default=3,
                        help="epochs timed per side for the 100-epoch extrapolation")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--folds", type=int, default=5, help="folds of the batched check")
    parser.add_argument("--only-batched", action="store_true",
                        help="run only section 7 (batched folds)")
    parser.add_argument("--skip-compile", action="store_true",
                        help="skip the torch.compile(mode='reduce-overhead') fit")
    parser.add_argument("--device", default="cuda",
                        help="'cpu' runs the same code paths without a GPU (a smoke test of "
                             "this script at toy sizes; its figures mean nothing)")
    args = parser.parse_args(argv)
    global DEVICE
    DEVICE = args.device
    if DEVICE == "cuda" and not torch.cuda.is_available():
        sys.exit("gpu_check: CUDA is not available on this machine (torch.cuda.is_available() "
                 "is False); run it on a machine with an NVIDIA GPU and a CUDA build of torch.")
    if DEVICE == "cuda":
        print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
              f"bf16 supported: {torch.cuda.is_bf16_supported()}")
    X, y = make_data(args.n_subjects, args.n_regions, args.window)
    y = np.where(y == 1, "responder", "non-responder")
    brainlm = github_brainlm()
    if args.only_batched:
        batched_check(X, y, brainlm, args)
        if FAILURES:
            sys.exit("gpu_check: FAILED: " + "; ".join(FAILURES))
        print("\ngpu_check: OK")
        return

    print("\n1. frozen encoder (GitHub-size BrainLM), once per subject")
    embedder.clear_cache()
    emb, seconds = timed(lambda: embedder.embed(brainlm, X["ts"], X["xyz"], device=DEVICE))
    cpu_emb = embedder.embed(brainlm, X["ts"][:4], X["xyz"][:4], device="cpu", memory=None)
    print(f"  {len(y)} subjects: {seconds:.2f} s")
    check(np.allclose(emb[:4], cpu_emb, atol=1e-3), "CUDA embeddings equal the CPU's (1e-3)")

    print("\n2. fit / predict, by precision")
    fitted = {}
    for mp in (False, True, "fp16"):
        clf = classifier(brainlm, args, mixed_precision=mp)
        _, fit_s = timed(lambda: clf.fit(X, y))
        proba, pred_s = timed(lambda: clf.predict_proba(X))
        epoch_s = float(np.mean(clf.history[1:, "dur"] or clf.history[:, "dur"]))
        print(f"  mixed_precision={mp!s:5s}: fit {fit_s:6.2f} s ({args.epochs} epochs, "
              f"{epoch_s:.4f} s/epoch after the first), predict {pred_s:.3f} s, "
              f"train loss {clf.history[-1, 'train_loss']:.4f}")
        check(np.isfinite(proba).all() and np.allclose(proba.sum(1), 1, atol=1e-4),
              f"finite, normalised probabilities (mixed_precision={mp})")
        fitted[mp] = (clf, proba, fit_s)
    if DEVICE == "cuda":
        check(fitted[False][0].optimizer_.defaults.get("fused") is True, "fused AdamW on CUDA")

    print("\n3. determinism: same random_state twice (fp32)")
    again = classifier(brainlm, args, mixed_precision=False).fit(X, y).predict_proba(X)
    diff = float(np.abs(again - fitted[False][1]).max())
    print(f"  deterministic=False: max |proba difference| = {diff:.2e}")
    runs = []
    for _ in range(2):
        clf = classifier(brainlm, args, mixed_precision=False, deterministic=True)
        _, fit_s = timed(lambda: clf.fit(X, y))
        runs.append((clf.predict_proba(X), fit_s))
    diff = float(np.abs(runs[0][0] - runs[1][0]).max())
    print(f"  deterministic=True: max |proba difference| = {diff:.2e}; fit {runs[1][1]:.2f} s "
          f"against {fitted[False][2]:.2f} s without (the cost of deterministic kernels)")
    check(diff == 0.0, "deterministic=True: two fits give identical predictions")
    check(not torch.are_deterministic_algorithms_enabled(), "global state restored after fit")

    print("\n4. CUDA-fitted objects loaded in a CPU-only process (CUDA_VISIBLE_DEVICES='')")
    from sklearn.pipeline import Pipeline

    from skfmm import ConnectivityExtractor

    clf = fitted[True][0]  # the default mixed precision
    # The reference is the GPU's plain fp32 forward: no autocast, and no TF32 in cuDNN's
    # convolutions (on by default: a 10-bit mantissa in the ResNet-18 branch).
    tf32 = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    pipe = Pipeline([("fc", ConnectivityExtractor(kind="correlation")),
                     ("clf", classifier(brainlm, args, mixed_precision=False))])
    X_pipe = X.__class__(ts=X["ts"], xyz=X["xyz"])
    pipe.fit(X_pipe, y)
    emb_cuda = BrainLMEmbedder(brainlm, device=DEVICE, verbose=0).fit(X)
    objects = {"classifier": clf, "pipeline": pipe, "embedder": emb_cuda}
    expected = {"classifier": clf.set_params(mixed_precision=False).predict_proba(X),
                "pipeline": pipe.predict_proba(X_pipe), "embedder": emb_cuda.transform(X)}
    clf.set_params(mixed_precision=True)
    torch.backends.cudnn.allow_tf32 = tf32
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "objects.pkl")
        with open(path, "wb") as f:
            pickle.dump(({k: v for k, v in objects.items() if k != "pipeline"}, X), f)
        pipe_path = os.path.join(tmp, "pipeline.pkl")
        with open(pipe_path, "wb") as f:
            pickle.dump(({"pipeline": pipe}, X_pipe), f)
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
        loaded = {}
        for source in (path, pipe_path):
            out = source + ".npz"
            run = subprocess.run([sys.executable, "-c", _CPU_LOAD, source, out], env=env,
                                 capture_output=True, text=True, check=False)
            check(run.returncode == 0, f"{os.path.basename(source)} loads without CUDA"
                  + (f": {run.stderr.strip().splitlines()[-1]}" if run.returncode else ""))
            if run.returncode == 0:
                loaded.update(dict(np.load(out)))
    # fp32 on both sides: only the summation order of the kernels differs (float32
    # rounding, ~1e-6 relative per layer, through ~20 layers).
    for name, tol in (("classifier", 1e-4), ("pipeline", 1e-4), ("embedder", 1e-4)):
        if name in loaded:
            err = float(np.abs(loaded[name] - expected[name]).max())
            print(f"  {name}: max |CPU - CUDA (fp32 forward)| = {err:.2e}")
            check(err < tol, f"{name}: CPU outputs equal the CUDA fp32 outputs within {tol}")

    if not args.skip_compile:
        print("\n5. torch.compile(mode='reduce-overhead') (CUDA graphs), through skorch's compile")
        try:
            comp = classifier(brainlm, args, mixed_precision=False, compile=True,
                              compile__mode="reduce-overhead")
            _, fit_s = timed(lambda: comp.fit(X, y))
            epoch_s = float(np.mean(comp.history[2:, "dur"] or comp.history[:, "dur"]))
            diff = float(np.abs(comp.predict_proba(X) - fitted[False][1]).max())
            print(f"  fit {fit_s:.2f} s ({args.epochs} epochs, compilation included), "
                  f"{epoch_s:.4f} s/epoch after compiling; max |proba - eager| = {diff:.2e}")
        except Exception as exc:  # reported, not fatal: an optional path
            print(f"  compile failed: {type(exc).__name__}: {exc}")

    print(f"\n6. the paper's fit ({args.n_subjects} x {args.n_regions} x {args.window}, "
          f"100 epochs extrapolated from {args.speed_epochs}), CUDA, fp32 and bf16")
    for mp in (False, True):
        speed_args = argparse.Namespace(epochs=args.speed_epochs, batch_size=args.batch_size,
                                        mixed_precision=mp)
        ours, theirs = time_device(X, np.where(y == "responder", 1, 0), brainlm, DEVICE,
                                   speed_args)
        print(f"  mixed_precision={mp}: skfmm {ours:.2f} s, authors {theirs:.2f} s, "
              f"{theirs / ours:.1f}x")

    batched_check(X, y, brainlm, args)
    if FAILURES:
        sys.exit("gpu_check: FAILED: " + "; ".join(FAILURES))
    print("\ngpu_check: OK")


if __name__ == "__main__":
    main()
