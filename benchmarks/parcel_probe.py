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

3. Head variants of the parcel model on that cohort, demo against random weights: raw or
   standardised tokens, 100 epochs, rank 2 (``FMMTCClassifier(modalities=("ts",),
   pooling="parcel")``, MLP settings of the zoo's default size otherwise).
4. Probe transfer, on that cohort: part 1's timescale probe (fitted on the held-out corpus
   runs, no label seen) turns each parcel's token into a predicted timescale; a logistic
   regression (C=0.01) on the 100 predictions, next to the same on the measured timescales.
5. The null design: the point-biserial correlation of every generator parameter with the
   labels in the main job's cohort (``make_pain_cohort(56, random_state=0)``: the seed
   shared by its four scenarios), and ``temporal_logreg`` (C=0.01) 5-fold AUROC on null
   cohorts of 80 with seeds 1 and 2, with and without ``ts_effect=0.5``, and a 30-permutation
   test on seed 1's null cohort.

Usage::

    python benchmarks/parcel_probe.py               # both parts (a few CPU minutes)
    python benchmarks/parcel_probe.py --probe-only  # part 1
    python benchmarks/parcel_probe.py --null-only   # part 5
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


def probe(n_runs=60, models=None, corpus=None):
    """Probe R2 per model; ``models`` (name -> BrainLM) defaults to the demo and its
    random-weight control, ``corpus`` ((Bunch, z-scored ts)) to ``demo_held_out_corpus``."""
    corpus, ts = demo_held_out_corpus(n_runs) if corpus is None else corpus
    n, _, R = ts.shape
    if models is None:
        demo = load_foundation_model("demo", verbose=0)
        models = {"demo": demo,
                  "random": BrainLM(demo.config, with_decoder=False, random_state=1)}
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


def downstream(n_subjects=80, seed=1, foundation_model="demo", names=None):
    from skfmm import TimeSeriesExtractor
    from skfmm.benchmark.zoo import make_baselines
    from skfmm.datasets import make_pain_cohort

    cohort = make_pain_cohort(n_subjects, fc_effect=0.0, ts_effect=0.5, random_state=seed)
    X = TimeSeriesExtractor(window=200, coords=cohort.coords, t_r=cohort.t_r, random_state=seed,
                            verbose=0).fit_transform(cohort.timeseries)
    y = np.asarray(cohort.y)
    if names is None:
        names = ["temporal_logreg", "ts_only_fm_parcel", "ts_only_random_fm_parcel",
                 "ts_only_fm", "ts_only_random_fm"]
    zoo = make_baselines(foundation_model, random_state=0, models=names)
    if "temporal_logreg" in zoo:
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


def _cohort(n_subjects=80, ts_effect=0.5, seed=1):
    from skfmm import TimeSeriesExtractor
    from skfmm.datasets import make_pain_cohort

    cohort = make_pain_cohort(n_subjects, fc_effect=0.0, ts_effect=ts_effect, random_state=seed)
    X = TimeSeriesExtractor(window=200, coords=cohort.coords, t_r=cohort.t_r, random_state=seed,
                            verbose=0).fit_transform(cohort.timeseries)
    return cohort, X, np.asarray(cohort.y)


def _cv_auroc(estimator, X, y):
    scores = np.empty(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)),
                                                                              y):
        scores[test] = clone(estimator).fit(X[train], y[train]).predict_proba(X[test])[:, 1]
    return round(float(roc_auc_score(y, scores)), 3)


def head_variants():
    from skfmm import FMMTCClassifier

    _, X, y = _cohort()
    demo = load_foundation_model("demo", verbose=0)
    models = {"demo": demo, "random": BrainLM(demo.config, with_decoder=False, random_state=0)}
    variants = {"raw": dict(standardize_embedding=False),
                "standardised": dict(standardize_embedding=True),
                "standardised, 100 epochs": dict(standardize_embedding=True, max_epochs=100),
                "standardised, rank 2": dict(standardize_embedding=True,
                                             module__parcel_rank=2)}
    out = {}
    for name, params in variants.items():
        for label, fm in models.items():
            settings = dict(max_epochs=40, lr=1e-3, batch_size=8, class_weight="balanced",
                            random_state=0, verbose=0, train_split=None)
            settings.update(params)
            est = FMMTCClassifier(foundation_model=fm, modalities=("ts",), pooling="parcel",
                                  **settings)
            out[f"{name}/{label}"] = _cv_auroc(est, X, y)
        print(name, {k: v for k, v in out.items() if k.startswith(name + "/")}, flush=True)
    return out


def probe_transfer(n_runs=60):
    from sklearn.linear_model import LogisticRegression

    corpus, cts = demo_held_out_corpus(n_runs)
    measured = TemporalFeatures(features=["timescale"], t_r=corpus.t_r).fit_transform(cts)
    cohort, X, y = _cohort()
    n, R = len(y), X["ts"].shape[2]
    logistic = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=5000))
    demo = load_foundation_model("demo", verbose=0)
    models = {"demo": demo, "random": BrainLM(demo.config, with_decoder=False, random_state=1)}
    out = {"measured timescales": _cv_auroc(
        logistic, TemporalFeatures(features=["timescale"]).fit_transform(X), y)}
    for name, model in models.items():
        tokens = embed(model, cts, corpus.coords, pooling="parcel").reshape(n_runs * R, -1)
        ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
        ridge.fit(tokens, np.log(measured).reshape(-1))
        cohort_tokens = embed(model, X["ts"], X["xyz"], pooling="parcel").reshape(n * R, -1)
        predicted = ridge.predict(cohort_tokens).reshape(n, R)
        out[name] = _cv_auroc(logistic, predicted, y)
    print("probe transfer", out, flush=True)
    return out


def null_design():
    from scipy import stats

    from skfmm.benchmark.zoo import make_baselines
    from skfmm.datasets import make_pain_cohort

    main_cohort = make_pain_cohort(56, fc_effect=0.0, ts_effect=0.0, random_state=0)
    y0 = np.asarray(main_cohort.y)
    out = {"main_job_seed0_params": {}}
    for name in main_cohort.params.columns:
        values = np.asarray(main_cohort.params[name], dtype=float)
        if values.std() > 0:
            r, p = stats.pointbiserialr(y0, values)
            out["main_job_seed0_params"][name] = {
                "r": round(float(r), 2), "p": round(float(p), 3),
                "responders": round(float(values[y0 == 1].mean()), 3),
                "non_responders": round(float(values[y0 == 0].mean()), 3)}
    temporal = make_baselines(None, models=["temporal_logreg"])["temporal_logreg"][0]
    temporal.set_params(model__estimator__C=0.01)
    for seed in (1, 2):
        for ts_effect in (0.0, 0.5):
            _, X, y = _cohort(ts_effect=ts_effect, seed=seed)
            out[f"seed{seed}/ts_effect={ts_effect}"] = _cv_auroc(temporal, X, y)
    _, X, y = _cohort(ts_effect=0.0, seed=1)
    features = TemporalFeatures().fit_transform(X)
    logistic = make_pipeline(StandardScaler(), _logistic_balanced())
    observed = _cv_auroc(logistic, features, y)
    rng = np.random.default_rng(0)
    null = np.array([_cv_auroc(logistic, features, rng.permutation(y)) for _ in range(30)])
    univariate = np.array([stats.mannwhitneyu(features[y == 1, j], features[y == 0, j]).pvalue
                           for j in range(features.shape[1])])
    out["seed1_null_permutation"] = {
        "auroc": observed, "permutation_mean": round(float(null.mean()), 3),
        "permutation_sd": round(float(null.std()), 3),
        "p": round(float((1 + np.sum(null >= observed)) / (1 + len(null))), 3),
        "features_p_below_0.05": round(float(np.mean(univariate < 0.05)), 3)}
    print("null design", json.dumps(out, indent=1), flush=True)
    return out


def _logistic_balanced():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=0.01, max_iter=5000, class_weight="balanced")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe-only", action="store_true")
    parser.add_argument("--null-only", action="store_true")
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.null_only:
        print(json.dumps({"null_design": null_design()}, indent=1))
        return
    result = {"probe_r2": probe(args.runs)}
    print(json.dumps(result, indent=1), flush=True)
    if not args.probe_only:
        result["downstream_auroc"] = downstream()
        result["head_variants_auroc"] = head_variants()
        result["probe_transfer_auroc"] = probe_transfer(args.runs)
        result["null_design"] = null_design()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
