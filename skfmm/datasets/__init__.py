"""Datasets: the simulated pain cohort, the pretraining corpus, BIDS cohorts."""

_LAZY = {
    "make_pain_cohort": "skfmm.datasets.simulate",
    "make_pretraining_corpus": "skfmm.datasets.simulate",
    "make_parcel_layout": "skfmm.datasets.simulate",
    "make_labels_atlas": "skfmm.datasets.atlas",
    "to_bids": "skfmm.datasets.bids",
    "load_bids_cohort": "skfmm.datasets.bids",
    "read_coords_file": "skfmm.datasets.atlas",
    "write_coords_file": "skfmm.datasets.atlas",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skfmm.datasets' has no attribute {name!r}")
