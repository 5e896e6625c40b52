"""
The benchmark's figures: MCC intervals and ROC curves
=====================================================

``skfmm benchmark`` writes ``summary.csv`` and ``predictions.csv`` and draws two figures from
them: the mean MCC over the outer folds with its 95 % corrected repeated-CV t interval, one
panel per scenario on one shared axis, and the mean ROC curve over the outer folds. Here the
run is made tiny (24 simulated patients, 16 parcels, three linear connectome models, 5 outer
folds) so that it runs in seconds; the figures of the real run come from the same two
functions.
"""

# %%
# A tiny run of the main job
# --------------------------
# :func:`skfmm.benchmark.run.run_benchmark` is what ``skfmm benchmark`` calls. ``size="quick"``
# gives light grids and 3 outer folds; 3 folds are too few for a t interval (skfmm reports
# none rather than one with 2 degrees of freedom), so ``n_splits=5`` asks for five. The
# authors' protocol needs a deep model and is left out.
import tempfile
from pathlib import Path

import pandas as pd

from skfmm.benchmark.figures import plot_mcc_intervals, plot_roc_curves
from skfmm.benchmark.run import run_benchmark

out = Path(tempfile.mkdtemp())
run = run_benchmark(["none", "fc"], size="quick", n_splits=5, out=out, seed=0,
                    models=["chance", "corr_logreg", "tangent_logreg"],
                    n_subjects=24, n_regions=16, n_timepoints=60, window=40,
                    authors_protocol=False, verbose=0)
print(run["table"])

# %%
# MCC per model and scenario
# --------------------------
# Each point is the mean MCC over the outer folds (each fold's subjects predicted by a model
# that never saw them); the bar is its 95 % corrected repeated-CV t interval, cut at the
# metric's range (a triangle marks a cut end). On the **none** scenario (no effect) the
# labels are independent of the data: an honest model's interval covers 0. ``summary.csv``
# loads with plain ``pd.read_csv``; its ``p_value`` column tests each metric against its
# chance level (``p_null`` says which).
summary = pd.read_csv(out / "summary.csv")
print(summary.loc[summary["metric"] == "mcc", ["scenario", "model", "mean", "ci_low",
                                               "ci_high", "p_value", "p_null"]])
fig = plot_mcc_intervals(summary, caption="Simulated cohort: 24 patients, 16 parcels; "
                                          "outer stratified 5-fold x 1, inner 3-fold.")

# %%
# ROC curves
# ----------
# The mean ROC curve over the outer folds with a band of +/- one standard deviation; the
# legend's AUROC is the mean over folds, the same number as ``summary.csv``.
predictions = pd.read_csv(out / "predictions.csv")
fig = plot_roc_curves(predictions)
