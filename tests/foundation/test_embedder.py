"""Tests of BrainLMEmbedder and embed(): values, cache hits (memory, disk, clones), pickling."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone

from skfmm import BrainLMEmbedder, MultimodalData
from skfmm.foundation import BrainLM, BrainLMConfig
from skfmm.foundation.embedder import cache_info, clear_cache, embed

CFG = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=32, timepoint_patching_size=10, conv_kernel_size=5)


@pytest.fixture
def model():
    return BrainLM(CFG, with_decoder=False, random_state=0).eval()


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    ts = rng.standard_normal((5, 30, 4)).astype(np.float32)
    xyz = rng.normal(size=(4, 3)) * 30
    return ts, xyz


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def test_values_are_cls_or_mean_of_encoder_output(model, data):
    ts, xyz = data
    with torch.no_grad():
        hidden = model.encode(torch.tensor(ts).transpose(1, 2), torch.tensor(xyz).float())
    cls = embed(model, ts, xyz, pooling="cls", batch_size=2)
    mean = embed(model, ts, xyz, pooling="mean", batch_size=3)
    assert cls.dtype == np.float32 and cls.shape == (5, 16)
    assert np.allclose(cls, hidden[:, 0].numpy(), atol=1e-5)
    assert np.allclose(mean, hidden[:, 1:].mean(1).numpy(), atol=1e-5)


def test_each_row_computed_once_and_cache_hits(model, data):
    ts, xyz = data
    stats = {}
    first = embed(model, ts, xyz, stats=stats)
    assert stats == {"hits": 0, "disk_hits": 0, "misses": 5}
    # Repeated rows in one call are computed once; known rows are hits.
    doubled = np.concatenate([ts[[0, 0]], ts[[1]], ts[:1] + 1.0])
    stats = {}
    out = embed(model, doubled, xyz, stats=stats)
    assert stats == {"hits": 3, "disk_hits": 0, "misses": 1}
    assert np.array_equal(out[:3], first[[0, 0, 1]])
    assert not np.allclose(out[3], first[0])
    # The key includes coordinates, pooling and the weights.
    stats = {}
    embed(model, ts[:1], xyz + 1.0, stats=stats)
    embed(model, ts[:1], xyz, pooling="mean", stats=stats)
    other = BrainLM(CFG, with_decoder=False, random_state=1)
    embed(other, ts[:1], xyz, stats=stats)
    assert stats["misses"] == 3 and stats["hits"] == 0
    assert cache_info()["currsize"] == 5 + 1 + 3


def test_cache_returns_what_the_model_computes(model, data):
    ts, xyz = data
    embed(model, ts, xyz)
    model2 = BrainLM(CFG, with_decoder=False, random_state=0).eval()
    with torch.no_grad():
        model2.vit.layernorm.bias.add_(0.5)  # same instance family, new weights
    fresh = embed(model2, ts, xyz)
    with torch.no_grad():
        direct = model2.encode(torch.tensor(ts).transpose(1, 2), torch.tensor(xyz).float())[:, 0]
    assert np.allclose(fresh, direct.numpy(), atol=1e-5)


def test_disk_memory_is_reused_by_a_fresh_process_cache(model, data, tmp_path):
    ts, xyz = data
    for memory in (str(tmp_path / "a"), joblib.Memory(tmp_path / "b", verbose=0)):
        stats = {}
        first = embed(model, ts, xyz, memory=memory, stats=stats)
        clear_cache()  # as a new process would start
        second = embed(model, ts, xyz, memory=memory, stats=stats)
        assert stats == {"hits": 0, "disk_hits": 5, "misses": 5}
        assert np.array_equal(first, second)
        clear_cache()
    assert len(list((tmp_path / "a").rglob("*.npy"))) == 5
    with pytest.raises(TypeError, match="memory"):
        embed(model, ts, xyz, memory=3)


def test_embedder_transform_container_and_array(model, data):
    ts, xyz = data
    X = MultimodalData(ts=ts, xyz=np.broadcast_to(xyz, (5, 4, 3)).copy())
    emb = BrainLMEmbedder(model, verbose=0).fit(X)
    a = emb.transform(X)
    b = BrainLMEmbedder(model, coords=xyz, verbose=0).fit(ts).transform(ts)
    assert np.array_equal(a, b)
    assert a.shape == (5, emb.n_features_out_) == (5, model.config.hidden_size)
    assert emb.cache_info() == {"hits": 0, "disk_hits": 0, "misses": 5}
    assert emb.fingerprint_ == model.fingerprint()
    assert list(emb.get_feature_names_out()[:2]) == ["brainlmembedder0", "brainlmembedder1"]
    # The embedder's model is a frozen copy: the user's model is untouched.
    assert all(not p.requires_grad for p in emb.model_.parameters())
    assert all(p.requires_grad for p in model.parameters())


def test_second_transform_clone_and_pickle_hit_the_cache(model, data):
    ts, xyz = data
    emb = BrainLMEmbedder(model, coords=xyz, verbose=0).fit(ts)
    first = emb.transform(ts)
    assert np.array_equal(emb.transform(ts), first)
    assert emb.cache_info()["hits"] == 5 and emb.cache_info()["misses"] == 5
    twin = clone(emb).fit(ts)
    assert np.array_equal(twin.transform(ts[2:]), first[2:])
    assert twin.cache_info() == {"hits": 3, "disk_hits": 0, "misses": 0}
    restored = pickle.loads(pickle.dumps(emb))
    clear_cache()
    assert np.allclose(restored.transform(ts), first, atol=1e-6)
    assert restored.fingerprint_ == emb.fingerprint_


def test_standardize_learns_training_statistics_and_is_differentiable(model, data):
    ts, xyz = data
    raw = BrainLMEmbedder(model, coords=xyz, verbose=0).fit(ts).transform(ts)
    emb = BrainLMEmbedder(model, coords=xyz, standardize=True, verbose=0).fit(ts[:3])
    np.testing.assert_allclose(emb.mean_, raw[:3].mean(0), rtol=1e-5, atol=1e-6)
    scale = raw[:3].std(0)
    expected = (raw - raw[:3].mean(0)) / np.where(scale > 0, scale, 1.0)
    np.testing.assert_allclose(emb.transform(ts), expected, rtol=1e-4, atol=1e-5)
    signal = torch.from_numpy(np.ascontiguousarray(ts, dtype=np.float32)).requires_grad_()
    out = emb.encode_tensor(signal, torch.from_numpy(np.broadcast_to(
        xyz, (len(ts),) + xyz.shape).astype(np.float32)))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-4)
    out.sum().backward()
    assert signal.grad is not None and float(signal.grad.abs().sum()) > 0
    with pytest.raises(ValueError, match="'standardize' must be True or False; got 'yes'"):
        BrainLMEmbedder(model, coords=xyz, standardize="yes", verbose=0).fit(ts)
    with pytest.raises(TypeError, match="'foundation_model' must be 'demo', a path"):
        BrainLMEmbedder(3.5, coords=xyz, verbose=0).fit(ts)


def test_pickle_of_an_embedder_fitted_on_an_absent_gpu_loads_on_the_cpu(model, data):
    ts, xyz = data
    emb = BrainLMEmbedder(model, coords=xyz, verbose=0).fit(ts)
    expected = emb.transform(ts)
    state = emb.__getstate__()
    assert all(t.device.type == "cpu" for t in state["model_"].state_dict().values())
    state["device_"] = torch.device("cuda")  # as pickled on a GPU machine
    restored = BrainLMEmbedder.__new__(BrainLMEmbedder)
    if torch.cuda.is_available():
        restored.__setstate__(state)
        assert restored.device_.type == "cuda"
    else:
        with pytest.warns(UserWarning, match="fitted on cuda, which is not available"):
            restored.__setstate__(state)
        assert restored.device_.type == "cpu"
    np.testing.assert_allclose(restored.transform(ts), expected, atol=1e-5)


def test_bad_input(model, data):
    ts, xyz = data
    with pytest.raises(ValueError, match="coordinates"):
        BrainLMEmbedder(model, verbose=0).fit(ts)
    emb = BrainLMEmbedder(model, coords=xyz, verbose=0).fit(ts)
    with pytest.raises(ValueError, match="multiple of its patch size"):
        emb.transform(ts[:, :25])
    with pytest.raises(ValueError, match="regions"):
        emb.transform(ts[:, :, :3])
    bad = ts.copy()
    bad[3, 0, 0] = np.inf
    with pytest.raises(ValueError, match="subject 3"):
        emb.transform(bad)
    with pytest.raises(ValueError, match="n_timepoints"):
        emb.transform(ts[0])
    with pytest.raises(ValueError, match="pooling"):
        BrainLMEmbedder(model, pooling="max", coords=xyz).fit(ts)
    with pytest.raises(ValueError, match="batch_size"):
        BrainLMEmbedder(model, batch_size=0, coords=xyz).fit(ts)
    with pytest.raises(ValueError, match="unknown model 'brainlm-xl'.*'demo'"):
        BrainLMEmbedder("brainlm-xl", coords=xyz).fit(ts)
    with pytest.raises(ValueError, match="ts"):
        BrainLMEmbedder(model).fit(MultimodalData(xyz=np.zeros((2, 4, 3))))


def test_loads_a_directory_by_path(model, data, tmp_path):
    ts, xyz = data
    model.save_pretrained(tmp_path)
    a = BrainLMEmbedder(str(tmp_path), coords=xyz, verbose=0).fit(ts).transform(ts)
    clear_cache()
    b = BrainLMEmbedder(model, coords=xyz, verbose=0).fit(ts).transform(ts)
    assert np.array_equal(a, b)


def test_check_input_false_takes_validated_arrays_without_checking_them(model, data,
                                                                         monkeypatch):
    import skfmm.foundation.embedder as embedder_module

    ts, xyz = data
    checked = BrainLMEmbedder(model, standardize=True, verbose=0).fit(
        MultimodalData(ts=ts, xyz=np.broadcast_to(xyz, (len(ts),) + xyz.shape)))
    expected = checked.transform(MultimodalData(ts=ts, xyz=np.broadcast_to(
        xyz, (len(ts),) + xyz.shape)))
    valid = {"ts": np.ascontiguousarray(ts, dtype=np.float32),
             "xyz": np.ascontiguousarray(np.broadcast_to(xyz, (len(ts),) + xyz.shape),
                                         dtype=np.float32)}

    def refuse(*args, **kwargs):
        raise AssertionError("the arrays were checked again")

    monkeypatch.setattr(embedder_module, "_check_arrays", refuse)
    monkeypatch.setattr("skfmm.container.check_multimodal", refuse)
    emb = BrainLMEmbedder(model, standardize=True, verbose=0).fit(valid, check_input=False)
    np.testing.assert_allclose(emb.mean_, checked.mean_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(emb.transform(valid, check_input=False), expected,
                               rtol=1e-6, atol=1e-6)
    with pytest.raises(AssertionError, match="checked again"):
        emb.transform(valid)  # check_input=True (the default) validates
    # the model's contract is still enforced: windows of fit's shape only
    with pytest.raises(ValueError, match="but fit saw"):
        emb.transform({"ts": valid["ts"][:, :20], "xyz": valid["xyz"]}, check_input=False)


def test_content_params_name_a_path_by_its_weights(model, data, tmp_path):
    ts, xyz = data
    model.save_pretrained(tmp_path)
    emb = BrainLMEmbedder(str(tmp_path), coords=xyz, pooling="mean", verbose=0)
    params = emb.content_params()
    assert params == {**emb.get_params(deep=False),
                      "foundation_model": ("BrainLM.fingerprint", model.fingerprint())}
    other = BrainLM(CFG, with_decoder=False, random_state=1)
    other.save_pretrained(tmp_path)  # new weights at the same path: a new key
    assert emb.content_params()["foundation_model"] == ("BrainLM.fingerprint",
                                                        other.fingerprint())
    assert model.fingerprint() != other.fingerprint()
    # an instance is left as it is (caches describe it by its fingerprint)
    assert BrainLMEmbedder(model).content_params()["foundation_model"] is model


def test_embed_takes_a_model_as_it_is_or_loads_a_name(model, data, tmp_path):
    ts, xyz = data
    model.train()
    direct = embed(model, ts, xyz)
    assert model.training  # used as it is: eval mode for the call only
    model.save_pretrained(tmp_path)
    clear_cache()
    np.testing.assert_allclose(embed(str(tmp_path), ts, xyz), direct, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match=r"^'model' must be 'demo', a path to BrainLM weights"):
        embed(3, ts, xyz)
