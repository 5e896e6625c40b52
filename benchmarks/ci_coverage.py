"""Coverage of the 95 % intervals of skfmm.evaluation on null cohorts; width and power on a
planted effect.

For each seed, a simulated pain cohort (``make_pain_cohort``, the main job's size: 56 patients,
the main job's outer design: stratified 5-fold x 2 repeats, inner 3-fold grid) is drawn with no
effect (``none``) and with a connectivity effect (``fc``, ``fc_effect`` as given). Every model is
evaluated by ``nested_cross_validate`` exactly as ``skfmm benchmark`` does, then summarised by
each interval method of ``summarize``. Printed per (scenario, model, method): the fraction of
intervals containing 0 (coverage on ``none``; its binomial 95 % range), how many lie entirely
below / above 0, the mean width, and on ``fc`` the fraction excluding 0 (power). Paired
differences (``b - a`` of two models on the same splits) get the same treatment, plus the
rejection rate of the paired permutation p-value.

    python benchmarks/ci_coverage.py --seeds 100 --n-regions 100 --models chance corr_logreg corr_svm

Seeds start at 1000 (not the main job's seed 0), so no cohort of the main job is used.
``--csv`` writes every interval, so a rerun can be summarised again without refitting.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats
from threadpoolctl import threadpool_limits

from skfmm.benchmark.scenarios import simulated_cohorts
from skfmm.benchmark.zoo import make_baselines
from skfmm.evaluation import (
    METRICS,
    nested_cross_validate,
    paired_difference,
    permutation_test,
    summarize,
)

METHODS = ("corrected_t", "subjects", "folds")


def gaussian_problem(seed, args):
    """``none`` and ``fc`` ("effect") data sets of Gaussian features, and two linear models."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat([0, 1], args.n_subjects // 2))
    X = rng.normal(size=(len(y), args.n_features))
    effect = X.copy()
    effect[:, :2] += args.shift * y[:, None]
    grid = [0.01, 0.1, 1.0]
    zoo = {
        "logreg": (make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear")),
                   {"logisticregression__C": grid}),
        "svm": (make_pipeline(StandardScaler(), LinearSVC(max_iter=20000)),
                {"linearsvc__C": grid}),
    }
    zoo = {k: v for k, v in zoo.items() if k in args.models}
    return {"none": (X, y, None), "fc": (effect, y, None)}, zoo


def one_seed(seed, args):
    """Every interval of every model and pair on the two cohorts of one seed."""
    with threadpool_limits(1):
        import torch

        torch.set_num_threads(1)
        rows = []
        if args.problem == "gaussian":
            cohorts, zoo = gaussian_problem(seed, args)
        else:
            cohorts = simulated_cohorts(["none", "fc"], n_subjects=args.n_subjects,
                                        n_regions=args.n_regions,
                                        n_timepoints=args.n_timepoints, window=args.window,
                                        seed=seed)
            # The fc scenario plants the main job's effect (fc_effect 0.5).
            zoo = make_baselines(foundation_model=args.foundation_model, models=args.models,
                                 random_state=seed, size=args.size)
        for scenario, (X, y, _) in cohorts.items():
            results = {}
            for name, (estimator, grid) in zoo.items():
                start = time.perf_counter()
                res = nested_cross_validate(estimator, X, y, param_grid=grid, outer_cv=5,
                                            inner_cv=3, n_repeats=2, random_state=seed,
                                            name=name, verbose=0)
                fit_s = time.perf_counter() - start
                results[name] = res
                for method in METHODS:
                    row = summarize(res, metrics=["mcc"], method=method,
                                    n_boot=args.n_boot, random_state=seed).iloc[0]
                    rows.append(dict(seed=seed, scenario=scenario, target=name, method=method,
                                     estimate=row["mean"], ci_low=row["ci_low"],
                                     ci_high=row["ci_high"], p=row["p_value"],
                                     one_class=row["one_class"], fit_s=fit_s))
                if args.label_permutations and name == args.models[-1]:
                    # Label permutation of the whole nested procedure (the permutation-
                    # calibrated p-value): costly, so for one model only.
                    perm = permutation_test(estimator, X, y, param_grid=grid, outer_cv=5,
                                            inner_cv=3, n_repeats=2,
                                            n_permutations=args.label_permutations,
                                            random_state=seed, verbose=0)
                    rows.append(dict(seed=seed, scenario=scenario, target=name,
                                     method="label_permutation", estimate=perm.statistic,
                                     ci_low=np.nan, ci_high=np.nan, p=perm.p_value,
                                     one_class=None, fit_s=0.0))
            for a, b in args.pairs:
                if a in results and b in results:
                    for method in ("corrected_t", "subjects"):
                        d = paired_difference(results[a], results[b], method=method,
                                              n_boot=args.n_boot,
                                              n_permutations=args.n_permutations,
                                              random_state=seed)
                        rows.append(dict(seed=seed, scenario=scenario, target=f"{b} - {a}",
                                         method=method, estimate=d["difference"],
                                         ci_low=d["ci_low"], ci_high=d["ci_high"],
                                         p=d["p_permutation"], one_class=None, fit_s=0.0))
    return rows


def report(table):
    """Coverage / power per scenario, target and method."""
    lines = []
    for (scenario, target, method), g in table.groupby(["scenario", "target", "method"],
                                                       sort=False):
        n = len(g)
        if method == "label_permutation":
            rejected = int((g["p"] <= 0.05).sum())
            lo, hi = stats.binomtest(rejected, n).proportion_ci(0.95)
            lines.append(f"{scenario:5s} {target:28s} {method:12s} n={n:3d}  p <= 0.05: "
                         f"{rejected / n:5.1%} [{lo:.2f}, {hi:.2f}]")
            continue
        covers = ((g["ci_low"] <= 0) & (0 <= g["ci_high"])).sum()
        below, above = (g["ci_high"] < 0).sum(), (g["ci_low"] > 0).sum()
        lo, hi = stats.binomtest(int(covers), n).proportion_ci(0.95)
        width = (g["ci_high"] - g["ci_low"]).mean()
        missing = int(g["ci_low"].isna().sum())  # counted as not containing 0
        line = (f"{scenario:5s} {target:28s} {method:12s} n={n:3d}  contains 0: "
                f"{covers / n:5.1%} [{lo:.2f}, {hi:.2f}] (below {below}, above {above}"
                f"{f', no interval {missing}' if missing else ''})  "
                f"width {width:.2f}  mean estimate {g['estimate'].mean():+.3f}")
        if " - " in target and method == "corrected_t":
            line += f"  permutation p<0.05: {(g['p'] < 0.05).mean():5.1%}"
        lines.append(line)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--models", nargs="+", default=["chance", "corr_logreg", "corr_svm"])
    parser.add_argument("--pairs", nargs="+", default=["corr_logreg:corr_svm", "chance:corr_logreg"],
                        help="a:b pairs for paired differences b - a")
    parser.add_argument("--problem", choices=["cohort", "gaussian"], default="cohort",
                        help="cohort: make_pain_cohort and the zoo's models; gaussian: "
                        "independent Gaussian features and two linear models (logreg, svm)")
    parser.add_argument("--n-features", type=int, default=10, help="gaussian only")
    parser.add_argument("--shift", type=float, default=0.8,
                        help="gaussian only: class shift of two features in the effect set")
    parser.add_argument("--label-permutations", type=int, default=0,
                        help="label permutations of the whole nested CV for the last model "
                        "(0: none)")
    parser.add_argument("--n-subjects", type=int, default=56)
    parser.add_argument("--n-regions", type=int, default=100)
    parser.add_argument("--n-timepoints", type=int, default=220)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--size", default="default")
    parser.add_argument("--foundation-model", default="demo")
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--n-permutations", type=int, default=999)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--csv", default=None, help="write (or, if it exists, read) every "
                        "interval here")
    args = parser.parse_args()
    args.pairs = [tuple(p.split(":")) for p in args.pairs]
    start = time.perf_counter()
    if args.csv and os.path.exists(args.csv):
        table = pd.read_csv(args.csv, keep_default_na=False, na_values=[""])
    else:
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        chunks = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")(
            delayed(one_seed)(s, args) for s in seeds)
        rows = []
        for k, chunk in enumerate(chunks, 1):
            rows += chunk
            print(f"  {k}/{args.seeds} seeds done, {time.perf_counter() - start:.0f} s",
                  flush=True)
            if args.csv:  # written as it goes: an interrupted run can still be summarised
                pd.DataFrame(rows).to_csv(args.csv + ".partial", index=False)
        table = pd.DataFrame(rows)
        if args.csv:
            table.to_csv(args.csv, index=False)
    size = (f"{args.n_features} Gaussian features" if args.problem == "gaussian"
            else f"{args.n_regions} regions")
    print(f"{args.seeds} seeds x scenarios none, fc; {args.n_subjects} subjects, {size}; "
          f"outer 5-fold x 2, inner 3-fold; {METRICS[0]}; "
          f"{time.perf_counter() - start:.0f} s")
    print(report(table))
    one_class = table[(table["method"] == "corrected_t") & table["one_class"].astype(str).eq("True")]
    if len(one_class):
        print("one-class models (every fold predicted one class):",
              one_class.groupby(["scenario", "target"]).size().to_dict())


if __name__ == "__main__":
    main()
