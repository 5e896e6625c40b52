"""fit_stacked: K models of K folds trained in one vmapped loop equal the models fitted alone."""

import numpy as np
import pytest
import torch
from sklearn.base import clone

from skfmm import FMMTCClassifier, MultimodalData
from skfmm.classifier.batched import fit_stacked


def _data(n=20, R=8, seed=0):
    rng = np.random.default_rng(seed)
    X = MultimodalData(fc=rng.standard_normal((n, R, R)).astype("float32"))
    y = np.array([0, 1] * (n // 2))
    return X, y


def _clf(**kw):
    params = dict(foundation_model=None, modalities=("fc",), max_epochs=3,
                  train_split=None, random_state=0, verbose=0, batch_size=4,
                  module__fc_features=8)
    params.update(kw)
    return FMMTCClassifier(**params)


def _max_diff(a, b, buffers=False):
    sa, sb = a.module_.state_dict(), b.module_.state_dict()
    keys = [k for k in sa if (("running" in k or "num_batches" in k) == buffers)]
    assert keys
    return max((sa[k].double() - sb[k].double()).abs().max().item() for k in keys)


def _alone(clf, X, y, rows):
    return clone(clf).fit(X[rows], y[rows])


def test_mlp_folds_equal_lone_fits_unequal_sizes_and_class_weights():
    X, y = _data(n=22, R=8)
    # three folds of two sizes (two stacked groups), unbalanced classes in one of them
    splits = [np.arange(0, 16), np.arange(6, 22), np.r_[0:9, 10:20, 21]]
    clf = _clf(fc_encoder="mlp", module__fc_dropout=0.0, max_epochs=8,
               class_weight="balanced")
    fits = fit_stacked(clf, X, y, [(s, None) for s in splits])
    assert len(fits) == 3
    for fit, rows in zip(fits, splits):
        alone = _alone(clf, X, y, rows)
        assert _max_diff(fit, alone) < 1e-5
        np.testing.assert_allclose(fit.predict_proba(X), alone.predict_proba(X), atol=1e-5)
        np.testing.assert_array_equal(fit.predict(X), alone.predict(X))
        np.testing.assert_allclose(fit.history[:, "train_loss"],
                                   alone.history[:, "train_loss"], rtol=1e-5)
        np.testing.assert_allclose(fit.fused_mean_, alone.fused_mean_, atol=1e-5)
    # the folds were trained as different models
    assert np.abs(fits[0].predict_proba(X) - fits[1].predict_proba(X)).max() > 1e-3


def test_brainnetcnn_folds_equal_lone_fits():
    X, y = _data(n=16, R=6)
    splits = [np.arange(0, 12), np.arange(4, 16)]
    clf = _clf(fc_encoder="brainnetcnn", module__fc_dropout=0.0, module__fc_width=2,
               max_epochs=2)
    for fit, rows in zip(fit_stacked(clf, X, y, splits), splits):
        assert _max_diff(fit, _alone(clf, X, y, rows)) < 1e-5


def test_resnet18_one_step_equal_including_batchnorm_statistics():
    # One SGD step on the whole training set: rounding only (grouped vs plain convolutions).
    X, y = _data(n=12, R=8)
    splits = [np.arange(0, 8), np.arange(4, 12)]
    clf = _clf(fc_encoder="resnet18", max_epochs=1, batch_size=8,
               optimizer=torch.optim.SGD, lr=0.01)
    for fit, rows in zip(fit_stacked(clf, X, y, splits), splits):
        alone = _alone(clf, X, y, rows)
        assert _max_diff(fit, alone) < 1e-5  # measured ~1e-6
        assert _max_diff(fit, alone, buffers=True) < 1e-5
        assert int(fit.module_.fc_encoder.bn1.num_batches_tracked) == 1
        np.testing.assert_allclose(fit.predict_proba(X), alone.predict_proba(X), atol=1e-5)


def test_resnet18_many_steps_diverge_no_more_than_rounding_does():
    # Over several AdamW steps ResNet-18 training amplifies rounding differences: the lone fit
    # with fold_channels=False (the same model up to rounding) moves as far from the lone fit
    # as the stacked fit does. A real defect (wrong statistics, order, lr) moves it farther.
    X, y = _data(n=12, R=8)
    rows = np.arange(0, 8)
    clf = _clf(fc_encoder="resnet18", max_epochs=2, batch_size=4)
    fit = fit_stacked(clf, X, y, [rows, np.arange(4, 12)])[0]
    alone = _alone(clf, X, y, rows)
    rounding = _alone(clf.set_params(module__fold_channels=False), X, y, rows)
    for buffers in (False, True):
        assert _max_diff(fit, alone, buffers) <= 5 * _max_diff(rounding, alone, buffers) + 1e-6


@pytest.mark.parametrize("kw, match", [
    (dict(fc_encoder="mlp"), "dropout"),
    (dict(fc_encoder="mlp", module__fc_dropout=0.0, train_split=lambda ds, y: (ds, None)),
     "train_split"),
    (dict(fc_encoder="mlp", module__fc_dropout=0.0, random_state=None), "random_state"),
    (dict(fc_encoder="mlp", module__fc_dropout=0.0, mixed_precision="bf16"),
     "mixed_precision"),
    (dict(fc_encoder="mlp", module__fc_dropout=0.0, optimizer=torch.optim.LBFGS),
     "optimizer"),
    (dict(fc_encoder="mlp", module__fc_dropout=0.0, callbacks=[]), "callbacks"),
    (dict(fc_encoder="mlp", module__fc_dropout=0.0, iterator_train__num_workers=1),
     "iterator_train"),
])
def test_unsupported_settings_are_refused(kw, match):
    X, y = _data(n=12)
    with pytest.raises(ValueError, match=match):
        fit_stacked(_clf(**kw), X, y, [np.arange(8)])


def _separable(n=40, R=8):
    X, y = _data(n=n, R=R)
    X["fc"][y == 1, 0, 1] += 1.0
    return X, y


def test_per_fold_early_stopping_equals_lone_fits():
    # Each fold holds out its lone fit's validation split, stops at its own epoch and keeps
    # its best epoch's weights.
    X, y = _separable()
    splits = [np.arange(0, 30), np.arange(10, 40), np.r_[0:10, 20:40]]
    clf = _clf(fc_encoder="mlp", module__fc_dropout=0.0, max_epochs=60, lr=0.01,
               batch_size=8, train_split="validation")
    fits = fit_stacked(clf, X, y, splits)
    stopped = []
    for fit, rows in zip(fits, splits):
        alone = _alone(clf, X, y, rows)
        assert len(fit.history) == len(alone.history) < 60  # stopped early, same epoch
        np.testing.assert_allclose(fit.history[:, "valid_loss"],
                                   alone.history[:, "valid_loss"], rtol=1e-5)
        assert _max_diff(fit, alone) < 1e-5
        np.testing.assert_allclose(fit.predict_proba(X), alone.predict_proba(X), atol=1e-5)
        stopped.append(len(fit.history))
    assert len(set(stopped)) > 1  # the folds stopped at different epochs


def test_resnet18_validation_pass_uses_each_models_running_statistics():
    X, y = _separable(n=20)
    splits = [np.arange(0, 15), np.arange(5, 20)]
    clf = _clf(fc_encoder="resnet18", max_epochs=1, batch_size=16,
               optimizer=torch.optim.SGD, lr=0.01, train_split="validation")
    for fit, rows in zip(fit_stacked(clf, X, y, splits), splits):
        alone = _alone(clf, X, y, rows)
        np.testing.assert_allclose(fit.history[:, "valid_loss"],
                                   alone.history[:, "valid_loss"], rtol=1e-5)
        assert _max_diff(fit, alone, buffers=True) < 1e-5


@pytest.mark.parametrize("splits, match", [
    ([], "empty"), ([np.array([0.5, 1.5])], "integer"), ([np.array([0, 99])], "outside"),
])
def test_bad_splits_are_refused(splits, match):
    X, y = _data(n=12)
    with pytest.raises(ValueError, match=match):
        fit_stacked(_clf(fc_encoder="mlp", module__fc_dropout=0.0), X, y, splits)


def test_estimator_must_be_fmmtc():
    X, y = _data(n=12)
    with pytest.raises(TypeError, match="estimator"):
        fit_stacked(object(), X, y, [np.arange(8)])


def test_embedding_and_covariates_inputs_equal_lone_fits_and_pickle():
    # The cached-embedding path: a frozen BrainLM's embedding (ts_emb), per-fold covariate
    # scaling, the connectivity branch; the fitted models pickle like lone ones.
    import pickle

    from skfmm.foundation import BrainLM, BrainLMConfig

    lm = BrainLM(BrainLMConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=32),
                 with_decoder=False, random_state=0)
    rng = np.random.default_rng(1)
    n, R = 16, 5
    X = MultimodalData(ts=rng.standard_normal((n, 40, R)).astype("float32"),
                       xyz=rng.uniform(-50, 50, (n, R, 3)).astype("float32"),
                       fc=rng.standard_normal((n, R, R)).astype("float32"),
                       covariates=rng.normal(50, 10, (n, 2)).astype("float32"))
    y = np.array([0, 1] * (n // 2))
    splits = [np.arange(0, 12), np.arange(4, 16)]
    clf = _clf(foundation_model=lm, modalities=("ts", "fc"), fc_encoder="mlp",
               module__fc_dropout=0.0, max_epochs=4)
    for fit, rows in zip(fit_stacked(clf, X, y, splits), splits):
        alone = _alone(clf, X, y, rows)
        np.testing.assert_allclose(fit.covariate_mean_, alone.covariate_mean_)
        assert _max_diff(fit, alone) < 1e-5
        expected = alone.predict_proba(X)
        np.testing.assert_allclose(fit.predict_proba(X), expected, atol=1e-5)
        np.testing.assert_allclose(pickle.loads(pickle.dumps(fit)).predict_proba(X),
                                   expected, atol=1e-5)


def test_scratch_temporal_cnn_with_batchnorm_one_step():
    rng = np.random.default_rng(2)
    n, R = 12, 4
    X = MultimodalData(ts=rng.standard_normal((n, 24, R)).astype("float32"))
    y = np.array([0, 1] * (n // 2))
    splits = [np.arange(0, 8), np.arange(4, 12)]
    clf = _clf(modalities=("ts",), max_epochs=1, batch_size=8, module__ts_features=8,
               module__ts_width=4)
    for fit, rows in zip(fit_stacked(clf, X, y, splits), splits):
        alone = _alone(clf, X, y, rows)
        assert _max_diff(fit, alone, buffers=True) < 1e-5
        np.testing.assert_allclose(fit.predict_proba(X), alone.predict_proba(X), atol=1e-5)
