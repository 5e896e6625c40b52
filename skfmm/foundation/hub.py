"""Hugging Face hub ids for BrainLM weights (``"vandijklab/brainlm/old_13M"``), resolved through
huggingface_hub's cache with revision pinning and ``HF_HUB_OFFLINE``; local folders win."""

from __future__ import annotations

import os
import re
from pathlib import Path
from ..utils._docs import fill_doc

__all__ = ["BRAINLM_HUB_ID", "is_hub_id", "split_hub_id", "resolve_pretrained"]

#: The released BrainLM weights on the Hugging Face hub; ``old_13M`` is the subfolder
#: with the architecture skfmm implements (hidden 512, 4 layers).
BRAINLM_HUB_ID = "vandijklab/brainlm"

#: Files of a BrainLM checkpoint folder (what is downloaded, nothing else).
CHECKPOINT_FILES = ("config.json", "model.safetensors", "pytorch_model.bin")

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _offline_env():
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def is_hub_id(name) -> bool:
    """Whether ``name`` reads as a hub id (``owner/name[/subfolder...]``), not a local path.

    Examples
    --------
    >>> from skfmm.foundation.hub import is_hub_id
    >>> is_hub_id("vandijklab/brainlm"), is_hub_id("vandijklab/brainlm/old_13M")
    (True, True)
    >>> is_hub_id("demo"), is_hub_id("/data/brainlm"), is_hub_id("./brainlm/old")
    (False, False, False)
    """
    if not isinstance(name, str) or "\\" in name:
        return False
    parts = name.split("/")
    return len(parts) >= 2 and all(_SEGMENT.match(p) and p not in {".", ".."} for p in parts)


def split_hub_id(name, subfolder=None, *, who="from_pretrained"):
    """``(repo_id, subfolder)`` of a hub id; ``owner/name/sub`` is the same as ``subfolder="sub"``.

    Examples
    --------
    >>> from skfmm.foundation.hub import split_hub_id
    >>> split_hub_id("vandijklab/brainlm/old_13M")
    ('vandijklab/brainlm', 'old_13M')
    >>> split_hub_id("vandijklab/brainlm", "old_13M")
    ('vandijklab/brainlm', 'old_13M')
    """
    parts = name.split("/")
    repo_id, inner = "/".join(parts[:2]), "/".join(parts[2:]) or None
    if subfolder is not None:
        subfolder = str(subfolder).strip("/") or None
    if inner and subfolder and inner != subfolder:
        raise ValueError(
            f"{who}: the id {name!r} names subfolder {inner!r} but subfolder={subfolder!r} was "
            "passed; give the subfolder once (in the id or as subfolder=)."
        )
    return repo_id, inner or subfolder


def refuse_hub_options(name, revision, cache_dir, who):
    """Refuse ``revision=`` / ``cache_dir=`` given with ``name``, a local folder or "demo".

    Those options only choose a Hugging Face download; with a folder they would be ignored.

    Examples
    --------
    >>> from skfmm.foundation.hub import refuse_hub_options
    >>> refuse_hub_options("demo", None, None, "load_foundation_model")  # nothing to refuse
    >>> refuse_hub_options("demo", "v1", None, "load_foundation_model")
    Traceback (most recent call last):
    ...
    ValueError: load_foundation_model: revision='v1' ...
    """
    given = [f"{k}={v!r}" for k, v in (("revision", revision), ("cache_dir", cache_dir))
             if v is not None]
    if given:
        raise ValueError(
            f"{who}: {', '.join(given)} apply to Hugging Face hub ids, but '{name}' is a "
            "local folder; leave them out (or pass a hub id such as "
            f"'{BRAINLM_HUB_ID}/old_13M')."
        )


@fill_doc
def resolve_pretrained(name_or_path, *, subfolder=None, revision=None, cache_dir=None,
                       local_files_only=False, who="BrainLM.from_pretrained") -> Path:
    """The local folder of a BrainLM checkpoint given as a folder or a hub id.

    A folder (that exists) is returned as is (joined with ``subfolder`` when given). A hub id
    is downloaded (or found in the cache) with :func:`huggingface_hub.snapshot_download`,
    restricted to the checkpoint files of the subfolder.

    Parameters
    ----------
    name_or_path : str or path-like
    subfolder : str, optional
        Folder inside the repository (``"old_13M"``); may also end the id.
    revision : str, optional
        Branch, tag or commit of the repository (default: ``main``). A commit hash pins it.
    %(cache_dir_hub)s
    local_files_only : bool, default=False
        Never go online: use the cache or fail. ``HF_HUB_OFFLINE=1`` does the same.
    who : str
        Name of the caller, for error messages.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ImportError
        A hub id without ``huggingface_hub`` installed (``pip install "skfmm[hub]"``).
    FileNotFoundError
        Neither a folder nor a repository/revision/subfolder found on the hub or in the cache.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skfmm.foundation.hub import resolve_pretrained
    >>> folder = Path(tempfile.mkdtemp())
    >>> resolve_pretrained(folder) == folder    # a local folder is used as it is
    True
    """
    text = os.fspath(name_or_path)
    path = Path(text).expanduser()
    if path.is_dir():
        refuse_hub_options(text, revision, cache_dir, who)
        if subfolder:
            path = path / str(subfolder)
            if not path.is_dir():
                raise FileNotFoundError(f"{who}: no subfolder {str(subfolder)!r} in '{text}'.")
        return path
    if not is_hub_id(text):
        raise FileNotFoundError(
            f"{who}: '{text}' is not a directory, nor a Hugging Face hub id such as "
            f"'{BRAINLM_HUB_ID}' (with subfolder='old_13M') or '{BRAINLM_HUB_ID}/old_13M'."
        )
    repo_id, sub = split_hub_id(text, subfolder, who=who)
    try:
        import huggingface_hub
        from huggingface_hub.errors import (
            EntryNotFoundError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )
    except ImportError:
        raise ImportError(
            f"{who}: loading {text!r} from the Hugging Face hub needs huggingface_hub; install "
            "it with `pip install \"skfmm[hub]\"` (or pass the folder of a downloaded "
            "checkpoint)."
        ) from None
    offline = bool(local_files_only) or _offline_env()
    prefix = f"{sub}/" if sub else ""
    patterns = [prefix + name for name in CHECKPOINT_FILES]
    where = f"{repo_id!r}" + (f" subfolder {sub!r}" if sub else "") + (
        f" revision {revision!r}" if revision else "")
    try:
        root = huggingface_hub.snapshot_download(
            repo_id, revision=revision, cache_dir=None if cache_dir is None else os.fspath(cache_dir),
            allow_patterns=patterns, local_files_only=offline,
        )
    # LocalEntryNotFoundError derives from EntryNotFoundError: it comes first
    except LocalEntryNotFoundError as exc:
        reason = ("offline (HF_HUB_OFFLINE=1 or local_files_only=True)" if offline
                  else "the hub could not be reached")
        raise FileNotFoundError(
            f"{who}: '{text}' is no local folder, and {where} is not in the Hugging Face cache "
            f"({cache_dir or 'HF_HUB_CACHE or ~/.cache/huggingface/hub'}) and {reason}. "
            "Download it once online, or pass the folder of a downloaded checkpoint."
        ) from exc
    except (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError) as exc:
        raise FileNotFoundError(
            f"{who}: {where} was not found on the Hugging Face hub "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}), and "
            f"'{text}' is no local folder either. "
            f"The released BrainLM is {BRAINLM_HUB_ID!r} with subfolder 'old_13M'."
        ) from exc
    folder = Path(root) / sub if sub else Path(root)
    if not (folder / "config.json").is_file():
        hint = ("" if sub else " The repository keeps its checkpoints in subfolders: pass "
                "subfolder='old_13M' (or the id 'vandijklab/brainlm/old_13M').")
        raise FileNotFoundError(
            f"{who}: {where} has no BrainLM config.json (looked in '{folder}').{hint}"
        )
    return folder
