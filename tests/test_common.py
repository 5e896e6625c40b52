"""Estimator conformance: scikit-learn's checks plus our own for 3-D and container input.

Every public estimator of ``skfmm`` is discovered; each needs an entry in ``SMALL_CASES``
(a cheap instance and a data maker), so a new estimator cannot dodge these checks.
"""

import inspect
import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import skfmm
from skfmm import (
    BrainLMEmbedder,
    ConnectivityExtractor,
    FMMTCClassifier,
    MultimodalData,
    TemporalFeatures,
    TimeSeriesExtractor,
)
from skfmm.benchmark.zoo import ChanceClassifier
from skfmm.foundation import BrainLM, BrainLMConfig


def public_estimators():
    import skfmm.benchmark

    found = {}
    for module in (skfmm, skfmm.benchmark):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                found[name] = obj
    return found


def _runs(seed=0, n=8, n_regions=4):
    rng = np.random.default_rng(seed)
    return [100 + rng.standard_normal((40 + 3 * i, n_regions)) for i in range(n)]


def _ts_container(seed=0, n=8, n_regions=4, window=20):
    rng = np.random.default_rng(seed)
    return MultimodalData(
        ts=rng.standard_normal((n, window, n_regions)).astype(np.float32),
        xyz=np.broadcast_to(rng.uniform(-50, 50, (n_regions, 3)), (n, n_regions, 3)).copy(),
    )


def _labels(n=8):
    return np.array([0, 1] * (n // 2))


def _full_container(seed=0, n=12):
    X = _ts_container(seed, n=n)
    rng = np.random.default_rng(seed + 1)
    X["fc"] = rng.standard_normal((n, 4, 4)).astype(np.float32)
    return X


def _tiny_brainlm():
    cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, timepoint_patching_size=10,
                        decoder_hidden_size=16, decoder_intermediate_size=32)
    return BrainLM(cfg, with_decoder=False, random_state=0)


# Attributes skorch's NeuralNet.__init__ sets (it builds its history and bookkeeping there).
SKORCH_INIT_ATTRIBUTES = {"history_", "initialized_", "virtual_params_"}


SMALL_CASES = {
    "TimeSeriesExtractor": (
        lambda: TimeSeriesExtractor(window=30, verbose=0),
        lambda: (_runs(), None),
    ),
    "ConnectivityExtractor": (
        lambda: ConnectivityExtractor(kind="tangent"),
        lambda: (_ts_container(), None),
    ),
    "TemporalFeatures": (
        # 20 volumes at 5 s (100 s) resolve the default 0.01-0.08 Hz band.
        lambda: TemporalFeatures(t_r=5.0),
        lambda: (_ts_container(), None),
    ),
    "ChanceClassifier": (
        lambda: ChanceClassifier(random_state=0),
        lambda: (_full_container(), _labels(12)),
    ),
    "BrainLMEmbedder": (
        lambda: BrainLMEmbedder(foundation_model=_tiny_brainlm(), verbose=0),
        lambda: (_ts_container(), None),
    ),
    "FMMTCClassifier": (
        lambda: FMMTCClassifier(foundation_model=_tiny_brainlm(), fc_encoder="mlp",
                                module__fc_width=8, max_epochs=2, train_split=None,
                                random_state=0, verbose=0),
        lambda: (_full_container(), _labels(12)),
    ),
}

# Checks that fail for a reason outside our control, each with that reason.
KNOWN_FAILURES = {
    ("FMMTCClassifier", "check_no_attributes_set_in_init"):
        "skorch's NeuralNet.__init__ sets history_, initialized_ and virtual_params_",
    ("FMMTCClassifier", "check_do_not_raise_errors_in_init_or_set_params"):
        "skorch's set_params validates callbacks immediately",
}


def _assert_same_output(a, b):
    if isinstance(a, dict):
        assert set(a) == set(b)
        for k in a:
            np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]))
    elif isinstance(a, list):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _output(est, X):
    if hasattr(est, "transform"):
        return est.transform(X)
    return est.predict_proba(X)


def test_every_public_estimator_has_a_case():
    assert set(public_estimators()) <= set(SMALL_CASES), (
        "add the new estimator to SMALL_CASES so the common checks cover it"
    )


# scikit-learn's own checks. Our estimators declare 3-D / dict input through their tags,
# so the tabular checks that assume 2-D arrays are skipped by scikit-learn itself; the
# ones that remain must pass, except those listed here with a reason.
_CHANCE_IGNORES_X = (
    "a chance model reads only the number of rows of X and hashes each row to seed that "
    "subject's draw; it does not validate X's values, shape or dtype"
)
EXPECTED_FAILED = {
    "ChanceClassifier": {
        **{check: _CHANCE_IGNORES_X for check in (
            "check_n_features_in_after_fitting", "check_dtype_object",
            "check_estimators_empty_data_messages", "check_estimators_nan_inf",
            "check_estimator_sparse_array", "check_estimator_sparse_matrix",
            "check_classifier_data_not_an_array", "check_fit2d_1sample", "check_n_features_in",
            "check_fit1d", "check_fit2d_predict1d",
        )},
        "check_classifiers_train": "predictions are at chance level by design",
    },
}


@parametrize_with_checks(
    [SMALL_CASES[name][0]() for name in sorted(SMALL_CASES)],
    expected_failed_checks=lambda est: EXPECTED_FAILED.get(type(est).__name__, {}),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


CASES = sorted(SMALL_CASES)

# Checks of scikit-learn that do not depend on the input's shape; they are not yielded by
# parametrize_with_checks for 3-D / dict input, so they run here explicitly.
SHAPE_FREE_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimator_repr",
]


@pytest.mark.parametrize("check_name", SHAPE_FREE_CHECKS)
@pytest.mark.parametrize("name", CASES)
def test_shape_free_sklearn_checks(name, check_name):
    from sklearn.utils import estimator_checks

    reason = KNOWN_FAILURES.get((name, check_name))
    if reason is not None:
        # strict: the day the check passes, this entry must go
        with pytest.raises(Exception):
            getattr(estimator_checks, check_name)(name, SMALL_CASES[name][0]())
        return
    getattr(estimator_checks, check_name)(name, SMALL_CASES[name][0]())


@pytest.mark.parametrize("name", CASES)
def test_parameters_default_constructible(name):
    from sklearn.utils.estimator_checks import check_parameters_default_constructible

    check_parameters_default_constructible(name, SMALL_CASES[name][0]())


@pytest.mark.parametrize("name", CASES)
def test_init_stores_params_unchanged(name):
    est = SMALL_CASES[name][0]()
    params = est.get_params(deep=False)
    again = type(est)(**params)
    assert again.get_params(deep=False).keys() == params.keys()
    for k, v in params.items():
        assert again.get_params(deep=False)[k] is v


@pytest.mark.parametrize("name", CASES)
def test_clone_before_and_after_fit(name):
    make, data = SMALL_CASES[name]
    X, y = data()
    est = make()
    c1 = clone(est)
    est.fit(X, y)
    c2 = clone(est)
    for c in (c1, c2):
        fitted = {k for k in vars(c) if k.endswith("_") and not k.startswith("_")}
        if isinstance(c, FMMTCClassifier):
            fitted -= SKORCH_INIT_ATTRIBUTES
            assert not c.initialized_
        assert not fitted, f"a clone must not carry fitted state: {sorted(fitted)}"
        c.fit(X, y)
        _assert_same_output(_output(c, X), _output(est, X))


@pytest.mark.parametrize("name", CASES)
def test_pickle_and_joblib_round_trip(name, tmp_path):
    make, data = SMALL_CASES[name]
    X, y = data()
    est = make().fit(X, y)
    expected = _output(est, X)
    _assert_same_output(_output(pickle.loads(pickle.dumps(est)), X), expected)
    joblib.dump(est, tmp_path / "est.joblib")
    _assert_same_output(_output(joblib.load(tmp_path / "est.joblib"), X), expected)


@pytest.mark.parametrize("name", CASES)
def test_fit_idempotent(name):
    make, data = SMALL_CASES[name]
    X, y = data()
    est = make()
    first = _output(est.fit(X, y), X)
    X2, _ = data()
    second = _output(est.fit(X, y), X2)
    _assert_same_output(first, second)


@pytest.mark.parametrize("name", CASES)
def test_input_not_mutated(name):
    make, data = SMALL_CASES[name]
    X, y = data()
    reference, _ = data()
    est = make().fit(X, y)
    _output(est, X)
    _assert_same_output(X, reference)


@pytest.mark.parametrize("name", CASES)
def test_pipeline_consistency(name):
    make, data = SMALL_CASES[name]
    X, y = data()
    alone = _output(make().fit(X, y), X)
    pipe = Pipeline([("step", make())]).fit(X, y)
    _assert_same_output(_output(pipe, X), alone)


@pytest.mark.parametrize("name", CASES)
def test_unfitted_estimator_refuses(name):
    from sklearn.exceptions import NotFittedError

    make, data = SMALL_CASES[name]
    X, _ = data()
    with pytest.raises(NotFittedError):
        _output(make(), X)
