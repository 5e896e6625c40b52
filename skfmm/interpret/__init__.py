"""Interpretation of fitted FMM_TC models: integrated gradients per modality and per brain region.

Attributions (captum), group summaries of the modality reliance, glass-brain figures, one report.
"""

_LAZY = {
    "modality_attributions": "skfmm.interpret.attributions",
    "region_attributions": "skfmm.interpret.attributions",
    "modality_shares_by_group": "skfmm.interpret.attributions",
    "plot_modality_shares": "skfmm.interpret.plotting",
    "plot_region_importance": "skfmm.interpret.plotting",
    "plot_top_edges": "skfmm.interpret.plotting",
    "interpretation_report": "skfmm.interpret.report",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skfmm.interpret' has no attribute {name!r}")


def __dir__():
    return __all__
