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
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
autosummary_generate = True
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
exclude_patterns = ["_build", "api/generated/*.examples"]
html_theme = "alabaster"
intersphinx_mapping = {}
suppress_warnings = ["myst.header", "autosummary.import_cycle"]
nitpicky = False


def _plain_foreign_refs(app, what, name, obj, options, lines):
    """Docstrings inherited from scikit-learn / skorch link to their own sites' labels and
    glossary; render those roles as plain text (this build has no network for intersphinx)."""
    import re

    pattern = re.compile(r":(?:ref|term):`([^`<]*?)(?:\s*<[^>]*>)?`")
    lines[:] = [pattern.sub(lambda m: m.group(1).strip() or "", line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _plain_foreign_refs)
