"""Nothing accepted and ignored; numeric parameters checked by name (issue 21)."""

import numpy as np
import pytest

from skfmm import FMMTCClassifier, MultimodalData, TimeSeriesExtractor


def _fc_data(n=8, regions=5):
    rng = np.random.default_rng(0)
    return MultimodalData(fc=rng.standard_normal((n, regions, regions)).astype("float32"))


def _clf(**params):
    base = dict(foundation_model=None, fc_encoder="mlp", modalities=("fc",), max_epochs=1,
                train_split=None, random_state=0, verbose=0)
    base.update(params)
    return FMMTCClassifier(**base)


def test_sample_weight_is_refused_by_name_not_ignored():
    X, y = _fc_data(), [0, 1] * 4
    with pytest.raises(TypeError, match="'sample_weight'.*ignored.*class_weight"):
        _clf().fit(X, y, sample_weight=np.r_[np.zeros(4), np.ones(4)])
    with pytest.raises(TypeError, match="partial_fit.*'sample_weight'"):
        _clf().partial_fit(X, y, sample_weight=np.ones(8))
    with pytest.raises(TypeError, match="'frobnicate'"):
        _clf().fit(X, y, frobnicate=1)


def test_continuous_targets_are_refused_as_scikit_learn_does():
    X = _fc_data()
    y = np.linspace(0.1, 0.9, 8)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        _clf().fit(X, y)
    # integral floats are labels, as in scikit-learn
    assert list(_clf().fit(X, np.array([0.0, 1.0] * 4)).classes_) == [0.0, 1.0]


@pytest.mark.parametrize("param,value", [
    ("random_state", "abc"), ("random_state", -1), ("random_state", 1.5),
    ("batch_size", 0), ("batch_size", 2.5), ("batch_size", True),
    ("embedding_batch_size", 0), ("embedding_batch_size", -1),
    ("lr", float("nan")), ("lr", float("inf")), ("lr", 0), ("lr", "1e-3"),
])
def test_numeric_parameters_are_checked_by_name_before_training(param, value):
    with pytest.raises(ValueError, match=f"'{param}' must be"):
        _clf(**{param: value}).fit(_fc_data(), [0, 1] * 4)


def test_batch_size_minus_one_is_skorchs_whole_set():
    clf = _clf(batch_size=-1).fit(_fc_data(), [0, 1] * 4)
    assert clf.history[-1, "batches"][0]["train_batch_size"] == 8


@pytest.mark.parametrize("name,value", [("confounds_strategy", ("motion",)),
                                        ("confounds_kwargs", {"motion": "basic"})])
def test_fmriprep_confound_options_on_arrays_are_refused(name, value):
    ts = [np.random.default_rng(0).standard_normal((50, 4)) for _ in range(2)]
    with pytest.raises(ValueError, match=f"'{name}' applies to fMRIPrep NIfTI paths only"):
        TimeSeriesExtractor(window=40, **{name: value}).fit(ts)


@pytest.mark.parametrize("name", ["t_r", "resample_t_r", "low_pass", "high_pass"])
@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_non_finite_rates_are_refused_by_name(name, value):
    ts = [np.random.default_rng(0).standard_normal((50, 4)) for _ in range(2)]
    params = {"t_r": 2.0, name: value}
    with pytest.raises(ValueError, match=f"'{name}' must be a finite positive number"):
        TimeSeriesExtractor(window=20, **params).fit(ts)


def test_n_repeats_with_a_splitter_is_refused_not_ignored():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from skfmm.evaluation import nested_cross_validate

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 12)
    X = rng.normal(size=(24, 3)) + y[:, None]
    with pytest.raises(ValueError, match="'n_repeats' applies to the default repeated"):
        nested_cross_validate(LogisticRegression(), X, y, outer_cv=StratifiedKFold(3),
                              n_repeats=3, verbose=0)
    res = nested_cross_validate(LogisticRegression(), X, y, outer_cv=StratifiedKFold(3),
                                verbose=0)
    assert len(res.folds) == 3
    assert len(nested_cross_validate(LogisticRegression(), X, y, outer_cv=3,
                                     verbose=0).folds) == 15  # default: 5 repeats
