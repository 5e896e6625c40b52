"""What :class:`~skfmm.FMMTCClassifier` learns from its data before training: the inputs.

The classifier validates its container once, at its public boundary; everything here trusts
its caller (arrays already checked by :func:`check_inputs`). :class:`InputPreparer` is the
small fitted object the classifier holds in ``inputs_``: the labels and class weights, the
frozen encoder (a fitted :class:`~skfmm.BrainLMEmbedder`), the covariate scaler and the
module sizes inferred from the data, and it turns checked arrays into the network's input.
"""

from __future__ import annotations

import inspect
import logging
import numbers
import os
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from skorch.helper import SliceDict

from ..container import check_multimodal
from ..foundation.resolve import check_foundation_model, resolve_foundation_model
from ..foundation.pooling import POOLINGS
from ..nn.encoders import FC_ENCODERS
from ..nn.fmmtc import MODALITIES
from ..utils.device import resolve_device
from ..utils.validation import check_float_array
from .runtime import MIXED_PRECISION

__all__ = ["InputPreparer", "ModuleInput", "check_inputs", "check_params", "content_params",
           "fit_inputs", "fused_mean", "module_kwargs", "required_keys", "seeds"]

log = logging.getLogger("skfmm.classifier.fmmtc")

#: Module arguments inferred from the data in ``fit``.
INFERRED = ("n_regions", "window", "n_classes", "ts_embedding_dim", "n_covariates")

#: Values of ``train_split`` given by name.
TRAIN_SPLITS = ("auto", "validation")

#: ``train_split="auto"`` holds out a validation split for early stopping only when every
#: class has at least this many training subjects (so that the 20 % split holds 10 of each);
#: below, ``max_epochs`` are trained. benchmarks/train_split_small_cohorts.py: on cohorts of
#: the main job's size and smaller, fixed epochs gave a higher MCC with less seed variance
#: than a validation split of a few subjects (docs/classifier.md).
AUTO_VALIDATION_MIN_PER_CLASS = 50


class ModuleInput(SliceDict):
    """Rows of what the network consumes: ``ts_emb`` or ``ts``, ``fc``, ``covariates``.

    Made by :meth:`FMMTCClassifier.prepare` from a container: the frozen encoder has
    already run, covariates are standardised. Labels travelling with it are class
    indices, so ``predict`` on it returns indices (skorch's scoring inside ``fit``
    compares them with the encoded validation labels).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.classifier import ModuleInput
    >>> len(ModuleInput(fc=np.zeros((3, 4, 4), "float32"))[1:])
    2
    """

    def __reduce__(self):
        return (_rebuild_module_input, (dict(self),))


def _rebuild_module_input(arrays):
    return ModuleInput(**arrays)


# ---------------------------------------------------------------------- the boundary
def required_keys(modalities, foundation_model):
    """The container keys the modalities read (``xyz`` with a foundation model)."""
    keys = []
    if "ts" in modalities:
        keys.append("ts")
        if foundation_model is not None:
            keys.append("xyz")
    if "fc" in modalities:
        keys.append("fc")
    return keys


def check_inputs(X, modalities, foundation_model):
    """The container checked once: ``(X, arrays)``, arrays the float32 modalities it holds.

    ``X`` is a :class:`MultimodalData` with the required keys; ``arrays`` holds ``ts`` (the
    time-series modality), ``fc`` and ``covariates`` (when present) as finite float32
    arrays of the right rank. ``xyz`` is checked where it is used (the embedder's checks,
    or :meth:`InputPreparer.transform` with ``embed=False``).
    """
    X = check_multimodal(X, required_keys(modalities, foundation_model), argument="X",
                         who="FMMTCClassifier")
    return X, _ArrayReader(X)


class _ArrayReader(dict):
    """Each modality's float32 array, checked the first time it is read (once per call)."""

    def __init__(self, X):
        super().__init__()
        self.X = X

    def __missing__(self, key):
        self[key] = value = check_float_array(self.X[key], key, ndim=2 if key == "covariates"
                                              else 3)
        return value


# ---------------------------------------------------------------------- parameters
def check_params(est):
    """Refuse invalid parameters of ``est`` (an FMMTCClassifier) before any work."""
    modalities = est.modalities
    if isinstance(modalities, str) or not isinstance(modalities, (tuple, list)) or (
        not modalities or any(m not in MODALITIES for m in modalities)
        or len(set(modalities)) != len(modalities)
    ):
        raise ValueError(
            "'modalities' must be ('ts', 'fc'), ('ts',) or ('fc',); "
            f"got {modalities!r}."
        )
    if est.fc_encoder not in FC_ENCODERS:
        raise ValueError(f"'fc_encoder' must be one of {FC_ENCODERS}; got {est.fc_encoder!r}.")
    if est.pooling not in POOLINGS:
        raise ValueError(f"'pooling' must be one of {POOLINGS}; got {est.pooling!r}.")
    if est.mixed_precision not in MIXED_PRECISION:
        raise ValueError(
            "'mixed_precision' must be True, False, 'bf16' or 'fp16'; "
            f"got {est.mixed_precision!r}."
        )
    if isinstance(est.device, str) and est.device not in ("cpu", "auto") and not (
        est.device.startswith("cuda") or est.device.startswith("mps")
    ):
        raise ValueError(f"'device' must be 'cpu', 'cuda' or 'auto'; got {est.device!r}.")
    if est.device is not None:
        resolve_device(est.device)  # a GPU this torch cannot use: refused before any work
    split = est.train_split
    if not (split is None or callable(split) or (
            isinstance(split, str) and split in TRAIN_SPLITS)):
        raise ValueError(
            "'train_split' must be 'auto', 'validation', None or a callable such as "
            f"skorch's ValidSplit; got {est.train_split!r}."
        )
    if isinstance(est.max_epochs, bool) or not isinstance(
        est.max_epochs, numbers.Integral
    ) or est.max_epochs < 1:
        raise ValueError(f"'max_epochs' must be a positive integer; got {est.max_epochs!r}.")
    for name, allow_all in (("batch_size", True), ("embedding_batch_size", False)):
        value = getattr(est, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not (
                value >= 1 or (allow_all and value == -1)):
            raise ValueError(
                f"'{name}' must be a positive integer"
                + (" (or -1: every subject in one batch)" if allow_all else "")
                + f"; got {value!r}.")
    if isinstance(est.lr, bool) or not isinstance(est.lr, numbers.Real) or not (
            np.isfinite(est.lr) and est.lr > 0):
        raise ValueError(f"'lr' must be a finite positive number; got {est.lr!r}.")
    rs = est.random_state
    if not (rs is None or isinstance(rs, np.random.RandomState) or (
            isinstance(rs, numbers.Integral) and not isinstance(rs, bool)
            and 0 <= rs < 2 ** 32)):
        raise ValueError(
            "'random_state' must be None, an integer in [0, 2**32) or a "
            f"numpy.random.RandomState; got {rs!r}.")
    check_foundation_model(est.foundation_model, allow_none=True)


def seeds(random_state):
    """``(seed_, split_seed_)``: the torch seed of a fit and of its validation split."""
    if random_state is None:
        return None, None
    rng = check_random_state(random_state)
    seed = (int(random_state) if isinstance(random_state, numbers.Integral)
            else int(rng.randint(np.iinfo(np.int32).max)))
    return seed, seed


def module_kwargs(est, kwargs):
    """skorch's ``module__*`` arguments plus the sizes inferred in ``fit`` (checked)."""
    sizes = getattr(est, "module_sizes_", None)
    if sizes is None:
        raise RuntimeError(
            "FMMTCClassifier infers the module sizes (n_regions, window, ...) from the "
            "data: call fit(X, y) instead of initialize()."
        )
    wanted = dict(sizes)
    wanted.update(
        modalities=tuple(est.modalities), fc_encoder=est.fc_encoder, pooling=est.pooling
    )
    for key, value in wanted.items():
        if key in kwargs and not _same(kwargs[key], value):
            source = "the data" if key in INFERRED else f"the parameter '{key}'"
            raise ValueError(
                f"module__{key}={kwargs[key]!r} contradicts {source} ({value!r}); "
                f"leave module__{key} unset"
                + ("." if key in INFERRED else f" and set {key}= instead.")
            )
    accepted = _accepted_arguments(est.module)
    for key, value in wanted.items():
        if accepted is None or key in accepted:
            kwargs.setdefault(key, value)
    return kwargs


def content_params(est):
    """``est.get_params(deep=False)`` with a foundation model named by path or ``"demo"``
    replaced by its weights' fingerprint (cache keys: new weights at a path are new)."""
    params = est.get_params(deep=False)
    model = params.get("foundation_model")
    if isinstance(model, (str, os.PathLike)):
        params["foundation_model"] = ("BrainLM.fingerprint",
                                      resolve_foundation_model(model).fingerprint)
    return params


# ---------------------------------------------------------------------- the fitted object
class InputPreparer:
    """Labels, frozen encoder, covariate scaler and module sizes learned in ``fit``.

    Held by a fitted :class:`~skfmm.FMMTCClassifier` as ``inputs_``; its attributes are
    the classifier's ``classes_``, ``embedder_``, ``covariate_mean_``,
    ``covariate_scale_`` and ``module_sizes_``. Its arrays are those of
    :func:`check_inputs` (checked by the caller).

    Parameters
    ----------
    est : FMMTCClassifier
        The parameters are read from it (``modalities``, ``foundation_model``, ``pooling``,
        ``classes``, ``class_weight``, ``embedding_batch_size``, ``device``, ``memory``,
        ``verbose``, ``standardize_embedding``).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import FMMTCClassifier, MultimodalData
    >>> from skfmm.classifier._inputs import InputPreparer, check_inputs
    >>> clf = FMMTCClassifier(foundation_model=None, modalities=("fc",))
    >>> X, arrays = check_inputs(MultimodalData(fc=np.zeros((4, 3, 3))), ("fc",), None)
    >>> prep = InputPreparer(clf)
    >>> prep.fit_labels(["b", "a", "b", "a"], 4).tolist()
    [1, 0, 1, 0]
    >>> prep.fit(X, arrays).module_sizes_["n_regions"]
    3
    """

    def __init__(self, est):
        self.modalities = tuple(est.modalities)
        self.foundation_model = est.foundation_model
        self.pooling = est.pooling
        self.classes = est.classes
        self.class_weight = est.class_weight
        self.embedding_batch_size = est.embedding_batch_size
        self.device = "cpu" if est.device is None else est.device
        self.memory = est.memory
        self.verbose = int(bool(est.verbose))
        self.standardize_embedding = bool(est.standardize_embedding)

    def fit_labels(self, y, n):
        """Learn the classes and the class weights; return the labels as class indices."""
        if y is None:
            raise ValueError("FMMTCClassifier.fit needs 'y' (one label per subject); got None.")
        y = np.asarray(y)
        if n == 0:
            raise ValueError("FMMTCClassifier.fit: 'X' holds no subjects (0 rows).")
        if y.ndim != 1 or len(y) != n:
            raise ValueError(
                f"'y' must be 1-D with one label per subject ({n}); got shape {y.shape}."
            )
        missing = pd.isna(y) if y.dtype.kind in "fcO" else np.zeros(len(y), dtype=bool)
        if np.any(missing):
            raise ValueError(
                f"'y' holds {int(np.sum(missing))} missing label(s) (NaN/None), first at row "
                f"{int(np.flatnonzero(missing)[0])}; drop those subjects or label them."
            )
        from sklearn.utils.multiclass import check_classification_targets

        # As every scikit-learn classifier: continuous targets ("Unknown label type:
        # continuous") are refused rather than trained as one class per value.
        check_classification_targets(y)
        if self.classes is not None:
            classes = np.asarray(self.classes)
            unknown = sorted(set(y.tolist()) - set(classes.tolist()), key=str)
            if unknown:
                raise ValueError(f"'y' holds labels {unknown} not in 'classes' {list(classes)}.")
        else:
            classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"FMMTCClassifier needs at least two classes in 'y'; got {list(classes)}."
            )
        self.classes_ = classes
        y_enc = self.encode(y, n)
        self.class_weight_ = _class_weights(self.class_weight, classes, y_enc)
        return y_enc

    def encode(self, y, n):
        """The labels ``y`` (one per row of ``n``) as indices into ``classes_``."""
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(f"'y' must be 1-D with one label per subject ({n}); got {y.shape}.")
        lookup = {label: i for i, label in enumerate(np.asarray(self.classes_).tolist())}
        try:
            return np.array([lookup[v] for v in y.tolist()], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(
                f"'y' holds the label {exc.args[0]!r} unseen in fit (classes {list(lookup)})."
            ) from None

    def fit(self, X, arrays):
        """Fit the frozen encoder and the covariate scaler; infer the module sizes."""
        self.embedder_ = None
        if "ts" in self.modalities and self.foundation_model is not None:
            from ..foundation.embedder import BrainLMEmbedder

            embedder = BrainLMEmbedder(
                foundation_model=self.foundation_model, pooling=self.pooling,
                batch_size=self.embedding_batch_size, device=self.device, memory=self.memory,
                verbose=self.verbose, standardize=self.standardize_embedding,
            )
            _warn_if_unscaled(X["ts"])
            # Embeds the training windows once when standardising; transform() then finds
            # them in the embedding cache.
            self.embedder_ = embedder.fit(_embedder_input(X, arrays), check_input=False)
        self.covariate_mean_ = self.covariate_scale_ = None
        if "covariates" in X:
            cov = arrays["covariates"].astype(np.float64)
            self.covariate_mean_ = cov.mean(axis=0)
            scale = cov.std(axis=0)
            self.covariate_scale_ = np.where(scale > 0, scale, 1.0)
        self.module_sizes_ = {
            "n_regions": int(X.n_regions),
            "window": int(X["ts"].shape[1]) if "ts" in X else None,
            "n_classes": int(len(self.classes_)),
            "ts_embedding_dim": (int(self.embedder_.n_features_out_)
                                 if self.embedder_ is not None else None),
            "n_covariates": (0 if self.covariate_mean_ is None
                             else int(len(self.covariate_mean_))),
        }
        log.info("FMMTCClassifier: module sizes inferred from the data: " + ", ".join(
            f"module__{k}={v}" for k, v in self.module_sizes_.items()))
        return self

    def transform(self, X, arrays, embed=True):
        """:class:`ModuleInput` of checked arrays (shapes checked against ``fit``)."""
        sizes = self.module_sizes_
        out = {}
        if "ts" in self.modalities:
            ts = arrays["ts"]
            _expect(ts.shape[2] == sizes["n_regions"], "ts", f"(n, window, {sizes['n_regions']})",
                    ts.shape)
            # The window length is part of what the model learned, with or without a frozen
            # encoder (BrainLM accepts any multiple of its patch size, silently).
            _expect(ts.shape[1] == sizes["window"], "ts",
                    f"(n, {sizes['window']}, {sizes['n_regions']})", ts.shape)
            if self.embedder_ is None:
                out["ts"] = ts
            elif embed:
                out["ts_emb"] = self.embedder_.transform(_embedder_input(X, arrays),
                                                         check_input=False)
            else:
                xyz = arrays["xyz"]
                _expect(xyz.shape[1:] == (sizes["n_regions"], 3), "xyz",
                        f"(n, {sizes['n_regions']}, 3)", xyz.shape)
                out["ts"], out["xyz"] = ts, xyz
        if "fc" in self.modalities:
            fc = arrays["fc"]
            R = sizes["n_regions"]
            _expect(fc.shape[1:] == (R, R), "fc", f"(n, {R}, {R})", fc.shape)
            out["fc"] = fc
        if sizes["n_covariates"]:
            if "covariates" not in X:
                raise ValueError(
                    "FMMTCClassifier was fitted with 'covariates'; X lacks them (got keys "
                    f"{sorted(X.keys())})."
                )
            cov = arrays["covariates"]
            _expect(cov.shape[1] == sizes["n_covariates"], "covariates",
                    f"(n, {sizes['n_covariates']})", cov.shape)
            out["covariates"] = ((cov - self.covariate_mean_) / self.covariate_scale_).astype(
                np.float32)
        elif "covariates" in X:
            raise ValueError(
                "X holds 'covariates' but this FMMTCClassifier was fitted without them; "
                "give the same keys as in fit."
            )
        return ModuleInput(**out)


def _embedder_input(X, arrays):
    """``ts`` and ``xyz`` checked as the embedder checks them, for ``check_input=False``.

    C-contiguous float32 windows (``ts``, checked by :func:`check_inputs`) and coordinates
    of shape ``(n, n_regions, 3)`` (an ``(n_regions, 3)`` array is broadcast), finite; the
    errors are the embedder's own (:func:`skfmm.foundation.embedder.check_coordinates`).
    """
    from ..foundation.embedder import check_coordinates

    ts = np.ascontiguousarray(arrays["ts"])
    if "xyz@embedder" not in arrays:  # checked once per public call (fit embeds twice)
        arrays["xyz@embedder"] = check_coordinates(X["xyz"], len(ts), ts.shape[2])
    return {"ts": ts, "xyz": arrays["xyz@embedder"]}


def fit_inputs(est, X, y):
    """What ``fit`` learns before training: parameters checked, seeds, ``inputs_``.

    Sets ``seed_``, ``split_seed_``, ``inputs_`` and ``validation_split_used_`` on ``est``;
    returns the prepared X (:class:`ModuleInput`) and the encoded labels.
    """
    check_params(est)
    est.seed_, est.split_seed_ = seeds(est.random_state)
    X, arrays = check_inputs(X, est.modalities, est.foundation_model)
    inputs = InputPreparer(est)
    y_enc = inputs.fit_labels(y, len(X))
    if isinstance(est.train_split, str) and est.train_split == "auto":
        est.validation_split_used_ = bool(
            _subjects_per_class(X, y_enc).min() >= AUTO_VALIDATION_MIN_PER_CLASS)
    else:
        est.validation_split_used_ = est.train_split is not None
    if isinstance(est.train_split, str) and est.validation_split_used_:
        n_valid = int(np.ceil(0.2 * len(y_enc)))
        n_classes = len(np.unique(y_enc))
        if n_valid < n_classes or len(y_enc) - n_valid < n_classes:
            raise ValueError(
                f"train_split='validation' holds out 20 % of the {len(y_enc)} training "
                f"subjects for early stopping, too few for {n_classes} classes; use "
                f"train_split=None (fixed max_epochs) or more subjects."
            )
    est.inputs_ = inputs.fit(X, arrays)
    return inputs.transform(X, arrays), y_enc


def fused_mean(net, X_mod, batch_size=64):
    """Mean over the rows of ``X_mod`` of the vector entering the head (IG baseline).

    Plain slicing, no DataLoader: iterating one draws from torch's global RNG.
    """
    from skorch.utils import to_tensor

    total = None
    was_training = net.module_.training
    net.module_.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(X_mod), batch_size):
                rows = X_mod[start:start + batch_size]
                Xi = to_tensor(dict(rows), device=net.device)
                z = net.module_.features(**Xi).float().sum(dim=0)
                total = z if total is None else total + z
    finally:
        net.module_.train(was_training)
    return (total / len(X_mod)).cpu().numpy()


# ---------------------------------------------------------------------- helpers
def _warn_if_unscaled(ts):
    """Warn when the windows look like raw intensities (parcel means far above their SD)."""
    ts = np.asarray(ts[:64], dtype=np.float64)
    mean, std = np.abs(ts.mean(axis=1)), ts.std(axis=1)
    ratio = float(np.median(mean / np.maximum(std, 1e-12)))
    if ratio > 10:
        warnings.warn(
            f"FMMTCClassifier: the time series look unscaled (parcel means {ratio:.0f} times "
            f"their standard deviation, e.g. {float(np.median(mean)):.3g}), but the frozen "
            "foundation model was pretrained on windows scaled per parcel. Use "
            "TimeSeriesExtractor(standardize='zscore') (the demo) or 'brainlm' (the released "
            "BrainLM) rather than 'none'.",
            UserWarning,
            stacklevel=5,
        )


def _subjects_per_class(X, y_enc):
    """Training subjects of each class (windows of one subject, ``X["subject"]``, count once)."""
    y_enc = np.asarray(y_enc)
    if "subject" in X:
        _, first = np.unique(np.asarray(X["subject"]), return_index=True)
        y_enc = y_enc[first]
    return np.bincount(y_enc)


def _class_weights(class_weight, classes, y_enc):
    if class_weight is None:
        return None
    index = np.arange(len(classes))
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"'class_weight' must be None, 'balanced' or a dict; got {class_weight!r}."
            )
        return compute_class_weight("balanced", classes=index, y=y_enc)
    if isinstance(class_weight, dict):
        unknown = [k for k in class_weight if k not in set(np.asarray(classes).tolist())]
        if unknown:
            raise ValueError(f"'class_weight' names labels {unknown} not in y ({list(classes)}).")
        return np.array([float(class_weight.get(c, 1.0)) for c in np.asarray(classes).tolist()])
    raise ValueError(f"'class_weight' must be None, 'balanced' or a dict; got {class_weight!r}.")


def _expect(condition, key, expected, shape):
    if not condition:
        raise ValueError(
            f"'{key}' in X must have shape {expected} as in fit; got {tuple(shape)}."
        )


def _same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return tuple(a) == tuple(b)
    return a == b


def _accepted_arguments(module_cls):
    params = inspect.signature(module_cls).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params}
