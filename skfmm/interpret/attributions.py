"""Integrated gradients (captum) for a fitted FMMTCClassifier: modality shares, region scores.

Also the per-group summary of the modality shares with bootstrap intervals.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import torch

from ._common import region_names_for, resolve_estimator

from typing import TYPE_CHECKING, Any
from ..utils._docs import fill_doc
from ..utils.validation import check_positive_int, check_real

if TYPE_CHECKING:  # hints only
    from skfmm._typing import ArrayLike, CohortLike

__all__ = ["modality_attributions", "region_attributions", "region_and_edge_attributions",
           "parcel_attributions", "modality_shares_by_group"]

#: Blocks of the fused representation, in the order the network concatenates them.
FUSED_BLOCKS = ("ts", "fc", "covariates")
#: Modalities with a per-region reading.
REGIONAL = ("ts", "fc")


# ------------------------------------------------------------------------ estimator / data
def _module_device(module):
    param = next(module.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


@contextlib.contextmanager
def _eval_mode(*modules, frozen=None):
    """Modules in eval mode (and ``frozen``'s weights without gradients) for the block."""
    states = [(m, m.training) for m in modules if m is not None]
    grads = [(p, p.requires_grad) for p in frozen.parameters()] if frozen is not None else []
    for m, _ in states:
        m.eval()
    for p, _ in grads:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for m, was in states:
            m.train(was)
        for p, was in grads:
            p.requires_grad_(was)


def _target_indices(clf, target, logits, who):
    """Class indices attributed: predicted class (None), one label, or one label per subject."""
    n = logits.shape[0]
    if target is None:
        return logits.argmax(dim=1).cpu().numpy()
    classes = np.asarray(clf.classes_).tolist()
    lookup = {c: i for i, c in enumerate(classes)}
    values = np.asarray(target, dtype=object)
    if values.ndim == 0:
        values = np.array([target] * n, dtype=object)
    elif values.ndim != 1 or len(values) != n:
        raise ValueError(
            f"{who}: 'target' must be None, one class label or one label per subject ({n}); "
            f"got an array of shape {values.shape}."
        )
    out = np.empty(n, dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        v = v.item() if isinstance(v, np.generic) else v
        if v not in lookup:
            raise ValueError(
                f"{who}: 'target' must be a class label of the model {classes}; got {v!r}."
            )
        out[i] = lookup[v]
    return out


# ------------------------------------------------------------------------ fused representation
def _tensor(array, device):
    return torch.tensor(np.asarray(array, dtype=np.float32), device=device)


def _fused(clf, X, batch_size):
    """Fused representation (n, width) as a float32 tensor on the module's device, and widths."""
    module = clf.module_
    device = _module_device(module)
    prepared = clf.prepare(X)
    n = len(X)
    parts, widths = [], None
    with _eval_mode(module), torch.no_grad():
        for start in range(0, n, batch_size):
            rows = slice(start, start + batch_size)
            blocks = module.feature_blocks(
                **{k: _tensor(v[rows], device) for k, v in prepared.items()})
            widths = [(name, b.shape[1]) for name, b in blocks]
            parts.append(torch.cat([b.float() for _, b in blocks], dim=1))
    z = torch.cat(parts)
    if z.shape[1] != module.head.in_features:
        raise RuntimeError(
            f"The fused representation has width {z.shape[1]} but the head expects "
            f"{module.head.in_features}; FMMTCModule's layout changed."
        )
    return z, widths


class _Head(torch.nn.Module):
    """The network after the fusion: dropout (identity in eval mode) and the linear head."""

    def __init__(self, module):
        super().__init__()
        self.dropout = module.dropout
        self.head = module.head

    def forward(self, z):
        return self.head(self.dropout(z))


def _fused_baseline(estimator, clf, baseline, background, z, batch_size, who):
    width = z.shape[1]
    if isinstance(baseline, str):
        if baseline == "zeros":
            return torch.zeros_like(z)
        if baseline == "mean":
            if background is not None:
                _, B = resolve_estimator(estimator, background, argument="background", who=who)
                zb, _ = _fused(clf, B, batch_size)
                return zb.mean(dim=0, keepdim=True).expand_as(z).clone()
            stored = getattr(clf, "fused_mean_", None)
            if stored is not None:
                return _tensor(stored, z.device).reshape(1, width).expand_as(z).clone()
            raise ValueError(
                f"{who}: baseline='mean' is the training mean of the fused representation; "
                "pass the training data as background=X_train (what the estimator takes)."
            )
        raise ValueError(
            f"{who}: 'baseline' must be 'zeros', 'mean' or an array of shape ({width},) or "
            f"({len(z)}, {width}); got {baseline!r}."
        )
    arr = np.asarray(baseline, dtype=np.float32)
    if arr.shape == (width,):
        arr = np.broadcast_to(arr, (len(z), width))
    if arr.shape != (len(z), width) or not np.isfinite(arr).all():
        raise ValueError(
            f"{who}: an array 'baseline' must be finite with shape ({width},) or "
            f"({len(z)}, {width}) (the fused representation); got shape {arr.shape}."
        )
    return _tensor(arr, z.device)


@fill_doc
def modality_attributions(estimator: Any, X: CohortLike, target: Any = None,
                          baseline: str | ArrayLike = "zeros", n_steps: int = 50, *,
                          background: CohortLike | None = None,
                          batch_size: int = 64) -> pd.DataFrame:
    """Share of each modality in a prediction: integrated gradients on the fused representation.

    FMM_TC concatenates the modality blocks ``[ts | fc | covariates]`` (the frozen
    encoder's CLS vector, the connectivity encoder's output, the standardised covariates)
    and applies one linear layer. Integrated gradients (captum) attribute the target
    class logit to every feature of that fused vector, from ``baseline`` to the
    subject's vector; a modality's share is the sum of the absolute attributions of its
    block divided by the sum over all blocks. For a single linear head the attribution
    is exact: ``(z - z0) * w_target``, and the convergence delta is rounding error.

    Parameters
    ----------
    %(estimator_fmmtc)s
    %(X_explained)s
        A container with the keys the model uses: ``ts`` and ``xyz`` for the time-series branch,
        ``fc``, ``covariates``.
    %(target_class)s
    baseline : {"zeros", "mean"} or array, default="zeros"
        Starting point of the integration path in the fused space. ``"zeros"``: the zero
        vector. ``"mean"``: the mean fused representation of the training data, computed
        from ``background`` (or read from a ``fused_mean_`` attribute of the classifier
        when it stores one). An array of shape ``(width,)`` or ``(n_subjects, width)``.
    %(n_steps)s
    %(background)s
    %(batch_size_attributions)s
        Here: subjects per forward pass when computing the fused representation.

    Returns
    -------
    shares : pandas.DataFrame
        One row per subject (index ``subject``, 0-based, the order of ``X``), one column
        per modality of the model (``ts``, ``fc``, ``covariates`` when used) holding its
        share of the total absolute attribution (each row sums to 1), ``delta`` (captum's
        convergence delta: sum of attributions minus the logit difference) and
        ``target`` (the class label explained).

    See Also
    --------
    region_attributions : attributions to the brain regions.
    modality_shares_by_group : the shares summarised per group of subjects.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import FMMTCClassifier, MultimodalData
    >>> from skfmm.interpret import modality_attributions
    >>> rng = np.random.default_rng(0)
    >>> X = MultimodalData(ts=rng.standard_normal((12, 40, 6)).astype("float32"),
    ...                    fc=rng.standard_normal((12, 6, 6)).astype("float32"))
    >>> clf = FMMTCClassifier(foundation_model=None, fc_encoder="mlp", max_epochs=2,
    ...                       train_split=None, random_state=0, verbose=0).fit(X, [0, 1] * 6)
    >>> shares = modality_attributions(clf, X)
    >>> list(shares.columns)
    ['ts', 'fc', 'delta', 'target']
    >>> bool(np.allclose(shares[["ts", "fc"]].sum(axis=1), 1.0))
    True
    """
    who = "modality_attributions"
    clf, X = resolve_estimator(estimator, X, who=who)
    attr, widths, delta, t = _fused_attributions(estimator, clf, X, target, baseline, n_steps,
                                                 background, batch_size, who)
    attr = np.abs(attr)
    totals = {}
    start = 0
    for name, width in widths:
        totals[name] = attr[:, start:start + width].sum(axis=1)
        start += width
    total = sum(totals.values())
    zero = total == 0
    if zero.any():
        warnings.warn(
            f"{who}: subjects {np.flatnonzero(zero).tolist()} have zero total attribution "
            "(their fused representation equals the baseline); their shares are NaN.",
            RuntimeWarning, stacklevel=2,
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        data = {name: np.where(zero, np.nan, v / np.where(zero, 1.0, total))
                for name, v in totals.items()}
    data["delta"] = np.asarray(delta, dtype=np.float64)
    data["target"] = np.asarray(clf.classes_)[t]
    return pd.DataFrame(data, index=pd.RangeIndex(len(X), name="subject"))


def _fused_attributions(estimator, clf, X, target, baseline, n_steps, background, batch_size,
                        who):
    """Signed integrated gradients of the target logit on the fused representation.

    Returns ``(attr (n, width) float64, widths [(block, width)], delta (n,), targets)``.
    """
    from captum.attr import IntegratedGradients

    n_steps = check_positive_int(n_steps, "n_steps", who=who)
    batch_size = check_positive_int(batch_size, "batch_size", who=who)
    module = clf.module_
    z, widths = _fused(clf, X, batch_size)
    z0 = _fused_baseline(estimator, clf, baseline, background, z, batch_size, who)
    head = _Head(module)
    with _eval_mode(module), torch.no_grad():
        logits = head(z)
    t = _target_indices(clf, target, logits, who)
    ig = IntegratedGradients(head)
    with _eval_mode(module):
        attr, delta = ig.attribute(
            z, baselines=z0, target=torch.as_tensor(t, device=z.device), n_steps=n_steps,
            return_convergence_delta=True,
        )
    return (attr.detach().cpu().numpy().astype(np.float64), widths,
            delta.detach().cpu().numpy().astype(np.float64), t)


@fill_doc
def parcel_attributions(estimator: Any, X: CohortLike, target: Any = None,
                        baseline: str | ArrayLike = "zeros", n_steps: int = 50, *,
                        background: CohortLike | None = None,
                        batch_size: int = 64, region_names: Any = None) -> pd.DataFrame:
    """Importance of each parcel's foundation-model features in a ``pooling="parcel"`` model.

    With ``pooling="parcel"`` the time-series block entering the head holds, for every
    parcel, the shared projection of that parcel's mean token (``module__parcel_rank``
    values per parcel). Integrated gradients on the fused representation, as in
    :func:`modality_attributions` (exact for the linear head), are summed per parcel:
    what each parcel's region-level features contribute to the target logit, after the
    frozen encoder has mixed the parcels by attention (for the attribution to each
    parcel's raw time series, see :func:`region_attributions`).

    Parameters
    ----------
    estimator : FMMTCClassifier or Pipeline ending in one
        Fitted with ``pooling="parcel"`` and a foundation model.
    %(X_explained)s
    %(target_class)s
    baseline : {"zeros", "mean"} or array, default="zeros"
        As in :func:`modality_attributions` (in the fused space).
    %(n_steps)s
    %(background)s
    %(batch_size_attributions)s
    %(region_names)s
        For a pipeline, the default is as in :func:`region_attributions`.

    Returns
    -------
    parcels : pandas.DataFrame
        Indexed by ``region`` (0-based), columns ``name`` (as in
        :func:`region_attributions`), ``importance`` (mean over subjects of the
        parcel's share of the subject's absolute time-series attribution; sums to 1) and
        ``attribution`` (mean signed attribution, logit units). ``attrs``: ``n_subjects``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import FMMTCClassifier, MultimodalData
    >>> from skfmm.foundation import BrainLM, BrainLMConfig
    >>> from skfmm.interpret import parcel_attributions
    >>> lm = BrainLM(BrainLMConfig(hidden_size=16, num_hidden_layers=1,
    ...                            intermediate_size=32), with_decoder=False, random_state=0)
    >>> rng = np.random.default_rng(0)
    >>> X = MultimodalData(ts=rng.standard_normal((8, 40, 5)).astype("float32"),
    ...                    xyz=rng.uniform(-50, 50, (8, 5, 3)).astype("float32"))
    >>> clf = FMMTCClassifier(foundation_model=lm, modalities=("ts",), pooling="parcel",
    ...                       max_epochs=2, train_split=None, random_state=0,
    ...                       verbose=0).fit(X, [0, 1] * 4)
    >>> parcels = parcel_attributions(clf, X)
    >>> parcels.shape, round(float(parcels["importance"].sum()), 6)
    ((5, 3), 1.0)
    """
    who = "parcel_attributions"
    clf, X = resolve_estimator(estimator, X, who=who)
    projection = getattr(clf.module_, "parcel_projection", None)
    if projection is None:
        raise ValueError(
            f"{who} needs a model with region-level foundation-model features: "
            "FMMTCClassifier(pooling='parcel') with a foundation model and the 'ts' modality; "
            f"got pooling={getattr(clf, 'pooling', None)!r}, foundation_model "
            f"{'None' if getattr(clf, 'embedder_', None) is None else 'set'}, modalities "
            f"{tuple(getattr(clf, 'modalities', ()))!r}.")
    attr, widths, _, _ = _fused_attributions(estimator, clf, X, target, baseline, n_steps,
                                             background, batch_size, who)
    start = 0
    for name, width in widths:
        if name == "ts":
            break
        start += width
    block = attr[:, start:start + projection.n_regions * projection.rank]
    per_parcel = block.reshape(len(block), projection.n_regions, projection.rank).sum(axis=2)
    magnitude = np.abs(block).reshape(len(block), projection.n_regions,
                                      projection.rank).sum(axis=2)
    total = magnitude.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, magnitude / np.where(total > 0, total, 1.0), np.nan)
    names = region_names_for(estimator, region_names, projection.n_regions)
    out = pd.DataFrame({"name": names, "importance": np.nanmean(share, axis=0),
                        "attribution": per_parcel.mean(axis=0)},
                       index=pd.RangeIndex(projection.n_regions, name="region"))
    out.attrs["n_subjects"] = int(len(X))
    return out


# ------------------------------------------------------------------------ input attributions
class _InputModel(torch.nn.Module):
    """Logits as a function of the module inputs with the raw time series (``prepare(X,
    embed=False)``), positional in the order of ``names``.

    The frozen encoder runs through ``embedder_.encode_tensor``, differentiable in its
    inputs, then the network's own forward pass: the path integrated gradients take is
    the one ``predict_proba`` takes, pooling and embedding standardisation included.
    """

    def __init__(self, clf, names):
        super().__init__()
        self.module = clf.module_
        self.embedder = clf.embedder_
        self.names = list(names)

    def forward(self, *args):
        inputs = dict(zip(self.names, args))
        if self.embedder is not None:
            ts, xyz = inputs.pop("ts"), inputs.pop("xyz")
            # The encoder may sit on another device than the trained module.
            device = self.embedder.device_
            emb = self.embedder.encode_tensor(ts.to(device), xyz.to(device))
            inputs["ts_emb"] = emb.to(ts.device)
        return self.module(**inputs)


def _input_arrays(clf, X):
    """The classifier's checked module inputs with the raw time series, split into the
    attributed modalities and the fixed extra arguments (``xyz``, ``covariates``)."""
    prepared = clf.prepare(X, embed=False)
    arrays = {k: prepared[k] for k in REGIONAL if k in prepared}
    extras = {k: v for k, v in prepared.items() if k not in arrays}
    return arrays, extras


def _tensors(arrays, rows, device):
    return tuple(_tensor(v[rows], device) for v in arrays.values())


def _input_baseline(estimator, clf, baseline, background, arrays, who):
    """Baselines of the raw inputs: zeros, the training mean, or a dict of arrays."""
    if isinstance(baseline, str):
        if baseline == "zeros":
            return {k: np.zeros_like(v) for k, v in arrays.items()}
        if baseline == "mean":
            if background is None:
                raise ValueError(
                    f"{who}: baseline='mean' is the training mean of the inputs; pass the "
                    "training data as background=X_train (what the estimator takes)."
                )
            _, B = resolve_estimator(estimator, background, argument="background", who=who)
            b_arrays, _ = _input_arrays(clf, B)
            return {k: np.broadcast_to(b_arrays[k].mean(axis=0), v.shape).copy()
                    for k, v in arrays.items()}
        raise ValueError(
            f"{who}: 'baseline' must be 'zeros', 'mean' or a dict of arrays with keys "
            f"{list(arrays)}; got {baseline!r}."
        )
    if not isinstance(baseline, dict):
        raise ValueError(
            f"{who}: 'baseline' must be 'zeros', 'mean' or a dict of arrays with keys "
            f"{list(arrays)}; got {type(baseline).__name__}."
        )
    missing = [k for k in arrays if k not in baseline]
    if missing:
        raise ValueError(f"{who}: the 'baseline' dict lacks {missing} (got {sorted(baseline)}).")
    out = {}
    for k, v in arrays.items():
        b = np.asarray(baseline[k], dtype=np.float32)
        if b.shape not in (v.shape, v.shape[1:]) or not np.isfinite(b).all():
            raise ValueError(
                f"{who}: baseline['{k}'] must be finite with shape {v.shape[1:]} or {v.shape}; "
                f"got shape {b.shape}."
            )
        out[k] = np.broadcast_to(b, v.shape).copy()
    return out


def _normalise_rows(scores):
    total = scores.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, scores / np.where(total > 0, total, 1.0), np.nan)


# Frames between a region-attribution warning and the user's call: user -> public function ->
# _region_tables -> _region_scores.
_WARN_STACKLEVEL = 4


def _region_tables(estimator, X, target, baseline, n_steps, top_edges, background, batch_size,
                   region_names, verbose, who):
    """The checks, the attributions, the per-region aggregation and the tables, in that order.

    Returns ``(regions, edges)``; ``edges`` is None when ``top_edges`` is None.
    """
    n_steps = check_positive_int(n_steps, "n_steps", who=who)
    batch_size = check_positive_int(batch_size, "batch_size", who=who)
    top_edges = check_positive_int(top_edges, "top_edges", allow_none=True, who=who)
    clf, X = resolve_estimator(estimator, X, who=who)
    names_out = region_names_for(estimator, region_names, int(clf.module_sizes_["n_regions"]))
    if top_edges is not None and "fc" not in clf.modalities:
        raise ValueError(f"{who}: 'top_edges' needs a model that uses 'fc'; this one uses "
                         f"{tuple(clf.modalities)}.")
    modalities, ts_scores, fc_edges, deltas = _input_attributions(
        estimator, clf, X, target, baseline, n_steps, background, batch_size, verbose, who)
    columns, importance = _region_scores(modalities, ts_scores, fc_edges, who)
    regions = _regions_table(names_out, importance, columns, X, deltas)
    edges = None if top_edges is None else _edges_table(fc_edges, names_out, top_edges)
    return regions, edges


def _input_attributions(estimator, clf, X, target, baseline, n_steps, background, batch_size,
                        verbose, who):
    """Integrated gradients of the target logit to the raw inputs, read per region.

    Returns ``(modalities, ts_scores, fc_edges, deltas)``: the attributed modalities (``ts``,
    ``fc``), each subject's sum over time of ``|attribution|`` per region (n, R), the
    symmetrised signed connectivity attribution ``A + A.T`` (n, R, R) and the convergence
    deltas (n,).
    """
    from captum.attr import IntegratedGradients

    module = clf.module_
    device = _module_device(module)
    arrays, extras = _input_arrays(clf, X)
    base = _input_baseline(estimator, clf, baseline, background, arrays, who)
    names = list(arrays)
    model = _InputModel(clf, names + list(extras))
    encoder = None if clf.embedder_ is None else clf.embedder_.model_
    n = len(X)
    R = int(clf.module_sizes_["n_regions"])
    ts_scores = np.zeros((n, R))
    fc_edges = np.zeros((n, R, R))
    deltas = np.zeros(n)
    per_call = max(1, batch_size // n_steps)
    ig = IntegratedGradients(model)
    with _eval_mode(module, encoder, frozen=encoder):
        with torch.no_grad():
            logits = torch.cat([
                model(*_tensors(arrays, rows, device), *_tensors(extras, rows, device))
                for rows in (slice(s, s + batch_size) for s in range(0, n, batch_size))
            ])
        t = _target_indices(clf, target, logits, who)
        from tqdm.auto import tqdm
        from ..utils.progress import bar_disabled

        progress = tqdm(total=n, desc="Integrated gradients", unit="subject",
                        disable=bar_disabled(verbose))
        for s in range(0, n, per_call):
            rows = slice(s, s + per_call)
            attrs, delta = ig.attribute(
                _tensors(arrays, rows, device), baselines=_tensors(base, rows, device),
                target=torch.as_tensor(t[rows], device=device),
                additional_forward_args=_tensors(extras, rows, device) or None,
                n_steps=n_steps, internal_batch_size=batch_size, return_convergence_delta=True,
            )
            for k, a in zip(names, attrs):
                a = a.detach().cpu().numpy().astype(np.float64)
                if k == "ts":
                    ts_scores[rows] = np.abs(a).sum(axis=1)
                else:
                    fc_edges[rows] = a + a.transpose(0, 2, 1)
            deltas[rows] = delta.detach().cpu().numpy()
            progress.update(len(deltas[rows]))
        progress.close()
    return names, ts_scores, fc_edges, deltas


def _region_scores(modalities, ts_scores, fc_edges, who):
    """Per-subject normalised region scores per modality, and their importance-weighted sum.

    Returns ``(columns, importance)``: for each modality the (n_kept, R) rows of the subjects
    with a non-zero attribution in it (each sums to 1), and the (n_used, R) combined
    importance of the subjects with a non-zero attribution in any modality. Warns about the
    subjects left out; raises when no subject has any attribution.
    """
    n, R = ts_scores.shape
    columns, weights = {}, {}
    if "ts" in modalities:
        columns["ts"] = _normalise_rows(ts_scores)
        weights["ts"] = ts_scores.sum(axis=1)
    if "fc" in modalities:
        off = ~np.eye(R, dtype=bool)
        abs_edges = np.abs(fc_edges) * off
        columns["fc"] = _normalise_rows(abs_edges.sum(axis=2))
        weights["fc"] = abs_edges.sum(axis=(1, 2)) / 2.0
    total_w = sum(weights.values())
    if not (total_w > 0).any():
        raise ValueError(
            f"{who}: every subject has zero attribution (the inputs equal the baseline or "
            "the network ignores them along the path); choose another baseline."
        )
    for k, v in columns.items():
        dead = np.flatnonzero(~np.isfinite(v).all(axis=1))
        if len(dead):
            warnings.warn(
                f"{who}: subjects {dead.tolist()} have zero '{k}' attribution (inputs at the "
                f"baseline, or the '{k}' branch inactive along the path); the '{k}' column "
                f"averages the other {n - len(dead)} subjects and their importance comes from "
                "the other modality.", RuntimeWarning, stacklevel=_WARN_STACKLEVEL,
            )
    used = total_w > 0
    if not used.all():
        warnings.warn(
            f"{who}: subjects {np.flatnonzero(~used).tolist()} have zero attribution in every "
            "modality and are left out of 'importance'.", RuntimeWarning,
            stacklevel=_WARN_STACKLEVEL,
        )
    importance = sum(
        np.nan_to_num((weights[k][used] / total_w[used])[:, None] * columns[k][used], nan=0.0)
        for k in columns
    )
    columns = {k: v[np.isfinite(v).all(axis=1)] for k, v in columns.items()}
    return columns, importance


def _regions_table(names, importance, columns, X, deltas):
    """The ``regions`` DataFrame: means over subjects, coordinates, ``attrs``."""
    R = len(names)
    data = {"name": names, "importance": importance.mean(axis=0)}
    data.update({k: (v.mean(axis=0) if len(v) else np.zeros(R)) for k, v in columns.items()})
    if "xyz" in X:
        mean_xyz = np.asarray(X["xyz"], dtype=np.float64).mean(axis=0)
        data.update(x=mean_xyz[:, 0], y=mean_xyz[:, 1], z=mean_xyz[:, 2])
    regions = pd.DataFrame(data, index=pd.RangeIndex(R, name="region"))
    regions.attrs["n_subjects"] = int(len(deltas))
    regions.attrs["max_abs_delta"] = float(np.abs(deltas).max())
    return regions


def _edges_table(fc_edges, names, top_edges):
    """The ``edges`` DataFrame: the ``top_edges`` strongest edges ``i < j``, strongest first."""
    R = fc_edges.shape[1]
    i, j = np.triu_indices(R, k=1)
    signed = fc_edges.mean(axis=0)[i, j]
    strength = np.abs(fc_edges).mean(axis=0)[i, j]
    order = np.argsort(-strength, kind="stable")[:top_edges]
    return pd.DataFrame({
        "region_i": i[order], "region_j": j[order], "name_i": names[i[order]],
        "name_j": names[j[order]], "attribution": signed[order],
        "abs_attribution": strength[order],
    })


@fill_doc
def region_attributions(estimator: Any, X: CohortLike, target: Any = None,
                        baseline: str | dict = "zeros", n_steps: int = 50, *,
                        top_edges: int | None = None, background: CohortLike | None = None,
                        batch_size: int = 64, region_names: Any = None,
                        verbose: int = 0) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Importance of each brain region: integrated gradients to the time series and the matrix.

    Integrated gradients (captum) attribute the target class logit to the model's raw
    inputs, along the straight path from ``baseline`` to each subject's inputs (both
    modalities together): through the connectivity encoder to the connectivity matrix,
    and through the frozen foundation encoder (run with gradients, in eval mode) or the
    from-scratch time-series encoder to the time series.

    Per subject: a region's **ts** score is the sum over time of ``|attribution|`` of
    its time series; its **fc** score is the sum over its edges ``j != i`` of
    ``|A_ij + A_ji|`` (the attribution ``A`` symmetrised; the diagonal is no edge and is
    left out). Each modality's scores are normalised to sum to 1 over regions, and the
    combined **importance** is ``w_ts * ts + w_fc * fc`` with ``w`` the modality's
    share of the subject's total absolute attribution (time series: sum of
    ``|attribution|``; connectivity: sum over edges ``i < j``), so it also sums to 1.
    The returned columns are the means over subjects of these per-subject normalised
    scores. For the strongest connectivity edges too, call
    :func:`region_and_edge_attributions`.

    Parameters
    ----------
    %(estimator_fmmtc)s
    %(X_explained)s
    %(target_class)s
    %(baseline_inputs)s
    %(n_steps)s
    top_edges : int, optional
        Deprecated: call :func:`region_and_edge_attributions` (``top_edges=...``), which
        returns ``(regions, edges)``. Given here, ``(regions, edges)`` is returned as before,
        with a ``FutureWarning``.

        .. deprecated:: 0.2
           ``top_edges`` will be removed in 0.4; ``region_attributions`` will then always
           return the ``regions`` table alone.
    %(background)s
    %(batch_size_attributions)s
        Here a row is a (subject, integration step) pair.
    %(region_names)s
        For a pipeline, the default is its time-series step's ``region_names_`` (named after
        the atlas: ``label<value>``, ...). ``region0``, ``region1``, ... are the names
        :class:`~skfmm.ConnectivityExtractor` gives its edges.
    %(verbose0)s
        1 shows a progress bar over the subjects (the slow part: gradients through the
        foundation encoder for every integration step).

    Returns
    -------
    regions : pandas.DataFrame
        Indexed by ``region`` (0-based, the column order of the time series), columns
        ``name`` (the region's name, the figures' labels), ``importance`` and, for each
        modality of the model, ``ts`` / ``fc`` (each sums to 1), plus ``x``, ``y``, ``z``
        (MNI mm, mean over subjects of ``X["xyz"]``) when the data carry coordinates.
        ``regions.attrs`` holds ``n_subjects`` and ``max_abs_delta`` (largest convergence
        delta over subjects).
    edges : pandas.DataFrame
        Only with the deprecated ``top_edges``, returned as ``(regions, edges)``: see
        :func:`region_and_edge_attributions`.

    See Also
    --------
    region_and_edge_attributions : the regions and the strongest connectivity edges.
    modality_attributions : the share of each modality.

    Examples
    --------
    A pipeline is explained from what it takes, here the runs of a simulated cohort; the
    regions carry the coordinates of the extracted parcels.

    >>> from sklearn.pipeline import make_pipeline
    >>> from skfmm import ConnectivityExtractor, FMMTCClassifier, TimeSeriesExtractor
    >>> from skfmm.datasets import make_pain_cohort
    >>> from skfmm.interpret import region_attributions
    >>> cohort = make_pain_cohort(n_subjects=12, n_regions=16, n_timepoints=40, random_state=0)
    >>> pipe = make_pipeline(
    ...     TimeSeriesExtractor(coords=cohort.coords, window=40, verbose=0),
    ...     ConnectivityExtractor(),
    ...     FMMTCClassifier(foundation_model=None, fc_encoder="mlp", max_epochs=2,
    ...                     train_split=None, random_state=0, verbose=0),
    ... ).fit(cohort.timeseries, cohort.y)
    >>> regions = region_attributions(pipe, cohort.timeseries, n_steps=8)
    >>> list(regions.columns), round(float(regions["importance"].sum()), 6)
    (['name', 'importance', 'ts', 'fc', 'x', 'y', 'z'], 1.0)
    """
    who = "region_attributions"
    if top_edges is not None:
        warnings.warn(
            "region_attributions: 'top_edges' was deprecated in skfmm 0.2 and will be removed "
            "in 0.4. Call region_and_edge_attributions(estimator, X, ..., "
            f"top_edges={top_edges!r}) instead: it returns (regions, edges).",
            FutureWarning, stacklevel=2,
        )
    regions, edges = _region_tables(estimator, X, target, baseline, n_steps, top_edges,
                                    background, batch_size, region_names, verbose, who)
    return regions if top_edges is None else (regions, edges)


@fill_doc
def region_and_edge_attributions(estimator: Any, X: CohortLike, target: Any = None,
                                 baseline: str | dict = "zeros", n_steps: int = 50, *,
                                 top_edges: int = 20, background: CohortLike | None = None,
                                 batch_size: int = 64, region_names: Any = None,
                                 verbose: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Importance of each brain region and the strongest connectivity edges.

    The regions as :func:`region_attributions` computes them (one integrated-gradients
    run gives both tables), and the ``top_edges`` connectivity edges whose attribution is
    strongest on average over the subjects, for a model that uses ``fc``.

    Parameters
    ----------
    %(estimator_fmmtc)s
    %(X_explained)s
    %(target_class)s
    %(baseline_inputs)s
    %(n_steps)s
    top_edges : int, default=20
        Number of edges returned.
    %(background)s
    %(batch_size_attributions)s
        Here a row is a (subject, integration step) pair.
    %(region_names)s
        As in :func:`region_attributions`.
    %(verbose0)s
        1 shows a progress bar over the subjects.

    Returns
    -------
    regions : pandas.DataFrame
        As :func:`region_attributions` returns it.
    edges : pandas.DataFrame
        Columns ``region_i < region_j``, ``name_i``, ``name_j``, ``attribution`` (mean over
        subjects of the symmetrised signed attribution ``A_ij + A_ji``, logit units) and
        ``abs_attribution`` (mean of its absolute value), sorted by ``abs_attribution``,
        strongest first.

    Raises
    ------
    ValueError
        For a model that does not use ``fc`` (it has no edges).

    See Also
    --------
    region_attributions : the regions alone.
    skfmm.interpret.plot_top_edges : draws the edges on a glass brain.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import FMMTCClassifier, MultimodalData
    >>> from skfmm.interpret import region_and_edge_attributions
    >>> rng = np.random.default_rng(0)
    >>> X = MultimodalData(ts=rng.standard_normal((12, 40, 6)).astype("float32"),
    ...                    fc=rng.standard_normal((12, 6, 6)).astype("float32"))
    >>> clf = FMMTCClassifier(foundation_model=None, fc_encoder="mlp", max_epochs=2,
    ...                       train_split=None, random_state=0, verbose=0).fit(X, [0, 1] * 6)
    >>> regions, edges = region_and_edge_attributions(clf, X, n_steps=8, top_edges=3)
    >>> len(regions), list(edges.columns)
    (6, ['region_i', 'region_j', 'name_i', 'name_j', 'attribution', 'abs_attribution'])
    """
    who = "region_and_edge_attributions"
    top_edges = check_positive_int(top_edges, "top_edges", who=who)
    return _region_tables(estimator, X, target, baseline, n_steps, top_edges, background,
                          batch_size, region_names, verbose, who)


# ------------------------------------------------------------------------ group summary
@fill_doc
def modality_shares_by_group(shares, groups=None, *, n_boot=1000, ci=0.95, random_state=0):
    """Mean modality share per group of subjects, with BCa bootstrap intervals.

    The paper's cross-dataset reading: how much the model relies on each modality in,
    e.g., study 1 versus study 2, or placebo versus duloxetine patients.

    Parameters
    ----------
    shares : pandas.DataFrame
        Output of :func:`modality_attributions` (its ``ts``, ``fc``, ``covariates``
        columns are summarised; ``delta`` and ``target`` are ignored).
    groups : array-like of length n_subjects, optional
        Group label of each subject (e.g. ``metadata["study"]``). None: one group
        ``"all"``.
    %(n_boot)s
        They go to :func:`skfmm.evaluation.stats.bootstrap_mean_interval`, i.e.
        ``scipy.stats.bootstrap`` with BCa; a group of one subject, or a modality whose share is
        the same for every member, gets the interval ``[mean, mean]``.
    ci : float, default=0.95
        Coverage of the interval.
    %(random_state)s
        It seeds the resampling.

    Returns
    -------
    summary : pandas.DataFrame
        One row per (group, modality): ``group``, ``modality``, ``n_subjects``,
        ``mean``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfmm.interpret import modality_shares_by_group
    >>> shares = pd.DataFrame({"ts": [0.2, 0.4, 0.7, 0.9], "fc": [0.8, 0.6, 0.3, 0.1]})
    >>> out = modality_shares_by_group(shares, ["a", "a", "b", "b"], n_boot=200)
    >>> out[["group", "modality", "mean"]].round(2).values.tolist()
    [['a', 'ts', 0.3], ['a', 'fc', 0.7], ['b', 'ts', 0.8], ['b', 'fc', 0.2]]
    """
    who = "modality_shares_by_group"
    if not isinstance(shares, pd.DataFrame):
        raise TypeError(f"{who}: 'shares' must be the DataFrame of modality_attributions; got "
                        f"{type(shares).__name__}.")
    modalities = [m for m in FUSED_BLOCKS if m in shares.columns]
    if not modalities:
        raise ValueError(f"{who}: 'shares' has no modality column {list(FUSED_BLOCKS)}; got "
                         f"{list(shares.columns)}.")
    values = shares[modalities].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{who}: 'shares' contains NaN or infinite values.")
    n = len(shares)
    if groups is None:
        labels = np.array(["all"] * n, dtype=object)
    else:
        labels = np.asarray(groups, dtype=object)
        if labels.ndim != 1 or len(labels) != n:
            raise ValueError(f"{who}: 'groups' must hold one label per subject ({n}); got shape "
                             f"{labels.shape}.")
        if pd.isna(pd.Series(labels)).any():
            raise ValueError(f"{who}: 'groups' contains missing labels.")
    n_boot = check_positive_int(n_boot, "n_boot", who=who)
    ci = check_real(ci, "ci", 0.0, 1.0, low_open=True, high_open=True, who=who)
    from ..evaluation.stats import bootstrap_mean_interval

    rows = []
    order = list(pd.unique(pd.Series(labels)))
    with contextlib.suppress(TypeError):
        order = sorted(order)
    for label in order:
        member = values[labels == label]
        mean, low, high = bootstrap_mean_interval(member, n_boot=n_boot, ci=ci,
                                                  random_state=random_state)
        for k, m in enumerate(modalities):
            rows.append({"group": label, "modality": m, "n_subjects": len(member),
                         "mean": mean[k], "ci_low": low[k], "ci_high": high[k]})
    return pd.DataFrame(rows, columns=["group", "modality", "n_subjects", "mean", "ci_low",
                                       "ci_high"])
