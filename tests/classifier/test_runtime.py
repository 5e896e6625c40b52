"""DeviceRuntimeMixin: device="auto", pickles that load on a CPU, the fp16 scaled step."""

import contextlib
import math
import pickle

import numpy as np
import pytest
import torch
from classifier_helpers import cohort, small  # noqa: F401 (cohort is a fixture)
from skorch.exceptions import DeviceWarning


def test_cuda_fitted_model_loads_on_cpu(cohort):
    """A net whose device is CUDA unpickles on a CPU-only machine (skorch's map_location).

    Without a GPU here, the CUDA fit is simulated by labelling a CPU-fitted net
    ``device="cuda"`` before pickling: the unpickler then takes the CUDA-to-CPU path
    (warning + map_location). benchmarks/gpu_check.py does the real round trip on a GPU.
    """
    _, X, y, _ = cohort
    clf = small(modalities=("fc",), max_epochs=1, train_split=None).fit(X, y)
    expected = clf.predict_proba(X)
    if torch.cuda.is_available():
        clf = small(modalities=("fc",), max_epochs=1, train_split=None, device="cuda").fit(X, y)
        expected = clf.predict_proba(X)
    else:
        clf.device = "cuda"
    blob = pickle.dumps(clf)
    if torch.cuda.is_available():
        restored = pickle.loads(blob)
        restored.set_params(device="cpu")
        restored.module_.to("cpu")
        np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-4, atol=1e-5)
        return
    with pytest.warns(DeviceWarning, match="requested device \\(cuda\\) is not available"):
        restored = pickle.loads(blob)
    assert torch.device(restored.device).type == "cpu"
    assert next(restored.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


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

    monkeypatch.setattr(DeviceRuntimeMixin, "_runtime", runtime)
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
