"""Does integrated gradients find the planted effects? The table of docs/interpret.md.

The built-in cohort (``make_pain_cohort``: 56 patients, 50 parcels, 200 volumes, seed 0)
with one planted effect, in connectivity (``fc_effect=1``) or in the time series
(``ts_effect=1``), each in 8 parcels. ``TimeSeriesExtractor(window=200)`` and
``ConnectivityExtractor()`` give the container; ``FMMTCClassifier`` (MLP connectivity
encoder of width 16, 16-d features per modality, 30 epochs, ``train_split=None``,
``random_state=0``) is fitted on the whole cohort with three time-series encoders: trained
from scratch (``foundation_model=None``), a tiny BrainLM with random weights (16-d, 1 layer:
the ``tiny_brainlm`` of the tests) and the demo BrainLM. Then, with ``baseline="mean"``
(background: the cohort), the mean modality shares (``modality_attributions``) and, from
``region_attributions`` (``n_steps=16``), the recall of the planted parcels among the 8
regions ranked highest by ``importance``, ``fc`` and ``ts`` (chance 8 / 50), and how many
of the 15 strongest edges join two planted parcels (chance: C(8,2) / C(50,2) = 2.3 %).
These are the settings of the test
``tests/interpret/test_attributions.py::test_planted_effects_are_recovered_on_the_built_in_cohort``
(from-scratch rows), which checks the directions with a margin.

Last, how subtle the temporal effect is: a Welch t-test per planted ``ts`` parcel of its
lag-4 autocorrelation (the extracted windows), responders against non-responders.

    nice python benchmarks/interpret_planted.py        # a few minutes on 2 CPU cores
"""

from __future__ import annotations

import argparse
import time
from math import comb

import numpy as np
from scipy import stats
from sklearn.pipeline import Pipeline

from skfmm import ConnectivityExtractor, FMMTCClassifier, TimeSeriesExtractor
from skfmm.datasets import make_pain_cohort
from skfmm.foundation import BrainLM, BrainLMConfig
from skfmm.interpret import modality_attributions, region_and_edge_attributions
from skfmm.utils.threads import limited_threads

N_REGIONS, WINDOW, TOP_EDGES = 50, 200, 15


def tiny_random_brainlm():
    """The tests' ``tiny_brainlm``: 16-d, 1 layer, random weights (seed 0)."""
    cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, timepoint_patching_size=10,
                        decoder_hidden_size=16, decoder_intermediate_size=32)
    return BrainLM(cfg, with_decoder=False, random_state=0)


ENCODERS = {
    "from scratch": lambda: None,
    "tiny random BrainLM": tiny_random_brainlm,
    "demo BrainLM": lambda: "demo",
}


def cohort_data(fc_effect, ts_effect):
    cohort = make_pain_cohort(n_regions=N_REGIONS, n_timepoints=WINDOW, fc_effect=fc_effect,
                              ts_effect=ts_effect, random_state=0)
    X = Pipeline([("ts", TimeSeriesExtractor(coords=cohort.coords, window=WINDOW, verbose=0)),
                  ("fc", ConnectivityExtractor())]).fit_transform(cohort.timeseries)
    return cohort, X


def planted_scenario(cohort, X, planted, foundation_model):
    clf = FMMTCClassifier(foundation_model=foundation_model, fc_encoder="mlp",
                          module__fc_width=16, module__fc_features=16, module__ts_features=16,
                          module__ts_width=16, max_epochs=30, train_split=None,
                          random_state=0, verbose=0).fit(X, cohort.y)
    shares = modality_attributions(clf, X, baseline="mean", background=X)
    regions, edges = region_and_edge_attributions(clf, X, baseline="mean", background=X,
                                                  n_steps=16, top_edges=TOP_EDGES)
    k = len(planted)
    recall = {col: len(set(regions[col].nlargest(k).index) & set(planted)) / k
              for col in ("importance", "fc", "ts")}
    inside = int(np.sum(edges["region_i"].isin(planted) & edges["region_j"].isin(planted)))
    return {"fc_share": shares["fc"].mean(), "ts_share": shares["ts"].mean(),
            "recall": recall, "edges_inside": inside}


def lag_autocorrelation(ts, lag):
    z = (ts - ts.mean(1, keepdims=True)) / ts.std(1, keepdims=True)
    return (z[:, lag:] * z[:, :-lag]).mean(1)  # (n, regions)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", default=list(ENCODERS), choices=list(ENCODERS))
    parser.add_argument("--threads", type=int, default=1,
                        help="torch and BLAS threads")
    args = parser.parse_args()
    start = time.perf_counter()
    k = 8
    print(f"chance recall@{k} of {N_REGIONS} parcels: {k / N_REGIONS:.2f}; chance that one of "
          f"the {TOP_EDGES} strongest edges joins two planted parcels: "
          f"{comb(k, 2) / comb(N_REGIONS, 2):.1%}\n")
    print(f"{'TS encoder':22s} {'planted':7s} {'FC share':>8s} {'TS share':>8s} "
          f"{'rec@8 imp':>9s} {'rec@8 fc':>8s} {'rec@8 ts':>8s} "
          f"{'top-15 edges inside':>19s} {'seconds':>7s}")
    data = {"FC": cohort_data(1.0, 0.0), "TS": cohort_data(0.0, 1.0)}
    with limited_threads(args.threads):
        for name in args.encoders:
            for where, (cohort, X) in data.items():
                planted = cohort.fc_effect_regions if where == "FC" else cohort.ts_effect_regions
                t0 = time.perf_counter()
                r = planted_scenario(cohort, X, planted, ENCODERS[name]())
                print(f"{name:22s} {where:7s} {r['fc_share']:8.2f} {r['ts_share']:8.2f} "
                      f"{r['recall']['importance']:9.3f} {r['recall']['fc']:8.3f} "
                      f"{r['recall']['ts']:8.3f} {r['edges_inside']:12d} of {TOP_EDGES} "
                      f"{time.perf_counter() - t0:7.0f}")

    cohort, X = data["TS"]
    acf = lag_autocorrelation(np.asarray(X["ts"], dtype=np.float64), 4)
    t = stats.ttest_ind(acf[cohort.y == 1], acf[cohort.y == 0], equal_var=False).statistic
    planted = cohort.ts_effect_regions
    others = np.setdiff1d(np.arange(N_REGIONS), planted)
    print(f"\nts_effect=1: Welch t of lag-4 autocorrelation, responders - non-responders, per "
          f"planted parcel: {', '.join(f'{v:+.1f}' for v in t[planted])}; largest |t| among "
          f"the other {len(others)} parcels {np.abs(t[others]).max():.1f}")
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
