"""The one owner of "which foundation model is this?": checked, loaded, identified.

Every part of skfmm that takes a ``foundation_model`` argument (the embedder, the
time-series extractor, the classifier, the benchmark) resolves it here, so the accepted
values, the type check and its message, and the identity recorded for a model are written
once.
"""

from __future__ import annotations

import copy as _copy
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from skfmm.foundation.brainlm import SAFE_WEIGHTS_NAME, WEIGHTS_NAME, BrainLM

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # hints only
    from skfmm._typing import PathLike

__all__ = ["resolve_foundation_model", "ResolvedFoundationModel", "check_foundation_model"]

#: The config fields an identity records (the encoder's shape and its input windows).
IDENTITY_CONFIG = ("hidden_size", "num_hidden_layers", "num_attention_heads",
                   "timepoint_patching_size", "num_timepoints_per_voxel")


def check_foundation_model(spec: Any, *, argument: str = "foundation_model",
                           allow_none: bool = False) -> None:
    """Refuse a ``foundation_model`` value of the wrong type, naming ``argument``.

    Accepted: ``"demo"``, a folder or a Hugging Face hub id (``str`` or path-like), a
    :class:`BrainLM`, and ``None`` when ``allow_none``. Only the type is checked: whether a
    name exists is known when it is loaded (:func:`resolve_foundation_model`).

    Parameters
    ----------
    spec : object
        The value given.
    argument : str, default="foundation_model"
        The argument's name, for the message.
    allow_none : bool, default=False
        Whether ``None`` (no foundation model) is accepted.

    Raises
    ------
    TypeError
        Naming the argument, the values accepted and the type received.

    Examples
    --------
    >>> from skfmm.foundation.resolve import check_foundation_model
    >>> check_foundation_model("demo")
    >>> check_foundation_model(3)
    Traceback (most recent call last):
    ...
    TypeError: 'foundation_model' must be 'demo', a path to BrainLM weights, a Hugging Face id such as 'vandijklab/brainlm/old_13M' or a BrainLM instance; got int.
    """
    if (spec is None and allow_none) or isinstance(spec, (str, os.PathLike, BrainLM)):
        return
    raise TypeError(
        f"{argument!r} must be {'None, ' if allow_none else ''}'demo', a path to BrainLM "
        "weights, a Hugging Face id such as 'vandijklab/brainlm/old_13M' or a BrainLM "
        f"instance; got {type(spec).__name__}."
    )


@dataclass(frozen=True)
class ResolvedFoundationModel:
    """A foundation model as :func:`resolve_foundation_model` found it.

    Attributes
    ----------
    model : BrainLM
        A private copy in eval mode on the CPU (changing it never changes the caller's
        model or the process's cache of loaded weights); the caller's instance itself when
        resolved with ``copy=False``.
    spec : str, path-like or BrainLM
        What was asked for.
    directory : pathlib.Path or None
        The local folder the weights were read from (``None`` for a :class:`BrainLM`
        instance); for a hub id, its folder in the Hugging Face cache.
    fingerprint : str
        ``model.fingerprint()``: the sha256 of the config and every weight, what caches
        key on (the weights, not the path).
    identity : dict
        A JSON-ready record: ``name`` (what was asked for, or ``"BrainLM instance"``),
        ``directory``, ``weights`` and ``sha256`` (the weights file and its digest, when
        read from a folder), ``config`` (hidden size, layers, heads, patch size, window
        length) and ``fingerprint``. Computed on first access (hashing a large weights
        file takes a moment).

    Examples
    --------
    >>> from skfmm.foundation import resolve_foundation_model
    >>> resolved = resolve_foundation_model("demo")
    >>> type(resolved).__name__, resolved.identity["name"], resolved.directory.name
    ('ResolvedFoundationModel', 'demo', 'demo')
    """

    model: BrainLM
    spec: Any = field(repr=False)
    directory: Path | None = None

    @property
    def fingerprint(self) -> str:
        return self.model.fingerprint()

    @functools.cached_property
    def identity(self) -> dict:
        from skfmm.foundation.registry import file_sha256

        identity: dict = {"name": ("BrainLM instance" if isinstance(self.spec, BrainLM)
                                   else str(self.spec))}
        if self.directory is not None:
            directory = Path(self.directory)
            identity["directory"] = str(directory.resolve())
            for name in (SAFE_WEIGHTS_NAME, WEIGHTS_NAME):
                if (directory / name).is_file():
                    identity["weights"] = name
                    identity["sha256"] = file_sha256(directory / name)
                    break
        config = self.model.config
        identity["config"] = {k: getattr(config, k, None) for k in IDENTITY_CONFIG}
        identity["fingerprint"] = self.fingerprint
        return identity


def resolve_foundation_model(spec: str | PathLike | BrainLM, *,
                             argument: str = "foundation_model", allow_none: bool = False,
                             revision: str | None = None, cache_dir: PathLike | None = None,
                             local_files_only: bool = False, copy: bool = True,
                             verbose: int = 0) -> ResolvedFoundationModel | None:
    """Check, load and identify a foundation model given as an argument.

    The one place where a ``foundation_model`` value becomes a model: the type check (its
    message names ``argument``), the lookup of ``"demo"`` (checked against its shipped
    sha256), a folder or a Hugging Face hub id (as :func:`load_foundation_model`), and the
    model's identity. A :class:`BrainLM` instance is copied, so the caller's model is never
    put in eval mode or moved.

    Parameters
    ----------
    spec : str, path-like or BrainLM
        ``"demo"``, a BrainLM folder, a hub id such as ``"vandijklab/brainlm/old_13M"``
        (see :func:`load_foundation_model`) or a model.
    argument : str, default="foundation_model"
        The argument's name in error messages.
    allow_none : bool, default=False
        Accept ``None`` and return ``None`` (estimators whose foundation model is optional).
    revision, cache_dir, local_files_only
        Hub ids only, as in :func:`load_foundation_model`.
    copy : bool, default=True
        Copy a :class:`BrainLM` instance (and put the copy in eval mode). ``False`` returns
        the instance itself, untouched (training flag included), for callers that only read
        it, such as its config; a model loaded from a name is a fresh copy either way.
    verbose : int, default=0
        Kept for callers that pass it; resolving prints nothing.

    Returns
    -------
    ResolvedFoundationModel or None
        ``.model`` (a copy in eval mode), ``.fingerprint``, ``.identity``.

    Raises
    ------
    TypeError
        ``spec`` is not a string, a path or a BrainLM.
    ValueError, FileNotFoundError
        As :func:`load_foundation_model`: an unknown name, a corrupted demo, a hub id that
        does not exist.

    Examples
    --------
    >>> from skfmm.foundation import resolve_foundation_model
    >>> resolved = resolve_foundation_model("demo")
    >>> resolved.model.training, resolved.identity["config"]["hidden_size"]
    (False, 64)
    >>> resolved.fingerprint == resolved.model.fingerprint()
    True
    """
    check_foundation_model(spec, argument=argument, allow_none=allow_none)
    if spec is None:
        return None
    if isinstance(spec, BrainLM):
        directory = None
        if not copy:
            return ResolvedFoundationModel(model=spec, spec=spec, directory=None)
        model = _copy.deepcopy(spec)
        model._set_fingerprint(spec.fingerprint())
    else:
        from skfmm.foundation.registry import load_cached, resolve_foundation_dir

        directory = resolve_foundation_dir(spec, revision=revision, cache_dir=cache_dir,
                                           local_files_only=local_files_only)
        model = load_cached(directory)
    model.eval()
    return ResolvedFoundationModel(model=model, spec=spec, directory=directory)
