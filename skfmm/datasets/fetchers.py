"""Downloaders in nilearn's style (``data_dir``, ``SKFMM_DATA``, ``~/skfmm_data``, a Bunch):
pinned URLs, size + sha256 checked, atomic writes; nothing downloads on import."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from sklearn.utils import Bunch

__all__ = ["fetch_atlas_a424", "get_data_dir", "A424_FILES", "BRAINLM_COMMIT", "A424_URL"]

#: The commit of github.com/vandijklab/BrainLM the A424 files are taken from.
BRAINLM_COMMIT = "b591d88d0efffc0f059c73dfca1f293554795af1"

#: Where they are downloaded from (``github.com/<repo>/raw/<commit>/...`` also serves files
#: kept in Git LFS).
A424_URL = f"https://github.com/vandijklab/BrainLM/raw/{BRAINLM_COMMIT}/toolkit/atlases/"

#: File name -> (size in bytes, sha256), at :data:`BRAINLM_COMMIT`.
A424_FILES = {
    "A424+2mm.nii.gz": (90086, "8478d7516a2bbf295989835d5033d03e4283143a2955c90428f634951702501b"),
    "A424.nii.gz": (86246, "3dcb363bcfaae7cde7fce44df40f861a2901bc9d37bbfec1b0abf9b7199659c6"),
    "A424_Coordinates.dat": (6236, "cdad8f8859c211b1400211ebbad455dedcc4399ac14fd614354fb71b110c892c"),
}

_A424_DESCRIPTION = """\
A424 parcellation (424 parcels) as used by BrainLM (Caro et al., ICLR 2024)
==========================================================================
Parcels 1-180: right-hemisphere cortex (HCP-MMP), 181-360: left-hemisphere cortex,
361-424: subcortical and cerebellar regions. Origin: emergelab/hierarchical-brain-networks
(GPL-3.0); files taken from github.com/vandijklab/BrainLM, toolkit/atlases/, at commit
{commit}.

maps: A424+2mm.nii.gz, the labels image on the 2 mm MNI grid (the grid BrainLM's toolkit
extracts with; resample the BOLD runs or the atlas to a common grid before extraction).
maps_original: A424.nii.gz, the repository's other copy of the parcellation.
region_coords: A424_Coordinates.dat, one row "index x y z" (MNI mm) per parcel, the
coordinates the released BrainLM was pretrained with (close to, not equal to, the parcel
centroids). Pass them as coords= to TimeSeriesExtractor with the released weights.
"""


def get_data_dir(data_dir=None):
    """The skfmm data folder: ``data_dir``, else ``$SKFMM_DATA``, else ``~/skfmm_data``.

    Examples
    --------
    >>> import os
    >>> from skfmm.datasets import get_data_dir
    >>> str(get_data_dir("/tmp/somewhere"))
    '/tmp/somewhere'
    """
    if data_dir is not None:
        return Path(os.fspath(data_dir)).expanduser()
    env = os.environ.get("SKFMM_DATA")
    if env:
        return Path(env).expanduser()
    return Path("~/skfmm_data").expanduser()


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _matches(path, size, sha256):
    return path.is_file() and path.stat().st_size == size and _sha256(path) == sha256


def _download(url, target, size, sha256, *, timeout, verbose):
    """Download ``url`` to ``target`` atomically, refusing a wrong size or sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        n_bytes = 0
        if verbose:
            print(f"Downloading {url} ...", file=sys.stderr)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            for block in iter(lambda: resp.read(1 << 16), b""):
                n_bytes += len(block)
                if n_bytes > size:
                    break
                digest.update(block)
                out.write(block)
        if n_bytes != size or digest.hexdigest() != sha256:
            got = (f"more than {size} bytes" if n_bytes > size
                   else f"{n_bytes} bytes, sha256 {digest.hexdigest()}")
            raise OSError(
                f"download of '{url}' does not match its pinned hash: expected {size} bytes, "
                f"sha256 {sha256}; got {got}. Nothing was written to '{target}'. A proxy "
                "page, a truncated transfer or a changed file upstream; retry, or pass url= "
                "a mirror with the same files."
            )
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def fetch_atlas_a424(data_dir=None, *, url=None, timeout=60, verbose=1):
    """Download (once) BrainLM's A424 parcellation and its coordinates file.

    The three files of ``toolkit/atlases/`` in github.com/vandijklab/BrainLM at the pinned
    commit :data:`BRAINLM_COMMIT` (:data:`A424_FILES`: size and sha256 of each) are
    downloaded into ``<data_dir>/a424/`` and verified; a file already there with the right
    hash is not downloaded again, one with a wrong hash is replaced. A download whose size
    or sha256 differs is an ``OSError`` and leaves no file behind.

    Parameters
    ----------
    data_dir : str or path, optional
        Where skfmm keeps data: this folder, else the ``SKFMM_DATA`` environment variable,
        else ``~/skfmm_data``.
    url : str, optional
        Base URL to download from instead of :data:`A424_URL` (a mirror serving the same
        files; they are checked against the same hashes).
    timeout : float, default=60
        Seconds to wait for the server.
    verbose : int, default=1
        Print each download to stderr.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``maps`` (path of ``A424+2mm.nii.gz``, the labels image on the 2 mm MNI grid),
        ``maps_original`` (path of ``A424.nii.gz``), ``coords_file`` (path of
        ``A424_Coordinates.dat``), ``region_coords`` (ndarray of shape (424, 3), MNI mm,
        in parcel order), ``labels`` (``"Background"`` then one name per parcel,
        ``"A424_001"``...; BrainLM ships no parcel names), ``description``.

    Examples
    --------
    >>> from skfmm.datasets import fetch_atlas_a424
    >>> # atlas = fetch_atlas_a424()  # downloads 180 kB once
    >>> # ext = TimeSeriesExtractor(atlas=atlas.maps, coords=atlas.region_coords, ...)
    """
    from skfmm.datasets.atlas import read_coords_file

    folder = get_data_dir(data_dir) / "a424"
    base = A424_URL if url is None else str(url)
    if not base.endswith("/"):
        base += "/"
    paths = {}
    for name, (size, sha256) in A424_FILES.items():
        target = folder / name
        if not _matches(target, size, sha256):
            _download(base + urllib.parse.quote(name), target, size, sha256,
                      timeout=timeout, verbose=verbose)
        paths[name] = target
    coords = read_coords_file(paths["A424_Coordinates.dat"])
    labels = ["Background"] + [f"A424_{i:03d}" for i in range(1, len(coords) + 1)]
    return Bunch(
        maps=str(paths["A424+2mm.nii.gz"]),
        maps_original=str(paths["A424.nii.gz"]),
        coords_file=str(paths["A424_Coordinates.dat"]),
        region_coords=coords,
        labels=labels,
        description=_A424_DESCRIPTION.format(commit=BRAINLM_COMMIT),
    )
