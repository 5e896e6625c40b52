"""The on-disk cache of finished outer folds of :func:`~skfmm.evaluation.nested_cross_validate`.

A fold's key covers everything that changes its predictions (parameters by content, a
foundation model by its weights' fingerprint, the data, files named in them by content), so an
interrupted run resumes and a changed one refits. Entries are ``.npz`` files read with
``allow_pickle=False`` plus a JSON record: a planted file cannot run code, only be refused.
``nested.py`` uses :func:`fold_keys`, :func:`load_folds` and :func:`store_fold`; the names with
an underscore are this module's own.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import re
import warnings

import joblib
import numpy as np

from ..utils.files import atomic_write

__all__ = []

#: Bumped when the content or format of cached folds changes, so stale caches are not read.
#: Version 2: npz + JSON (version 1 was a joblib pickle, never read again).
_CACHE_VERSION = 2

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_FILE_HASHES = {}


def _file_digest(path):
    """sha256 of a file's bytes, memoised on (path, size, mtime) for this process."""
    stat = os.stat(path)
    memo = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    digest = _FILE_HASHES.get(memo)
    if digest is None:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        digest = _FILE_HASHES[memo] = h.hexdigest()
    return digest


def _path_signature(value):
    """A string or path naming an existing file: its content digest too (else None)."""
    try:
        path = os.fspath(value)
        if isinstance(path, str) and 0 < len(path) < 4096 and os.path.isfile(path):
            return ("file", path, _file_digest(path))
    except (OSError, TypeError, ValueError):
        pass
    return None


def _signature(obj, depth=0):
    """A picklable description of ``obj`` that is stable across processes and sessions."""
    if depth > 20:
        return "..."
    if isinstance(obj, (str, os.PathLike)):
        # A file named by a parameter (an atlas, a coordinates file): its content counts.
        named = _path_signature(obj)
        if named is not None:
            return named
        if isinstance(obj, os.PathLike):
            return ("path", os.fspath(obj))
    if obj is None or isinstance(obj, (bool, numbers.Number, str, bytes)):
        return obj
    if isinstance(obj, np.ndarray):
        return ("ndarray", joblib.hash(obj))
    if isinstance(obj, type):
        return ("type", obj.__module__, obj.__qualname__)
    content_params = getattr(obj, "content_params", None)
    if callable(content_params) and hasattr(obj, "get_params"):
        # Estimators that name a resource by path (a foundation model) describe it by content.
        params = content_params()
        return (
            type(obj).__module__,
            type(obj).__qualname__,
            tuple((k, _signature(v, depth + 1)) for k, v in sorted(params.items())),
        )
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
        # A Python function by its code too: an edited fold fitter or transform refits.
        code = getattr(obj, "__code__", None)
        body = None if code is None else _code_signature(code)
        defaults = _signature(getattr(obj, "__defaults__", None), depth + 1)
        return ("callable", getattr(obj, "__module__", ""), obj.__qualname__, body, defaults)
    kind = (type(obj).__module__, type(obj).__qualname__)
    fingerprint = getattr(obj, "fingerprint", None)
    if callable(fingerprint) and hasattr(obj, "state_dict"):
        # A foundation model: the sha256 of its config and every weight.
        return (*kind, "fingerprint", fingerprint())
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        # A torch module: its weights, not its repr, which shows the architecture only.
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


def _code_signature(code):
    """A stable digest of a code object: bytecode, names and constants (nested code too)."""
    consts = tuple(
        _code_signature(c) if hasattr(c, "co_code")
        # a frozenset's repr follows string hashing, which differs between processes
        else ("frozenset", tuple(sorted(map(repr, c)))) if isinstance(c, frozenset)
        else repr(c)
        for c in code.co_consts)
    return joblib.hash((code.co_code, code.co_names, code.co_varnames, consts))


def _data_signature(X):
    """The data's hash, plus the content of the files it names (NIfTI runs given by path)."""
    named = []
    if isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.dtype.kind in "OUS"):
        for item in (X.tolist() if isinstance(X, np.ndarray) else X):
            if isinstance(item, (str, os.PathLike)):
                named.append(_path_signature(item))
    return (joblib.hash(X), tuple(named))


def _cache_path(cache_dir, key):
    return os.path.join(os.fspath(cache_dir), f"fold-{key}.npz")


# --------------------------------------------------------------------------- safe encoding

def _encode_value(value):
    """A JSON-able, type-preserving form of a ``best_params`` value (TypeError otherwise)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (numbers.Integral, np.integer)):
        return {"int": int(value)}
    if isinstance(value, (numbers.Real, np.floating)):
        return {"float": repr(float(value))}
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [_encode_value(v) for v in value]}
    raise TypeError(f"a {type(value).__name__} cannot be stored without pickling")


def _decode_value(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (kind, inner), = value.items()
        if kind == "int":
            return int(inner)
        if kind == "float":
            return float(inner)
        if kind in ("list", "tuple"):
            items = [_decode_value(v) for v in inner]
            return items if kind == "list" else tuple(items)
    raise ValueError(f"unexpected value {value!r}")


def _plain_array(name, value):
    array = np.asarray(value)
    if array.dtype.kind not in "biufU":
        raise TypeError(f"'{name}' has dtype {array.dtype}, which cannot be stored without "
                        "pickling")
    return array


def _load_cached(path, key, n_test=None):
    """The fold output stored at ``path`` (None when missing, foreign or damaged).

    With ``n_test``, an entry whose predictions are not one per test row is damaged too.
    """
    if not os.path.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != _CACHE_VERSION or meta.get("key") != key:
                raise ValueError("written for another key or cache version")
            output = {
                "y_pred": data["y_pred"],
                "y_score": data["y_score"] if "y_score" in data.files else None,
                "model_classes": (data["model_classes"] if "model_classes" in data.files
                                  else None),
                "best_params": {str(k): _decode_value(v) for k, v in meta["best_params"].items()},
                "fit_time": float(meta["fit_time"]),
            }
        if output["y_pred"].ndim != 1 or (
                output["y_score"] is not None and (
                    len(output["y_score"]) != len(output["y_pred"])
                    or not np.all(np.isfinite(output["y_score"])))):
            raise ValueError("inconsistent or non-finite arrays")
        if n_test is not None and len(output["y_pred"]) != n_test:
            raise ValueError(f"y_pred holds {len(output['y_pred'])} predictions for a test "
                             f"fold of {n_test}")
    except Exception as exc:  # a torn, foreign or planted file: refit that fold
        warnings.warn(f"Ignoring unreadable fold cache file {path} ({type(exc).__name__}: "
                      f"{exc}); refitting that fold.", stacklevel=2)
        return None
    return output


def _save_cached(path, key, output):
    """Write one fold atomically (temporary file, fsync, rename); False when not storable."""
    try:
        arrays = {"y_pred": _plain_array("y_pred", output["y_pred"])}
        if output["y_score"] is not None:
            arrays["y_score"] = np.asarray(output["y_score"], dtype=float)
        if output["model_classes"] is not None:
            arrays["model_classes"] = _plain_array("model_classes", output["model_classes"])
        meta = {
            "version": _CACHE_VERSION, "key": key,
            "best_params": {str(k): _encode_value(v) for k, v in output["best_params"].items()},
            "fit_time": float(output["fit_time"]),
        }
    except TypeError as exc:
        warnings.warn(f"Fold not cached ({exc}); an interrupted run refits it.", stacklevel=2)
        return False
    arrays["meta"] = np.array(json.dumps(meta))
    atomic_write(path, lambda fh: np.savez(fh, **arrays), prefix=".fold-")
    return True


def _check_cache_dir(cache_dir):
    """Create ``cache_dir`` (following the umask) or say clearly why it cannot be used."""
    path = os.fspath(cache_dir)
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(
            f"nested_cross_validate: 'cache_dir' must be a folder; {path!r} is a file.")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise OSError(
            f"nested_cross_validate: cannot create 'cache_dir' {path!r} ({exc.strerror})."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(
            f"nested_cross_validate: 'cache_dir' {path!r} is not writable; give a folder "
            "you can write to, or cache_dir=None.")


def fold_keys(cache_dir, splits, *, estimator, param_grid, inner_cv, scoring, fold_fitter,
               X, y, groups):
    """One cache key per outer split (all None without ``cache_dir``)."""
    if cache_dir is None:
        return [None] * len(splits)
    _check_cache_dir(cache_dir)
    common = (
        _CACHE_VERSION,
        _signature(estimator),
        _signature(param_grid),
        # Without a grid the inner splitter and scoring are never used.
        _signature(inner_cv) if param_grid is not None else None,
        _signature(scoring) if param_grid is not None else None,
        _signature(fold_fitter),
        _data_signature(X),
        joblib.hash((y, groups)),
    )
    return [joblib.hash((common, tr, te)) for tr, te in splits]


def load_folds(cache_dir, keys, n_test=None):
    """The cached output of each fold (None where missing) and whether it was cached."""
    outputs = [None] * len(keys)
    for i, key in enumerate(keys):
        if key is not None:
            outputs[i] = _load_cached(_cache_path(cache_dir, key), key,
                                      None if n_test is None else n_test[i])
    return outputs, [output is not None for output in outputs]


def store_fold(cache_dir, key, output):
    """Write a finished fold (nothing without a cache)."""
    if key is not None:
        _save_cached(_cache_path(cache_dir, key), key, output)
