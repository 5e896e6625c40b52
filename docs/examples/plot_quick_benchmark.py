"""
The benchmark's figures: MCC intervals and ROC curves
=====================================================

``skfmm benchmark`` writes ``summary.csv`` and ``predictions.csv`` and draws two figures from
them: the pooled out-of-fold MCC with its subject-bootstrap interval, one panel per scenario,
and the out-of-fold ROC curves. Here the run is made tiny (24 simulated patients, 16 parcels,
three linear connectome models, 3 outer folds) so that it runs in seconds; the figures of the
real run come from the same two functions.
"""

# %%
# A tiny run of the main job
# --------------------------
# :func:`skfmm.benchmark.run.run_benchmark` is what ``skfmm benchmark`` calls. ``size="quick"``
# gives 3 outer folds and light grids; the authors' protocol needs a deep model and is left
# out.
import tempfile
from pathlib import Path

import pandas as pd

from skfmm.benchmark.figures import plot_mcc_intervals, plot_roc_curves
from skfmm.benchmark.run import run_benchmark

out = Path(tempfile.mkdtemp())
run = run_benchmark(["none", "fc"], size="quick", out=out, seed=0,
                    models=["chance", "corr_logreg", "tangent_logreg"],
                    n_subjects=24, n_regions=16, n_timepoints=60, window=40,
                    authors_protocol=False, verbose=0)
print(run["table"])

# %%
# MCC per model and scenario
# --------------------------
# Each point is the MCC of the predictions pooled over the outer test folds (each subject
# predicted by a model that never saw it); the bar is its 95 % subject-bootstrap interval.
# On the **none** scenario (no effect) the labels are independent of the data: an honest model's
# interval covers 0.
summary = pd.read_csv(out / "summary.csv")
fig = plot_mcc_intervals(summary)

# %%
# ROC curves
# ----------
# One curve per model from the pooled out-of-fold scores, the area under it in the legend.
predictions = pd.read_csv(out / "predictions.csv")
fig = plot_roc_curves(predictions)
