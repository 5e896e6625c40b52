"""The fold cache: keyed on content (foundation-model weights, files named), never unpickled."""

import os
import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skfmm import FMMTCClassifier, MultimodalData
from skfmm.evaluation import nested_cross_validate
from skfmm.foundation import BrainLM, BrainLMConfig

from evaluation_problems import _problem


class Planted:
    """A pickle that creates a file when unpickled (stands for arbitrary code)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_planted_pickle_in_the_fold_cache_never_runs(tmp_path):
    X, y = _problem(3, n=30, shift=1.0)
    cache, marker = tmp_path / "cache", tmp_path / "code-ran"
    kw = dict(outer_cv=3, n_repeats=1, cache_dir=cache, verbose=0)
    first = nested_cross_validate(LogisticRegression(), X, y, **kw)
    names = sorted(os.listdir(cache))
    assert len(names) == 3
    for name in names:  # every entry replaced by a pickle that runs code when loaded
        for suffix in (".joblib", ".npz", ".pkl"):
            stem = name.rsplit(".", 1)[0]
            (cache / f"{stem}{suffix}").write_bytes(pickle.dumps(Planted(str(marker))))
    with pytest.warns(UserWarning, match="unreadable fold cache file"):
        again = nested_cross_validate(LogisticRegression(), X, y, **kw)
    assert not marker.exists()
    assert not again.folds["from_cache"].any()  # refitted, not read
    np.testing.assert_array_equal(again.folds["mcc"], first.folds["mcc"])
    # ... and the refitted folds replaced the planted files
    assert nested_cross_validate(LogisticRegression(), X, y, **kw).folds["from_cache"].all()


def test_fold_cache_keeps_types_of_best_params(tmp_path):
    X, y = _problem(4, n=30, shift=1.0)
    kw = dict(outer_cv=3, n_repeats=1, cache_dir=tmp_path, verbose=0,
              param_grid={"C": [0.1, 1], "fit_intercept": [True, False]})
    first = nested_cross_validate(LogisticRegression(), X, y, **kw)
    again = nested_cross_validate(LogisticRegression(), X, y, **kw)
    assert again.folds["from_cache"].all()
    assert again.folds["best_params"].tolist() == first.folds["best_params"].tolist()
    assert all(type(p["C"]) is float and type(p["fit_intercept"]) is bool
               for p in again.folds["best_params"])


def _tiny(random_state):
    cfg = BrainLMConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, timepoint_patching_size=10, conv_kernel_size=3)
    return BrainLM(cfg, with_decoder=False, random_state=random_state)


def test_new_weights_at_the_same_path_refit_the_folds(tmp_path):
    rng = np.random.default_rng(0)
    n, regions = 18, 4
    X = MultimodalData(ts=rng.standard_normal((n, 20, regions)).astype(np.float32),
                       xyz=np.broadcast_to(rng.uniform(-50, 50, (regions, 3)),
                                           (n, regions, 3)).copy())
    y = np.repeat([0, 1], n // 2)
    weights = tmp_path / "brainlm"
    _tiny(0).save_pretrained(weights)
    clf = FMMTCClassifier(foundation_model=str(weights), modalities=("ts",), max_epochs=2,
                          train_split=None, verbose=0, random_state=0)
    kw = dict(outer_cv=3, n_repeats=1, cache_dir=tmp_path / "cache", verbose=0)
    nested_cross_validate(clf, X, y, **kw)
    assert nested_cross_validate(clf, X, y, **kw).folds["from_cache"].all()
    _tiny(1).save_pretrained(weights)  # other weights, same path and name
    assert not nested_cross_validate(clf, X, y, **kw).folds["from_cache"].any()


def _read_offset(X, path=None):
    return X + float(open(path).read())


def test_a_file_named_by_a_parameter_is_keyed_by_content(tmp_path):
    X, y = _problem(5, n=30, shift=1.0)
    path = tmp_path / "offset.txt"
    path.write_text("0")
    est = make_pipeline(FunctionTransformer(_read_offset, kw_args={"path": str(path)}),
                        LogisticRegression())
    kw = dict(outer_cv=3, n_repeats=1, cache_dir=tmp_path / "cache", verbose=0)
    nested_cross_validate(est, X, y, **kw)
    assert nested_cross_validate(est, X, y, **kw).folds["from_cache"].all()
    path.write_text("3")
    assert not nested_cross_validate(est, X, y, **kw).folds["from_cache"].any()


@pytest.mark.parametrize("make", ["file", "under_a_file"])
def test_unusable_cache_dir_is_refused_naming_it(tmp_path, make):
    X, y = _problem(6, n=30, shift=1.0)
    (tmp_path / "plain").write_text("")
    if make == "file":
        target, match = tmp_path / "plain", "'cache_dir' must be a folder"
    else:
        target, match = tmp_path / "plain" / "cache", "cannot create 'cache_dir'"
    with pytest.raises(OSError, match=match) as info:
        nested_cross_validate(LogisticRegression(), X, y, outer_cv=3, n_repeats=1,
                              cache_dir=target, verbose=0)
    assert str(target) in str(info.value)


def test_fold_cache_files_follow_the_umask(tmp_path):
    X, y = _problem(7, n=30, shift=1.0)
    previous = os.umask(0o027)
    try:
        nested_cross_validate(LogisticRegression(), X, y, outer_cv=3, n_repeats=1,
                              cache_dir=tmp_path / "cache", verbose=0)
    finally:
        os.umask(previous)
    modes = {(tmp_path / "cache" / name).stat().st_mode & 0o777
             for name in os.listdir(tmp_path / "cache")}
    assert modes == {0o640}  # group-readable as the umask allows (mkstemp alone gives 0600)


def _fitter_v1(estimator, X_train, y_train, X_test, y_test=None):
    estimator.fit(X_train, y_train)
    return estimator.predict(X_test), estimator.predict_proba(X_test)


def _fitter_v2(estimator, X_train, y_train, X_test, y_test=None):
    estimator.fit(X_train[:, :1], y_train)  # an edit of the fitter's body
    return estimator.predict(X_test[:, :1]), estimator.predict_proba(X_test[:, :1])


def test_an_edited_function_refits(tmp_path):
    X, y = _problem(8, n=30, shift=1.0)
    kw = dict(outer_cv=3, n_repeats=1, cache_dir=tmp_path, verbose=0)
    nested_cross_validate(LogisticRegression(), X, y, fold_fitter=_fitter_v1, **kw)
    # Same module and name, another body (as after editing the file between two runs).
    _fitter_v2.__qualname__ = _fitter_v1.__qualname__
    res = nested_cross_validate(LogisticRegression(), X, y, fold_fitter=_fitter_v2, **kw)
    assert not res.folds["from_cache"].any()
    assert nested_cross_validate(LogisticRegression(), X, y, fold_fitter=_fitter_v1,
                                 **kw).folds["from_cache"].all()


@pytest.mark.parametrize("n_pred", [2, 40])
def test_fold_entry_with_wrong_number_of_predictions_is_refitted_with_a_warning(tmp_path, n_pred):
    """docs/evaluation.md: an unusable entry is refitted with a warning, not an abort."""
    import json

    X, y = _problem(5, n=30, shift=1.0)
    cache = tmp_path / "cache"
    kw = dict(outer_cv=3, n_repeats=1, cache_dir=cache, verbose=0)
    first = nested_cross_validate(LogisticRegression(), X, y, **kw)
    victim = sorted(cache.glob("fold-*.npz"))[0]
    with np.load(victim, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["y_pred"] = arrays["y_pred"][:1].repeat(n_pred)  # right key, wrong length
    arrays.pop("y_score", None)
    np.savez(victim, **arrays)
    assert json.loads(str(np.load(victim)["meta"]))["key"]  # still the right key
    with pytest.warns(UserWarning, match=f"y_pred holds {n_pred} predictions"):
        again = nested_cross_validate(LogisticRegression(), X, y, **kw)
    assert again.folds["from_cache"].tolist().count(False) == 1
    np.testing.assert_array_equal(again.folds["mcc"], first.folds["mcc"])  # same process
    assert nested_cross_validate(LogisticRegression(), X, y, **kw).folds["from_cache"].all()


def test_fold_entry_with_scores_of_the_wrong_shape_is_refitted_with_a_warning(tmp_path):
    X, y = _problem(6, n=30, shift=1.0)
    cache = tmp_path / "cache"
    kw = dict(outer_cv=3, n_repeats=1, cache_dir=cache, verbose=0)
    first = nested_cross_validate(LogisticRegression(), X, y, **kw)
    victim = sorted(cache.glob("fold-*.npz"))[1]
    with np.load(victim, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    # three score columns for a two-class model: unusable, as it would be from a fresh fit
    arrays["y_score"] = np.tile(arrays["y_score"].reshape(len(arrays["y_pred"]), -1)[:, :1],
                                (1, 3))
    np.savez(victim, **arrays)
    with pytest.warns(UserWarning, match="unusable fold cache entry of outer fold"):
        again = nested_cross_validate(LogisticRegression(), X, y, **kw)
    assert again.folds["from_cache"].tolist().count(False) == 1
    # the refitted fold: the same fit again, equal to rounding (scores, not labels)
    np.testing.assert_allclose(again.folds["auroc"], first.folds["auroc"], rtol=0, atol=1e-9)
    assert nested_cross_validate(LogisticRegression(), X, y, **kw).folds["from_cache"].all()


_WEIGHTS = {"version": 1}


class _Versioned(LogisticRegression):
    """An estimator naming an outside resource, described by content through the hook."""

    def content_params(self):
        return {**self.get_params(deep=False), "resource": _WEIGHTS["version"]}


def test_any_estimator_defining_content_params_is_keyed_by_it(tmp_path, monkeypatch):
    X, y = _problem(6, n=30, shift=1.0)
    kw = dict(outer_cv=3, n_repeats=1, cache_dir=tmp_path / "cache", verbose=0)
    monkeypatch.setitem(_WEIGHTS, "version", 1)
    nested_cross_validate(_Versioned(), X, y, **kw)
    assert nested_cross_validate(_Versioned(), X, y, **kw).folds["from_cache"].all()
    monkeypatch.setitem(_WEIGHTS, "version", 2)  # same parameters, other content
    assert not nested_cross_validate(_Versioned(), X, y, **kw).folds["from_cache"].any()
