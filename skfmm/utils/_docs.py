"""Shared parameter documentation: one wording per parameter that many objects take.

The pattern is nilearn's (``nilearn._utils.docs``, itself from MNE): :data:`docdict` holds the
numpydoc entry of each shared parameter (its ``name : type, default`` line and description) and
the :func:`fill_doc` decorator replaces each ``%(key)s`` placeholder of a docstring with the
entry, at import. Sphinx's autodoc, ``help()`` and numpydoc read ``__doc__`` and so see the
filled text.

Write a placeholder on a line of its own, indented like the other parameter names::

    @fill_doc
    def embed(model, ts, xyz, pooling="cls", ...):
        '''Embed time series with a frozen BrainLM.

        Parameters
        ----------
        %(pooling)s
        %(verbose0)s
            What is specific to this function, in its own words, below the shared entry
            (indented like the entry's description: it continues that paragraph).
        '''

Unlike nilearn's, this :func:`fill_doc` only touches ``%(key)s`` placeholders (a ``%`` elsewhere
in the docstring needs no escaping), and indents the entry's continuation lines like the line
that holds the placeholder, so a placeholder works at any indentation. An unknown key raises at
import, so a typo cannot reach the documentation.

Keys that differ only by their default carry it as a suffix (``verbose0``: default 0,
``verbose``: default 1), as nilearn does. Where the accepted types or the default genuinely
differ from one object to another, the entry is the description alone (a key ending in
``_desc``), written under the object's own ``name : type, default`` line::

    foundation_model : "demo", str path, hub id or BrainLM, default="demo"
        %(foundation_model_desc)s
 Add an entry here when a parameter is documented alike
in two or more places; ``tests/utils/test_docs.py`` checks that every entry is used at least
twice and that no placeholder is left unfilled in the package.
"""

from __future__ import annotations

import re
from typing import TypeVar

__all__ = ["docdict", "fill_doc"]

T = TypeVar("T")

docdict: dict[str, str] = {}

# Entries in alphabetical order. Each is a whole numpydoc parameter entry without indentation
# (the description indented by four spaces); fill_doc indents it where it is used.

docdict["X_explained"] = """\
X : MultimodalData or what the pipeline takes
    Subjects to explain."""

docdict["axes_scenarios"] = """\
axes : sequence of matplotlib Axes, optional
    One per scenario, to draw into (e.g. from the caller's ``plt.subplots``)."""

docdict["background"] = """\
background : MultimodalData or what the pipeline takes, optional
    The training data, for ``baseline="mean"``."""

docdict["baseline_inputs"] = """\
baseline : {"zeros", "mean"} or dict, default="zeros"
    Start of the integration path in input space. ``"zeros"``: zero time series (the parcel
    mean for z-scored windows) and a zero matrix. ``"mean"``: the mean time series and mean
    matrix of ``background`` (the training data). A dict ``{"ts": (window, R), "fc": (R, R)}``
    (or with a leading subject axis)."""

docdict["batch_size"] = """\
batch_size : int, default=8
    Windows per forward pass of the foundation model: lower it to save memory. The result
    does not depend on it beyond float rounding."""

docdict["batch_size_attributions"] = """\
batch_size : int, default=64
    Rows per forward pass: lower it to save memory with a large foundation model."""

docdict["cache_dir_hub"] = """\
cache_dir : str or path, optional
    The Hugging Face hub cache folder, for hub ids (default ``HF_HUB_CACHE``, else
    ``~/.cache/huggingface/hub``)."""

docdict["caption"] = """\
caption : str, optional
    A line under the panels: what was run (cohort, models, CV design)."""

docdict["ci"] = """\
ci : float, default=0.95
    Coverage of the interval."""

docdict["coords"] = """\
coords : ndarray of shape (n_regions, 3)
    Parcel coordinates in MNI millimetres."""

docdict["device"] = """\
device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
    Where the model runs (see :func:`skfmm.utils.device.resolve_device`); ``"auto"`` uses
    CUDA when available."""

docdict["estimator_fmmtc"] = """\
estimator : FMMTCClassifier or Pipeline ending in one
    Fitted. A pipeline's transformers are applied to ``X`` first."""

docdict["foundation_model_desc"] = """\
The frozen BrainLM encoder: ``"demo"`` (a small BrainLM pretrained on a simulated
pain-agnostic corpus, shipped with skfmm), a model directory or a Hugging Face hub id
(the released ``"vandijklab/brainlm/old_13M"``) read by
:func:`skfmm.foundation.load_foundation_model`, or a ``BrainLM`` instance."""

docdict["memory"] = """\
memory : None, str or joblib.Memory, default=None
    On-disk cache: a folder or a :class:`joblib.Memory`; None caches nothing on disk."""

docdict["metric"] = """\
metric : str, default="mcc"
    Name from :data:`~skfmm.evaluation.METRICS`."""

docdict["min_folds"] = """\
min_folds : int, default=5
    The t methods give no interval (NaN, with the reason in ``note``) from fewer outer
    folds: with 3 folds the t quantile is 4.3 and the spread is estimated from two
    degrees of freedom, an interval that says nothing (the coverage in
    ``docs/evaluation.md`` is measured with 10)."""

docdict["n_boot"] = """\
n_boot : int, default=1000
    Bootstrap resamples of the subjects within each group."""

docdict["n_boot_methods"] = """\
n_boot : int, default=2000
    Bootstrap samples of the bootstrap methods (see ``method``)."""

docdict["n_jobs"] = """\
n_jobs : int, default=None
    Jobs run in parallel through joblib (so on a Dask cluster under
    :func:`skfmm.parallel.dask_backend`); None: one, unless a joblib context sets it. The
    results do not depend on it."""

docdict["n_permutations_swaps"] = """\
n_permutations : int, default=2000
    Random swaps of the paired permutation p-value (0 skips it)."""

docdict["n_steps"] = """\
n_steps : int, default=50
    Integration steps of the integrated gradients (captum's Gauss-Legendre rule)."""

docdict["n_regions"] = """\
n_regions : int
    Number of regions (parcels): the connectivity matrices are ``n_regions x n_regions``."""

docdict["n_regions_simulated"] = """\
n_regions : int, default=100
    Number of parcels of the simulated layout."""

docdict["n_timepoints_simulated"] = """\
n_timepoints : int, default=220
    Volumes per run, at least 20."""

docdict["out_features"] = """\
out_features : int, default=256
    Width of the output (the paper's 256)."""

docdict["path_figure"] = """\
path : str, optional
    Where to save the figure (format from the extension, 300 dpi)."""

docdict["pooling"] = """\
pooling : {"cls", "mean", "parcel"}, default="cls"
    Pooling of the foundation model's tokens: the CLS token (as FMM_TC), the mean of the patch
    tokens (CLS excluded), or the mean of each parcel's patch tokens (``n_regions *
    hidden_size`` values per row, parcel-major)."""

docdict["pos_label"] = """\
pos_label : label, default=None
    The positive class (for sensitivity, specificity, AUROC). Default: the second of the
    two sorted classes (``1`` for 0/1, ``"responder"`` for ``"non-responder"/"responder"``)."""

docdict["pos_label_estimator"] = """\
pos_label : label, default=None
    The positive class; default ``estimator.classes_[1]`` (the second sorted class)."""

docdict["random_state"] = """\
random_state : int, default=0
    Seed of the random draws: the same value gives the same result."""

docdict["random_state_simulated"] = """\
random_state : int, Generator, RandomState or None, default=0
    Seed of the random draws: the same value gives the same result. A numpy ``Generator`` or
    ``RandomState`` is drawn from once (for the seed of the whole simulation); None seeds from
    fresh entropy."""

docdict["region_names"] = """\
region_names : sequence of str, optional
    One name per region (e.g. the atlas's label names), for feature names and tables.
    Default: :func:`~skfmm.extraction.default_region_names` (``region0``, ``region1``, ...)."""

docdict["scoring_epoch"] = """\
scoring : str or callable, default="matthews_corrcoef"
    Criterion of the epoch selection: a scikit-learn scorer name or
    ``scorer(estimator, X, y)``."""

docdict["summary_csv"] = """\
summary : DataFrame
    As ``summary.csv``."""

docdict["target_class"] = """\
target : None, class label or array-like of labels, default=None
    Class whose logit is explained. None: each subject's predicted class. A label value of
    ``classes_`` (e.g. ``1`` or ``"responder"``, not an index), or one label per subject."""

docdict["t_r_simulated"] = """\
t_r : float, default=2.5
    Repetition time in seconds (ds000208: 2.5)."""

docdict["verbose"] = """\
verbose : int, default=1
    Verbosity: 0 prints nothing; higher values report progress."""

docdict["verbose0"] = """\
verbose : int, default=0
    Verbosity: 0 prints nothing; higher values report progress."""

docdict["window_kept"] = """\
window : int, default=200
    Volumes kept per subject (the ``window`` of :class:`~skfmm.TimeSeriesExtractor`)."""


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _fill(docstring: str, where: str) -> str:
    """Replace each ``%(key)s`` of ``docstring`` with ``docdict[key]``, indented in place."""
    out = []
    for line in docstring.split("\n"):
        if "%(" not in line:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]

        def entry(match, indent=indent):
            key = match.group(1)
            if key not in docdict:
                raise RuntimeError(
                    f"fill_doc: {where}'s docstring has the placeholder %({key})s, which is "
                    f"not a key of skfmm.utils._docs.docdict (keys: {sorted(docdict)})."
                )
            return docdict[key].replace("\n", "\n" + indent)

        out.append(_PLACEHOLDER.sub(entry, line))
    return "\n".join(out)


def fill_doc(obj: T) -> T:
    """Fill the ``%(key)s`` placeholders of ``obj.__doc__`` with :data:`docdict` entries.

    Parameters
    ----------
    obj : function or class
        Its ``__doc__`` is replaced in place.

    Returns
    -------
    obj : function or class
        The same object, with its docstring filled.

    Raises
    ------
    RuntimeError
        For a placeholder whose key is not in :data:`docdict`.

    Examples
    --------
    >>> from skfmm.utils._docs import fill_doc
    >>> @fill_doc
    ... def f(verbose=0):
    ...     '''Do nothing.
    ...
    ...     Parameters
    ...     ----------
    ...     %(verbose0)s
    ...     '''
    >>> print(f.__doc__.splitlines()[4].strip())
    verbose : int, default=0
    """
    doc = obj.__doc__
    if doc and "%(" in doc:
        obj.__doc__ = _fill(doc, getattr(obj, "__qualname__", repr(obj)))
    return obj


def placeholders(docstring: str | None) -> list[str]:
    """The ``%(key)s`` keys a docstring still holds (an empty list once filled).

    Parameters
    ----------
    docstring : str or None

    Returns
    -------
    list of str
    """
    return _PLACEHOLDER.findall(docstring or "")

