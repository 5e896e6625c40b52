"""CUDA check of FMMTCClassifier: fit/predict with mixed precision, timings, CUDA-to-CPU pickle.

Run on a machine with a GPU: ``python benchmarks/gpu_check.py``; exits with a message otherwise.
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

from skfmm import FMMTCClassifier
from skfmm.foundation import BrainLM, BrainLMConfig, embedder

_CPU_LOAD = """
import pickle, sys, numpy as np, warnings
warnings.simplefilter("ignore")
with open(sys.argv[1], "rb") as f:
    clf, X = pickle.load(f)
proba = clf.predict_proba(X)
print(str(clf.device), next(clf.module_.parameters()).device.type)
np.save(sys.argv[2], proba)
"""


def make_data(n, n_regions, window, seed=0):
    from skfmm.extraction.container import MultimodalData

    rng = np.random.default_rng(seed)
    ts = rng.standard_normal((n, window, n_regions)).astype(np.float32)
    ts = (ts - ts.mean(1, keepdims=True)) / ts.std(1, keepdims=True)
    xyz = np.ascontiguousarray(
        np.broadcast_to(rng.uniform(-70, 70, (n_regions, 3)), (n, n_regions, 3)), np.float32)
    fc = np.stack([np.corrcoef(t.T) for t in ts]).astype(np.float32)
    y = np.array(["non-responder", "responder"] * (n // 2))
    return MultimodalData(ts=ts, xyz=xyz, fc=fc), y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-subjects", type=int, default=32)
    parser.add_argument("--n-regions", type=int, default=424)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        sys.exit("gpu_check: CUDA is not available on this machine (torch.cuda.is_available() "
                 "is False); run it on a machine with an NVIDIA GPU and a CUDA build of torch.")
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
          f"bf16 supported: {torch.cuda.is_bf16_supported()}")
    X, y = make_data(args.n_subjects, args.n_regions, args.window)
    brainlm = BrainLM(BrainLMConfig(), with_decoder=False, random_state=0).eval()

    embedder.clear_cache()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    embedder.embed(brainlm, X["ts"], X["xyz"], device="cuda")
    torch.cuda.synchronize()
    print(f"BrainLM (GitHub size) embeddings, {len(y)} subjects, once: "
          f"{time.perf_counter() - t0:.2f} s")

    results = {}
    for mp in (False, True, "fp16"):
        clf = FMMTCClassifier(foundation_model=brainlm, device="cuda", mixed_precision=mp,
                              max_epochs=args.epochs, train_split=None, random_state=0,
                              verbose=0)
        t0 = time.perf_counter()
        clf.fit(X, y)
        torch.cuda.synchronize()
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        proba = clf.predict_proba(X)
        torch.cuda.synchronize()
        pred_s = time.perf_counter() - t0
        epoch_s = float(np.mean(clf.history[:, "dur"][1:] or clf.history[:, "dur"]))
        ok = np.isfinite(proba).all() and np.allclose(proba.sum(1), 1, atol=1e-4)
        print(f"mixed_precision={mp!s:5s}: fit {fit_s:6.2f} s ({args.epochs} epochs, "
              f"{epoch_s:.3f} s/epoch after the first), predict {pred_s:.3f} s, "
              f"train loss {clf.history[-1, 'train_loss']:.4f}, finite probabilities: {ok}")
        assert ok, "non-finite or unnormalised probabilities on CUDA"
        results[mp] = (clf, proba)

    again = FMMTCClassifier(foundation_model=brainlm, device="cuda", mixed_precision=False,
                            max_epochs=args.epochs, train_split=None, random_state=0,
                            verbose=0).fit(X, y).predict_proba(X)
    diff = float(np.abs(again - results[False][1]).max())
    print(f"same random_state twice on CUDA (fp32): max |proba difference| = {diff:.2e} "
          f"(cuDNN kernels may be non-deterministic)")

    # A CUDA-fitted model, unpickled in a process that sees no GPU.
    clf, proba = results[False]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "clf.pkl")
        with open(path, "wb") as f:
            pickle.dump((clf, X), f)
        out = os.path.join(tmp, "proba.npy")
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
        run = subprocess.run([sys.executable, "-c", _CPU_LOAD, path, out], env=env,
                             capture_output=True, text=True, check=False)
        if run.returncode:
            print(run.stderr)
            sys.exit("gpu_check: the CUDA-fitted model failed to load on the CPU")
        cpu = np.load(out)
    err = float(np.abs(cpu - proba).max())
    print(f"CUDA-fitted model loaded in a CPU-only process: device/params on "
          f"{run.stdout.strip()}; max |proba CPU - proba CUDA| = {err:.2e}")
    assert err < 1e-3, "CPU predictions of the CUDA-fitted model differ"
    print("gpu_check: OK")


if __name__ == "__main__":
    main()
