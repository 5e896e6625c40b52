"""Where and in what precision a skorch net runs: ``device="auto"`` and CUDA mixed precision.

A mixin for :class:`skorch.NeuralNet` subclasses. It overrides four skorch hooks
(``get_iterator``, ``infer``, ``run_single_epoch``, ``__setstate__``), each commented with
why, and uses skorch's documented ``cuda_dependent_attributes_`` for pickles that load
without CUDA.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import warnings

import numpy as np
import torch
from skorch.dataset import Dataset, get_len, unpack_data
from skorch.utils import TeeGenerator
from torch.utils.data import DataLoader, Subset

from ..utils.device import resolve_device

__all__ = ["DeviceRuntimeMixin", "MIXED_PRECISION", "ResidentBatches", "deterministic_algorithms"]

#: Accepted values of ``mixed_precision``.
MIXED_PRECISION = (True, False, "bf16", "fp16")

#: cuBLAS workspace that makes its matmuls repeatable (PyTorch's reproducibility notes).
CUBLAS_WORKSPACE = ":4096:8"


@contextlib.contextmanager
def deterministic_algorithms(enabled=True):
    """Deterministic kernels for the length of the block; the global state is restored after.

    ``torch.use_deterministic_algorithms(True, warn_only=True)`` (an operation without a
    deterministic implementation warns, naming itself, instead of failing the fit),
    ``torch.backends.cudnn.deterministic = True``, ``torch.backends.cudnn.benchmark =
    False`` and, when unset, ``CUBLAS_WORKSPACE_CONFIG=:4096:8``. Only the settings
    that differ from their previous value are touched, and each is put back as it was.

    Parameters
    ----------
    enabled : bool, default=True
        False leaves everything as it is.

    Examples
    --------
    >>> import torch
    >>> from skfmm.classifier.runtime import deterministic_algorithms
    >>> with deterministic_algorithms():
    ...     torch.are_deterministic_algorithms_enabled()
    True
    >>> torch.are_deterministic_algorithms_enabled()
    False
    """
    if enabled not in (True, False):
        raise ValueError(f"'deterministic' must be True or False; got {enabled!r}.")
    if not enabled:
        yield
        return
    cudnn = torch.backends.cudnn
    saved = (torch.are_deterministic_algorithms_enabled(),
             torch.is_deterministic_algorithms_warn_only_enabled(),
             cudnn.deterministic, cudnn.benchmark, os.environ.get("CUBLAS_WORKSPACE_CONFIG"))
    if saved[4] is None:
        # Read when cuBLAS sets up a handle's workspace: effective for handles created
        # after this point (set it before the process's first CUDA matmul to be sure).
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_WORKSPACE
    torch.use_deterministic_algorithms(True, warn_only=True)
    cudnn.deterministic, cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        cudnn.deterministic, cudnn.benchmark = saved[2], saved[3]
        if saved[4] is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)


#: DataLoader arguments the device-resident batches reproduce exactly.
_RESIDENT_ARGUMENTS = {"batch_size", "shuffle", "drop_last"}


class ResidentBatches:
    """A DataLoader's batches, from tensors held on the device for the whole fit.

    Yields the batches skorch's default ``DataLoader`` would (same rows, same order,
    same dtypes: a dict of stacked rows and the stacked targets) without per-sample
    indexing, collation or a host-to-device copy per batch: ``X`` and ``y`` are moved
    to the device once (a view, not a copy, on the CPU) and each batch is a slice
    (sequential) or an index (shuffled). It draws from torch's global random generator
    exactly as ``DataLoader`` with a ``RandomSampler`` does (a base seed when an
    iteration starts, then the permutation's seed), so a seeded fit gives the same
    model either way.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from skfmm.classifier.runtime import ResidentBatches
    >>> data = Dataset({"fc": np.zeros((5, 2, 2), "float32")}, np.arange(5))
    >>> [len(y) for _, y in ResidentBatches(data, batch_size=2, device="cpu")]
    [2, 2, 1]
    """

    def __init__(self, dataset, batch_size, device, shuffle=False, drop_last=False):
        X, y = _resident_arrays(dataset)
        self.X = {k: torch.as_tensor(v).to(device) for k, v in X.items()}
        self.y = None if y is None else torch.as_tensor(y).to(device)
        self.n = len(next(iter(self.X.values())))
        self.batch_size = self.n if batch_size == -1 else int(batch_size)
        self.device = device
        self.shuffle = shuffle
        self.drop_last = drop_last

    def __len__(self):
        if self.drop_last:
            return self.n // self.batch_size
        return -(-self.n // self.batch_size)

    def __iter__(self):
        # DataLoader's iterator draws its base seed first, then RandomSampler its seed.
        torch.empty((), dtype=torch.int64).random_()
        order = None
        if self.shuffle:
            seed = int(torch.empty((), dtype=torch.int64).random_().item())
            generator = torch.Generator()
            generator.manual_seed(seed)
            order = torch.randperm(self.n, generator=generator).to(self.device)
        stop = self.n - self.n % self.batch_size if self.drop_last else self.n
        for start in range(0, stop, self.batch_size):
            end = min(start + self.batch_size, self.n)
            if order is None:
                rows = slice(start, end)
                Xi = {k: v[rows] for k, v in self.X.items()}
                yi = None if self.y is None else self.y[rows]
            else:
                rows = order[start:end]
                Xi = {k: v.index_select(0, rows) for k, v in self.X.items()}
                yi = None if self.y is None else self.y.index_select(0, rows)
            if yi is None:  # skorch's placeholder target, one per row
                yi = torch.zeros((end - start, 1), device=self.device)
            yield Xi, yi


def _accepted(callable_):
    try:
        return set(inspect.signature(callable_).parameters)
    except (TypeError, ValueError):
        return set()


def _resident_arrays(dataset, gather=True):
    """``(X dict, y)`` of a skorch Dataset or a Subset of one, or None if it is neither.

    ``gather=False`` only checks (a Subset's rows are not copied).
    """
    if type(dataset) is Subset:
        inner = _resident_arrays(dataset.dataset, gather)
        if inner is None or not gather:
            return inner
        index = np.asarray(dataset.indices)
        X, y = inner
        return {k: v[index] for k, v in X.items()}, (None if y is None else y[index])
    if type(dataset) is not Dataset or not isinstance(dataset.X, dict) or not dataset.X:
        return None
    if dataset.X_is_ndframe:
        return None
    arrays = {}
    for key, value in dataset.X.items():
        if not isinstance(value, (np.ndarray, torch.Tensor)) or value.dtype == object:
            return None
        arrays[key] = value
    y = dataset.y
    if y is not None and not isinstance(y, (np.ndarray, torch.Tensor)):
        return None
    return arrays, y


def optimizer_defaults(net, kwargs):
    """``kwargs`` (the net's ``optimizer__*``) plus a multi-tensor step when the user chose none.

    ``fused=True`` on CUDA (one kernel for all parameters), ``foreach=True`` elsewhere
    (the same arithmetic as the per-parameter loop, in fewer calls), for optimizers
    that take these arguments (Adam, AdamW, SGD...).
    """
    if not {"foreach", "fused"} & set(kwargs):
        accepted = _accepted(net.optimizer)
        cuda = net.device is not None and torch.device(net.device).type == "cuda"
        if cuda and "fused" in accepted:
            kwargs["fused"] = True
        elif "foreach" in accepted:
            kwargs["foreach"] = True
    return kwargs


def resident_batches(net, dataset, training):
    """Device-resident batches (:class:`ResidentBatches`) where they equal the DataLoader's.

    That is: the default ``iterator_train`` / ``iterator_valid`` (``DataLoader``), only
    ``batch_size``, ``shuffle`` or ``drop_last`` set, and a skorch ``Dataset`` (or a
    ``Subset`` of one, as from a validation split) of a dict of arrays. None otherwise
    (workers, samplers, collate functions, other datasets keep skorch's DataLoader).
    """
    prefix = "iterator_train" if training else "iterator_valid"
    kwargs = net.get_params_for(prefix)
    if getattr(net, prefix) is not DataLoader or set(kwargs) - _RESIDENT_ARGUMENTS:
        return None
    device = torch.device("cpu") if net.device is None else resolve_device(net.device)
    key = (str(device), training)
    cached = getattr(dataset, "_skfmm_resident", {})
    if key not in cached and _resident_arrays(dataset, gather=False) is None:
        return None
    batch_size = kwargs.get("batch_size", net.batch_size)
    if batch_size is None:  # DataLoader's unbatched mode: single samples, no collation
        return None
    if batch_size == -1:
        batch_size = len(dataset)
    batches = cached.get(key)
    if batches is None or batches.batch_size != batch_size:
        batches = ResidentBatches(dataset, batch_size, device)
        # Kept on the dataset (which lives for one fit or prediction), so that every
        # epoch reuses the device copy; nothing is kept on the net or pickled.
        try:
            dataset._skfmm_resident = {**cached, key: batches}
        except AttributeError:  # pragma: no cover - a dataset refusing attributes
            pass
    batches.shuffle = bool(kwargs.get("shuffle", False))
    batches.drop_last = bool(kwargs.get("drop_last", False))
    return batches


class DeviceRuntimeMixin:
    """``device="auto"`` kept as a parameter, and ``torch.autocast`` on CUDA (bf16 on CPU).

    The net must have a ``mixed_precision`` parameter (one of :data:`MIXED_PRECISION`)
    and a single optimizer (``optimizer_``). ``"auto"`` is resolved for the length of a
    fit (:meth:`runtime`), of each forward pass and of unpickling, and written back, so
    clones and pickles keep ``"auto"``. On CUDA, forward passes run under autocast (bf16
    where supported, else fp16 with a ``GradScaler``: scaled backward, gradients unscaled
    before callbacks see them). On the CPU only ``mixed_precision="bf16"`` turns autocast
    on (bf16); ``True`` keeps fp32 there.

    Examples
    --------
    >>> from skfmm.classifier.runtime import DeviceRuntimeMixin
    >>> DeviceRuntimeMixin.__name__
    'DeviceRuntimeMixin'
    """

    #: skorch pickles the attributes starting with these prefixes (``module_``, ``optimizer_`` and
    #: ``criterion_`` are added by skorch) through a ``map_location``, so that a CUDA-fitted
    #: net loads on a CPU-only machine. ``callbacks_`` hold CUDA tensors too (the LR
    #: scheduler holds the optimizer and so its state): they travel with them, and the
    #: restored scheduler drives the restored optimizer, not a copy of it.
    cuda_dependent_attributes_ = ["callbacks_"]

    def cuda_devices(self):
        """The CUDA device of the net as a list for :func:`torch.random.fork_rng` (or [])."""
        if torch.device(self.device).type == "cuda" and torch.cuda.is_available():
            return [torch.device(self.device).index or torch.cuda.current_device()]
        return []

    def autocast_dtype(self):
        """The dtype of ``torch.autocast`` for this device and ``mixed_precision``, or None."""
        if not self.mixed_precision or self.device is None:
            return None
        device_type = torch.device(self.device).type
        if device_type == "cpu" and self.mixed_precision == "bf16":
            # Only when asked by name: bf16 changes the CPU's results (the default stays
            # fp32 there); CPUs with AVX512-BF16 / AMX run ResNet-18 steps ~1.7x faster.
            return torch.bfloat16
        if device_type != "cuda":
            return None
        if self.mixed_precision == "fp16":
            return torch.float16
        if self.mixed_precision == "bf16" or torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float16

    def defers_loss_sync(self):
        """Read batch losses once per epoch (on CUDA: ``.item()`` per step waits for the GPU)."""
        return bool(self.cuda_devices())

    @contextlib.contextmanager
    def resolved_device(self):
        """``device="auto"`` resolved (and a device torch cannot use refused) in the block."""
        requested = self.device
        if requested == "auto":
            self.device = resolve_device("auto").type
        elif requested is not None:
            resolve_device(requested)  # a GPU torch cannot use is refused before any work
        try:
            yield
        finally:
            self.device = requested

    @contextlib.contextmanager
    def runtime(self):
        """Device resolved and, for fp16 autocast, a ``GradScaler`` for the length of a fit.

        Re-entrant: an inner block keeps the outer block's scaler.
        """
        with self.resolved_device():
            previous = getattr(self, "grad_scaler_", None)
            if previous is None and self.autocast_dtype() == torch.float16:
                self.grad_scaler_ = torch.amp.GradScaler("cuda")
            try:
                yield
            finally:
                self.grad_scaler_ = previous

    # ------------------------------------------------------------------ skorch hooks
    def get_iterator(self, dataset, training=False):
        # Device-resident batches (resident_batches) where they equal the DataLoader's,
        # and a warning when drop_last would drop every training batch.
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
        batches = resident_batches(self, dataset, training)
        return super().get_iterator(dataset, training=training) if batches is None else batches

    def infer(self, x, **fit_params):
        # The one hook every forward pass goes through (training, validation, prediction):
        # "auto" resolved for a prediction outside fit, autocast around the module's forward.
        if self.device == "auto":
            with self.resolved_device():
                return self.infer(x, **fit_params)
        dtype = self.autocast_dtype()
        if dtype is None:
            return super().infer(x, **fit_params)
        with torch.autocast(device_type=torch.device(self.device).type, dtype=dtype):
            out = super().infer(x, **fit_params)
        return out.float()

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's epoch, unless on CUDA (or with fp16's GradScaler): skorch reads each
        # batch's loss with ``.item()``, a host-device synchronisation per step that keeps
        # the CPU from queueing the next step while the GPU works. Here the losses stay on
        # the device until the epoch ends, then are written to the same history rows
        # (``history[-1, "batches", i, "train_loss"]``): epoch-level callbacks see the same
        # history; a callback reading a batch's loss in ``on_batch_end`` does not find it
        # there on CUDA. Training steps under fp16 autocast are scaled (``_scaled_step``).
        scaler = getattr(self, "grad_scaler_", None) if training else None
        if iterator is None or not (self.defers_loss_sync() or scaler is not None):
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        losses = []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            if scaler is None:
                step = step_fn(batch, **fit_params)
            else:
                step = self._scaled_step(scaler, batch, **fit_params)
            losses.append(step["loss"].detach().reshape(()))
            batch_size = (get_len(batch[0]) if isinstance(batch, (tuple, list))
                          else get_len(batch))
            self.history.record_batch(prefix + "_batch_size", batch_size)
            self.notify("on_batch_end", batch=batch, training=training, **step)
        if losses:
            rows = self.history[-1]["batches"][-len(losses):]
            for row, value in zip(rows, torch.stack(losses).float().tolist()):
                row[prefix + "_loss"] = value
        self.history.record(prefix + "_batch_count", len(losses))

    def _scaled_step(self, scaler, batch, **fit_params):
        """skorch's ``train_step`` with fp16 loss scaling (``GradScaler``)."""
        # The backward pass runs on the scaled loss; gradients are unscaled at once so that
        # callbacks (gradient clipping, norms) see their true values.
        self.optimizer_.zero_grad()
        self.module_.train()
        self.criterion_.train()
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaler.scale(loss).backward()
        scaler.unscale_(self.optimizer_)
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        # GradScaler.step takes no closure: it skips the step when gradients overflowed.
        scaler.step(self.optimizer_)
        scaler.update()
        return {"loss": loss, "y_pred": y_pred}

    def __setstate__(self, state):
        # skorch maps the pickled tensors to ``state["device"]``, which must be a device:
        # "auto" is resolved for the loading and written back.
        requested = state.get("device")
        if requested == "auto":
            state["device"] = resolve_device("auto").type
        super().__setstate__(state)
        if requested == "auto":
            self.device = "auto"
