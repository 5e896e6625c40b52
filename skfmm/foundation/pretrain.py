"""Masked-autoencoder pretraining of BrainLM on parcel time series (BrainLM's objective).

Random crops, random masking at ``mask_ratio``, MSE on masked patches, AdamW + warm-up + cosine.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from skfmm.datasets.atlas import check_coords
from skfmm.foundation.brainlm import BrainLM, BrainLMConfig
from skfmm.foundation.scaling import SCALINGS, scale_window
from skfmm.utils.device import resolve_device
from skfmm.utils.validation import check_timeseries_list

from typing import TYPE_CHECKING
from skfmm.utils._docs import fill_doc

if TYPE_CHECKING:  # hints only
    from skfmm._typing import ArrayLike, DeviceLike

__all__ = ["pretrain_brainlm", "masked_patch_mse"]


@fill_doc
def pretrain_brainlm(
    timeseries: ArrayLike,
    coords: ArrayLike,
    config: BrainLMConfig | dict | None = None,
    *,
    n_epochs: int = 20,
    batch_size: int = 8,
    lr: float = 1e-3,
    weight_decay: float = 0.05,
    warmup: float | int = 0.1,
    window: int | None = None,
    standardize: str = "zscore",
    crops_per_subject: int = 1,
    region_block: int | None = None,
    norm_patch_loss: bool = False,
    random_state: int | None = 0,
    device: DeviceLike = "cpu",
    verbose: int = 1,
) -> BrainLM:
    """Pretrain a BrainLM with its masked-autoencoder objective.

    Each epoch draws ``crops_per_subject`` random contiguous crops of length ``window`` per
    subject, scales each crop per parcel (``standardize``), masks a random ``mask_ratio``
    fraction of the patch tokens, and minimises the MSE of the decoder's reconstruction of
    the masked patches (``config.loss_fn``). AdamW, linear warm-up then cosine decay. The
    weights start as BrainLM's initialisation, except that the two coordinate projections
    are divided by the RMS of ``coords`` (raw millimetres would otherwise swamp the signal
    embedding at the start of training).

    Parameters
    ----------
    timeseries : list of ndarray of shape (n_timepoints_i, n_regions), or ndarray (n, T, R)
        Parcel time series, nilearn's layout; lengths may differ but must reach ``window``.
    %(coords)s
    config : BrainLMConfig or dict, optional
        Architecture and ``mask_ratio``; the GitHub checkpoint's when omitted.
    n_epochs : int, default=20
    batch_size : int, default=8
    lr : float, default=1e-3
        Peak learning rate.
    weight_decay : float, default=0.05
    warmup : float or int, default=0.1
        Warm-up length: a fraction of all steps when < 1, else a number of steps.
    window : int, optional
        Crop length, a multiple of ``config.timepoint_patching_size``; defaults to
        ``config.num_timepoints_per_voxel``.
    standardize : {"zscore", "brainlm", "none"}, default="zscore"
        Per-crop scaling, the same as ``TimeSeriesExtractor(standardize=...)``; recorded in
        the config as ``skfmm_input_scaling`` so users scale their inputs alike.
    crops_per_subject : int, default=1
        Crops drawn per subject per epoch.
    region_block : int, optional
        Train each step on a random contiguous block of this many parcels (in the order of
        ``coords``; one block per batch) instead of all of them. Steps get cheaper in
        proportion (attention is quadratic in the tokens), so many more fit in the same
        time. The coordinates tell the model where each parcel is, so the result applies
        to the full parcellation; a block only makes sense when neighbouring parcel indices
        are neighbours in the brain, as in network-ordered atlases. ``None`` uses all
        parcels.
    %(random_state)s
        It seeds weights, crops, masks and dropout; the same model needs the same hardware
        and the same ``torch.get_num_threads()`` too (torch's CPU kernels round differently
        with another thread count, and long trainings drift apart).
    %(device)s
    %(verbose)s
        0 silences the tqdm progress bar (drawn on a terminal only); 2 also prints a line per epoch
        (its mean loss and duration), which logs keep.

    Returns
    -------
    model : BrainLM
        The pretrained model, in eval mode, on ``device``. ``model.pretraining_history_`` is
        a list of per-epoch dicts ``{"epoch", "loss", "lr", "seconds"}`` (mean masked-patch
        loss of the epoch).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.foundation import BrainLMConfig, pretrain_brainlm
    >>> rng = np.random.default_rng(0)
    >>> ts = [rng.standard_normal((60, 6)) for _ in range(4)]
    >>> cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=32,
    ...                     decoder_hidden_size=16, decoder_num_hidden_layers=1,
    ...                     decoder_intermediate_size=32, conv_kernel_size=5)
    >>> model = pretrain_brainlm(ts, rng.normal(size=(6, 3)), cfg, n_epochs=2, window=40,
    ...                          verbose=0)
    >>> len(model.pretraining_history_)
    2
    """
    config = BrainLMConfig.coerce(config, "pretrain_brainlm")
    series = check_timeseries_list(timeseries, argument="timeseries")
    n_regions = series[0].shape[1]
    coords = check_coords(coords, n_regions)
    patch = config.timepoint_patching_size
    window = config.num_timepoints_per_voxel if window is None else window
    if not isinstance(window, (int, np.integer)) or window <= 0 or window % patch:
        raise ValueError(
            f"pretrain_brainlm: 'window' must be a positive multiple of the patch size "
            f"{patch}; got {window!r}."
        )
    too_short = [i for i, s in enumerate(series) if s.shape[0] < window]
    if too_short:
        raise ValueError(
            f"pretrain_brainlm: subject(s) {too_short[:5]} have fewer timepoints "
            f"(e.g. {series[too_short[0]].shape[0]}) than 'window'={window}."
        )
    if standardize not in SCALINGS:
        raise ValueError(
            f"pretrain_brainlm: 'standardize' must be one of {SCALINGS}; got {standardize!r}."
        )
    for name, value in (("n_epochs", n_epochs), ("batch_size", batch_size),
                        ("crops_per_subject", crops_per_subject)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"pretrain_brainlm: '{name}' must be a positive integer; got {value!r}.")
    if region_block is not None and (
        not isinstance(region_block, (int, np.integer)) or not 1 <= region_block <= n_regions
    ):
        raise ValueError(
            f"pretrain_brainlm: 'region_block' must be None or an integer from 1 to "
            f"n_regions={n_regions}; got {region_block!r}."
        )
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"pretrain_brainlm: 'lr' must be a positive number; got {lr!r}.")
    device = resolve_device(device)
    config.extra["skfmm_input_scaling"] = standardize
    if norm_patch_loss:
        config.extra["skfmm_norm_patch_loss"] = True
    config.num_brain_voxels = int(n_regions)
    config.num_timepoints_per_voxel = int(window)

    seed = int(random_state)
    rng = np.random.default_rng(seed)
    model = BrainLM(config, with_decoder=True, random_state=seed)
    # BrainLM adds raw MNI millimetres (|xyz| ~ 10-70) through xavier-initialised projections,
    # which swamps the unit-scale signal embedding and stalls learning for hundreds of steps.
    # Start those two projections scaled to unit-scale coordinates (architecture unchanged).
    coord_scale = max(1.0, float(np.sqrt(np.mean(coords ** 2))))
    with torch.no_grad():
        model.vit.embeddings.xyz_embedding_projection.weight.div_(coord_scale)
        model.decoder.decoder_xyz_projection.weight.div_(coord_scale)
    model = model.to(device)
    # Masks and dropout draw from this generator only (CPU generator; moved per batch).
    torch_gen = torch.Generator().manual_seed(seed)
    n_samples = len(series) * crops_per_subject
    steps_per_epoch = math.ceil(n_samples / batch_size)
    total_steps = n_epochs * steps_per_epoch
    warmup_steps = int(round(warmup * total_steps)) if warmup < 1 else int(warmup)

    def schedule(step):
        if warmup_steps and step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    xyz = torch.as_tensor(coords, dtype=torch.float32, device=device)
    history = []
    from tqdm.auto import tqdm
    from skfmm.utils.progress import bar_disabled

    bar = tqdm(total=total_steps, desc="pretrain BrainLM", disable=bar_disabled(verbose),
               leave=False)
    with torch.random.fork_rng(devices=[] if device.type == "cpu" else [device]):
        torch.manual_seed(seed)  # dropout
        model.train()
        for epoch in range(n_epochs):
            start = time.perf_counter()
            subjects = np.repeat(np.arange(len(series)), crops_per_subject)
            subjects = subjects[rng.permutation(len(subjects))]
            total, count = 0.0, 0
            for b in range(steps_per_epoch):
                idx = subjects[b * batch_size:(b + 1) * batch_size]
                crops = []
                for i in idx:
                    s = series[i]
                    t0 = int(rng.integers(0, s.shape[0] - window + 1))
                    crops.append(scale_window(s[t0:t0 + window], standardize).T)
                signal = torch.as_tensor(np.stack(crops), dtype=torch.float32, device=device)
                block_xyz = xyz
                if region_block is not None:
                    r0 = int(rng.integers(0, n_regions - region_block + 1))
                    signal = signal[:, r0:r0 + region_block]
                    block_xyz = xyz[r0:r0 + region_block]
                n_tokens = signal.shape[1] * (window // patch)
                noise = torch.rand(len(idx), n_tokens, generator=torch_gen).to(device)
                out = model(signal, block_xyz.expand(len(idx), -1, -1), noise=noise)
                if norm_patch_loss:
                    out.loss = _masked_loss(out, normalize_patches(signal.reshape(out.logits.shape)),
                                            config.loss_fn)
                optimizer.zero_grad(set_to_none=True)
                out.loss.backward()
                optimizer.step()
                scheduler.step()
                total += float(out.loss.detach()) * len(idx)
                count += len(idx)
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{float(out.loss.detach()):.4f}")
            history.append({
                "epoch": epoch + 1,
                "loss": total / count,
                "lr": optimizer.param_groups[0]["lr"],
                "seconds": time.perf_counter() - start,
            })
            if verbose >= 2:
                h = history[-1]
                print(f"epoch {h['epoch']}/{n_epochs}: masked-patch loss {h['loss']:.4f} "
                      f"({h['seconds']:.1f} s)", flush=True)
    bar.close()
    model.eval()
    object.__setattr__(model, "_fingerprint", None)
    model.pretraining_history_ = history
    return model


def normalize_patches(patches, eps=1e-6):
    """Each patch (last axis) minus its mean, divided by its standard deviation (MAE's target)."""
    mean = patches.mean(dim=-1, keepdim=True)
    var = patches.var(dim=-1, keepdim=True, unbiased=False)
    return (patches - mean) / torch.sqrt(var + eps)


def _masked_loss(out, target, loss_fn):
    err = out.logits - target
    err = err.pow(2) if loss_fn == "mse" else err.abs()
    mask = out.mask.unsqueeze(-1)
    return (err * mask).sum() / (mask.sum() * target.shape[-1]).clamp_min(1)


@fill_doc
def masked_patch_mse(model, timeseries, coords, *, standardize=None, random_state=0,
                     batch_size=16):
    """Held-out masked-patch MSE of a BrainLM, and that of predicting zeros, on fixed masks.

    Each window is scaled per parcel (``standardize``), a ``model.config.mask_ratio``
    fraction of its patch tokens is masked with masks drawn from ``random_state`` (the same
    for every model, so models compare on the same patches), and the squared error of the
    decoder's reconstruction is averaged over all masked values of all windows (each target
    patch standardised by its own mean and SD for a model pretrained with
    ``norm_patch_loss=True``, as recorded in its config). Predicting
    zeros, the "predict the mean" plateau of pretraining, scores the mean square of the same
    masked values (1.0 in expectation for z-scored windows).

    Parameters
    ----------
    model : BrainLM
        A model with its MAE decoder.
    timeseries : list of ndarray of shape (T, n_regions), or ndarray (n, T, R)
        Windows, all of the same length, a multiple of the patch size.
    %(coords)s
    standardize : {"zscore", "brainlm", "none"}, optional
        Per-window scaling; ``model.config.input_scaling`` when omitted.
    %(random_state)s
        It seeds the masks.
    batch_size : int, default=16
        Windows per forward pass; the result does not depend on it.

    Returns
    -------
    scores : dict
        ``{"model": float, "zeros": float}``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.foundation import BrainLM, BrainLMConfig, masked_patch_mse
    >>> cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=32,
    ...                     decoder_hidden_size=16, decoder_num_hidden_layers=1,
    ...                     decoder_intermediate_size=32, conv_kernel_size=5)
    >>> rng = np.random.default_rng(0)
    >>> scores = masked_patch_mse(BrainLM(cfg, random_state=0), rng.normal(size=(3, 40, 6)),
    ...                           rng.normal(size=(6, 3)), standardize="zscore")
    >>> sorted(scores)
    ['model', 'zeros']
    """
    if not isinstance(model, BrainLM):
        raise TypeError(f"masked_patch_mse: 'model' must be a BrainLM; got {type(model).__name__}.")
    series = check_timeseries_list(timeseries, argument="timeseries")
    lengths = {s.shape[0] for s in series}
    if len(lengths) != 1:
        raise ValueError(
            f"masked_patch_mse: all windows in 'timeseries' must have the same length; got "
            f"lengths {sorted(lengths)}."
        )
    n_regions = series[0].shape[1]
    coords = check_coords(coords, n_regions).astype(np.float32)
    standardize = model.config.input_scaling if standardize is None else standardize
    if standardize not in SCALINGS:
        raise ValueError(
            f"masked_patch_mse: 'standardize' must be one of {SCALINGS}; got {standardize!r}."
        )
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(
            f"masked_patch_mse: 'batch_size' must be a positive integer; got {batch_size!r}."
        )
    param = next(model.parameters())
    norm_patch = bool(model.config.extra.get("skfmm_norm_patch_loss", False))
    signal = torch.as_tensor(
        np.stack([scale_window(s, standardize).T for s in series]), dtype=torch.float32
    )
    n_tokens = n_regions * (signal.shape[2] // model.config.timepoint_patching_size)
    noise = torch.rand(len(series), n_tokens, generator=torch.Generator().manual_seed(int(random_state)))
    xyz = torch.as_tensor(coords, device=param.device)
    was_training = model.training
    model.eval()
    err = zeros = count = 0.0
    try:
        with torch.no_grad():
            for start in range(0, len(series), batch_size):
                sl = slice(start, start + batch_size)
                target = signal[sl].to(param.device, param.dtype)
                out = model(target, xyz.expand(len(target), -1, -1),
                            noise=noise[sl].to(param.device))
                target = target.reshape(out.logits.shape)
                if norm_patch:
                    target = normalize_patches(target)
                mask = out.mask.unsqueeze(-1)
                err += float(((out.logits - target) ** 2 * mask).sum())
                zeros += float((target ** 2 * mask).sum())
                count += float(mask.sum()) * target.shape[-1]
    finally:
        model.train(was_training)
    return {"model": err / count, "zeros": zeros / count}
