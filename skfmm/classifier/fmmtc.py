"""FMMTCClassifier: the whole FMM_TC model as a skorch ``NeuralNetClassifier``.

A subclass on skorch's public surface: what is learned from the data before training (labels,
frozen encoder, covariate scaler, module sizes) is a small fitted object,
:class:`~skfmm.classifier._inputs.InputPreparer` (``inputs_``); the device and precision
handling is :class:`~skfmm.classifier.runtime.DeviceRuntimeMixin`. The skorch methods it
overrides are commented with why.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
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
from skorch.utils import is_dataset

from ..nn.fmmtc import FMMTCModule
import skfmm.classifier._inputs as _inputs
from ._inputs import AUTO_VALIDATION_MIN_PER_CLASS, TRAIN_SPLITS, ModuleInput  # noqa: F401
from ..utils.signals import interrupt_watch
from .runtime import DeviceRuntimeMixin, deterministic_algorithms, optimizer_defaults

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # hints only
    from skfmm._typing import ArrayLike, CohortLike, DeviceLike, PathLike

__all__ = ["FMMTCClassifier", "ModuleInput"]


def _from_inputs(name, doc):
    """A fitted attribute read from ``inputs_`` (absent before ``fit``)."""

    def get(self):
        inputs = getattr(self, "inputs_", None)
        if inputs is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        return getattr(inputs, name)

    return property(get, doc=doc)


def _from_embedder(name, doc):
    """An attribute of ``embedder_`` (None without a fitted frozen encoder)."""

    def get(self):
        embedder = getattr(self, "embedder_", None)
        return None if embedder is None else getattr(embedder, name)

    return property(get, doc=doc)


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
    inputs_ : InputPreparer
        What ``fit`` learned before training (labels, class weights, ``embedder_``,
        covariate scaler, ``module_sizes_``): ``skfmm.classifier._inputs.InputPreparer``.
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
        # skorch's documented hook for default callbacks: the paper's cosine schedule, and
        # the validation scores and early stopping only when a validation split is held out.
        uses_validation = getattr(self, "validation_split_used_",
                                  self.train_split not in (None, "auto"))
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
        ]
        if uses_validation:
            callbacks += [
                ("valid_loss", PassthroughScoring(name="valid_loss")),
                ("valid_acc", EpochScoring("accuracy", name="valid_acc", lower_is_better=False)),
                ("valid_mcc", EpochScoring(
                    "matthews_corrcoef", name="valid_mcc", lower_is_better=False)),
            ]
        callbacks.append(("lr_scheduler", LRScheduler(
            policy="CosineAnnealingLR", T_max=self.max_epochs, eta_min=1e-7)))
        if uses_validation:
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="valid_loss", patience=10, load_best=True)))
        callbacks.append(("print_log", PrintLog()))
        return callbacks

    def __sklearn_tags__(self):
        # scikit-learn's (not skorch's): X is a dict of arrays, not a 2-D array.
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
        """skorch's ``get_params_for`` plus what ``fit`` learned and the paper's defaults.

        ``module``: the sizes inferred from the data (an error when a ``module__*``
        argument contradicts them); ``criterion``: the class weights; ``iterator_train``:
        ``shuffle=True``; ``optimizer``: a multi-tensor step (``foreach`` on the CPU,
        ``fused`` on CUDA) unless ``optimizer__foreach`` or ``optimizer__fused`` is set.
        """
        # skorch's one hook for the arguments of every component it builds.
        kwargs = super().get_params_for(prefix)
        if prefix == "module" and isinstance(self.module, type):
            kwargs = _inputs.module_kwargs(self, kwargs)
        elif prefix == "criterion" and getattr(self, "class_weight_", None) is not None:
            kwargs.setdefault("weight", torch.as_tensor(self.class_weight_, dtype=torch.float32))
        elif prefix == "iterator_train":
            kwargs.setdefault("shuffle", True)  # the paper shuffles; skorch does not by default
        elif prefix == "optimizer":
            kwargs = optimizer_defaults(self, kwargs)
        return kwargs

    def get_dataset(self, X, y=None):
        """skorch's dataset of :meth:`prepare`'s output (containers are prepared first)."""
        # Where every skorch entry point (forward, predict_proba, fit) builds its dataset.
        if not is_dataset(X) and not isinstance(X, ModuleInput):
            X = self.prepare(X)
        return super().get_dataset(X, y)

    @property
    def classes_(self):
        # skorch infers ``classes_`` from the y it trains on, which here are class indices
        # (the labels are encoded by ``inputs_``, the fitted input preparer).
        inputs = getattr(self, "inputs_", None)
        return NeuralNetClassifier.classes_.fget(self) if inputs is None else inputs.classes_

    def __setattr__(self, name, attr):
        # skorch registers a torch module set as an attribute as one of its trained,
        # device-moved components (and refuses one outside initialize): the frozen encoder
        # given as the ``foundation_model`` parameter is not one.
        if name == "foundation_model":
            object.__setattr__(self, name, attr)
            return
        super().__setattr__(name, attr)

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
        # skorch's fit, on the prepared input, seeded, in the resolved runtime.
        _refuse_fit_params(fit_params, "fit")
        with deterministic_algorithms(self.deterministic):
            X_mod, y_enc = _inputs.fit_inputs(self, X, y)
            with self.runtime():
                with _seeded(self.seed_, self.cuda_devices()):
                    super().fit(X_mod, y_enc, **fit_params)
                self.fused_mean_ = _inputs.fused_mean(self, X_mod)
        return self

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """skorch's ``partial_fit`` on a container (the first call also learns labels/sizes).

        A Ctrl-C (SIGINT) during training is raised again after skorch's own handling
        (skorch swallows it and returns a partly trained net), so that a caller such as
        :func:`~skfmm.evaluation.nested_cross_validate` never takes the truncated model for a
        finished one. The net stays as trained so far.
        """
        # skorch's partial_fit (which fit calls) on a prepared input, with the interrupt
        # skorch swallows raised again.
        _refuse_fit_params(fit_params, "partial_fit")
        with deterministic_algorithms(self.deterministic):
            if not (isinstance(X, ModuleInput) or is_dataset(X)):
                if not self.initialized_ or getattr(self, "inputs_", None) is None:
                    X, y = _inputs.fit_inputs(self, X, y)
                else:
                    X, y = self.prepare(X), self.inputs_.encode(y, len(X))
            with self.runtime(), interrupt_watch() as interrupted:
                super().partial_fit(X, y, classes, **fit_params)
            if interrupted:
                raise KeyboardInterrupt(
                    f"FMMTCClassifier: training interrupted during epoch {len(self.history)}; "
                    "the net is only partly trained."
                )
        return self

    def predict_proba(self, X: CohortLike) -> np.ndarray:
        """Class probabilities, shape ``(n_subjects, n_classes)``, columns in ``classes_``.

        Never NaN: non-finite probabilities (from corrupt weights or inputs) raise a
        ``ValueError`` instead of turning into class 0 for everyone in :meth:`predict`.
        """
        # skorch's, with non-finite probabilities refused.
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
        # skorch's predict returns column indices; labels for containers.
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
        if getattr(self, "inputs_", None) is None:
            raise NotFittedError(
                "This FMMTCClassifier is not fitted yet; call fit(X, y) first."
            )
        X, arrays = _inputs.check_inputs(X, self.modalities, self.foundation_model)
        return self.inputs_.transform(X, arrays, embed=embed)

    def content_params(self):
        """``get_params()`` with the foundation model described by content, for cache keys.

        A foundation model named by path or ``"demo"`` is replaced by its weights'
        fingerprint: what the fold cache of :func:`~skfmm.evaluation.nested_cross_validate`
        keys on, so new weights at the same path never reuse folds of the old ones.
        """
        return _inputs.content_params(self)

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
        return _inputs.required_keys(self.modalities, self.foundation_model)

    embedder_ = _from_inputs("embedder_", "The fitted frozen encoder, or None.")
    module_sizes_ = _from_inputs("module_sizes_", "The module arguments inferred in fit.")
    covariate_mean_ = _from_inputs("covariate_mean_", "Covariate means from fit, or None.")
    covariate_scale_ = _from_inputs("covariate_scale_", "Covariate scales from fit, or None.")
    class_weight_ = _from_inputs("class_weight_", "Cross-entropy class weights, or None.")

    foundation_model_ = _from_embedder("model_", "The frozen encoder used, or None.")
    embedding_mean_ = _from_embedder("mean_", "Embedding standardisation mean, or None.")
    embedding_scale_ = _from_embedder("scale_", "Embedding standardisation scale, or None.")

    def scale_embedding(self, emb):
        """Apply the training standardisation of the frozen embedding (identity if off).

        Works on NumPy arrays and torch tensors (kept differentiable for attributions);
        see :meth:`skfmm.BrainLMEmbedder.scale_embedding`.
        """
        embedder = getattr(self, "embedder_", None)
        return emb if embedder is None else embedder.scale_embedding(emb)

    @contextlib.contextmanager
    def runtime(self):
        """:meth:`DeviceRuntimeMixin.runtime` with ``train_split`` resolved for a fit.

        ``"auto"`` and ``"validation"`` become what skorch calls: ``ValidSplit(0.2,
        stratified=True, random_state=split_seed_)`` when ``validation_split_used_``, else
        None; the parameter is written back after the block, as ``device`` is.
        """
        requested = self.train_split
        if isinstance(requested, str):
            self.train_split = (ValidSplit(0.2, stratified=True, random_state=self.split_seed_)
                                if self.validation_split_used_ else None)
        try:
            with super().runtime():
                yield
        finally:
            self.train_split = requested


# ---------------------------------------------------------------------- helpers
@contextlib.contextmanager
def _seeded(seed, cuda_devices):
    """torch's global RNG seeded in the block and restored after (nothing when seed is None)."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield


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
