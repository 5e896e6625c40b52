"""Torch modules of FMM_TC: ResNet-18 (torchvision layout), connectivity and TS encoders, fusion.

All modules live here (importable, no lambdas) so fitted estimators pickle.
"""

from .encoders import (
    FC_ENCODERS,
    BrainNetCNN,
    MLPFCEncoder,
    ResNetFCEncoder,
    TemporalCNNEncoder,
    make_fc_encoder,
)
from .fmmtc import MODALITIES, FMMTCModule, encode_frozen
from .resnet import BasicBlock, ResNet, load_torchvision_weights, resnet18

__all__ = [
    "FC_ENCODERS",
    "MODALITIES",
    "BasicBlock",
    "BrainNetCNN",
    "FMMTCModule",
    "MLPFCEncoder",
    "ResNet",
    "ResNetFCEncoder",
    "TemporalCNNEncoder",
    "encode_frozen",
    "load_torchvision_weights",
    "make_fc_encoder",
    "resnet18",
]
