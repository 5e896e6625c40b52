"""Adversarial time series: values beyond float32, complex numbers, one time point."""

import numpy as np
import pytest

from skfmm import ConnectivityExtractor, TimeSeriesExtractor


def _runs(n=3, t=30, regions=4, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((t, regions)) for _ in range(n)]


@pytest.mark.parametrize("standardize", ["zscore", "none"])
def test_values_beyond_float32_are_refused_naming_the_subject(standardize):
    runs = _runs()
    runs[1] = runs[1] * 1e300
    ext = TimeSeriesExtractor(window=20, standardize=standardize, verbose=0)
    with pytest.raises(ValueError, match=r"'X\[1\]' holds values up to .*e\+300.*float32"):
        ext.fit_transform(runs)


def test_complex_input_is_refused_not_cast_to_its_real_part():
    runs = _runs()
    runs[2] = runs[2] + 1j * runs[2]
    with pytest.raises(TypeError, match=r"'X\[2\]' must hold real-valued"):
        TimeSeriesExtractor(window=20, verbose=0).fit_transform(runs)


def test_complex_3d_array_is_refused():
    X = np.stack(_runs()).astype(np.complex128)
    with pytest.raises(TypeError, match="real-valued"):
        TimeSeriesExtractor(window=20, verbose=0).fit(X)


@pytest.mark.parametrize("pad", ["zero", "reflect", "random_segment"])
def test_one_time_point_is_refused_instead_of_nan_connectivity(pad):
    runs = _runs()
    runs[0] = runs[0][:1]
    ext = TimeSeriesExtractor(window=20, pad=pad, verbose=0)
    with pytest.raises(ValueError, match=r"'X\[0\]' has 1 timepoint"):
        ConnectivityExtractor().fit_transform(ext.fit_transform(runs))
