"""Fit time of FMMTCClassifier against the authors' training loop, on the same data.

Both are timed in this run, on the CPU and (when available) on CUDA, for a few epochs and
extrapolated to the paper's 100 epochs; the ratio is printed per device. The paper's
setting: ``python benchmarks/bench_fmmtc.py --n-subjects 56 --epochs 2``.

``--profile-step cpu`` profiles one training step of the paper's ResNet-18 on 8 matrices of
424 x 424 instead (torch.profiler; the self CPU time summed by kind: convolution, batch norm /
ReLU / max-pool, the AdamW step, the rest) and times a step in fp32 and with its forward pass
under bf16 autocast (``mixed_precision="bf16"``), 3 steps each::

    python benchmarks/bench_fmmtc.py --profile-step cpu
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
from torch import nn

# this checkout's skfmm, whatever another install on sys.path holds
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from skfmm import FMMTCClassifier  # noqa: E402
from skfmm.container import MultimodalData  # noqa: E402
from skfmm.foundation import BrainLM, BrainLMConfig, embedder  # noqa: E402
from skfmm.nn.encoders import ResNetFCEncoder  # noqa: E402

PAPER_EPOCHS = 100


def make_data(n_subjects, n_regions, window, seed=0):
    rng = np.random.default_rng(seed)
    ts = rng.standard_normal((n_subjects, window, n_regions)).astype(np.float32)
    ts = (ts - ts.mean(1, keepdims=True)) / ts.std(1, keepdims=True)
    xyz = np.broadcast_to(rng.uniform(-70, 70, (n_regions, 3)), (n_subjects, n_regions, 3))
    fc = np.stack([np.corrcoef(t.T) for t in ts]).astype(np.float32)
    y = np.array([0, 1] * (n_subjects // 2) + [0] * (n_subjects % 2))
    return MultimodalData(ts=ts, xyz=np.ascontiguousarray(xyz, dtype=np.float32), fc=fc), y


def github_brainlm(seed=0):
    # The released GitHub checkpoint's shape: hidden 256, 4 layers, 4 heads, ffn 1024, patch 20.
    cfg = BrainLMConfig(hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                        intermediate_size=1024, timepoint_patching_size=20)
    return BrainLM(cfg, with_decoder=False, random_state=seed).eval()


class AuthorsModel(nn.Module):
    """The authors' FMM_TC: frozen BrainLM inside, ResNet-18 on 3 channels, linear head."""

    def __init__(self, brainlm, n_regions):
        super().__init__()
        self.brainlm = brainlm
        for p in brainlm.parameters():
            p.requires_grad_(False)
        self.resnet = ResNetFCEncoder(n_regions, out_features=256, fold_channels=False)
        self.head = nn.Linear(brainlm.config.hidden_size + 256, 2)
        self.encoder_seconds = 0.0

    def forward(self, signal, xyz, fc3):
        t0 = time.perf_counter()
        # mask ratio 0 with the original random token order, recomputed on every call
        cls = self.brainlm.encode(signal, xyz, token_order="random")[:, 0]
        self.encoder_seconds += time.perf_counter() - t0
        feats = self.resnet.forward_trunk(self.resnet.stem(fc3))
        return self.head(torch.cat([cls, self.resnet.fc(feats)], dim=1))


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def authors_loop(X, y, brainlm, epochs, batch_size=8, seed=42, device="cpu"):
    """Their loop: per-sample preparation, encoder every epoch, zero_grad once per epoch."""
    torch.manual_seed(seed)
    model = AuthorsModel(brainlm, X["ts"].shape[2]).to(device)
    model.brainlm.eval()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=PAPER_EPOCHS, eta_min=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = len(y)
    per_epoch = []
    for _ in range(epochs):
        _sync(device)
        start = time.perf_counter()
        model.train()
        model.brainlm.eval()
        opt.zero_grad()  # once per epoch, as in the reference code (gradients accumulate)
        order = np.random.default_rng(seed).permutation(n)
        for b in range(0, n, batch_size):
            idx = order[b:b + batch_size]
            signals, coords, mats = [], [], []
            for i in idx:  # per-sample preparation inside the loop
                window = X["ts"][i].T  # (R, T)
                signals.append(torch.tensor(window))
                coords.append(torch.tensor(X["xyz"][i]))
                gram = window @ window.T  # their uncentred X X^T
                mats.append(torch.tensor(np.repeat(gram[None], 3, axis=0)))
            logits = model(torch.stack(signals).to(device), torch.stack(coords).to(device),
                           torch.stack(mats).to(device))
            loss = loss_fn(logits, torch.as_tensor(y[idx]).to(device))
            loss.backward()
            opt.step()
        sched.step()
        _sync(device)
        per_epoch.append(time.perf_counter() - start)
    return per_epoch, model.encoder_seconds


def time_device(X, y, brainlm, device, args):
    """Both sides on one device: (skfmm fit seconds for 100 epochs, authors' seconds)."""
    # skfmm: encoder once (timed alone, cache cleared), then the trainable parts per epoch.
    embedder.clear_cache()
    _sync(device)
    t0 = time.perf_counter()
    embedder.embed(brainlm, X["ts"], X["xyz"], batch_size=args.batch_size, device=device)
    _sync(device)
    encode_once = time.perf_counter() - t0
    clf = FMMTCClassifier(foundation_model=brainlm, fc_encoder="resnet18",
                          batch_size=args.batch_size, max_epochs=args.epochs,
                          train_split=None, random_state=0, verbose=0, device=device,
                          mixed_precision=args.mixed_precision)
    _sync(device)
    t0 = time.perf_counter()
    clf.fit(X, y)  # embeddings found in the cache
    _sync(device)
    fit_cached = time.perf_counter() - t0
    durations = clf.history[:, "dur"]
    # the first epoch holds one-off costs (cuDNN autotuning, allocator warm-up) on a GPU
    ours_epoch = float(np.mean(durations[1:] if len(durations) > 1 else durations))
    ours_100 = encode_once + PAPER_EPOCHS * ours_epoch

    per_epoch, enc_seconds = authors_loop(X, y, brainlm, args.epochs, args.batch_size,
                                          device=device)
    theirs_epoch = float(np.mean(per_epoch[1:] if len(per_epoch) > 1 else per_epoch))
    theirs_enc_epoch = enc_seconds / args.epochs
    theirs_100 = PAPER_EPOCHS * theirs_epoch

    print(f"\n[{device}]{'':38s}{'seconds':>10s}")
    print(f"{'skfmm: frozen encoder, once per subject':44s}{encode_once:10.2f}")
    print(f"{'skfmm: trainable parts, per epoch':44s}{ours_epoch:10.3f}")
    print(f"{'skfmm: fit() with cached embeddings, ' + str(args.epochs) + ' ep':44s}"
          f"{fit_cached:10.2f}")
    print(f"{'authors: per epoch (total)':44s}{theirs_epoch:10.3f}")
    print(f"{'authors: of which frozen encoder':44s}{theirs_enc_epoch:10.3f}")
    print(f"extrapolated to {PAPER_EPOCHS} epochs on {device}:")
    print(f"  skfmm   {ours_100:8.1f} s  (= encoder once + {PAPER_EPOCHS} x trainable epoch)")
    print(f"  authors {theirs_100:8.1f} s  (= {PAPER_EPOCHS} x epoch)")
    print(f"  speed-up {theirs_100 / ours_100:.1f}x")
    return ours_100, theirs_100


#: What the profile of a step is summed into: the ops run by the optimizer step, then ops by
#: name (containing these words); the rest is "other": copies, fills, bookkeeping.
STEP_KINDS = {
    "convolution": ("conv",),
    "batch norm, ReLU, max-pool": ("batch_norm", "relu", "threshold", "max_pool"),
}


def profile_step(n_regions, batch_size, device="cpu", rows=12, step_repeats=3):
    """torch.profiler table of one training step of the FC branch (ResNet-18 + head), its
    self CPU time summed by kind, and on the CPU the time of a step in fp32 and in bf16."""
    from torch.profiler import ProfilerActivity, profile

    torch.manual_seed(0)
    x = torch.randn(batch_size, n_regions, n_regions, device=device)
    y = torch.arange(batch_size, device=device) % 2
    model = ResNetFCEncoder(n_regions).to(device)
    head = nn.Linear(256, 2).to(device)
    opt = torch.optim.AdamW([*model.parameters(), *head.parameters()], lr=5e-4, foreach=True)

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(head(model(x)), y).backward()
        opt.step()

    step()  # warm-up
    activities = [ProfilerActivity.CPU] + (
        [ProfilerActivity.CUDA] if torch.device(device).type == "cuda" else [])
    with profile(activities=activities) as prof:
        step()
        _sync(device)
    averages = prof.key_averages()
    print(averages.table(sort_by="self_cpu_time_total", row_limit=rows))
    shares = {}
    for event in prof.events():
        root = event
        while root.cpu_parent is not None:
            root = root.cpu_parent
        if root.name.startswith("Optimizer.step"):
            kind = "AdamW step"  # every op the optimizer step runs, whatever its name
        else:
            kind = next((k for k, words in STEP_KINDS.items()
                         if any(w in event.name.lower() for w in words)), "other")
        shares[kind] = shares.get(kind, 0.0) + event.self_cpu_time_total
    total = sum(shares.values())
    print(f"self CPU time of one step ({torch.get_num_threads()} threads), by kind: "
          + ", ".join(f"{k} {shares.get(k, 0.0) / total:.0%}"
                      for k in [*STEP_KINDS, "AdamW step", "other"]))
    if torch.device(device).type == "cpu" and step_repeats:
        if os.path.exists("/proc/cpuinfo"):  # bf16 is fast only with these instructions
            flags = set(open("/proc/cpuinfo").read().split())
            print("CPU bf16 instructions (avx512_bf16, amx_bf16): "
                  f"{sorted(flags & {'avx512_bf16', 'amx_bf16'}) or 'none'}")
        for name, dtype in (("fp32", None), ("forward pass under bf16 autocast (as "
                                             "mixed_precision='bf16' runs it)", torch.bfloat16)):
            seconds = []
            for _ in range(step_repeats):
                t0 = time.perf_counter()
                with torch.autocast("cpu", dtype=dtype or torch.float32,
                                    enabled=dtype is not None):
                    loss = nn.functional.cross_entropy(head(model(x)), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                seconds.append(time.perf_counter() - t0)
            print(f"one training step, {name}: {min(seconds):.2f}-{max(seconds):.2f} s "
                  f"over {step_repeats} steps")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-subjects", type=int, default=16)
    parser.add_argument("--n-regions", type=int, default=424)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed for each side")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--devices", nargs="+", default=None,
                        help="devices timed (default: cpu, and cuda when available)")
    parser.add_argument("--mixed-precision", default=False,
                        type=lambda v: {"true": True, "false": False}.get(v.lower(), v),
                        help="FMMTCClassifier's mixed_precision on CUDA: false (fp32, the "
                             "authors' precision; default), true, bf16 or fp16")
    parser.add_argument("--profile-step", metavar="DEVICE", default=None,
                        help="only profile one training step of the FC branch on DEVICE "
                             "(and on the CPU time fp32 and bf16 steps)")
    parser.add_argument("--step-repeats", type=int, default=3,
                        help="with --profile-step cpu: steps timed in fp32 and in bf16 "
                             "(0: none)")
    args = parser.parse_args(argv)
    if args.profile_step:
        profile_step(args.n_regions, args.batch_size, args.profile_step,
                     step_repeats=args.step_repeats)
        return

    X, y = make_data(args.n_subjects, args.n_regions, args.window)
    brainlm = github_brainlm()
    print(f"data: {args.n_subjects} subjects x {args.window} timepoints x {args.n_regions} "
          f"regions; BrainLM hidden 256 / 4 layers / 4 heads / ffn 1024 (random weights); "
          f"ResNet-18; batch {args.batch_size}; torch threads {torch.get_num_threads()}")

    devices = args.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    results = {device: time_device(X, y, brainlm, device, args) for device in devices}
    print("\nsummary (100 epochs, seconds):")
    for device, (ours, theirs) in results.items():
        print(f"  {device:5s} skfmm {ours:8.1f}   authors {theirs:8.1f}   "
              f"speed-up {theirs / ours:5.1f}x")
    print("\nnotes: the authors' loop also calls zero_grad once per epoch (a bug: gradients "
          "accumulate across batches), runs the encoder with random token order, and scores "
          "the test fold after every epoch (not timed here; it would add a further encoder "
          "pass per epoch). skfmm folds ResNet-18's 3 identical channels into one (exact).")


if __name__ == "__main__":
    main()
