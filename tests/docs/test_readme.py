"""The README's first example runs as written, and the docs name files one way."""

import re
import shlex
from pathlib import Path

import joblib
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def _blocks(text, language):
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """Execute the README's first Python block in an empty folder, as a reader would."""
    import os

    code = _blocks(README.read_text(), "python")[0]
    folder = tmp_path_factory.mktemp("readme")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        namespace = {"__name__": "__readme__"}
        exec(compile(code, str(README), "exec"), namespace)
    finally:
        os.chdir(cwd)
    return folder, namespace


def test_readme_first_example_runs_and_writes_what_interpret_reads(readme_run):
    from skfmm import FMMTCClassifier

    folder, ns = readme_run
    # every name the example uses is defined by the example itself
    assert len(ns["bold_images"]) == len(ns["y"]) == 24
    clf = joblib.load(folder / "model.joblib")
    assert isinstance(clf, FMMTCClassifier)
    with np.load(folder / "pain.npz") as f:
        assert {"ts", "xyz", "fc", "study"} <= set(f.files)
        assert f["ts"].shape == (24, 40, 20) and f["fc"].shape == (24, 20, 20)
        assert len(f["study"]) == 24
    images = [folder / p for p in ns["bold_images"][:3]]
    assert ns["model"].predict_proba(images).shape == (3, 2)


@pytest.mark.slow
def test_readme_interpret_command_runs_on_the_example_files(readme_run, capsys):
    from skfmm.cli import main

    folder, _ = readme_run
    line = next(b for b in _blocks(README.read_text(), "bash") if "skfmm interpret" in b)
    words = shlex.split(line.strip())
    assert words[:2] == ["skfmm", "interpret"]
    out = folder / "figs"
    args = [w if w != "figs" else str(out) for w in words[2:]]
    args = [str(folder / w) if w in ("model.joblib", "pain.npz") else w for w in args]
    assert main(["interpret", *args, "--n-boot", "50", "--n-steps", "8"]) == 0
    for name in ("modality_shares.png", "region_importance.png", "top_edges.png",
                 "modality_shares_by_group.csv"):
        assert (out / name).is_file()


def test_one_coordinates_file_name_in_readme_and_docs():
    texts = [README.read_text()] + [p.read_text() for p in (ROOT / "docs").glob("*.md")]
    names = set()
    for text in texts:
        names.update(re.findall(r"A424_\w+\.\w+", text))
    assert names == {"A424_Coordinates.dat"}


def test_license_matches_pyproject():
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "BSD-3-Clause"  # an SPDX expression (PEP 639)
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license-files"] == [
        "LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License")
    assert "Neither the name of the copyright holder" in text


def test_readme_warns_about_the_scikit_fmm_name_clash():
    text = README.read_text()
    assert "scikit-fmm" in text and "cannot be installed" in text
    assert (ROOT / "CHANGELOG.md").read_text().startswith("# Changelog")
