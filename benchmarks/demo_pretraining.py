"""What the demo BrainLM learned, and whether it helps: the figures of docs/foundation.md.

Evaluates the demo shipped with skfmm (``--rebuild`` pretrains it again from ``DEMO_CONFIG`` +
``DEMO_RECIPE`` first; ``--model DIR`` evaluates another model), always against a BrainLM of
the same architecture with random weights:

- masked-patch MSE on held-out subjects of the pretraining distribution (corpus seed 123,
  60 subjects), with the MSE of predicting zeros, and how much the CLS moves when the first
  3 parcels, or the other 97, are replaced by another subject's;
- 5-fold ridge-probe R2 (standardised features) of the corpus parameters from the CLS and
  from mean-pooled tokens (300 held-out subjects), next to the same probe on the series'
  own lag-1..3 autocorrelations (what a simple feature recovers of the local timescale);
- downstream, on the main job's ``ts`` cohort (make_pain_cohort, ts_effect 0.5, seed 0, window
  200): 5-fold x 4 repeated CV AUROC of a logistic regression on the embedding, and the
  recall of the planted ts regions among the 10 regions that integrated gradients rank
  highest for an fmm_tc fitted on the whole cohort (chance: 10 / 100 per planted region).

Usage::

    python benchmarks/demo_pretraining.py              # the shipped demo
    python benchmarks/demo_pretraining.py --rebuild    # rebuild it first (a few CPU minutes)
    python benchmarks/demo_pretraining.py --model DIR  # another model directory
"""

import argparse
import json
import tempfile

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import KFold, RepeatedStratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfmm.foundation import BrainLM, load_foundation_model
from skfmm.foundation.embedder import embed
from skfmm.foundation.pretrain import masked_patch_mse
from skfmm.foundation.registry import build_demo_model, demo_held_out_corpus

PARAMS = ("noise_level", "hrf_peak", "network_weight", "timescale", "coupling")


def autocorrelations(ts, lags=(1, 2, 3), per_parcel=False):
    """Lag-k autocorrelations of each parcel, averaged over parcels (n, len(lags)) or not
    (n, n_regions * len(lags))."""
    z = (ts - ts.mean(1, keepdims=True)) / ts.std(1, keepdims=True)
    acf = np.stack([(z[:, k:] * z[:, :-k]).mean(1) for k in lags], axis=2)  # (n, R, lags)
    return acf.reshape(len(ts), -1) if per_parcel else acf.mean(1)


def ridge_r2(features, corpus):
    ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
    cv = KFold(5, shuffle=True, random_state=0)
    out = {}
    for name in PARAMS:
        y = corpus.params[name].to_numpy()
        y = np.log(y) if name == "timescale" else y
        out[name] = cross_val_score(ridge, features, y, cv=cv, scoring="r2").mean()
    return out


def cls_sensitivity(model, coords, ts):
    """How much the CLS moves when the first 3 parcels, or the other 97, come from another run.

    In BrainLM's layout the depthwise convolution adds the first 33 tokens (the first three
    parcels) to the CLS; the demo keeps its CLS out of it (``cls_in_conv=False``).
    """
    signal = torch.from_numpy(ts.transpose(0, 2, 1).copy())
    xyz = torch.tensor(coords, dtype=torch.float32).expand(len(ts), -1, -1)
    other = torch.roll(torch.arange(len(ts)), 1)
    with torch.no_grad():
        base = model.encode(signal, xyz)[:, 0]
        out = {}
        for name, parcels in (("first 3 parcels", slice(0, 3)), ("other 97", slice(3, None))):
            swapped = signal.clone()
            swapped[:, parcels] = signal[other, parcels]
            moved = model.encode(swapped, xyz)[:, 0] - base
            out[name] = (moved.norm(dim=1) / base.norm(dim=1)).mean().item()
    return out


def downstream_auroc(features, y):
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=4, random_state=0)
    return cross_val_score(clf, features, y, cv=cv, scoring="roc_auc").mean()


def attribution_recall(model, X, y, planted, seed=0):
    """Planted ts regions among the 10 regions integrated gradients rank highest."""
    from skfmm.benchmark.zoo import make_baselines
    from skfmm.interpret import region_attributions

    estimator, _ = make_baselines(model, random_state=seed, models=["fmm_tc"])["fmm_tc"]
    estimator.fit(X, y)
    regions = region_attributions(estimator, X, n_steps=16)
    top = regions["ts"].sort_values(ascending=False).index[:10]
    return len(set(top) & set(planted)) / len(planted)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true",
                        help="pretrain the demo from its recipe first (a few CPU minutes)")
    parser.add_argument("--model", help="evaluate this model directory instead of the demo")
    parser.add_argument("--no-downstream", action="store_true",
                        help="skip the pain-cohort figures (AUROC, attribution recall)")
    args = parser.parse_args()
    torch.set_num_threads(min(2, torch.get_num_threads()))
    if args.model:
        model = BrainLM.from_pretrained(args.model)
    elif args.rebuild:
        with tempfile.TemporaryDirectory() as tmp:
            build_demo_model(tmp, verbose=1)
            record = json.load(open(f"{tmp}/build.json"))
            print(f"built in {record['seconds']} s with {record['threads']} thread(s); "
                  f"epoch losses {record['loss'][::10]}")
            model = BrainLM.from_pretrained(tmp)
    else:
        model = load_foundation_model("demo")
    model.eval()
    rand = BrainLM(model.config, random_state=1).eval()
    print(f"config: hidden {model.config.hidden_size}, layers {model.config.num_hidden_layers}, "
          f"patch {model.config.timepoint_patching_size}, cls_in_conv "
          f"{model.config.cls_in_conv}")

    corpus, ts = demo_held_out_corpus()
    scores = masked_patch_mse(model, ts, corpus.coords, random_state=5)
    rand_mse = masked_patch_mse(rand, ts, corpus.coords, random_state=5)["model"]
    print(f"held-out masked MSE ({len(ts)} subjects): model {scores['model']:.3f}, "
          f"random weights {rand_mse:.3f}, zeros {scores['zeros']:.3f}")

    moved = cls_sensitivity(model, corpus.coords, ts)
    print("CLS moved by replacing " + ", ".join(f"the {k}: {v:.1%}" for k, v in moved.items()))

    corpus, ts = demo_held_out_corpus(300)
    r2 = ridge_r2(autocorrelations(ts), corpus)
    print("probe R2, lag-1..3 autocorrelations: " + ", ".join(f"{k} {v:+.2f}"
                                                            for k, v in r2.items()))
    for pooling in ("cls", "mean"):
        for name, m in (("model", model), ("random", rand)):
            r2 = ridge_r2(embed(m, ts, corpus.coords, pooling=pooling), corpus)
            print(f"probe R2, {pooling:4s} {name:6s}: "
                  + ", ".join(f"{k} {v:+.2f}" for k, v in r2.items()))
    if args.no_downstream:
        return
    from skfmm.benchmark.scenarios import simulated_cohorts

    X, y, metadata = simulated_cohorts(["ts"])["ts"]
    planted = metadata.attrs["planted"]["ts"]
    print(f"ts cohort: {len(y)} subjects, planted ts regions {planted}")
    print(f"  AUROC, lag-1..3 autocorrelations: mean over parcels "
          f"{downstream_auroc(autocorrelations(X['ts']), y):.2f}, per parcel "
          f"{downstream_auroc(autocorrelations(X['ts'], per_parcel=True), y):.2f}")
    for pooling in ("cls", "mean"):
        for name, m in (("model", model), ("random", rand)):
            emb = embed(m, X["ts"], X["xyz"], pooling=pooling)
            print(f"  AUROC, {pooling:4s} {name:6s}: {downstream_auroc(emb, y):.2f}")
    for name, m in (("model", model), ("random", BrainLM(model.config, with_decoder=False,
                                                          random_state=1))):
        print(f"  fmm_tc attribution recall of the planted ts regions in the top 10, {name}: "
              f"{attribution_recall(m, X, y, planted):.2f}")


if __name__ == "__main__":
    main()
