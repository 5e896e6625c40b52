"""Small synthetic classification problems for the tests of skfmm.evaluation."""

import numpy as np


def _problem(seed, n=60, n_features=5, shift=0.0):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat([0, 1], n // 2))
    X = rng.normal(size=(n, n_features)) + shift * y[:, None]
    return X, y
