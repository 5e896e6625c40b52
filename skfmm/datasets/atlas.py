"""Parcellations and parcel coordinates: the A424 coordinates file format and labels atlases.

A coordinates file has one row per parcel, ``index x y z`` (MNI millimetres), separated by
tabs or spaces, as BrainLM's ``A424_Coordinates.dat``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["read_coords_file", "write_coords_file", "check_coords"]


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
