"""Coverage of the 95 % intervals of skfmm.evaluation on no-effect cohorts; width and power on a
planted effect; the p-values against chance.

For each seed, a simulated pain cohort (``make_pain_cohort``, the main job's size: 56 patients,
the main job's outer design: stratified 5-fold x 2 repeats, inner 3-fold grid) is drawn with no
effect (``none``) and with a connectivity effect (``fc``, ``fc_effect`` 0.5). Every model is
evaluated by ``nested_cross_validate`` exactly as ``skfmm benchmark`` does. The per-fold values
of every metric are stored (``--csv``), so every interval construction is computed from the same
fits and a new construction needs no refit; the subject bootstrap, which needs the
predictions, is computed at fit time.

Printed per (scenario, target, metric, method): the fraction of intervals containing the
chance level (coverage on ``none``; its binomial 95 % range), how many lie entirely below /
above it, how many leave the metric's range, the mean width, on ``fc`` the fraction excluding
the chance level (power) and the fraction containing the mean of the estimates over all seeds
(coverage of the expected CV estimate), and the rate of p < 0.05. Paired differences (``b - a``
of two models on the same splits) get the same treatment, plus the paired permutation p-value.

    python benchmarks/ci_coverage.py --seeds 80 --n-regions 40 --csv cov40.csv
    python benchmarks/ci_coverage.py --csv cov40.csv          # summarise again, no refit

Seeds start at 1000 (not the main job's seed 0), so no cohort of the main job is used.
"""

from __future__ import annotations

import argparse
import json
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
    CHANCE_LEVELS,
    METRIC_RANGES,
    nested_cross_validate,
    paired_difference,
    permutation_test,
    summarize,
)
from skfmm.evaluation.stats import corrected_t_interval

#: The metrics measured: those with a chance level.
METRICS = ("mcc", "auroc", "balanced_accuracy", "accuracy")
#: Interval constructions computed from the stored per-fold values. ``plain_t`` is the
#: symmetric corrected t interval before it was bounded (for comparison only).
FOLD_METHODS = ("corrected_t", "corrected_t_transformed", "plain_t", "folds")


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


def _fold_record(folds, metric):
    return json.dumps([None if not np.isfinite(v) else float(v) for v in folds[metric]])


def one_seed(seed, args):
    """Per-fold values (and the subject bootstrap) of every model and pair on one seed."""
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
                ratio = float(np.mean(res.folds["n_test"] / res.folds["n_train"]))
                boot = summarize(res, metrics=list(METRICS), method="subjects",
                                 n_boot=args.n_boot, random_state=seed).set_index("metric")
                for m in METRICS:
                    rows.append(dict(seed=seed, scenario=scenario, target=name, metric=m,
                                     folds=_fold_record(res.folds, m), ratio=ratio,
                                     majority=float(res.folds["train_majority_rate"].mean()),
                                     boot_low=boot.loc[m, "ci_low"],
                                     boot_high=boot.loc[m, "ci_high"],
                                     one_class=boot.loc[m, "one_class"], fit_s=fit_s))
                if args.label_permutations and name == args.models[-1]:
                    # Label permutation of the whole nested procedure (the permutation-
                    # calibrated p-value): costly, so for one model and MCC only.
                    perm = permutation_test(estimator, X, y, param_grid=grid, outer_cv=5,
                                            inner_cv=3, n_repeats=2,
                                            n_permutations=args.label_permutations,
                                            random_state=seed, verbose=0)
                    rows.append(dict(seed=seed, scenario=scenario, target=name,
                                     metric="mcc", label_permutation_p=perm.p_value))
            for a, b in args.pairs:
                if a in results and b in results:
                    for m in ("mcc", "auroc"):
                        fa, fb = results[a].folds[m], results[b].folds[m]
                        boot = paired_difference(results[a], results[b], metric=m,
                                                 method="subjects", n_boot=args.n_boot,
                                                 n_permutations=args.n_permutations,
                                                 random_state=seed)
                        rows.append(dict(seed=seed, scenario=scenario, target=f"{b} - {a}",
                                         metric=m, folds=json.dumps(
                                             [float(v) for v in fb - fa]),
                                         ratio=float(np.mean(results[b].folds["n_test"]
                                                             / results[b].folds["n_train"])),
                                         boot_low=boot["ci_low"], boot_high=boot["ci_high"],
                                         p_permutation=boot["p_permutation"]))
    return rows


def intervals(table):
    """One row per (stored record, method): estimate, interval, p-value against chance."""
    out = []
    for column in ("label_permutation_p", "p_permutation", "majority"):
        if column not in table:
            table = table.assign(**{column: np.nan})
    for r in table.itertuples():
        if np.isfinite(getattr(r, "label_permutation_p", np.nan)):
            out.append(dict(seed=r.seed, scenario=r.scenario, target=r.target, metric=r.metric,
                            method="label_permutation", p=r.label_permutation_p))
            continue
        values = np.array([np.nan if v is None else v for v in json.loads(r.folds)], float)
        values = values[np.isfinite(values)]
        paired = " - " in r.target
        low_m, high_m = METRIC_RANGES[r.metric]
        bounds = (low_m - high_m, high_m - low_m) if paired else (low_m, high_m)
        chance = 0.0 if paired else (r.majority if CHANCE_LEVELS[r.metric] == "majority"
                                     else CHANCE_LEVELS[r.metric])
        for method in FOLD_METHODS:
            if method == "folds":
                if paired:
                    continue
                s = summarize(pd.DataFrame({"model": "m", r.metric: values}),
                              metrics=[r.metric], method="folds", n_boot=1000,
                              random_state=int(r.seed)).iloc[0]
                est, low, high, p = s["mean"], s["ci_low"], s["ci_high"], np.nan
            else:
                est, low, high, p = corrected_t_interval(
                    values, r.ratio, bounds=None if method == "plain_t" else bounds,
                    null=chance, transform=method == "corrected_t_transformed")
            out.append(dict(seed=r.seed, scenario=r.scenario, target=r.target,
                            metric=r.metric, method=method, estimate=est, ci_low=low,
                            ci_high=high, p=p, chance=chance, bounds=bounds))
        out.append(dict(seed=r.seed, scenario=r.scenario, target=r.target, metric=r.metric,
                        method="subjects", estimate=float(values.mean()), ci_low=r.boot_low,
                        ci_high=r.boot_high, p=getattr(r, "p_permutation", np.nan),
                        chance=chance, bounds=bounds))
    return pd.DataFrame(out)


def report(iv):
    """Coverage / power per scenario, target, metric and method."""
    lines = []
    truth = (iv[iv["method"] == "corrected_t"].groupby(["scenario", "target", "metric"])
             ["estimate"].mean())
    for (scenario, target, metric, method), g in iv.groupby(
            ["scenario", "target", "metric", "method"], sort=False):
        n = len(g)
        if method == "label_permutation":
            rejected = int((g["p"] <= 0.05).sum())
            lo, hi = stats.binomtest(rejected, n).proportion_ci(0.95)
            lines.append(f"{scenario:4s} {target:24s} {metric:17s} {method:23s} n={n:3d}  "
                         f"p <= 0.05: {rejected / n:5.1%} [{lo:.2f}, {hi:.2f}]")
            continue
        chance = g["chance"].to_numpy(float)
        low, high = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        has = np.isfinite(low)
        covers = int(np.sum(has & (low <= chance) & (chance <= high)))
        below, above = int(np.sum(high < chance)), int(np.sum(low > chance))
        lo, hi = stats.binomtest(covers, n).proportion_ci(0.95)
        bounds = np.array(g["bounds"].tolist(), float)
        outside = int(np.sum(has & ((low < bounds[:, 0] - 1e-12) | (high > bounds[:, 1] + 1e-12))))
        width = float(np.nanmean(high - low))
        center = truth.get((scenario, target, metric), np.nan)
        covers_mean = float(np.mean(has & (low <= center) & (center <= high)))
        line = (f"{scenario:4s} {target:24s} {metric:17s} {method:23s} n={n:3d}  contains "
                f"chance: {covers / n:5.1%} [{lo:.2f}, {hi:.2f}] (below {below}, above "
                f"{above}{f', no interval {int((~has).sum())}' if (~has).any() else ''})  "
                f"outside range {outside}  width {width:.2f}  mean est {g['estimate'].mean():+.3f}"
                f"  contains mean est {covers_mean:5.1%}")
        if g["p"].notna().any():
            line += f"  p<0.05: {(g['p'] < 0.05).mean():5.1%}"
        lines.append(line)
    return "\n".join(lines)


def markdown(iv, methods=("corrected_t", "corrected_t_transformed", "subjects")):
    """The docs' table: per target, metric and method, the no-effect coverage of the chance
    level, the effect's power and its coverage of the mean estimate, widths, and how many
    plain (unbounded) t intervals left the range."""
    lines = ["| target | metric | interval | none: contains chance (below / above) | width | "
             "fc: excludes chance | fc: contains mean estimate | fc width | plain t outside "
             "range (none / fc) |", "|---|---|---|---|---|---|---|---|---|"]
    truth = (iv[iv["method"] == "corrected_t"].groupby(["scenario", "target", "metric"])
             ["estimate"].mean())

    def stats_of(g, scenario, target, metric):
        chance = g["chance"].to_numpy(float)
        low, high = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        has = np.isfinite(low)
        centre = truth.get((scenario, target, metric), np.nan)
        return dict(n=len(g), covers=int(np.sum(has & (low <= chance) & (chance <= high))),
                    below=int(np.sum(high < chance)), above=int(np.sum(low > chance)),
                    width=float(np.nanmean(high - low)),
                    mean_cov=float(np.mean(has & (low <= centre) & (centre <= high))))

    def outside(g):
        bounds = np.array(g["bounds"].tolist(), float)
        low, high = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        return int(np.sum((low < bounds[:, 0] - 1e-12) | (high > bounds[:, 1] + 1e-12)))

    for (target, metric), g in iv.groupby(["target", "metric"], sort=False):
        if "label_permutation" in set(g["method"]):
            continue
        plain = {sc: outside(g[(g["method"] == "plain_t") & (g["scenario"] == sc)])
                 for sc in ("none", "fc")}
        for method in methods:
            none = g[(g["method"] == method) & (g["scenario"] == "none")]
            fc = g[(g["method"] == method) & (g["scenario"] == "fc")]
            if none.empty:
                continue
            a, b = stats_of(none, "none", target, metric), stats_of(fc, "fc", target, metric)
            lines.append(
                f"| `{target}` | {metric} | {method} | {a['covers'] / a['n']:.1%} "
                f"({a['below']} / {a['above']}) | {a['width']:.2f} | "
                f"{(b['below'] + b['above']) / b['n']:.1%} | {b['mean_cov']:.1%} | "
                f"{b['width']:.2f} | {plain['none']} / {plain['fc']} |")
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
                        "fold value here")
    parser.add_argument("--metrics", nargs="+", default=list(METRICS),
                        help="metrics to report (all are stored)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the compact table of docs/evaluation.md instead")
    args = parser.parse_args()
    args.pairs = [tuple(p.split(":")) for p in args.pairs]
    start = time.perf_counter()
    if args.csv and os.path.exists(args.csv):
        table = pd.read_csv(args.csv)
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
    table = table[table["metric"].isin(args.metrics)]
    n_seeds = table["seed"].nunique()
    print(f"{n_seeds} seeds x scenarios none, fc; {args.n_subjects} subjects; "
          f"outer 5-fold x 2, inner 3-fold; {time.perf_counter() - start:.0f} s")
    iv = intervals(table)
    print(markdown(iv) if args.markdown else report(iv))
    if "one_class" in table:
        one_class = table[table["one_class"].astype(str).eq("True") & table["metric"].eq("mcc")]
        if len(one_class):
            print("one-class models (every fold predicted one class):",
                  one_class.groupby(["scenario", "target"]).size().to_dict())


if __name__ == "__main__":
    main()
