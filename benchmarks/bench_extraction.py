"""Extraction throughput and peak memory of TimeSeriesExtractor on realistic 4-D NIfTI runs.

Runs of 91x109x91 voxels (MNI 2 mm) x N volumes, a 424-label atlas; each measurement runs in
a fresh subprocess so its peak resident memory (ru_maxrss) is its own. Peak memory is
measured at two cohort sizes: it must not grow with the cohort (one subject at a time).

    python benchmarks/bench_extraction.py [--volumes 220] [--sizes 2 6] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

SHAPE = (91, 109, 91)


def make_inputs(workdir, n_volumes, n_labels=424, seed=0):
    import nibabel as nib
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    affine = np.array([[-2.0, 0, 0, 90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1]])
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in SHAPE], indexing="ij"), -1)
    centre = (np.array(SHAPE) - 1) / 2
    inside = (((grid - centre) / (centre * 0.85)) ** 2).sum(-1) <= 1
    seeds = grid[inside][rng.choice(inside.sum(), n_labels, replace=False)]
    labels = np.zeros(SHAPE, dtype=np.int16)
    labels[inside] = cKDTree(seeds).query(grid[inside])[1] + 1
    atlas = os.path.join(workdir, "atlas.nii.gz")
    nib.save(nib.Nifti1Image(labels, affine), atlas)
    # One run, int16 with a scale factor as scanners and many pipelines store BOLD.
    parcel_signals = 1000 + 20 * rng.standard_normal((n_volumes, n_labels))
    data = np.zeros(SHAPE + (n_volumes,), dtype=np.int16)
    data[inside] = np.round(parcel_signals[:, labels[inside] - 1].T * 10).astype(np.int16)
    img = nib.Nifti1Image(data, affine)
    img.header.set_data_dtype(np.int16)
    img.header.set_slope_inter(0.1, 0)
    img.header.set_zooms((2.0, 2.0, 2.0, 2.5))
    run = os.path.join(workdir, "sub-01_task-rest_bold.nii")
    nib.save(img, run)
    return atlas, run


CHILD = r"""
import json, resource, sys, time
from skfmm import TimeSeriesExtractor
atlas, run, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
X = TimeSeriesExtractor(atlas=atlas, window=200, verbose=0).fit_transform([run] * n)
dt = time.perf_counter() - t0
print(json.dumps({"n": n, "seconds": dt, "peak_rss_mb":
                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "shape": list(X["ts"].shape)}))
"""


def measure(atlas, run, n):
    out = subprocess.run([sys.executable, "-c", CHILD, atlas, run, str(n)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volumes", type=int, default=220)
    parser.add_argument("--sizes", type=int, nargs=2, default=[2, 6])
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="skfmm-bench-")
    os.makedirs(workdir, exist_ok=True)
    t0 = time.perf_counter()
    atlas, run = make_inputs(workdir, args.volumes)
    size_mb = os.path.getsize(run) / 2**20
    print(f"Inputs: {SHAPE} x {args.volumes} volumes, int16, {size_mb:.0f} MB per run "
          f"(made in {time.perf_counter() - t0:.1f} s); atlas 424 labels")
    rows = [measure(atlas, run, n) for n in args.sizes]
    for r in rows:
        print(f"  {r['n']} subjects: {r['seconds']:.1f} s, {r['n'] / r['seconds']:.2f} "
              f"subjects/s, peak RSS {r['peak_rss_mb']:.0f} MB, output {r['shape']}")
    small, large = rows
    print(f"Peak memory ratio {large['n']} vs {small['n']} subjects: "
          f"{large['peak_rss_mb'] / small['peak_rss_mb']:.2f} (1.00 = independent of cohort size)")


if __name__ == "__main__":
    main()
