"""Train the many small models of a cross-validation at once: ``fit_stacked``.

The K models of K folds (same hyper-parameters, different training subjects) are stacked
with :func:`torch.func.stack_module_state` and trained in one loop, their forward and
backward passes batched with :func:`torch.func.vmap`: one kernel launch serves K models,
which is what a launch-bound GPU step needs. Each returned
:class:`~skfmm.FMMTCClassifier` is the model its lone ``fit`` gives, within rounding:

- the same initial weights (each model is initialised by its own estimator, seeded as in
  ``fit``), the same shuffling (each model's batches are drawn from its own copy of the
  random stream, exactly as :class:`~skfmm.classifier.runtime.ResidentBatches` draws them),
  the same optimizer arithmetic (element-wise optimizers act on the stacked tensors as on
  each model's) and the same cosine learning-rate schedule;
- BatchNorm layers run in training mode with each model's own running statistics (the
  stacked buffers are updated in place by ``F.batch_norm`` under ``vmap``);
- what differs is the summation order of batched matrix products and of convolutions
  (``vmap`` turns K convolutions into one grouped convolution). That is ~1e-7 after one
  step; over many steps, training amplifies it as it amplifies any rounding difference
  (tested against two lone fits that differ only in rounding, ``fold_channels``).

Scope (refused with a clear error otherwise): fixed epochs (``train_split=None``, or
``"auto"`` resolving to it), no dropout (its masks cannot be drawn as the lone fit draws
them), default callbacks, fp32, an element-wise optimizer (Adam, AdamW, SGD). Folds whose
training sets differ in size are stacked in separate groups (one per size).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import clone
from skorch.callbacks import LRScheduler

from .fmmtc import FMMTCClassifier

__all__ = ["fit_stacked", "STACKED_OPTIMIZERS"]

#: Optimizers whose update is element-wise, so that one step on stacked tensors equals
#: each model's own step.
STACKED_OPTIMIZERS = (torch.optim.AdamW, torch.optim.Adam, torch.optim.SGD)

#: Iterator arguments the stacked batches reproduce.
_ITERATOR_ARGUMENTS = {"shuffle", "drop_last", "batch_size"}


def fit_stacked(estimator, X, y, splits):
    """Fit one clone of ``estimator`` per split, all K stacked in one vmapped loop.

    Parameters
    ----------
    estimator : FMMTCClassifier
        The unfitted template (its parameters are those of every model); ``train_split``
        must resolve to no validation split (fixed ``max_epochs``), no dropout.
    X : MultimodalData
        The whole cohort.
    y : array-like of shape (n_subjects,)
        Its labels.
    splits : iterable
        One entry per model: the training rows (integer indices), or a ``(train, test)``
        pair as a scikit-learn splitter's ``split`` yields.

    Returns
    -------
    list of FMMTCClassifier
        ``fitted[k]`` equals ``clone(estimator).fit(X[train_k], y[train_k])`` within
        rounding (see the module's notes): same weights, BatchNorm statistics and
        predictions up to the tolerance stated in the docs.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import FMMTCClassifier, MultimodalData
    >>> from skfmm.classifier.batched import fit_stacked
    >>> rng = np.random.default_rng(0)
    >>> X = MultimodalData(fc=rng.standard_normal((12, 6, 6)).astype("float32"))
    >>> y = np.array([0, 1] * 6)
    >>> clf = FMMTCClassifier(foundation_model=None, modalities=("fc",), fc_encoder="mlp",
    ...                       module__fc_dropout=0.0, max_epochs=2, train_split=None,
    ...                       random_state=0, verbose=0)
    >>> fits = fit_stacked(clf, X, y, [np.arange(8), np.arange(4, 12)])
    >>> [f.predict_proba(X).shape for f in fits]
    [(12, 2), (12, 2)]
    """
    if not isinstance(estimator, FMMTCClassifier):
        raise TypeError(
            f"'estimator' must be an FMMTCClassifier; got {type(estimator).__name__}.")
    _check_template(estimator)
    y = np.asarray(y)
    trains = _train_rows(splits, len(y))
    nets, data = [], []
    for rows in trains:
        net = clone(estimator)
        X_mod, y_enc = net._setup(X[rows], y[rows])
        if net.validation_split_used_:
            raise ValueError(
                "fit_stacked trains fixed epochs and cannot early-stop each fold: "
                f"train_split={estimator.train_split!r} holds out a validation split for "
                f"this cohort ({len(rows)} training subjects). Set train_split=None.")
        nets.append(net)
        data.append((X_mod, y_enc))
    groups = {}
    for k, rows in enumerate(trains):
        groups.setdefault(len(rows), []).append(k)
    for members in groups.values():
        _fit_group([nets[k] for k in members], [data[k] for k in members])
    return nets


def _train_rows(splits, n):
    if splits is None or isinstance(splits, (str, numbers.Number)):
        raise TypeError(
            "'splits' must be an iterable of training indices or (train, test) pairs; "
            f"got {splits!r}.")
    trains = []
    for i, split in enumerate(splits):
        rows = split[0] if isinstance(split, tuple) else split
        rows = np.asarray(rows)
        if rows.ndim != 1 or rows.size == 0 or rows.dtype.kind not in "iu":
            raise ValueError(
                f"'splits'[{i}] must give a non-empty 1-D array of integer training "
                f"indices; got {rows.dtype} array of shape {rows.shape}.")
        if rows.min() < -n or rows.max() >= n:
            raise ValueError(
                f"'splits'[{i}] holds indices outside [0, {n}) for {n} subjects.")
        trains.append(rows)
    if not trains:
        raise ValueError("'splits' is empty: give at least one split.")
    return trains


def _check_template(est):
    if est.callbacks is not None:
        raise ValueError(
            "fit_stacked trains with the default callbacks only (train loss, cosine "
            f"learning rate); got callbacks={est.callbacks!r}.")
    if est.warm_start:
        raise ValueError("fit_stacked fits from scratch; got warm_start=True.")
    if not (est.train_split is None or est.train_split == "auto"):
        raise ValueError(
            "fit_stacked trains fixed epochs (no per-fold early stopping): 'train_split' "
            f"must be None (or 'auto' on a small cohort); got {est.train_split!r}.")
    if est.criterion is not torch.nn.CrossEntropyLoss:
        raise ValueError(
            "fit_stacked supports criterion=torch.nn.CrossEntropyLoss; got "
            f"{est.criterion!r}.")
    if est.optimizer not in STACKED_OPTIMIZERS:
        raise ValueError(
            f"fit_stacked supports the element-wise optimizers "
            f"{[o.__name__ for o in STACKED_OPTIMIZERS]}; got optimizer={est.optimizer!r}.")
    extra = set(est.get_params_for("iterator_train")) - _ITERATOR_ARGUMENTS
    if est.iterator_train is not torch.utils.data.DataLoader or extra:
        raise ValueError(
            "fit_stacked reproduces skorch's default DataLoader with batch_size, shuffle "
            f"and drop_last only; got iterator_train={est.iterator_train!r} with "
            f"arguments {sorted(extra)}.")
    if est.random_state is None:
        raise ValueError(
            "fit_stacked needs an integer 'random_state' (each model is seeded as its lone "
            "fit); got None.")


def _check_initialized(net):
    if net._autocast_dtype() is not None:
        raise ValueError(
            "fit_stacked trains in fp32: mixed precision would run on this device "
            f"({net.device!r}); set mixed_precision=False.")
    for name, module in net.module_.named_modules():
        if isinstance(module, torch.nn.modules.dropout._DropoutNd) and module.p > 0:
            raise ValueError(
                f"fit_stacked cannot draw dropout masks as the lone fit does: the module's "
                f"{name!r} has p={module.p}. Set module__fc_dropout=0.0 (and "
                "module__dropout=0.0), or fit the models one by one.")


def _fit_group(nets, data):
    """Train the nets of one group (training sets of one size) together."""
    from torch.func import functional_call, stack_module_state, vmap

    template = nets[0]
    device = None
    rng_states = []
    with template._runtime():
        device = torch.device("cpu" if template.device is None else template.device)
        for net in nets:
            # As fit: the seed, then skorch's initialize (module weights drawn here).
            with net._runtime():
                with torch.random.fork_rng(devices=net._cuda_devices()):
                    torch.manual_seed(net.seed_)
                    net.initialize()
                    rng_states.append(torch.get_rng_state())
                _check_initialized(net)
        modules = [net.module_ for net in nets]
        params, buffers = stack_module_state(modules)
        base = modules[0]
        K = len(nets)
        keys = sorted(data[0][0].keys())
        X = {key: torch.stack([torch.as_tensor(np.asarray(d[0][key])) for d in data]).to(device)
             for key in keys}
        Y = torch.stack([torch.as_tensor(d[1]) for d in data]).to(device)
        weights = [getattr(net, "class_weight_", None) for net in nets]
        W = (None if all(w is None for w in weights) else torch.stack([
            torch.ones(len(net.classes_inferred_)) if w is None
            else torch.as_tensor(w, dtype=torch.float32) for net, w in zip(nets, weights)
        ]).to(device))
        n = Y.shape[1]
        it = template.get_params_for("iterator_train")
        batch_size = it.get("batch_size", template.batch_size)
        batch_size = n if batch_size in (-1, None) else int(batch_size)
        shuffle, drop_last = bool(it.get("shuffle", True)), bool(it.get("drop_last", False))
        opt_kwargs = template.get_params_for("optimizer")
        opt_kwargs.setdefault("lr", template.lr)  # skorch passes lr to its optimizer itself
        optimizer = template.optimizer(list(params.values()), **opt_kwargs)
        scheduler = _scheduler(template, optimizer)

        def loss_one(p, b, Xb, yb, w):
            logits = functional_call(base, (p, b), args=(), kwargs=Xb)
            return torch.nn.functional.cross_entropy(logits, yb, weight=w)

        batched_loss = vmap(loss_one, in_dims=(0, 0, 0, 0, None if W is None else 0),
                            randomness="error")
        stop = n - n % batch_size if drop_last else n
        arange = torch.arange(K, device=device)[:, None]
        losses_per_epoch = []
        base.train()
        for _ in range(template.max_epochs):
            orders = []
            for k in range(K):  # each model's own stream, drawn as ResidentBatches draws it
                with torch.random.fork_rng(devices=[]):
                    torch.set_rng_state(rng_states[k])
                    torch.empty((), dtype=torch.int64).random_()
                    if shuffle:
                        seed = int(torch.empty((), dtype=torch.int64).random_().item())
                        generator = torch.Generator()
                        generator.manual_seed(seed)
                        orders.append(torch.randperm(n, generator=generator))
                    rng_states[k] = torch.get_rng_state()
            order = (torch.stack(orders) if shuffle
                     else torch.arange(n).expand(K, n)).to(device)
            epoch_losses, sizes = [], []
            for start in range(0, stop, batch_size):
                rows = order[:, start:min(start + batch_size, n)]
                Xb = {key: value[arange, rows] for key, value in X.items()}
                yb = Y[arange, rows]
                optimizer.zero_grad()
                loss = batched_loss(params, buffers, Xb, yb, W)
                # sum over models: each model's gradient is its own loss's gradient
                loss.sum().backward()
                optimizer.step()
                epoch_losses.append(loss.detach())
                sizes.append(rows.shape[1])
            if scheduler is not None:
                scheduler.step()
            if epoch_losses:
                stacked = torch.stack(epoch_losses).cpu()  # (batches, K)
                s = torch.tensor(sizes, dtype=stacked.dtype)[:, None]
                losses_per_epoch.append(((stacked * s).sum(0) / s.sum()).tolist())
        for k, net in enumerate(nets):
            with torch.no_grad():
                for name, p in net.module_.named_parameters():
                    p.copy_(params[name][k])
                for name, b in net.module_.named_buffers():
                    b.copy_(buffers[name][k])
            net.module_.train(False)
            for epoch, row in enumerate(losses_per_epoch, 1):
                net.history.new_epoch()
                net.history.record("epoch", epoch)
                net.history.record("train_loss", row[k])
            with net._resolved_device():
                net.fused_mean_ = net._fused_mean(data[k][0])
            net.stacked_fit_ = True


def _scheduler(net, optimizer):
    """The LR schedule of the net's default callbacks, on the stacked optimizer."""
    for _, callback in net._default_callbacks:
        if isinstance(callback, LRScheduler):
            if callback.policy != "CosineAnnealingLR" or callback.step_every != "epoch":
                raise ValueError(  # pragma: no cover - the defaults are fixed
                    f"fit_stacked reproduces an epoch-wise CosineAnnealingLR; got "
                    f"{callback.policy!r}.")
            return torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer, T_max=callback.kwargs["T_max"], eta_min=callback.kwargs["eta_min"])
    return None
