"""FMMTCClassifier: skorch/sklearn citizenship, the paper's training recipe, honest epoch choice."""

import math
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import log_loss, matthews_corrcoef
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    StratifiedShuffleSplit,
    cross_validate,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from skfmm import ConnectivityExtractor, FMMTCClassifier, MultimodalData, TimeSeriesExtractor
from skfmm.benchmark.protocol import fit_authors_protocol
from skfmm.classifier import ModuleInput
from skfmm.foundation import BrainLM
from skfmm.nn.encoders import BrainNetCNN, MLPFCEncoder

from classifier_helpers import (  # noqa: F401 (cohort is a fixture)
    N_REGIONS,
    WINDOW,
    cohort,
    extractors,
    make_runs,
    small,
)


# ---------------------------------------------------------------------------- learning
def test_learns_planted_fc_signal():
    runs, y, coords = make_runs(n=48, seed=1)
    pipe = Pipeline(extractors(coords) + [("clf", small(
        modalities=("fc",), max_epochs=40, lr=2e-3, train_split=None))])
    train, test = np.arange(32), np.arange(32, 48)
    pipe.fit([runs[i] for i in train], y[train])
    accuracy = np.mean(pipe.predict([runs[i] for i in test]) == y[test])
    assert accuracy >= 0.85  # chance is 0.5; the effect is strong


def test_string_labels_classes_and_probabilities(cohort, tiny_brainlm):
    _, X, y, _ = cohort
    clf = small(tiny_brainlm).fit(X, y)
    assert list(clf.classes_) == ["non-responder", "responder"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    pred = clf.predict(X)
    assert set(pred) <= set(y)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) == np.mean(pred == y)


def test_same_random_state_same_predictions(cohort, tiny_brainlm):
    _, X, y, _ = cohort
    a = small(tiny_brainlm, random_state=3).fit(X, y).predict_proba(X)
    b = small(tiny_brainlm, random_state=3).fit(X, y).predict_proba(X)
    c = small(tiny_brainlm, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_random_state_does_not_touch_global_torch_rng(cohort):
    _, X, y, _ = cohort
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    small(modalities=("fc",), max_epochs=1).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_frozen_encoder_runs_once_per_subject(cohort, tiny_brainlm, monkeypatch):
    _, X, y, _ = cohort
    rng = np.random.default_rng(99)  # fresh content: the process-wide cache cannot know it
    X = MultimodalData(**{**X, "ts": rng.standard_normal(X["ts"].shape).astype(np.float32)})
    model = clone(tiny_brainlm, safe=False)
    rows = []
    original = BrainLM.encode

    def counting(self, signal, xyz, *args, **kwargs):
        rows.append(signal.shape[0])
        return original(self, signal, xyz, *args, **kwargs)

    monkeypatch.setattr(BrainLM, "encode", counting)
    clf = small(model, max_epochs=4).fit(X, y)
    assert sum(rows) == len(y)  # not len(y) * epochs
    clf.predict(X)
    assert sum(rows) == len(y)  # predictions reuse the cached embeddings
    prepared = clf.prepare(X)
    assert isinstance(prepared, ModuleInput) and prepared["ts_emb"].shape == (len(y), 16)


# ---------------------------------------------------------------------------- recipe
def test_defaults_follow_the_paper():
    clf = FMMTCClassifier()
    assert clf.foundation_model == "demo" and clf.fc_encoder == "resnet18"
    assert clf.modalities == ("ts", "fc") and clf.lr == 5e-4 and clf.batch_size == 8
    assert clf.max_epochs == 100 and clf.optimizer is torch.optim.AdamW
    assert clf.criterion is torch.nn.CrossEntropyLoss
    assert get_tags(clf).input_tags.dict


def test_cosine_schedule_to_eta_min(cohort):
    _, X, y, _ = cohort
    clf = small(modalities=("fc",), max_epochs=5, lr=1e-3, train_split=None).fit(X, y)
    # lr used in epoch k (0-based) of CosineAnnealingLR(T_max=5, eta_min=1e-7).
    expected = [1e-7 + (1e-3 - 1e-7) * (1 + math.cos(math.pi * k / 5)) / 2 for k in range(5)]
    assert clf.history[:, "event_lr"] == pytest.approx(expected)
    assert [g["lr"] for g in clf.optimizer_.param_groups] == pytest.approx([1e-7])


def test_fixed_epochs_without_train_split(cohort):
    _, X, y, _ = cohort
    clf = small(modalities=("fc",), max_epochs=4, train_split=None).fit(X, y)
    assert len(clf.history) == 4
    assert "valid_loss" not in clf.history[-1]
    assert "early_stopping" not in dict(clf.callbacks_)


def test_early_stopping_restores_best_validation_weights():
    runs, y, coords = make_runs(effect=0.0)  # labels unrelated to the data: overfits fast
    X = Pipeline(extractors(coords)).fit_transform(runs)
    clf = small(modalities=("fc",), max_epochs=15, lr=1e-2, train_split="validation",
                callbacks__early_stopping__patience=3).fit(X, y)
    valid_losses = clf.history[:, "valid_loss"]
    assert int(np.argmin(valid_losses)) < len(valid_losses) - 1  # restoring is needed
    # Recompute the internal split (ValidSplit(0.2, stratified, random_state=0) on codes).
    codes = (y == "responder").astype(int)
    _, valid = next(StratifiedShuffleSplit(test_size=0.2, random_state=0).split(codes, codes))
    loss = log_loss(codes[valid], clf.predict_proba(X[valid]), labels=[0, 1])
    assert loss == pytest.approx(min(valid_losses), rel=1e-4)
    # Scores inside fit compare like with like (class codes), though y holds strings.
    best = int(np.argmin(valid_losses))
    accuracy = np.mean(clf.predict(X[valid]) == y[valid])
    assert clf.history[best, "valid_acc"] == pytest.approx(accuracy)
    assert clf.history[best, "valid_mcc"] == pytest.approx(
        matthews_corrcoef(y[valid], clf.predict(X[valid])))


def test_class_weight_balanced(cohort):
    _, X, y, _ = cohort
    keep = np.r_[np.flatnonzero(y == "responder")[:4], np.flatnonzero(y != "responder")]
    clf = small(modalities=("fc",), max_epochs=1, train_split=None,
                class_weight="balanced").fit(X[keep], y[keep])
    n, n_pos = len(keep), 4
    expected = [n / (2 * (n - n_pos)), n / (2 * n_pos)]
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), expected, rtol=1e-6)


def test_covariates_standardised_with_training_statistics(cohort):
    _, X, y, _ = cohort
    rng = np.random.default_rng(5)
    cov = np.c_[rng.normal(50, 10, len(y)), rng.normal(0, 1, len(y))]
    Xc = MultimodalData(**X, covariates=cov)
    clf = small(modalities=("fc",), max_epochs=1, train_split=None).fit(Xc[:20], y[:20])
    assert clf.module_.head.in_features == 8 + 2
    np.testing.assert_allclose(clf.covariate_mean_, cov[:20].mean(axis=0))
    out = clf.prepare(Xc[20:])["covariates"]
    np.testing.assert_allclose(out, (cov[20:] - cov[:20].mean(0)) / cov[:20].std(0), rtol=1e-5)
    with pytest.raises(ValueError, match="fitted with 'covariates'"):
        clf.predict(X)


def test_from_scratch_ts_branch_without_foundation_model(cohort):
    _, X, y, _ = cohort
    clf = small(None, modalities=("ts",), max_epochs=1).fit(X, y)
    assert clf.module_.ts_input == "scratch" and clf.foundation_model_ is None
    assert clf.module_sizes_["window"] == WINDOW


# ---------------------------------------------------------------------------- sklearn
def test_grid_search_over_lr_encoder_modalities_and_module_params(cohort, tiny_brainlm):
    runs, _, y, coords = cohort
    pipe = Pipeline(extractors(coords) + [("clf", small(tiny_brainlm, max_epochs=2,
                                                         train_split=None))])
    grid = [
        {"clf__lr": [1e-3, 5e-4], "clf__module__dropout": [0.0, 0.3]},
        {"clf__fc_encoder": ["brainnetcnn"], "clf__modalities": [("fc",), ("ts", "fc")],
         "clf__module__fc_width": [4]},
    ]
    search = GridSearchCV(pipe, grid, cv=StratifiedKFold(2), scoring="accuracy").fit(runs, y)
    assert len(search.cv_results_["params"]) == 6
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # The searched values reach the network.
    for params in ({"clf__module__dropout": 0.3},
                   {"clf__fc_encoder": "brainnetcnn", "clf__modalities": ("fc",),
                    "clf__module__fc_width": 4}):
        fitted = clone(pipe).set_params(**params).fit(runs, y)[-1]
        if "clf__module__dropout" in params:
            assert fitted.module_.dropout.p == 0.3
            assert isinstance(fitted.module_.fc_encoder, MLPFCEncoder)
        else:
            assert isinstance(fitted.module_.fc_encoder, BrainNetCNN)
            assert fitted.module_.fc_encoder.e2e1.row.out_channels == 4
            assert fitted.module_.ts_input is None
    best = search.best_estimator_[-1]
    assert (best.foundation_model_ is not None) == ("ts" in best.modalities)


@pytest.mark.slow  # two worker processes importing torch: ~30 s on 2 busy cores
def test_nested_cv_with_two_jobs_is_deterministic(cohort):
    runs, _, y, coords = cohort
    pipe = Pipeline(extractors(coords) + [("clf", small(
        modalities=("fc",), max_epochs=2, train_split=None))])
    inner = GridSearchCV(pipe, {"clf__lr": [1e-3, 1e-2]}, cv=StratifiedKFold(2))
    res2 = cross_validate(inner, runs, y, cv=StratifiedKFold(2), n_jobs=2,
                          return_estimator=True)
    res1 = cross_validate(inner, runs, y, cv=StratifiedKFold(2), n_jobs=1)
    assert len(res2["test_score"]) == 2
    # Worker processes may run other thread counts: scores of the same predictions, compared
    # to rounding (atol 1e-12) rather than bit for bit (issue 21).
    np.testing.assert_allclose(res2["test_score"], res1["test_score"], rtol=0, atol=1e-12)
    assert all(est.best_estimator_[-1].initialized_ for est in res2["estimator"])


def test_clone_before_and_after_fit(cohort, tiny_brainlm):
    _, X, y, _ = cohort
    clf = small(tiny_brainlm, modalities=("ts", "fc"), class_weight="balanced",
                optimizer__weight_decay=0.1)
    params = clf.get_params(deep=False)
    c0 = clone(clf)
    clf.fit(X, y)
    c1 = clone(clf)
    for c in (c0, c1):
        assert not c.initialized_ and not hasattr(c, "module_sizes_")
        got = c.get_params(deep=False)
        assert set(got) == set(params)
        assert got["optimizer__weight_decay"] == 0.1 and got["modalities"] == ("ts", "fc")
        assert got["foundation_model"].fingerprint() == tiny_brainlm.fingerprint()
    np.testing.assert_array_equal(c1.fit(X, y).predict_proba(X), clf.predict_proba(X))
    assert clone(small("demo")).get_params()["foundation_model"] == "demo"


def test_set_params_and_did_you_mean(cohort):
    _, X, y, _ = cohort
    clf = small(modalities=("fc",)).set_params(fc_encoder="brainnetcnn", module__fc_width=3)
    assert clf.fc_encoder == "brainnetcnn"
    with pytest.raises(ValueError, match="did you mean module__dropout"):
        small(modalities=("fc",), module_dropout=0.1).fit(X, y)
    with pytest.raises(ValueError, match="unexpected argument\\(s\\) fc_encoders"):
        small(modalities=("fc",), fc_encoders="mlp").fit(X, y)


def test_pickle_and_joblib_round_trips(cohort, tiny_brainlm, tmp_path):
    _, X, y, _ = cohort
    clf = small(tiny_brainlm).fit(X, y)
    expected = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict_proba(X),
                                  expected)
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


# ---------------------------------------------------------------------------- errors
def test_drop_last_warning(cohort):
    _, X, y, _ = cohort
    clf = small(modalities=("fc",), max_epochs=1, batch_size=64, train_split=None,
                iterator_train__drop_last=True)
    with pytest.warns(UserWarning, match="drops every training batch: only 32 training"):
        clf.fit(X, y)


def test_missing_keys_are_named(cohort, tiny_brainlm):
    _, X, y, _ = cohort
    no_fc = MultimodalData(ts=X["ts"], xyz=X["xyz"])
    with pytest.raises(ValueError, match=r"\['fc'\] is missing"):
        small(tiny_brainlm).fit(no_fc, y)
    no_xyz = MultimodalData(ts=X["ts"], fc=X["fc"])
    with pytest.raises(ValueError, match=r"\['xyz'\] is missing"):
        small(tiny_brainlm).fit(no_xyz, y)
    small(None, modalities=("ts",), max_epochs=1).fit(no_xyz, y)  # from scratch: no xyz needed
    with pytest.raises(TypeError, match="MultimodalData"):
        small().fit(X["fc"], y)


def test_bad_parameters_and_inputs_are_named(cohort):
    _, X, y, _ = cohort
    with pytest.raises(ValueError, match="'modalities' must be.*'fmri'"):
        small(modalities=("fmri",)).fit(X, y)
    with pytest.raises(ValueError, match="'fc_encoder' must be one of"):
        small(fc_encoder="vit").fit(X, y)
    with pytest.raises(ValueError, match="at least two classes"):
        small(modalities=("fc",)).fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="module__n_regions=5 contradicts the data \\(8\\)"):
        small(modalities=("fc",), module__n_regions=5).fit(X, y)
    with pytest.raises(ValueError, match="too few for 2 classes"):
        small(modalities=("fc",), train_split="validation").fit(X[:4], y[:4])
    clf = small(modalities=("fc",), max_epochs=1, train_split=None).fit(X, y)
    bad = MultimodalData(fc=X["fc"][:, :5, :5])
    with pytest.raises(ValueError, match=r"'fc' in X must have shape \(n, 8, 8\)"):
        clf.predict(bad)


# ---------------------------------------------------------------------------- authors
def test_authors_protocol_picks_the_best_test_epoch(cohort):
    _, X, y, _ = cohort
    train, test = np.arange(20), np.arange(20, 32)
    est = small(modalities=("fc",), max_epochs=5, lr=1e-2)
    fitted = fit_authors_protocol(est, X[train], y[train], X[test], y[test])
    scores = fitted.history[:, "test_score"]
    selection = dict(fitted.callbacks_)["test_fold_selection"]
    assert len(scores) == 5 and selection.best_score_ == max(scores)
    assert selection.best_epoch_ == int(np.argmax(scores)) + 1
    assert matthews_corrcoef(y[test], fitted.predict(X[test])) == pytest.approx(max(scores))
    assert est.train_split == "auto" and not est.initialized_  # the template is untouched
    assert "valid_loss" not in fitted.history[-1]


def test_demo_foundation_model_default(cohort):
    """The default foundation model ("demo", shipped with the package)."""
    runs, y, coords = make_runs(n=16, seed=2)
    rng = np.random.default_rng(0)
    runs = [rng.standard_normal((200, N_REGIONS)) for _ in runs]
    X = Pipeline([("ts", TimeSeriesExtractor(coords=coords, window=200, verbose=0)),
                  ("fc", ConnectivityExtractor())]).fit_transform(runs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = FMMTCClassifier(fc_encoder="mlp", max_epochs=1, train_split=None, verbose=0,
                              random_state=0).fit(X, y)
    assert clf.module_sizes_["ts_embedding_dim"] == clf.foundation_model_.config.hidden_size
    assert clf.predict_proba(X).shape == (16, 2)


def test_fused_mean_is_the_training_mean_of_the_head_input(cohort, tiny_brainlm):
    _, X, y, _ = cohort
    clf = small(foundation_model=tiny_brainlm, train_split=None).fit(X, y)
    prepared = clf.prepare(X)
    with torch.no_grad():
        z = clf.module_.eval().features(
            **{k: torch.as_tensor(np.asarray(v)) for k, v in prepared.items()})
    assert clf.fused_mean_.shape == (clf.module_.head.in_features,)
    np.testing.assert_allclose(clf.fused_mean_, z.mean(0).numpy(), rtol=1e-4, atol=1e-5)


def test_frozen_embedding_standardised_with_training_statistics(cohort, tiny_brainlm):
    _, X, y, _ = cohort
    clf = small(foundation_model=tiny_brainlm, modalities=("ts",), train_split=None,
                max_epochs=1, standardize_embedding=True).fit(X[:20], y[:20])
    from skfmm.foundation.embedder import embed

    raw = embed(tiny_brainlm, X["ts"], X["xyz"])
    np.testing.assert_allclose(clf.embedding_mean_, raw[:20].mean(0), rtol=1e-5, atol=1e-6)
    fed = np.asarray(clf.prepare(X)["ts_emb"])
    np.testing.assert_allclose(fed[:20].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(fed[:20].std(0), 1, atol=1e-3)
    # rows outside fit use the training statistics, not their own
    np.testing.assert_allclose(fed[20:], (raw[20:] - raw[:20].mean(0)) / raw[:20].std(0),
                               rtol=1e-4, atol=1e-4)
    off = small(foundation_model=tiny_brainlm, modalities=("ts",), train_split=None,
                max_epochs=1).fit(X[:20], y[:20])  # the paper's default: raw CLS vectors
    assert off.embedding_mean_ is None
    np.testing.assert_allclose(np.asarray(off.prepare(X)["ts_emb"]), raw, rtol=1e-6)


def test_each_array_is_checked_once_per_public_call(cohort, monkeypatch):
    """The container is validated at the boundary; the layers below trust their caller."""
    import skfmm.classifier._inputs as inputs_module

    _, X, y, _ = cohort
    Xc = MultimodalData(**X, covariates=np.random.default_rng(0).normal(size=(len(y), 2)))
    seen = []
    original = inputs_module.check_float_array

    def counting(value, key, ndim):
        seen.append(key)
        return original(value, key, ndim)

    monkeypatch.setattr(inputs_module, "check_float_array", counting)
    clf = small(modalities=("ts", "fc"), max_epochs=1, train_split=None).fit(Xc, y)
    assert sorted(seen) == ["covariates", "fc", "ts"]
    seen.clear()
    clf.predict_proba(Xc)
    assert sorted(seen) == ["covariates", "fc", "ts"]
    seen.clear()
    clf.prepare(Xc, embed=False)
    assert sorted(seen) == ["covariates", "fc", "ts"]


def test_coordinates_are_checked_once_per_public_call(cohort, tiny_brainlm, monkeypatch):
    """fit embeds twice (the encoder's fit, then the training input): xyz is checked once."""
    import skfmm.foundation.embedder as embedder_module

    _, X, y, _ = cohort
    calls = []
    original = embedder_module.check_coordinates

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(embedder_module, "check_coordinates", counting)
    clf = small(foundation_model=tiny_brainlm, modalities=("ts",), max_epochs=1,
                train_split=None).fit(X, y)
    assert len(calls) == 1
    calls.clear()
    clf.predict_proba(X)
    assert len(calls) == 1


def test_coordinates_are_checked_before_the_frozen_encoder_runs(cohort, tiny_brainlm):
    """xyz reaches the embedder checked (it trusts the classifier: check_input=False)."""
    _, X, y, _ = cohort
    bad = X["xyz"].copy()
    bad[1, 0, 0] = np.nan
    clf = small(foundation_model=tiny_brainlm, modalities=("ts",), max_epochs=1,
                train_split=None)
    with pytest.raises(ValueError, match="'xyz' contains NaN or infinite values"):
        clf.fit(MultimodalData(**{**X, "xyz": bad}), y)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="'xyz' contains NaN or infinite values"):
        clf.predict_proba(MultimodalData(**{**X, "xyz": bad}))
    with pytest.raises(ValueError, match="'xyz' has 3 coordinate rows"):
        clf.predict_proba(MultimodalData(**{**X, "xyz": X["xyz"][:, :3]}))
