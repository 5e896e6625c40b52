"""Trainable encoders of FMM_TC: connectivity (ResNet-18, BrainNetCNN, MLP) and time series.

Each maps one modality of a batch to a feature vector that the fusion head concatenates.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .resnet import ResNet
from ..utils._docs import fill_doc

__all__ = [
    "FC_ENCODERS",
    "ResNetFCEncoder",
    "BrainNetCNN",
    "MLPFCEncoder",
    "TemporalCNNEncoder",
    "make_fc_encoder",
]

#: Names accepted by ``fc_encoder``.
FC_ENCODERS = ("resnet18", "brainnetcnn", "mlp")


def _check_fc(fc, n_regions, who):
    if fc.ndim != 3 or fc.shape[1] != fc.shape[2]:
        raise ValueError(f"{who} expects 'fc' of shape (batch, R, R); got {tuple(fc.shape)}.")
    if n_regions is not None and fc.shape[1] != n_regions:
        raise ValueError(
            f"{who} was built for {n_regions} regions; 'fc' has {fc.shape[1]} "
            f"(shape {tuple(fc.shape)})."
        )


@fill_doc
class ResNetFCEncoder(ResNet):
    """FMM_TC's connectivity branch: ResNet-18 on the matrix copied to 3 channels.

    The network has torchvision's layout (3-channel ``conv1``; ``fc`` is
    ``Linear(512 -> out_features)``), so its state dict is exchangeable with a
    torchvision ResNet-18 whose ``fc`` was replaced.

    Parameters
    ----------
    n_regions : int or None
        Matrix size, checked at run time (None: any size).
    %(out_features)s
    fold_channels : bool, default=True
        Exact shortcut: a convolution over three identical copies of the matrix
        equals one convolution over the matrix with the kernel summed over the
        input-channel axis. ``True`` computes the latter (three times fewer first-layer
        multiplications, same outputs and gradients up to rounding); ``False`` builds
        the 3-channel input as the authors do.

    Examples
    --------
    >>> import torch
    >>> from skfmm.nn.encoders import ResNetFCEncoder
    >>> ResNetFCEncoder(16)(torch.rand(2, 16, 16)).shape
    torch.Size([2, 256])
    """

    def __init__(self, n_regions=None, out_features=256, fold_channels=True):
        super().__init__((2, 2, 2, 2), num_classes=out_features, in_channels=3)
        self.n_regions = n_regions
        self.fold_channels = bool(fold_channels)

    def forward(self, fc):
        _check_fc(fc, self.n_regions, "ResNetFCEncoder")
        x = fc.unsqueeze(1)
        if self.fold_channels:
            weight = self.conv1.weight.sum(dim=1, keepdim=True)
            x = F.conv2d(x, weight, stride=self.conv1.stride, padding=self.conv1.padding)
            x = self.maxpool(self.relu(self.bn1(x)))
        else:
            x = self.stem(x.expand(-1, 3, -1, -1))
        return self.fc(self.forward_trunk(x))


def _leaky(x):
    return F.leaky_relu(x, 0.33)  # BrainNetCNN's slope


class _EdgeToEdge(nn.Module):
    # Kawahara et al. 2017: out[i, j] = sum over row i + sum over column j (cross filter).
    def __init__(self, in_channels, out_channels, n_regions):
        super().__init__()
        self.row = nn.Conv2d(in_channels, out_channels, (1, n_regions))
        self.col = nn.Conv2d(in_channels, out_channels, (n_regions, 1))

    def forward(self, x):
        return self.row(x) + self.col(x)


@fill_doc
class BrainNetCNN(nn.Module):
    """BrainNetCNN (Kawahara et al., NeuroImage 2017) with small widths for tiny cohorts.

    Two edge-to-edge layers (cross-shaped filters), one edge-to-node and one
    node-to-graph layer, leaky ReLU (slope 0.33) and dropout, then a linear layer.

    Parameters
    ----------
    %(n_regions)s
        The filters span a whole row / column.
    %(out_features)s
    width : int, default=8
        Channels of the edge-to-edge layers; edge-to-node uses ``2 * width`` and
        node-to-graph ``8 * width``.
    dropout : float, default=0.5
        Dropout before the output layer.

    Examples
    --------
    >>> import torch
    >>> from skfmm.nn.encoders import BrainNetCNN
    >>> BrainNetCNN(10, out_features=32)(torch.rand(3, 10, 10)).shape
    torch.Size([3, 32])
    """

    def __init__(self, n_regions, out_features=256, width=8, dropout=0.5):
        super().__init__()
        self.n_regions = int(n_regions)
        self.e2e1 = _EdgeToEdge(1, width, self.n_regions)
        self.e2e2 = _EdgeToEdge(width, width, self.n_regions)
        self.e2n = nn.Conv2d(width, 2 * width, (1, self.n_regions))
        self.n2g = nn.Conv2d(2 * width, 8 * width, (self.n_regions, 1))
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(8 * width, out_features)

    def forward(self, fc):
        _check_fc(fc, self.n_regions, "BrainNetCNN")
        x = _leaky(self.e2e1(fc.unsqueeze(1)))
        x = _leaky(self.e2e2(x))
        x = _leaky(self.e2n(x))
        x = _leaky(self.n2g(x))
        return self.out(self.dropout(torch.flatten(x, 1)))


@fill_doc
class MLPFCEncoder(nn.Module):
    """Two-layer perceptron on the upper triangle (without diagonal) of the matrix.

    Parameters
    ----------
    %(n_regions)s
        The input layer has ``n_regions * (n_regions - 1) / 2`` units.
    %(out_features)s
    width : int, default=64
        Hidden units.
    dropout : float, default=0.5
        Dropout on the hidden layer.

    Examples
    --------
    >>> import torch
    >>> from skfmm.nn.encoders import MLPFCEncoder
    >>> MLPFCEncoder(6, out_features=8)(torch.rand(2, 6, 6)).shape
    torch.Size([2, 8])
    """

    def __init__(self, n_regions, out_features=256, width=64, dropout=0.5):
        super().__init__()
        self.n_regions = int(n_regions)
        rows, cols = torch.triu_indices(self.n_regions, self.n_regions, offset=1)
        self.register_buffer("rows", rows, persistent=False)
        self.register_buffer("cols", cols, persistent=False)
        self.hidden = nn.Linear(rows.numel(), width)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(width, out_features)

    def forward(self, fc):
        _check_fc(fc, self.n_regions, "MLPFCEncoder")
        x = fc[:, self.rows, self.cols]
        return self.out(self.dropout(F.relu(self.hidden(x))))


@fill_doc
class TemporalCNNEncoder(nn.Module):
    """Small 1-D temporal CNN trained from scratch (the no-foundation-model TS branch).

    Regions are input channels; two temporal convolutions with batch norm, then global
    average pooling over time (a resting-state scan has no fixed phase, so features
    must not depend on position) and a linear layer. It has few parameters, so it can
    be trained on tens of subjects, unlike a transformer of BrainLM's size.

    Parameters
    ----------
    n_regions : int
        Input channels.
    %(out_features)s
        It matches the CLS width of the GitHub BrainLM.
    width : int, default=32
        Channels of the convolutions.
    dropout : float, default=0.0
        Dropout before the output layer.

    Examples
    --------
    >>> import torch
    >>> from skfmm.nn.encoders import TemporalCNNEncoder
    >>> TemporalCNNEncoder(5, out_features=16)(torch.rand(2, 40, 5)).shape
    torch.Size([2, 16])
    """

    def __init__(self, n_regions, out_features=256, width=32, dropout=0.0):
        super().__init__()
        self.n_regions = int(n_regions)
        self.conv1 = nn.Conv1d(self.n_regions, width, kernel_size=7, padding=3, bias=False)
        self.bn1 = nn.BatchNorm1d(width)
        self.conv2 = nn.Conv1d(width, width, kernel_size=5, stride=2, padding=2, bias=False)
        self.bn2 = nn.BatchNorm1d(width)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(width, out_features)

    def forward(self, ts):
        # ts: (batch, window, n_regions), nilearn's layout -> channels first.
        if ts.ndim != 3 or ts.shape[2] != self.n_regions:
            raise ValueError(
                f"TemporalCNNEncoder expects 'ts' of shape (batch, window, {self.n_regions}); "
                f"got {tuple(ts.shape)}."
            )
        x = ts.transpose(1, 2)
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.out(self.dropout(x.mean(dim=2)))


@fill_doc
def make_fc_encoder(name, n_regions, out_features=256, width=None, dropout=None):
    """Build the connectivity encoder called ``name``.

    Parameters
    ----------
    name : {"resnet18", "brainnetcnn", "mlp"}
        The encoder.
    %(n_regions)s
    %(out_features)s
    width : int or None
        Width of ``brainnetcnn`` / ``mlp`` (None: their default); not used by ResNet-18.
    dropout : float or None
        Dropout of ``brainnetcnn`` / ``mlp`` (None: their default 0.5).

    Returns
    -------
    torch.nn.Module

    Examples
    --------
    >>> from skfmm.nn.encoders import make_fc_encoder
    >>> type(make_fc_encoder("mlp", 10, out_features=8)).__name__
    'MLPFCEncoder'
    """
    if name not in FC_ENCODERS:
        raise ValueError(f"'fc_encoder' must be one of {FC_ENCODERS}; got {name!r}.")
    if name == "resnet18":
        if width is not None:
            raise ValueError(
                f"'fc_width' applies to 'brainnetcnn' and 'mlp', not 'resnet18'; got {width!r}."
            )
        return ResNetFCEncoder(n_regions, out_features=out_features)
    kwargs = {}
    if width is not None:
        kwargs["width"] = int(width)
    if dropout is not None:
        kwargs["dropout"] = float(dropout)
    cls = BrainNetCNN if name == "brainnetcnn" else MLPFCEncoder
    return cls(n_regions, out_features=out_features, **kwargs)
