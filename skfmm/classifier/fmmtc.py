"""FMMTCClassifier: the whole FMM_TC model as a skorch ``NeuralNetClassifier``.

A thin subclass: the frozen encoder lives in a fitted :class:`~skfmm.BrainLMEmbedder`, the
device and precision handling in :class:`~skfmm.classifier.runtime.DeviceRuntimeMixin`.
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
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from skorch import NeuralNetClassifier
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    LRScheduler,
    PassthroughScoring,
    PrintLog,
)
from skorch.dataset import ValidSplit
from skorch.helper import SliceDict
from skorch.utils import is_dataset

from ..extraction.container import MultimodalData, check_multimodal
from ..foundation.brainlm import BrainLM
from ..foundation.pooling import POOLINGS
from ..nn.encoders import FC_ENCODERS
from ..nn.fmmtc import MODALITIES, FMMTCModule
from ..utils.device import resolve_device
from ..utils.validation import check_float_array
from .runtime import MIXED_PRECISION, DeviceRuntimeMixin

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # hints only
    from skfmm._typing import ArrayLike, CohortLike, DeviceLike, PathLike

__all__ = ["FMMTCClassifier", "ModuleInput"]

log = logging.getLogger(__name__)

#: Module arguments inferred from the data in ``fit``.
_INFERRED = ("n_regions", "window", "n_classes", "ts_embedding_dim", "n_covariates")

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


class FMMTCClassifier(DeviceRuntimeMixin, NeuralNetClassifier):
    """FMM_TC (Fan et al., MICCAI 2025) as a scikit-learn / skorch classifier.

    A frozen fMRI foundation model (BrainLM) encodes each subject's time-series window
    into its CLS vector, a trainable ResNet-18 encodes the functional-connectivity
    matrix, the two vectors (and optional covariates) are concatenated and one linear
    layer gives the class logits. The frozen encoder runs once per subject-window
    (cached), so each epoch trains only the connectivity branch and the head.

    It is a :class:`skorch.NeuralNetClassifier`: ``lr``, ``max_epochs``,
    ``batch_size``, ``module__*``, ``optimizer__*``, ``iterator_train__*``,
    ``callbacks`` and ``callbacks__<name>__*`` work as in skorch. Module sizes
    (regions, window, embedding width, covariates, classes) are inferred from the data.

    Defaults follow the paper (AdamW, lr 5e-4, cosine annealing to 1e-7 over
    ``max_epochs``, batch 8, 100 epochs, cross-entropy) with one change: the epoch is
    never chosen on test data. With at least 50 training subjects per class it is chosen
    on an internal stratified validation split of the *training* data (20 %, early
    stopping on the validation loss, patience 10, best weights restored in memory); below,
    where such a split holds too few subjects to choose well, all ``max_epochs`` are
    trained (``train_split="auto"``; measured in the classifier docs).
    The authors' protocol is available, by name, as
    :func:`skfmm.benchmark.protocol.fit_authors_protocol`.

    Parameters
    ----------
    module : torch.nn.Module class, default=FMMTCModule
        The network; sizes are injected as ``module__*`` arguments it accepts.
    foundation_model : "demo", str path, hub id, BrainLM or None, default="demo"
        The frozen TS encoder: a name, directory or Hugging Face id (the released
        ``"vandijklab/brainlm/old_13M"``) for
        :func:`skfmm.foundation.load_foundation_model` (``"demo"``: a small BrainLM
        pretrained on a simulated pain-agnostic corpus, shipped with skfmm), a
        ``BrainLM`` instance, or None for the no-external-knowledge ablation (a small
        temporal CNN trained from scratch, see :class:`skfmm.nn.TemporalCNNEncoder`).
    fc_encoder : {"resnet18", "brainnetcnn", "mlp"}, default="resnet18"
        Connectivity encoder (the paper's ResNet-18, or lighter ones for CPUs).
    modalities : tuple, default=("ts", "fc")
        ``("ts", "fc")`` (the paper), ``("ts",)`` or ``("fc",)`` (unimodal models).
    pooling : {"cls", "mean", "parcel"}, default="cls"
        Foundation-model token pooling (the paper: CLS). ``"parcel"``: each parcel's mean
        token, through a projection ``hidden -> module__parcel_rank`` (default 1) shared
        by the parcels, then the linear head, which then holds one weight per parcel and
        class (a factorized head: ``hidden * rank + n_regions * rank * n_classes``
        parameters, never ``n_regions * hidden``; see :class:`skfmm.nn.fmmtc.ParcelProjection`).
    class_weight : None, "balanced" or dict, default=None
        Weights of the cross-entropy loss, computed from ``y`` in ``fit``.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation split; the
        same value gives identical predictions. The global torch RNG is left untouched.
    memory : None, str or joblib.Memory, default=None
        On-disk cache of the foundation-model embeddings (an in-memory content-keyed
        cache is always used).
    embedding_batch_size : int, default=8
        Batch size of the frozen encoder.
    standardize_embedding : bool, default=False
        Standardise the frozen embedding with the mean and standard deviation of the
        training subjects (learned in ``fit``) before the head. The paper feeds the CLS
        vector raw (the default). A linear head spans the same functions either way, but
        CLS vectors (LayerNorm outputs) can vary little between subjects around large
        offsets, which a head trained for tens of epochs then cannot use; standardising
        makes every embedding dimension count, which helps an informative encoder and
        adds noise features for an uninformative one (measured in the benchmark docs).
    mixed_precision : bool or {"bf16", "fp16"}, default=True
        On CUDA, run forward passes under ``torch.autocast`` (bf16 where supported,
        else fp16 with a ``GradScaler``). On CPU, only ``"bf16"`` turns autocast on
        (bf16; faster on CPUs with AVX512-BF16 or AMX, results differ from fp32 by bf16
        rounding); ``True`` keeps the CPU in fp32.
    deterministic : bool, default=False
        Run the fit with deterministic kernels (cuDNN deterministic, no cuDNN benchmark,
        ``torch.use_deterministic_algorithms``, a fixed cuBLAS workspace), so that the
        same ``random_state`` gives the same model on a GPU too; the global settings are
        restored after the fit (see
        :func:`skfmm.classifier.runtime.deterministic_algorithms`). CPU fits are
        repeatable either way. Off by default: deterministic kernels can be slower.
    criterion, optimizer, lr, max_epochs, batch_size, classes, callbacks, verbose
        As in skorch; defaults ``CrossEntropyLoss``, ``AdamW``, 5e-4, 100, 8.
    train_split : "auto", "validation", None or callable, default="auto"
        ``"validation"``: ``ValidSplit(0.2, stratified=True, random_state=<from
        random_state>)`` with early stopping; None: no validation, no early stopping,
        ``max_epochs`` epochs; ``"auto"``: ``"validation"`` when every class has at least
        50 training subjects (windows of one subject, ``X["subject"]``, count once), else
        None. ``validation_split_used_`` says which applied.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        ``"auto"`` uses CUDA when available.
    **kwargs
        Other skorch parameters (``module__fc_width=16``, ``optimizer__weight_decay``,
        ``iterator_train__drop_last``...). Training batches are shuffled unless
        ``iterator_train__shuffle=False``.

    Attributes
    ----------
    classes_ : ndarray
        The labels, in the order of ``predict_proba``'s columns.
    embedder_ : BrainLMEmbedder or None
        The fitted frozen encoder (loading, device, pooling, embedding cache and the
        embedding standardisation live there); None without a foundation model.
    foundation_model_ : BrainLM or None
        ``embedder_.model_``, the frozen encoder used.
    module_sizes_ : dict
        The module arguments inferred from the data.
    covariate_mean_, covariate_scale_ : ndarray or None
        Standardisation of ``covariates``, learned in ``fit``.
    embedding_mean_, embedding_scale_ : ndarray or None
        Standardisation of the frozen embedding (``standardize_embedding``), from ``fit``
        (``embedder_.mean_`` and ``embedder_.scale_``).
    fused_mean_ : ndarray of shape (width,)
        Training mean of the concatenated representation that enters the linear head,
        the ``baseline="mean"`` of :func:`skfmm.interpret.modality_attributions`.
    validation_split_used_ : bool
        Whether ``fit`` held out a validation split (early stopping).
    history_ : skorch.History
        Per-epoch losses and scores.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import FMMTCClassifier, MultimodalData
    >>> rng = np.random.default_rng(0)
    >>> X = MultimodalData(ts=rng.standard_normal((12, 40, 6)).astype("float32"),
    ...                    fc=rng.standard_normal((12, 6, 6)).astype("float32"))
    >>> y = np.array(["no", "yes"] * 6)
    >>> clf = FMMTCClassifier(foundation_model=None, fc_encoder="mlp", max_epochs=2,
    ...                       train_split=None, random_state=0, verbose=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (12, 2)
    >>> set(clf.predict(X)) <= {"no", "yes"}
    True
    """

    def __init__(
        self,
        module: type[torch.nn.Module] | torch.nn.Module = FMMTCModule,
        *,
        foundation_model: str | PathLike | Any | None = "demo",
        fc_encoder: str = "resnet18",
        modalities: tuple[str, ...] = ("ts", "fc"),
        pooling: str = "cls",
        class_weight: str | dict | None = None,
        random_state: int | None = None,
        memory: Any = None,
        embedding_batch_size: int = 8,
        standardize_embedding: bool = False,
        mixed_precision: bool | str = True,
        deterministic: bool = False,
        criterion: Any = torch.nn.CrossEntropyLoss,
        optimizer: Any = torch.optim.AdamW,
        lr: float = 5e-4,
        max_epochs: int = 100,
        batch_size: int = 8,
        train_split: Any = "auto",
        classes: ArrayLike | None = None,
        callbacks: Any = None,
        device: DeviceLike = "cpu",
        verbose: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            classes=classes,
            callbacks=callbacks,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.foundation_model = foundation_model
        self.fc_encoder = fc_encoder
        self.modalities = modalities
        self.pooling = pooling
        self.class_weight = class_weight
        self.random_state = random_state
        self.memory = memory
        self.embedding_batch_size = embedding_batch_size
        self.standardize_embedding = standardize_embedding
        self.mixed_precision = mixed_precision
        self.deterministic = deterministic

    # ------------------------------------------------------------------ skorch hooks
    @property
    def _default_callbacks(self):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
        ]
        if self._uses_validation():
            callbacks += [
                ("valid_loss", PassthroughScoring(name="valid_loss")),
                ("valid_acc", EpochScoring("accuracy", name="valid_acc", lower_is_better=False)),
                ("valid_mcc", EpochScoring(
                    "matthews_corrcoef", name="valid_mcc", lower_is_better=False)),
            ]
        callbacks.append(("lr_scheduler", LRScheduler(
            policy="CosineAnnealingLR", T_max=self.max_epochs, eta_min=1e-7)))
        if self._uses_validation():
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="valid_loss", patience=10, load_best=True)))
        callbacks.append(("print_log", PrintLog()))
        return callbacks

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.dict = True
        tags.input_tags.two_d_array = False
        tags.non_deterministic = self.random_state is None
        return tags

    def _get_param_names(self):
        # skorch lists every non-fitted attribute, its private bookkeeping included
        # (``_params_to_validate``); those are not parameters a clone should receive.
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def get_params_for(self, prefix):
        """skorch's ``get_params_for`` plus the module sizes and class weights from ``fit``."""
        kwargs = super().get_params_for(prefix)
        if prefix == "module" and inspect.isclass(self.module):
            kwargs = self._module_kwargs(kwargs)
        elif prefix == "criterion" and getattr(self, "class_weight_", None) is not None:
            kwargs.setdefault("weight", torch.as_tensor(self.class_weight_, dtype=torch.float32))
        elif prefix == "iterator_train":
            kwargs.setdefault("shuffle", True)  # the paper shuffles; skorch does not by default
        return kwargs

    def _module_kwargs(self, kwargs):
        sizes = getattr(self, "module_sizes_", None)
        if sizes is None:
            raise RuntimeError(
                "FMMTCClassifier infers the module sizes (n_regions, window, ...) from the "
                "data: call fit(X, y) instead of initialize()."
            )
        wanted = dict(sizes)
        wanted.update(
            modalities=tuple(self.modalities), fc_encoder=self.fc_encoder, pooling=self.pooling
        )
        for key, value in wanted.items():
            if key in kwargs and not _same(kwargs[key], value):
                source = "the data" if key in _INFERRED else f"the parameter '{key}'"
                raise ValueError(
                    f"module__{key}={kwargs[key]!r} contradicts {source} ({value!r}); "
                    f"leave module__{key} unset"
                    + ("." if key in _INFERRED else f" and set {key}= instead.")
                )
        accepted = _accepted_arguments(self.module)
        for key, value in wanted.items():
            if accepted is None or key in accepted:
                kwargs.setdefault(key, value)
        return kwargs

    def check_data(self, X, y):
        # classes_ come from the labels seen in fit (``_setup``), not the encoded y.
        pass

    def get_dataset(self, X, y=None):
        """skorch's dataset of :meth:`prepare`'s output (containers are prepared first)."""
        if not is_dataset(X) and not isinstance(X, ModuleInput):
            X = self.prepare(X)
        return super().get_dataset(X, y)

    def _uses_validation(self):
        """Whether this fit holds out a validation split (``"auto"`` decides by cohort size)."""
        if self.train_split == "auto":
            return bool(getattr(self, "validation_split_used_", False))
        return self.train_split is not None

    def get_split_datasets(self, X, y=None, **fit_params):
        if isinstance(self.train_split, str):
            if self.train_split not in TRAIN_SPLITS:
                raise ValueError(
                    f"'train_split' must be 'auto', 'validation', None or a callable such as "
                    f"skorch's ValidSplit; got {self.train_split!r}."
                )
            dataset = self.get_dataset(X, y)
            if not self._uses_validation():
                return dataset, None
            y_arr = np.asarray(y)
            n_valid = int(np.ceil(0.2 * len(y_arr)))
            n_classes = len(np.unique(y_arr))
            if n_valid < n_classes or len(y_arr) - n_valid < n_classes:
                raise ValueError(
                    f"train_split='validation' holds out 20 % of the {len(y_arr)} training "
                    f"subjects for early stopping, too few for {n_classes} classes; use "
                    f"train_split=None (fixed max_epochs) or more subjects."
                )
            split = ValidSplit(0.2, stratified=True, random_state=self.split_seed_)
            return split(dataset, y, **fit_params)
        return super().get_split_datasets(X, y, **fit_params)

    def get_iterator(self, dataset, training=False):
        if training:
            params = self.get_params_for("iterator_train")
            batch_size = params.get("batch_size", self.batch_size)
            n = len(dataset)
            if batch_size not in (-1, None) and params.get("drop_last", False) and n < batch_size:
                warnings.warn(
                    f"iterator_train__drop_last=True with batch_size={batch_size} drops every "
                    f"training batch: only {n} training subjects. Lower batch_size or set "
                    f"iterator_train__drop_last=False.",
                    UserWarning,
                    stacklevel=2,
                )
        return super().get_iterator(dataset, training=training)

    # ------------------------------------------------------------------ public API
    def fit(self, X: CohortLike, y: ArrayLike, **fit_params: Any) -> FMMTCClassifier:
        """Learn the labels, scalers and sizes from ``(X, y)``, embed once, then train.

        Parameters
        ----------
        X : MultimodalData
            Container with the keys the modalities need: ``ts`` and ``xyz`` (foundation
            model), ``ts`` (from-scratch TS encoder), ``fc``; optional ``covariates``.
        y : array-like of shape (n_subjects,)
            Any labels (strings too), at least two distinct values.
        **fit_params
            Passed to skorch's ``fit``.

        Returns
        -------
        self
        """
        _refuse_fit_params(fit_params, "fit")
        with self._determinism():
            X_mod, y_enc = self._setup(X, y)
            seed = self.seed_
            with self._runtime():
                if seed is None:
                    super().fit(X_mod, y_enc, **fit_params)
                else:
                    with torch.random.fork_rng(devices=self._cuda_devices()):
                        torch.manual_seed(seed)
                        super().fit(X_mod, y_enc, **fit_params)
                self.fused_mean_ = self._fused_mean(X_mod)
        return self

    def _fused_mean(self, X_mod, batch_size=64):
        """Mean over the training subjects of the vector entering the head (IG baseline).

        Plain slicing, no DataLoader: iterating one draws from torch's global RNG.
        """
        from skorch.utils import to_tensor

        total = None
        was_training = self.module_.training
        self.module_.eval()
        try:
            with torch.no_grad():
                for start in range(0, len(X_mod), batch_size):
                    rows = X_mod[start:start + batch_size]
                    Xi = to_tensor(dict(rows), device=self.device)
                    z = self.module_.features(**Xi).float().sum(dim=0)
                    total = z if total is None else total + z
        finally:
            self.module_.train(was_training)
        return (total / len(X_mod)).cpu().numpy()

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """skorch's ``partial_fit`` on a container (the first call also learns labels/sizes).

        A ``KeyboardInterrupt`` during training is raised again after skorch's own handling
        (skorch swallows it and returns a partly trained net), so that a caller such as
        :func:`~skfmm.evaluation.nested_cross_validate` never takes the truncated model for a
        finished one. The net stays as trained so far.
        """
        _refuse_fit_params(fit_params, "partial_fit")
        with self._determinism():
            if isinstance(X, ModuleInput) or is_dataset(X):
                return self._partial_fit_prepared(X, y, classes, **fit_params)
            if not self.initialized_ or getattr(self, "module_sizes_", None) is None:
                X_mod, y_enc = self._setup(X, y)
            else:
                X_mod, y_enc = self.prepare(X), self._encode_labels(y, len(X))
            with self._runtime():
                return self._partial_fit_prepared(X_mod, y_enc, classes, **fit_params)

    def _partial_fit_prepared(self, X, y, classes, **fit_params):
        """skorch's ``partial_fit`` on module input, raising again a swallowed interrupt."""
        self.__dict__["_interrupted_at"] = None
        super().partial_fit(X, y, classes, **fit_params)
        epoch = self.__dict__.pop("_interrupted_at", None)
        if epoch is not None:
            raise KeyboardInterrupt(
                f"FMMTCClassifier: training interrupted during epoch {epoch}; the net is "
                "only partly trained."
            )
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's ``fit_loop``, recording a ``KeyboardInterrupt`` before skorch swallows it."""
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt as exc:
            # skorch's EarlyStopping (and callbacks written like it) stop training by raising
            # KeyboardInterrupt themselves: that is a finished fit, not an interrupt.
            if not _raised_by_callback(exc):
                self.__dict__["_interrupted_at"] = len(self.history) if self.history else 0
            raise

    def predict_proba(self, X: CohortLike) -> np.ndarray:
        """Class probabilities, shape ``(n_subjects, n_classes)``, columns in ``classes_``.

        Never NaN: non-finite probabilities (from corrupt weights or inputs) raise a
        ``ValueError`` instead of turning into class 0 for everyone in :meth:`predict`.
        """
        proba = super().predict_proba(X)
        finite = np.isfinite(proba).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise ValueError(
                f"FMMTCClassifier.predict_proba: the network gave NaN or infinite "
                f"probabilities for {len(bad)} of {len(proba)} subjects (first: row "
                f"{int(bad[0])}); its weights or inputs hold non-finite values."
            )
        return proba

    def predict(self, X: CohortLike) -> np.ndarray:
        """Predicted labels (the values seen in ``fit``, strings included)."""
        index = self.predict_proba(X).argmax(axis=1)
        if isinstance(X, ModuleInput) or is_dataset(X):
            return index
        return np.asarray(self.classes_)[index]

    def prepare(self, X, embed=True):
        """Turn a container into the network's input: embed once, standardise covariates.

        Parameters
        ----------
        X : MultimodalData
            As for :meth:`fit`.
        embed : bool, default=True
            Run the frozen encoder (``ts_emb`` in the output). False leaves the time
            series raw, ``ts`` and ``xyz`` in place of ``ts_emb``, checked as for
            ``embed=True``: the input of a caller that runs the frozen encoder itself,
            with gradients (``embedder_.encode_tensor``), as the region attributions of
            :func:`skfmm.interpret.region_attributions` do. Without a foundation model
            the output is the same either way.

        Returns
        -------
        ModuleInput
            ``ts_emb`` (foundation model) or ``ts``, ``fc``, ``covariates`` as float32;
            ``ts`` and ``xyz`` instead of ``ts_emb`` with ``embed=False``.

        Examples
        --------
        >>> import numpy as np
        >>> from skfmm import FMMTCClassifier, MultimodalData
        >>> from skfmm.foundation import BrainLM, BrainLMConfig
        >>> lm = BrainLM(BrainLMConfig(hidden_size=16, num_hidden_layers=1,
        ...                            intermediate_size=32), with_decoder=False, random_state=0)
        >>> rng = np.random.default_rng(0)
        >>> X = MultimodalData(ts=rng.standard_normal((6, 40, 5)), xyz=np.zeros((6, 5, 3)),
        ...                    fc=rng.standard_normal((6, 5, 5)),
        ...                    covariates=rng.normal(50, 10, (6, 2)))
        >>> clf = FMMTCClassifier(foundation_model=lm, fc_encoder="mlp", max_epochs=1,
        ...                       train_split=None, verbose=0).fit(X, [0, 1] * 3)
        >>> sorted(clf.prepare(X)), sorted(clf.prepare(X, embed=False))
        (['covariates', 'fc', 'ts_emb'], ['covariates', 'fc', 'ts', 'xyz'])
        >>> bool(np.allclose(clf.prepare(X)["covariates"].mean(axis=0), 0.0, atol=1e-6))
        True
        """
        if embed not in (True, False):
            raise ValueError(f"'embed' must be True or False; got {embed!r}.")
        if getattr(self, "module_sizes_", None) is None:
            raise NotFittedError(
                "This FMMTCClassifier is not fitted yet; call fit(X, y) first."
            )
        X = check_multimodal(X, self.required_keys(), argument="X", who="FMMTCClassifier")
        sizes = self.module_sizes_
        out = {}
        if "ts" in self.modalities:
            ts = check_float_array(X["ts"], "ts", ndim=3)
            _expect(ts.shape[2] == sizes["n_regions"], "ts", f"(n, window, {sizes['n_regions']})",
                    ts.shape)
            # The window length is part of what the model learned, with or without a frozen
            # encoder (BrainLM accepts any multiple of its patch size, silently).
            _expect(ts.shape[1] == sizes["window"], "ts",
                    f"(n, {sizes['window']}, {sizes['n_regions']})", ts.shape)
            if self.embedder_ is None:
                out["ts"] = ts
            elif embed:
                out["ts_emb"] = self.embedder_.transform(MultimodalData(ts=ts, xyz=X["xyz"]))
            else:
                xyz = check_float_array(X["xyz"], "xyz", ndim=3)
                _expect(xyz.shape[1:] == (sizes["n_regions"], 3), "xyz",
                        f"(n, {sizes['n_regions']}, 3)", xyz.shape)
                out["ts"], out["xyz"] = ts, xyz
        if "fc" in self.modalities:
            fc = check_float_array(X["fc"], "fc", ndim=3)
            R = sizes["n_regions"]
            _expect(fc.shape[1:] == (R, R), "fc", f"(n, {R}, {R})", fc.shape)
            out["fc"] = fc
        if sizes["n_covariates"]:
            if "covariates" not in X:
                raise ValueError(
                    "FMMTCClassifier was fitted with 'covariates'; X lacks them (got keys "
                    f"{sorted(X.keys())})."
                )
            cov = check_float_array(X["covariates"], "covariates", ndim=2)
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

    def _content_params(self):
        """``get_params(deep=False)`` with a foundation model named by path or ``"demo"``
        replaced by its weights' fingerprint: what the fold cache of
        :func:`~skfmm.evaluation.nested_cross_validate` keys on, so new weights at the same
        path never reuse folds of the old ones."""
        return _with_model_fingerprint(self.get_params(deep=False))

    def required_keys(self):
        """The container keys ``fit`` and ``predict`` read, from the parameters.

        ``ts`` (and ``xyz`` with a foundation model) for the time-series modality, ``fc``
        for connectivity; ``covariates`` are optional in ``fit`` and then required.

        Returns
        -------
        list of str

        Examples
        --------
        >>> from skfmm import FMMTCClassifier
        >>> FMMTCClassifier(foundation_model="demo").required_keys()
        ['ts', 'xyz', 'fc']
        """
        keys = []
        if "ts" in self.modalities:
            keys.append("ts")
            if self.foundation_model is not None:
                keys.append("xyz")
        if "fc" in self.modalities:
            keys.append("fc")
        return keys

    @property
    def foundation_model_(self):
        """The frozen encoder used (``embedder_.model_``), or None without one."""
        embedder = getattr(self, "embedder_", None)
        return None if embedder is None else embedder.model_

    @property
    def embedding_mean_(self):
        embedder = getattr(self, "embedder_", None)
        return None if embedder is None else embedder.mean_

    @property
    def embedding_scale_(self):
        embedder = getattr(self, "embedder_", None)
        return None if embedder is None else embedder.scale_

    def scale_embedding(self, emb):
        """Apply the training standardisation of the frozen embedding (identity if off).

        Works on NumPy arrays and torch tensors (kept differentiable for attributions);
        see :meth:`skfmm.BrainLMEmbedder.scale_embedding`.
        """
        embedder = getattr(self, "embedder_", None)
        return emb if embedder is None else embedder.scale_embedding(emb)

    # ------------------------------------------------------------------ internals
    def _setup(self, X, y):
        """Validate parameters, learn labels, encoder, scalers and sizes from ``(X, y)``.

        Returns the prepared X (:class:`ModuleInput`) and the encoded labels.
        """
        self._check_params()
        self._set_seeds()
        X = check_multimodal(X, self.required_keys(), argument="X", who="FMMTCClassifier")
        y_enc = self._fit_labels(y, len(X))
        if isinstance(self.train_split, str) and self.train_split == "auto":
            self.validation_split_used_ = bool(
                _subjects_per_class(X, y_enc).min() >= AUTO_VALIDATION_MIN_PER_CLASS)
        else:
            self.validation_split_used_ = self.train_split is not None
        self.embedder_ = self._fit_embedder(X)
        self._fit_covariate_scaler(X)
        self.module_sizes_ = self._infer_module_sizes(X)
        log.info("FMMTCClassifier: module sizes inferred from the data: " + ", ".join(
            f"module__{k}={v}" for k, v in self.module_sizes_.items()))
        return self.prepare(X), y_enc

    def _check_params(self):
        modalities = self.modalities
        if isinstance(modalities, str) or not isinstance(modalities, (tuple, list)) or (
            not modalities or any(m not in MODALITIES for m in modalities)
            or len(set(modalities)) != len(modalities)
        ):
            raise ValueError(
                "'modalities' must be ('ts', 'fc'), ('ts',) or ('fc',); "
                f"got {modalities!r}."
            )
        if self.fc_encoder not in FC_ENCODERS:
            raise ValueError(f"'fc_encoder' must be one of {FC_ENCODERS}; got {self.fc_encoder!r}.")
        if self.pooling not in POOLINGS:
            raise ValueError(f"'pooling' must be one of {POOLINGS}; got {self.pooling!r}.")
        if self.mixed_precision not in MIXED_PRECISION:
            raise ValueError(
                "'mixed_precision' must be True, False, 'bf16' or 'fp16'; "
                f"got {self.mixed_precision!r}."
            )
        if isinstance(self.device, str) and self.device not in ("cpu", "auto") and not (
            self.device.startswith("cuda") or self.device.startswith("mps")
        ):
            raise ValueError(f"'device' must be 'cpu', 'cuda' or 'auto'; got {self.device!r}.")
        if self.device is not None:
            resolve_device(self.device)  # a GPU this torch cannot use: refused before any work
        split = self.train_split
        if not (split is None or callable(split) or (
                isinstance(split, str) and split in TRAIN_SPLITS)):
            raise ValueError(
                "'train_split' must be 'auto', 'validation', None or a callable such as "
                f"skorch's ValidSplit; got {self.train_split!r}."
            )
        if isinstance(self.max_epochs, bool) or not isinstance(
            self.max_epochs, numbers.Integral
        ) or self.max_epochs < 1:
            raise ValueError(f"'max_epochs' must be a positive integer; got {self.max_epochs!r}.")
        for name, allow_all in (("batch_size", True), ("embedding_batch_size", False)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not (
                    value >= 1 or (allow_all and value == -1)):
                raise ValueError(
                    f"'{name}' must be a positive integer"
                    + (" (or -1: every subject in one batch)" if allow_all else "")
                    + f"; got {value!r}.")
        if isinstance(self.lr, bool) or not isinstance(self.lr, numbers.Real) or not (
                np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"'lr' must be a finite positive number; got {self.lr!r}.")
        rs = self.random_state
        if not (rs is None or isinstance(rs, np.random.RandomState) or (
                isinstance(rs, numbers.Integral) and not isinstance(rs, bool)
                and 0 <= rs < 2 ** 32)):
            raise ValueError(
                "'random_state' must be None, an integer in [0, 2**32) or a "
                f"numpy.random.RandomState; got {rs!r}.")
        fm = self.foundation_model
        if fm is not None and not isinstance(fm, (str, os.PathLike, BrainLM)):
            raise TypeError(
                "'foundation_model' must be None, 'demo', a path to BrainLM weights, a "
                "Hugging Face id such as 'vandijklab/brainlm/old_13M' or a BrainLM "
                f"instance; got {type(fm).__name__}."
            )

    def _set_seeds(self):
        """``seed_`` (torch, for the fit) and ``split_seed_`` (validation split) from random_state."""
        if self.random_state is None:
            self.seed_ = self.split_seed_ = None
            return
        rng = check_random_state(self.random_state)
        self.seed_ = (int(self.random_state) if isinstance(self.random_state, numbers.Integral)
                      else int(rng.randint(np.iinfo(np.int32).max)))
        self.split_seed_ = self.seed_

    def _fit_labels(self, y, n):
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
        self.classes_inferred_ = classes
        y_enc = self._encode_labels(y, n)
        self.class_weight_ = _class_weights(self.class_weight, classes, y_enc)
        return y_enc

    def _fit_embedder(self, X):
        """The fitted frozen encoder of the time series, or None (no foundation model)."""
        if "ts" not in self.modalities or self.foundation_model is None:
            return None
        from ..foundation.embedder import BrainLMEmbedder

        embedder = BrainLMEmbedder(
            foundation_model=self.foundation_model, pooling=self.pooling,
            batch_size=self.embedding_batch_size,
            device="cpu" if self.device is None else self.device, memory=self.memory,
            verbose=int(bool(self.verbose)), standardize=bool(self.standardize_embedding),
        )
        _warn_if_unscaled(X["ts"])
        # Embeds the training windows once when standardising; prepare() then finds them
        # in the embedding cache.
        return embedder.fit(
            MultimodalData(ts=check_float_array(X["ts"], "ts", ndim=3), xyz=X["xyz"]))

    def _fit_covariate_scaler(self, X):
        self.covariate_mean_ = self.covariate_scale_ = None
        if "covariates" in X:
            cov = check_float_array(X["covariates"], "covariates", ndim=2).astype(np.float64)
            self.covariate_mean_ = cov.mean(axis=0)
            scale = cov.std(axis=0)
            self.covariate_scale_ = np.where(scale > 0, scale, 1.0)

    def _infer_module_sizes(self, X):
        return {
            "n_regions": int(X.n_regions),
            "window": int(X["ts"].shape[1]) if "ts" in X else None,
            "n_classes": int(len(self.classes_inferred_)),
            "ts_embedding_dim": (int(self.embedder_.n_features_out_)
                                 if self.embedder_ is not None else None),
            "n_covariates": (0 if self.covariate_mean_ is None
                             else int(len(self.covariate_mean_))),
        }

    def _encode_labels(self, y, n):
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

    def __setattr__(self, name, attr):
        # The frozen encoder given as a parameter is not a skorch-managed (trained,
        # device-moved) module: skorch's registration of torch attributes is bypassed.
        if name == "foundation_model":
            object.__setattr__(self, name, attr)
            return
        super().__setattr__(name, attr)


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
            stacklevel=4,
        )


def _subjects_per_class(X, y_enc):
    """Training subjects of each class (windows of one subject, ``X["subject"]``, count once)."""
    y_enc = np.asarray(y_enc)
    if "subject" in X:
        _, first = np.unique(np.asarray(X["subject"]), return_index=True)
        y_enc = y_enc[first]
    return np.bincount(y_enc)


def _with_model_fingerprint(params):
    model = params.get("foundation_model")
    if isinstance(model, (str, os.PathLike)):
        from ..foundation.registry import load_foundation_model

        params = dict(params)
        params["foundation_model"] = ("BrainLM.fingerprint",
                                      load_foundation_model(model, verbose=0).fingerprint())
    return params


def _raised_by_callback(exc):
    """Whether ``exc`` was raised in a skorch callback's own code (a deliberate stop)."""
    from skorch.callbacks import Callback

    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return isinstance(tb.tb_frame.f_locals.get("self"), Callback)


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


def _refuse_fit_params(fit_params, method):
    """Fit parameters are not used by FMMTCClassifier: refuse them by name, never ignore them.

    skorch passes them on to the module's ``forward``, which takes only the modalities, so a
    ``sample_weight`` would change nothing.
    """
    # skorch threads its own private keys (``_routing_method``) from fit to partial_fit.
    fit_params = {k: v for k, v in fit_params.items() if not k.startswith("_")}
    if not fit_params:
        return
    names = ", ".join(repr(k) for k in sorted(fit_params))
    hint = (" Weight the classes with class_weight='balanced' or a dict instead; per-subject "
            "weights are not supported." if "sample_weight" in fit_params else "")
    raise TypeError(
        f"FMMTCClassifier.{method} does not use the fit parameter(s) {names}: they would be "
        f"ignored, so they are refused.{hint}")

