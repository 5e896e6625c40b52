"""BIDS cohorts: write a simulated cohort as a BIDS tree, and load a labelled BIDS cohort.

The loader reads ds000208's layout (participants.tsv, sub-*/func/*_bold.nii.gz, sidecars).
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skfmm.datasets.atlas import check_coords, make_labels_atlas, write_coords_file

from typing import TYPE_CHECKING, Any
from skfmm.utils._docs import fill_doc
from skfmm.utils.validation import check_real

if TYPE_CHECKING:  # hints only
    from skfmm._typing import PathLike

__all__ = ["to_bids", "load_bids_cohort"]

logger = logging.getLogger(__name__)

_PARTICIPANT_COLUMNS = ["participant_id", "type", "study", "gender", "Age", "Drug", "Response"]
_ATLAS_NAME = "atlas-simulated_dseg.nii.gz"
_COORDS_NAME = "atlas-simulated_coords.dat"


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def _write_json(path, payload):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")


def _write_tsv(path, frame):
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False, na_rep="n/a")


def _bold_image(ts, labels, affine, t_r, noise, rng):
    import nibabel as nib

    n_t, n_regions = ts.shape
    inside = labels > 0
    index = labels[inside] - 1
    scale = ts.std(axis=0)
    voxels = ts[:, index] + noise * scale[index] * rng.standard_normal((n_t, index.size))
    data = np.zeros(labels.shape + (n_t,), dtype=np.float32)
    data[inside] = voxels.T.astype(np.float32)
    header = nib.Nifti1Header()
    header.set_data_dtype(np.float32)
    header.set_xyzt_units("mm", "sec")
    image = nib.Nifti1Image(data, affine, header)
    zooms = tuple(float(z) for z in np.linalg.norm(affine[:3, :3], axis=0))
    image.header.set_zooms(zooms + (float(t_r),))
    image.header.set_qform(affine, code=4)
    image.header.set_sform(affine, code=4)
    return image


def _fmriprep_confounds(ts, motion, t_r):
    """An fMRIPrep-style confounds table from the parcel series and the motion parameters."""
    n_t = ts.shape[0]
    names = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    if motion is None:
        motion = np.zeros((n_t, 6))
    table = {}
    centred = ts - ts.mean(axis=0)
    global_signal = ts.mean(axis=1)
    # White matter and CSF carry the global fluctuations and the motion artefact, scaled.
    table["global_signal"] = global_signal
    table["white_matter"] = 0.8 * global_signal.mean() + 0.5 * (global_signal - global_signal.mean())
    table["csf"] = 1.2 * global_signal.mean() + 0.8 * (global_signal - global_signal.mean())
    for name, column in zip(names, motion.T):
        table[name] = column
    frame = pd.DataFrame(table)
    for name in ["global_signal", "white_matter", "csf", *names]:
        derivative = frame[name].diff()
        frame[f"{name}_derivative1"] = derivative
        frame[f"{name}_power2"] = frame[name] ** 2
        frame[f"{name}_derivative1_power2"] = derivative**2
    delta = np.abs(np.diff(motion, axis=0))
    fd = np.concatenate([[np.nan], delta[:, :3].sum(axis=1) + 50.0 * delta[:, 3:].sum(axis=1)])
    frame["framewise_displacement"] = fd
    dvars = np.concatenate([[np.nan], np.sqrt(np.mean(np.diff(centred, axis=0) ** 2, axis=1))])
    frame["dvars"] = dvars
    frame["std_dvars"] = dvars / np.nanmean(dvars)
    frame["rmsd"] = np.concatenate([[np.nan], np.sqrt(np.mean(np.diff(motion[:, :3], axis=0) ** 2, axis=1))])
    # Discrete cosine basis of the 128 s high-pass filter, as fMRIPrep writes it.
    n_basis = int(np.floor(2 * n_t * t_r / 128.0))
    k = np.arange(n_t)
    for j in range(1, n_basis + 1):
        frame[f"cosine{j - 1:02d}"] = np.sqrt(2.0 / n_t) * np.cos(np.pi * (2 * k + 1) * j / (2 * n_t))
    return frame


@fill_doc
def to_bids(cohort, root, *, atlas_shape=None, voxel_size=None, noise=0.1, fmriprep=False,
            random_state=0):
    """Write a simulated cohort as a BIDS tree of 4-D NIfTI runs with a labels atlas.

    Layout (as OpenNeuro ds000208): ``participants.tsv``, ``dataset_description.json``,
    ``task-rest_bold.json`` (the inherited sidecar with ``RepetitionTime``) and
    ``sub-XX/func/sub-XX_task-rest_bold.nii.gz``. The labels atlas built from the cohort's
    coordinates and its coordinates file (A424 format) go to ``derivatives/atlas/``. Each
    voxel of parcel ``i`` carries that parcel's time series plus independent noise.

    Parameters
    ----------
    cohort : Bunch
        The output of :func:`~skfmm.datasets.make_pain_cohort` (``timeseries``, ``coords``,
        ``metadata``, ``t_r``, optionally ``confounds``).
    root : str or path-like
        Directory of the dataset (created; existing files are overwritten).
    atlas_shape : tuple of 3 ints, optional
        Grid shape of the images; default from ``voxel_size``. See
        :func:`~skfmm.datasets.atlas.make_labels_atlas`.
    voxel_size : float, optional
        Voxel size in mm (8 mm when ``atlas_shape`` is not given either).
    noise : float, default=0.1
        Standard deviation of the voxel noise, relative to the parcel's temporal standard
        deviation.
    fmriprep : bool, default=False
        Also write ``derivatives/fmriprep`` with ``*_desc-preproc_bold.nii.gz`` runs and
        ``*_desc-confounds_timeseries.tsv`` tables (fMRIPrep column names; the motion
        parameters of the cohort when it has confounds, zeros otherwise) with JSON sidecars,
        readable by nilearn's ``load_confounds``.
    %(random_state)s
        It seeds the voxel noise.

    Returns
    -------
    paths : Bunch
        ``root``, ``participants``, ``atlas`` (labels image path), ``coords`` (coordinates
        file path), ``images`` (raw runs), ``preproc_images`` and ``confounds`` (lists, or
        None without ``fmriprep``).

    Examples
    --------
    >>> import tempfile
    >>> from skfmm.datasets import make_pain_cohort, to_bids
    >>> cohort = make_pain_cohort(4, n_regions=16, n_timepoints=20)
    >>> paths = to_bids(cohort, tempfile.mkdtemp(), atlas_shape=(6, 7, 6))
    >>> len(paths.images)
    4
    """
    import nibabel as nib

    for key in ("timeseries", "coords", "metadata", "t_r"):
        if key not in cohort:
            raise ValueError(
                f"'cohort' must be a make_pain_cohort Bunch with '{key}'; "
                f"got keys {sorted(cohort)}."
            )
    timeseries = [np.asarray(ts, dtype=float) for ts in cohort["timeseries"]]
    coords = check_coords(cohort["coords"], argument="cohort.coords")
    metadata = pd.DataFrame(cohort["metadata"]).reset_index(drop=True)
    if len(metadata) != len(timeseries):
        raise ValueError(
            f"'cohort' has {len(timeseries)} time series but {len(metadata)} metadata rows."
        )
    if "participant_id" not in metadata:
        raise ValueError("'cohort.metadata' must have a 'participant_id' column.")
    for i, ts in enumerate(timeseries):
        if ts.ndim != 2 or ts.shape[1] != len(coords):
            raise ValueError(
                f"'cohort.timeseries[{i}]' must be (n_timepoints, {len(coords)}); "
                f"got {ts.shape}."
            )
    noise = check_real(noise, "noise", 0.0, kind="a non-negative number",
                       bounds="a non-negative number")
    t_r = float(cohort["t_r"])
    motion = cohort.get("confounds")
    root = Path(os.fspath(root))
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(random_state)

    columns = _PARTICIPANT_COLUMNS + [c for c in metadata.columns if c not in _PARTICIPANT_COLUMNS]
    participants = metadata.reindex(columns=columns)
    _write_tsv(root / "participants.tsv", participants)
    _write_json(root / "participants.json", {
        "type": {"Description": "control or patient"},
        "study": {"Description": "clinical trial (1 or 2)"},
        "Drug": {"Description": "treatment arm (placebo or duloxetine)"},
        "Response": {"Description": "1 = responder (simulated cohort: the planted label)"},
    })
    _write_json(root / "dataset_description.json", {
        "Name": "skfmm simulated pain cohort (simulated BOLD, ds000208-like metadata)",
        "BIDSVersion": "1.8.0",
        "DatasetType": "raw",
        "License": "CC0",
        "GeneratedBy": [{"Name": "skfmm.datasets.to_bids"}],
    })
    _write_json(root / "task-rest_bold.json", {"RepetitionTime": t_r, "TaskName": "rest"})
    (root / "README").write_text(
        "Simulated resting-state cohort written by skfmm.datasets.to_bids. The BOLD signals "
        "are simulated (see skfmm's docs, 'The simulated pain cohort').\n"
    )

    atlas_dir = root / "derivatives" / "atlas"
    atlas_dir.mkdir(parents=True, exist_ok=True)
    _write_json(atlas_dir / "dataset_description.json", {
        "Name": "Simulated labels atlas", "BIDSVersion": "1.8.0", "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "skfmm.datasets.atlas.make_labels_atlas"}],
    })
    atlas = make_labels_atlas(coords, shape=atlas_shape, voxel_size=voxel_size)
    atlas_path = atlas_dir / _ATLAS_NAME
    nib.save(atlas, atlas_path)
    coords_path = atlas_dir / _COORDS_NAME
    write_coords_file(coords_path, coords)
    labels = np.asarray(atlas.dataobj)

    images, preproc, confound_paths = [], [], []
    prep_dir = root / "derivatives" / "fmriprep"
    if fmriprep:
        _write_json(prep_dir / "dataset_description.json", {
            "Name": "Simulated fMRIPrep-style derivatives", "BIDSVersion": "1.8.0",
            "DatasetType": "derivative",
            "GeneratedBy": [{"Name": "skfmm.datasets.to_bids (simulated, fMRIPrep layout)"}],
        })
    for i, (sub, ts) in enumerate(zip(metadata["participant_id"], timeseries)):
        sub = str(sub) if str(sub).startswith("sub-") else f"sub-{sub}"
        image = _bold_image(ts, labels, atlas.affine, t_r, noise, rng)
        path = root / sub / "func" / f"{sub}_task-rest_bold.nii.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        nib.save(image, path)
        images.append(str(path))
        if fmriprep:
            func = prep_dir / sub / "func"
            func.mkdir(parents=True, exist_ok=True)
            img_path = func / f"{sub}_task-rest_desc-preproc_bold.nii.gz"
            nib.save(image, img_path)
            _write_json(func / f"{sub}_task-rest_desc-preproc_bold.json",
                        {"RepetitionTime": t_r, "TaskName": "rest"})
            table = _fmriprep_confounds(ts, None if motion is None else np.asarray(motion[i]), t_r)
            conf_path = func / f"{sub}_task-rest_desc-confounds_timeseries.tsv"
            _write_tsv(conf_path, table)
            _write_json(conf_path.with_suffix(".json"), {
                name: {"Description": "simulated"} for name in table.columns
            })
            preproc.append(str(img_path))
            confound_paths.append(str(conf_path))
    return Bunch(
        root=str(root), participants=str(root / "participants.tsv"), atlas=str(atlas_path),
        coords=str(coords_path), images=images,
        preproc_images=preproc if fmriprep else None,
        confounds=confound_paths if fmriprep else None,
    )


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------
def _entities(name):
    """BIDS entities (dict) and suffix of a file name."""
    stem = name
    for ext in (".nii.gz", ".nii", ".json", ".tsv"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
            break
    parts = stem.split("_")
    entities = {}
    for part in parts[:-1]:
        if "-" in part:
            key, value = part.split("-", 1)
            entities[key] = value
    return entities, parts[-1]


def _sidecar_metadata(image_path, top):
    """Merge the JSON sidecars that apply to ``image_path`` (BIDS inheritance), top first."""
    image_path = Path(image_path)
    entities, suffix = _entities(image_path.name)
    merged, sources = {}, []
    directories = []
    folder = image_path.parent
    top = Path(top)
    while True:
        directories.append(folder)
        if folder == top or folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(directories):
        candidates = []
        for sidecar in sorted(folder.glob("*.json")):
            side_entities, side_suffix = _entities(sidecar.name)
            if side_suffix != suffix:
                continue
            if all(entities.get(k) == v for k, v in side_entities.items()):
                candidates.append((len(side_entities), sidecar))
        for _, sidecar in sorted(candidates):
            try:
                merged.update(json.loads(sidecar.read_text()))
            except json.JSONDecodeError as exc:
                raise ValueError(f"sidecar '{sidecar}' is not valid JSON: {exc}.") from exc
            sources.append(str(sidecar))
    return merged, sources


def _find_runs(folder, sub, pattern):
    """Runs of ``sub`` below ``folder`` (sessions included) whose names match ``pattern``."""
    base = folder / sub
    found = sorted(base.glob("func/*.nii*")) + sorted(base.glob("ses-*/func/*.nii*"))
    return [p for p in found if pattern.fullmatch(p.name)]


def _read_participants(root):
    path = root / "participants.tsv"
    if not path.is_file():
        raise FileNotFoundError(
            f"'root': no participants.tsv in '{root}'; a BIDS dataset needs one to give "
            "the labels."
        )
    try:
        table = pd.read_csv(
            path, sep="\t", na_values=["n/a"], keep_default_na=False,
            dtype={"participant_id": str}
        )
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"'root': '{path}' is empty; it needs a header with 'participant_id' and the "
            "label column, and one row per participant."
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"'root': '{path}' is not a readable TSV table ({exc}).") from None
    if "participant_id" not in table:
        raise ValueError(
            f"'{path}' has no 'participant_id' column; columns: {list(table.columns)}."
        )
    if table.empty:
        raise ValueError(f"'root': '{path}' lists no participants (a header only).")
    if table["participant_id"].isna().any():
        row = int(np.flatnonzero(table["participant_id"].isna().to_numpy())[0]) + 2
        raise ValueError(f"'{path}': line {row} has no participant_id.")
    table["participant_id"] = [
        pid if pid.startswith("sub-") else f"sub-{pid}" for pid in table["participant_id"]
    ]
    duplicated = table["participant_id"].duplicated(keep=False)
    if duplicated.any():
        # The same subject twice could sit in a training and a test fold at once.
        ids = table.loc[duplicated, "participant_id"]
        first = ids.iloc[0]
        lines = [int(i) + 2 for i in np.flatnonzero((table["participant_id"] == first).to_numpy())]
        raise ValueError(
            f"'{path}' lists participant {first} more than once (lines {lines}); duplicated: "
            f"{sorted(pd.unique(ids))[:10]}. Each participant must have exactly one row."
        )
    return table


def _repetition_time(meta, sources, run):
    """The RepetitionTime of ``run`` as a positive finite float, or a clear error."""
    value = meta["RepetitionTime"]
    where = f"{run.name} (sidecars: {sources or 'none'})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"'RepetitionTime' of {where} must be a number of seconds such as 2.5; got "
            f"{value!r}."
        )
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(
            f"'RepetitionTime' of {where} must be a positive number of seconds; got {value!r}."
        )
    return value


def load_bids_cohort(root: PathLike, atlas: PathLike | Any | None = None, *,
                     label: str = "Response", derivatives: str | PathLike | None = None,
                     task: str = "rest", space: str | None = None, groups: str | None = "study",
                     include_unlabelled: bool = False) -> Bunch:
    """Load a labelled resting-state cohort from a BIDS dataset (e.g. OpenNeuro ds000208).

    Reads ``participants.tsv`` (``n/a`` = missing), finds each participant's
    ``sub-XX/func/sub-XX_task-<task>_bold.nii.gz`` (sessions allowed) or, with
    ``derivatives``, the fMRIPrep ``*_task-<task>[_space-*]_desc-preproc_bold.nii.gz`` and
    its ``*_desc-confounds_timeseries.tsv``, and takes the repetition time from the JSON
    sidecars with BIDS inheritance (a run's own sidecar overrides the dataset-level
    ``task-<task>_bold.json``). Participants without a label are left out (and the count is
    logged) unless ``include_unlabelled``.

    Parameters
    ----------
    root : str or path-like
        The dataset's root directory.
    atlas : str, path-like or image, optional
        Labels atlas, returned as given for :class:`~skfmm.TimeSeriesExtractor`. When None
        and the tree was written by :func:`to_bids`, its ``derivatives/atlas`` image is used.
    label : str, default="Response"
        Column of participants.tsv holding the two classes.
    derivatives : None, "fmriprep" or path, default=None
        None reads the raw runs; "fmriprep" reads ``root/derivatives/fmriprep``; a path reads
        that fMRIPrep output directory.
    task : str, default="rest"
        BIDS task label.
    space : str, optional
        fMRIPrep ``space-`` entity to pick when several spaces exist.
    groups : str or None, default="study"
        Column returned as ``groups`` (for group-aware CV); None or a missing column gives
        None.
    include_unlabelled : bool, default=False
        Keep participants whose label is ``n/a`` (their ``y`` entry is missing: NaN for
        numeric labels, None otherwise); ``labelled`` marks the others.

    Returns
    -------
    cohort : Bunch
        ``images`` list of run paths (one per returned participant), ``confounds`` list of
        confounds-file paths or None, ``y`` ndarray of labels (integers when the column is
        integral), ``metadata`` DataFrame of the returned participants, ``groups``,
        ``labelled`` boolean mask, ``t_r`` (s), ``atlas``, ``coords`` (coordinates file of a
        :func:`to_bids` tree, else None), ``root``.

    Examples
    --------
    >>> import tempfile
    >>> from skfmm.datasets import make_pain_cohort, to_bids, load_bids_cohort
    >>> paths = to_bids(make_pain_cohort(4, n_regions=16, n_timepoints=20),
    ...                 tempfile.mkdtemp(), atlas_shape=(6, 7, 6))
    >>> cohort = load_bids_cohort(paths.root)
    >>> len(cohort.images), cohort.t_r, cohort.y.tolist()
    (4, 2.5, [1, 0, 0, 1])
    """
    if root is None or not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"'root' must be a path to a BIDS dataset; got {root!r}.")
    root = Path(os.fspath(root))
    if not root.is_dir():
        raise FileNotFoundError(f"'root': no BIDS dataset directory at '{root}'.")
    if not isinstance(task, str) or not re.fullmatch(r"[A-Za-z0-9]+", task):
        raise ValueError(f"'task' must be an alphanumeric BIDS task label; got {task!r}.")
    table = _read_participants(root)
    if label not in table:
        raise ValueError(
            f"'label': participants.tsv in '{root}' has no column {label!r}; available "
            f"columns: {list(table.columns)}."
        )
    labelled = table[label].notna().to_numpy()
    values = table.loc[labelled, label]
    classes = sorted(pd.unique(values).tolist(), key=str)
    if len(classes) != 2:
        raise ValueError(
            f"'label': column {label!r} must hold exactly two classes among the labelled "
            f"participants; got {len(classes)}: {classes[:10]}."
        )
    n_missing = int((~labelled).sum())
    if n_missing and not include_unlabelled:
        logger.warning(
            "load_bids_cohort: %d of %d participants have no %r label (n/a) and are left out.",
            n_missing, len(table), label,
        )
        table = table.loc[labelled].reset_index(drop=True)
        labelled = labelled[labelled]

    if derivatives is None:
        search_root = root
        pattern = re.compile(rf"sub-[^_]+(_ses-[^_]+)?_task-{re.escape(task)}(_[a-z]+-[^_]+)*_bold\.nii(\.gz)?")
    else:
        search_root = root / "derivatives" / "fmriprep" if derivatives == "fmriprep" else Path(
            os.fspath(derivatives)
        )
        if not search_root.is_dir():
            raise FileNotFoundError(f"'derivatives': no directory at '{search_root}'.")
        space_part = rf"_space-{re.escape(space)}" if space else r"(_space-[^_]+)?"
        pattern = re.compile(
            rf"sub-[^_]+(_ses-[^_]+)?_task-{re.escape(task)}(_run-[^_]+)?{space_part}"
            rf"(_res-[^_]+)?_desc-preproc_bold\.nii(\.gz)?"
        )

    images, confounds, t_rs = [], [], []
    for sub in table["participant_id"]:
        runs = _find_runs(search_root, sub, pattern)
        if not runs:
            raise FileNotFoundError(
                f"participant {sub} is in participants.tsv but has no run matching "
                f"'{pattern.pattern}' under '{search_root / sub}'."
            )
        if len(runs) > 1:
            raise ValueError(
                f"participant {sub} has {len(runs)} matching runs ({[r.name for r in runs]}); "
                "select one with 'task' or 'space'."
            )
        run = runs[0]
        images.append(str(run))
        meta, sources = _sidecar_metadata(run, search_root)
        if "RepetitionTime" not in meta and derivatives is not None:
            raw = _find_runs(root, sub, re.compile(
                rf"{sub}(_ses-[^_]+)?_task-{re.escape(task)}(_[a-z]+-[^_]+)*_bold\.nii(\.gz)?"
            ))
            if raw:
                meta, sources = _sidecar_metadata(raw[0], root)
        if "RepetitionTime" not in meta:
            raise ValueError(
                f"no RepetitionTime for {run.name}: no sidecar JSON with it applies "
                f"(searched up to '{search_root}'; found {sources or 'none'})."
            )
        t_rs.append(_repetition_time(meta, sources, run))
        if derivatives is not None:
            ents, _ = _entities(run.name)
            stem = "_".join(f"{k}-{ents[k]}" for k in ("sub", "ses", "task", "run") if k in ents)
            candidates = [run.parent / f"{stem}_desc-confounds_{kind}.tsv"
                          for kind in ("timeseries", "regressors")]
            found = [str(c) for c in candidates if c.is_file()]
            if not found:
                raise FileNotFoundError(
                    f"participant {sub}: no confounds file '{candidates[0].name}' beside "
                    f"'{run}'."
                )
            confounds.append(found[0])
    t_rs = np.asarray(t_rs)
    if not np.allclose(t_rs, t_rs[0]):
        distinct = {tr: [s for s, t in zip(table["participant_id"], t_rs) if t == tr][:5]
                    for tr in np.unique(t_rs)}
        raise ValueError(f"the repetition time differs across participants: {distinct}.")

    for column in table.columns:
        values = table[column]
        if (
            column != label and pd.api.types.is_float_dtype(values) and values.notna().all()
            and np.all(np.mod(values, 1) == 0)
        ):
            table[column] = values.astype(int)
    y_series = table[label]
    if pd.api.types.is_numeric_dtype(y_series):
        observed = y_series.dropna()
        if np.all(np.mod(observed, 1) == 0) and labelled.all():
            y = y_series.to_numpy().astype(int)
        elif np.all(np.mod(observed, 1) == 0):
            y = y_series.to_numpy(dtype=float)
        else:
            y = y_series.to_numpy()
    else:
        y = y_series.astype(object).where(y_series.notna(), None).to_numpy()
    group_values = (
        table[groups].to_numpy() if groups is not None and groups in table else None
    )
    coords = None
    if atlas is None and (root / "derivatives" / "atlas" / _ATLAS_NAME).is_file():
        atlas = str(root / "derivatives" / "atlas" / _ATLAS_NAME)
        coords = str(root / "derivatives" / "atlas" / _COORDS_NAME)
    return Bunch(
        images=images, confounds=confounds if derivatives is not None else None, y=y,
        metadata=table, groups=group_values, labelled=np.asarray(labelled, dtype=bool),
        t_r=float(t_rs[0]), atlas=atlas, coords=coords, root=str(root),
    )
