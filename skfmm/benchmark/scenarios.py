"""What the benchmark runs on: the simulated scenarios, the cross-validation designs, the cohorts.

Each cohort builder returns the container of TimeSeriesExtractor, the labels and the metadata.
"""

from __future__ import annotations

import numpy as np

from ..utils._docs import fill_doc

__all__ = [
    "SCENARIOS",
    "SCENARIO_DESCRIPTIONS",
    "DESIGNS",
    "simulated_cohorts",
    "bids_cohort",
]

#: Scenario name -> (fc_effect, ts_effect) of :func:`skfmm.datasets.make_pain_cohort`.
SCENARIOS = {
    "none": (0.0, 0.0),
    "fc": (0.5, 0.0),
    "ts": (0.0, 0.5),
    "both": (0.5, 0.5),
}

#: One line per scenario, for the report.
SCENARIO_DESCRIPTIONS = {
    "none": "no effect (fc_effect=0, ts_effect=0): labels independent of the data; every "
            "honest model should be at chance",
    "fc": "connectivity effect only (fc_effect=0.5): responders' pain-network parcels share "
          "a hidden hub (higher zero-lag correlations)",
    "ts": "temporal-dynamics effect only (ts_effect=0.5): slower parcel-local fluctuations in "
          "responders, variance and expected correlations unchanged",
    "both": "both effects (fc_effect=0.5, ts_effect=0.5)",
}

#: Cross-validation design per size: outer stratified K-fold x repeats, inner K-fold,
#: bootstrap samples.
DESIGNS = {
    "quick": dict(n_splits=3, n_repeats=1, inner_splits=3, n_boot=500),
    "default": dict(n_splits=5, n_repeats=2, inner_splits=3, n_boot=2000),
    "full": dict(n_splits=5, n_repeats=5, inner_splits=3, n_boot=2000),
}


@fill_doc
def simulated_cohorts(scenarios, *, n_subjects=56, n_regions=100, n_timepoints=220, window=200,
                      seed=0):
    """One simulated pain cohort per scenario, windowed and z-scored, ready for the models.

    Every scenario uses the same seed, so the scenarios differ only in the planted effect.
    The window extraction is per subject and uses no labels, so it runs once, outside the
    folds, without leaking anything.

    Parameters
    ----------
    scenarios : list of str
        Names from :data:`SCENARIOS`.
    n_subjects, n_regions, n_timepoints : int, default=56, 100, 220
        Size of each cohort (:func:`skfmm.datasets.make_pain_cohort`).
    %(window_kept)s
    seed : int, default=0
        Seed of the cohort and of the window positions.

    Returns
    -------
    dict
        ``scenario -> (X, y, metadata)``; ``metadata.attrs["planted"]`` lists the regions
        that carry each planted effect (``"fc"``, ``"ts"``; empty where there is none).

    Examples
    --------
    >>> from skfmm.benchmark.scenarios import simulated_cohorts
    >>> cohorts = simulated_cohorts(["none", "fc"], n_subjects=12, n_regions=16,
    ...                             n_timepoints=50, window=40)
    >>> X, y, metadata = cohorts["fc"]
    >>> list(cohorts), X["ts"].shape, len(y)
    (['none', 'fc'], (12, 40, 16), 12)
    >>> cohorts["none"][2].attrs["planted"]
    {'fc': [], 'ts': []}
    """
    from ..datasets import make_pain_cohort
    from ..extraction import TimeSeriesExtractor

    if "null" in scenarios:
        raise ValueError("simulated_cohorts: the no-effect scenario is called 'none' (it was "
                         "'null', which CSV readers take for a missing value); got 'null' in "
                         f"'scenarios' {list(scenarios)!r}.")
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise ValueError(f"simulated_cohorts: 'scenarios' must name scenarios from "
                         f"{list(SCENARIOS)}; got {list(scenarios)!r}.")
    cohorts = {}
    for name in scenarios:
        fc_effect, ts_effect = SCENARIOS[name]
        cohort = make_pain_cohort(n_subjects, n_regions=n_regions, n_timepoints=n_timepoints,
                                  fc_effect=fc_effect, ts_effect=ts_effect, random_state=seed)
        # t_r only records the cohort's repetition time in X["t_r"] (no filtering): the
        # temporal features read their frequencies from it.
        X = TimeSeriesExtractor(window=window, coords=cohort.coords, t_r=cohort.t_r,
                                random_state=seed, verbose=0).fit_transform(cohort.timeseries)
        metadata = cohort.metadata.copy()
        metadata.attrs["planted"] = {
            "fc": [int(r) for r in cohort.fc_effect_regions] if fc_effect > 0 else [],
            "ts": [int(r) for r in cohort.ts_effect_regions] if ts_effect > 0 else [],
        }
        cohorts[name] = (X, np.asarray(cohort.y), metadata)
    return cohorts


@fill_doc
def bids_cohort(root, atlas, label, *, coords=None, window=200, derivatives=None,
                foundation_model=None, seed=0, verbose=0):
    """A real cohort from a BIDS tree, parcellated, windowed and scaled, ready for the models.

    The extraction is per subject and uses no labels, so it runs once, outside the folds.

    Parameters
    ----------
    root : str
        BIDS dataset root (:func:`skfmm.datasets.load_bids_cohort`).
    atlas : str or None
        Parcellation labels image; None for a tree written by
        :func:`skfmm.datasets.to_bids` (its own atlas).
    label : str
        ``participants.tsv`` column holding the binary outcome.
    coords : str or array-like, default=None
        Parcel coordinates; default those of the cohort (atlas centroids).
    %(window_kept)s
    derivatives : None, "fmriprep" or str, default=None
        Read fMRIPrep outputs, with motion and WM/CSF confounds regressed out and
        detrending; None reads the raw runs.
    foundation_model : None, "demo" or str path, default=None
        The model the series feed, whose input scaling is used; None: per-parcel z-scores.
    seed : int, default=0
        Seed of the window positions.
    %(verbose0)s
        Passed to :class:`~skfmm.TimeSeriesExtractor` (1: a progress bar over the runs).

    Returns
    -------
    X : MultimodalData
    y : ndarray of shape (n_subjects,)
    metadata : DataFrame
        ``participants.tsv``, one row per subject.

    Examples
    --------
    >>> import tempfile
    >>> from skfmm.benchmark.scenarios import bids_cohort
    >>> from skfmm.datasets import make_pain_cohort, to_bids
    >>> cohort = make_pain_cohort(12, n_regions=16, n_timepoints=50, random_state=0)
    >>> root = to_bids(cohort, tempfile.mkdtemp(), atlas_shape=(6, 7, 6)).root
    >>> X, y, metadata = bids_cohort(root, None, "Response", window=40)
    >>> X["ts"].shape, len(y), "study" in metadata
    ((12, 40, 16), 12, True)
    """
    from ..datasets import load_bids_cohort
    from ..extraction import TimeSeriesExtractor

    cohort = load_bids_cohort(root, atlas, label=label, derivatives=derivatives)
    standardize = "zscore"
    if foundation_model is not None:
        from ..foundation import resolve_foundation_model

        # The released BrainLM expects its own scaling; the demo, per-parcel z-scores.
        standardize = resolve_foundation_model(foundation_model, copy=False,
                                               verbose=verbose).model.config.input_scaling
    if coords is None:
        coords = getattr(cohort, "coords", None)
    extractor = TimeSeriesExtractor(
        atlas=cohort.atlas if getattr(cohort, "atlas", None) is not None else atlas,
        coords=coords, window=window, t_r=getattr(cohort, "t_r", None),
        standardize=standardize, detrend=derivatives is not None,
        # fMRIPrep confounds through nilearn's load_confounds (motion + WM/CSF).
        confounds_strategy=("motion", "wm_csf") if derivatives is not None else None,
        # The foundation model's patch size, scaling and pretraining TR are checked here.
        foundation_model=foundation_model, random_state=seed, verbose=verbose)
    X = extractor.fit_transform(cohort.images)
    return X, np.asarray(cohort.y), cohort.metadata
