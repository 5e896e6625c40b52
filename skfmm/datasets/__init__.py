"""Datasets: the simulated pain cohort, the pretraining corpus, BIDS cohorts, the A424 atlas."""

from .._lazy import attach  # noqa: E402

_LAZY = {
    "make_pain_cohort": "skfmm.datasets.simulate",
    "make_pretraining_corpus": "skfmm.datasets.simulate",
    "make_parcel_layout": "skfmm.datasets.simulate",
    "make_labels_atlas": "skfmm.datasets.atlas",
    "to_bids": "skfmm.datasets.bids",
    "load_bids_cohort": "skfmm.datasets.bids",
    "read_coords_file": "skfmm.datasets.atlas",
    "write_coords_file": "skfmm.datasets.atlas",
    "fetch_atlas_a424": "skfmm.datasets.fetchers",
    "fetch_ds000208": "skfmm.datasets.fetchers",
    "get_data_dir": "skfmm.datasets.fetchers",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY)
