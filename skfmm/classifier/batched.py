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

Early stopping: with a validation split (``train_split="validation"``, or ``"auto"`` on a
large cohort) each model holds out its lone fit's split (skorch's seeded ``ValidSplit``),
is scored in eval mode (its own BatchNorm running statistics) after every epoch, stops
when its lone fit's ``EarlyStopping`` would, and keeps its best epoch's weights; the loop
ends when every model has stopped (a stopped model is trained on, unused, meanwhile).

Scope (refused with a clear error otherwise): no dropout (its masks cannot be drawn as the
lone fit draws them), default callbacks, fp32, an element-wise optimizer (Adam, AdamW,
SGD), ``train_split`` None, ``"auto"`` or ``"validation"``. Folds whose training (and
validation) sets differ in size are stacked in separate groups, one per size.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import clone
from skorch.callbacks import LRScheduler

from ._inputs import fit_inputs, fused_mean
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
        The unfitted template (its parameters are those of every model); no dropout,
        fp32, default callbacks, an integer ``random_state``.
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
        predictions up to the tolerance stated in the docs. With a validation split
        (``train_split="validation"``, or ``"auto"`` on a large cohort) each model
        early-stops on its own validation loss as its lone fit does, and its best epoch's
        weights are kept.

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
        X_mod, y_enc = fit_inputs(net, X[rows], y[rows])
        nets.append(net)
        data.append((X_mod, y_enc))
    models = []
    for net, (X_mod, y_enc) in zip(nets, data):
        # the lone fit's validation split (skorch's ValidSplit, seeded), as row indices
        if net.validation_split_used_:
            with net.runtime():  # train_split resolved as in fit
                train_set, valid_set = net.get_split_datasets(X_mod, y_enc)
            train, valid = np.asarray(train_set.indices), np.asarray(valid_set.indices)
        else:
            train, valid = np.arange(len(y_enc)), None
        models.append((net, X_mod, y_enc, train, valid))
    groups = {}
    for k, (_, _, _, train, valid) in enumerate(models):
        groups.setdefault((len(train), 0 if valid is None else len(valid)), []).append(k)
    for members in groups.values():
        _fit_group([models[k] for k in members])
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
    if not (est.train_split is None or (isinstance(est.train_split, str)
                                        and est.train_split in ("auto", "validation"))):
        raise ValueError(
            "fit_stacked reproduces train_split=None, 'auto' or 'validation' (skorch's "
            f"seeded ValidSplit); got train_split={est.train_split!r}.")
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
    if net.autocast_dtype() is not None:
        raise ValueError(
            "fit_stacked trains in fp32: mixed precision would run on this device "
            f"({net.device!r}); set mixed_precision=False.")
    for name, module in net.module_.named_modules():
        if isinstance(module, torch.nn.modules.dropout._DropoutNd) and module.p > 0:
            raise ValueError(
                f"fit_stacked cannot draw dropout masks as the lone fit does: the module's "
                f"{name!r} has p={module.p}. Set module__fc_dropout=0.0 (and "
                "module__dropout=0.0), or fit the models one by one.")


def _stack(arrays, rows, device):
    return torch.stack([torch.as_tensor(np.asarray(a)[r]) for a, r in zip(arrays, rows)]).to(
        device)


def _draw_orders(rng_states, n, shuffle, training):
    """Each model's batch order of one pass, drawn from its own copy of the random stream
    exactly as :class:`~skfmm.classifier.runtime.ResidentBatches` draws it."""
    orders = []
    for k, state in enumerate(rng_states):
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(state)
            torch.empty((), dtype=torch.int64).random_()  # the iterator's base seed
            if training and shuffle:
                seed = int(torch.empty((), dtype=torch.int64).random_().item())
                generator = torch.Generator()
                generator.manual_seed(seed)
                orders.append(torch.randperm(n, generator=generator))
            rng_states[k] = torch.get_rng_state()
    return torch.stack(orders) if orders else None


def _fit_group(models):
    """Train the models of one group (training and validation sets of one size) together."""
    from torch.func import functional_call, stack_module_state, vmap

    nets = [m[0] for m in models]
    template = nets[0]
    rng_states = []
    with template.runtime():
        device = torch.device("cpu" if template.device is None else template.device)
        for net in nets:
            # As fit: the seed, then skorch's initialize (module weights drawn here).
            with net.runtime():
                with torch.random.fork_rng(devices=net.cuda_devices()):
                    torch.manual_seed(net.seed_)
                    net.initialize()
                    rng_states.append(torch.get_rng_state())
                _check_initialized(net)
        modules = [net.module_ for net in nets]
        params, buffers = stack_module_state(modules)
        base = modules[0]
        K = len(nets)
        keys = sorted(models[0][1].keys())
        trains = [m[3] for m in models]
        X = {key: _stack([m[1][key] for m in models], trains, device) for key in keys}
        Y = _stack([m[2] for m in models], trains, device)
        validating = models[0][4] is not None
        if validating:
            valids = [m[4] for m in models]
            XV = {key: _stack([m[1][key] for m in models], valids, device) for key in keys}
            YV = _stack([m[2] for m in models], valids, device)
        weights = [getattr(net, "class_weight_", None) for net in nets]
        W = (None if all(w is None for w in weights) else torch.stack([
            torch.ones(len(net.classes_)) if w is None
            else torch.as_tensor(w, dtype=torch.float32) for net, w in zip(nets, weights)
        ]).to(device))
        n = Y.shape[1]
        it = template.get_params_for("iterator_train")
        batch_size = it.get("batch_size", template.batch_size)
        batch_size = n if batch_size in (-1, None) else int(batch_size)
        shuffle, drop_last = bool(it.get("shuffle", True)), bool(it.get("drop_last", False))
        valid_batch = template.get_params_for("iterator_valid").get(
            "batch_size", template.batch_size)
        opt_kwargs = template.get_params_for("optimizer")
        opt_kwargs.setdefault("lr", template.lr)  # skorch passes lr to its optimizer itself
        optimizer = template.optimizer(list(params.values()), **opt_kwargs)
        scheduler, stoppers = _schedule(template, optimizer, K)

        def loss_one(p, b, Xb, yb, w):
            logits = functional_call(base, (p, b), args=(), kwargs=Xb)
            return torch.nn.functional.cross_entropy(logits, yb, weight=w)

        batched_loss = vmap(loss_one, in_dims=(0, 0, 0, 0, None if W is None else 0),
                            randomness="error")
        stop = n - n % batch_size if drop_last else n
        arange = torch.arange(K, device=device)[:, None]
        history = [[] for _ in range(K)]  # per model: (train_loss, valid_loss) per epoch
        best = [None] * K  # early stopping: (epoch, weights) of the best epoch
        active = list(range(K))
        for epoch in range(1, template.max_epochs + 1):
            order = _draw_orders(rng_states, n, shuffle, training=True)
            order = (order if order is not None else torch.arange(n).expand(K, n)).to(device)
            base.train()
            losses, sizes = [], []
            for start in range(0, stop, batch_size):
                rows = order[:, start:min(start + batch_size, n)]
                Xb = {key: value[arange, rows] for key, value in X.items()}
                optimizer.zero_grad()
                loss = batched_loss(params, buffers, Xb, Y[arange, rows], W)
                # sum over models: each model's gradient is its own loss's gradient
                loss.sum().backward()
                optimizer.step()
                losses.append(loss.detach())
                sizes.append(rows.shape[1])
            train_loss = _epoch_mean(losses, sizes, K)
            valid_loss = [None] * K
            if validating:
                _draw_orders(rng_states, 0, False, training=False)  # the valid iterator's draw
                base.eval()
                nv = YV.shape[1]
                vb = nv if valid_batch in (-1, None) else int(valid_batch)
                losses, sizes = [], []
                with torch.no_grad():
                    for start in range(0, nv, vb):
                        Xb = {key: value[:, start:start + vb] for key, value in XV.items()}
                        losses.append(batched_loss(params, buffers, Xb,
                                                   YV[:, start:start + vb], W))
                        sizes.append(min(vb, nv - start))
                valid_loss = _epoch_mean(losses, sizes, K)
            if scheduler is not None:
                scheduler.step()
            for k in list(active):
                history[k].append((train_loss[k], valid_loss[k]))
                if stoppers is None:
                    continue
                if stoppers[k].update(valid_loss[k]):
                    best[k] = (epoch, {name: t[k].detach().clone() for name, t in
                                       [*params.items(), *buffers.items()]})
                if stoppers[k].stopped:
                    active.remove(k)  # stopped as its lone fit stops; trained on, unused
                    _write_back(nets[k], best[k][1] if best[k] else None, params, buffers, k)
            if not active:
                break
        for k in active:
            restore = stoppers is not None and best[k] and best[k][0] != epoch
            _write_back(nets[k], best[k][1] if restore else None, params, buffers, k)
        for k, net in enumerate(nets):
            for e, (tl, vl) in enumerate(history[k], 1):
                net.history.new_epoch()
                net.history.record("epoch", e)
                net.history.record("train_loss", tl)
                if vl is not None:
                    net.history.record("valid_loss", vl)
            with net.resolved_device():
                net.fused_mean_ = fused_mean(net, models[k][1])
            net.stacked_fit_ = True


def _epoch_mean(losses, sizes, K):
    """skorch's epoch loss: the batch losses' mean weighted by batch size, per model."""
    if not losses:
        return [float("nan")] * K
    stacked = torch.stack(losses).detach().cpu().double().numpy()  # (batches, K)
    return [float(np.average(stacked[:, k], weights=sizes)) for k in range(K)]


def _write_back(net, state, params, buffers, k):
    """Model ``k``'s weights (``state``, else the stacked ones now) into ``net.module_``."""
    with torch.no_grad():
        for name, t in [*net.module_.named_parameters(), *net.module_.named_buffers()]:
            source = state[name] if state is not None else (
                params[name][k] if name in params else buffers[name][k])
            t.copy_(source)
    net.module_.train(False)


def _schedule(net, optimizer, K):
    """The default callbacks' LR schedule on the stacked optimizer, and K early stoppers."""
    from skorch.callbacks import EarlyStopping

    scheduler, stoppers = None, None
    for _, callback in net.get_default_callbacks():
        if isinstance(callback, LRScheduler):
            if callback.policy != "CosineAnnealingLR" or callback.step_every != "epoch":
                raise ValueError(  # pragma: no cover - the defaults are fixed
                    f"fit_stacked reproduces an epoch-wise CosineAnnealingLR; got "
                    f"{callback.policy!r}.")
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer, T_max=callback.kwargs["T_max"], eta_min=callback.kwargs["eta_min"])
        elif isinstance(callback, EarlyStopping):
            if callback.monitor != "valid_loss" or not callback.load_best:
                raise ValueError(  # pragma: no cover - the defaults are fixed
                    "fit_stacked reproduces early stopping on valid_loss with load_best.")
            stoppers = [_EarlyStopping(callback) for _ in range(K)]
    return scheduler, stoppers


class _EarlyStopping:
    """One model's early-stopping state, by the rule of skorch's ``EarlyStopping``.

    Built from the callback's public parameters (``patience``, ``threshold``,
    ``threshold_mode``, ``lower_is_better``): a score improves on the best one by more
    than the threshold, ``threshold`` relative to the score (``"rel"``) or absolute;
    ``patience`` epochs in a row without improvement stop the model.
    """

    def __init__(self, callback):
        if callback.threshold_mode not in ("rel", "abs"):
            raise ValueError(f"Invalid threshold mode: '{callback.threshold_mode}'")
        self.patience, self.threshold = callback.patience, callback.threshold
        self.relative = callback.threshold_mode == "rel"
        self.lower_is_better = callback.lower_is_better
        self.misses = 0
        self.best = np.inf if self.lower_is_better else -np.inf

    def update(self, score):
        """Record one epoch's score; True when it improved (the best epoch so far)."""
        improved = score < self.best if self.lower_is_better else score > self.best
        if not improved:
            self.misses += 1
            return False
        self.misses = 0
        change = self.threshold * score if self.relative else self.threshold
        self.best = score - change if self.lower_is_better else score + change
        return True

    @property
    def stopped(self):
        return self.misses == self.patience
