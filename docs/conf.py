"""Sphinx configuration of the skfmm documentation (built with -W: warnings are errors)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "skfmm"
author = "skfmm developers"
copyright = "2026, skfmm developers"
from skfmm import __version__ as release  # noqa: E402

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
autosummary_generate = True
# autosummary writes a page per listed object and never removes one: a page left by an earlier
# build for a name that moved (e.g. skfmm.benchmark.run.run_environment) would fail the -W
# build as "not included in any toctree". Start each build from the current listing.
import shutil  # noqa: E402

shutil.rmtree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "api", "generated"),
              ignore_errors=True)
# scikit-learn's generated metadata-routing setters point at its own glossary.
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    "exclude-members": ",".join(
        f"set_{m}_request" for m in
        ("fit", "transform", "predict", "predict_proba", "score", "partial_fit",
         "inverse_transform", "decision_function", "split")
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
myst_heading_anchors = 3
exclude_patterns = ["_build", "api/generated/*.examples", "examples/README.txt",
                    "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
html_theme = "alabaster"
# Links to the libraries' sites, resolved from small inventories shipped in _intersphinx/
# (written by _intersphinx/make_inventories.py from the installed packages): the build
# never goes to the network, and a name missing from them is plain text (nitpicky=False).
_INV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_intersphinx")
intersphinx_mapping = {
    name: (site, os.path.join(_INV, f"{name}-objects.inv"))
    for name, site in {
        "sklearn": "https://scikit-learn.org/stable/",
        "nilearn": "https://nilearn.github.io/stable/",
        "skorch": "https://skorch.readthedocs.io/en/stable/",
        "torch": "https://docs.pytorch.org/docs/stable/",
        "captum": "https://captum.ai/api/",
    }.items()
}

# The gallery: examples/plot_*.py are executed at every build where they changed (sphinx-gallery
# keeps an md5 of each next to its output in auto_examples/, so an unchanged example is not
# rerun); toy sizes keep a fresh build of the whole gallery around a minute on 2 cores.
# Two threads at most: the build shares the machine.
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

torch.set_num_threads(min(2, torch.get_num_threads()))
threadpool_limits(2)
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "reference_url": {"skfmm": None},
    "min_reported_time": 1,
}
suppress_warnings = ["myst.header", "autosummary.import_cycle"]
nitpicky = False


def _plain_foreign_refs(app, what, name, obj, options, lines):
    """Docstrings inherited from scikit-learn / skorch link to their own sites' labels and
    glossary; render those roles as plain text (the shipped inventories hold Python objects
    only, and the build never fetches the full ones)."""
    import re

    pattern = re.compile(r":(?:ref|term):`([^`<]*?)(?:\s*<[^>]*>)?`")
    lines[:] = [pattern.sub(lambda m: m.group(1).strip() or "", line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _plain_foreign_refs)
