"""atlas= as a labels image, a maps image or a configured nilearn masker (tiny synthetic NIfTI)."""

import nibabel as nib
import numpy as np
import pytest
from nilearn.maskers import NiftiLabelsMasker, NiftiMapsMasker, NiftiMasker, NiftiSpheresMasker
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skfmm import TimeSeriesExtractor

VOXEL = 4.0  # mm
N_T = 40
# three 2x6x6 slabs along x: region r holds voxels x in {2r, 2r+1}
CENTRES_VOX = np.array([[0.5 + 2 * r, 2.5, 2.5] for r in range(3)])


def _affine():
    affine = np.diag([VOXEL, VOXEL, VOXEL, 1.0])
    affine[:3, 3] = [-10.0, -10.0, -10.0]
    return affine


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    signals = 100 + 10 * rng.standard_normal((N_T, 3))  # one signal per region
    labels = np.zeros((6, 6, 6), dtype=np.int16)
    for r in range(3):
        labels[2 * r:2 * r + 2] = r + 1
    bold = np.empty((6, 6, 6, N_T), dtype=np.float32)
    for r in range(3):
        bold[2 * r:2 * r + 2] = signals[:, r]
    # probabilistic maps: weights 0.5-1.5 inside each slab, peaked at its centre voxel
    grid = np.indices((6, 6, 6)).transpose(1, 2, 3, 0)
    maps = np.stack([
        np.where(labels == r + 1,
                 0.5 + np.exp(-((grid - CENTRES_VOX[r]) ** 2).sum(-1) / 4.0), 0.0)
        for r in range(3)], axis=-1).astype(np.float32)
    # runs whose voxels are signal x map weight: a maps masker recovers the signals exactly
    bold_maps = (maps[..., None, :] * signals[None, None, None]).sum(-1).astype(np.float32)
    affine = _affine()
    bold_img, maps_bold_img = nib.Nifti1Image(bold, affine), nib.Nifti1Image(bold_maps, affine)
    for img in (bold_img, maps_bold_img):
        img.header.set_zooms((VOXEL, VOXEL, VOXEL, 2.0))
    centres_mm = nib.affines.apply_affine(affine, CENTRES_VOX)
    return dict(signals=signals, bold=[bold_img, bold_img], maps_bold=[maps_bold_img],
                labels=nib.Nifti1Image(labels, affine), maps=nib.Nifti1Image(maps, affine),
                centres=centres_mm)


def _extract(atlas, images, key="bold", **kwargs):
    ext = TimeSeriesExtractor(atlas=atlas, window=N_T, standardize="none", verbose=0, **kwargs)
    return ext, ext.fit_transform(images[key])


def test_labels_image_and_configured_labels_masker(images):
    ext, X = _extract(images["labels"], images)
    np.testing.assert_allclose(X["ts"][0], images["signals"], rtol=1e-5)
    np.testing.assert_allclose(ext.coords_, images["centres"], atol=1e-6)
    masker = NiftiLabelsMasker(labels_img=images["labels"], standardize=None)
    ext2, X2 = _extract(masker, images)
    np.testing.assert_allclose(X2["ts"], X["ts"], rtol=1e-5)
    np.testing.assert_allclose(ext2.coords_, images["centres"], atol=1e-6)
    np.testing.assert_array_equal(ext2.labels_, [1, 2, 3])


def test_maps_image_uses_a_maps_masker_and_nilearn_cut_coords(images, tmp_path):
    path = tmp_path / "maps.nii.gz"
    nib.save(images["maps"], path)
    ext, X = _extract(str(path), images, "maps_bold")  # a 4-D path is a maps atlas
    assert ext.atlas_kind_ == "maps" and isinstance(ext.masker_, NiftiMapsMasker)
    np.testing.assert_allclose(X["ts"][0], images["signals"], rtol=1e-4)
    # each map's cut point is its peak, the slab's centre (within a voxel)
    np.testing.assert_allclose(ext.coords_, images["centres"], atol=VOXEL)
    np.testing.assert_array_equal(ext.labels_, [0, 1, 2])
    ext2, X2 = _extract(NiftiMapsMasker(maps_img=images["maps"], standardize=None), images,
                        "maps_bold")
    np.testing.assert_allclose(X2["ts"], X["ts"], rtol=1e-4)
    np.testing.assert_allclose(ext2.coords_, ext.coords_)


def test_spheres_masker_gives_seed_coordinates(images):
    seeds = [tuple(c) for c in images["centres"]]
    masker = NiftiSpheresMasker(seeds=seeds, radius=1.0, standardize=None)  # the seed's voxel only
    ext, X = _extract(masker, images)
    np.testing.assert_allclose(X["ts"][0], images["signals"], rtol=1e-5)
    np.testing.assert_allclose(ext.coords_, images["centres"])
    np.testing.assert_allclose(X["xyz"][1], images["centres"], rtol=1e-6)


def test_the_configured_masker_is_cloned_and_its_settings_used(images, tmp_path):
    masker = NiftiLabelsMasker(labels_img=images["labels"], standardize="zscore_sample")
    ext, X = _extract(masker, images)
    assert ext.masker_ is not masker
    with pytest.raises(NotFittedError):
        check_is_fitted(masker)  # the caller's masker is left unfitted
    # the masker's own standardize applied (before the extractor's standardize="none")
    np.testing.assert_allclose(X["ts"][0].std(axis=0, ddof=1), 1.0, rtol=1e-4)
    # cleaning settings belong on the masker
    with pytest.raises(ValueError, match=r"\['detrend'\].*NiftiLabelsMasker.*set them on the "
                                         r"masker"):
        _extract(masker, images, detrend=True)
    with pytest.raises(ValueError, match=r"\['low_pass', 'memory'\].*set them on the masker"):
        _extract(masker, images, low_pass=0.1, memory=str(tmp_path))


@pytest.mark.parametrize("atlas", [NiftiMasker(), {"labels": 1}, np.zeros((6, 6, 6))])
def test_anything_else_is_a_type_error_naming_atlas(images, atlas):
    with pytest.raises(TypeError, match=r"atlas= must be a labels image.*NiftiSpheresMasker; "
                                        r"got " + type(atlas).__name__):
        _extract(atlas, images)


def test_region_count_is_checked_for_arrays(images):
    ts = [np.random.default_rng(0).standard_normal((N_T, 4))]
    with pytest.raises(ValueError, match="'atlas' has 3 regions but the time series have 4"):
        TimeSeriesExtractor(atlas=images["maps"], window=N_T, verbose=0).fit(ts)
    # with arrays, a maps atlas supplies the coordinates
    ext = TimeSeriesExtractor(atlas=images["maps"], window=N_T, verbose=0).fit(
        [np.zeros((N_T, 3))])
    assert ext.coords_.shape == (3, 3)


# ---------------------------------------------------------------------- sklearn output API
def test_region_names_follow_the_atlas(images):
    ext, _ = _extract(images["labels"], images)
    assert ext.get_feature_names_out().tolist() == ["label1", "label2", "label3"]
    ext, _ = _extract(images["maps"], images, "maps_bold")
    assert ext.get_feature_names_out().tolist() == ["map0", "map1", "map2"]
    seeds = [tuple(c) for c in images["centres"]]
    ext, _ = _extract(NiftiSpheresMasker(seeds=seeds, radius=1.0, standardize=None), images)
    assert ext.get_feature_names_out().tolist() == ["sphere0", "sphere1", "sphere2"]
    assert ext.get_feature_names_out(["a", "b", "c"]).tolist() == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"one name per region \(3\); got 2"):
        ext.get_feature_names_out(["a", "b"])


def test_pipeline_names_edges_from_the_atlas_labels(images):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from skfmm import ConnectivityExtractor

    rng = np.random.default_rng(1)
    labels = np.asarray(images["labels"].dataobj)
    runs = []
    for _ in range(4):  # correlated regions: a shared signal plus each region's own
        shared = rng.standard_normal(N_T)
        region = shared[:, None] + 0.5 * rng.standard_normal((N_T, 3))
        bold = np.zeros((6, 6, 6, N_T), dtype=np.float32)
        for r in range(3):
            bold[labels == r + 1] = 100 + region[:, r]
        runs.append(nib.Nifti1Image(bold, images["labels"].affine))
    pipe = make_pipeline(TimeSeriesExtractor(atlas=images["labels"], window=N_T, verbose=0),
                         ConnectivityExtractor(output="vector"), LogisticRegression())
    pipe.fit(runs, [0, 1, 0, 1])
    names = pipe[:-1].get_feature_names_out().tolist()
    assert names == ["label1--label2", "label1--label3", "label2--label3"]
    # a table from the step that makes one (its columns: its own region_names=); the
    # time-series step refuses a table
    pipe[1].set_params(region_names=pipe[0].region_names_).fit(pipe[0].transform(runs))
    pipe[1].set_output(transform="pandas")
    frame = pipe[:-1].transform(runs)
    assert isinstance(frame, pd.DataFrame) and frame.columns.tolist() == names
    np.testing.assert_allclose(frame.to_numpy(), pipe[1].set_output(transform="default")
                               .transform(pipe[0].transform(runs)), rtol=1e-6)
    assert np.all(np.abs(frame.to_numpy()) > 0)
    pipe.set_output(transform="pandas")
    with pytest.raises(ValueError, match=r"set_output\(transform='pandas'\) needs a 2-D "
                                         r"output.*\(n, window, n_regions\)"):
        pipe.predict(runs)
    pipe.set_output(transform="default")
    assert pipe.predict(runs).shape == (4,)
