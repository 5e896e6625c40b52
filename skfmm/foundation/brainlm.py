"""BrainLM (Caro et al., ICLR 2024) in plain PyTorch: config, encoder, MAE decoder, checkpoints.

Loads the released ``config.json`` + ``pytorch_model.bin`` / ``model.safetensors`` unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from skfmm.foundation.scaling import BRAINLM_SCALE
from skfmm.utils.validation import check_batch_coords

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # hints only
    from skfmm._typing import DeviceLike, PathLike

__all__ = ["BrainLMConfig", "BrainLM", "BrainLMOutput", "sinusoidal_encoding"]

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "pytorch_model.bin"
SAFE_WEIGHTS_NAME = "model.safetensors"
#: Length of the fixed sinusoidal table (the ``pe`` buffer) in the released checkpoints.
MAX_PATCHES = 5000
#: Global amplitude divisor of BrainLM's UK Biobank preparation ("brainlm" input scaling).
BRAINLM_GLOBAL_SCALE = BRAINLM_SCALE

_ACTIVATIONS = {
    "gelu": lambda x: F.gelu(x),
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
}


#: Largest width, depth or count a config may give (the released BrainLM's are <= 5120).
MAX_CONFIG_SIZE = 65536
#: Most parameters a config may ask for (the released 650M BrainLM is below; 8 GB in float32).
MAX_PARAMETERS = 2_000_000_000


@dataclass
class BrainLMConfig:
    """Hyper-parameters of a BrainLM model, read from and written to BrainLM's ``config.json``.

    The defaults are those of the released GitHub checkpoint
    ``2023-06-06-22_15_00-checkpoint-1400`` (not the Python defaults of BrainLM's own config
    class). Fields this implementation does not use are kept in ``extra`` and written back.

    Parameters
    ----------
    hidden_size, num_hidden_layers, num_attention_heads, intermediate_size : int
        Encoder width, depth, heads and feed-forward width.
    hidden_act : str
        Feed-forward activation (``"gelu"`` is the exact erf form).
    hidden_dropout_prob, attention_probs_dropout_prob : float
        Dropout rates (attention dropout is not applied on the exact attention path, as in
        the original).
    layer_norm_eps : float
    qkv_bias : bool
        Recorded only; the original Nystromformer projections always carry a bias.
    num_brain_voxels : int
        Parcels the model was trained on (424 for A424); any number works at run time.
    num_timepoints_per_voxel : int
        Training window length (200).
    timepoint_patching_size : int
        Patch length P; the time axis must be a multiple of it.
    mask_ratio : float
        MAE masking ratio used by pretraining.
    conv_kernel_size : int or None
        Depthwise convolution of the values along the token axis (65); odd.
    num_landmarks, segment_means_seq_len : int
        Must be equal: BrainLM's released models use the exact-attention branch.
    decoder_hidden_size, decoder_num_hidden_layers, decoder_num_attention_heads, \
decoder_intermediate_size : int
        MAE decoder shape.
    initializer_range : float
    loss_fn : {"mse", "mae"}
    patch_size, num_channels : int
        Only size the unused ``decoder.decoder_pred`` layer kept for checkpoint compatibility.
    use_tanh_decoder : bool
    cls_in_conv : bool
        skfmm extension. Whether the CLS token takes part in the depthwise convolution, as
        in BrainLM (True, the default; released checkpoints). With False the convolution
        runs over the patch tokens only and the CLS gets attention alone: in BrainLM the
        convolution adds to the CLS the content of the first 33 tokens (the first few
        parcels), which drowns its attention summary of the whole window (see the
        foundation-model docs). Written to ``config.json`` only when False; the original
        code ignores it there.
    extra : dict
        Other ``config.json`` fields, preserved. skfmm writes ``skfmm_input_scaling`` here
        (``"zscore"`` or ``"brainlm"``): how inputs must be scaled for this model.

    Examples
    --------
    >>> from skfmm.foundation import BrainLMConfig
    >>> cfg = BrainLMConfig(hidden_size=64, num_hidden_layers=2, intermediate_size=128)
    >>> BrainLMConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.0
    attention_probs_dropout_prob: float = 0.1
    layer_norm_eps: float = 1e-12
    qkv_bias: bool = True
    num_brain_voxels: int = 424
    num_timepoints_per_voxel: int = 200
    timepoint_patching_size: int = 20
    mask_ratio: float = 0.2
    conv_kernel_size: int | None = 65
    num_landmarks: int = 64
    segment_means_seq_len: int = 64
    decoder_hidden_size: int = 256
    decoder_num_hidden_layers: int = 2
    decoder_num_attention_heads: int = 4
    decoder_intermediate_size: int = 1024
    initializer_range: float = 0.02
    loss_fn: str = "mse"
    patch_size: int = 16
    num_channels: int = 3
    use_tanh_decoder: bool = False
    cls_in_conv: bool = True
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Raise a ``ValueError`` naming the first field that cannot work."""
        for name in ("hidden_size", "num_hidden_layers", "num_attention_heads",
                     "intermediate_size", "timepoint_patching_size", "decoder_hidden_size",
                     "decoder_num_attention_heads", "decoder_intermediate_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"BrainLMConfig: '{name}' must be a positive integer; got {value!r}.")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"BrainLMConfig: 'hidden_size' ({self.hidden_size}) must be a multiple of "
                f"'num_attention_heads' ({self.num_attention_heads})."
            )
        if self.decoder_hidden_size % self.decoder_num_attention_heads:
            raise ValueError(
                f"BrainLMConfig: 'decoder_hidden_size' ({self.decoder_hidden_size}) must be a "
                f"multiple of 'decoder_num_attention_heads' ({self.decoder_num_attention_heads})."
            )
        if self.hidden_act not in _ACTIVATIONS:
            raise ValueError(
                f"BrainLMConfig: 'hidden_act' must be one of {sorted(_ACTIVATIONS)}; "
                f"got {self.hidden_act!r}."
            )
        for name in ("num_brain_voxels", "num_timepoints_per_voxel", "num_landmarks",
                     "segment_means_seq_len", "patch_size", "num_channels"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"BrainLMConfig: '{name}' must be a positive integer; got {value!r}.")
        value = self.decoder_num_hidden_layers
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ValueError(
                f"BrainLMConfig: 'decoder_num_hidden_layers' must be a non-negative integer; "
                f"got {value!r}.")
        # Floats: a NaN or negative value loads and trains, then gives NaN probabilities.
        for name, low, high in (("layer_norm_eps", 0.0, None), ("hidden_dropout_prob", None, 1.0),
                                ("attention_probs_dropout_prob", None, 1.0),
                                ("initializer_range", None, None), ("mask_ratio", None, None)):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, (int, float, np.number))
                    or not np.isfinite(value)):
                raise ValueError(f"BrainLMConfig: '{name}' must be a finite number; got {value!r}.")
            if low is not None and not value > low:
                raise ValueError(f"BrainLMConfig: '{name}' must be > {low}; got {value!r}.")
            if high is not None and not 0.0 <= value < high:
                raise ValueError(f"BrainLMConfig: '{name}' must be in [0, {high}); got {value!r}.")
        if self.initializer_range < 0:
            raise ValueError(
                f"BrainLMConfig: 'initializer_range' must be >= 0; got {self.initializer_range!r}.")
        for name in ("qkv_bias", "use_tanh_decoder"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(
                    f"BrainLMConfig: '{name}' must be true or false; got {getattr(self, name)!r}.")
        if self.conv_kernel_size is not None and (
            not isinstance(self.conv_kernel_size, (int, np.integer))
            or isinstance(self.conv_kernel_size, bool)
            or self.conv_kernel_size < 1 or self.conv_kernel_size % 2 == 0
        ):
            raise ValueError(
                f"BrainLMConfig: 'conv_kernel_size' must be an odd positive integer or None; "
                f"got {self.conv_kernel_size!r}."
            )
        if self.num_landmarks != self.segment_means_seq_len:
            raise ValueError(
                "BrainLMConfig: only the exact-attention configuration is implemented "
                "('num_landmarks' == 'segment_means_seq_len', as in every released BrainLM); "
                f"got num_landmarks={self.num_landmarks}, "
                f"segment_means_seq_len={self.segment_means_seq_len}."
            )
        if not 0.0 <= float(self.mask_ratio) < 1.0:
            raise ValueError(f"BrainLMConfig: 'mask_ratio' must be in [0, 1); got {self.mask_ratio!r}.")
        if self.loss_fn not in ("mse", "mae"):
            raise ValueError(f"BrainLMConfig: 'loss_fn' must be 'mse' or 'mae'; got {self.loss_fn!r}.")
        if not isinstance(self.cls_in_conv, (bool, np.bool_)):
            raise ValueError(
                f"BrainLMConfig: 'cls_in_conv' must be True or False; got {self.cls_in_conv!r}."
            )
        # Sizes are bounded before any tensor is allocated: a typo such as hidden_size 4e6
        # would otherwise ask for tens of gigabytes before failing.
        for name in ("hidden_size", "intermediate_size", "decoder_hidden_size",
                     "decoder_intermediate_size", "num_hidden_layers",
                     "decoder_num_hidden_layers", "num_attention_heads",
                     "decoder_num_attention_heads", "timepoint_patching_size", "patch_size",
                     "num_brain_voxels", "num_timepoints_per_voxel", "num_channels"):
            if getattr(self, name) > MAX_CONFIG_SIZE:
                raise ValueError(
                    f"BrainLMConfig: '{name}' must be at most {MAX_CONFIG_SIZE}; got "
                    f"{getattr(self, name)!r}.")
        n_params = self.estimated_parameters()
        if n_params > MAX_PARAMETERS:
            raise ValueError(
                f"BrainLMConfig: these sizes make about {n_params:.3g} parameters "
                f"({4 * n_params / 1e9:.3g} GB in float32), more than the {MAX_PARAMETERS:.0e} "
                "skfmm allows; check hidden_size, intermediate_size and the layer counts.")
        # skfmm's own fields: read by the extractors and the embedder, so checked on load.
        if not isinstance(self.extra, dict):
            raise ValueError(f"BrainLMConfig: 'extra' must be a dict; got {self.extra!r}.")
        extra = self.extra
        from skfmm.foundation.scaling import SCALINGS

        if "skfmm_input_scaling" in extra and extra["skfmm_input_scaling"] not in SCALINGS:
            raise ValueError(
                f"BrainLMConfig: 'skfmm_input_scaling' must be one of {SCALINGS}; got "
                f"{extra['skfmm_input_scaling']!r}.")
        if "skfmm_t_r" in extra:
            t_r = extra["skfmm_t_r"]
            if (t_r is not None and (isinstance(t_r, bool) or not isinstance(t_r, (int, float))
                                     or not math.isfinite(t_r) or t_r <= 0)):
                raise ValueError(
                    "BrainLMConfig: 'skfmm_t_r' (the pretraining repetition time, seconds) "
                    f"must be a finite positive number or null; got {t_r!r}.")
        if "skfmm_model" in extra and not isinstance(extra["skfmm_model"], str):
            raise ValueError(
                f"BrainLMConfig: 'skfmm_model' must be a string; got {extra['skfmm_model']!r}.")

    def estimated_parameters(self):
        """About how many parameters a BrainLM of these sizes has (transformer blocks only).

        Examples
        --------
        >>> from skfmm.foundation import BrainLMConfig
        >>> BrainLMConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=32,
        ...               decoder_num_hidden_layers=0).estimated_parameters()
        2048
        """
        h, inner, layers = self.hidden_size, self.intermediate_size, self.num_hidden_layers
        hd, innerd = self.decoder_hidden_size, self.decoder_intermediate_size
        layers_d = self.decoder_num_hidden_layers
        return int(layers * (4 * h * h + 2 * h * inner) + layers_d * (4 * hd * hd + 2 * hd * innerd))

    @property
    def input_scaling(self):
        """How inputs must be scaled for this model (``extra['skfmm_input_scaling']``).

        ``"brainlm"`` (per-parcel mean removed, divided by 41.44047) when not recorded, as
        for the released checkpoints.
        """
        return self.extra.get("skfmm_input_scaling", "brainlm")

    @classmethod
    def coerce(cls, config, who):
        """A copy of ``config`` (a BrainLMConfig or ``config.json`` dict; None: the defaults).

        ``who`` names the caller in the ``TypeError`` raised for anything else.
        """
        if config is None:
            config = cls()
        elif isinstance(config, dict):
            config = cls.from_dict(config)
        elif not isinstance(config, cls):
            raise TypeError(
                f"{who}: 'config' must be a BrainLMConfig or a config.json dict; "
                f"got {type(config).__name__}."
            )
        return copy.deepcopy(config)

    @classmethod
    def from_dict(cls, data):
        """Build a config from a ``config.json`` dictionary; unknown fields go to ``extra``."""
        if not isinstance(data, dict):
            raise TypeError(f"BrainLMConfig.from_dict expects a dict; got {type(data).__name__}.")
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        extra = dict(data.get("extra", {})) if isinstance(data.get("extra"), dict) else {}
        extra.update({k: v for k, v in data.items() if k not in known and k != "extra"})
        # to_dict() always writes these two; drop them when they hold the standard values.
        if extra.get("architectures") == ["BrainLMForPretraining"]:
            del extra["architectures"]
        if extra.get("model_type") == "brainlm_mae":
            del extra["model_type"]
        return cls(**kwargs, extra=extra)

    def to_dict(self):
        """Return the ``config.json`` dictionary (BrainLM's flat layout, ``extra`` merged in)."""
        out = {"architectures": ["BrainLMForPretraining"], "model_type": "brainlm_mae"}
        out.update(self.extra)
        for f in dataclasses.fields(self):
            if f.name != "extra":
                out[f.name] = getattr(self, f.name)
        if self.cls_in_conv:  # BrainLM's behaviour: keep released configs byte-identical
            del out["cls_in_conv"]
        return out

    @classmethod
    def from_json_file(cls, path):
        """Read a BrainLM ``config.json``."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"BrainLMConfig: '{path}' is not valid JSON ({exc}).") from exc
        if not isinstance(data, dict):
            raise ValueError(
                f"BrainLMConfig: '{path}' must hold a JSON object; got {type(data).__name__}.")
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{exc} (in '{path}')") from None

    def to_json_file(self, path):
        """Write the config as BrainLM's ``config.json``."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")


def sinusoidal_encoding(n_positions, d_model):
    """The fixed sinusoidal table of BrainLM (``pe[n, 2i] = sin(n exp(-2i ln(1e4)/d))``).

    Examples
    --------
    >>> from skfmm.foundation.brainlm import sinusoidal_encoding
    >>> sinusoidal_encoding(3, 4)[0].tolist()
    [0.0, 1.0, 0.0, 1.0]
    """
    div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    position = torch.arange(n_positions).unsqueeze(1)
    pe = torch.zeros(n_positions, d_model)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)[:, : d_model // 2]
    return pe


class PositionalEncoding(nn.Module):
    """Adds the sinusoidal patch-index encoding to ``[B, R, N, d]`` tokens, then dropout."""

    def __init__(self, d_model, dropout=0.1, max_len=MAX_PATCHES):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_model))

    def forward(self, x):
        return self.dropout(x + self.pe[: x.size(2)])


class BrainLMEmbeddings(nn.Module):
    """Patch projection + coordinate projection + time encoding; keys ``vit.embeddings.*``."""

    def __init__(self, config):
        super().__init__()
        d = config.hidden_size
        self.patch = config.timepoint_patching_size
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.signal_embedding_projection = nn.Linear(self.patch, d, bias=True)
        self.xyz_embedding_projection = nn.Linear(3, d, bias=True)
        self.pos_embedding = PositionalEncoding(d)

    def forward(self, signal_vectors, xyz_vectors):
        """Return the unmasked tokens ``[B, R*N, d]`` in identity (parcel-major) order."""
        batch, n_regions, n_time = signal_vectors.shape
        x = signal_vectors.reshape(batch, n_regions, n_time // self.patch, self.patch)
        x = self.signal_embedding_projection(x)
        x = x + self.xyz_embedding_projection(xyz_vectors).unsqueeze(2)
        x = self.pos_embedding(x)
        return x.flatten(1, 2)


class SelfAttention(nn.Module):
    """Nystromformer exact-branch attention: softmax attention plus a depthwise conv of v."""

    def __init__(self, hidden, heads, kernel, cls_in_conv=True):
        super().__init__()
        self.heads = heads
        self.cls_in_conv = bool(cls_in_conv)
        self.head_dim = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.kernel = kernel
        if kernel is not None:
            # Stored as the original Conv2d weight [h, 1, K, 1]; applied with conv1d below.
            self.conv = nn.Conv2d(heads, heads, (kernel, 1), padding=(kernel // 2, 0),
                                  bias=False, groups=heads)

    def forward(self, x):
        batch, length, hidden = x.shape
        q, k, v = self.query(x), self.key(x), self.value(x)

        def split(t):
            return t.view(batch, length, self.heads, self.head_dim).transpose(1, 2)

        ctx = F.scaled_dot_product_attention(split(q), split(k), split(v))
        ctx = ctx.transpose(1, 2).reshape(batch, length, hidden)
        if self.kernel is not None:
            # One kernel per head shared by that head's channels: a depthwise conv1d over the
            # token axis with each head's kernel repeated for its head_dim channels.
            weight = self.conv.weight.reshape(self.heads, 1, self.kernel)
            weight = weight.repeat_interleave(self.head_dim, dim=0)
            if self.cls_in_conv:
                conv = F.conv1d(v.transpose(1, 2), weight, padding=self.kernel // 2,
                                groups=hidden)
            else:  # patch tokens only; the CLS (position 0) gets no convolution term
                conv = F.conv1d(v[:, 1:].transpose(1, 2), weight, padding=self.kernel // 2,
                                groups=hidden)
                conv = F.pad(conv, (1, 0))
            ctx = ctx + conv.transpose(1, 2)
        return ctx


class _DenseNorm(nn.Module):
    def __init__(self, d_in, d_out, eps, dropout):
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = nn.LayerNorm(d_out, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class _Attention(nn.Module):
    def __init__(self, hidden, heads, kernel, eps, dropout, cls_in_conv=True):
        super().__init__()
        self.self = SelfAttention(hidden, heads, kernel, cls_in_conv)
        self.output = _DenseNorm(hidden, hidden, eps, dropout)

    def forward(self, x):
        return self.output(self.self(x), x)


class _Intermediate(nn.Module):
    def __init__(self, hidden, inner, act):
        super().__init__()
        self.dense = nn.Linear(hidden, inner)
        self.act = act

    def forward(self, x):
        return _ACTIVATIONS[self.act](self.dense(x))


class TransformerLayer(nn.Module):
    """One post-LayerNorm Nystromformer layer (exact branch), original key names."""

    def __init__(self, hidden, heads, inner, config):
        super().__init__()
        self.attention = _Attention(hidden, heads, config.conv_kernel_size,
                                    config.layer_norm_eps, config.hidden_dropout_prob,
                                    config.cls_in_conv)
        self.intermediate = _Intermediate(hidden, inner, config.hidden_act)
        self.output = _DenseNorm(inner, hidden, config.layer_norm_eps, config.hidden_dropout_prob)

    def forward(self, x):
        h = self.attention(x)
        return self.output(self.intermediate(h), h)


class _Encoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList(
            TransformerLayer(config.hidden_size, config.num_attention_heads,
                             config.intermediate_size, config)
            for _ in range(config.num_hidden_layers)
        )

    def forward(self, x):
        for layer in self.layer:
            x = layer(x)
        return x


class BrainLMEncoder(nn.Module):
    """The BrainLM encoder (``vit.*`` keys): embeddings, Nystromformer layers, final norm."""

    def __init__(self, config):
        super().__init__()
        self.embeddings = BrainLMEmbeddings(config)
        self.encoder = _Encoder(config)
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, signal_vectors, xyz_vectors, ids_shuffle=None, len_keep=None):
        """Encode; ``ids_shuffle`` [B, L] reorders tokens and keeps the first ``len_keep``."""
        tokens = self.embeddings(signal_vectors, xyz_vectors)
        if ids_shuffle is not None:
            keep = ids_shuffle[:, :len_keep]
            tokens = torch.gather(tokens, 1, keep.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
        cls = self.embeddings.cls_token.expand(tokens.shape[0], -1, -1)
        x = torch.cat([cls, tokens], dim=1)
        return self.layernorm(self.encoder(x))


class BrainLMDecoder(nn.Module):
    """The MAE decoder (``decoder.*`` keys): un-shuffles, adds coordinates and time, predicts P values.

    The original sizes ``decoder_xyz_projection`` and ``pos_embedding`` by ``hidden_size``; it
    only runs when ``decoder_hidden_size == hidden_size`` (all released models), so this
    implementation sizes them by ``decoder_hidden_size``, which is the same there.
    """

    def __init__(self, config):
        super().__init__()
        d = config.decoder_hidden_size
        self.patch = config.timepoint_patching_size
        self.use_tanh = bool(config.use_tanh_decoder)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        self.decoder_embed = nn.Linear(config.hidden_size, d, bias=True)
        self.decoder_xyz_projection = nn.Linear(3, d, bias=True)
        self.pos_embedding = PositionalEncoding(d)
        self.decoder_layers = nn.ModuleList(
            TransformerLayer(d, config.decoder_num_attention_heads,
                             config.decoder_intermediate_size, config)
            for _ in range(config.decoder_num_hidden_layers)
        )
        self.decoder_norm = nn.LayerNorm(d, eps=config.layer_norm_eps)
        # Unused image-MAE head inherited from ViTMAEDecoder; kept so checkpoints map 1:1.
        self.decoder_pred = nn.Linear(d, config.patch_size ** 2 * config.num_channels, bias=True)
        self.decoder_pred1 = nn.Linear(d, d // 2, bias=True)
        self.decoder_pred2 = nn.Linear(d // 2, self.patch, bias=True)

    def forward(self, latent, xyz_vectors, ids_restore):
        """Predict ``[B, R, N, P]`` patch values from the encoder output (CLS first)."""
        x = self.decoder_embed(latent)
        batch, n_visible, dim = x[:, 1:].shape
        n_tokens = ids_restore.shape[1]
        n_regions = xyz_vectors.shape[1]
        mask_tokens = self.mask_token.expand(batch, n_tokens - n_visible, dim)
        x_ = torch.cat([x[:, 1:], mask_tokens], dim=1)
        x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).expand(-1, -1, dim))
        x_ = x_.reshape(batch, n_regions, n_tokens // n_regions, dim)
        x_ = x_ + self.decoder_xyz_projection(xyz_vectors).unsqueeze(2)
        x_ = self.pos_embedding(x_).flatten(1, 2)
        h = torch.cat([x[:, :1], x_], dim=1)
        for layer in self.decoder_layers:
            h = layer(h)
        h = self.decoder_norm(h)
        logits = self.decoder_pred2(F.leaky_relu(self.decoder_pred1(h), 0.1))
        if self.use_tanh:
            logits = torch.tanh(logits)
        return logits[:, 1:].reshape(batch, n_regions, n_tokens // n_regions, self.patch)


@dataclass
class BrainLMOutput:
    """Result of :meth:`BrainLM.forward`: loss, predictions ``[B,R,N,P]``, mask ``[B,R,N]``."""

    loss: torch.Tensor
    logits: torch.Tensor
    mask: torch.Tensor
    last_hidden_state: torch.Tensor


class BrainLM(nn.Module):
    """BrainLM: fMRI foundation model (masked autoencoder over parcel x time patches).

    The encoder (``vit``) turns ``signal_vectors [B, R, T]`` and parcel coordinates
    ``xyz_vectors [B, R, 3]`` (MNI mm) into ``1 + R*T/P`` tokens; the optional MAE decoder
    (``decoder``) reconstructs masked patches. Parameter names equal the released checkpoints'.

    Parameters
    ----------
    config : BrainLMConfig or dict
        Hyper-parameters (a ``config.json`` dict is accepted).
    with_decoder : bool, default=True
        Build the MAE decoder (needed for pretraining, not for :meth:`encode`).
    random_state : int or None, default=None
        Seed of the weight initialisation (the global torch RNG is left untouched when given).

    Examples
    --------
    >>> import torch
    >>> from skfmm.foundation import BrainLM, BrainLMConfig
    >>> cfg = BrainLMConfig(hidden_size=32, num_hidden_layers=1, intermediate_size=64,
    ...                     decoder_hidden_size=32, decoder_intermediate_size=64)
    >>> model = BrainLM(cfg, random_state=0).eval()
    >>> out = model.encode(torch.randn(2, 5, 40), torch.randn(2, 5, 3))
    >>> tuple(out.shape)  # 1 CLS + 5 parcels x 2 patches
    (2, 11, 32)
    """

    def __init__(self, config: BrainLMConfig | None = None, *, with_decoder: bool = True,
                 random_state: int | None = None) -> None:
        super().__init__()
        self.config = BrainLMConfig.coerce(config, "BrainLM")
        if random_state is None:
            self._build(with_decoder)
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(random_state))
                self._build(with_decoder)

    def _build(self, with_decoder):
        self.vit = BrainLMEncoder(self.config)
        self.decoder = BrainLMDecoder(self.config) if with_decoder else None
        self.apply(self._init_weights)
        nn.init.normal_(self.vit.embeddings.cls_token, std=self.config.initializer_range)
        if self.decoder is not None:
            nn.init.normal_(self.decoder.mask_token, std=self.config.initializer_range)

    @staticmethod
    def _init_weights(module):
        # As the original: xavier-uniform linear weights, zero biases, unit LayerNorms.
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    # ------------------------------------------------------------------ inputs
    def _check_inputs(self, signal_vectors, xyz_vectors):
        param = self.vit.embeddings.cls_token
        signal = torch.as_tensor(signal_vectors).to(device=param.device, dtype=param.dtype)
        xyz = torch.as_tensor(xyz_vectors).to(device=param.device, dtype=param.dtype)
        if signal.ndim != 3:
            raise ValueError(
                f"BrainLM: 'signal_vectors' must have shape [batch, n_regions, n_timepoints]; "
                f"got shape {tuple(signal.shape)}."
            )
        if xyz.ndim == 2 and xyz.shape[-1] == 3:
            xyz = xyz.unsqueeze(0).expand(signal.shape[0], -1, -1)
        # A region mismatch is often nilearn's (T, R) layout passed without transposing.
        check_batch_coords(xyz.shape, signal.shape[0], signal.shape[1], argument="xyz_vectors",
                           data="signal_vectors",
                           data_layout="[batch, n_regions, n_timepoints], not nilearn's (T, R)",
                           who="BrainLM: ")
        patch = self.config.timepoint_patching_size
        n_time = signal.shape[2]
        if n_time == 0 or n_time % patch:
            raise ValueError(
                f"BrainLM: the number of timepoints of 'signal_vectors' ({n_time}) must be a "
                f"positive multiple of the patch size timepoint_patching_size={patch}."
            )
        if n_time // patch > MAX_PATCHES:
            raise ValueError(
                f"BrainLM: at most {MAX_PATCHES * patch} timepoints are supported; got {n_time}."
            )
        for name, t in (("signal_vectors", signal), ("xyz_vectors", xyz)):
            if not bool(torch.isfinite(t).all()):
                raise ValueError(f"BrainLM: '{name}' contains NaN or infinite values.")
        return signal, xyz

    # ------------------------------------------------------------------ forward
    def encode(self, signal_vectors: torch.Tensor, xyz_vectors: torch.Tensor,
               token_order: str = "identity",
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Run the encoder; return the last hidden state ``[B, 1 + R*T/P, hidden]``, CLS first.

        Parameters
        ----------
        signal_vectors : tensor or ndarray of shape (B, R, T)
            Parcel time series, BrainLM layout (nilearn's ``(T, R)`` transposed). ``T`` must
            be a multiple of ``config.timepoint_patching_size``.
        xyz_vectors : tensor or ndarray of shape (B, R, 3) or (R, 3)
            Parcel coordinates in MNI millimetres (not normalised).
        token_order : {"identity", "random"}, default="identity"
            ``"identity"`` keeps token ``r*N + n`` at position ``1 + r*N + n``: deterministic.
            ``"random"`` reproduces the original code with ``mask_ratio=0``, which shuffles
            the tokens on every call (the convolution then makes the output order dependent);
            the returned tokens are then in that shuffled order.
        generator : torch.Generator, optional
            Source of the random order.

        Returns
        -------
        last_hidden_state : tensor of shape (B, 1 + R*T/P, hidden)

        Examples
        --------
        >>> import torch
        >>> from skfmm.foundation import BrainLM, BrainLMConfig
        >>> model = BrainLM(BrainLMConfig(hidden_size=16, num_hidden_layers=1,
        ...                               intermediate_size=32), with_decoder=False).eval()
        >>> model.encode(torch.randn(1, 3, 20), torch.randn(1, 3, 3)).shape
        torch.Size([1, 4, 16])
        """
        signal, xyz = self._check_inputs(signal_vectors, xyz_vectors)
        if token_order == "identity":
            return self.vit(signal, xyz)
        if token_order == "random":
            n_tokens = signal.shape[1] * (signal.shape[2] // self.config.timepoint_patching_size)
            noise = torch.rand(signal.shape[0], n_tokens, generator=generator)
            ids_shuffle = torch.argsort(noise, dim=1).to(signal.device)
            return self.vit(signal, xyz, ids_shuffle=ids_shuffle, len_keep=n_tokens)
        raise ValueError(
            f"BrainLM.encode: 'token_order' must be 'identity' or 'random'; got {token_order!r}."
        )

    def forward(self, signal_vectors, xyz_vectors, noise=None, mask_ratio=None):
        """Masked-autoencoder pass as in pretraining: mask, encode, decode, masked MSE.

        ``noise`` [B, L] in [0, 1) chooses the masked tokens (the largest ``mask_ratio``
        fraction); drawn from the global torch RNG when omitted.
        """
        if self.decoder is None:
            raise RuntimeError(
                "BrainLM.forward needs the MAE decoder, but this model was loaded encoder "
                "only; use encode() or build BrainLM(config, with_decoder=True)."
            )
        signal, xyz = self._check_inputs(signal_vectors, xyz_vectors)
        ratio = self.config.mask_ratio if mask_ratio is None else float(mask_ratio)
        batch, n_regions, n_time = signal.shape
        patch = self.config.timepoint_patching_size
        n_tokens = n_regions * (n_time // patch)
        len_keep = int(n_tokens * (1 - ratio))
        if noise is None:
            noise = torch.rand(batch, n_tokens, device=signal.device)
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        mask = torch.ones(batch, n_tokens, device=signal.device)
        mask[:, :len_keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        latent = self.vit(signal, xyz, ids_shuffle=ids_shuffle, len_keep=len_keep)
        logits = self.decoder(latent, xyz, ids_restore)
        target = signal.reshape(logits.shape)
        mask = mask.reshape(logits.shape[:-1])
        err = logits - target
        err = err.pow(2) if self.config.loss_fn == "mse" else err.abs()
        denom = mask.sum() * patch
        loss = (err * mask.unsqueeze(-1)).sum() / denom.clamp_min(1)
        return BrainLMOutput(loss=loss, logits=logits, mask=mask, last_hidden_state=latent)

    # ------------------------------------------------------------------ identity
    def fingerprint(self):
        """Stable sha256 of the config and every parameter/buffer (hex string).

        Computed once and cached on the instance. The cache is invalidated when any
        parameter or buffer is replaced or modified in place by a torch operation (optimizer
        steps, ``load_state_dict``), detected through tensor version counters; edits made
        behind autograd's back (``param.data[...] = ...`` or through a NumPy view) are not
        detected: call :meth:`reset_fingerprint` after those.

        Examples
        --------
        >>> from skfmm.foundation import BrainLM, BrainLMConfig
        >>> cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=32)
        >>> a = BrainLM(cfg, random_state=0).fingerprint()
        >>> a == BrainLM(cfg, random_state=0).fingerprint()
        True
        """
        state = self.state_dict()
        stamp = self._stamp(state)
        cached = getattr(self, "_fingerprint", None)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        digest = hashlib.sha256()
        config = self.config.to_dict()
        digest.update(json.dumps(config, sort_keys=True, default=str).encode())
        for key in sorted(state):
            tensor = state[key].detach().to("cpu").contiguous()
            digest.update(f"{key}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
            digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
        value = digest.hexdigest()
        object.__setattr__(self, "_fingerprint", (stamp, value))
        return value

    def reset_fingerprint(self):
        """Forget the cached :meth:`fingerprint` (after edits torch cannot see)."""
        object.__setattr__(self, "_fingerprint", None)

    def _stamp(self, state=None):
        state = self.state_dict() if state is None else state
        return tuple((k, v.data_ptr(), v._version) for k, v in state.items())

    def _set_fingerprint(self, value):
        object.__setattr__(self, "_fingerprint", (self._stamp(), value))

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        state = dict(state)
        state.pop("_fingerprint", None)
        return state

    # ------------------------------------------------------------------ checkpoints
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | PathLike, *,
                        subfolder: str | None = None, revision: str | None = None,
                        cache_dir: PathLike | None = None, local_files_only: bool = False,
                        map_location: DeviceLike = "cpu") -> BrainLM:
        """Load a BrainLM folder or hub id: ``config.json`` + ``model.safetensors`` or ``pytorch_model.bin``.

        ``pretrained_model_name_or_path`` is a folder, or (when no such folder exists) a
        Hugging Face hub id such as ``"vandijklab/brainlm"`` with ``subfolder="old_13M"``
        (equivalently ``"vandijklab/brainlm/old_13M"``), downloaded once into the hub's
        cache with :func:`huggingface_hub.snapshot_download` (``pip install "skfmm[hub]"``),
        only the checkpoint files of that subfolder. ``revision`` pins a branch, tag or
        commit; ``cache_dir`` replaces ``HF_HUB_CACHE``; ``local_files_only=True`` or the
        environment variable ``HF_HUB_OFFLINE=1`` use the cache without network. An id that
        does not exist (repository, revision or subfolder), or is missing from the cache when
        offline, is a ``FileNotFoundError`` naming it.

        Weights are read with ``torch.load(weights_only=True)`` (or safetensors), so a
        checkpoint cannot run code. Keys must be exactly the released ones (``vit.*``, and
        ``decoder.*`` when present; a checkpoint without decoder keys loads encoder only, one
        whose keys lack the ``vit.`` prefix is read as an encoder-only export). A missing or
        unexpected key or a shape that does not fit ``config.json`` is refused, naming it.

        Examples
        --------
        >>> import tempfile
        >>> from skfmm.foundation import BrainLM, BrainLMConfig
        >>> cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=32,
        ...                     decoder_hidden_size=16, decoder_intermediate_size=32)
        >>> path = tempfile.mkdtemp()
        >>> BrainLM(cfg, random_state=0).save_pretrained(path)
        >>> BrainLM.from_pretrained(path).config.hidden_size
        16
        """
        from skfmm.foundation.hub import resolve_pretrained

        directory = resolve_pretrained(
            pretrained_model_name_or_path, subfolder=subfolder, revision=revision,
            cache_dir=cache_dir, local_files_only=local_files_only,
            who="BrainLM.from_pretrained")
        config_path = directory / CONFIG_NAME
        if not config_path.is_file():
            raise FileNotFoundError(
                f"BrainLM.from_pretrained: no '{CONFIG_NAME}' in '{directory}'. A BrainLM "
                f"directory holds config.json and pytorch_model.bin (or model.safetensors)."
            )
        config = BrainLMConfig.from_json_file(config_path)
        state = load_state_dict_file(directory)
        if not any(k.startswith(("vit.", "decoder.")) for k in state):
            state = {f"vit.{k}": v for k, v in state.items()}
        with_decoder = any(k.startswith("decoder.") for k in state)
        model = cls(config, with_decoder=with_decoder)
        model.load_checked_state_dict(state, source=str(directory))
        return model.to(map_location).eval()

    def load_checked_state_dict(self, state, *, source="state dict"):
        """Strictly load ``state``: every key present, none unexpected, every shape right."""
        expected = self.state_dict()
        missing = [k for k in expected if k not in state]
        unexpected = [k for k in state if k not in expected]
        if missing:
            raise ValueError(
                f"BrainLM: checkpoint '{source}' lacks {len(missing)} key(s) the config "
                f"requires, e.g. '{missing[0]}' (all: {missing[:8]}{' ...' if len(missing) > 8 else ''})."
            )
        if unexpected:
            raise ValueError(
                f"BrainLM: checkpoint '{source}' has {len(unexpected)} key(s) this config does "
                f"not define, e.g. '{unexpected[0]}' (all: {unexpected[:8]}"
                f"{' ...' if len(unexpected) > 8 else ''}); check num_hidden_layers / "
                f"decoder_num_hidden_layers in config.json."
            )
        for key, ref in expected.items():
            value = state[key]
            if not isinstance(value, torch.Tensor):
                raise ValueError(f"BrainLM: checkpoint '{source}' entry '{key}' is not a tensor.")
            if tuple(value.shape) != tuple(ref.shape):
                raise ValueError(
                    f"BrainLM: checkpoint '{source}' entry '{key}' has shape "
                    f"{tuple(value.shape)} but config.json implies {tuple(ref.shape)}."
                )
            if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                # A NaN weight gives NaN embeddings, hence NaN probabilities and class 0
                # predicted for everyone: refused at load.
                n_bad = int((~torch.isfinite(value)).sum())
                raise ValueError(
                    f"BrainLM: checkpoint '{source}' entry '{key}' holds {n_bad} NaN or "
                    "infinite value(s); the weights are corrupt."
                )
        self.load_state_dict(state, strict=True)
        object.__setattr__(self, "_fingerprint", None)
        return self

    def save_pretrained(self, directory: PathLike, *, safe_serialization: bool = False) -> None:
        """Write ``config.json`` and ``pytorch_model.bin`` (or ``model.safetensors``).

        The layout is the released one, so :meth:`from_pretrained` (and BrainLM's own code)
        read it back.
        """
        directory = Path(os.fspath(directory))
        directory.mkdir(parents=True, exist_ok=True)
        self.config.to_json_file(directory / CONFIG_NAME)
        state = {k: v.detach().to("cpu").contiguous() for k, v in self.state_dict().items()}
        if safe_serialization:
            from safetensors.torch import save_file

            save_file(state, str(directory / SAFE_WEIGHTS_NAME), metadata={"format": "pt"})
        else:
            torch.save(state, directory / WEIGHTS_NAME)


def load_state_dict_file(directory):
    """Read the weights of a BrainLM directory without ever unpickling code."""
    directory = Path(directory)
    safe = directory / SAFE_WEIGHTS_NAME
    binary = directory / WEIGHTS_NAME
    if safe.is_file():
        from safetensors.torch import load_file

        try:
            return dict(load_file(str(safe), device="cpu"))
        except Exception as exc:  # SafetensorError, OSError: a truncated or foreign file
            problem = f"'{safe}' is not a readable safetensors file ({type(exc).__name__}: {exc})"
            if not binary.is_file():
                raise ValueError(f"BrainLM: {problem}; re-download or rewrite it.") from None
            warnings.warn(f"BrainLM: {problem}; loading '{binary}' beside it instead.",
                          UserWarning, stacklevel=3)
    if binary.is_file():
        try:
            state = torch.load(binary, map_location="cpu", weights_only=True)
        except Exception as exc:  # UnpicklingError and friends
            raise ValueError(
                f"BrainLM: refused to load '{binary}': it is not a plain tensor state dict "
                f"loadable with torch.load(weights_only=True) ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''})."
            ) from exc
        if not isinstance(state, dict):
            raise ValueError(
                f"BrainLM: '{binary}' holds a {type(state).__name__}, not a state dict."
            )
        return dict(state)
    raise FileNotFoundError(
        f"BrainLM.from_pretrained: no '{SAFE_WEIGHTS_NAME}' or '{WEIGHTS_NAME}' in '{directory}'."
    )
