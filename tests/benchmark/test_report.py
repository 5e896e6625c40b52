"""The benchmark's tables: protocol_inflation's errors name its own arguments; the old home."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import skfmm.report
from skfmm.benchmark import figures, report
from skfmm.benchmark.report import protocol_inflation
from skfmm.evaluation import nested_cross_validate


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), np.repeat([0, 1], 20)
    return X, y, nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, verbose=0)


def test_protocol_inflation_errors_name_ours_and_authors(result):
    X, y, res = result
    with pytest.raises(TypeError, match=r"^protocol_inflation: 'ours' must be a NestedCVResult"):
        protocol_inflation(res.folds, res)
    with pytest.raises(TypeError,
                       match=r"^protocol_inflation: 'authors' must be a NestedCVResult"):
        protocol_inflation(res, None)
    other = nested_cross_validate(LogisticRegression(), X, y, n_repeats=1, random_state=1,
                                  verbose=0)
    with pytest.raises(ValueError, match=r"^protocol_inflation: 'ours' and 'authors' must be "
                                         r"evaluated on the same outer splits"):
        protocol_inflation(res, other)


def test_old_home_re_exports_the_public_names():
    for name in skfmm.report.__all__:
        new_home = figures if name.startswith("plot_") else report
        assert getattr(skfmm.report, name) is getattr(new_home, name)
    assert not [n for n in vars(skfmm.report) if n.startswith("_") and not n.startswith("__")]
