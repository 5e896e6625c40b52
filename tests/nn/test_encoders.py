"""Connectivity encoders (BrainNetCNN, MLP, factory) and the from-scratch TS encoder."""

import pytest
import torch

from skfmm.nn.encoders import (
    BrainNetCNN,
    MLPFCEncoder,
    ResNetFCEncoder,
    TemporalCNNEncoder,
    make_fc_encoder,
)


def test_edge_to_edge_is_row_plus_column_filter():
    torch.manual_seed(0)
    net = BrainNetCNN(5, out_features=4, width=2)
    x = torch.randn(1, 1, 5, 5)
    out = net.e2e1(x)
    w_row, b_row = net.e2e1.row.weight[:, 0, 0, :], net.e2e1.row.bias  # (C, R)
    w_col, b_col = net.e2e1.col.weight[:, 0, :, 0], net.e2e1.col.bias
    i, j, c = 3, 1, 1
    expected = (w_row[c] * x[0, 0, i, :]).sum() + b_row[c] + (w_col[c] * x[0, 0, :, j]).sum() \
        + b_col[c]
    assert torch.allclose(out[0, c, i, j], expected, atol=1e-6)


def test_brainnetcnn_shapes_and_region_check():
    net = BrainNetCNN(7, out_features=16, width=3)
    assert net(torch.randn(4, 7, 7)).shape == (4, 16)
    assert net.n2g.out_channels == 24 and net.e2n.out_channels == 6
    with pytest.raises(ValueError, match="built for 7 regions"):
        net(torch.randn(4, 6, 6))


def test_mlp_reads_only_the_upper_triangle():
    torch.manual_seed(0)
    net = MLPFCEncoder(6, out_features=3, width=5).eval()
    assert net.hidden.in_features == 15
    fc = torch.randn(2, 6, 6)
    changed = fc.clone()
    lower = torch.tril_indices(6, 6)  # diagonal and below
    changed[:, lower[0], lower[1]] += 10.0
    assert torch.equal(net(fc), net(changed))
    changed[:, 0, 5] += 1.0
    assert not torch.equal(net(fc), net(changed))


def test_temporal_cnn_shapes_and_layout_check():
    net = TemporalCNNEncoder(5, out_features=16, width=4)
    assert net(torch.randn(3, 40, 5)).shape == (3, 16)
    with pytest.raises(ValueError, match=r"\(batch, window, 5\)"):
        net(torch.randn(3, 5, 40))  # BrainLM's [B, R, T] layout by mistake


def test_make_fc_encoder_choices_and_errors():
    assert isinstance(make_fc_encoder("resnet18", 64), ResNetFCEncoder)
    assert make_fc_encoder("brainnetcnn", 6, width=4).e2e1.row.out_channels == 4
    assert make_fc_encoder("mlp", 6, width=9, dropout=0.1).hidden.out_features == 9
    with pytest.raises(ValueError, match="'fc_encoder' must be one of.*'gnn'"):
        make_fc_encoder("gnn", 6)
    with pytest.raises(ValueError, match="'fc_width' applies to 'brainnetcnn' and 'mlp'"):
        make_fc_encoder("resnet18", 64, width=8)
