"""skfmm.evaluation.splitting: the splitters of nested CV, and a subject's windows together."""

import numpy as np
import pytest
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold, StratifiedKFold

from skfmm import MultimodalData
from skfmm.evaluation.splitting import (
    RepeatedStratifiedGroupKFold,
    inner_splits,
    plan_splits,
    window_subjects,
)


def _windows(n_subjects=10, per_subject=3):
    subject = np.repeat(np.arange(100, 100 + n_subjects), per_subject)
    y = np.repeat(np.array([0, 1] * (n_subjects // 2)), per_subject)
    X = MultimodalData(ts=np.zeros((len(subject), 4, 2)), subject=subject)
    return X, y, subject


def test_window_subjects_is_none_for_one_row_per_subject():
    X, y, _ = _windows(per_subject=1)
    assert window_subjects(X, y) is None
    assert window_subjects(np.zeros((len(y), 3)), y) is None


def test_window_subjects_refuses_a_subject_with_two_labels_or_groups():
    X, y, subject = _windows()
    np.testing.assert_array_equal(window_subjects(X, y), subject)
    y_bad = y.copy()
    y_bad[1] = 1 - y_bad[1]
    with pytest.raises(ValueError, match=r"share one label in 'y'; subject\(s\) \[100\]"):
        window_subjects(X, y_bad)
    groups = np.arange(len(y)) % 2
    with pytest.raises(ValueError, match="share one group in 'groups'"):
        window_subjects(X, y, groups)


def test_default_splitters_over_windows_keep_each_subject_on_one_side():
    X, y, subject = _windows()
    plan = plan_splits(X, y, outer_cv=5, n_repeats=2, random_state=0)
    assert isinstance(plan.outer, RepeatedStratifiedGroupKFold)
    assert isinstance(plan.inner, StratifiedGroupKFold)
    splits = plan.outer_splits(len(y), y)
    assert len(splits) == 10
    for train, test in splits:
        assert not set(subject[train]) & set(subject[test])
        for inner_train, inner_test in inner_splits(plan.inner, train, y[train],
                                                    plan.inner_groups):
            assert not set(subject[train][inner_train]) & set(subject[train][inner_test])
    assert [plan.repeat_and_fold(i) for i in (0, 4, 5, 9)] == [(0, 0), (0, 4), (1, 0), (1, 4)]


def test_a_splitter_that_splits_a_subject_is_refused():
    X, y, _ = _windows()
    plan = plan_splits(X, y, outer_cv=StratifiedKFold(3))
    with pytest.raises(ValueError, match="outer split 0 puts windows of one subject"):
        plan.outer_splits(len(y), y)


def test_inner_splits_pass_groups_only_to_a_splitter_that_reads_them():
    y = np.repeat([0, 1], 6)
    groups = np.repeat(np.arange(6), 2)
    train = np.arange(12)
    splits = inner_splits(GroupKFold(3), train, y, groups)
    assert all(not set(groups[tr]) & set(groups[te]) for tr, te in splits)
    # StratifiedKFold ignores groups (and sklearn would warn if it were given them)
    assert len(inner_splits(StratifiedKFold(2), train, y, groups)) == 2
