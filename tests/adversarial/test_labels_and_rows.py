"""Empty cohorts and missing labels: refused naming the argument, nothing cached."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skfmm import FMMTCClassifier, MultimodalData
from skfmm.evaluation import nested_cross_validate


def test_nested_cv_on_an_empty_X(tmp_path):
    with pytest.raises(ValueError, match="'X' holds no rows"):
        nested_cross_validate(LogisticRegression(), np.empty((0, 3)), np.empty(0),
                              cache_dir=tmp_path / "cache", verbose=0)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("y", [np.array([0.0, 1.0, np.nan] * 4),
                               np.array(["a", "b", None] * 4, dtype=object)])
def test_nested_cv_with_a_missing_label(tmp_path, y):
    X = np.random.default_rng(0).standard_normal((12, 2))
    with pytest.raises(ValueError, match="'y' holds 4 missing label.*row 2"):
        nested_cross_validate(LogisticRegression(), X, y, cache_dir=tmp_path / "cache",
                              verbose=0)
    assert not (tmp_path / "cache").exists()


def _clf():
    return FMMTCClassifier(foundation_model=None, modalities=("fc",), fc_encoder="mlp",
                           max_epochs=1, train_split=None, verbose=0)


def test_fmmtc_fit_on_an_empty_X():
    with pytest.raises(ValueError, match="'X' holds no subjects"):
        _clf().fit(MultimodalData(fc=np.empty((0, 4, 4), dtype=np.float32)), np.empty(0))


def test_fmmtc_fit_with_a_nan_label():
    fc = np.random.default_rng(0).standard_normal((6, 4, 4)).astype(np.float32)
    with pytest.raises(ValueError, match="'y' holds 1 missing label.*row 5"):
        _clf().fit(MultimodalData(fc=fc), np.array([0, 1, 0, 1, 0, np.nan]))
