"""TemporalFeatures: known answers on synthetic signals, the refusals, names and the container."""

import numpy as np
import pytest

from skfmm import MultimodalData, TemporalFeatures
from skfmm.extraction.temporal import TEMPORAL_FEATURES


def _sines(freqs, n_timepoints=200, t_r=2.0):
    t = np.arange(n_timepoints) * t_r
    return np.stack([np.sin(2 * np.pi * f * t) for f in freqs], axis=1)[None]


def _ar1(phi, n_timepoints, n_regions, seed=0):
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n_timepoints, n_regions))
    x = np.zeros_like(noise)
    x[0] = noise[0] / np.sqrt(1 - phi ** 2)
    for t in range(1, n_timepoints):
        x[t] = phi * x[t - 1] + noise[t]
    return x[None]


def test_falff_of_sinusoids_in_and_out_of_band():
    # 200 volumes at 2 s: periodogram bins every 1/400 Hz; 0.04 Hz in the band, 0.15 Hz out,
    # 0.0333 Hz between two bins (leakage) still mostly in the band.
    X = _sines([0.04, 0.15, 0.0333])
    falff = TemporalFeatures(features=["falff"], t_r=2.0).fit_transform(X)[0]
    assert falff[0] == pytest.approx(1.0, abs=1e-6)
    assert falff[1] == pytest.approx(0.0, abs=1e-6)
    assert falff[2] > 0.6


def test_alff_scales_with_amplitude_and_is_band_limited():
    X = _sines([0.04, 0.15])
    tf = TemporalFeatures(features=["alff"], t_r=2.0).fit(X)
    alff, alff3 = tf.transform(X)[0], tf.transform(3 * X)[0]
    np.testing.assert_allclose(alff3, 3 * alff, rtol=1e-9, atol=1e-9)
    assert alff[0] > 0 and alff[1] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("phi", [0.3, 0.7])
def test_lag_autocorrelation_of_ar1_is_phi_to_the_k(phi):
    # 3000 volumes: the standard error of a lag-1 estimate is about sqrt((1 - phi^2) / 3000)
    # < 0.02; tolerance 0.06 on the mean over 10 parcels.
    X = _ar1(phi, 3000, 10, seed=1)
    out = TemporalFeatures(features=["acf"], lags=(1, 2), t_r=1.0).fit_transform(X)[0]
    acf1, acf2 = out[:10], out[10:]
    assert acf1.mean() == pytest.approx(phi, abs=0.06)
    assert acf2.mean() == pytest.approx(phi ** 2, abs=0.06)


def test_timescale_of_ar1_matches_its_decay_constant_and_white_noise_is_short():
    t_r, phi = 2.0, 0.9
    tau = -t_r / np.log(phi)  # 19 s
    X = _ar1(phi, 4000, 20, seed=2)
    ts = TemporalFeatures(features=["timescale"], t_r=t_r).fit_transform(X)[0]
    # (t_r / 2) coth(t_r / (2 tau)) = 19.0 s; sample ACFs truncated at their first zero:
    # the median over 20 parcels within 20 %.
    expected = 0.5 * t_r / np.tanh(t_r / (2 * tau))
    assert np.median(ts) == pytest.approx(expected, rel=0.2)
    noise = np.random.default_rng(3).standard_normal((1, 2000, 20))
    white = TemporalFeatures(features=["timescale"], t_r=t_r).fit_transform(noise)[0]
    assert np.all(white < 0.75 * t_r) and np.all(white > 0.25 * t_r)
    assert white.max() < np.min(ts) / 5


def test_output_order_names_and_region_names():
    X = _ar1(0.5, 300, 3)
    tf = TemporalFeatures(t_r=2.0, lags=(1, 3), region_names=["PCC", "mPFC", "AG"]).fit(X)
    names = tf.get_feature_names_out().tolist()
    assert tf.feature_kinds_ == ("alff", "falff", "acf1", "acf3", "timescale")
    assert names[:4] == ["alff__PCC", "alff__mPFC", "alff__AG", "falff__PCC"]
    assert names[6:9] == ["acf1__PCC", "acf1__mPFC", "acf1__AG"]
    assert len(names) == tf.transform(X).shape[1] == 15
    # Columns are what their names say: the acf3 block equals the lag-3 feature alone.
    alone = TemporalFeatures(features=["acf"], lags=(3,), t_r=2.0).fit_transform(X)
    np.testing.assert_allclose(tf.transform(X)[:, 9:12], alone)
    assert tf.get_feature_names_out(["a", "b", "c"])[0] == "alff__a"


def test_t_r_is_read_from_the_container_and_checked_against_the_parameter():
    X = _sines([0.04, 0.15])
    container = MultimodalData(ts=X, t_r=np.array([2.0]))
    from_container = TemporalFeatures().fit_transform(container)
    np.testing.assert_allclose(from_container, TemporalFeatures(t_r=2.0).fit_transform(X))
    # A different TR changes the frequencies: the 0.04 Hz sinusoid at TR 2 s is 0.08 Hz at 1 s.
    other = TemporalFeatures(features=["alff"]).fit_transform(
        MultimodalData(ts=X, t_r=np.array([1.0])))
    assert not np.allclose(other, TemporalFeatures(features=["alff"], t_r=2.0).fit_transform(X))
    with pytest.raises(ValueError, match="'t_r'=3.0 contradicts"):
        TemporalFeatures(t_r=3.0).fit(container)


def test_refuses_unknown_t_r_naming_the_parameter():
    X = _sines([0.04])
    with pytest.raises(ValueError, match="repetition time is unknown.*Set 't_r'"):
        TemporalFeatures().fit(X)
    # Autocorrelations alone need no TR.
    assert TemporalFeatures(features=["acf"]).fit_transform(X).shape == (1, 3)


def test_refuses_windows_too_short_for_the_band():
    X = _sines([0.04], n_timepoints=40)  # 80 s < 1 / 0.01 Hz
    with pytest.raises(ValueError, match="too short to resolve 'band'.*'window'"):
        TemporalFeatures(t_r=2.0).fit(X)
    with pytest.raises(ValueError, match="Nyquist.*band\\[1\\]"):
        TemporalFeatures(t_r=8.0).fit(_sines([0.01], n_timepoints=50, t_r=8.0))
    # A higher band[0] resolves with the same window.
    assert TemporalFeatures(t_r=2.0, band=(0.03, 0.08)).fit(X).n_features_out_ == 6


def test_transform_refuses_another_window_and_bad_values():
    tf = TemporalFeatures(t_r=2.0).fit(_sines([0.04]))
    with pytest.raises(ValueError, match="fit saw"):
        tf.transform(_sines([0.04], n_timepoints=300))
    bad = _sines([0.04])
    bad[0, 5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tf.transform(bad)


@pytest.mark.parametrize("params, match", [
    (dict(features=["alff", "slope"]), "'features'"),
    (dict(features="alff"), "'features'"),
    (dict(band=(0.08, 0.01)), "'band'"),
    (dict(lags=(0, 1)), "'lags'"),
    (dict(t_r=-2.0), "'t_r'"),
    (dict(output="frame"), "'output'"),
])
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        TemporalFeatures(**{"t_r": 2.0, **params}).fit(_sines([0.04]))


def test_lags_longer_than_the_window_are_refused():
    with pytest.raises(ValueError, match="'lags'"):
        TemporalFeatures(features=["acf"], lags=(250,)).fit(_sines([0.04]))


def test_multimodal_output_appends_to_covariates():
    X = _ar1(0.5, 300, 3)
    container = MultimodalData(ts=X, covariates=np.array([[7.0, 8.0]]), t_r=np.array([2.0]))
    out = TemporalFeatures(features=["acf"], output="multimodal").fit_transform(container)
    assert out["covariates"].shape == (1, 2 + 9)
    np.testing.assert_array_equal(out["covariates"][0, :2], [7.0, 8.0])
    np.testing.assert_array_equal(out["ts"], container["ts"])
    assert container["covariates"].shape == (1, 2)  # input untouched


def test_all_kinds_are_listed():
    assert TEMPORAL_FEATURES == ("alff", "falff", "acf", "timescale")
