"""The fused FMM_TC module: branches, fusion width, frozen encoder kept frozen and in eval."""

import pytest
import torch
from torch import nn

from skfmm.nn.fmmtc import FMMTCModule, encode_frozen


class _ToyConfig:
    hidden_size = 6


class _ToyFrozen(nn.Module):
    """BrainLM-like: encode(signal [B, R, T], xyz) -> [B, 1 + tokens, hidden], with BN + dropout."""

    def __init__(self):
        super().__init__()
        self.config = _ToyConfig()
        self.proj = nn.Linear(4, 6)
        self.norm = nn.BatchNorm1d(6)
        self.drop = nn.Dropout(0.5)

    def encode(self, signal, xyz):
        tokens = self.proj(signal[:, :, :4])  # (B, R, 6)
        tokens = self.drop(self.norm(tokens.transpose(1, 2)).transpose(1, 2))
        return torch.cat([tokens.mean(1, keepdim=True), tokens], dim=1)


def test_fusion_width_is_sum_of_blocks():
    net = FMMTCModule(n_regions=6, ts_embedding_dim=8, fc_encoder="mlp", fc_features=5,
                      n_covariates=3, n_classes=3)
    assert net.head.in_features == 8 + 5 + 3 and net.head.out_features == 3
    out = net(ts_emb=torch.zeros(2, 8), fc=torch.zeros(2, 6, 6), covariates=torch.zeros(2, 3))
    assert out.shape == (2, 3)
    assert sum(p.numel() for p in net.parameters()) == sum(
        p.numel() for p in list(net.fc_encoder.parameters()) + list(net.head.parameters()))


def test_embedding_block_enters_head_unchanged():
    torch.manual_seed(0)
    net = FMMTCModule(n_regions=4, modalities=("ts",), ts_embedding_dim=3)
    emb = torch.randn(5, 3)
    expected = emb @ net.head.weight.T + net.head.bias
    assert torch.allclose(net(ts_emb=emb), expected)


def test_from_scratch_ts_branch_when_no_embedding():
    net = FMMTCModule(n_regions=4, window=20, modalities=("ts",), ts_features=7, ts_width=3)
    assert net.ts_input == "scratch" and net.head.in_features == 7
    assert net(ts=torch.randn(2, 20, 4)).shape == (2, 2)


def test_frozen_encoder_stays_eval_and_gets_no_gradient():
    torch.manual_seed(0)
    frozen = _ToyFrozen()
    net = FMMTCModule(n_regions=5, modalities=("ts", "fc"), frozen_ts_encoder=frozen,
                      fc_encoder="mlp", fc_features=4)
    net.train()
    assert net.training and net.fc_encoder.training
    assert not frozen.training and not frozen.norm.training and not frozen.drop.training
    running = frozen.norm.running_mean.clone()
    ts, xyz, fc = torch.randn(3, 8, 5), torch.zeros(3, 5, 3), torch.randn(3, 5, 5)
    out1, out2 = net.features(ts=ts, xyz=xyz, fc=fc), net.features(ts=ts, xyz=xyz, fc=fc)
    assert torch.equal(out1[:, :6], out2[:, :6])  # no dropout in the frozen block
    net(ts=ts, xyz=xyz, fc=fc).sum().backward()
    assert torch.equal(frozen.norm.running_mean, running)  # BatchNorm statistics untouched
    assert all(p.grad is None and not p.requires_grad for p in frozen.parameters())
    assert net.head.weight.grad is not None


def test_encode_frozen_pooling():
    frozen = _ToyFrozen().eval()
    ts, xyz = torch.randn(2, 8, 5), torch.zeros(2, 5, 3)
    hidden = frozen.encode(ts.transpose(1, 2), xyz)
    assert torch.equal(encode_frozen(frozen, ts, xyz, "cls"), hidden[:, 0])
    assert torch.allclose(encode_frozen(frozen, ts, xyz, "mean"), hidden[:, 1:].mean(1))
    with pytest.raises(ValueError, match="'pooling'"):
        encode_frozen(frozen, ts, xyz, "max")


def test_missing_input_and_bad_modalities_are_named():
    net = FMMTCModule(n_regions=4, ts_embedding_dim=3, fc_encoder="mlp")
    with pytest.raises(ValueError, match="needs 'fc'"):
        net(ts_emb=torch.zeros(2, 3))
    with pytest.raises(ValueError, match="'modalities' must be.*'eeg'"):
        FMMTCModule(n_regions=4, modalities=("eeg",))
    with pytest.raises(ValueError, match="built for 2 covariates"):
        FMMTCModule(n_regions=4, modalities=("ts",), ts_embedding_dim=3, n_covariates=2)(
            ts_emb=torch.zeros(2, 3), covariates=torch.zeros(2, 3))
