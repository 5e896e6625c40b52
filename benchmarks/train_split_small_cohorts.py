"""Seed variance of the deep models on small cohorts: early stopping on a validation split
(``train_split="validation"``, what ``"auto"`` did before) against a fixed number of epochs (``train_split=None``).

For each cohort size (the main job's 56 subjects and smaller), cohort seed, model and model
seed, one outer 5-fold cross-validation (``nested_cross_validate``, no grid) on the built-in
simulated cohort (``skfmm.benchmark.scenarios.simulated_cohorts``, scenario ``fc`` and
``none``); the pooled out-of-fold MCC is recorded. The table gives, per size and setting, the
mean MCC and its standard deviation over model seeds (the "seed lottery"), averaged over
cohort seeds. Run:

    python benchmarks/train_split_small_cohorts.py --out /tmp/train_split.csv
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.metrics import matthews_corrcoef

from skfmm.benchmark.scenarios import simulated_cohorts
from skfmm.benchmark.zoo import make_baselines
from skfmm.evaluation import nested_cross_validate
from skfmm.utils.threads import limited_threads

#: Setting name -> ``train_split``: the 20 % stratified validation split with early stopping
#: (what ``"auto"`` always did before), or ``max_epochs`` without validation.
SETTINGS = {"valid_split": "validation", "fixed_epochs": None}


def run(sizes, cohort_seeds, model_seeds, models, scenarios, out):
    rows = []
    for n in sizes:
        for cseed in cohort_seeds:
            cohorts = simulated_cohorts(scenarios, n_subjects=n, seed=cseed)
            for scenario, (X, y, _) in cohorts.items():
                for mseed in model_seeds:
                    zoo = make_baselines("demo", models=models, random_state=mseed)
                    for name, (pipe, _) in zoo.items():
                        for setting in SETTINGS:
                            est = pipe.set_params(model__train_split=SETTINGS[setting])
                            start = time.perf_counter()
                            res = nested_cross_validate(est, X, y, outer_cv=5, n_repeats=1,
                                                        random_state=0, verbose=0)
                            p = res.predictions
                            mcc = matthews_corrcoef(p["y_true"], p["y_pred"])
                            rows.append(dict(n_subjects=n, cohort_seed=cseed,
                                             scenario=scenario, model=name, seed=mseed,
                                             setting=setting, mcc=mcc,
                                             seconds=time.perf_counter() - start))
                            print(rows[-1], flush=True)
                            pd.DataFrame(rows).to_csv(out, index=False)
    return pd.DataFrame(rows)


def table(df):
    per = (df.groupby(["scenario", "n_subjects", "model", "setting", "cohort_seed"])["mcc"]
           .agg(["mean", "std"]).reset_index())
    return (per.groupby(["scenario", "n_subjects", "model", "setting"])[["mean", "std"]]
            .mean().round(3).rename(columns={"mean": "mcc_mean",
                                             "std": "sd_over_model_seeds"}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[24, 40, 56])
    parser.add_argument("--cohort-seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--model-seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--models", nargs="+", default=["fc_only", "fmm_tc"])
    parser.add_argument("--scenarios", nargs="+", default=["fc", "none"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="train_split_small_cohorts.csv")
    args = parser.parse_args()
    with limited_threads(args.threads):
        df = run(args.sizes, args.cohort_seeds, args.model_seeds, args.models, args.scenarios,
                 args.out)
    print(table(df).to_string())


if __name__ == "__main__":
    main()
