"""The classifier on real data: train_split="auto" holds out a validation split for early
stopping only when every class has enough training subjects for it
(benchmarks/train_split_small_cohorts.py), fixed epochs below; raw intensities are warned about."""

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

import skfmm.classifier._inputs as fmmtc_module  # where fit decides on a validation split
from skfmm import MultimodalData

from classifier_helpers import extractors, make_runs, small  # noqa: F401


def _data(n):
    runs, y, coords = make_runs(n=n)
    return Pipeline(extractors(coords)).fit_transform(runs), y


def test_auto_trains_fixed_epochs_on_a_small_cohort():
    X, y = _data(24)
    assert fmmtc_module.AUTO_VALIDATION_MIN_PER_CLASS > 12
    clf = small(modalities=("fc",), max_epochs=6).fit(X, y)
    assert clf.train_split == "auto" and not clf.validation_split_used_
    assert len(clf.history) == 6  # no early stopping
    assert "valid_loss" not in clf.history[-1]
    assert "early_stopping" not in dict(clf.callbacks_)


def test_auto_holds_out_a_validation_split_from_the_threshold_on(monkeypatch):
    X, y = _data(24)
    # 12 subjects per class.
    monkeypatch.setattr(fmmtc_module, "AUTO_VALIDATION_MIN_PER_CLASS", 12)
    clf = small(modalities=("fc",), max_epochs=3).fit(X, y)
    assert clf.validation_split_used_
    assert "valid_loss" in clf.history[-1]
    monkeypatch.setattr(fmmtc_module, "AUTO_VALIDATION_MIN_PER_CLASS", 13)
    clf = small(modalities=("fc",), max_epochs=3).fit(X, y)
    assert not clf.validation_split_used_ and "valid_loss" not in clf.history[-1]


def test_auto_counts_subjects_not_windows(monkeypatch):
    X, y = _data(12)
    # Two windows per subject: 12 rows per class but 6 subjects.
    Xw = MultimodalData(**{k: np.concatenate([v, v]) for k, v in X.items()})
    Xw["subject"] = np.r_[np.arange(12), np.arange(12)]
    monkeypatch.setattr(fmmtc_module, "AUTO_VALIDATION_MIN_PER_CLASS", 10)
    clf = small(modalities=("fc",), max_epochs=2).fit(Xw, np.r_[y, y])
    assert not clf.validation_split_used_


def test_validation_by_name_always_holds_out_20_percent():
    X, y = _data(24)
    clf = small(modalities=("fc",), max_epochs=3, train_split="validation").fit(X, y)
    assert clf.validation_split_used_ and "valid_loss" in clf.history[-1]
    with pytest.raises(ValueError, match="train_split='validation' holds out 20 %.*too few"):
        small(modalities=("fc",), train_split="validation").fit(X[:4], y[:4])
    with pytest.raises(ValueError, match="'train_split' must be 'auto', 'validation', None"):
        small(modalities=("fc",), train_split="holdout").fit(X, y)


def test_raw_intensities_given_to_a_foundation_model_warn(tiny_brainlm):
    runs, y, coords = make_runs(n=6)
    from skfmm import TimeSeriesExtractor

    raw = [1e4 + 100 * r for r in runs]
    X = TimeSeriesExtractor(coords=coords, window=40, standardize="none",
                            verbose=0).fit_transform(raw)
    clf = small(foundation_model=tiny_brainlm, modalities=("ts",), max_epochs=1,
                train_split=None)
    with pytest.warns(UserWarning, match="look unscaled.*standardize='zscore'"):
        clf.fit(X, y)
    Xz = TimeSeriesExtractor(coords=coords, window=40, verbose=0).fit_transform(raw)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(Xz, y)
