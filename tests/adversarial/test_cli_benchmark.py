"""`skfmm benchmark` with bad arguments: refused before anything is built or written."""

import os

import pytest
import torch

from skfmm.cli import main


def _refused(argv, out, monkeypatch):
    """Run the command; nothing may be built (demo model, cohort) nor written to ``out``."""
    import skfmm.benchmark.run as run

    def forbidden(*args, **kwargs):  # pragma: no cover - reached only when the check fails
        raise AssertionError("run_benchmark started before the arguments were checked")

    monkeypatch.setattr(run, "run_benchmark", forbidden)
    import contextlib
    import io

    before = os.path.exists(out) and sorted(os.listdir(out)) if os.path.isdir(out) else None
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["benchmark", "--quiet", "--out", str(out), *argv])
    after = sorted(os.listdir(out)) if os.path.isdir(out) else None
    assert after == before
    # an input error: one line "skfmm benchmark: error: ...", exit status 1
    assert status == 1
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skfmm benchmark: error: "), lines
    return lines[0]


def test_n_jobs_zero(tmp_path, monkeypatch):
    message = _refused(["--n-jobs", "0"], tmp_path / "out", monkeypatch)
    assert "--n-jobs" in message and "got 0" in message


def test_too_few_subjects_for_the_folds(tmp_path, monkeypatch):
    message = _refused(["--n-subjects", "4"], tmp_path / "out", monkeypatch)
    assert "--n-subjects" in message and "got 4" in message


def test_out_is_a_file(tmp_path, monkeypatch):
    out = tmp_path / "results.txt"
    out.write_text("keep me")
    message = _refused([], out, monkeypatch)
    assert "--out" in message and str(out) in message
    assert out.read_text() == "keep me"


def test_cuda_device_on_a_cpu_only_torch(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    message = _refused(["--device", "cuda"], tmp_path / "out", monkeypatch)
    assert "--device cuda" in message and "no usable CUDA" in message


def test_unknown_device(tmp_path, monkeypatch):
    message = _refused(["--device", "gpu0"], tmp_path / "out", monkeypatch)
    assert "--device" in message and "'gpu0'" in message


def test_missing_bids_folder_is_checked_before_the_model(tmp_path, monkeypatch):
    import skfmm.foundation.registry as registry

    def no_model(*args, **kwargs):  # pragma: no cover - reached only when the check fails
        raise AssertionError("the foundation model was loaded before --bids was checked")

    monkeypatch.setattr(registry, "load_foundation_model", no_model)
    missing = tmp_path / "no-such-dataset"
    message = _refused(["--bids", str(missing), "--label", "Response"], tmp_path / "out",
                       monkeypatch)
    assert "--bids" in message and str(missing) in message


def test_bids_folder_without_participants(tmp_path, monkeypatch):
    (tmp_path / "ds").mkdir()
    message = _refused(["--bids", str(tmp_path / "ds"), "--label", "Response"],
                       tmp_path / "out", monkeypatch)
    assert "participants.tsv" in message
