"""K folds trained at once (:func:`skfmm.classifier.batched.fit_stacked`) against K lone fits.

Both are timed in this run on the same data and device; the ratio is printed, and each
stacked model is compared with its lone fit (largest parameter, BatchNorm-statistic and
probability difference). For ResNet-18 the same differences between two lone fits that
differ only in rounding (``fold_channels=True`` / ``False``) are printed next to them: the
scale at which training amplifies rounding. CPU (2 threads)::

    python benchmarks/bench_batched.py --encoders mlp brainnetcnn resnet18

The GPU figures come from ``benchmarks/gpu_check.py`` (section 7), which calls
:func:`compare` here.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

# this checkout's skfmm, whatever another install on sys.path holds
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from skfmm import FMMTCClassifier  # noqa: E402
from skfmm.classifier.batched import fit_stacked  # noqa: E402
from skfmm.container import MultimodalData  # noqa: E402


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _diffs(a, b, X):
    sa, sb = a.module_.state_dict(), b.module_.state_dict()
    params = [k for k in sa if "running" not in k and "num_batches" not in k]
    stats = [k for k in sa if "running" in k]
    diff = lambda keys: max([(sa[k].double() - sb[k].double()).abs().max().item()  # noqa: E731
                             for k in keys] or [0.0])
    proba = float(np.abs(a.predict_proba(X) - b.predict_proba(X)).max())
    return diff(params), diff(stats), proba


def compare(X, y, encoder, epochs, n_folds=5, batch_size=8, device="cpu", rounding=None,
            foundation_model=None, repeats=1, **kw):
    """Time ``n_folds`` lone fits and one ``fit_stacked``; return a dict of figures.

    ``rounding`` (default: for ResNet-18) also fits each fold's lone model with
    ``fold_channels=False`` (the same model up to rounding) as the divergence reference.
    """
    modalities = ("ts", "fc") if foundation_model is not None else ("fc",)
    params = dict(foundation_model=foundation_model, modalities=modalities,
                  fc_encoder=encoder, max_epochs=epochs, batch_size=batch_size,
                  train_split=None, random_state=0, verbose=0, device=device,
                  mixed_precision=False)
    if encoder != "resnet18":
        params["module__fc_dropout"] = 0.0
    params.update(kw)
    clf = FMMTCClassifier(**params)
    splits = list(StratifiedKFold(n_folds, shuffle=True, random_state=0).split(X["fc"], y))
    rows = [train for train, _ in splits]
    # warm-up (kernels, allocator, embedding cache) on one epoch, not timed
    fit_stacked(clf.set_params(max_epochs=1), X, y, rows[:2])
    clone(clf).fit(X[rows[0]], y[rows[0]])
    clf.set_params(max_epochs=epochs)
    stacked_s = lone_s = np.inf
    for _ in range(repeats):  # interleaved; the fastest of each (a shared machine's noise)
        _sync(device)
        t0 = time.perf_counter()
        stacked = fit_stacked(clf, X, y, rows)
        _sync(device)
        stacked_s = min(stacked_s, time.perf_counter() - t0)
        t0 = time.perf_counter()
        lone = [clone(clf).fit(X[r], y[r]) for r in rows]
        _sync(device)
        lone_s = min(lone_s, time.perf_counter() - t0)
    d = np.array([_diffs(s, a, X) for s, a in zip(stacked, lone)])
    out = dict(encoder=encoder, folds=n_folds, epochs=epochs, stacked_s=stacked_s,
               lone_s=lone_s, ratio=lone_s / stacked_s, param=d[:, 0].max(),
               bn=d[:, 1].max(), proba=d[:, 2].max())
    if rounding if rounding is not None else encoder == "resnet18":
        ref = [clone(clf).set_params(module__fold_channels=False).fit(X[r], y[r])
               for r in rows]
        r = np.array([_diffs(a, b, X) for a, b in zip(ref, lone)])
        out.update(ref_param=r[:, 0].max(), ref_bn=r[:, 1].max(), ref_proba=r[:, 2].max())
    return out


def report(out):
    line = (f"  {out['encoder']:11s} {out['folds']} folds x {out['epochs']} epochs: stacked "
            f"{out['stacked_s']:.2f} s, lone {out['lone_s']:.2f} s, lone/stacked "
            f"{out['ratio']:.2f}x; max |stacked - lone|: params {out['param']:.1e}, "
            f"BN stats {out['bn']:.1e}, proba {out['proba']:.1e}")
    if "ref_param" in out:
        line += (f"\n  {'':11s} rounding reference (lone fold_channels=False - lone): params "
                 f"{out['ref_param']:.1e}, BN stats {out['ref_bn']:.1e}, proba "
                 f"{out['ref_proba']:.1e}")
    print(line, flush=True)


def make_fc(n_subjects, n_regions, seed=0):
    rng = np.random.default_rng(seed)
    ts = rng.standard_normal((n_subjects, 60, n_regions))
    fc = np.stack([np.corrcoef(t.T) for t in ts]).astype(np.float32)
    y = np.array([0, 1] * (n_subjects // 2) + [0] * (n_subjects % 2))
    return MultimodalData(fc=fc), y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-subjects", type=int, default=56)
    parser.add_argument("--n-regions", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--encoders", nargs="+", default=["mlp", "brainnetcnn", "resnet18"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3,
                        help="timings per side, interleaved; the fastest is kept")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    X, y = make_fc(args.n_subjects, args.n_regions)
    print(f"{args.n_subjects} subjects x {args.n_regions} regions, batch 8, device "
          f"{args.device}, torch {torch.__version__}, {args.threads} threads")
    for encoder in args.encoders:
        report(compare(X, y, encoder, args.epochs, args.folds, device=args.device,
                       repeats=args.repeats))


if __name__ == "__main__":
    main()
