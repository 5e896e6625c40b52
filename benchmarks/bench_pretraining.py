"""Pretraining figures of docs/foundation.md that need no rebuild of the demo.

- The cost of one ``pretrain_brainlm`` step with the demo's architecture (``DEMO_CONFIG``,
  batch 8, 200-volume windows of 100 parcels) on all parcels against a random block of 20
  (``region_block=20``, the demo's recipe), timed in this run: the mean of the epochs after
  the first, 2 threads (the demo build's).
- The shipped demo's loss curve (``skfmm/foundation/demo/build.json``): the first epoch whose
  mean masked-patch MSE is below 0.9, i.e. where the loss left its "predict the mean"
  plateau, and the step it ends at.
- Why the demo's corpus has its own ranges: the ridge probe of the log local timescale from
  each run's lag-1..3 autocorrelations (``benchmarks/demo_pretraining.py``'s probe) on held-out
  subjects of the corpus with its default ranges, next to the same probe on the demo's
  ranges.
- What the shared network fluctuations add (docs/cohort.md): the mean within- and
  between-module correlation of corpus runs with the default ranges, and with
  ``network_weight`` near 0 (1e-6: the generator without them).

    nice python benchmarks/bench_pretraining.py
"""

from __future__ import annotations

import argparse
import json
import time
from importlib import resources

import numpy as np
import torch

from demo_pretraining import autocorrelations, ridge_r2
from skfmm.datasets import make_pretraining_corpus
from skfmm.foundation import pretrain_brainlm
from skfmm.foundation.registry import DEMO_CONFIG, DEMO_RECIPE, HELD_OUT
from skfmm.foundation.scaling import scale_window
from skfmm.utils.threads import limited_threads


def step_seconds(corpus, region_block, n_epochs=3, batch_size=8):
    model = pretrain_brainlm(corpus.timeseries, corpus.coords, DEMO_CONFIG, n_epochs=n_epochs,
                             batch_size=batch_size, window=200, region_block=region_block,
                             random_state=0, verbose=0)
    seconds = [h["seconds"] for h in model.pretraining_history_]  # per epoch
    steps = -(-len(corpus.timeseries) // batch_size)
    return float(np.mean(seconds[1:])) / steps


def plateau():
    record = json.loads(resources.files("skfmm.foundation").joinpath("demo/build.json")
                        .read_text())
    steps_per_epoch = -(-record["recipe"]["corpus"]["n_subjects"]
                        // record["recipe"]["train"]["batch_size"])
    first = next(i for i, loss in enumerate(record["loss"]) if loss < 0.9)
    print(f"shipped demo ({record['model']}): epoch mean loss "
          f"{record['loss'][first - 1]:.4f} at epoch {first}, {record['loss'][first]:.4f} at "
          f"epoch {first + 1} (below 0.9 first; {steps_per_epoch} steps per epoch: step "
          f"{(first + 1) * steps_per_epoch}); build {record['seconds']} s with "
          f"{record['threads']} threads")


def timescale_probe(param_ranges, n_subjects):
    corpus = make_pretraining_corpus(
        n_subjects, n_regions=DEMO_RECIPE["corpus"]["n_regions"],
        n_timepoints=HELD_OUT["n_timepoints"], random_state=HELD_OUT["random_state"],
        param_ranges=param_ranges)
    ts = np.stack([scale_window(s, "zscore") for s in corpus.timeseries])
    return ridge_r2(autocorrelations(ts), corpus)["timescale"]


def module_correlations(network_weight, n_subjects=40):
    corpus = make_pretraining_corpus(
        n_subjects, n_regions=100, n_timepoints=HELD_OUT["n_timepoints"],
        random_state=HELD_OUT["random_state"],
        param_ranges=None if network_weight is None else {"network_weight": network_weight})
    same = corpus.modules[:, None] == corpus.modules[None]
    off = ~np.eye(len(same), dtype=bool)
    r = np.mean([np.corrcoef(ts.T) for ts in corpus.timeseries], axis=0)
    return r[same & off].mean(), r[~same].mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--probe-subjects", type=int, default=300)
    args = parser.parse_args()
    with limited_threads(args.threads):
        corpus = make_pretraining_corpus(16, n_regions=100, n_timepoints=300, random_state=0)
        full = step_seconds(corpus, None)
        block = step_seconds(corpus, 20)
        print(f"one pretraining step, demo architecture, batch 8, {torch.get_num_threads()} "
              f"threads: all 100 parcels {full:.3f} s, a block of 20 parcels {block:.3f} s "
              f"({full / block:.1f} x)")
        plateau()
        print(f"ridge probe R2 of log timescale from lag-1..3 autocorrelations, "
              f"{args.probe_subjects} held-out subjects: corpus default ranges "
              f"{timescale_probe(None, args.probe_subjects):.2f}, the demo's ranges "
              f"{timescale_probe(DEMO_RECIPE['corpus']['param_ranges'], args.probe_subjects):.2f}")
        for name, weight in (("default ranges", None), ("network_weight 1e-6", (1e-6, 1e-6))):
            within, between = module_correlations(weight)
            print(f"corpus ({name}), 40 subjects: mean correlation within modules "
                  f"{within:.2f}, between {between:.2f}")


if __name__ == "__main__":
    main()
