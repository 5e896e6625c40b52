"""Interpretation of fitted FMM_TC models: integrated gradients per modality and per brain region.

Attributions (captum), group summaries of the modality reliance, glass-brain figures, one report.
"""

from .._lazy import attach  # noqa: E402

_LAZY = {
    "modality_attributions": "skfmm.interpret.attributions",
    "region_attributions": "skfmm.interpret.attributions",
    "region_and_edge_attributions": "skfmm.interpret.attributions",
    "parcel_attributions": "skfmm.interpret.attributions",
    "modality_shares_by_group": "skfmm.interpret.attributions",
    "plot_modality_shares": "skfmm.interpret.plotting",
    "plot_region_importance": "skfmm.interpret.plotting",
    "plot_top_edges": "skfmm.interpret.plotting",
    "interpretation_report": "skfmm.interpret.report",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY)
