"""Spec-level tests of the BrainLM encoder/decoder and its checkpoint format."""

import json
import math
import pickle

import numpy as np
import pytest
import torch

from brainlm_reference import reference_encode, reference_pe
from skfmm.foundation import BrainLM, BrainLMConfig

# The exact config.json of the released GitHub checkpoint 2023-06-06-22_15_00-checkpoint-1400.
RELEASED_CONFIG = {
    "architectures": ["BrainLMForPretraining"], "attention_probs_dropout_prob": 0.1,
    "conv_kernel_size": 65, "decoder_hidden_size": 256, "decoder_intermediate_size": 1024,
    "decoder_num_attention_heads": 4, "decoder_num_hidden_layers": 2, "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0, "hidden_size": 256, "image_size": 224,
    "initializer_range": 0.02, "intermediate_size": 1024, "inv_coeff_init_option": False,
    "layer_norm_eps": 1e-12, "loss_fn": "mse", "mask_ratio": 0.2, "model_type": "brainlm_mae",
    "norm_pix_loss": False, "num_attention_heads": 4, "num_brain_voxels": 424,
    "num_channels": 3, "num_hidden_layers": 4, "num_landmarks": 64,
    "num_timepoints_per_voxel": 200, "patch_size": 16, "qkv_bias": True,
    "segment_means_seq_len": 64, "timepoint_patching_size": 20, "torch_dtype": "float32",
    "transformers_version": "4.28.0.dev0", "use_tanh_decoder": False,
}


def small_config(**kw):
    base = dict(RELEASED_CONFIG, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                decoder_hidden_size=32, decoder_intermediate_size=64,
                decoder_num_hidden_layers=1, timepoint_patching_size=5)
    base.update(kw)
    return base


def released_layout_keys(n_layers, n_dec_layers):
    """The key list of the released checkpoint, written from the spec (not from the model)."""
    layer = ["attention.self.query.weight", "attention.self.query.bias",
             "attention.self.key.weight", "attention.self.key.bias",
             "attention.self.value.weight", "attention.self.value.bias",
             "attention.self.conv.weight", "attention.output.dense.weight",
             "attention.output.dense.bias", "attention.output.LayerNorm.weight",
             "attention.output.LayerNorm.bias", "intermediate.dense.weight",
             "intermediate.dense.bias", "output.dense.weight", "output.dense.bias",
             "output.LayerNorm.weight", "output.LayerNorm.bias"]
    keys = ["vit.embeddings.cls_token", "vit.embeddings.signal_embedding_projection.weight",
            "vit.embeddings.signal_embedding_projection.bias",
            "vit.embeddings.xyz_embedding_projection.weight",
            "vit.embeddings.xyz_embedding_projection.bias", "vit.embeddings.pos_embedding.pe"]
    keys += [f"vit.encoder.layer.{i}.{k}" for i in range(n_layers) for k in layer]
    keys += ["vit.layernorm.weight", "vit.layernorm.bias"]
    dec = ["decoder.mask_token", "decoder.decoder_embed.weight", "decoder.decoder_embed.bias",
           "decoder.decoder_norm.weight", "decoder.decoder_norm.bias",
           "decoder.decoder_xyz_projection.weight", "decoder.decoder_xyz_projection.bias",
           "decoder.pos_embedding.pe", "decoder.decoder_pred1.weight",
           "decoder.decoder_pred1.bias", "decoder.decoder_pred2.weight",
           "decoder.decoder_pred2.bias", "decoder.decoder_pred.weight",
           "decoder.decoder_pred.bias"]
    dec += [f"decoder.decoder_layers.{i}.{k}" for i in range(n_dec_layers) for k in layer]
    return keys, dec


def inputs(B=2, R=7, T=30, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, R, T, generator=g), torch.randn(B, R, 3, generator=g) * 40


@pytest.fixture(scope="module")
def model():
    return BrainLM(small_config(), random_state=0).eval()


def test_released_config_shapes_and_key_layout():
    model = BrainLM(BrainLMConfig.from_dict(RELEASED_CONFIG), random_state=0)
    state = model.state_dict()
    enc, dec = released_layout_keys(4, 2)
    assert sorted(state) == sorted(enc + dec)
    assert len(state) == 124
    assert tuple(state["vit.embeddings.pos_embedding.pe"].shape) == (5000, 256)
    assert tuple(state["vit.embeddings.signal_embedding_projection.weight"].shape) == (256, 20)
    assert tuple(state["vit.encoder.layer.3.attention.self.conv.weight"].shape) == (4, 1, 65, 1)
    assert tuple(state["vit.encoder.layer.0.intermediate.dense.weight"].shape) == (1024, 256)
    assert tuple(state["decoder.decoder_pred.weight"].shape) == (768, 256)
    assert tuple(state["decoder.decoder_pred1.weight"].shape) == (128, 256)
    assert tuple(state["decoder.decoder_pred2.weight"].shape) == (20, 128)
    n_params = sum(p.numel() for p in model.parameters())
    assert 5.0e6 < n_params < 5.1e6  # 5.05 M as released


def test_hf_old_13m_shape_builds():
    cfg = BrainLMConfig.from_dict(dict(RELEASED_CONFIG, hidden_size=512,
                                       decoder_hidden_size=512))
    enc = BrainLM(cfg, with_decoder=False).state_dict()
    assert tuple(enc["vit.encoder.layer.0.attention.self.query.weight"].shape) == (512, 512)
    assert not any(k.startswith("decoder.") for k in enc)


def test_config_json_round_trip_keeps_unknown_fields(tmp_path):
    cfg = BrainLMConfig.from_dict(RELEASED_CONFIG)
    assert cfg.hidden_size == 256 and cfg.timepoint_patching_size == 20
    assert cfg.extra["image_size"] == 224 and cfg.input_scaling == "brainlm"
    cfg.to_json_file(tmp_path / "config.json")
    written = json.loads((tmp_path / "config.json").read_text())
    assert written == RELEASED_CONFIG


def test_matches_literal_reference(model):
    signal, xyz = inputs()
    with torch.no_grad():
        fast = model.encode(signal, xyz)
    ref = reference_encode(model.state_dict(), small_config(), signal, xyz)
    assert fast.shape == (2, 1 + 7 * 6, 32)
    assert (fast - ref).abs().max().item() < 1e-4


@pytest.mark.parametrize("kernel", [3, 65])
def test_matches_reference_other_shapes(kernel):
    cfg = small_config(num_attention_heads=2, conv_kernel_size=kernel, hidden_size=24,
                       decoder_hidden_size=24, num_hidden_layers=3)
    m = BrainLM(cfg, random_state=3, with_decoder=False).eval()
    # Non-default weights for every norm and the cls token.
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.05 * torch.randn_like(p))
    signal, xyz = inputs(B=3, R=4, T=50, seed=1)
    with torch.no_grad():
        fast = m.encode(signal, xyz)
    ref = reference_encode(m.state_dict(), cfg, signal, xyz)
    assert (fast - ref).abs().max().item() < 1e-4


def test_patch_order_is_parcel_major(model):
    signal, xyz = inputs(B=1, R=3, T=15)
    emb = model.vit.embeddings
    with torch.no_grad():
        tokens = emb(signal, xyz)
        W = emb.signal_embedding_projection.weight
        b = emb.signal_embedding_projection.bias
        xw = emb.xyz_embedding_projection.weight
        xb = emb.xyz_embedding_projection.bias
    pe = reference_pe(3, 32)
    N, P = 3, 5
    for r in range(3):
        for n in range(N):
            patch = signal[0, r, n * P:(n + 1) * P]  # timepoints nP .. nP+P-1
            expected = W @ patch + b + xw @ xyz[0, r] + xb + pe[n]
            assert torch.allclose(tokens[0, r * N + n], expected, atol=1e-5)


def test_sinusoidal_buffer_equals_formula(model):
    pe = model.vit.embeddings.pos_embedding.pe
    assert tuple(pe.shape) == (5000, 32)
    assert torch.allclose(pe[:50], reference_pe(50, 32), atol=1e-5)
    n, i = 4321, 6
    assert abs(pe[n, i].item() - math.sin(n * math.exp(-i * math.log(1e4) / 32))) < 1e-3
    assert abs(pe[n, i + 1].item() - math.cos(n * math.exp(-i * math.log(1e4) / 32))) < 1e-3


@pytest.mark.parametrize("cls_in_conv", [True, False])
def test_conv_zero_padding_and_per_head_kernel(cls_in_conv):
    cfg = small_config(num_attention_heads=2, conv_kernel_size=65, cls_in_conv=cls_in_conv)
    attn = BrainLM(cfg, random_state=0, with_decoder=False).vit.encoder.layer[0].attention.self
    L, d, h = 40, 32, 2  # L < kernel: the zero padding matters everywhere
    x = torch.randn(1, L, d)
    with torch.no_grad():
        attn.conv.weight.normal_()
        out = attn(x)
        q, k, v = attn.query(x), attn.key(x), attn.value(x)
    dh = d // h
    w = attn.conv.weight.detach().numpy()[:, 0, :, 0]  # [h, 65]
    vn = v[0].numpy()
    expected = np.zeros((L, d))
    for head in range(h):
        sl = slice(head * dh, (head + 1) * dh)
        qh, kh, vh = q[0, :, sl], k[0, :, sl], v[0, :, sl]
        att = torch.softmax(qh @ kh.T / math.sqrt(dh), dim=-1)
        expected[:, sl] = (att @ vh).numpy()
        first = 0 if cls_in_conv else 1  # cls_in_conv=False: patch tokens only
        for t in range(first, L):
            for j in range(65):
                s = t + j - 32
                if first <= s < L:  # zero padding of 32 each side
                    expected[t, sl] += w[head, j] * vn[s, sl]  # same kernel, every channel
    assert np.abs(out[0].numpy() - expected).max() < 1e-4


def test_identity_order_is_deterministic_random_order_is_not(model):
    signal, xyz = inputs()
    with torch.no_grad():
        a = model.encode(signal, xyz)
        b = model.encode(signal, xyz)
        r1 = model.encode(signal, xyz, token_order="random",
                          generator=torch.Generator().manual_seed(1))
        r1b = model.encode(signal, xyz, token_order="random",
                           generator=torch.Generator().manual_seed(1))
        r2 = model.encode(signal, xyz, token_order="random",
                          generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    assert torch.equal(r1, r1b)
    assert not torch.allclose(r1[:, 0], r2[:, 0], atol=1e-3)  # CLS depends on the order
    assert not torch.allclose(a[:, 0], r1[:, 0], atol=1e-3)
    with pytest.raises(ValueError, match="token_order"):
        model.encode(signal, xyz, token_order="shuffled")


def test_any_number_of_regions(model):
    for R in (1, 3, 11):
        signal, xyz = inputs(B=1, R=R, T=10)
        with torch.no_grad():
            out = model.encode(signal, xyz)
        assert out.shape == (1, 1 + R * 2, 32)
    # (R, 3) coordinates are broadcast over the batch.
    signal, xyz = inputs(B=2, R=3, T=10)
    with torch.no_grad():
        assert torch.equal(model.encode(signal, xyz[0])[0],
                           model.encode(signal, xyz[0].expand(2, -1, -1))[0])


def test_batch_rows_are_independent(model):
    signal, xyz = inputs(B=3)
    with torch.no_grad():
        full = model.encode(signal, xyz)
        one = model.encode(signal[1:2], xyz[1:2])
    assert torch.allclose(full[1], one[0], atol=1e-5)


@pytest.mark.parametrize("bad, match", [
    (lambda s, x: (s[:, :, :13], x), "multiple of the patch size"),
    (lambda s, x: (s, x[:, :5]), "regions"),
    (lambda s, x: (s.transpose(1, 2), x), "regions"),
    (lambda s, x: (s[0], x), "signal_vectors"),
    (lambda s, x: (s, x[:1]), "batch size"),
    (lambda s, x: (s.index_put((torch.tensor([0]),), torch.tensor(float("nan"))), x), "NaN"),
    (lambda s, x: (s, x.index_put((torch.tensor([1]),), torch.tensor(float("inf")))),
     "xyz_vectors.*NaN or infinite"),
])
def test_bad_inputs_are_refused(model, bad, match):
    signal, xyz = bad(*inputs())
    with pytest.raises(ValueError, match=match):
        model.encode(signal, xyz)


def test_forward_loss_is_mse_on_masked_patches_only(model):
    m = BrainLM(small_config(), random_state=0).eval()
    signal, xyz = inputs(B=2, R=4, T=20)
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = m(signal, xyz, noise=noise)
    assert out.logits.shape == (2, 4, 4, 5) and out.mask.shape == (2, 4, 4)
    n_masked = 16 - int(16 * (1 - 0.2))
    assert out.mask.sum(dim=1).sum(dim=1).tolist() == [n_masked, n_masked]
    # The masked tokens are the ones with the largest noise.
    top = noise.argsort(dim=1)[:, -n_masked:]
    assert torch.equal(out.mask.reshape(2, 16).gather(1, top), torch.ones(2, n_masked))
    target = signal.reshape(2, 4, 4, 5)
    m4 = out.mask.bool()
    expected = ((out.logits - target) ** 2)[m4].mean()
    assert torch.allclose(out.loss, expected)
    # Changing a visible patch's target value... changes the loss only via the input, but
    # changing the prediction error on visible tokens does not enter the loss:
    assert not torch.allclose(((out.logits - target) ** 2).mean(), out.loss)


def test_save_load_round_trip_both_formats(model, tmp_path):
    signal, xyz = inputs()
    with torch.no_grad():
        expected = model.encode(signal, xyz)
    for safe in (False, True):
        d = tmp_path / f"m{safe}"
        model.save_pretrained(d, safe_serialization=safe)
        assert (d / ("model.safetensors" if safe else "pytorch_model.bin")).is_file()
        loaded = BrainLM.from_pretrained(d)
        assert not loaded.training
        with torch.no_grad():
            assert torch.equal(loaded.encode(signal, xyz), expected)
        assert loaded.fingerprint() == model.fingerprint()
        assert loaded.decoder is not None


def _write_released_layout(tmp_path, cfg, with_decoder=True, prefix="vit."):
    """A checkpoint as BrainLM writes it: plain dict of tensors under the spec's names."""
    d = cfg["hidden_size"]
    h = cfg["num_attention_heads"]
    P = cfg["timepoint_patching_size"]
    inner = cfg["intermediate_size"]
    g = torch.Generator().manual_seed(7)

    def rnd(*shape):
        return torch.randn(*shape, generator=g) * 0.1

    sd = {"vit.embeddings.cls_token": rnd(1, 1, d),
          "vit.embeddings.signal_embedding_projection.weight": rnd(d, P),
          "vit.embeddings.signal_embedding_projection.bias": rnd(d),
          "vit.embeddings.xyz_embedding_projection.weight": rnd(d, 3),
          "vit.embeddings.xyz_embedding_projection.bias": rnd(d),
          "vit.embeddings.pos_embedding.pe": reference_pe(5000, d),
          "vit.layernorm.weight": 1 + rnd(d), "vit.layernorm.bias": rnd(d)}

    def layer(prefix_, d_, h_, inner_):
        out = {}
        for name in ("query", "key", "value"):
            out[f"{prefix_}.attention.self.{name}.weight"] = rnd(d_, d_)
            out[f"{prefix_}.attention.self.{name}.bias"] = rnd(d_)
        out[f"{prefix_}.attention.self.conv.weight"] = rnd(h_, 1, cfg["conv_kernel_size"], 1)
        out[f"{prefix_}.attention.output.dense.weight"] = rnd(d_, d_)
        out[f"{prefix_}.attention.output.dense.bias"] = rnd(d_)
        out[f"{prefix_}.attention.output.LayerNorm.weight"] = 1 + rnd(d_)
        out[f"{prefix_}.attention.output.LayerNorm.bias"] = rnd(d_)
        out[f"{prefix_}.intermediate.dense.weight"] = rnd(inner_, d_)
        out[f"{prefix_}.intermediate.dense.bias"] = rnd(inner_)
        out[f"{prefix_}.output.dense.weight"] = rnd(d_, inner_)
        out[f"{prefix_}.output.dense.bias"] = rnd(d_)
        out[f"{prefix_}.output.LayerNorm.weight"] = 1 + rnd(d_)
        out[f"{prefix_}.output.LayerNorm.bias"] = rnd(d_)
        return out

    for i in range(cfg["num_hidden_layers"]):
        sd.update(layer(f"vit.encoder.layer.{i}", d, h, inner))
    if with_decoder:
        dd = cfg["decoder_hidden_size"]
        sd.update({"decoder.mask_token": rnd(1, 1, dd),
                   "decoder.decoder_embed.weight": rnd(dd, d),
                   "decoder.decoder_embed.bias": rnd(dd),
                   "decoder.decoder_xyz_projection.weight": rnd(dd, 3),
                   "decoder.decoder_xyz_projection.bias": rnd(dd),
                   "decoder.pos_embedding.pe": reference_pe(5000, dd),
                   "decoder.decoder_norm.weight": 1 + rnd(dd),
                   "decoder.decoder_norm.bias": rnd(dd),
                   "decoder.decoder_pred.weight": rnd(768, dd),
                   "decoder.decoder_pred.bias": rnd(768),
                   "decoder.decoder_pred1.weight": rnd(dd // 2, dd),
                   "decoder.decoder_pred1.bias": rnd(dd // 2),
                   "decoder.decoder_pred2.weight": rnd(P, dd // 2),
                   "decoder.decoder_pred2.bias": rnd(P)})
        for i in range(cfg["decoder_num_hidden_layers"]):
            sd.update(layer(f"decoder.decoder_layers.{i}", dd,
                            cfg["decoder_num_attention_heads"], cfg["decoder_intermediate_size"]))
    if prefix != "vit.":
        sd = {k[len("vit."):]: v for k, v in sd.items()}
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    torch.save(sd, tmp_path / "pytorch_model.bin")
    return sd


def test_loads_checkpoint_written_in_released_layout(tmp_path):
    cfg = small_config()
    sd = _write_released_layout(tmp_path, cfg)
    model = BrainLM.from_pretrained(tmp_path)
    signal, xyz = inputs()
    with torch.no_grad():
        out = model.encode(signal, xyz)
    assert (out - reference_encode(sd, cfg, signal, xyz)).abs().max().item() < 1e-4
    with torch.no_grad():
        assert torch.isfinite(model(signal, xyz).loss)


def test_encoder_only_checkpoints_load(tmp_path):
    cfg = small_config()
    sd = _write_released_layout(tmp_path / "a", cfg, with_decoder=False)
    model = BrainLM.from_pretrained(tmp_path / "a")
    assert model.decoder is None
    signal, xyz = inputs()
    with torch.no_grad():
        out = model.encode(signal, xyz)
    assert (out - reference_encode(sd, cfg, signal, xyz)).abs().max().item() < 1e-4
    with pytest.raises(RuntimeError, match="decoder"):
        model(signal, xyz)
    # An encoder exported without the 'vit.' prefix (BrainLMModel.save_pretrained).
    _write_released_layout(tmp_path / "b", cfg, with_decoder=False, prefix="")
    with torch.no_grad():
        assert torch.equal(BrainLM.from_pretrained(tmp_path / "b").encode(signal, xyz), out)


def test_mismatched_checkpoint_is_refused_naming_the_key(tmp_path):
    cfg = small_config()
    _write_released_layout(tmp_path, cfg)
    (tmp_path / "config.json").write_text(json.dumps(dict(cfg, intermediate_size=48)))
    with pytest.raises(ValueError, match=r"vit\.encoder\.layer\.0\.intermediate\.dense\.weight"
                                         r".*\(64, 32\).*\(48, 32\)"):
        BrainLM.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(dict(cfg, num_hidden_layers=3)))
    with pytest.raises(ValueError, match=r"lacks.*vit\.encoder\.layer\.2\."):
        BrainLM.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(dict(cfg, num_hidden_layers=1)))
    with pytest.raises(ValueError, match=r"does not define.*vit\.encoder\.layer\.1\."):
        BrainLM.from_pretrained(tmp_path)


def test_missing_config_and_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        BrainLM.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(small_config()))
    with pytest.raises(FileNotFoundError, match="pytorch_model.bin"):
        BrainLM.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a directory"):
        BrainLM.from_pretrained(tmp_path / "nope")


class _Payload:
    """Unpickling this would create a file (it must never be unpickled)."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_payload_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned.txt"
    (tmp_path / "config.json").write_text(json.dumps(small_config()))
    with open(tmp_path / "pytorch_model.bin", "wb") as fh:
        pickle.dump({"vit.embeddings.cls_token": _Payload(str(marker))}, fh)
    with pytest.raises(ValueError, match="weights_only"):
        BrainLM.from_pretrained(tmp_path)
    assert not marker.exists()


def test_cls_in_conv_is_saved_only_when_it_departs_from_brainlm(tmp_path):
    assert BrainLMConfig.from_dict(RELEASED_CONFIG).cls_in_conv is True
    assert "cls_in_conv" not in BrainLMConfig().to_dict()
    m = BrainLM(small_config(cls_in_conv=False), random_state=0).eval()
    m.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["cls_in_conv"] is False
    back = BrainLM.from_pretrained(tmp_path)
    assert back.config.cls_in_conv is False
    signal, xyz = inputs()
    with torch.no_grad():
        np.testing.assert_array_equal(back.encode(signal, xyz), m.encode(signal, xyz))


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="num_attention_heads"):
        BrainLMConfig(hidden_size=30, num_attention_heads=4)
    with pytest.raises(ValueError, match="exact-attention"):
        BrainLMConfig(num_landmarks=32)
    with pytest.raises(ValueError, match="conv_kernel_size"):
        BrainLMConfig(conv_kernel_size=64)
    with pytest.raises(ValueError, match="hidden_act"):
        BrainLMConfig(hidden_act="tanh")
    with pytest.raises(ValueError, match="cls_in_conv.*True or False.*'no'"):
        BrainLMConfig(cls_in_conv="no")
    with pytest.raises(TypeError, match="config"):
        BrainLM("config.json")


def test_fingerprint_is_stable_and_tracks_weight_changes(model):
    a = BrainLM(small_config(), random_state=0)
    b = BrainLM(small_config(), random_state=0)
    assert a.fingerprint() == b.fingerprint() == model.fingerprint()
    assert BrainLM(small_config(), random_state=1).fingerprint() != a.fingerprint()
    before = a.fingerprint()
    with torch.no_grad():
        a.vit.layernorm.bias.add_(1.0)  # in place: detected by the version counter
    assert a.fingerprint() != before
    c = pickle.loads(pickle.dumps(a))
    assert c.fingerprint() == a.fingerprint()
    cfg_changed = BrainLM(dict(small_config(), mask_ratio=0.5), random_state=0)
    assert cfg_changed.fingerprint() != b.fingerprint()


def test_random_state_does_not_touch_global_rng():
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    BrainLM(small_config(), random_state=0)
    assert torch.equal(torch.rand(3), expected)
