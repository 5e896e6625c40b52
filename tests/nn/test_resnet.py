"""ResNet-18: torchvision's exact state-dict layout, weight loading, the 3-channel shortcut."""

from pathlib import Path

import numpy as np
import pytest
import torch

from skfmm.nn.encoders import ResNetFCEncoder
from skfmm.nn.resnet import load_torchvision_weights, resnet18

# state_dict of torchvision.models.resnet18() (torchvision 0.x, unchanged since 2017):
# key and shape, in order. Written down as facts, not computed by skfmm.
TORCHVISION_RESNET18 = Path(__file__).parent / "data" / "torchvision_resnet18_state_dict.txt"


def _expected():
    out = []
    for line in TORCHVISION_RESNET18.read_text().strip().splitlines():
        key, shape = line.split(" ", 1)
        out.append((key, tuple(int(s) for s in shape.strip("()").split(",") if s.strip())))
    return out


def test_state_dict_matches_torchvision_layout():
    expected = _expected()
    assert len(expected) == 122
    got = [(k, tuple(v.shape)) for k, v in resnet18(num_classes=1000).state_dict().items()]
    assert got == expected


def test_fc_replaced_by_256_and_other_keys_unchanged():
    state = resnet18().state_dict()
    assert tuple(state["fc.weight"].shape) == (256, 512)
    assert tuple(state["layer2.0.downsample.0.weight"].shape) == (128, 64, 1, 1)
    assert [k for k, _ in _expected()] == list(state)


def test_fc_encoder_keys_are_torchvision_keys():
    keys = list(ResNetFCEncoder(64).state_dict())
    assert keys == [k for k, _ in _expected()]


def test_load_torchvision_weights_keeps_new_fc(tmp_path):
    torch.manual_seed(0)
    source = resnet18(num_classes=1000)
    with torch.no_grad():
        source.layer3[1].conv2.weight.add_(1.0)  # something the target cannot have by chance
    path = tmp_path / "resnet18.pth"
    torch.save(source.state_dict(), path)
    target = resnet18(num_classes=256)
    fc_before = target.fc.weight.detach().clone()
    load_torchvision_weights(target, path)
    assert torch.equal(target.layer3[1].conv2.weight, source.layer3[1].conv2.weight)
    assert torch.equal(target.bn1.running_var, source.bn1.running_var)
    assert torch.equal(target.fc.weight, fc_before)  # classifier replaced, not loaded


def test_load_torchvision_weights_refuses_foreign_file(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"conv1.weight": torch.zeros(64, 1, 7, 7), "foo": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match="unexpected keys \\['foo'\\].*conv1.weight"):
        load_torchvision_weights(resnet18(), path)
    with pytest.raises(FileNotFoundError, match="'path'"):
        load_torchvision_weights(resnet18(), tmp_path / "missing.pth")


def test_folded_channels_equal_three_copies_forward_and_backward():
    torch.manual_seed(0)
    folded = ResNetFCEncoder(64, out_features=8, fold_channels=True).double()
    copies = ResNetFCEncoder(64, out_features=8, fold_channels=False).double()
    copies.load_state_dict(folded.state_dict())
    fc = torch.randn(3, 64, 64, dtype=torch.float64)
    fc = (fc + fc.transpose(1, 2)) / 2
    out_f, out_c = folded(fc), copies(fc)
    np.testing.assert_allclose(out_f.detach().numpy(), out_c.detach().numpy(), rtol=1e-10,
                               atol=1e-10)
    out_f.square().sum().backward()
    out_c.square().sum().backward()
    # Each of the three input-channel kernels gets the same gradient in both computations.
    np.testing.assert_allclose(folded.conv1.weight.grad.numpy(),
                               copies.conv1.weight.grad.numpy(), rtol=1e-8, atol=1e-10)
    g = copies.conv1.weight.grad
    assert torch.allclose(g[:, 0], g[:, 1]) and torch.allclose(g[:, 1], g[:, 2])


def test_fc_encoder_refuses_wrong_matrix_size():
    with pytest.raises(ValueError, match="built for 64 regions; 'fc' has 32"):
        ResNetFCEncoder(64)(torch.zeros(2, 32, 32))
