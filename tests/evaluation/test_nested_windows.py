"""nested_cross_validate with several windows per subject: splits by subject, one
aggregated prediction per subject, the subject bootstrap over subjects."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from skfmm import MultimodalData
from skfmm.evaluation import nested_cross_validate, summarize


def _windows(n_subjects=12, per_subject=3, seed=0):
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n_subjects), per_subject)
    y_subject = np.array(["a", "b"] * (n_subjects // 2))
    value = rng.standard_normal(len(subject))
    X = MultimodalData(ts=value[:, None, None] * np.ones((1, 4, 2)), subject=subject)
    return X, y_subject[subject], subject, value


class _ScoreIsValue(ClassifierMixin, BaseEstimator):
    """Predicts P(b) = a fixed function of the row's value (fit learns only the classes)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-np.asarray(X["ts"])[:, 0, 0]))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def test_windows_of_a_subject_never_straddle_train_and_test():
    X, y, subject, _ = _windows()
    seen = []

    def fitter(model, X_train, y_train, X_test, y_test):
        seen.append((set(X_train["subject"].tolist()), set(X_test["subject"].tolist())))
        for inner_train, inner_test in model.cv:  # the inner grid's splits
            assert not set(X_train["subject"][inner_train]) & set(
                X_train["subject"][inner_test])
        model.fit(X_train, y_train)
        return model.predict(X_test), model.predict_proba(X_test)

    res = nested_cross_validate(_ScoreIsValue(), X, y, param_grid={}, outer_cv=3,
                                n_repeats=2, fold_fitter=fitter, verbose=0)
    assert len(seen) == 6
    assert all(not tr & te for tr, te in seen)
    # Each repeat tests every subject once.
    for r in (0, 1):
        tested = res.predictions.loc[res.predictions["repeat"] == r, "sample"]
        assert sorted(tested) == list(range(12))
    assert res.folds["n_test"].sum() == 24 and res.folds["n_test_windows"].sum() == 72


def test_window_predictions_are_aggregated_per_subject():
    X, y, subject, value = _windows()
    res = nested_cross_validate(_ScoreIsValue(), X, y, outer_cv=3, n_repeats=1, verbose=0)
    p = res.predictions.sort_values("sample")
    prob = 1 / (1 + np.exp(-value))
    want = prob.reshape(12, 3).mean(axis=1)  # the mean of each subject's 3 windows
    np.testing.assert_allclose(p["y_score"], want)
    assert p["n_windows"].tolist() == [3] * 12
    assert p["y_pred"].tolist() == np.where(want > 0.5, "b", "a").tolist()
    assert p["y_true"].tolist() == ["a", "b"] * 6
    # The fold's MCC is the subjects' MCC, not the windows'.
    from sklearn.metrics import matthews_corrcoef

    for _, fold in res.folds.iterrows():
        rows = p[p["fold"] == fold["fold"]]
        assert fold["mcc"] == pytest.approx(matthews_corrcoef(rows["y_true"], rows["y_pred"]))


def test_subject_bootstrap_resamples_subjects():
    X, y, _, _ = _windows()
    res = nested_cross_validate(_ScoreIsValue(), X, y, outer_cv=3, n_repeats=1, verbose=0)
    assert len(res.predictions) == 12  # one row per subject: the bootstrap unit
    summary = summarize(res, ["auroc"], n_boot=200, method="subjects")
    assert summary["ci_low"].iloc[0] <= summary["mean"].iloc[0] <= summary["ci_high"].iloc[0]


def test_windows_of_a_subject_must_share_the_label():
    X, y, _, _ = _windows()
    y = y.copy()
    y[1] = "b" if y[1] == "a" else "a"
    with pytest.raises(ValueError, match=r"windows of a subject must share one label.*\[0\]"):
        nested_cross_validate(_ScoreIsValue(), X, y, outer_cv=3, n_repeats=1, verbose=0)


def test_a_splitter_that_splits_subjects_is_refused():
    X, y, _, _ = _windows()
    splits = [(np.arange(0, 36, 2), np.arange(1, 36, 2))]  # alternate windows
    with pytest.raises(ValueError, match="windows of one subject.*both train and test"):
        nested_cross_validate(_ScoreIsValue(), X, y, outer_cv=splits, verbose=0)


def test_one_window_per_subject_is_unchanged():
    X, y, _, _ = _windows(per_subject=1)
    plain = MultimodalData(ts=X["ts"])
    a = nested_cross_validate(_ScoreIsValue(), X, y, outer_cv=3, n_repeats=2, verbose=0)
    b = nested_cross_validate(_ScoreIsValue(), plain, y, outer_cv=3, n_repeats=2, verbose=0)
    assert [t.tolist() for t, _ in a.splits] == [t.tolist() for t, _ in b.splits]
    np.testing.assert_allclose(a.folds["mcc"], b.folds["mcc"])


def test_permutation_test_shuffles_subjects_not_windows():
    from skfmm.evaluation import permutation_test

    X, y, subject, _ = _windows()
    res = permutation_test(_ScoreIsValue(), X, y, n_permutations=3, outer_cv=3, n_repeats=1)
    # Every shuffle ran (a window-level shuffle would give a subject's windows several
    # labels, which nested_cross_validate refuses).
    assert len(res.null_distribution) == 3 and np.all(np.isfinite(res.null_distribution))
