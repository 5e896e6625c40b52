"""Tests of BIDS writing and loading (skfmm.datasets.bids) and of the labels atlas builder."""

import json
import logging
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.interfaces.fmriprep import load_confounds
from nilearn.maskers import NiftiLabelsMasker

from skfmm.datasets import load_bids_cohort, make_pain_cohort, to_bids
from skfmm.datasets.atlas import make_labels_atlas, read_coords_file

# OpenNeuro ds000208 participants.tsv (CC0), copied verbatim as test facts.
DS000208_PARTICIPANTS = Path(__file__).parent / "data" / "ds000208_participants.tsv"


def _tiny_run(path, n_volumes=20, shape=(6, 7, 6), seed=0):
    rng = np.random.default_rng(seed)
    data = 500 + rng.standard_normal(shape + (n_volumes,)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.diag([4.0, 4.0, 4.0, 1.0])), path)


@pytest.fixture(scope="module")
def ds000208_tree(tmp_path_factory):
    """A tree with ds000208's layout: 76 participants, root sidecar, tiny runs."""
    root = tmp_path_factory.mktemp("ds000208")
    shutil.copyfile(DS000208_PARTICIPANTS, root / "participants.tsv")
    (root / "task-rest_bold.json").write_text(json.dumps({
        "RepetitionTime": 2.5, "TaskName": "rest", "Manufacturer": "Siemens",
        "EchoTime": 0.03, "FlipAngle": 90,
    }))
    (root / "dataset_description.json").write_text(json.dumps({
        "Name": "ds000208 layout", "BIDSVersion": "1.0.0 ",
    }))
    for i in range(1, 77):
        sub = f"sub-{i:02d}"
        _tiny_run(root / sub / "func" / f"{sub}_task-rest_bold.nii.gz", seed=i)
        (root / sub / "anat").mkdir()
    return root


def test_reads_ds000208_layout(ds000208_tree, caplog):
    with caplog.at_level(logging.WARNING, logger="skfmm.datasets.bids"):
        cohort = load_bids_cohort(ds000208_tree)
    assert "20 of 76" in caplog.text
    assert len(cohort.images) == 56 and len(cohort.y) == 56
    assert cohort.images[0].endswith("sub-21/func/sub-21_task-rest_bold.nii.gz")
    assert cohort.y.dtype.kind == "i"
    assert (cohort.y == 1).sum() == 26 and (cohort.y == 0).sum() == 30
    assert cohort.t_r == 2.5
    assert cohort.confounds is None
    assert list(cohort.metadata["participant_id"][:2]) == ["sub-21", "sub-22"]
    assert set(cohort.metadata["type"]) == {"patient"}
    assert cohort.metadata.groupby(["study", "Drug"]).size().to_dict() == {
        (1, "placebo"): 17, (2, "duloxetine"): 19, (2, "placebo"): 20,
    }
    np.testing.assert_array_equal(cohort.groups, cohort.metadata["study"].to_numpy())
    assert sorted(set(cohort.groups)) == [1, 2]
    assert "% Analsesia VAS" in cohort.metadata.columns
    assert cohort.atlas is None


def test_include_unlabelled_keeps_controls(ds000208_tree):
    cohort = load_bids_cohort(ds000208_tree, include_unlabelled=True)
    assert len(cohort.images) == 76 and len(cohort.y) == 76
    assert cohort.labelled.sum() == 56
    assert np.all(np.isnan(cohort.y[:20])) and np.nansum(cohort.y) == 26


def test_run_sidecar_overrides_root_sidecar(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    (root / "participants.tsv").write_text(
        "participant_id\tResponse\nsub-01\t1\nsub-02\t0\nsub-03\tn/a\n"
    )
    (root / "task-rest_bold.json").write_text(json.dumps({"RepetitionTime": 2.5}))
    for sub in ("sub-01", "sub-02"):
        _tiny_run(root / sub / "func" / f"{sub}_task-rest_bold.nii.gz")
    func = root / "sub-01" / "func"
    (func / "sub-01_task-rest_bold.json").write_text(json.dumps({"RepetitionTime": 2.0}))
    with pytest.raises(ValueError, match="repetition time differs"):
        load_bids_cohort(root)
    (root / "sub-02" / "sub-02_task-rest_bold.json").write_text(
        json.dumps({"RepetitionTime": 2.0})
    )
    cohort = load_bids_cohort(root)
    assert cohort.t_r == 2.0
    assert cohort.y.tolist() == [1, 0]
    # A sidecar of another task does not apply.
    (root / "task-motor_bold.json").write_text(json.dumps({"RepetitionTime": 9.0}))
    assert load_bids_cohort(root).t_r == 2.0


def test_errors(tmp_path, ds000208_tree):
    with pytest.raises(FileNotFoundError, match="root"):
        load_bids_cohort(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="participants.tsv"):
        load_bids_cohort(tmp_path)
    with pytest.raises(ValueError, match=r"'label'.*'Responder'.*participant_id.*Response"):
        load_bids_cohort(ds000208_tree, label="Responder")
    with pytest.raises(ValueError, match="exactly two classes"):
        load_bids_cohort(ds000208_tree, label="Age")
    root = tmp_path / "missing_run"
    root.mkdir()
    (root / "participants.tsv").write_text(
        "participant_id\tResponse\nsub-01\t1\nsub-02\t0\n"
    )
    (root / "task-rest_bold.json").write_text(json.dumps({"RepetitionTime": 2.5}))
    _tiny_run(root / "sub-01" / "func" / "sub-01_task-rest_bold.nii.gz")
    with pytest.raises(FileNotFoundError, match="sub-02"):
        load_bids_cohort(root)
    _tiny_run(root / "sub-02" / "func" / "sub-02_task-rest_bold.nii.gz")
    (root / "task-rest_bold.json").unlink()
    with pytest.raises(ValueError, match="RepetitionTime"):
        load_bids_cohort(root)
    with pytest.raises(FileNotFoundError, match="derivatives"):
        load_bids_cohort(ds000208_tree, derivatives="fmriprep")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    cohort = make_pain_cohort(
        6, n_regions=16, n_timepoints=30, confounds=True, random_state=2
    )
    root = tmp_path_factory.mktemp("simulated")
    paths = to_bids(cohort, root, atlas_shape=(10, 11, 9), fmriprep=True)
    return cohort, paths


def test_to_bids_layout_and_participants(written):
    cohort, paths = written
    root = paths.root
    table = pd.read_csv(f"{root}/participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert list(table.columns) == [
        "participant_id", "type", "study", "gender", "Age", "Drug", "Response",
    ]
    assert table["participant_id"].tolist() == cohort.metadata["participant_id"].tolist()
    sidecar = json.loads(open(f"{root}/task-rest_bold.json").read())
    assert sidecar["RepetitionTime"] == 2.5
    assert json.loads(open(f"{root}/dataset_description.json").read())["BIDSVersion"]
    img = nib.load(paths.images[0])
    assert img.shape == (10, 11, 9, 30)
    assert img.header.get_zooms()[3] == pytest.approx(2.5)
    np.testing.assert_allclose(read_coords_file(paths.coords), cohort.coords, atol=0.01)
    labels = np.asarray(nib.load(paths.atlas).dataobj)
    assert sorted(np.unique(labels)) == list(range(17))


def test_to_bids_writes_missing_values_as_na(tmp_path):
    cohort = make_pain_cohort(4, n_regions=16, n_timepoints=20)
    cohort.metadata.loc[0, "Response"] = np.nan
    cohort.metadata["study"] = cohort.metadata["study"].astype(object)
    cohort.metadata.loc[1, "study"] = None
    to_bids(cohort, tmp_path, atlas_shape=(6, 7, 6))
    lines = (tmp_path / "participants.tsv").read_text().splitlines()
    assert lines[1].split("\t")[-1] == "n/a"
    assert lines[2].split("\t")[2] == "n/a"


def test_end_to_end_nifti_recovers_parcel_series(written):
    cohort, paths = written
    loaded = load_bids_cohort(paths.root)
    assert loaded.atlas == paths.atlas and loaded.coords == paths.coords
    np.testing.assert_array_equal(loaded.y, cohort.y)
    assert loaded.metadata["participant_id"].tolist() == cohort.metadata["participant_id"].tolist()
    masker = NiftiLabelsMasker(loaded.atlas, standardize=None).fit()
    for image, truth in zip(loaded.images, cohort.timeseries):
        recovered = masker.transform(image)
        assert recovered.shape == truth.shape
        r = [np.corrcoef(recovered[:, j], truth[:, j])[0, 1] for j in range(truth.shape[1])]
        assert min(r) > 0.95
        np.testing.assert_allclose(recovered.mean(axis=0), truth.mean(axis=0), rtol=0.01)


def test_fmriprep_derivatives_and_load_confounds(written):
    cohort, paths = written
    loaded = load_bids_cohort(paths.root, derivatives="fmriprep")
    assert [p.split("/")[-1] for p in loaded.images] == [
        f"{s}_task-rest_desc-preproc_bold.nii.gz" for s in cohort.metadata["participant_id"]
    ]
    assert [p.split("/")[-1] for p in loaded.confounds] == [
        f"{s}_task-rest_desc-confounds_timeseries.tsv" for s in cohort.metadata["participant_id"]
    ]
    assert loaded.t_r == 2.5
    confounds, sample_mask = load_confounds(
        loaded.images, strategy=("motion", "high_pass", "wm_csf", "global_signal"),
        motion="basic", demean=False,
    )
    assert len(confounds) == len(cohort.timeseries)
    np.testing.assert_allclose(
        confounds[0][["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]].to_numpy(),
        cohort.confounds[0], atol=1e-6,
    )
    assert {"csf", "white_matter", "global_signal"} <= set(confounds[0].columns)
    assert any(c.startswith("cosine") for c in confounds[0].columns)
    # nilearn's default strategy (full motion expansion, cosine high-pass, wm/csf) reads too.
    default, _ = load_confounds(loaded.images[0])
    assert {"trans_x_derivative1_power2", "csf", "white_matter"} <= set(default.columns)
    table = pd.read_csv(loaded.confounds[0], sep="\t")
    assert np.isnan(table["framewise_displacement"].iloc[0])
    assert (table["framewise_displacement"].iloc[1:] >= 0).all()


def test_make_labels_atlas_places_parcels_at_their_coordinates():
    from skfmm.datasets.simulate import make_parcel_layout

    coords = make_parcel_layout(40).coords
    atlas = make_labels_atlas(coords, voxel_size=6.0)
    labels = np.asarray(atlas.dataobj)
    assert labels.dtype == np.int32
    assert sorted(np.unique(labels)) == list(range(41))
    ijk = np.argwhere(labels > 0)
    xyz = ijk @ atlas.affine[:3, :3].T + atlas.affine[:3, 3]
    values = labels[labels > 0]
    for region in range(40):
        centroid = xyz[values == region + 1].mean(axis=0)
        assert np.linalg.norm(centroid - coords[region]) < 15.0
    # Small grids still give every parcel at least one voxel.
    small = np.asarray(make_labels_atlas(coords, shape=(6, 7, 6)).dataobj)
    assert sorted(np.unique(small)) == list(range(41))
    with pytest.raises(ValueError, match="shape"):
        make_labels_atlas(coords, shape=(2, 2, 2))
    with pytest.raises(ValueError, match="affine"):
        make_labels_atlas(coords, affine=np.eye(4))


def test_fmriprep_spaces_sessions_and_string_labels(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    (root / "participants.tsv").write_text(
        "participant_id\tgroup\tsite\n01\tyes\tA\n02\tno\tB\n03\tn/a\tB\n"
    )
    prep = root / "derivatives" / "fmriprep"
    for sub in ("sub-01", "sub-02", "sub-03"):
        func = prep / sub / "ses-1" / "func"
        for space in ("MNI152NLin2009cAsym", "T1w"):
            _tiny_run(func / f"{sub}_ses-1_task-rest_space-{space}_desc-preproc_bold.nii.gz")
        (func / f"{sub}_ses-1_task-rest_desc-confounds_timeseries.tsv").write_text("csf\n1\n")
    (prep / "task-rest_bold.json").write_text(json.dumps({"RepetitionTime": 0.8}))
    with pytest.raises(ValueError, match="space"):
        load_bids_cohort(root, label="group", derivatives="fmriprep")
    cohort = load_bids_cohort(
        root, label="group", derivatives="fmriprep", space="T1w", groups="site",
        include_unlabelled=True,
    )
    assert cohort.t_r == 0.8
    assert [p.rsplit("/", 1)[-1] for p in cohort.images] == [
        f"sub-0{i}_ses-1_task-rest_space-T1w_desc-preproc_bold.nii.gz" for i in (1, 2, 3)
    ]
    assert all(p.endswith("_ses-1_task-rest_desc-confounds_timeseries.tsv") for p in cohort.confounds)
    assert cohort.y.tolist() == ["yes", "no", None]
    assert cohort.labelled.tolist() == [True, True, False]
    assert cohort.groups.tolist() == ["A", "B", "B"]
    assert cohort.metadata["participant_id"].tolist() == ["sub-01", "sub-02", "sub-03"]


def test_to_bids_rejects_bad_cohorts(tmp_path):
    cohort = make_pain_cohort(4, n_regions=16, n_timepoints=20)
    with pytest.raises(ValueError, match="metadata"):
        to_bids({"timeseries": cohort.timeseries, "coords": cohort.coords, "t_r": 2.5}, tmp_path)
    bad = dict(cohort)
    bad["timeseries"] = [ts[:, :10] for ts in cohort.timeseries]
    with pytest.raises(ValueError, match=r"timeseries\[0\]"):
        to_bids(bad, tmp_path)
    with pytest.raises(ValueError, match="noise"):
        to_bids(cohort, tmp_path, noise=-1)
