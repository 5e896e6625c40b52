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


# ---------------------------------------------------------------------- fetch_ds000208
@pytest.fixture
def bucket(tmp_path):
    """A tiny BIDS tree written by to_bids, served like OpenNeuro's S3 bucket (listing pages
    of 3 keys with continuation tokens, MD5 ETags) on 127.0.0.1."""
    import hashlib
    import urllib.parse
    from xml.sax.saxutils import escape

    from skfmm.datasets import make_pain_cohort, to_bids

    root = tmp_path / "bucket"
    to_bids(make_pain_cohort(4, n_regions=16, n_timepoints=20, random_state=0),
            root / "ds000208", atlas_shape=(6, 7, 6))
    (root / "ds000208" / "sub-01" / "anat").mkdir()
    (root / "ds000208" / "sub-01" / "anat" / "sub-01_T1w.nii.gz").write_bytes(b"t1w")
    keys = sorted(str(p.relative_to(root)).replace("\\", "/")
                  for p in (root / "ds000208").rglob("*") if p.is_file())
    bad_md5 = set()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            parsed = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(parsed.query)
            if query.get("list-type") == ["2"]:
                start = int(query.get("continuation-token", ["0"])[0])
                page = [k for k in keys if k.startswith(query["prefix"][0])][start:start + 3]
                more = start + 3 < len([k for k in keys if k.startswith(query["prefix"][0])])
                items = "".join(
                    f"<Contents><Key>{escape(k)}</Key><Size>{(root / k).stat().st_size}</Size>"
                    f"<ETag>&quot;{'0' * 32 if k in bad_md5 else hashlib.md5((root / k).read_bytes()).hexdigest()}&quot;</ETag></Contents>"
                    for k in page)
                body = ('<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                        f"{items}<IsTruncated>{'true' if more else 'false'}</IsTruncated>"
                        + (f"<NextContinuationToken>{start + 3}</NextContinuationToken>"
                           if more else "") + "</ListBucketResult>").encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            requests.append(parsed.path)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield dict(root=root, url=f"http://127.0.0.1:{server.server_address[1]}/",
                   bad_md5=bad_md5, requests=requests)
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_ds000208_gives_a_tree_load_bids_cohort_reads(bucket, tmp_path):
    from skfmm.datasets import fetch_ds000208, load_bids_cohort

    ds = fetch_ds000208(tmp_path / "data", url=bucket["url"], verbose=0)
    assert ds.root == str(tmp_path / "data" / "ds000208") and ds.subjects == [
        "01", "02", "03", "04"]
    cohort = load_bids_cohort(ds.root, atlas=str(bucket["root"] / "ds000208" / "derivatives"
                                                 / "atlas" / "atlas-simulated_dseg.nii.gz"))
    assert len(cohort.images) == 4 and cohort.t_r == 2.5
    for path in cohort.images:  # byte for byte what the bucket holds
        rel = path[len(ds.root) + 1:]
        assert open(path, "rb").read() == (bucket["root"] / "ds000208" / rel).read_bytes()
    # only top-level files and the subjects' func folders: no derivatives, no anat
    assert not (tmp_path / "data" / "ds000208" / "derivatives").exists()
    assert not (tmp_path / "data" / "ds000208" / "sub-01" / "anat").exists()
    n_requests = len(bucket["requests"])
    fetch_ds000208(tmp_path / "data", url=bucket["url"], verbose=0)  # nothing again
    assert len(bucket["requests"]) == n_requests


def test_fetch_ds000208_subjects_anat_and_errors(bucket, tmp_path):
    from skfmm.datasets import fetch_ds000208

    ds = fetch_ds000208(tmp_path / "d", subjects=["sub-01"], anat=True, url=bucket["url"],
                        verbose=0)
    assert ds.subjects == ["01"]
    top = tmp_path / "d" / "ds000208"
    assert sorted(p.name for p in top.iterdir() if p.is_dir()) == ["sub-01"]
    assert (top / "sub-01" / "anat" / "sub-01_T1w.nii.gz").read_bytes() == b"t1w"
    assert (top / "participants.tsv").is_file()
    with pytest.raises(ValueError, match=r"'subjects': \['99'\] are not in ds000208"):
        fetch_ds000208(tmp_path / "d", subjects=["99"], url=bucket["url"], verbose=0)
    bucket["bad_md5"].add("ds000208/participants.tsv")
    with pytest.raises(OSError, match=r"participants\.tsv' does not match.*md5 0000"):
        fetch_ds000208(tmp_path / "e", subjects=["02"], url=bucket["url"], verbose=0)
    assert not (tmp_path / "e" / "ds000208" / "participants.tsv").exists()
