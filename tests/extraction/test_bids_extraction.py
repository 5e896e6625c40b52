"""End to end: a BIDS / fMRIPrep tree written by the tests -> TimeSeriesExtractor."""

import numpy as np
import pytest
from nilearn.interfaces.fmriprep import load_confounds

from skfmm import TimeSeriesExtractor
from skfmm.datasets import load_bids_cohort, make_pain_cohort, to_bids


@pytest.fixture(scope="module")
def fmriprep_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("bids")
    cohort = make_pain_cohort(n_subjects=4, n_regions=16, n_timepoints=60, confounds=True,
                              random_state=1)
    to_bids(cohort, root, fmriprep=True)
    return cohort, load_bids_cohort(root, derivatives="fmriprep")


SCRUB = {"fd_threshold": 0.2, "std_dvars_threshold": 100, "scrub": 0}


def test_scrubbing_shortens_the_run_before_windowing(fmriprep_tree):
    _, d = fmriprep_tree
    _, mask = load_confounds(d.images[0], strategy=("motion", "scrub"), **SCRUB)
    n_kept = len(mask)
    assert n_kept < 60  # the tree has high-motion volumes to censor
    ext = TimeSeriesExtractor(atlas=d.atlas, coords=d.coords, window=60, t_r=d.t_r,
                              pad="zero", confounds_strategy=("motion", "scrub"),
                              confounds_kwargs=SCRUB, verbose=0)
    X = ext.fit_transform(d.images[:1])
    ts = X["ts"][0]
    assert np.all(ts[n_kept:] == 0) and np.all(np.abs(ts[:n_kept]).sum(axis=1) > 0)
    with pytest.raises(ValueError, match="fewer than 'window'=60"):
        ext.set_params(pad="error").fit_transform(d.images[:1])


def test_motion_confounds_are_regressed_out(fmriprep_tree):
    _, d = fmriprep_tree
    conf, _ = load_confounds(d.images[1], strategy=("motion",), motion="basic")
    ext = TimeSeriesExtractor(atlas=d.atlas, window=60, t_r=d.t_r, standardize="none",
                              confounds_strategy=("motion",),
                              confounds_kwargs={"motion": "basic"}, verbose=0)
    ts = ext.fit_transform(d.images[1:2])["ts"][0].astype(np.float64)
    ts -= ts.mean(0)
    # residuals are orthogonal to every regressor
    proj = conf.to_numpy().T @ ts / (np.linalg.norm(conf.to_numpy(), axis=0)[:, None]
                                     * np.linalg.norm(ts, axis=0)[None])
    assert np.max(np.abs(proj)) < 1e-3


def test_bids_images_match_simulated_series(fmriprep_tree):
    cohort, d = fmriprep_tree
    raw = load_bids_cohort(d.root)
    X = TimeSeriesExtractor(atlas=raw.atlas, window=60, standardize="none",
                            verbose=0).fit_transform(raw.images)
    r = np.corrcoef(X["ts"][2][:, 5], cohort.timeseries[2][:, 5])[0, 1]
    assert r > 0.95


def test_confounds_with_strategy_is_ambiguous(fmriprep_tree):
    _, d = fmriprep_tree
    ext = TimeSeriesExtractor(atlas=d.atlas, window=60, confounds_strategy=("motion",),
                              verbose=0)
    with pytest.raises(ValueError, match=r"'confounds\[0\]' was given together"):
        ext.fit_transform(d.images[:1], confounds=d.confounds[:1])
