"""An interrupted fit is never cached as a finished fold; the resumed run equals an uninterrupted one."""

import os
import signal

import numpy as np
import pandas as pd
import pytest

from skfmm import FMMTCClassifier, MultimodalData
from skfmm.evaluation import nested_cross_validate


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Ctrl-C as in an interactive process: Python's own handler raises KeyboardInterrupt.

    A process started in the background by a shell without job control (``cmd &``) inherits
    SIGINT ignored, and Python then installs no handler: the interrupt these tests send would
    do nothing. The premise of the tests is a Ctrl-C that interrupts.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _cohort(n=24, regions=5, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["a", "b"], n // 2)
    fc = rng.standard_normal((n, regions, regions)).astype(np.float32)
    fc[y == "b", 0, 1] += 1.0
    return MultimodalData(fc=fc), y


def _classifier():
    return FMMTCClassifier(foundation_model=None, modalities=("fc",), fc_encoder="mlp",
                           module__fc_width=4, module__fc_features=4, max_epochs=4,
                           train_split=None, verbose=0, random_state=0)


def _sigint_in_training(monkeypatch, at_call):
    """Send this process a real SIGINT (Ctrl-C) from inside the ``at_call``-th training step."""
    calls = {"n": 0}
    original = FMMTCClassifier.train_step

    def train_step(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == at_call:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FMMTCClassifier, "train_step", train_step)
    return calls


def test_skorch_swallowed_interrupt_is_raised_again(monkeypatch):
    X, y = _cohort()
    _sigint_in_training(monkeypatch, at_call=2)
    with pytest.raises(KeyboardInterrupt, match="interrupted during epoch"):
        _classifier().fit(X, y)


def test_interrupt_inside_training_is_not_cached_and_resume_is_identical(tmp_path, monkeypatch):
    X, y = _cohort()
    kw = dict(outer_cv=3, n_repeats=1, verbose=0)
    counted = _sigint_in_training(monkeypatch, at_call=-1)  # counts the training steps only
    reference = nested_cross_validate(_classifier(), X, y, **kw)
    steps_per_fold = counted["n"] // 3
    monkeypatch.undo()

    # Fold 1 trains; the interrupt lands in the middle of fold 2's training.
    _sigint_in_training(monkeypatch, at_call=steps_per_fold + steps_per_fold // 2 + 1)
    with pytest.raises(KeyboardInterrupt):
        nested_cross_validate(_classifier(), X, y, cache_dir=tmp_path, **kw)
    assert len(os.listdir(tmp_path)) == 1  # the finished fold only
    monkeypatch.undo()

    resumed = nested_cross_validate(_classifier(), X, y, cache_dir=tmp_path, **kw)
    assert resumed.folds["from_cache"].tolist() == [True, False, False]
    pd.testing.assert_frame_equal(resumed.predictions, reference.predictions)
    metrics = ["mcc", "auroc", "balanced_accuracy"]
    pd.testing.assert_frame_equal(resumed.folds[metrics], reference.folds[metrics])


class SwallowingClassifier:
    """Stands for any library that catches Ctrl-C inside fit and returns (as skorch does)."""

    def __init__(self, interrupt=False):
        self.interrupt = interrupt

    def get_params(self, deep=True):
        return {"interrupt": self.interrupt}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, X, y):
        if self.interrupt:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(10_000_000):  # the handler runs between bytecodes
                    pass
            except KeyboardInterrupt:
                pass
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_nested_cv_detects_an_interrupt_the_estimator_swallowed(tmp_path):
    X, y = np.zeros((12, 2)), np.repeat([0, 1], 6)
    with pytest.raises(KeyboardInterrupt, match="not cached"):
        nested_cross_validate(SwallowingClassifier(interrupt=True), X, y, outer_cv=3, n_repeats=1,
                              cache_dir=tmp_path, verbose=0)
    assert os.listdir(tmp_path) == []
