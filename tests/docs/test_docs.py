"""The docs build offline: shipped intersphinx inventories, and gallery examples that run."""

import posixpath
import runpy
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _conf():
    """docs/conf.py's settings, read without running Sphinx."""
    sys.path.insert(0, str(DOCS))
    try:
        return runpy.run_path(str(DOCS / "conf.py"))
    finally:
        sys.path.remove(str(DOCS))


@pytest.fixture(scope="module")
def conf():
    return _conf()


@pytest.mark.parametrize("project, name, role", [
    ("sklearn", "sklearn.pipeline.Pipeline", "py:class"),
    ("sklearn", "sklearn.model_selection.cross_validate", "py:function"),
    ("nilearn", "nilearn.connectome.ConnectivityMeasure", "py:class"),
    ("nilearn", "nilearn.connectome.sym_matrix_to_vec", "py:function"),
    ("skorch", "skorch.helper.SliceDict", "py:class"),
    ("skorch", "skorch.NeuralNetClassifier", "py:class"),
    ("torch", "torch.nn.Module", "py:class"),
    ("torch", "torch.nn.Linear", "py:class"),
    ("captum", "captum.attr.IntegratedGradients", "py:class"),
])
def test_intersphinx_inventories_are_shipped_and_resolve(conf, project, name, role):
    from sphinx.util.inventory import InventoryFile

    site, local = conf["intersphinx_mapping"][project]
    assert Path(local).is_file() and Path(local).parent == DOCS / "_intersphinx"
    with open(local, "rb") as f:
        inventory = InventoryFile.load(f, site, posixpath.join)
    data = inventory.data if hasattr(inventory, "data") else inventory
    entry = data[role][name]
    uri = entry.uri if hasattr(entry, "uri") else entry[2]
    assert uri.startswith(site) and name.rsplit(".", 1)[1] in uri


def test_every_intersphinx_target_is_local(conf):
    assert set(conf["intersphinx_mapping"]) == {"sklearn", "nilearn", "skorch", "torch",
                                                "captum"}
    for site, local in conf["intersphinx_mapping"].values():
        assert site.startswith("https://")
        assert isinstance(local, str) and not local.startswith("http")


EXAMPLES = sorted((DOCS / "examples").glob("plot_*.py"))
FIGURES = {"plot_quick_benchmark.py": 2, "plot_interpretation.py": 3,
           "plot_connectome_coefficients.py": 1}


def test_gallery_is_configured_with_the_examples(conf):
    gallery = conf["sphinx_gallery_conf"]
    assert gallery["examples_dirs"] == "examples" and gallery["abort_on_example_error"]
    assert {p.name for p in EXAMPLES} == set(FIGURES)
    assert "auto_examples/index" in (DOCS / "index.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_gallery_example_runs_and_draws(example, tmp_path, monkeypatch):
    from skfmm.utils.plotting import pyplot

    plt = pyplot()
    plt.close("all")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(example), run_name="__main__")
    assert len(plt.get_fignums()) == FIGURES[example.name]
    plt.close("all")
