"""The run behind docs/real_data.md: the pipeline on data shaped like real resting-state parcel
time series (94 regions, 1200 volumes at TR 0.72 s, raw intensities around 1e4), simulated.

``make_pain_cohort`` (56 patients, fc_effect 0.5 and ts_effect 0.5, seed 0) with 94 parcels
and 1200 volumes at 0.72 s, rescaled to scanner-like intensities (baseline 1e4 per parcel,
fluctuations of about 1 %). It prints what the extractor says about the data, then nested
cross-validation (outer stratified 5-fold x 2 repeats, inner 3-fold, the zoo's default size)
of ``corr_logreg`` and ``fmm_tc`` on two extractions:

- ``resampled``: resampled to the demo's pretraining TR (2.5 s: 346 volumes), one window of
  200 per subject;
- ``windows``: the native TR, every non-overlapping window of 200 volumes (6 per subject),
  split and scored by subject.

    python benchmarks/real_shaped_data.py [--n-subjects 56] [--models corr_logreg fmm_tc]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from skfmm import TimeSeriesExtractor
from skfmm.benchmark.zoo import make_baselines
from skfmm.datasets import make_pain_cohort
from skfmm.evaluation import nested_cross_validate, summarize
from skfmm.utils.threads import limited_threads


def real_shaped_cohort(n_subjects, seed=0):
    cohort = make_pain_cohort(n_subjects, n_regions=94, n_timepoints=1200, t_r=0.72,
                              fc_effect=0.5, ts_effect=0.5, random_state=seed)
    rng = np.random.default_rng(seed)
    runs = []
    for run in cohort.timeseries:
        z = (run - run.mean(0)) / run.std(0)
        runs.append(1e4 * rng.uniform(0.8, 1.2, run.shape[1]) * (1 + 0.01 * z))
    return runs, np.asarray(cohort.y), cohort.coords


def show_warnings(runs, coords):
    print("== What the extractor says")
    cases = {
        "(regions, time) arrays": dict(X=[r.T for r in runs[:3]], params={}),
        "raw intensities into the demo": dict(
            X=runs[:3], params=dict(coords=coords, t_r=0.72, standardize="none",
                                    foundation_model="demo")),
    }
    for name, case in cases.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            TimeSeriesExtractor(window=200, verbose=0, **case["params"]).fit_transform(case["X"])
        for w in caught:
            print(f"- {name}: {w.message}")
    try:
        TimeSeriesExtractor(window=190, coords=coords, foundation_model="demo").fit(runs[:3])
    except ValueError as exc:
        print(f"- window=190 with the demo: ValueError: {exc}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-subjects", type=int, default=56)
    parser.add_argument("--models", nargs="+", default=["corr_logreg", "fmm_tc"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    with limited_threads(args.threads):
        start = time.perf_counter()
        runs, y, coords = real_shaped_cohort(args.n_subjects)
        print(f"{len(runs)} subjects, runs of shape {runs[0].shape}, intensities "
              f"{np.mean([r.mean() for r in runs]):.0f} +- "
              f"{np.mean([r.std(0).mean() for r in runs]):.0f}")
        show_warnings(runs, coords)
        extractions = {
            "resampled": TimeSeriesExtractor(coords=coords, t_r=0.72, resample_t_r=2.5,
                                             window=200, foundation_model="demo", verbose=0),
            "windows": TimeSeriesExtractor(coords=coords, t_r=0.72, window=200,
                                           window_position="all", foundation_model="demo",
                                           verbose=0),
        }
        print("\n== Nested CV (summarize's default: MCC and AUROC as the mean over the outer "
              "folds, MCC with its 95 % interval; the method is printed)")
        for name, extractor in extractions.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the TR warning of 'windows' is shown above
                X = extractor.fit_transform(runs)
            y_rows = y[X["subject"]]
            print(f"-- {name}: {len(X)} windows of {X['ts'].shape[1]} volumes at "
                  f"{X['t_r'][0]} s from {len(np.unique(X['subject']))} subjects")
            zoo = make_baselines("demo", models=args.models, random_state=0)
            for model, (estimator, grid) in zoo.items():
                t0 = time.perf_counter()
                res = nested_cross_validate(estimator, X, y_rows, param_grid=grid, outer_cv=5,
                                            n_repeats=2, inner_cv=3, random_state=0,
                                            name=model, verbose=0)
                s = summarize(res, ["mcc", "auroc"], n_boot=2000).set_index("metric")
                print(f"   {model:12s} MCC {s.loc['mcc', 'mean']:+.2f} "
                      f"[{s.loc['mcc', 'ci_low']:+.2f}, {s.loc['mcc', 'ci_high']:+.2f}]  "
                      f"({s.loc['mcc', 'method']})  AUROC {s.loc['auroc', 'mean']:.2f}  "
                      f"({res.folds['n_test'].sum() // 2} subjects scored per repeat, "
                      f"{time.perf_counter() - t0:.0f} s)")
        print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
