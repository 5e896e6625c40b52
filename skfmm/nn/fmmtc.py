"""The fused FMM_TC network: time-series branch, connectivity branch, covariates, linear head.

The frozen foundation-model embedding normally arrives precomputed (``ts_emb``); the module
then holds only trainable parts. A frozen encoder inside the module is also supported.
"""

from __future__ import annotations

import torch
from torch import nn

from ..foundation.pooling import POOLINGS, pool_tokens
from .encoders import TemporalCNNEncoder, make_fc_encoder
from ..utils._docs import fill_doc
from ..utils.validation import check_positive_int

__all__ = ["MODALITIES", "FMMTCModule", "ParcelProjection", "encode_frozen"]

#: Modalities a model can use.
MODALITIES = ("ts", "fc")


@fill_doc
def encode_frozen(encoder, ts, xyz, pooling="cls"):
    """Pooled output of a frozen BrainLM-like ``encoder`` for a batch, without gradients.

    Parameters
    ----------
    encoder : torch.nn.Module
        Has ``encode(signal [B, R, T], xyz [B, R, 3]) -> [B, 1 + tokens, hidden]``, CLS first.
    ts : torch.Tensor of shape (B, window, R)
        Time series in nilearn's layout (transposed here to BrainLM's ``[B, R, T]``).
    xyz : torch.Tensor of shape (B, R, 3)
        Parcel coordinates.
    %(pooling)s

    Returns
    -------
    torch.Tensor of shape (B, hidden), or (B, R * hidden) for ``"parcel"``

    Examples
    --------
    >>> import torch
    >>> from skfmm.nn.fmmtc import encode_frozen
    >>> class Toy(torch.nn.Module):
    ...     def encode(self, signal, xyz):
    ...         return signal.new_zeros(signal.shape[0], 3, 4)
    >>> encode_frozen(Toy(), torch.zeros(2, 10, 5), torch.zeros(2, 5, 3)).shape
    torch.Size([2, 4])
    """
    if pooling not in POOLINGS:
        raise ValueError(f"'pooling' must be one of {POOLINGS}; got {pooling!r}.")
    with torch.no_grad():
        hidden = encoder.encode(ts.transpose(1, 2).contiguous(), xyz)
    return pool_tokens(hidden, pooling, n_regions=ts.shape[2])


class ParcelProjection(nn.Module):
    """Region-level features: one projection ``hidden -> rank`` shared by every parcel.

    Takes per-parcel embeddings flattened parcel-major, (B, n_regions * hidden), and returns
    (B, n_regions * rank). Followed by the linear head, this is a factorized (rank-``rank``
    bilinear) head: the head holds ``rank`` weights per parcel and class, so the
    parameters grow as ``hidden * rank + n_regions * rank * n_classes``, never as
    ``n_regions * hidden``.

    Parameters
    ----------
    n_regions : int
    hidden : int
        Width of each parcel's embedding.
    rank : int, default=1

    Examples
    --------
    >>> import torch
    >>> from skfmm.nn.fmmtc import ParcelProjection
    >>> ParcelProjection(100, 64, rank=2)(torch.zeros(3, 100 * 64)).shape
    torch.Size([3, 200])
    """

    def __init__(self, n_regions, hidden, rank=1):
        super().__init__()
        check_positive_int(rank, "parcel_rank")
        self.n_regions, self.hidden, self.rank = int(n_regions), int(hidden), int(rank)
        self.projection = nn.Linear(self.hidden, self.rank)

    def forward(self, emb):
        if emb.ndim != 2 or emb.shape[1] != self.n_regions * self.hidden:
            raise ValueError(
                f"ParcelProjection expects per-parcel embeddings of shape (batch, "
                f"{self.n_regions} * {self.hidden}); got {tuple(emb.shape)}.")
        parcels = emb.reshape(emb.shape[0], self.n_regions, self.hidden)
        return self.projection(parcels).flatten(1)


@fill_doc
class FMMTCModule(nn.Module):
    """FMM_TC: [TS features | FC features | covariates] -> one linear layer -> logits.

    Parameters
    ----------
    %(n_regions)s
    window : int or None
        Time points per window (informative; the TS encoders pool over time).
    n_classes : int, default=2
        Output logits.
    modalities : tuple of {"ts", "fc"}, default=("ts", "fc")
        Branches to build.
    ts_embedding_dim : int or None
        Width of a precomputed frozen embedding passed as ``ts_emb`` (the usual
        foundation-model case: the module then has no TS parameters). None with no
        ``frozen_ts_encoder`` builds a :class:`~skfmm.nn.encoders.TemporalCNNEncoder`
        trained from scratch.
    frozen_ts_encoder : torch.nn.Module or None
        A BrainLM-like encoder run inside the module on ``ts`` and ``xyz``; its weights
        are frozen and it stays in eval mode whatever ``train()`` says.
    %(pooling)s
        The tokens are those of ``frozen_ts_encoder``, or those that made ``ts_emb``. With
        ``"parcel"``, the (B, n_regions * hidden) features pass through a :class:`ParcelProjection`
        (``hidden -> parcel_rank``, shared by the parcels) before the head: region-level features
        whose parameters do not grow with ``n_regions * hidden``.
    parcel_rank : int, default=1
        Output width per parcel of the shared projection with ``pooling="parcel"``.
    fc_encoder : {"resnet18", "brainnetcnn", "mlp"}, default="resnet18"
        Connectivity encoder.
    fc_features, ts_features : int, default=256
        Output widths of the connectivity and the from-scratch TS encoder.
    fc_width : int or None
        Width of ``brainnetcnn`` / ``mlp``.
    fc_dropout : float or None
        Dropout inside ``brainnetcnn`` / ``mlp``.
    ts_width : int, default=32
        Channels of the from-scratch TS encoder.
    n_covariates : int, default=0
        Width of the optional third block (already standardised covariates).
    dropout : float, default=0.0
        Dropout on the concatenated features (the paper uses none).
    fold_channels : bool, default=True
        ResNet-18's exact 3-channel shortcut (see :class:`~skfmm.nn.encoders.ResNetFCEncoder`).

    Examples
    --------
    >>> import torch
    >>> from skfmm.nn import FMMTCModule
    >>> net = FMMTCModule(n_regions=6, window=20, ts_embedding_dim=8, fc_encoder="mlp")
    >>> net(ts_emb=torch.zeros(4, 8), fc=torch.zeros(4, 6, 6)).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        n_regions,
        window=None,
        n_classes=2,
        modalities=("ts", "fc"),
        ts_embedding_dim=None,
        frozen_ts_encoder=None,
        pooling="cls",
        fc_encoder="resnet18",
        fc_features=256,
        ts_features=256,
        fc_width=None,
        fc_dropout=None,
        ts_width=32,
        n_covariates=0,
        dropout=0.0,
        fold_channels=True,
        parcel_rank=1,
    ):
        super().__init__()
        modalities = tuple(modalities)
        if not modalities or any(m not in MODALITIES for m in modalities) or len(
            set(modalities)
        ) != len(modalities):
            raise ValueError(
                f"'modalities' must be a non-empty tuple of distinct values from "
                f"{MODALITIES}; got {modalities!r}."
            )
        if int(n_classes) < 2:
            raise ValueError(f"'n_classes' must be >= 2; got {n_classes!r}.")
        self.modalities = modalities
        self.n_regions = int(n_regions)
        self.window = window
        if pooling not in POOLINGS:
            raise ValueError(f"'pooling' must be one of {POOLINGS}; got {pooling!r}.")
        self.pooling = pooling
        self.parcel_projection = None
        self.ts_input = None
        self.ts_encoder = None
        self.frozen_ts_encoder = None
        self.fc_encoder = None
        width = 0
        if "ts" in modalities:
            if frozen_ts_encoder is not None:
                self.ts_input = "frozen"
                self.frozen_ts_encoder = frozen_ts_encoder
                for p in frozen_ts_encoder.parameters():
                    p.requires_grad_(False)
                frozen_ts_encoder.eval()
                width += self._frozen_width(int(frozen_ts_encoder.config.hidden_size),
                                            parcel_rank)
            elif ts_embedding_dim is not None:
                self.ts_input = "embedding"
                if pooling == "parcel":
                    if int(ts_embedding_dim) % self.n_regions:
                        raise ValueError(
                            f"pooling='parcel': 'ts_embedding_dim' ({ts_embedding_dim}) must "
                            f"be n_regions ({self.n_regions}) times the hidden size.")
                    width += self._frozen_width(int(ts_embedding_dim) // self.n_regions,
                                                parcel_rank)
                else:
                    width += int(ts_embedding_dim)
            else:
                self.ts_input = "scratch"
                self.ts_encoder = TemporalCNNEncoder(
                    self.n_regions, out_features=ts_features, width=ts_width
                )
                width += int(ts_features)
        if "fc" in modalities:
            self.fc_encoder = make_fc_encoder(
                fc_encoder, self.n_regions, out_features=fc_features, width=fc_width,
                dropout=fc_dropout,
            )
            if fc_encoder == "resnet18":
                self.fc_encoder.fold_channels = bool(fold_channels)
            width += int(fc_features)
        self.n_covariates = int(n_covariates)
        width += self.n_covariates
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, int(n_classes))

    def _frozen_width(self, hidden, parcel_rank):
        """Width of the foundation-model block; builds the parcel projection when pooled so."""
        if self.pooling != "parcel":
            return hidden
        self.parcel_projection = ParcelProjection(self.n_regions, hidden, parcel_rank)
        return self.n_regions * int(parcel_rank)

    def train(self, mode=True):
        """Set training mode; a frozen encoder inside always stays in eval mode."""
        super().train(mode)
        if self.frozen_ts_encoder is not None:
            self.frozen_ts_encoder.eval()
        return self

    def feature_blocks(self, ts=None, xyz=None, fc=None, ts_emb=None, covariates=None):
        """The blocks fed to the head, in order: a list of ``(modality, (batch, width))``."""
        blocks = []
        if self.ts_input in ("embedding", "frozen"):
            if self.ts_input == "embedding":
                emb = _required(ts_emb, "ts_emb", "a precomputed TS embedding")
            else:
                emb = encode_frozen(
                    self.frozen_ts_encoder, _required(ts, "ts", "the time series"),
                    _required(xyz, "xyz", "the parcel coordinates"), self.pooling,
                ).float()
            if self.parcel_projection is not None:
                emb = self.parcel_projection(emb)
            blocks.append(("ts", emb))
        elif self.ts_input == "scratch":
            blocks.append(("ts", self.ts_encoder(_required(ts, "ts", "the time series"))))
        if self.fc_encoder is not None:
            blocks.append(("fc", self.fc_encoder(
                _required(fc, "fc", "the connectivity matrices"))))
        if self.n_covariates:
            cov = _required(covariates, "covariates", f"{self.n_covariates} covariates")
            if cov.ndim != 2 or cov.shape[1] != self.n_covariates:
                raise ValueError(
                    f"FMMTCModule was built for {self.n_covariates} covariates; got "
                    f"'covariates' of shape {tuple(cov.shape)}."
                )
            blocks.append(("covariates", cov))
        return blocks

    def features(self, ts=None, xyz=None, fc=None, ts_emb=None, covariates=None):
        """The concatenated feature vector fed to the head, (batch, width)."""
        blocks = [b for _, b in self.feature_blocks(ts, xyz, fc, ts_emb, covariates)]
        dtype = blocks[0].dtype
        return torch.cat([b.to(dtype) for b in blocks], dim=1)

    def forward(self, ts=None, xyz=None, fc=None, ts_emb=None, covariates=None, **unused):
        return self.head(self.dropout(self.features(ts, xyz, fc, ts_emb, covariates)))


def _required(value, name, what):
    if value is None:
        raise ValueError(f"FMMTCModule needs '{name}' ({what}) for its configuration; got None.")
    return value
