"""Tests of skfmm.evaluation.nested: nested CV (leakage, groups, cache, containers)."""

import os

import numpy as np
import pandas as pd
import pytest
from evaluation_problems import _problem
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skfmm.evaluation import METRICS, fit_predict, nested_cross_validate, pooled_metrics
from skfmm.container import MultimodalData

class RecordingTransformer(TransformerMixin, BaseEstimator):
    """Records the subject ids (column 0) of every fit; passes the other columns on."""

    fitted_ids = []

    def fit(self, X, y=None):
        type(self).fitted_ids.append(np.asarray(X[:, 0], dtype=int))
        return self

    def transform(self, X):
        return X[:, 1:]


def test_no_outer_test_row_is_ever_fitted_on():
    X, y = _problem(1, n=50, shift=1.0)
    X = np.c_[np.arange(50), X]
    RecordingTransformer.fitted_ids = []
    est = make_pipeline(RecordingTransformer(), LogisticRegression())
    res = nested_cross_validate(
        est, X, y, param_grid={"logisticregression__C": [0.1, 1.0]}, inner_cv=3,
        n_repeats=2, n_jobs=1, verbose=0,
    )
    fits = RecordingTransformer.fitted_ids
    per_fold = 2 * 3 + 1  # candidates x inner splits + refit
    assert len(fits) == len(res.splits) * per_fold == 10 * per_fold
    for k, (train, test) in enumerate(res.splits):
        for ids in fits[k * per_fold:(k + 1) * per_fold]:
            assert not np.intersect1d(ids, test).size
            assert np.isin(ids, train).all()
        assert np.array_equal(np.sort(fits[(k + 1) * per_fold - 1]), np.sort(train))  # refit
        preds = res.predictions[(res.predictions["repeat"] == k // 5) & (res.predictions["fold"] == k % 5)]
        assert np.array_equal(np.sort(preds["sample"].to_numpy()), np.sort(test))
    # every subject is predicted exactly once per repeat
    assert (res.predictions.groupby("repeat")["sample"].nunique() == 50).all()
    assert set(res.folds.columns) >= {"model", "repeat", "fold", "best_params", "fit_time", *METRICS}
    assert all(p["logisticregression__C"] in (0.1, 1.0) for p in res.folds["best_params"])


def test_same_seed_same_results_on_any_number_of_jobs():
    X, y = _problem(2, shift=0.7)
    est = make_pipeline(StandardScaler(), LogisticRegression())
    kw = dict(param_grid={"logisticregression__C": [0.01, 1.0]}, n_repeats=2, verbose=0)
    a = nested_cross_validate(est, X, y, n_jobs=1, **kw)
    b = nested_cross_validate(est, X, y, n_jobs=1, **kw)
    c = nested_cross_validate(est, X, y, n_jobs=2, **kw)
    cols = ["repeat", "fold", *METRICS, "best_params"]
    pd.testing.assert_frame_equal(a.folds[cols], b.folds[cols])
    # Worker processes may run other BLAS thread counts: the same to rounding (rtol 1e-9 on
    # float columns; labels, folds and best_params exactly), not bit for bit (issue 21).
    pd.testing.assert_frame_equal(a.folds[cols], c.folds[cols], check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(a.predictions, c.predictions, check_exact=False, rtol=1e-9)
    d = nested_cross_validate(est, X, y, n_jobs=1, random_state=1, **kw)
    assert not np.array_equal(a.splits[0][1], d.splits[0][1])


def test_leave_one_group_out_keeps_groups_apart():
    X, y = _problem(3, n=48, shift=1.0)
    groups = np.repeat(["study-a", "study-b", "study-c", "study-d"], 12)
    res = nested_cross_validate(
        LogisticRegression(), X, y, outer_cv="logo", groups=groups,
        param_grid={"C": [0.1, 1.0]}, verbose=0,
    )
    assert len(res.folds) == 4
    assert sorted(res.folds["test_groups"]) == ["study-a", "study-b", "study-c", "study-d"]
    for (train, test), g in zip(res.splits, res.folds["test_groups"]):
        assert set(groups[test]) == {g}
        assert g not in set(groups[train])
        assert len(test) == 12
    # Any group splitter receives the groups too.
    groups8 = np.repeat(np.arange(8), 6)
    res = nested_cross_validate(
        LogisticRegression(), X, y, outer_cv=StratifiedGroupKFold(4), groups=groups8, verbose=0
    )
    for train, test in res.splits:
        assert not set(groups8[train]) & set(groups8[test])


def test_groups_are_never_silently_ignored():
    X, y = _problem(3, n=40)
    with pytest.raises(ValueError, match="groups"):
        nested_cross_validate(LogisticRegression(), X, y, groups=np.arange(40) % 4, verbose=0)
    with pytest.raises(ValueError, match="groups"):
        nested_cross_validate(LogisticRegression(), X, y, outer_cv="logo", verbose=0)


def test_one_class_test_group_gives_nan_with_warning():
    X, y = _problem(4, n=48, shift=1.0)
    y = np.sort(y)  # 24 zeros then 24 ones
    groups = np.repeat([0, 1, 2], 16)  # group 0: all class 0; group 2: all class 1
    with pytest.warns(UndefinedMetricWarning, match="mcc"):
        res = nested_cross_validate(LogisticRegression(), X, y, outer_cv="logo", groups=groups, verbose=0)
    by_group = res.folds.set_index("test_groups")
    assert np.isnan(by_group.loc["0", "mcc"]) and np.isnan(by_group.loc["0", "auroc"])
    assert np.isfinite(by_group.loc["2", "sensitivity"])
    assert np.isfinite(by_group.loc["1", "mcc"])
    # The pooled out-of-fold estimate is still defined.
    assert np.isfinite(pooled_metrics(res)["mcc"])


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression that counts its fits (and can fail after a budget of fits)."""

    n_fits = 0
    fail_after = None

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y):
        if type(self).fail_after is not None and type(self).n_fits >= type(self).fail_after:
            raise RuntimeError("interrupted")
        type(self).n_fits += 1
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def test_cache_resumes_an_interrupted_run(tmp_path):
    X, y = _problem(5, shift=1.0)
    kw = dict(n_repeats=2, cache_dir=tmp_path, verbose=0)
    CountingClassifier.n_fits, CountingClassifier.fail_after = 0, 4
    with pytest.raises(RuntimeError, match="interrupted"):
        nested_cross_validate(CountingClassifier(), X, y, **kw)
    assert len(os.listdir(tmp_path)) == 4  # the finished folds were kept
    CountingClassifier.n_fits, CountingClassifier.fail_after = 0, None
    first = nested_cross_validate(CountingClassifier(), X, y, **kw)
    assert CountingClassifier.n_fits == 6  # only the 6 missing folds were fitted
    assert first.folds["from_cache"].sum() == 4

    CountingClassifier.n_fits = 0
    again = nested_cross_validate(CountingClassifier(), X, y, **kw)
    assert CountingClassifier.n_fits == 0 and again.folds["from_cache"].all()
    pd.testing.assert_frame_equal(first.folds[list(METRICS)], again.folds[list(METRICS)])
    pd.testing.assert_frame_equal(first.predictions, again.predictions)
    fresh = nested_cross_validate(CountingClassifier(), X, y, n_repeats=2, verbose=0)
    pd.testing.assert_frame_equal(fresh.folds[list(METRICS)], again.folds[list(METRICS)])

    CountingClassifier.n_fits = 0
    nested_cross_validate(CountingClassifier(C=0.5), X, y, **kw)  # other params: refit
    assert CountingClassifier.n_fits == 10
    CountingClassifier.n_fits = 0
    nested_cross_validate(CountingClassifier(), X[::-1].copy(), y[::-1].copy(), **kw)  # other data
    assert CountingClassifier.n_fits == 10


class Opaque:
    """A parameter object whose repr hides its content."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return "Opaque()"


def passthrough(X, unused=None):
    return X


def test_cache_key_follows_parameter_content_not_repr(tmp_path):
    torch = pytest.importorskip("torch")
    from skfmm.evaluation._fold_cache import _signature

    assert _signature(Opaque(1)) != _signature(Opaque(2))
    assert _signature(Opaque(1)) == _signature(Opaque(1))
    torch.manual_seed(0)
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)  # same architecture, other weights
    assert repr(a) == repr(b) and _signature(a) != _signature(b)
    assert _signature(a) == _signature(a)
    X, y = _problem(5, n=30, shift=1.0)
    est = make_pipeline(FunctionTransformer(passthrough, kw_args={"unused": Opaque(1)}), LogisticRegression())
    kw = dict(n_repeats=1, cache_dir=tmp_path, verbose=0)
    nested_cross_validate(est, X, y, **kw)
    est2 = make_pipeline(FunctionTransformer(passthrough, kw_args={"unused": Opaque(2)}), LogisticRegression())
    res = nested_cross_validate(est2, X, y, **kw)
    assert not res.folds["from_cache"].any()
    assert nested_cross_validate(est2, X, y, **kw).folds["from_cache"].all()


def flatten_ts(X):
    return X["ts"].reshape(len(X["ts"]), -1)


def test_multimodal_container_input_matches_array_input():
    rng = np.random.default_rng(6)
    y = np.repeat(["placebo", "responder"], 20)
    ts = rng.normal(size=(40, 6, 3)).astype(np.float32)
    ts[y == "responder", :, 0] += 0.8
    data = MultimodalData(ts=ts, xyz=np.zeros((40, 3, 3)))
    est = make_pipeline(FunctionTransformer(flatten_ts), LogisticRegression())
    res = nested_cross_validate(est, data, y, param_grid={"logisticregression__C": [0.1, 1.0]},
                                n_repeats=1, verbose=0)
    ref = nested_cross_validate(LogisticRegression(), ts.reshape(40, -1), y,
                                param_grid={"C": [0.1, 1.0]}, n_repeats=1, verbose=0)
    np.testing.assert_allclose(res.folds[list(METRICS)], ref.folds[list(METRICS)])
    assert res.pos_label == "responder"
    assert set(res.predictions["y_pred"]) <= {"placebo", "responder"}
    with pytest.raises(TypeError, match="MultimodalData"):
        nested_cross_validate(est, {"ts": ts}, y, verbose=0)


def test_fold_fitter_hook_gets_the_fold_and_can_express_a_leaky_protocol():
    X, y = _problem(7)  # null problem
    seen = []

    def peeking_fitter(estimator, X_train, y_train, X_test, y_test):
        assert isinstance(estimator, GridSearchCV) and not hasattr(estimator, "best_params_")
        seen.append(len(X_test))
        estimator.fit(X_train, y_train)
        return y_test, None  # "predicts" the test labels: the leak the hook can measure

    with pytest.warns(UndefinedMetricWarning, match="no positive-class scores"):
        res = nested_cross_validate(LogisticRegression(), X, y, param_grid={"C": [1.0]},
                                    n_repeats=1, fold_fitter=peeking_fitter, verbose=0)
    assert seen == [12] * 5
    assert (res.folds["mcc"] == 1.0).all() and res.folds["auroc"].isna().all()

    def bad_fitter(estimator, X_train, y_train, X_test, y_test):
        y_pred, y_score = fit_predict(estimator, X_train, y_train, X_test)
        return y_pred[:-1], y_score

    with pytest.raises(ValueError, match="y_pred"):
        nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, fold_fitter=bad_fitter, verbose=0)
