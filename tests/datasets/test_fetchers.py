"""fetch_atlas_a424 against a local HTTP server (no network): pinned hashes, atomic writes."""

import functools
import hashlib
import http.server
import threading

import numpy as np
import pytest

import skfmm.datasets.fetchers as fetchers
from skfmm.datasets import fetch_atlas_a424, get_data_dir
from skfmm.datasets.atlas import write_coords_file


@pytest.fixture
def served(tmp_path):
    """The three A424 files (small stand-ins written here), served on 127.0.0.1."""
    root = tmp_path / "server"
    root.mkdir()
    coords = np.array([[10, -20, 30], [-10, -20, 30], [0, 40, -5]])
    write_coords_file(root / "A424_Coordinates.dat", coords)
    (root / "A424+2mm.nii.gz").write_bytes(b"two millimetre labels")
    (root / "A424.nii.gz").write_bytes(b"original labels")
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield dict(root=root, url=f"http://127.0.0.1:{server.server_address[1]}/",
                   coords=coords, requests=requests)
    finally:
        server.shutdown()
        server.server_close()


def _registry(root):
    return {name: (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
            for name in ("A424+2mm.nii.gz", "A424.nii.gz", "A424_Coordinates.dat")
            for path in [root / name]}


def test_fetch_downloads_verifies_and_reuses(served, tmp_path, monkeypatch):
    monkeypatch.setattr(fetchers, "A424_FILES", _registry(served["root"]))
    data_dir = tmp_path / "data"
    atlas = fetch_atlas_a424(data_dir, url=served["url"], verbose=0)
    assert atlas.maps == str(data_dir / "a424" / "A424+2mm.nii.gz")
    assert (data_dir / "a424" / "A424+2mm.nii.gz").read_bytes() == b"two millimetre labels"
    assert (data_dir / "a424" / "A424.nii.gz").read_bytes() == b"original labels"
    np.testing.assert_array_equal(atlas.region_coords, served["coords"])
    assert atlas.labels == ["Background", "A424_001", "A424_002", "A424_003"]
    assert "b591d88d0efffc0f059c73dfca1f293554795af1" in atlas.description
    # the '+' of the file name is URL-encoded
    assert sorted(served["requests"]) == ["/A424%2B2mm.nii.gz", "/A424.nii.gz",
                                          "/A424_Coordinates.dat"]
    # second call: nothing downloaded again
    fetch_atlas_a424(data_dir, url=served["url"], verbose=0)
    assert len(served["requests"]) == 3
    # a corrupted local copy is replaced by a verified download
    (data_dir / "a424" / "A424.nii.gz").write_bytes(b"damaged")
    fetch_atlas_a424(data_dir, url=served["url"], verbose=0)
    assert served["requests"][3:] == ["/A424.nii.gz"]
    assert (data_dir / "a424" / "A424.nii.gz").read_bytes() == b"original labels"


def test_wrong_hash_is_an_error_and_leaves_no_file(served, tmp_path, monkeypatch):
    registry = _registry(served["root"])
    size, _ = registry["A424.nii.gz"]
    registry["A424.nii.gz"] = (size, "0" * 64)
    monkeypatch.setattr(fetchers, "A424_FILES", registry)
    data_dir = tmp_path / "data"
    with pytest.raises(OSError, match=r"A424\.nii\.gz' does not match its pinned hash.*"
                                      r"sha256 0000"):
        fetch_atlas_a424(data_dir, url=served["url"], verbose=0)
    left = sorted(p.name for p in (data_dir / "a424").iterdir())
    assert "A424.nii.gz" not in left
    assert not [name for name in left if name.endswith(".part")]
    # a file longer than its pinned size is refused too
    registry = _registry(served["root"])
    registry["A424_Coordinates.dat"] = (5, registry["A424_Coordinates.dat"][1])
    monkeypatch.setattr(fetchers, "A424_FILES", registry)
    with pytest.raises(OSError, match="expected 5 bytes.*more than 5 bytes"):
        fetch_atlas_a424(data_dir, url=served["url"], verbose=0)
    assert not (data_dir / "a424" / "A424_Coordinates.dat").exists()


def test_data_dir_follows_nilearn_conventions(monkeypatch, tmp_path):
    monkeypatch.setenv("SKFMM_DATA", str(tmp_path / "env"))
    assert get_data_dir() == tmp_path / "env"
    assert get_data_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("SKFMM_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_dir() == tmp_path / "home" / "skfmm_data"


def test_pinned_registry_is_the_issued_one():
    # the URL pins the commit; the hashes are the ones published for it
    assert fetchers.BRAINLM_COMMIT in fetchers.A424_URL
    assert fetchers.A424_FILES["A424+2mm.nii.gz"] == (
        90086, "8478d7516a2bbf295989835d5033d03e4283143a2955c90428f634951702501b")
    assert fetchers.A424_FILES["A424_Coordinates.dat"][0] == 6236
