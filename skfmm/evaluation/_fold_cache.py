"""The on-disk cache of finished outer folds of :func:`~skfmm.evaluation.nested_cross_validate`.

A fold's key covers everything that changes its predictions, so an interrupted run resumes
and a changed one refits.
"""

from __future__ import annotations

import numbers
import os
import re
import warnings

import joblib
import numpy as np

__all__ = []

#: Bumped when the content of cached folds changes, so stale caches are not read.
_CACHE_VERSION = 1

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _signature(obj, depth=0):
    """A picklable description of ``obj`` that is stable across processes and sessions."""
    if depth > 20:
        return "..."
    if obj is None or isinstance(obj, (bool, numbers.Number, str, bytes)):
        return obj
    if isinstance(obj, np.ndarray):
        return ("ndarray", joblib.hash(obj))
    if isinstance(obj, type):
        return ("type", obj.__module__, obj.__qualname__)
    if hasattr(obj, "get_params") and callable(obj.get_params):
        params = obj.get_params(deep=False)
        return (
            type(obj).__module__,
            type(obj).__qualname__,
            tuple((k, _signature(v, depth + 1)) for k, v in sorted(params.items())),
        )
    if isinstance(obj, dict):
        return ("dict", tuple((str(k), _signature(v, depth + 1)) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(_signature(v, depth + 1) for v in obj))
    if callable(obj) and hasattr(obj, "__qualname__") and not hasattr(obj, "state_dict"):
        return ("callable", getattr(obj, "__module__", ""), obj.__qualname__)
    kind = (type(obj).__module__, type(obj).__qualname__)
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        # A torch module (e.g. a foundation model instance): its weights, not its repr,
        # which shows the architecture only.
        try:
            weights = {k: v.detach().cpu().numpy() for k, v in obj.state_dict().items()}
            return (*kind, "state_dict", joblib.hash(weights))
        except Exception:  # pragma: no cover - an unusual state_dict: fall through
            pass
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):  # a torch tensor
        return (*kind, joblib.hash(obj.detach().cpu().numpy()))
    try:
        # Content, not repr: two objects printing alike must not share cached folds.
        return (*kind, joblib.hash(obj))
    except Exception:
        return (*kind, _ADDRESS.sub("", repr(obj)))


def _cache_path(cache_dir, key):
    return os.path.join(os.fspath(cache_dir), f"fold-{key}.joblib")


def _load_cached(path):
    try:
        entry = joblib.load(path)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a half-written or foreign file: recompute that fold
        warnings.warn(f"Ignoring unreadable cache file {path} ({exc}); refitting that fold.")
        return None
    if not isinstance(entry, dict) or entry.get("version") != _CACHE_VERSION:
        return None
    return entry


def _save_cached(path, entry):
    tmp = f"{path}.{os.getpid()}.tmp"
    joblib.dump(entry, tmp)
    os.replace(tmp, path)


def _fold_keys(cache_dir, splits, *, estimator, param_grid, inner_cv, scoring, fold_fitter,
               X, y, groups):
    """One cache key per outer split (all None without ``cache_dir``)."""
    if cache_dir is None:
        return [None] * len(splits)
    os.makedirs(cache_dir, exist_ok=True)
    common = (
        _CACHE_VERSION,
        _signature(estimator),
        _signature(param_grid),
        # Without a grid the inner splitter and scoring are never used.
        _signature(inner_cv) if param_grid is not None else None,
        _signature(scoring) if param_grid is not None else None,
        _signature(fold_fitter),
        joblib.hash((X, y, groups)),
    )
    return [joblib.hash((common, tr, te)) for tr, te in splits]


def _load_folds(cache_dir, keys):
    """The cached output of each fold (None where missing) and whether it was cached."""
    outputs = [None] * len(keys)
    for i, key in enumerate(keys):
        if key is not None:
            entry = _load_cached(_cache_path(cache_dir, key))
            if entry is not None:
                outputs[i] = entry["output"]
    return outputs, [output is not None for output in outputs]


def _store_fold(cache_dir, key, output):
    """Write a finished fold (nothing without a cache)."""
    if key is not None:
        _save_cached(_cache_path(cache_dir, key), {"version": _CACHE_VERSION, "output": output})
