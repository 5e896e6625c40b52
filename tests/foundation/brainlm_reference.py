"""A literal reading of the BrainLM spec, used only by the tests to check the fast encoder.

Explicit softmax attention matrix, ``Conv2d`` with weight [h,1,K,1] on [B,h,L,d_head], identity
token order; written independently of skfmm.foundation.brainlm (functional, from the state dict).
"""

import functools
import math

import torch
import torch.nn.functional as F


@functools.lru_cache(maxsize=8)
def _reference_pe(n_positions, d_model):
    pe = torch.zeros(n_positions, d_model)
    for n in range(n_positions):
        for i in range(0, d_model, 2):
            angle = n * math.exp(-i * math.log(10000.0) / d_model)
            pe[n, i] = math.sin(angle)
            if i + 1 < d_model:
                pe[n, i + 1] = math.cos(angle)
    return pe


def reference_pe(n_positions, d_model):
    return _reference_pe(n_positions, d_model).clone()


def _linear(sd, prefix, x):
    return x @ sd[prefix + ".weight"].T + sd[prefix + ".bias"]


def _layer_norm(sd, prefix, x, eps):
    return F.layer_norm(x, x.shape[-1:], sd[prefix + ".weight"], sd[prefix + ".bias"], eps)


def reference_layer(sd, prefix, x, heads, kernel, eps):
    B, L, d = x.shape
    dh = d // heads
    q = _linear(sd, prefix + ".attention.self.query", x)
    k = _linear(sd, prefix + ".attention.self.key", x)
    v = _linear(sd, prefix + ".attention.self.value", x)
    q, k, v = (t.view(B, L, heads, dh).permute(0, 2, 1, 3) for t in (q, k, v))
    # Nystromformer scales q and k each by 1/sqrt(sqrt(dh)).
    q = q / math.sqrt(math.sqrt(dh))
    k = k / math.sqrt(math.sqrt(dh))
    attn = torch.softmax(q @ k.transpose(-1, -2), dim=-1)  # [B, h, L, L]
    ctx = attn @ v
    if kernel is not None:
        conv = torch.nn.Conv2d(heads, heads, (kernel, 1), padding=(kernel // 2, 0),
                               bias=False, groups=heads)
        conv.weight.data = sd[prefix + ".attention.self.conv.weight"]
        ctx = ctx + conv(v)
    ctx = ctx.permute(0, 2, 1, 3).reshape(B, L, d)
    h1 = _layer_norm(sd, prefix + ".attention.output.LayerNorm",
                     _linear(sd, prefix + ".attention.output.dense", ctx) + x, eps)
    inter = F.gelu(_linear(sd, prefix + ".intermediate.dense", h1))
    return _layer_norm(sd, prefix + ".output.LayerNorm",
                       _linear(sd, prefix + ".output.dense", inter) + h1, eps)


@torch.no_grad()
def reference_encode(sd, cfg, signal, xyz):
    """Last hidden state of the encoder following the spec step by step (identity order)."""
    B, R, T = signal.shape
    P = cfg["timepoint_patching_size"]
    N = T // P
    d = cfg["hidden_size"]
    patches = signal.reshape(B, R, N, P)
    x = _linear(sd, "vit.embeddings.signal_embedding_projection", patches)
    x = x + _linear(sd, "vit.embeddings.xyz_embedding_projection", xyz)[:, :, None, :]
    x = x + reference_pe(N, d)[None, None]
    tokens = torch.zeros(B, R * N, d)
    for r in range(R):
        for n in range(N):
            tokens[:, r * N + n] = x[:, r, n]
    ids_shuffle = torch.arange(R * N).expand(B, -1)  # identity order
    tokens = torch.gather(tokens, 1, ids_shuffle[..., None].expand(-1, -1, d))
    h = torch.cat([sd["vit.embeddings.cls_token"].expand(B, -1, -1), tokens], dim=1)
    for i in range(cfg["num_hidden_layers"]):
        h = reference_layer(sd, f"vit.encoder.layer.{i}", h, cfg["num_attention_heads"],
                            cfg["conv_kernel_size"], cfg["layer_norm_eps"])
    return _layer_norm(sd, "vit.layernorm", h, cfg["layer_norm_eps"])
