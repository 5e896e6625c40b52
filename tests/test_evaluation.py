"""Tests of skfmm.evaluation: metrics, scorers, nested CV (leakage, groups, cache, containers),
bootstrap summaries and permutation tests, on small synthetic problems."""

import os
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import matthews_corrcoef, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from threadpoolctl import threadpool_limits

from skfmm.evaluation import (
    METRICS,
    SCORERS,
    MetricScorer,
    compute_metrics,
    fit_predict,
    make_scorers,
    nested_cross_validate,
    permutation_test,
    pooled_metrics,
    summarize,
)
from skfmm.extraction.container import MultimodalData


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # Tiny fits are ~30x slower when BLAS spreads them over threads of a busy 2-core box.
    with threadpool_limits(limits=1):
        yield


def _problem(seed, n=60, n_features=5, shift=0.0):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat([0, 1], n // 2))
    X = rng.normal(size=(n, n_features)) + shift * y[:, None]
    return X, y


# ----------------------------------------------------------------------------- metrics

Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1])
Y_PRED = np.array([0, 0, 1, 0, 1, 1, 0])
Y_SCORE = np.array([0.1, 0.2, 0.7, 0.3, 0.9, 0.6, 0.2])
# tp=2 fn=1 fp=1 tn=3; AUROC: 8.5 of 12 positive-negative pairs ordered (one tie).
EXPECTED = {
    "mcc": 5 / 12,
    "auroc": 8.5 / 12,
    "balanced_accuracy": (2 / 3 + 3 / 4) / 2,
    "accuracy": 5 / 7,
    "f1": (2 / 3 + 3 / 4) / 2,
    "sensitivity": 2 / 3,
    "specificity": 3 / 4,
}


def test_compute_metrics_matches_hand_computed_confusion_counts():
    values = compute_metrics(Y_TRUE, Y_PRED, Y_SCORE)
    assert list(values) == list(METRICS)
    for name, expected in EXPECTED.items():
        assert values[name] == pytest.approx(expected), name


def test_compute_metrics_string_labels_and_pos_label():
    names = np.array(["non-responder", "responder"])
    values = compute_metrics(names[Y_TRUE], names[Y_PRED], Y_SCORE)  # default: 2nd sorted
    assert values == pytest.approx(EXPECTED)
    proba = np.c_[1 - Y_SCORE, Y_SCORE]  # predict_proba columns in sorted class order
    assert compute_metrics(names[Y_TRUE], names[Y_PRED], proba)["auroc"] == pytest.approx(8.5 / 12)
    flipped = compute_metrics(names[Y_TRUE], names[Y_PRED], 1 - Y_SCORE, pos_label="non-responder")
    assert flipped["sensitivity"] == pytest.approx(3 / 4)
    assert flipped["specificity"] == pytest.approx(2 / 3)
    assert flipped["mcc"] == pytest.approx(5 / 12)
    assert flipped["auroc"] == pytest.approx(8.5 / 12)


def test_compute_metrics_agrees_with_sklearn_with_weights():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 2, 80), rng.integers(0, 2, 80)
    y_score = np.round(rng.random(80), 1)  # many ties
    w = rng.integers(0, 4, 80).astype(float)
    values = compute_metrics(y_true, y_pred, y_score, sample_weight=w)
    assert values["mcc"] == pytest.approx(matthews_corrcoef(y_true, y_pred, sample_weight=w))
    assert values["auroc"] == pytest.approx(roc_auc_score(y_true, y_score, sample_weight=w))


def test_one_class_truth_gives_nan_and_warning_never_a_number():
    with pytest.warns(UndefinedMetricWarning, match="mcc"):
        values = compute_metrics([0, 0, 0], [0, 1, 0], [0.2, 0.8, 0.1], classes=[0, 1])
    for name in ("mcc", "auroc", "balanced_accuracy", "sensitivity"):
        assert np.isnan(values[name]), name
    assert values["f1"] == pytest.approx((0 + 0.8) / 2)  # F1(1)=0 (1 false positive), F1(0)=4/5
    with pytest.warns(UndefinedMetricWarning, match="f1"):
        assert np.isnan(compute_metrics([0, 0], [0, 0], classes=[0, 1])["f1"])
    assert values["specificity"] == pytest.approx(2 / 3)
    assert values["accuracy"] == pytest.approx(2 / 3)


def test_constant_prediction_of_two_class_truth_has_mcc_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = compute_metrics([0, 1, 0, 1], [1, 1, 1, 1], [0.5] * 4)
    assert values["mcc"] == 0.0
    assert values["auroc"] == 0.5
    assert values["sensitivity"] == 1.0 and values["specificity"] == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y_true=[0, 1, 2], y_pred=[0, 1, 2]), "binary"),
        (dict(y_true=[0, 1], y_pred=[0, 1], pos_label=3), "pos_label"),
        (dict(y_true=[0, 1], y_pred=[0, 1], y_score=[0.1, np.nan]), "y_score"),
        (dict(y_true=[0, 0], y_pred=[0, 0]), "pos_label"),
        (dict(y_true=[0, 1], y_pred=[0, 1, 1]), "same length"),
    ],
)
def test_compute_metrics_refuses_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compute_metrics(**kwargs)


def test_scorers_work_in_grid_search_with_string_labels():
    X, y = _problem(0, shift=1.0)
    labels = np.array(["no", "yes"])[y]
    assert set(make_scorers()) == set(METRICS) == set(SCORERS)
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, scoring=SCORERS, refit="mcc", cv=3)
    search.fit(X, labels)
    assert np.isfinite(search.cv_results_["mean_test_mcc"]).all()
    clf = LogisticRegression().fit(X, labels)
    expected = compute_metrics(labels, clf.predict(X), clf.predict_proba(X)[:, 1])
    assert SCORERS["mcc"](clf, X, labels) == pytest.approx(expected["mcc"])
    assert SCORERS["auroc"](clf, X, labels) == pytest.approx(
        roc_auc_score(labels == "yes", clf.predict_proba(X)[:, 1])
    )
    # The positive class switches sensitivity and specificity.
    assert MetricScorer("sensitivity", pos_label="no")(clf, X, labels) == pytest.approx(
        expected["specificity"]
    )


# ----------------------------------------------------------------------------- nested CV


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
    pd.testing.assert_frame_equal(a.folds[cols], c.folds[cols])
    pd.testing.assert_frame_equal(a.predictions, c.predictions)
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
    from skfmm.evaluation.nested import _signature

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


# ----------------------------------------------------------------------------- summaries


def test_pooled_estimate_is_the_repeat_average_of_the_pooled_metric():
    X, y = _problem(8, shift=0.6)
    res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
    expected = np.mean([
        matthews_corrcoef(p["y_true"], p["y_pred"]) for _, p in res.predictions.groupby("repeat")
    ])
    assert pooled_metrics(res)["mcc"] == pytest.approx(expected)
    table = summarize(res, metrics=["mcc", "auroc"], n_boot=500)
    assert list(table.columns) == ["model", "metric", "mean", "ci_low", "ci_high"]
    assert table["metric"].tolist() == ["mcc", "auroc"]
    assert table.loc[0, "mean"] == pytest.approx(expected)
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()
    pd.testing.assert_frame_equal(table, summarize(res, metrics=["mcc", "auroc"], n_boot=500))
    folds = summarize(res.folds, metrics=["mcc"], n_boot=500)
    assert folds.attrs["method"] == "folds"
    assert folds.loc[0, "mean"] == pytest.approx(res.folds["mcc"].mean())
    named = summarize({"ours": res, "again": res}, metrics=["mcc"], n_boot=200)
    assert named["model"].tolist() == ["ours", "again"]
    assert named.loc[0, "ci_low"] == named.loc[1, "ci_low"]  # same seed per model


def test_interval_covers_zero_on_null_data_and_excludes_it_on_easy_data():
    covered = []
    for seed in range(10):
        X, y = _problem(100 + seed, n_features=5)
        res = nested_cross_validate(LogisticRegression(), X, y, n_repeats=2, verbose=0)
        row = summarize(res, metrics=["mcc"], n_boot=1000).iloc[0]
        covered.append(row["ci_low"] <= 0 <= row["ci_high"])
    assert sum(covered) >= 8, covered
    X, y = _problem(200, shift=1.5)
    res = nested_cross_validate(LogisticRegression(), X, y, param_grid={"C": [0.1, 1.0]},
                                n_repeats=2, verbose=0)
    row = summarize(res, metrics=["mcc"], n_boot=1000).iloc[0]
    assert row["ci_low"] > 0.3


def test_summarize_refuses_bad_arguments():
    with pytest.raises(ValueError, match="metrics"):
        summarize(pd.DataFrame({"model": ["a"], "mcc": [0.1]}), metrics=["precision"])
    with pytest.raises(ValueError, match="'ci'"):
        summarize(pd.DataFrame({"model": ["a"], "mcc": [0.1]}), metrics=["mcc"], ci=95)
    with pytest.raises(TypeError, match="results"):
        summarize(42)


def test_permutation_test_strong_signal_and_null():
    X, y = _problem(9, n=40, shift=2.0)
    strong = permutation_test(LogisticRegression(), X, y, n_permutations=19, n_repeats=1, verbose=0)
    assert strong.p_value == pytest.approx(1 / 20)
    assert strong.null_distribution.shape == (19,)
    assert strong.statistic > 0.5 and strong.statistic == pytest.approx(pooled_metrics(strong.result)["mcc"])
    assert np.abs(strong.null_distribution).max() < strong.statistic
    small = []
    for seed in range(5):
        X, y = _problem(300 + seed, n=40)
        null = permutation_test(LogisticRegression(), X, y, n_permutations=19, n_repeats=1,
                                random_state=seed, verbose=0)
        small.append(null.p_value <= 0.05)
    assert sum(small) <= 1, small
    again = permutation_test(LogisticRegression(), X, y, n_permutations=19, n_repeats=1,
                             random_state=4, verbose=0)
    np.testing.assert_array_equal(again.null_distribution, null.null_distribution)
