"""Do the demo's tokens hold per-parcel dynamics? The figures of docs/benchmark.md (issue 23).

1. Per-parcel timescale probe on held-out corpus runs (``demo_held_out_corpus``: the demo's
   pretraining distribution, seed 123, never seen in pretraining): each parcel's mean token
   (``pooling="parcel"``) of the demo and of a random-weight BrainLM of the same
   architecture; a ridge probe (standardised features, RidgeCV) predicts that parcel's own
   measured intrinsic timescale (log, :class:`skfmm.TemporalFeatures`) and lag-1
   autocorrelation, 5-fold cross-validated with the runs as groups (no run in both
   training and test). ``within``: features and targets centred per run first, so only
   what tells a run's parcels apart counts (the pain cohort's temporal effect sits in 8
   parcels).
2. Downstream on a cohort that is *not* an evaluation cohort of the main job
   (``make_pain_cohort(80, fc_effect=0, ts_effect=0.5, random_state=1)``, window 200):
   5-fold stratified CV AUROC of the zoo's ``temporal_logreg``, ``ts_only_fm_parcel``,
   ``ts_only_random_fm_parcel``, ``ts_only_fm`` and ``ts_only_random_fm`` (size
   "default"), each fold's model refitted on its training part (no inner grid: the deep
   models have none and ``temporal_logreg`` keeps C=0.01 here).

Usage::

    python benchmarks/parcel_probe.py               # both parts (a few CPU minutes)
    python benchmarks/parcel_probe.py --probe-only  # part 1
"""

import argparse
import json
import time

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfmm import TemporalFeatures
from skfmm.foundation import BrainLM, load_foundation_model
from skfmm.foundation.embedder import embed
from skfmm.foundation.registry import demo_held_out_corpus


def grouped_r2(features, target, groups):
    """Pooled out-of-fold R2 of a ridge probe, 5 folds of whole runs."""
    ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
    pred = np.empty_like(target)
    for train, test in GroupKFold(5).split(features, target, groups):
        pred[test] = clone(ridge).fit(features[train], target[train]).predict(features[test])
    return float(r2_score(target, pred))


def probe(n_runs=60):
    corpus, ts = demo_held_out_corpus(n_runs)
    n, _, R = ts.shape
    demo = load_foundation_model("demo", verbose=0)
    models = {"demo": demo, "random": BrainLM(demo.config, with_decoder=False, random_state=1)}
    feats = TemporalFeatures(features=["acf", "timescale"], lags=(1,), t_r=corpus.t_r)
    measured = feats.fit_transform(ts).reshape(n, 2, R)  # (runs, [acf1, timescale], parcels)
    targets = {"log_timescale": np.log(measured[:, 1]), "acf1": measured[:, 0]}
    groups = np.repeat(np.arange(n), R)
    out = {}
    for name, model in models.items():
        tokens = embed(model, ts, corpus.coords, pooling="parcel", batch_size=8)
        tokens = tokens.reshape(n, R, -1)
        for target_name, target in targets.items():
            for variant in ("across", "within"):
                X, y = tokens, target
                if variant == "within":
                    X = tokens - tokens.mean(axis=1, keepdims=True)
                    y = target - target.mean(axis=1, keepdims=True)
                r2 = grouped_r2(X.reshape(n * R, -1), y.reshape(-1), groups)
                out[f"{name}/{target_name}/{variant}"] = round(r2, 3)
    return out


def downstream(n_subjects=80, seed=1):
    from skfmm import TimeSeriesExtractor
    from skfmm.benchmark.zoo import make_baselines
    from skfmm.datasets import make_pain_cohort

    cohort = make_pain_cohort(n_subjects, fc_effect=0.0, ts_effect=0.5, random_state=seed)
    X = TimeSeriesExtractor(window=200, coords=cohort.coords, t_r=cohort.t_r, random_state=seed,
                            verbose=0).fit_transform(cohort.timeseries)
    y = np.asarray(cohort.y)
    names = ["temporal_logreg", "ts_only_fm_parcel", "ts_only_random_fm_parcel", "ts_only_fm",
             "ts_only_random_fm"]
    zoo = make_baselines("demo", random_state=0, models=names)
    zoo["temporal_logreg"][0].set_params(model__estimator__C=0.01)
    out = {}
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    for name in names:
        estimator = zoo[name][0]
        scores = np.empty(len(y))
        start = time.perf_counter()
        for train, test in cv.split(np.zeros(len(y)), y):
            fitted = clone(estimator).fit(X[train], y[train])
            scores[test] = fitted.predict_proba(X[test])[:, 1]
        out[name] = {"auroc": round(float(roc_auc_score(y, scores)), 3),
                     "seconds": round(time.perf_counter() - start, 1)}
        print(name, out[name], flush=True)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe-only", action="store_true")
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    result = {"probe_r2": probe(args.runs)}
    print(json.dumps(result, indent=1), flush=True)
    if not args.probe_only:
        result["downstream_auroc"] = downstream()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
