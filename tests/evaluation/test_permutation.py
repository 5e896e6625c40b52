"""Tests of skfmm.evaluation.permutation: label-permutation p-values."""

import numpy as np
import pytest
from evaluation_problems import _problem
from sklearn.linear_model import LogisticRegression

from skfmm.evaluation import permutation_test, pooled_metrics

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
