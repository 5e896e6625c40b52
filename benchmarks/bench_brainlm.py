"""Benchmark of the BrainLM encoder (fast vs naive attention) and of the embedding cache.

Run: ``python benchmarks/bench_brainlm.py [--repeats 2] [--batches 1 8] [--device cpu]``.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from skfmm.foundation import BrainLM, BrainLMConfig

R, T = 424, 200  # A424 parcels, BrainLM window


def naive_encode(model, signal, xyz):
    """The original computation: explicit [B, h, L, L] softmax matrix, Conv2d on [B,h,L,dh]."""
    vit = model.vit
    x = vit.embeddings(signal, xyz)
    x = torch.cat([vit.embeddings.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
    for layer in vit.encoder.layer:
        sa = layer.attention.self
        B, L, d = x.shape
        h, dh = sa.heads, sa.head_dim

        def split(t):
            return t.view(B, L, h, dh).permute(0, 2, 1, 3)

        q = split(sa.query(x)) / math.sqrt(math.sqrt(dh))
        k = split(sa.key(x)) / math.sqrt(math.sqrt(dh))
        v = split(sa.value(x))
        attn = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        ctx = attn @ v + sa.conv(v)
        ctx = ctx.permute(0, 2, 1, 3).reshape(B, L, d)
        h1 = layer.attention.output(ctx, x)
        x = layer.output(layer.intermediate(h1), h1)
    return vit.layernorm(x)


def run_variant(variant, batch, repeats, device):
    """Time one variant in this process; returns windows/s and peak memory."""
    model = BrainLM(BrainLMConfig(), with_decoder=False, random_state=0).eval().to(device)
    g = torch.Generator().manual_seed(0)
    signal = torch.randn(batch, R, T, generator=g).to(device)
    xyz = (torch.randn(batch, R, 3, generator=g) * 40).to(device)
    fn = model.encode if variant == "fast" else (lambda s, c: naive_encode(model, s, c))
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    times = []
    with torch.inference_mode():
        out = fn(signal, xyz)  # warm-up
        for _ in range(repeats):
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = fn(signal, xyz)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
    peak = (torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else
            (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024)
    return {"variant": variant, "batch": batch, "seconds": min(times),
            "windows_per_s": batch / min(times), "peak_extra_mib": peak,
            "cls_checksum": float(out[:, 0].sum())}


def bench_cache(n, device):
    from skfmm.foundation.embedder import clear_cache, embed

    model = BrainLM(BrainLMConfig(), with_decoder=False, random_state=0).eval()
    rng = np.random.default_rng(0)
    ts = rng.standard_normal((n, T, R)).astype(np.float32)
    xyz = rng.normal(size=(R, 3)) * 40
    clear_cache()
    t0 = time.perf_counter()
    first = embed(model, ts, xyz, batch_size=4, device=device)
    t1 = time.perf_counter()
    second = embed(model, ts, xyz, batch_size=4, device=device)
    t2 = time.perf_counter()
    assert np.array_equal(first, second)
    return t1 - t0, t2 - t1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--cache-windows", type=int, default=4)
    parser.add_argument("--_variant", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_batch", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._variant:  # child process: one variant, fresh peak-memory counter
        print(json.dumps(run_variant(args._variant, args._batch, args.repeats, args.device)))
        return
    print(f"BrainLM encoder, GitHub config (hidden 256, 4 layers, 4 heads), random weights, "
          f"R={R}, T={T} ({1 + R * T // 20} tokens), device={args.device}, "
          f"torch threads={torch.get_num_threads()}")
    results = {}
    for batch in args.batches:
        for variant in ("fast", "naive"):
            cmd = [sys.executable, __file__, "--_variant", variant, "--_batch", str(batch),
                   "--repeats", str(args.repeats), "--device", args.device]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                            text=True).stdout.strip().splitlines()[-1])
            results[(variant, batch)] = res
            print(f"  {variant:5s} batch {batch}: {res['windows_per_s']:.3f} windows/s "
                  f"({res['seconds']:.2f} s/call), peak extra memory {res['peak_extra_mib']:.0f} MiB")
        f, n = results[("fast", batch)], results[("naive", batch)]
        print(f"  batch {batch}: fast/naive throughput x{f['windows_per_s'] / n['windows_per_s']:.2f}, "
              f"memory naive/fast x{n['peak_extra_mib'] / max(f['peak_extra_mib'], 1):.1f}, "
              f"same output: {abs(f['cls_checksum'] - n['cls_checksum']) < 1e-2}")
    first, second = bench_cache(args.cache_windows, args.device)
    print(f"Embedding cache ({args.cache_windows} windows): first transform {first:.2f} s, "
          f"second {second * 1e3:.2f} ms, ratio {100 * second / first:.3f} %")


if __name__ == "__main__":
    main()
