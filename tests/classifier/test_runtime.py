"""DeviceRuntimeMixin: device="auto", pickles that load on a CPU, the fp16 scaled step."""

import contextlib
import math
import os
import pickle
import warnings

import numpy as np
import pytest
import torch
from classifier_helpers import cohort, extractors, small  # noqa: F401 (cohort is a fixture)
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback
from skorch.exceptions import DeviceWarning

from skfmm.classifier.runtime import ResidentBatches


def test_cuda_fitted_model_loads_on_cpu(cohort):
    """A net whose device is CUDA unpickles on a CPU-only machine (skorch's map_location).

    Without a GPU here, the CUDA fit is simulated by labelling a CPU-fitted net
    ``device="cuda"`` before pickling: the unpickler then takes the CUDA-to-CPU path
    (warning + map_location). test_gpu_fitted_pickle_loads_without_cuda fakes the CUDA
    storages too; benchmarks/gpu_check.py does the real round trip in a CPU-only process.

    On a GPU the reference is the CUDA model's fp32 forward pass: the fit runs under bf16
    autocast (the default ``mixed_precision=True``), whose predictions differ from any
    fp32 forward by bf16 rounding (8 significant bits; 2.7e-4 measured on an H200), a
    difference of precision, not of the pickle. Same weights in fp32 on CUDA and on the
    CPU differ only by float32 summation order (TF32 is off for matmuls by default and
    this MLP has no convolutions): a few ulps of values of order 1, so atol 1e-5.
    """
    _, X, y, _ = cohort
    clf = small(modalities=("fc",), max_epochs=1, train_split=None).fit(X, y)
    expected = clf.predict_proba(X)
    if torch.cuda.is_available():
        clf = small(modalities=("fc",), max_epochs=1, train_split=None, device="cuda").fit(X, y)
        clf.set_params(mixed_precision=False)  # fp32 forward of the CUDA weights
        expected = clf.predict_proba(X)
    else:
        clf.device = "cuda"
    blob = pickle.dumps(clf)
    if torch.cuda.is_available():
        restored = pickle.loads(blob)
        restored.set_params(device="cpu")
        restored.module_.to("cpu")
        assert next(restored.module_.parameters()).device.type == "cpu"
        np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=0, atol=1e-5)
        return
    with pytest.warns(DeviceWarning, match="requested device \\(cuda\\) is not available"):
        restored = pickle.loads(blob)
    assert torch.device(restored.device).type == "cpu"
    assert next(restored.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


@contextlib.contextmanager
def _storages_tagged_cuda(tensors):
    """Pickling as on a GPU machine: storages of ``tensors`` are written as ``cuda:0``.

    ``torch.serialization.location_tag`` is what torch.save (and so pickling a tensor
    outside skorch's device-mapped attributes) records as a storage's location; loading
    such a storage without a ``map_location`` on a machine without CUDA raises
    "Attempting to deserialize object on a CUDA device", as the GPU report saw.
    """
    ptrs = {t.untyped_storage().data_ptr() for t in tensors} - {0}
    original = torch.serialization.location_tag

    def location_tag(storage):
        untyped = getattr(storage, "_untyped_storage", storage)
        return "cuda:0" if untyped.data_ptr() in ptrs else original(storage)

    torch.serialization.location_tag = location_tag
    try:
        yield
    finally:
        torch.serialization.location_tag = original


def _on_device_after_a_gpu_fit(clf):
    """The tensors a ``device="cuda"`` fit leaves on the GPU: module, optimizer, criterion.

    The frozen encoder (``embedder_``) is left out: its pickles copy it to the CPU when
    it is on a GPU (tests/foundation/test_embedder.py), a copy this CPU fake cannot trigger.
    """
    tensors = list(clf.module_.state_dict().values()) + list(clf.criterion_.state_dict().values())
    for state in clf.optimizer_.state.values():
        tensors += [v for v in state.values() if torch.is_tensor(v)]
    return tensors


@pytest.mark.parametrize("train_split", [None, "validation"])
def test_gpu_fitted_pickle_loads_without_cuda(cohort, monkeypatch, train_split):
    """Every tensor a GPU fit leaves on the device is unpickled through a map_location.

    Reproduces the failure seen on a GPU machine (a CUDA-fitted classifier, pickled in a
    pipeline, fails to load with CUDA_VISIBLE_DEVICES=""): the LR scheduler callback holds
    the optimizer, whose CUDA state was pickled outside skorch's device handling.
    """
    runs, X, y, coords = cohort
    clf = small(modalities=("fc",), max_epochs=2, train_split=train_split)
    pipe = Pipeline([*extractors(coords), ("clf", clf)]).fit(runs, y)
    expected = pipe.predict_proba(runs)
    clf = pipe.named_steps["clf"]
    assert clf.optimizer_.state, "the optimizer holds per-parameter state after a fit"
    clf.device = "cuda"  # as after a fit with device="cuda"
    with _storages_tagged_cuda(_on_device_after_a_gpu_fit(clf)):
        blob = pickle.dumps(pipe)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True) as caught:  # not pytest.warns: it hides errors
        warnings.simplefilter("always")
        restored = pickle.loads(blob)
    assert any("requested device (cuda) is not available" in str(w.message) for w in caught)
    net = restored.named_steps["clf"]
    assert torch.device(net.device).type == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(runs), expected)
    # the restored LR scheduler drives the restored optimizer, not a copy of it
    scheduler = dict(net.callbacks_)["lr_scheduler"].lr_scheduler_
    assert scheduler is None or scheduler.optimizer is net.optimizer_


class _RecordingScaler:
    """GradScaler stand-in with scale 1 that records its calls (fp16 runs only on CUDA)."""

    def __init__(self):
        self.calls = []

    def scale(self, loss):
        self.calls.append("scale")
        return loss * 1.0

    def unscale_(self, optimizer):
        self.calls.append("unscale_")

    def step(self, optimizer):
        self.calls.append("step")
        optimizer.step()

    def update(self):
        self.calls.append("update")


def test_fp16_grad_scaler_path_trains_like_the_plain_step(cohort, monkeypatch):
    """The mixin's scaled step (with scale 1) gives the same model as skorch's own step."""
    from skfmm.classifier.runtime import DeviceRuntimeMixin

    _, X, y, _ = cohort
    plain = small(modalities=("fc",), max_epochs=2, train_split=None).fit(X, y)
    scaler = _RecordingScaler()

    @contextlib.contextmanager
    def runtime(self):
        self.grad_scaler_ = scaler
        try:
            yield
        finally:
            self.grad_scaler_ = None

    monkeypatch.setattr(DeviceRuntimeMixin, "runtime", runtime)
    scaled = small(modalities=("fc",), max_epochs=2, train_split=None).fit(X, y)
    n_steps = 2 * math.ceil(len(y) / 8)
    assert scaler.calls == ["scale", "unscale_", "step", "update"] * n_steps
    np.testing.assert_allclose(scaled.predict_proba(X), plain.predict_proba(X), atol=1e-6)


def test_device_auto_is_kept_as_a_parameter(cohort):
    _, X, y, _ = cohort
    clf = small(modalities=("fc",), max_epochs=1, train_split=None, device="auto").fit(X, y)
    assert clf.device == "auto"
    expected_type = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(clf.module_.parameters()).device.type == expected_type
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.device == "auto"
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


class _RecordDeterminism(Callback):
    """Records the global determinism settings seen at every epoch of a fit."""

    def initialize(self):
        self.seen_ = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.seen_.append((torch.are_deterministic_algorithms_enabled(),
                           torch.backends.cudnn.deterministic,
                           torch.backends.cudnn.benchmark,
                           os.environ.get("CUBLAS_WORKSPACE_CONFIG")))


def _global_determinism():
    return (torch.are_deterministic_algorithms_enabled(),
            torch.is_deterministic_algorithms_warn_only_enabled(),
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,
            os.environ.get("CUBLAS_WORKSPACE_CONFIG"))


def test_deterministic_fit_sets_and_restores_the_global_state(cohort, monkeypatch):
    _, X, y, _ = cohort
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)  # a user's own setting
    before = _global_determinism()
    assert before == (False, False, False, True, None)

    fits = []
    for _ in range(2):
        record = _RecordDeterminism()
        clf = small(modalities=("fc",), max_epochs=2, deterministic=True,
                    callbacks=[("record", record)]).fit(X, y)
        assert record.seen_ == [(True, True, False, ":4096:8")] * 2
        assert _global_determinism() == before
        fits.append(clf.predict_proba(X))
    np.testing.assert_array_equal(fits[0], fits[1])

    record = _RecordDeterminism()
    small(modalities=("fc",), max_epochs=1, callbacks=[("record", record)]).fit(X, y)
    assert record.seen_ == [(False, False, True, None)]  # off by default: nothing touched


class _Boom(Callback):
    def on_epoch_begin(self, net, **kwargs):
        raise RuntimeError("boom")


def test_deterministic_state_is_restored_when_the_fit_fails(cohort, monkeypatch):
    _, X, y, _ = cohort
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")  # a user's value is kept
    before = _global_determinism()
    with pytest.raises(RuntimeError, match="boom"):
        small(modalities=("fc",), deterministic=True, callbacks=[("boom", _Boom())]).fit(X, y)
    assert _global_determinism() == before


def test_deterministic_must_be_a_bool(cohort):
    _, X, y, _ = cohort
    with pytest.raises(ValueError, match="'deterministic' must be True or False; got 'yes'"):
        small(modalities=("fc",), deterministic="yes").fit(X, y)


@pytest.mark.parametrize(("fc_encoder", "train_split"),
                         [("mlp", None), ("mlp", "validation"), ("resnet18", "validation")])
def test_resident_batches_train_the_same_model_as_the_dataloader(cohort, train_split, fc_encoder):
    """Device-resident batches replace skorch's DataLoader without changing the model.

    ``iterator_*__num_workers=0`` keeps the DataLoader (any argument beyond batch_size,
    shuffle and drop_last does); dropout makes the fit consume torch's global RNG, so the
    shuffles must draw from it exactly as the DataLoader does.
    """
    _, X, y, _ = cohort
    extra = {"module__fc_width": None} if fc_encoder == "resnet18" else {}
    common = dict(modalities=("fc",), fc_encoder=fc_encoder, max_epochs=2, batch_size=5,
                  train_split=train_split, module__dropout=0.3, **extra)
    loader = small(iterator_train__num_workers=0, iterator_valid__num_workers=0,
                   **common).fit(X, y)
    resident = small(**common)
    kinds = []
    original = resident.get_iterator
    resident.get_iterator = lambda ds, training=False: kinds.append(
        type(original(ds, training)).__name__) or original(ds, training)
    resident.fit(X, y)
    assert "ResidentBatches" in kinds and "DataLoader" not in kinds
    for key in ["train_loss"] + (["valid_loss"] if train_split else []):
        assert resident.history[:, key] == loader.history[:, key]
    np.testing.assert_array_equal(resident.predict_proba(X), loader.predict_proba(X))
    assert isinstance(resident.get_iterator(resident.get_dataset(X)), ResidentBatches)
    assert type(loader.get_iterator(loader.get_dataset(X))).__name__ == "DataLoader"
    # batch_size=None is DataLoader's unbatched mode (single samples): not reproduced
    unbatched = small(modalities=("fc",), max_epochs=1, train_split=None,
                      iterator_valid__batch_size=None).fit(X, y)
    assert type(unbatched.get_iterator(unbatched.get_dataset(X))).__name__ == "DataLoader"


def test_resident_batches_match_the_dataloader_batches():
    from skorch.dataset import Dataset
    from torch.utils.data import DataLoader

    rng = np.random.default_rng(0)
    data = Dataset({"fc": rng.standard_normal((11, 3, 3)).astype("float32"),
                    "covariates": rng.standard_normal((11, 2)).astype("float32")},
                   np.arange(11))
    for shuffle in (False, True):
        for drop_last in (False, True):
            torch.manual_seed(1)
            expected = list(DataLoader(data, batch_size=4, shuffle=shuffle, drop_last=drop_last))
            after_loader = torch.rand(1)
            torch.manual_seed(1)
            got = list(ResidentBatches(data, 4, "cpu", shuffle=shuffle, drop_last=drop_last))
            assert torch.equal(torch.rand(1), after_loader)  # same draws from the global RNG
            assert len(got) == len(expected)
            for (Xg, yg), (Xe, ye) in zip(got, expected):
                assert torch.equal(yg, ye)
                assert Xg.keys() == Xe.keys()
                assert all(torch.equal(Xg[k], Xe[k]) and Xg[k].dtype == Xe[k].dtype for k in Xe)
    unlabelled = list(ResidentBatches(Dataset(data.X, None), 4, "cpu"))
    expected = list(DataLoader(Dataset(data.X, None), batch_size=4))
    assert all(torch.equal(a[1], b[1]) for a, b in zip(unlabelled, expected))


def test_multi_tensor_optimizer_step_by_default(cohort):
    """foreach AdamW on the CPU (fused on CUDA) unless the user chose; same model as the loop."""
    _, X, y, _ = cohort
    clf = small(modalities=("fc",), max_epochs=2, train_split=None).fit(X, y)
    assert clf.optimizer_.defaults["foreach"] is True
    looped = small(modalities=("fc",), max_epochs=2, train_split=None,
                   optimizer__foreach=False).fit(X, y)
    assert looped.optimizer_.defaults["foreach"] is False
    np.testing.assert_array_equal(clf.predict_proba(X), looped.predict_proba(X))
    assert "fused" not in small().set_params(device="cpu").get_params_for("optimizer")
    assert small().set_params(device="cuda").get_params_for("optimizer") == {"fused": True}
    sgd = small(optimizer=torch.optim.SGD, optimizer__fused=False)
    assert sgd.get_params_for("optimizer") == {"fused": False}


def test_deferred_loss_sync_writes_the_same_history(cohort, monkeypatch):
    """The CUDA epoch loop (losses read once per epoch), run on the CPU, changes nothing."""
    from skfmm.classifier.runtime import DeviceRuntimeMixin

    _, X, y, _ = cohort
    plain = small(modalities=("fc",), max_epochs=2, batch_size=5,
                  train_split="validation").fit(X, y)
    monkeypatch.setattr(DeviceRuntimeMixin, "defers_loss_sync", lambda self: True)
    deferred = small(modalities=("fc",), max_epochs=2, batch_size=5,
                     train_split="validation").fit(X, y)
    for key in ("train_loss", "valid_loss", "train_batch_count", "valid_batch_count"):
        assert deferred.history[:, key] == plain.history[:, key]
    for epoch in range(2):
        assert deferred.history[epoch, "batches"] == plain.history[epoch, "batches"]
    np.testing.assert_array_equal(deferred.predict_proba(X), plain.predict_proba(X))


def test_bf16_autocast_on_cpu_only_when_asked_by_name(cohort):
    """mixed_precision="bf16" runs CPU forward passes in bf16; True keeps the CPU in fp32."""
    _, X, y, _ = cohort
    dtypes = []

    def record(module, inputs, output):
        dtypes.append(output.dtype)

    fp32 = small(modalities=("fc",), max_epochs=1, train_split=None).fit(X, y)
    default = small(modalities=("fc",), max_epochs=1, train_split=None,
                    mixed_precision=True).fit(X, y)
    np.testing.assert_array_equal(default.predict_proba(X), fp32.predict_proba(X))
    handle = fp32.module_.fc_encoder.register_forward_hook(record)
    expected = fp32.predict_proba(X)
    assert set(dtypes) == {torch.float32}
    dtypes.clear()
    got = fp32.set_params(mixed_precision="bf16").predict_proba(X)
    handle.remove()
    assert set(dtypes) == {torch.bfloat16}
    assert got.dtype == np.float32 and not np.array_equal(got, expected)
    # bf16 keeps 8 significant bits: probabilities move by well under 2 % on this model
    np.testing.assert_allclose(got, expected, atol=2e-2)
    bf16 = small(modalities=("fc",), max_epochs=1, train_split=None,
                 mixed_precision="bf16").fit(X, y)
    assert np.isfinite(bf16.history[:, "train_loss"]).all()
