"""Which features find the simulated cohort's planted effects: the figures of docs/cohort.md.

For each (``fc_effect``, ``ts_effect``) of the page's table and each cohort seed (0-4), the
default cohort (``make_pain_cohort``: 56 patients as ds000208, 100 parcels, 220 volumes) is
drawn and two feature sets are computed per subject, the features of
tests/datasets/test_simulate.py:

- the correlation connectome: Fisher z of the Pearson correlations of the raw series
  (``ConnectivityExtractor(kind="correlation", fisher_z=True, output="vector")`` with the
  empirical covariance, i.e. ``np.corrcoef``), 4950 edges;
- each parcel's lag-1 autocorrelation, 100 values.

Each feature set is classified by a logistic regression (standardised features, ``C`` in
{0.003, 0.03, 0.3} chosen by an inner stratified 3-fold CV on AUROC) under nested
cross-validation (``nested_cross_validate``: outer stratified 5-fold x 2 repeats, seed 0), as
``nested_cv_auroc`` of the tests does. Printed: the mean outer-fold AUROC per seed, and per
row its mean and standard deviation over the seeds (the spread of one cohort's estimate).

Then the statistics of the page's "How the signals are made" and "The two effects" (seed 0,
the default cohort): mean within- and between-module correlation; the mean Fisher z among
the ``fc_effect`` parcels in non-responders and responders for ``fc_effect`` 0.5 and 1; the
mean lag-1 autocorrelation of the ``ts_effect`` parcels in non-responders and responders for
``ts_effect`` 1. Non-responders do not depend on the knobs (paired cohorts).

    nice python benchmarks/cohort_effects.py                  # seeds 0-4, a few minutes
    nice python benchmarks/cohort_effects.py --seeds 0 1      # fewer seeds
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.covariance import EmpiricalCovariance
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfmm import ConnectivityExtractor
from skfmm.datasets import make_pain_cohort
from skfmm.evaluation import nested_cross_validate
from skfmm.utils.threads import limited_threads

#: The rows of docs/cohort.md's table: (fc_effect, ts_effect).
ROWS = ((1.0, 0.0), (0.0, 1.0), (0.5, 0.5), (0.0, 0.0))


def correlation_features(timeseries):
    """Fisher-z correlation connectome, one row of edges per subject."""
    extractor = ConnectivityExtractor(kind="correlation", cov_estimator=EmpiricalCovariance(),
                                      fisher_z=True, output="vector")
    return extractor.fit_transform(list(timeseries)).astype(np.float64)


def lag1_autocorrelation(timeseries):
    """Each parcel's lag-1 autocorrelation (mean removed), one row per subject."""
    x = np.stack(timeseries)
    x = x - x.mean(axis=1, keepdims=True)
    return (x[:, 1:] * x[:, :-1]).sum(axis=1) / (x * x).sum(axis=1)


def nested_auroc(features, y):
    """Mean outer-fold AUROC of a logistic regression with C chosen by inner CV."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    res = nested_cross_validate(
        model, features, y, param_grid={"logisticregression__C": [0.003, 0.03, 0.3]},
        outer_cv=RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0),
        inner_cv=StratifiedKFold(3), scoring="auroc", verbose=0)
    return float(res.folds["auroc"].mean())


def auroc_table(seeds):
    print("== AUROC (nested CV, mean over the 10 outer folds) per cohort seed")
    print(f"{'fc_effect':>9s} {'ts_effect':>9s}  {'features':24s} "
          + " ".join(f"seed {s:<3d}" for s in seeds) + "   mean    SD")
    for fc_effect, ts_effect in ROWS:
        values = {"correlation connectome": [], "lag-1 autocorrelation": []}
        for seed in seeds:
            cohort = make_pain_cohort(fc_effect=fc_effect, ts_effect=ts_effect,
                                      random_state=seed)
            values["correlation connectome"].append(
                nested_auroc(correlation_features(cohort.timeseries), cohort.y))
            values["lag-1 autocorrelation"].append(
                nested_auroc(lag1_autocorrelation(cohort.timeseries), cohort.y))
        for name, v in values.items():
            sd = np.std(v, ddof=1) if len(v) > 1 else float("nan")
            print(f"{fc_effect:9.1f} {ts_effect:9.1f}  {name:24s} "
                  + " ".join(f"{a:8.3f}" for a in v) + f"  {np.mean(v):5.2f}  {sd:4.2f}")


def upper(matrix, rows):
    sub = matrix[np.ix_(rows, rows)]
    return sub[np.triu_indices(len(rows), k=1)]


def cohort_statistics():
    print("\n== Cohort statistics (seed 0, 56 patients, 100 parcels, 220 volumes)")
    null = make_pain_cohort(fc_effect=0.0, ts_effect=0.0, random_state=0)
    r = np.mean([np.corrcoef(ts.T) for ts in null.timeseries], axis=0)
    same = null.modules[:, None] == null.modules[None]
    off = ~np.eye(len(r), dtype=bool)
    print(f"mean correlation (no effect): within modules {r[same & off].mean():.3f}, "
          f"between modules {r[~same].mean():.3f}")

    for fc_effect in (0.5, 1.0):
        c = make_pain_cohort(fc_effect=fc_effect, ts_effect=0.0, random_state=0)
        z = np.array([upper(np.arctanh(np.clip(np.corrcoef(ts.T), -0.999999, 0.999999)),
                            c.fc_effect_regions).mean() for ts in c.timeseries])
        print(f"fc_effect={fc_effect}: mean Fisher z among the {len(c.fc_effect_regions)} "
              f"fc_effect parcels: non-responders {z[c.y == 0].mean():.3f}, responders "
              f"{z[c.y == 1].mean():.3f}")

    c = make_pain_cohort(fc_effect=0.0, ts_effect=1.0, random_state=0)
    acf = lag1_autocorrelation(c.timeseries)[:, c.ts_effect_regions].mean(axis=1)
    print(f"ts_effect=1: mean lag-1 autocorrelation (TR {c.t_r} s) of the "
          f"{len(c.ts_effect_regions)} ts_effect parcels: non-responders "
          f"{acf[c.y == 0].mean():.3f}, responders {acf[c.y == 1].mean():.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--threads", type=int, default=1,
                        help="torch and BLAS threads (small problems: 1 is fastest)")
    parser.add_argument("--no-auroc", action="store_true", help="only the cohort statistics")
    args = parser.parse_args()
    start = time.perf_counter()
    with limited_threads(args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # nilearn's verbosity
        if not args.no_auroc:
            auroc_table(args.seeds)
        cohort_statistics()
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
