"""ResNet-18 with torchvision's exact module and state-dict layout, without torchvision.

Used by FMM_TC's connectivity branch; torchvision-format weight files load unchanged.
"""

from __future__ import annotations

import os

import torch
from torch import nn

__all__ = ["BasicBlock", "ResNet", "resnet18", "load_torchvision_weights"]


def _conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """The two-convolution residual block of ResNet-18/34 (torchvision's ``BasicBlock``).

    Parameters
    ----------
    inplanes, planes : int
        Input and output channels.
    stride : int, default=1
        Stride of the first convolution (2 halves the spatial size).
    downsample : torch.nn.Module or None
        Projection of the shortcut when the shape changes (``Sequential(conv1x1, bn)``).

    Examples
    --------
    >>> import torch
    >>> from skfmm.nn.resnet import BasicBlock
    >>> BasicBlock(8, 8)(torch.zeros(1, 8, 5, 5)).shape
    torch.Size([1, 8, 5, 5])
    """

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """ResNet built from :class:`BasicBlock` in torchvision's layout and initialisation.

    Submodules are ``conv1, bn1, relu, maxpool, layer1..layer4, avgpool, fc`` so that
    ``state_dict()`` keys equal torchvision's (``layer2.0.downsample.0.weight`` ...).

    Parameters
    ----------
    layers : sequence of 4 int
        Blocks per stage, ``(2, 2, 2, 2)`` for ResNet-18.
    num_classes : int, default=1000
        Output width of the final ``fc`` layer.
    in_channels : int, default=3
        Input channels of ``conv1``.

    Examples
    --------
    >>> import torch
    >>> from skfmm.nn.resnet import ResNet
    >>> ResNet((1, 1, 1, 1), num_classes=4)(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 4])
    """

    def __init__(self, layers=(2, 2, 2, 2), num_classes=1000, in_channels=3):
        super().__init__()
        if len(layers) != 4:
            raise ValueError(f"'layers' must list 4 stage depths; got {layers!r}.")
        self.inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * BasicBlock.expansion, num_classes)
        # torchvision's initialisation (the paper's FC branch is randomly initialised).
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * BasicBlock.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * BasicBlock.expansion
        layers += [BasicBlock(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def stem(self, x):
        """``conv1 -> bn1 -> relu -> maxpool``; subclasses may replace the convolution."""
        return self.maxpool(self.relu(self.bn1(self.conv1(x))))

    def forward_trunk(self, x):
        """Everything after the stem up to (not including) ``fc``: (B, 512) features."""
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x):
        return self.fc(self.forward_trunk(self.stem(x)))


def resnet18(num_classes=256, in_channels=3):
    """ResNet-18 (torchvision layout), randomly initialised.

    Parameters
    ----------
    num_classes : int, default=256
        Output width of ``fc`` (FMM_TC replaces torchvision's 1000 by 256).
    in_channels : int, default=3
        Input channels of ``conv1``.

    Returns
    -------
    ResNet

    Examples
    --------
    >>> from skfmm.nn.resnet import resnet18
    >>> model = resnet18()
    >>> tuple(model.state_dict()["layer2.0.downsample.0.weight"].shape)
    (128, 64, 1, 1)
    >>> model.fc
    Linear(in_features=512, out_features=256, bias=True)
    """
    return ResNet((2, 2, 2, 2), num_classes=num_classes, in_channels=in_channels)


def load_torchvision_weights(module, path, *, replace_fc=True):
    """Load a torchvision-format ResNet state dict from ``path`` into ``module``.

    The file is read with ``torch.load(..., weights_only=True)`` (e.g. torchvision's
    ``resnet18-f37072fd.pth``). With ``replace_fc=True`` the file's ``fc`` weights are
    ignored and ``module.fc`` keeps its own (randomly initialised) weights, as FMM_TC
    replaces the ImageNet classifier by a new ``Linear(512 -> 256)``.

    Parameters
    ----------
    module : ResNet
        The network to fill (any ResNet of this module, e.g. ``resnet18()``).
    path : str or os.PathLike
        A file holding a state dict with torchvision's key names.
    replace_fc : bool, default=True
        Keep ``module.fc`` instead of loading the file's classifier.

    Returns
    -------
    module : ResNet
        The same module, weights loaded.

    Examples
    --------
    >>> import os, tempfile, torch
    >>> from skfmm.nn.resnet import resnet18, load_torchvision_weights
    >>> path = os.path.join(tempfile.mkdtemp(), "w.pth")
    >>> torch.save(resnet18(num_classes=1000).state_dict(), path)
    >>> model = load_torchvision_weights(resnet18(), path)
    >>> model.fc.out_features
    256
    """
    if not isinstance(module, ResNet):
        raise TypeError(f"'module' must be a skfmm.nn.resnet.ResNet; got {type(module).__name__}.")
    if not os.path.isfile(os.fspath(path)):
        raise FileNotFoundError(f"'path' must be an existing state-dict file; got {path!r}.")
    state = torch.load(os.fspath(path), map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path!r} does not hold a state dict; got {type(state).__name__}.")
    if replace_fc:
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    own = module.state_dict()
    unexpected = sorted(set(state) - set(own))
    missing = sorted(k for k in set(own) - set(state) if not (replace_fc and k.startswith("fc.")))
    wrong_shape = sorted(
        f"{k}: file {tuple(v.shape)} vs module {tuple(own[k].shape)}"
        for k, v in state.items() if k in own and tuple(v.shape) != tuple(own[k].shape)
    )
    if unexpected or missing or wrong_shape:
        raise ValueError(
            f"{path!r} is not a torchvision-format state dict for this network: "
            f"unexpected keys {unexpected[:5]}, missing keys {missing[:5]}, "
            f"shape mismatches {wrong_shape[:5]}."
        )
    module.load_state_dict(state, strict=False)
    return module
