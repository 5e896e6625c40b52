import nibabel as nib
import numpy as np
import pytest

from skfmm import MultimodalData, TimeSeriesExtractor
from skfmm.datasets.atlas import write_coords_file
from skfmm.foundation.scaling import BRAINLM_SCALE


def test_container_shapes_and_dtype(small_runs, small_coords):
    X = TimeSeriesExtractor(window=50, coords=small_coords).fit_transform(small_runs)
    assert isinstance(X, MultimodalData)
    assert X["ts"].shape == (6, 50, 5) and X["ts"].dtype == np.float32
    assert X["xyz"].shape == (6, 5, 3)
    np.testing.assert_allclose(X["xyz"][3], small_coords, atol=1e-4)


def test_array_output_and_no_coords(small_runs):
    ext = TimeSeriesExtractor(window=50, output="array")
    out = ext.fit_transform(small_runs)
    assert isinstance(out, np.ndarray) and out.shape == (6, 50, 5)
    X = TimeSeriesExtractor(window=50).fit_transform(small_runs)
    assert "xyz" not in X and ext.coords_ is None


@pytest.mark.parametrize("position, start", [("start", 0), ("center", 5)])
def test_window_position(rng, position, start):
    run = rng.standard_normal((60, 3))
    out = TimeSeriesExtractor(window=50, window_position=position, standardize="none",
                              output="array").fit_transform([run])
    np.testing.assert_allclose(out[0], run[start:start + 50], rtol=1e-6)


def test_zscore_per_parcel(small_runs):
    out = TimeSeriesExtractor(window=40, output="array").fit_transform(small_runs)
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=1), 1, atol=1e-5)


def test_brainlm_scaling(small_runs):
    out = TimeSeriesExtractor(window=40, standardize="brainlm",
                              output="array").fit_transform(small_runs)
    expected = (small_runs[0][:40] - small_runs[0][:40].mean(0)) / BRAINLM_SCALE
    np.testing.assert_allclose(out[0], expected, rtol=1e-5, atol=1e-6)


def test_random_segment_pad_appends_timepoints_of_the_run(rng):
    run = rng.standard_normal((30, 4))
    ext = TimeSeriesExtractor(window=50, standardize="none", output="array", random_state=3)
    out = ext.fit_transform([run])[0]
    np.testing.assert_allclose(out[:30], run, rtol=1e-6)
    # every appended row is one of the run's own timepoints
    for row in out[30:]:
        assert np.min(np.abs(run - row).max(axis=1)) < 1e-6
    # reproducible for the same seed, different for another
    again = ext.transform([run])[0]
    np.testing.assert_array_equal(out, again)
    other = TimeSeriesExtractor(window=50, standardize="none", output="array",
                                random_state=4).fit_transform([run])[0]
    assert not np.array_equal(out, other)


def test_pad_does_not_depend_on_cohort_position(rng):
    a, b = rng.standard_normal((30, 4)), rng.standard_normal((20, 4))
    ext = TimeSeriesExtractor(window=40, output="array")
    one = ext.fit_transform([a, b])
    two = ext.transform([b, a])
    np.testing.assert_array_equal(one[0], two[1])


def test_zero_and_reflect_pad(rng):
    run = rng.standard_normal((30, 4))
    z = TimeSeriesExtractor(window=40, pad="zero", output="array").fit_transform([run])[0]
    np.testing.assert_array_equal(z[30:], 0)
    r = TimeSeriesExtractor(window=40, pad="reflect", standardize="none",
                            output="array").fit_transform([run])[0]
    np.testing.assert_allclose(r[30:], run[-2:-12:-1], rtol=1e-6)


def test_pad_error(rng):
    with pytest.raises(ValueError, match="fewer than 'window'=50"):
        TimeSeriesExtractor(window=50, pad="error").fit_transform([rng.standard_normal((30, 3))])


def test_array_confounds_are_regressed_out(rng):
    t = 80
    conf = rng.standard_normal((t, 1))
    signal = rng.standard_normal((t, 3))
    run = signal + 5 * conf
    out = TimeSeriesExtractor(window=t, standardize="none", output="array").fit_transform(
        [run], confounds=[conf])[0]
    assert abs(np.corrcoef(out[:, 0], conf[:, 0])[0, 1]) < 1e-6
    assert abs(np.corrcoef(run[:, 0], conf[:, 0])[0, 1]) > 0.8


def test_confounds_length_mismatch(rng):
    ext = TimeSeriesExtractor(window=20)
    with pytest.raises(ValueError, match=r"'confounds\[0\]' must have one row per timepoint \(30\)"):
        ext.fit_transform([rng.standard_normal((30, 3))], confounds=[np.zeros((29, 2))])


def test_coords_file(tmp_path, small_runs, small_coords):
    path = tmp_path / "coords.dat"
    write_coords_file(path, np.round(small_coords))
    ext = TimeSeriesExtractor(window=30, coords=str(path)).fit(small_runs)
    np.testing.assert_allclose(ext.coords_, np.round(small_coords))


@pytest.mark.parametrize(
    "X, match",
    [
        ([], "empty cohort"),
        ([np.zeros(10)], r"'X\[0\]' must be a 2-D array"),
        ([np.ones((10, 3)), np.ones((10, 4))], r"'X\[1\]' has 4 regions"),
        ([np.full((10, 3), np.nan)], "NaN or infinite"),
        (np.zeros((10, 3)), "Wrap a single subject"),
    ],
)
def test_bad_cohorts(X, match):
    with pytest.raises(ValueError, match=match):
        TimeSeriesExtractor(window=5).fit(X)


@pytest.mark.parametrize(
    "param, value",
    [("standardize", "robust"), ("pad", "edge"), ("window_position", "end"),
     ("output", "dict"), ("window", 0)],
)
def test_bad_parameters_name_the_argument(small_runs, param, value):
    with pytest.raises(ValueError, match=f"'{param}' must be"):
        TimeSeriesExtractor(**{param: value}).fit(small_runs)


def test_coords_must_match_regions(small_runs):
    with pytest.raises(ValueError, match="'coords' has 4 rows but the data have 5 regions"):
        TimeSeriesExtractor(coords=np.zeros((4, 3))).fit(small_runs)


def test_input_not_mutated(small_runs):
    copies = [r.copy() for r in small_runs]
    TimeSeriesExtractor(window=30).fit_transform(small_runs)
    for a, b in zip(copies, small_runs):
        np.testing.assert_array_equal(a, b)


def test_n_jobs_gives_same_output(small_runs):
    a = TimeSeriesExtractor(window=64, output="array").fit_transform(small_runs)
    b = TimeSeriesExtractor(window=64, output="array", n_jobs=2).fit_transform(small_runs)
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- NIfTI input
def _nifti_cohort(tmp_path, rng, n_subjects=3, n_t=40):
    """A 3-region labels atlas on a 6x5x4 grid and runs whose voxels carry known signals."""
    labels = np.zeros((6, 5, 4), dtype=np.int16)
    labels[:2], labels[2:4], labels[4:] = 1, 2, 3
    affine = np.diag([4.0, 4.0, 4.0, 1.0])
    affine[:3, 3] = [-12, -10, -8]
    atlas = nib.Nifti1Image(labels, affine)
    truth, paths = [], []
    for s in range(n_subjects):
        sig = 100 + rng.standard_normal((n_t, 3))
        data = np.zeros(labels.shape + (n_t,), dtype=np.float32)
        for r in range(3):
            data[labels == r + 1] = sig[:, r]
        p = tmp_path / f"sub-{s:02d}_bold.nii.gz"
        nib.save(nib.Nifti1Image(data, affine), p)
        truth.append(sig)
        paths.append(str(p))
    return atlas, paths, truth


def test_nifti_input_recovers_parcel_signals(tmp_path, rng):
    atlas, paths, truth = _nifti_cohort(tmp_path, rng)
    ext = TimeSeriesExtractor(atlas=atlas, window=40, standardize="none", verbose=0)
    X = ext.fit_transform(paths)
    assert X["ts"].shape == (3, 40, 3)
    np.testing.assert_allclose(X["ts"][1], truth[1], rtol=1e-5)
    # centroids of the three slabs along x (voxel size 4 mm, origin -12)
    np.testing.assert_allclose(ext.coords_[:, 0], [-10, -2, 6], atol=1e-6)
    np.testing.assert_allclose(X["xyz"][0], ext.coords_, atol=1e-5)


def test_nifti_needs_atlas_and_existing_files(tmp_path, rng):
    atlas, paths, _ = _nifti_cohort(tmp_path, rng, n_subjects=1)
    with pytest.raises(ValueError, match="'atlas' is required"):
        TimeSeriesExtractor().fit(paths)
    ext = TimeSeriesExtractor(atlas=atlas, window=10, verbose=0).fit(paths)
    with pytest.raises(FileNotFoundError, match="no image file"):
        ext.transform([str(tmp_path / "missing.nii.gz")])


def test_atlas_label_count_must_match_coords(tmp_path, rng):
    atlas, paths, _ = _nifti_cohort(tmp_path, rng, n_subjects=1)
    with pytest.raises(ValueError, match="'coords' has 5 rows but the data have 3 regions"):
        TimeSeriesExtractor(atlas=atlas, coords=np.zeros((5, 3))).fit(paths)
