"""
A classical connectome model and its edges
==========================================

``ConnectivityExtractor(output="vector")`` gives one row per subject with one column per
edge (nilearn's vectorisation), ready for any scikit-learn model.
``get_feature_names_out`` names the edges from the region names, so a linear model's
coefficients map back to edges.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skfmm import ConnectivityExtractor, TimeSeriesExtractor
from skfmm.datasets import make_pain_cohort

cohort = make_pain_cohort(40, n_regions=16, n_timepoints=80, fc_effect=1.0, ts_effect=0.0,
                          random_state=0)
X = TimeSeriesExtractor(coords=cohort.coords, window=80, verbose=0).fit_transform(
    cohort.timeseries)
model = make_pipeline(
    ConnectivityExtractor(output="vector"),  # an atlas's label names go in region_names=
    LogisticRegression(C=0.1, max_iter=1000),
).fit(X, cohort.y)

coef = pd.Series(model[-1].coef_[0], index=model[:-1].get_feature_names_out())
top = coef.reindex(coef.abs().sort_values(ascending=False).index[:10])
print(top)

# %%
# The ten largest weights
# -----------------------
# Positive weights push towards "responder". The planted pain network is
# ``cohort.fc_effect_regions``.
names = model[0].region_names_  # region0, region1, ...: the names used everywhere
print("planted pain network:", [names[i] for i in cohort.fc_effect_regions])
fig, ax = plt.subplots(figsize=(5, 3.5))
top[::-1].plot.barh(ax=ax, color=["C3" if v > 0 else "C0" for v in top[::-1]])
ax.set_xlabel("logistic-regression coefficient (signed)")
ax.set_title("Edges with the largest weights")
fig.tight_layout()
