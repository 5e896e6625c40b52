"""TimeSeriesExtractor on real-shaped data: several windows per subject, padding reported,
the foundation model's patch size, scaling and repetition time checked, resampling."""

import json
import warnings

import numpy as np
import pytest

from skfmm import FMMTCClassifier, TimeSeriesExtractor
from skfmm.foundation.registry import DEMO_DIR, load_foundation_model


def _zscore(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def _runs(lengths, n_regions=5, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, n_regions)) for n in lengths]


# ---------------------------------------------------------------------------- windows
def test_all_non_overlapping_windows_keep_their_subject():
    runs = _runs([130, 85])
    X = TimeSeriesExtractor(window=40, window_position="all", verbose=0).fit_transform(runs)
    # 130 -> starts 0, 40, 80 (the last 10 points are in no window); 85 -> 0, 40.
    assert X["ts"].shape == (5, 40, 5)
    assert X["subject"].tolist() == [0, 0, 0, 1, 1]
    expected = [runs[0][0:40], runs[0][40:80], runs[0][80:120], runs[1][0:40], runs[1][40:80]]
    for got, want in zip(X["ts"], expected):
        np.testing.assert_allclose(got, _zscore(want), atol=1e-5)
    assert X["n_padded"].tolist() == [0] * 5
    assert repr(X).startswith("MultimodalData(n_windows=5, n_subjects=2, ")
    one = TimeSeriesExtractor(window=40, verbose=0).fit_transform(runs)
    assert repr(one).startswith("MultimodalData(n_subjects=2, ")


def test_strided_windows():
    runs = _runs([100])
    X = TimeSeriesExtractor(window=40, window_position="all", window_stride=20,
                            verbose=0).fit_transform(runs)
    assert X["ts"].shape[0] == 4  # starts 0, 20, 40, 60
    np.testing.assert_allclose(X["ts"][3], _zscore(runs[0][60:100]), atol=1e-5)


def test_window_stride_needs_all_windows():
    with pytest.raises(ValueError, match="'window_stride' applies to window_position='all'"):
        TimeSeriesExtractor(window=40, window_stride=20).fit(_runs([50]))


def test_single_window_default_records_subject_ids():
    X = TimeSeriesExtractor(window=40, verbose=0).fit_transform(_runs([50, 60, 45]))
    assert X["subject"].tolist() == [0, 1, 2]


# ---------------------------------------------------------------------------- padding
def test_padding_is_warned_with_the_amount_and_recorded():
    runs = _runs([50, 30, 34])
    with pytest.warns(UserWarning, match=r"2 of 3 subject\(s\).*subject 1: 30 \+ 10, "
                                         r"subject 2: 34 \+ 6"):
        X = TimeSeriesExtractor(window=40, verbose=0).fit_transform(runs)
    assert X["n_padded"].tolist() == [0, 10, 6]


def test_regions_by_time_array_is_not_padded_silently():
    # 94 regions x 1200 time points given in place of (time, regions), as in the issue.
    runs = [r.T for r in _runs([1200, 1200], n_regions=94)]
    with pytest.warns(UserWarning, match=r"94 \+ 106.*fewer time points than regions "
                                         r"\(1200\).*\(regions, time\)"):
        TimeSeriesExtractor(window=200, verbose=0).fit_transform(runs)


def test_no_padding_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TimeSeriesExtractor(window=40, verbose=0).fit_transform(_runs([40, 55]))


# ---------------------------------------------------------------------------- foundation model
def test_window_not_a_patch_multiple_is_refused_where_it_is_set():
    with pytest.raises(ValueError, match=r"'window' must be a multiple of the foundation "
                                         r"model's patch size \(20.*got window=190.*180 or 200"):
        TimeSeriesExtractor(window=190, foundation_model="demo").fit(_runs([200]))
    # Without a foundation model any window is fine.
    TimeSeriesExtractor(window=190, verbose=0).fit(_runs([200]))


def test_raw_intensities_into_a_foundation_model_warn():
    runs = [r * 100 + 1e4 for r in _runs([220], n_regions=6)]
    with pytest.warns(UserWarning, match="pretrained on windows scaled with "
                                         "standardize='zscore'.*raw intensities"):
        TimeSeriesExtractor(window=200, standardize="none", foundation_model="demo").fit(runs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TimeSeriesExtractor(window=200, foundation_model="demo", verbose=0).fit(runs)


def test_missing_coords_error_names_coords(tiny_brainlm):
    runs = _runs([45] * 6, n_regions=8)
    X = TimeSeriesExtractor(window=40, verbose=0).fit_transform(runs)
    clf = FMMTCClassifier(foundation_model=tiny_brainlm, modalities=("ts",), max_epochs=1,
                          train_split=None, verbose=0)
    with pytest.raises(ValueError, match=r"\['xyz'\] is missing.*coords=") as info:
        clf.fit(X, [0, 1] * 3)
    assert "ConnectivityExtractor" not in str(info.value)


# ---------------------------------------------------------------------------- repetition time
def test_demo_records_its_pretraining_t_r_outside_the_checked_weights():
    config = json.loads((DEMO_DIR / "config.json").read_text())
    assert config["skfmm_t_r"] == 2.5
    assert load_foundation_model("demo", verbose=0).config.extra["skfmm_t_r"] == 2.5


def test_t_r_is_recorded_and_a_mismatch_warns():
    runs = _runs([220, 230], n_regions=6)
    with pytest.warns(UserWarning, match=r"sampled every \[0.72\] s.*pretrained at a "
                                         r"repetition time of 2.5 s.*resample_t_r=2.5"):
        X = TimeSeriesExtractor(window=200, t_r=0.72, foundation_model="demo",
                                verbose=0).fit_transform(runs)
    assert X["t_r"].tolist() == [0.72, 0.72]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TimeSeriesExtractor(window=200, t_r=2.5, foundation_model="demo",
                            verbose=0).fit_transform(runs)


def test_resampling_to_another_repetition_time():
    # A slow sine sampled at 0.72 s, resampled to 2.5 s, is the same sine sampled at 2.5 s.
    t_fast = np.arange(1200) * 0.72
    phases = np.linspace(0, np.pi, 4)
    run = np.sin(2 * np.pi * 0.02 * t_fast[:, None] + phases)
    X = TimeSeriesExtractor(window=300, t_r=0.72, resample_t_r=2.5, standardize="none",
                            foundation_model=None, verbose=0).fit_transform([run])
    assert X["t_r"].tolist() == [2.5]
    n_slow = int(np.ceil(1200 * 0.72 / 2.5))  # 346 volumes at 2.5 s
    t_slow = np.arange(n_slow) * 2.5
    want = np.sin(2 * np.pi * 0.02 * t_slow[:, None] + phases)
    np.testing.assert_allclose(X["ts"][0][20:280], want[20:280], atol=0.02)
    X = TimeSeriesExtractor(window=100, t_r=0.72, resample_t_r=2.5, window_position="all",
                            verbose=0).fit_transform([run])
    assert X["ts"].shape[0] == 3  # 346 volumes -> 3 windows of 100


def test_resampling_needs_t_r():
    with pytest.raises(ValueError, match="'t_r' is required with 'resample_t_r'"):
        TimeSeriesExtractor(window=40, resample_t_r=2.5).fit(_runs([50]))
