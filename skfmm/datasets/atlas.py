"""Parcellations and parcel coordinates: the A424 coordinates file format and labels atlases.

A coordinates file has one row per parcel, ``index x y z`` (MNI millimetres), separated by
tabs or spaces, as BrainLM's ``A424_Coordinates.dat``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..utils.validation import check_real

__all__ = ["read_coords_file", "write_coords_file", "check_coords", "make_labels_atlas"]


def read_coords_file(path):
    """Read a parcel coordinates file in the A424 format (``index x y z`` rows).

    Parameters
    ----------
    path : str or path-like
        The file. Rows may be separated by tabs or spaces; blank lines and lines starting
        with ``#`` are ignored. The index column gives the row order (1-based or 0-based).

    Returns
    -------
    coords : ndarray of shape (n_regions, 3)
        MNI coordinates in millimetres, ordered by the index column.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> from skfmm.datasets.atlas import read_coords_file, write_coords_file
    >>> path = os.path.join(tempfile.mkdtemp(), "coords.dat")
    >>> write_coords_file(path, np.array([[10, -20, 30], [-10, -20, 30]]))
    >>> read_coords_file(path)
    array([[ 10., -20.,  30.],
           [-10., -20.,  30.]])
    """
    path = Path(os.fspath(path))
    if not path.is_file():
        raise FileNotFoundError(f"coords: no coordinates file at '{path}'.")
    rows = []
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 4:
            raise ValueError(
                f"coords: line {lineno} of '{path}' must have 4 fields 'index x y z'; "
                f"got {len(fields)}: {line!r}."
            )
        try:
            rows.append([float(f) for f in fields])
        except ValueError as exc:
            raise ValueError(
                f"coords: line {lineno} of '{path}' is not numeric: {line!r}."
            ) from exc
    if not rows:
        raise ValueError(f"coords: '{path}' holds no coordinate rows.")
    table = np.asarray(rows)
    order = np.argsort(table[:, 0], kind="stable")
    index = table[order, 0]
    if len(np.unique(index)) != len(index):
        raise ValueError(f"coords: '{path}' repeats a parcel index.")
    return table[order, 1:4]


def write_coords_file(path, coords):
    """Write ``coords`` (n_regions, 3) as an A424-style file with 1-based indices.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> from skfmm.datasets.atlas import write_coords_file
    >>> write_coords_file(os.path.join(tempfile.mkdtemp(), "c.dat"), np.zeros((2, 3)))
    """
    coords = check_coords(coords)
    with open(path, "w") as fh:
        for i, (x, y, z) in enumerate(coords, start=1):
            fh.write(f"{i}\t{x:g}\t{y:g}\t{z:g}\n")


def check_coords(coords, n_regions=None, *, argument="coords"):
    """Validate an ``(n_regions, 3)`` coordinate array (finite), or read it from a file."""
    if isinstance(coords, (str, os.PathLike)):
        coords = read_coords_file(coords)
    arr = np.asarray(coords, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(
            f"'{argument}' must be an array of shape (n_regions, 3) or a coordinates file; "
            f"got an array of shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"'{argument}' contains NaN or infinite values.")
    if n_regions is not None and arr.shape[0] != n_regions:
        raise ValueError(
            f"'{argument}' has {arr.shape[0]} rows but the data have {n_regions} regions; "
            f"give one coordinate row per region (atlas label)."
        )
    return arr


def _grid_affine(coords, shape, voxel_size, margin):
    """An axis-aligned affine and shape of a grid covering ``coords`` plus ``margin`` mm."""
    low = coords.min(axis=0) - margin
    high = coords.max(axis=0) + margin
    extent = high - low
    if shape is None:
        size = np.full(3, 8.0 if voxel_size is None else float(voxel_size))
        shape = tuple(int(n) for n in np.ceil(extent / size).astype(int) + 1)
    else:
        shape = tuple(int(n) for n in shape)
        size = extent / np.maximum(np.array(shape) - 1, 1) if voxel_size is None else np.full(
            3, float(voxel_size)
        )
    centre = (low + high) / 2
    origin = centre - size * (np.array(shape) - 1) / 2
    affine = np.diag([*size, 1.0])
    affine[:3, 3] = origin
    return shape, affine


def make_labels_atlas(coords, *, shape=None, affine=None, voxel_size=None, radius=None):
    """Build a labels atlas image (labels 1..R) whose parcel ``i + 1`` surrounds ``coords[i]``.

    Every voxel within ``radius`` mm of a parcel coordinate goes to the nearest parcel (a
    brain-shaped union of balls around the parcels, a Voronoi tiling inside it); each parcel
    first receives the free voxel nearest to its coordinate, so no label is empty. Voxels
    elsewhere are background (0).

    Parameters
    ----------
    coords : array-like of shape (n_regions, 3) or path
        Parcel coordinates in millimetres (world space of the image), or an A424-style
        coordinates file.
    shape : tuple of 3 ints, optional
        Grid shape. Without ``affine`` the grid is centred on the coordinates and, unless
        ``voxel_size`` is given, its voxels are sized to cover them plus ``radius``.
    affine : ndarray of shape (4, 4), optional
        Voxel-to-millimetre affine; requires ``shape``.
    voxel_size : float, optional
        Isotropic voxel size in mm when ``affine`` is not given (8 mm if neither it nor
        ``shape`` is given).
    radius : float, optional
        Distance in mm from the nearest parcel coordinate within which voxels belong to the
        brain; default 1.2 times the median nearest-neighbour distance between parcels, at
        least one voxel diagonal.

    Returns
    -------
    atlas : nibabel.Nifti1Image
        3-D int32 image with labels ``1 .. n_regions`` (0 = background).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.datasets.atlas import make_labels_atlas
    >>> img = make_labels_atlas(np.array([[-30.0, 0, 0], [30.0, 0, 0]]), shape=(6, 4, 4))
    >>> sorted(np.unique(np.asarray(img.dataobj)).tolist())
    [0, 1, 2]
    """
    import nibabel as nib

    coords = check_coords(coords)
    n_regions = len(coords)
    if shape is not None:
        if len(tuple(shape)) != 3 or any(int(n) < 1 for n in shape):
            raise ValueError(f"'shape' must be three positive integers; got {shape!r}.")
    if affine is not None:
        if shape is None:
            raise ValueError("'affine' requires 'shape' (the grid it maps); got shape=None.")
        affine = np.asarray(affine, dtype=float)
        if affine.shape != (4, 4):
            raise ValueError(f"'affine' must be a 4x4 array; got shape {affine.shape}.")
    if voxel_size is not None:
        check_real(voxel_size, "voxel_size", 0.0, low_open=True, kind="a positive number of mm",
                   bounds="a positive number of mm")
    if n_regions > 1:
        d = np.sqrt(np.sum((coords[:, None] - coords[None]) ** 2, axis=2))
        np.fill_diagonal(d, np.inf)
        spacing = float(np.median(d.min(axis=1)))
    else:
        spacing = 10.0
    if radius is None:
        radius = 1.2 * spacing
        margin = radius
    else:
        radius = check_real(radius, "radius", 0.0, low_open=True, kind="a positive number of mm",
                            bounds="a positive number of mm")
        margin = radius
    if affine is None:
        shape, affine = _grid_affine(coords, shape, voxel_size, margin)
    shape = tuple(int(n) for n in shape)
    if radius is not None:
        radius = max(radius, float(np.linalg.norm(np.linalg.norm(affine[:3, :3], axis=0))) / 2)
    ijk = np.indices(shape).reshape(3, -1).T
    xyz = ijk @ affine[:3, :3].T + affine[:3, 3]
    d2 = (
        np.sum(xyz**2, axis=1)[:, None] - 2 * xyz @ coords.T + np.sum(coords**2, axis=1)[None]
    )
    nearest = np.argmin(d2, axis=1)
    inside = np.sqrt(np.maximum(d2[np.arange(len(xyz)), nearest], 0)) <= radius
    labels = np.where(inside, nearest + 1, 0).astype(np.int32)
    # Guarantee every parcel a voxel: its nearest voxel not already claimed this way.
    claimed = np.zeros(len(xyz), dtype=bool)
    order = np.argsort(d2.min(axis=0))
    for region in order:
        candidates = np.argsort(d2[:, region])
        for voxel in candidates[:64]:
            if not claimed[voxel]:
                break
        else:
            free = np.flatnonzero(~claimed)
            if free.size == 0:
                raise ValueError(
                    f"'shape' {shape} has {len(xyz)} voxels, fewer than the {n_regions} "
                    "parcels; use a larger grid or a smaller 'voxel_size'."
                )
            voxel = free[np.argmin(d2[free, region])]
        claimed[voxel] = True
        labels[voxel] = region + 1
    if len(np.unique(labels[labels > 0])) != n_regions:
        raise ValueError(
            f"the grid {shape} is too coarse for {n_regions} parcels; use a larger 'shape' "
            "or a smaller 'voxel_size'."
        )
    header = nib.Nifti1Header()
    header.set_data_dtype(np.int32)
    header.set_xyzt_units("mm")
    image = nib.Nifti1Image(labels.reshape(shape), affine, header)
    image.header.set_qform(affine, code=4)
    image.header.set_sform(affine, code=4)
    return image
