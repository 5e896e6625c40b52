"""Frozen BrainLM embeddings of subject-windows, computed once: content-keyed memory/disk cache.

:class:`BrainLMEmbedder` is the scikit-learn transformer; :func:`embed` is the function behind it.
"""

from __future__ import annotations

import copy
import hashlib
import os
import threading
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skfmm.container import ContainerInputMixin
from skfmm.foundation.resolve import resolve_foundation_model
from skfmm.foundation.pooling import POOLINGS, pool_tokens, pooled_width
from skfmm.utils.device import resolve_device
from skfmm.utils.files import atomic_write
from skfmm.utils.validation import check_batch_coords

from typing import TYPE_CHECKING, Any
from skfmm.utils._docs import fill_doc

if TYPE_CHECKING:  # hints only
    from skfmm._typing import ArrayLike, CohortLike, DeviceLike, PathLike

__all__ = ["BrainLMEmbedder", "embed", "cache_info", "clear_cache"]

#: Entries kept in the in-process cache (least recently used dropped first).
MAX_MEMORY_ENTRIES = 100_000
_CACHE = OrderedDict()
_CACHE_LOCK = threading.Lock()
_STATS = {"hits": 0, "disk_hits": 0, "misses": 0}
_DISK_FOLDER = "skfmm_brainlm_embeddings"


def cache_info():
    """Process-wide cache counters: ``hits`` (memory), ``disk_hits``, ``misses``, ``currsize``.

    Examples
    --------
    >>> from skfmm.foundation.embedder import cache_info
    >>> sorted(cache_info())
    ['currsize', 'disk_hits', 'hits', 'misses']
    """
    with _CACHE_LOCK:
        return {**_STATS, "currsize": len(_CACHE)}


def clear_cache():
    """Empty the in-process embedding cache and reset its counters (disk stores are kept).

    Examples
    --------
    >>> from skfmm.foundation.embedder import cache_info, clear_cache
    >>> clear_cache(); cache_info()["currsize"]
    0
    """
    with _CACHE_LOCK:
        _CACHE.clear()
        for k in _STATS:
            _STATS[k] = 0


def _disk_location(memory):
    if memory is None:
        return None
    if isinstance(memory, (str, os.PathLike)):
        return _check_folder(Path(os.fspath(memory)).expanduser())
    location = getattr(memory, "location", "missing")
    if location != "missing":  # joblib.Memory; location None means "no caching"
        return None if location is None else _check_folder(Path(os.fspath(location)))
    raise TypeError(
        "'memory' must be None, a folder path or a joblib.Memory; "
        f"got {type(memory).__name__}."
    )


def _check_folder(path):
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"'memory' must be a folder for the embedding store; '{path}' is a file.")
    return path


def _check_arrays(ts, xyz):
    ts = np.asarray(ts.cpu() if isinstance(ts, torch.Tensor) else ts)
    if ts.ndim != 3:
        raise ValueError(
            "'ts' must have shape (n_subjects, n_timepoints, n_regions) (nilearn layout); "
            f"got shape {ts.shape}."
        )
    ts = np.ascontiguousarray(ts, dtype=np.float32)
    if not np.all(np.isfinite(ts)):
        bad = int(np.flatnonzero(~np.isfinite(ts).reshape(len(ts), -1).all(axis=1))[0])
        raise ValueError(f"'ts' contains NaN or infinite values (first in subject {bad}).")
    if xyz is None:
        raise ValueError(
            "BrainLM needs parcel coordinates: give 'xyz' (n_subjects, n_regions, 3) or "
            "(n_regions, 3) in MNI mm."
        )
    return ts, check_coordinates(xyz, len(ts), ts.shape[2])


def check_coordinates(xyz, n_subjects, n_regions):
    """Parcel coordinates as BrainLM reads them: ``(n_subjects, n_regions, 3)`` float32, finite.

    An ``(n_regions, 3)`` array (one atlas for every subject) is broadcast; a torch tensor is
    read on the CPU. The one check of ``xyz`` for the embedder and for the classifier, which
    checks its inputs once and hands them to the embedder with ``check_input=False``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.foundation.embedder import check_coordinates
    >>> check_coordinates(np.zeros((4, 3)), n_subjects=2, n_regions=4).shape
    (2, 4, 3)
    """
    xyz = np.asarray(xyz.cpu() if isinstance(xyz, torch.Tensor) else xyz, dtype=np.float32)
    if xyz.ndim == 2:
        xyz = np.broadcast_to(xyz, (n_subjects,) + xyz.shape)
    check_batch_coords(xyz.shape, n_subjects, n_regions)
    if not np.all(np.isfinite(xyz)):
        raise ValueError("'xyz' contains NaN or infinite values.")
    return np.ascontiguousarray(xyz)


def _row_key(ts_row, xyz_row, prefix):
    h = hashlib.sha256(prefix)
    h.update(repr(ts_row.shape).encode())
    h.update(ts_row.tobytes())
    h.update(xyz_row.tobytes())
    return h.hexdigest()


@fill_doc
def embed(model, ts, xyz, pooling="cls", batch_size=8, device="cpu", memory=None, verbose=0,
          stats=None, check_input=True):
    """Embed subject-windows with a frozen BrainLM, each computed at most once.

    Every row's key is the sha256 of its time series bytes (float32), its coordinates, the
    model's :meth:`~BrainLM.fingerprint` and ``pooling``. Keys found in the in-process cache
    (shared by every caller in the process, so it survives sklearn clones across folds and
    grid candidates) or in the ``memory`` store are not recomputed; identical rows within the
    call are computed once; only the misses reach the model, in batches.

    Parameters
    ----------
    model : BrainLM or str
        The encoder (or a name/path for :func:`load_foundation_model`). It is put in eval
        mode for the call and moved to ``device``.
    ts : ndarray of shape (n, n_timepoints, n_regions)
        Windows in nilearn's layout (transposed to BrainLM's [B, R, T] internally), scaled as
        the model expects (``model.config.input_scaling``).
    xyz : ndarray of shape (n, n_regions, 3) or (n_regions, 3)
        Parcel coordinates in MNI mm.
    %(pooling)s
    %(batch_size)s
    %(device)s
    %(memory)s
        Here: the folder of a store (one ``.npy`` per row, written atomically, safe across
        processes) under ``<location>/skfmm_brainlm_embeddings``.
    %(verbose0)s
        1 shows a progress bar over the batches computed.
    stats : dict, optional
        Counters ``hits``, ``disk_hits``, ``misses`` to increment.
    check_input : bool, default=True
        Validate ``ts`` and ``xyz`` (shapes, finite values, float32 conversion). With
        ``False`` they must already be what the check returns: C-contiguous float32 arrays
        of shapes ``(n, n_timepoints, n_regions)`` and ``(n, n_regions, 3)``; nothing is
        re-checked (as ``check_input`` in scikit-learn's trees).

    Returns
    -------
    embeddings : ndarray of shape (n, hidden_size), float32
        ``(n, n_regions * hidden_size)`` with ``pooling="parcel"``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.foundation import BrainLM, BrainLMConfig
    >>> from skfmm.foundation.embedder import embed
    >>> model = BrainLM(BrainLMConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=32),
    ...                 with_decoder=False, random_state=0)
    >>> embed(model, np.zeros((3, 40, 5)), np.zeros((5, 3))).shape
    (3, 16)
    """
    # A model is used as it is (in eval mode for the call only); a name is loaded.
    model = resolve_foundation_model(model, argument="model", copy=False, verbose=verbose).model
    if pooling not in POOLINGS:
        raise ValueError(f"'pooling' must be one of {POOLINGS}; got {pooling!r}.")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"'batch_size' must be a positive integer; got {batch_size!r}.")
    if check_input:
        ts, xyz = _check_arrays(ts, xyz)
    _check_patches(model, ts)
    location = _disk_location(memory)
    prefix = f"skfmm-brainlm-v1|{model.fingerprint()}|{pooling}|".encode()
    keys = [_row_key(ts[i], xyz[i], prefix) for i in range(len(ts))]
    hidden = pooled_width(pooling, model.config.hidden_size, ts.shape[2])
    out = np.empty((len(ts), hidden), dtype=np.float32)
    local = {"hits": 0, "disk_hits": 0, "misses": 0}
    todo = OrderedDict()  # key -> first row index needing computation
    with _CACHE_LOCK:
        for i, key in enumerate(keys):
            value = _CACHE.get(key)
            if value is not None:
                _CACHE.move_to_end(key)
                out[i] = value
                local["hits"] += 1
            elif key not in todo:
                todo[key] = i
    if todo and location is not None:
        folder = location / _DISK_FOLDER
        for key in list(todo):
            path = folder / key[:2] / f"{key}.npy"
            if path.is_file():
                value = _read_entry(path, hidden)
                if value is None:
                    continue  # recomputed below, and the file replaced
                _remember(key, value)
                out[todo.pop(key)] = value
                local["disk_hits"] += 1
    if todo:
        computed = _compute(model, ts, xyz, list(todo.values()), pooling, batch_size,
                            resolve_device(device), verbose)
        unwritable = None
        for (key, row), value in zip(todo.items(), computed):
            out[row] = value
            _remember(key, value)
            if location is not None and unwritable is None:
                try:
                    _save_atomic(location / _DISK_FOLDER / key[:2] / f"{key}.npy", value)
                except PermissionError as exc:  # a shared read-only store is still read
                    unwritable = exc
        if unwritable is not None:
            warnings.warn(
                f"'memory' store {location} cannot be written ({unwritable}); the embeddings "
                "computed now are returned but not stored there (entries already there are "
                "still read).", UserWarning, stacklevel=2)
        local["misses"] = len(todo)
    # Rows repeated within the call take the value computed for their first occurrence.
    first = {}
    for i, key in enumerate(keys):
        if key in first:
            out[i] = out[first[key]]
        else:
            first[key] = i
    with _CACHE_LOCK:
        for k, v in local.items():
            _STATS[k] += v
    if stats is not None:
        for k, v in local.items():
            stats[k] = stats.get(k, 0) + v
    return out


def _check_patches(model, ts):
    patch = model.config.timepoint_patching_size
    if ts.shape[1] == 0 or ts.shape[1] % patch:
        raise ValueError(
            f"'ts' windows have {ts.shape[1]} timepoints; BrainLM needs a positive multiple of "
            f"its patch size {patch} (TimeSeriesExtractor(window=...))."
        )


def _remember(key, value):
    with _CACHE_LOCK:
        _CACHE[key] = np.array(value, dtype=np.float32, copy=True)
        _CACHE.move_to_end(key)
        while len(_CACHE) > MAX_MEMORY_ENTRIES:
            _CACHE.popitem(last=False)


def _read_entry(path, hidden):
    """A disk entry, verified (float32, shape ``(hidden,)``, finite); None when bad."""
    try:
        value = np.load(path, allow_pickle=False)
        if value.dtype != np.float32 or value.shape != (hidden,):
            raise ValueError(f"holds {value.dtype} {value.shape}, expected float32 ({hidden},)")
        if not np.all(np.isfinite(value)):
            raise ValueError("holds NaN or infinite values")
    except Exception as exc:  # 0-byte, torn, foreign or damaged: recompute and replace
        warnings.warn(
            f"Embedding cache entry {path} is unusable ({type(exc).__name__}: {exc}); "
            "recomputing and replacing it.", UserWarning, stacklevel=3)
        return None
    return value


def _save_atomic(path, value):
    """Write ``value`` to ``path`` all or nothing: a temporary file, fsync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda fh: np.save(fh, np.asarray(value, dtype=np.float32)))


def _compute(model, ts, xyz, rows, pooling, batch_size, device, verbose):
    from tqdm.auto import tqdm
    from skfmm.utils.progress import bar_disabled

    was_training = model.training
    if next(model.parameters()).device != device:
        model.to(device)
    model.eval()
    results = []
    n_batches = (len(rows) + batch_size - 1) // batch_size
    try:
        with torch.inference_mode():
            for b in tqdm(range(n_batches), desc="BrainLM embeddings",
                          disable=bar_disabled(verbose),
                          leave=False):
                idx = rows[b * batch_size:(b + 1) * batch_size]
                signal = torch.from_numpy(ts[idx].transpose(0, 2, 1).copy()).to(device)
                coords = torch.from_numpy(xyz[idx]).to(device)
                hidden = model.encode(signal, coords)
                pooled = pool_tokens(hidden, pooling, n_regions=ts.shape[2])
                results.append(pooled.float().cpu().numpy())
    finally:
        model.train(was_training)
    return (np.concatenate(results) if results else
            np.empty((0, pooled_width(pooling, model.config.hidden_size, ts.shape[2]))))


@fill_doc
class BrainLMEmbedder(ClassNamePrefixFeaturesOutMixin, ContainerInputMixin, TransformerMixin,
                      BaseEstimator):
    """Frozen BrainLM embeddings of subject-windows, as a scikit-learn transformer.

    Each subject-window is encoded once: results are cached in memory by content (time
    series bytes, coordinates, the model's weight fingerprint and ``pooling``), so repeated
    transforms, clones, CV folds and grid candidates in one process reuse them; with
    ``memory`` they are also stored on disk for other processes, as nilearn's maskers do.

    Parameters
    ----------
    foundation_model : str, path or BrainLM, default="demo"
        %(foundation_model_desc)s
    %(pooling)s
        Parcel ``r``'s vector is in columns ``r * hidden_size`` to ``(r + 1) * hidden_size - 1``.
    %(batch_size)s
    %(device)s
    %(memory)s
        Here: the embedding store of :func:`embed`.
    coords : array of shape (n_regions, 3) or path, optional
        Parcel coordinates used when ``X`` is a plain 3-D array (a container's ``xyz`` is
        used otherwise).
    %(verbose)s
        1 shows progress bars (model build and embedding batches).
    standardize : bool, default=False
        Standardise each embedding dimension with the mean and standard deviation of the
        subjects seen in ``fit`` (a constant dimension keeps scale 1).

    Attributes
    ----------
    model_ : BrainLM
        The frozen encoder, eval mode, on ``device_``. Pickles hold it on the CPU, so an
        embedder fitted on a GPU loads anywhere (back on ``device_`` when available).
    device_ : torch.device
    fingerprint_ : str
        ``model_.fingerprint()``.
    n_features_out_ : int
        Embedding width, ``model_.config.hidden_size`` (times ``n_regions_in_`` with
        ``pooling="parcel"``).
    n_timepoints_in_, n_regions_in_ : int
        Window length and number of regions seen in ``fit``; :meth:`transform` refuses
        others.
    mean_, scale_ : ndarray of shape (n_features_out,) or None
        The standardisation learned in ``fit`` (None with ``standardize=False``).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import BrainLMEmbedder
    >>> from skfmm.foundation import BrainLM, BrainLMConfig
    >>> model = BrainLM(BrainLMConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=32),
    ...                 with_decoder=False, random_state=0)
    >>> X = np.random.default_rng(0).standard_normal((4, 40, 6))
    >>> emb = BrainLMEmbedder(model, coords=np.zeros((6, 3)), verbose=0).fit(X)
    >>> emb.transform(X).shape
    (4, 16)
    """

    def __init__(self, foundation_model: str | PathLike | Any = "demo", pooling: str = "cls",
                 batch_size: int = 8, device: DeviceLike = "cpu", memory: Any = None,
                 coords: ArrayLike | PathLike | None = None, verbose: int = 1,
                 standardize: bool = False) -> None:
        self.foundation_model = foundation_model
        self.pooling = pooling
        self.batch_size = batch_size
        self.device = device
        self.memory = memory
        self.coords = coords
        self.verbose = verbose
        self.standardize = standardize

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def fit(self, X: CohortLike, y: Any = None, check_input: bool = True) -> BrainLMEmbedder:
        """Load the frozen model; with ``standardize``, learn the embeddings' mean and scale.

        Without ``standardize`` nothing is learned from ``X``, which is only validated.

        Parameters
        ----------
        X : MultimodalData with ``ts`` (and ``xyz``) or ndarray (n, n_timepoints, n_regions)
        y : ignored
        check_input : bool, default=True
            Validate ``X``. With ``False``, ``X`` must be a mapping whose ``ts`` and ``xyz``
            are already-validated arrays (C-contiguous float32, shapes ``(n, n_timepoints,
            n_regions)`` and ``(n, n_regions, 3)``, finite), as a caller that checked them
            passes them; nothing is re-checked (scikit-learn's idiom, as in
            ``DecisionTreeClassifier.predict(X, check_input=True)``).

        Returns
        -------
        self
        """
        if self.pooling not in POOLINGS:
            raise ValueError(
                f"BrainLMEmbedder: 'pooling' must be one of {POOLINGS}; got {self.pooling!r}."
            )
        if not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1:
            raise ValueError(
                f"BrainLMEmbedder: 'batch_size' must be a positive integer; got {self.batch_size!r}."
            )
        if self.standardize not in (True, False):
            raise ValueError(
                f"BrainLMEmbedder: 'standardize' must be True or False; got {self.standardize!r}."
            )
        _disk_location(self.memory)
        ts, xyz = self._read_input(X, check_input)
        self.device_ = resolve_device(self.device)
        model = resolve_foundation_model(self.foundation_model, verbose=self.verbose).model
        model.requires_grad_(False).to(self.device_)
        self.model_ = model
        self.fingerprint_ = model.fingerprint()
        self.n_timepoints_in_, self.n_regions_in_ = int(ts.shape[1]), int(ts.shape[2])
        self.n_features_out_ = pooled_width(self.pooling, model.config.hidden_size,
                                            self.n_regions_in_)
        self.cache_stats_ = {"hits": 0, "disk_hits": 0, "misses": 0}
        self.mean_ = self.scale_ = None
        if self.standardize:
            emb = self._embed(ts, xyz).astype(np.float64)
            self.mean_ = emb.mean(axis=0)
            scale = emb.std(axis=0)
            self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    @property
    def _n_features_out(self):
        return self.n_features_out_

    def _read_input(self, X, check_input=True):
        from skfmm.datasets.atlas import check_coords
        from skfmm.container import check_multimodal

        if not check_input:
            return X["ts"], X["xyz"]
        if isinstance(X, dict):
            X = check_multimodal(X, ("ts",), who="BrainLMEmbedder")
            ts = X["ts"]
            xyz = X["xyz"] if "xyz" in X else None
        else:
            ts = X
            xyz = None
        if xyz is None:
            if self.coords is None:
                raise ValueError(
                    "BrainLMEmbedder needs parcel coordinates: pass a MultimodalData with "
                    "'xyz' (from TimeSeriesExtractor) or set coords=(n_regions, 3)."
                )
            xyz = check_coords(self.coords, argument="coords")
        return _check_arrays(ts, xyz)

    def transform(self, X: CohortLike, check_input: bool = True) -> np.ndarray:
        """Embed each subject-window (cached); returns ``(n_subjects, n_features_out_)`` float32.

        Parameters
        ----------
        X : MultimodalData with ``ts`` (n, T, R) and ``xyz`` (n, R, 3), or ndarray (n, T, R)
            with ``coords`` set.
        check_input : bool, default=True
            Validate ``X``; with ``False``, a mapping of already-validated ``ts`` and ``xyz``
            arrays, as in :meth:`fit`. The windows' length and parcel count are compared
            with the model's patch size and with ``fit`` either way.

        Returns
        -------
        embeddings : ndarray of shape (n_subjects, n_features_out)
        """
        check_is_fitted(self, "model_")
        ts, xyz = self._read_input(X, check_input)
        _check_patches(self.model_, ts)
        seen = (getattr(self, "n_timepoints_in_", None), getattr(self, "n_regions_in_", None))
        if seen[0] is not None and tuple(ts.shape[1:]) != seen:
            # BrainLM takes any multiple of its patch size and any number of regions, so a
            # mismatch would be embedded silently, into features of another distribution.
            raise ValueError(
                f"BrainLMEmbedder.transform: 'X' windows have shape (n, {ts.shape[1]}, "
                f"{ts.shape[2]}) (n_timepoints, n_regions) but fit saw (n, {seen[0]}, "
                f"{seen[1]}); give windows of the length and parcellation used in fit."
            )
        return self.scale_embedding(self._embed(ts, xyz))

    def _embed(self, ts, xyz):
        stats = getattr(self, "cache_stats_", None)
        if stats is None:
            stats = self.cache_stats_ = {"hits": 0, "disk_hits": 0, "misses": 0}
        # The arrays were checked by _read_input (or by the caller, with check_input=False).
        return embed(self.model_, ts, xyz, pooling=self.pooling, batch_size=self.batch_size,
                     device=self.device_, memory=self.memory, verbose=self.verbose, stats=stats,
                     check_input=False)

    def scale_embedding(self, emb):
        """Apply the standardisation learned in ``fit`` (identity with ``standardize=False``).

        Works on NumPy arrays and on torch tensors, which stay differentiable (integrated
        gradients through the frozen encoder use it).

        Parameters
        ----------
        emb : ndarray or torch.Tensor of shape (n, n_features_out)

        Returns
        -------
        ndarray (float32) or torch.Tensor of the same shape

        Examples
        --------
        >>> import numpy as np
        >>> from skfmm import BrainLMEmbedder
        >>> from skfmm.foundation import BrainLM, BrainLMConfig
        >>> model = BrainLM(BrainLMConfig(hidden_size=16, num_hidden_layers=1,
        ...                               intermediate_size=32), with_decoder=False)
        >>> X = np.random.default_rng(0).standard_normal((4, 40, 6))
        >>> emb = BrainLMEmbedder(model, coords=np.zeros((6, 3)), standardize=True,
        ...                       verbose=0).fit(X)
        >>> np.allclose(emb.transform(X).mean(axis=0), 0, atol=1e-5)
        True
        """
        check_is_fitted(self, "model_")
        if getattr(self, "mean_", None) is None:
            return emb
        if hasattr(emb, "detach"):
            mean = torch.as_tensor(self.mean_, dtype=emb.dtype, device=emb.device)
            scale = torch.as_tensor(self.scale_, dtype=emb.dtype, device=emb.device)
            return (emb - mean) / scale
        return ((np.asarray(emb) - self.mean_) / self.scale_).astype(np.float32)

    def encode_tensor(self, ts, xyz):
        """Differentiable embedding of a batch given as tensors (no cache, no ``no_grad``).

        The frozen weights get no gradient, but the inputs do: this is the path integrated
        gradients take through the encoder. The same pooling and standardisation as
        :meth:`transform`.

        Parameters
        ----------
        ts : torch.Tensor of shape (B, n_timepoints, n_regions)
            On ``model_``'s device, scaled as for :meth:`transform`.
        xyz : torch.Tensor of shape (B, n_regions, 3)

        Returns
        -------
        torch.Tensor of shape (B, n_features_out), float32

        Examples
        --------
        >>> import numpy as np, torch
        >>> from skfmm import BrainLMEmbedder
        >>> from skfmm.foundation import BrainLM, BrainLMConfig
        >>> model = BrainLM(BrainLMConfig(hidden_size=16, num_hidden_layers=1,
        ...                               intermediate_size=32), with_decoder=False)
        >>> X = np.random.default_rng(0).standard_normal((2, 40, 6)).astype("float32")
        >>> emb = BrainLMEmbedder(model, coords=np.zeros((6, 3)), verbose=0).fit(X)
        >>> ts = torch.from_numpy(X).requires_grad_()
        >>> out = emb.encode_tensor(ts, torch.zeros(2, 6, 3))
        >>> np.allclose(out.detach().numpy(), emb.transform(X), atol=1e-5)
        True
        """
        check_is_fitted(self, "model_")
        hidden = self.model_.encode(ts.transpose(1, 2), xyz)
        return self.scale_embedding(
            pool_tokens(hidden, self.pooling, n_regions=ts.shape[2]).float())

    def __getstate__(self):
        state = dict(self.__dict__)
        model = state.get("model_")
        if model is not None and next(model.parameters()).device.type != "cpu":
            # Pickles hold CPU tensors only: a GPU-fitted embedder loads on any machine.
            cpu = copy.deepcopy(model).to("cpu")
            cpu._set_fingerprint(self.fingerprint_)
            state["model_"] = cpu
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        model, device = state.get("model_"), state.get("device_")
        if model is not None and device is not None and device.type != "cpu":
            if device.type == "cuda" and not torch.cuda.is_available():
                warnings.warn(
                    f"BrainLMEmbedder was fitted on {device}, which is not available here; "
                    "the frozen encoder runs on the CPU.", UserWarning, stacklevel=2)
                self.device_ = torch.device("cpu")
            else:
                self.model_ = model.to(device)

    def content_params(self) -> dict:
        """The parameters by content: what a cache of this estimator's results keys on.

        ``get_params(deep=False)`` with ``foundation_model``, when named by ``"demo"``, a
        folder or a hub id, replaced by ``("BrainLM.fingerprint", <sha256>)``: the
        fingerprint of the weights it names, so a cache key follows the weights, not the
        path (new weights at the same path never reuse results of the old ones). A
        :class:`BrainLM` instance is left as it is (caches describe a model by its
        fingerprint already). The fold cache of
        :func:`~skfmm.evaluation.nested_cross_validate` reads this hook when an estimator
        defines it (docs/evaluation.md).

        Returns
        -------
        params : dict

        Examples
        --------
        >>> from skfmm import BrainLMEmbedder
        >>> params = BrainLMEmbedder("demo").content_params()
        >>> params["foundation_model"][0], params["pooling"]
        ('BrainLM.fingerprint', 'cls')
        """
        params = self.get_params(deep=False)
        if isinstance(self.foundation_model, (str, os.PathLike)):
            params["foundation_model"] = (
                "BrainLM.fingerprint", resolve_foundation_model(self.foundation_model).fingerprint)
        return params

    def cache_info(self):
        """Counters of this embedder's transforms: ``hits``, ``disk_hits``, ``misses``."""
        check_is_fitted(self, "model_")
        return dict(self.cache_stats_)
