"""What the demo BrainLM learned: the figures of docs/foundation.md, reproducible.

Builds a model with the demo's recipe (``DEMO_CONFIG`` + ``DEMO_RECIPE``, about 3 min on 2 CPU
cores), optionally with BrainLM's own layout (``--cls-in-conv``: the CLS takes part in the
depthwise convolution), then measures on held-out simulated subjects (corpus seed 123):

- masked-patch MSE of the model, of the same architecture with random weights, and of
  predicting zeros (60 subjects, all 100 parcels, fixed masks);
- 5-fold ridge-probe R2 (standardised features) of the corpus parameters from the CLS and
  from mean-pooled token embeddings, demo against random weights (300 subjects);
- how much the CLS moves when the first 3 parcels, or the other 97, are replaced by another
  subject's (relative norm of the change);
- the step at which the training loss left the "predict the mean" plateau.

Usage::

    python benchmarks/demo_pretraining.py                 # the demo as shipped
    python benchmarks/demo_pretraining.py --cls-in-conv   # BrainLM's CLS layout
    python benchmarks/demo_pretraining.py --model DIR     # an existing model directory
"""

import argparse
import dataclasses
import tempfile
import time

import numpy as np
import torch
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfmm.datasets import make_pretraining_corpus
from skfmm.foundation import BrainLM, BrainLMConfig, pretrain_brainlm
from skfmm.foundation.embedder import embed
from skfmm.foundation.pretrain import masked_patch_mse
from skfmm.foundation.scaling import scale_window
from skfmm.foundation.registry import DEMO_BUILD_THREADS, DEMO_CONFIG, DEMO_RECIPE

PARAMS = ("noise_level", "hrf_peak", "network_weight", "timescale", "coupling")


def build(cls_in_conv):
    config = dataclasses.replace(BrainLMConfig(**DEMO_CONFIG), cls_in_conv=cls_in_conv)
    corpus = make_pretraining_corpus(**DEMO_RECIPE["corpus"])
    torch.set_num_threads(DEMO_BUILD_THREADS)
    start = time.perf_counter()
    model = pretrain_brainlm(corpus.timeseries, corpus.coords, config, verbose=1,
                             **DEMO_RECIPE["train"])
    print(f"built in {time.perf_counter() - start:.0f} s")
    return model


def held_out(n):
    corpus = make_pretraining_corpus(n, n_regions=100, n_timepoints=200, random_state=123)
    ts = np.stack([scale_window(s, "zscore") for s in corpus.timeseries]).astype(np.float32)
    return corpus, ts


def probe(model, corpus, ts, pooling):
    emb = embed(model, ts, corpus.coords, pooling=pooling)
    ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
    cv = KFold(5, shuffle=True, random_state=0)
    out = {}
    for name in PARAMS:
        y = corpus.params[name].to_numpy()
        y = np.log(y) if name == "timescale" else y
        out[name] = cross_val_score(ridge, emb, y, cv=cv, scoring="r2").mean()
    return out


def cls_sensitivity(model, corpus, ts):
    signal = torch.from_numpy(ts.transpose(0, 2, 1).copy())
    xyz = torch.tensor(corpus.coords, dtype=torch.float32).expand(len(ts), -1, -1)
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


def plateau_exit(history, steps_per_epoch):
    for h in history:
        if h["loss"] < 0.9:
            return h["epoch"] * steps_per_epoch
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cls-in-conv", action="store_true",
                        help="train with BrainLM's layout (CLS in the convolution)")
    parser.add_argument("--model", help="evaluate this model directory instead of building")
    args = parser.parse_args()
    if args.model:
        model = BrainLM.from_pretrained(args.model)
    else:
        model = build(args.cls_in_conv)
        with tempfile.TemporaryDirectory() as tmp:  # what users get: saved and reloaded
            model.save_pretrained(tmp)
            history = model.pretraining_history_
            model = BrainLM.from_pretrained(tmp)
        steps = -(-DEMO_RECIPE["corpus"]["n_subjects"] // DEMO_RECIPE["train"]["batch_size"])
        print(f"training loss below 0.9 by step {plateau_exit(history, steps)} "
              f"(epoch means: {[round(h['loss'], 3) for h in history[::10]]})")
    model.eval()
    rand = BrainLM(model.config, random_state=1).eval()
    print(f"cls_in_conv={model.config.cls_in_conv}")
    corpus, ts = held_out(60)
    scores = masked_patch_mse(model, ts, corpus.coords, random_state=5)
    rand_mse = masked_patch_mse(rand, ts, corpus.coords, random_state=5)["model"]
    print(f"held-out masked MSE (60 subjects): model {scores['model']:.3f}, "
          f"random weights {rand_mse:.3f}, zeros {scores['zeros']:.3f}")
    corpus, ts = held_out(300)
    for pooling in ("cls", "mean"):
        for name, m in (("model", model), ("random", rand)):
            r2 = probe(m, corpus, ts, pooling)
            print(f"probe R2, {pooling:4s} {name:6s}: "
                  + ", ".join(f"{k} {v:+.2f}" for k, v in r2.items()))
    moved = cls_sensitivity(model, corpus, ts)
    print("CLS moved by replacing " + ", ".join(f"the {k}: {v:.1%}" for k, v in moved.items()))


if __name__ == "__main__":
    main()
