"""
Interpreting FMM_TC: modality shares, region importance, top edges
==================================================================

Integrated gradients (captum) explain a fitted FMM_TC model in three ways, each with its
figure:

- :func:`skfmm.interpret.modality_attributions`: the share of each modality (time series,
  connectivity) in every prediction, summarised per group of subjects with bootstrap
  intervals (:func:`skfmm.interpret.modality_shares_by_group`);
- :func:`skfmm.interpret.region_and_edge_attributions` (the regions alone:
  :func:`~skfmm.interpret.region_attributions`): a score per brain region, drawn on a glass
  brain (markers coloured by the region's share over the uniform share ``1 / n_regions`` on
  a log2 scale, white where a region holds its uniform share; the colour bar says so), and the
  strongest connectivity edges, drawn as a connectome coloured by the quantity they are
  ranked by. Region names, when the atlas has them, are listed beside the brain.

``skfmm interpret`` writes the same tables and figures from a saved model.
"""

# %%
# A small FMM_TC on a simulated cohort
# ------------------------------------
# 24 patients, 16 parcels, a planted connectivity effect: responders share a hidden hub
# among a few "pain network" parcels (``cohort.fc_effect_regions``). The frozen encoder is the
# demo foundation model shipped with skfmm (its embeddings are computed once); a small MLP
# replaces ResNet-18 as the connectivity encoder to keep the example fast.
from sklearn.pipeline import make_pipeline

from skfmm import ConnectivityExtractor, FMMTCClassifier, TimeSeriesExtractor
from skfmm.datasets import make_pain_cohort
from skfmm.interpret import (modality_attributions, modality_shares_by_group,
                             plot_modality_shares, plot_region_importance, plot_top_edges,
                             region_and_edge_attributions)

cohort = make_pain_cohort(24, n_regions=16, n_timepoints=60, fc_effect=1.0, ts_effect=0.0,
                          random_state=0)
model = make_pipeline(
    TimeSeriesExtractor(coords=cohort.coords, window=40, verbose=0),
    ConnectivityExtractor(),
    FMMTCClassifier(foundation_model="demo", fc_encoder="mlp", max_epochs=10,
                    train_split=None, random_state=0, verbose=0),
).fit(cohort.timeseries, cohort.y)

# %%
# Modality shares per study
# -------------------------
# One row per subject; the shares of ``ts`` and ``fc`` sum to 1.
shares = modality_attributions(model, cohort.timeseries, n_steps=16)
print(shares.head())
summary = modality_shares_by_group(shares, cohort.metadata["study"], n_boot=200)
fig = plot_modality_shares(summary)

# %%
# Region importance on a glass brain
# ----------------------------------
# Gradients through the frozen encoder for every integration step are the slow part; the
# first 12 subjects with 8 steps keep the example short.
# Regions are named ``region0``, ``region1``, ... (the names ConnectivityExtractor gives its
# edges); an atlas's label names go in ``region_names=``.
regions, edges = region_and_edge_attributions(model, cohort.timeseries[:12], n_steps=8,
                                              top_edges=8)
print(regions.sort_values("importance", ascending=False).head())
display = plot_region_importance(regions, top=8)

# %%
# The strongest connectivity edges
# --------------------------------
# Coloured by ``abs_attribution``, the mean absolute attribution they are ranked by.
print(edges)
print("planted pain network:", regions["name"].iloc[cohort.fc_effect_regions].tolist())
display = plot_top_edges(edges, regions, regions=regions)
