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
from ..utils._docs import fill_doc

__all__ = ["fetch_atlas_a424", "fetch_ds000208", "get_data_dir", "A424_FILES", "BRAINLM_COMMIT",
           "A424_URL", "OPENNEURO_S3_URL"]

#: The commit of github.com/vandijklab/BrainLM the A424 files are taken from.
BRAINLM_COMMIT = "b591d88d0efffc0f059c73dfca1f293554795af1"

#: Where they are downloaded from (``github.com/<repo>/raw/<commit>/...`` also serves files
#: kept in Git LFS).
A424_URL = f"https://github.com/vandijklab/BrainLM/raw/{BRAINLM_COMMIT}/toolkit/atlases/"

#: OpenNeuro's public S3 bucket (the datasets' latest snapshots), read without credentials.
OPENNEURO_S3_URL = "https://s3.amazonaws.com/openneuro.org/"

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


def _download(url, target, size, sha256, *, timeout, verbose, algorithm="sha256"):
    """Download ``url`` to ``target`` atomically, refusing a wrong size or hash.

    ``sha256`` is the expected hex digest of ``algorithm`` (None: the size alone is checked).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        digest = hashlib.new(algorithm)
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
        if n_bytes != size or (sha256 is not None and digest.hexdigest() != sha256):
            got = (f"more than {size} bytes" if n_bytes > size
                   else f"{n_bytes} bytes, {algorithm} {digest.hexdigest()}")
            raise OSError(
                f"download of '{url}' does not match its pinned hash: expected {size} bytes, "
                f"{algorithm} {sha256}; got {got}. Nothing was written to '{target}'. A proxy "
                "page, a truncated transfer or a changed file upstream; retry, or pass url= "
                "a mirror with the same files."
            )
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@fill_doc
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
    %(verbose)s
        1 prints each download to stderr.

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


_S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _s3_list(base, prefix, timeout):
    """(key, size, md5 or None) of every object under ``prefix`` (S3 ListObjectsV2, paged)."""
    import xml.etree.ElementTree as ET

    entries, token = [], None
    while True:
        query = {"list-type": "2", "prefix": prefix}
        if token:
            query["continuation-token"] = token
        url = base + "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            root = ET.fromstring(resp.read())
        for item in root.iter(f"{_S3_NS}Contents"):
            etag = item.findtext(f"{_S3_NS}ETag", "").strip('"')
            # a multipart upload's ETag ("<hex>-<parts>") is not the file's md5
            md5 = etag if len(etag) == 32 and "-" not in etag else None
            entries.append((item.findtext(f"{_S3_NS}Key"),
                            int(item.findtext(f"{_S3_NS}Size")), md5))
        if root.findtext(f"{_S3_NS}IsTruncated") != "true":
            return entries
        token = root.findtext(f"{_S3_NS}NextContinuationToken")


@fill_doc
def fetch_ds000208(data_dir=None, *, subjects=None, anat=False, url=None, timeout=60,
                   verbose=1):
    """Download OpenNeuro ds000208 (or some of its subjects) from OpenNeuro's public S3 bucket.

    Lists ``s3://openneuro.org/ds000208/`` anonymously (the dataset's latest snapshot) and
    downloads the top-level files (``participants.tsv``, ``task-rest_bold.json``...) and the
    ``func`` folders (``anat`` too with ``anat=True``) of the chosen subjects into
    ``<data_dir>/ds000208/``, each checked against the size, and the md5 when the bucket's
    ETag is one, that the listing gives, and written atomically. A file already there with
    the listed size is not downloaded again. The whole dataset's runs are a few GB.

    Parameters
    ----------
    data_dir : str or path, optional
        Where skfmm keeps data: this folder, else ``SKFMM_DATA``, else ``~/skfmm_data``.
    subjects : list of str, optional
        Participant labels (``"21"`` or ``"sub-21"``); None: all of them.
    anat : bool, default=False
        Also download the T1w images (fMRIPrep needs them).
    url : str, optional
        Base URL of the bucket instead of :data:`OPENNEURO_S3_URL` (a mirror answering the
        same listing requests).
    timeout : float, default=60
    %(verbose)s
        1 prints each download to stderr.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``root`` (the BIDS folder, for :func:`~skfmm.datasets.load_bids_cohort`),
        ``subjects`` (the labels downloaded), ``files`` (paths written or found),
        ``description``.

    Examples
    --------
    >>> from skfmm.datasets import fetch_ds000208
    >>> # ds = fetch_ds000208(subjects=["21", "22"], anat=True)  # downloads
    >>> # then fMRIPrep on ds.root (docs/ds000208.md)
    """
    base = OPENNEURO_S3_URL if url is None else str(url)
    if not base.endswith("/"):
        base += "/"
    prefix = "ds000208/"
    entries = _s3_list(base, prefix, timeout)
    if not entries:
        raise OSError(f"fetch_ds000208: the listing of '{base}' under '{prefix}' is empty.")
    available = sorted({k[len(prefix):].split("/")[0][4:] for k, _, _ in entries
                        if k[len(prefix):].startswith("sub-") and "/" in k[len(prefix):]})
    if subjects is None:
        chosen = available
    else:
        if isinstance(subjects, str) or not hasattr(subjects, "__iter__"):
            raise TypeError(f"'subjects' must be a list of participant labels; got "
                            f"{type(subjects).__name__}.")
        chosen = [str(s)[4:] if str(s).startswith("sub-") else str(s) for s in subjects]
        unknown = [s for s in chosen if s not in available]
        if unknown:
            raise ValueError(f"'subjects': {unknown} are not in ds000208 (participants: "
                             f"{available[0]} ... {available[-1]}).")
    folders = ("func", "anat") if anat else ("func",)
    wanted = []
    for key, size, md5 in entries:
        rel = key[len(prefix):]
        parts = rel.split("/")
        if not rel or rel.endswith("/") or ".." in parts:
            continue
        if len(parts) == 1 or (len(parts) == 3 and parts[0][4:] in chosen
                               and parts[0].startswith("sub-") and parts[1] in folders):
            wanted.append((rel, size, md5))
    folder = get_data_dir(data_dir) / "ds000208"
    files = []
    for rel, size, md5 in wanted:
        target = folder.joinpath(*rel.split("/"))
        if not (target.is_file() and target.stat().st_size == size):
            _download(base + urllib.parse.quote(prefix + rel), target, size, md5,
                      timeout=timeout, verbose=verbose, algorithm="md5")
        files.append(str(target))
    return Bunch(
        root=str(folder), subjects=list(chosen), files=files,
        description=("OpenNeuro ds000208 (Tetreault et al., PLoS Biology 2016; CC0; DOI "
                     "10.18112/openneuro.ds000208.v1.0.1), from OpenNeuro's public S3 bucket."),
    )
