"""The model zoo: every baseline fits the extractor's container, predicts, and is deterministic."""

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

import skfmm.baselines
from skfmm import FMMTCClassifier
from skfmm.benchmark import zoo as zoo_module
from skfmm.benchmark.zoo import (
    BASELINE_NAMES,
    DEEP_MODELS,
    EXTENDED_NAMES,
    ChanceClassifier,
    make_baselines,
)
from skfmm.evaluation import nested_cross_validate, summarize


def _scores(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.decision_function(X)


def test_zoo_names_and_grids(tiny_fm):
    assert tuple(make_baselines(tiny_fm, size="quick")) == BASELINE_NAMES
    zoo = make_baselines(tiny_fm, size="quick", models=BASELINE_NAMES + EXTENDED_NAMES)
    assert tuple(zoo) == BASELINE_NAMES + EXTENDED_NAMES
    for name, (estimator, grid) in zoo.items():
        assert isinstance(estimator, Pipeline)
        if grid is not None:
            # Every grid key addresses a real parameter of the pipeline.
            assert set(grid) <= set(estimator.get_params())
    # The deep models are the FMMTCClassifier variants described in the design.
    final = {n: zoo[n][0].steps[-1][1] for n in DEEP_MODELS}
    assert all(isinstance(m, FMMTCClassifier) for m in final.values())
    assert final["fc_only"].modalities == ("fc",)
    assert final["ts_only_fm"].modalities == ("ts",)
    assert final["multimodal_no_fm"].foundation_model is None
    assert final["fmm_tc"].modalities == ("ts", "fc")
    assert final["fmm_tc"].foundation_model == tiny_fm
    # The hand-made temporal features: alone, and as FMM_TC's covariates beside the
    # connectivity encoder with no foundation model.
    from skfmm import TemporalFeatures

    temporal = zoo["temporal_logreg"][0]
    assert isinstance(temporal.steps[0][1], TemporalFeatures)
    assert final["multimodal_temporal"].foundation_model is None
    assert final["multimodal_temporal"].modalities == ("fc",)
    first = zoo["multimodal_temporal"][0].steps[0][1]
    assert isinstance(first, TemporalFeatures) and first.output == "multimodal"
    # Region-level foundation-model features, and their random-weight controls.
    for name in ("ts_only_fm_parcel", "fmm_tc_parcel", "ts_only_random_fm_parcel",
                 "fmm_tc_random_fm_parcel"):
        assert final[name].pooling == "parcel" and final[name].standardize_embedding
    assert final["ts_only_fm_parcel"].modalities == ("ts",)
    assert final["fmm_tc_parcel"].modalities == ("ts", "fc")
    assert final["fmm_tc_parcel"].foundation_model == tiny_fm
    assert final["fmm_tc"].pooling == "cls"  # the paper's models keep the CLS
    # "full" is the paper's setting.
    full = make_baselines(tiny_fm, size="full", models=["fmm_tc"])["fmm_tc"][0].steps[-1][1]
    assert (full.fc_encoder, full.max_epochs, full.batch_size, full.lr) == (
        "resnet18", 100, 8, 5e-4)


def test_random_weight_controls_share_the_architecture_not_the_weights(tiny_fm):
    from skfmm.foundation import BrainLM, load_foundation_model

    fm = load_foundation_model(tiny_fm)
    zoo = make_baselines(tiny_fm, size="quick", random_state=3,
                         models=["ts_only_random_fm", "fmm_tc_random_fm"])
    again = make_baselines(tiny_fm, size="quick", random_state=3, models=["fmm_tc_random_fm"])
    other = make_baselines(tiny_fm, size="quick", random_state=4, models=["fmm_tc_random_fm"])
    ts_only = zoo["ts_only_random_fm"][0].steps[-1][1]
    full = zoo["fmm_tc_random_fm"][0].steps[-1][1]
    assert ts_only.modalities == ("ts",) and full.modalities == ("ts", "fc")
    control = full.foundation_model
    assert isinstance(control, BrainLM) and control.config.to_dict() == fm.config.to_dict()
    assert control.fingerprint() != fm.fingerprint()  # random, not the pretrained weights
    assert control.fingerprint() == again["fmm_tc_random_fm"][0].steps[-1][1] \
        .foundation_model.fingerprint()  # seeded by random_state
    assert control.fingerprint() != other["fmm_tc_random_fm"][0].steps[-1][1] \
        .foundation_model.fingerprint()
    with pytest.raises(ValueError, match=r"\['fmm_tc_random_fm'\] need a foundation model"):
        make_baselines(None, models=["fmm_tc_random_fm"])
    # The parcel-pooled control: same architecture, the same seeded random weights.
    parcel = make_baselines(tiny_fm, size="quick", random_state=3,
                            models=["ts_only_random_fm_parcel"])["ts_only_random_fm_parcel"]
    parcel_fm = parcel[0].steps[-1][1].foundation_model
    assert parcel_fm.fingerprint() == control.fingerprint()


@pytest.mark.parametrize("name", BASELINE_NAMES + EXTENDED_NAMES)
def test_each_baseline_fits_predicts_and_is_deterministic(name, cohort, tiny_fm):
    X, y = cohort
    train, test = np.arange(18), np.arange(18, 24)
    outputs = []
    for _ in range(2):
        estimator, _ = make_baselines(tiny_fm, size="quick", random_state=3, models=[name])[name]
        estimator.fit(X[train], y[train])
        pred = estimator.predict(X[test])
        outputs.append((pred, np.asarray(_scores(estimator, X[test]))))
    (p1, s1), (p2, s2) = outputs
    assert p1.shape == (6,) and set(p1) <= set(y)
    assert len(s1) == 6 and np.all(np.isfinite(s1))
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(s1, s2)


def test_chance_interval_covers_zero_on_null_cohort(null_cohort):
    X, y = null_cohort
    estimator, grid = make_baselines(None, models=["chance"])["chance"]
    res = nested_cross_validate(estimator, X, y, param_grid=grid, n_repeats=2, verbose=0)
    mcc = summarize(res, metrics=["mcc"], n_boot=500).iloc[0]
    assert mcc["ci_low"] <= 0.0 <= mcc["ci_high"]
    # Both classes are predicted (not a constant), and a subject's guess does not depend on
    # the fold it falls in: the two repeats put subjects in different folds.
    preds = res.predictions
    assert set(preds["y_pred"]) == {0, 1}
    by_repeat = preds.pivot(index="sample", columns="repeat", values="y_pred")
    np.testing.assert_array_equal(by_repeat[0], by_repeat[1])


def test_chance_classifier_rates_and_row_independence():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 3))
    y = np.array(["a"] * 3000 + ["b"] * 1000)
    clf = ChanceClassifier(random_state=0).fit(X, y)
    pred = clf.predict(X)
    assert abs(np.mean(pred == "b") - 0.25) < 0.03
    # The same rows in another order and company get the same guesses.
    perm = rng.permutation(4000)[:50]
    np.testing.assert_array_equal(clf.predict(X[perm]), pred[perm])
    # Another seed gives other guesses.
    assert np.mean(ChanceClassifier(random_state=1).fit(X, y).predict(X) != pred) > 0.2


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="'size'"):
        make_baselines(None, size="huge", models=["chance"])
    with pytest.raises(ValueError, match="'models'"):
        make_baselines(None, models=["resnet"])
    with pytest.raises(ValueError, match="need a foundation model"):
        make_baselines(None, models=["fmm_tc"])
    with pytest.raises(ValueError, match="'random_state'"):
        make_baselines(None, random_state=None, models=["chance"])
    with pytest.raises(ValueError, match="'fc_encoder'"):
        make_baselines(None, fc_encoder="vgg", models=["chance"])


def test_old_home_still_imports_the_public_names_with_a_deprecation_warning():
    from skfmm.benchmark import protocol

    for name in skfmm.baselines.__all__:
        new_home = protocol if name == "authors_protocol_fit_predict" else zoo_module
        with pytest.warns(FutureWarning, match=rf"skfmm\.baselines\.{name} is deprecated.*"
                                               rf"from {new_home.__name__} import {name}"):
            assert getattr(skfmm.baselines, name) is getattr(new_home, name)
    with pytest.warns(FutureWarning, match="skfmm.benchmark.zoo"):
        from skfmm.baselines import make_baselines
    assert make_baselines is zoo_module.make_baselines
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        skfmm.baselines.nothing  # noqa: B018


@pytest.mark.parametrize("name", ["chance", "corr_logreg", "tangent_logreg", "corr_svm",
                                  "temporal_logreg"])
def test_zoo_models_take_three_classes(name, cohort):
    X, _ = cohort
    y = np.array(["x", "y", "z"] * 8)
    rng = np.random.default_rng(0)
    # A planted 3-class connectivity difference: region pairs (0,1), (2,3), (4,5).
    ts = np.array(X["ts"], dtype=np.float64)
    for i, label in enumerate(y):
        a = {"x": 0, "y": 2, "z": 4}[label]
        ts[i, :, a + 1] = ts[i, :, a] + 0.3 * rng.standard_normal(ts.shape[1])
    X = type(X)(ts=ts.astype(np.float32), xyz=X["xyz"], t_r=X["t_r"])
    if name == "temporal_logreg":  # a planted 3-class difference of lag-1 autocorrelation
        ts = rng.standard_normal(ts.shape)
        for i, label in enumerate(y):
            phi = {"x": 0.0, "y": 0.5, "z": 0.9}[label]
            for t in range(1, ts.shape[1]):
                ts[i, t] = phi * ts[i, t - 1] + ts[i, t]
        X = type(X)(ts=ts.astype(np.float32), xyz=X["xyz"], t_r=X["t_r"])
    estimator, _ = make_baselines(None, size="quick", models=[name])[name]
    estimator.fit(X, y)
    assert list(estimator.classes_) == ["x", "y", "z"]
    pred = estimator.predict(X)
    assert set(pred) <= {"x", "y", "z"}
    if name != "chance":  # the models learn the three classes on their training data
        assert np.mean(pred == y) > 0.9


def test_nested_cross_validate_refuses_three_classes_up_front(cohort):
    X, _ = cohort
    estimator, _ = make_baselines(None, models=["corr_logreg"])["corr_logreg"]
    with pytest.raises(ValueError, match="binary classification.*got 3"):
        nested_cross_validate(estimator, X, np.array([0, 1, 2] * 8), verbose=0)


def test_multimodal_temporal_feeds_the_temporal_features_to_the_covariates_branch(cohort):
    X, y = cohort
    estimator, _ = make_baselines(None, size="quick", models=["multimodal_temporal"])[
        "multimodal_temporal"]
    estimator.fit(X, y)
    clf = estimator.steps[-1][1]
    n_regions = X["ts"].shape[2]
    # ALFF, fALFF, 3 autocorrelations and the timescale per parcel, standardised in fit.
    assert clf.module_sizes_["n_covariates"] == 6 * n_regions
    assert clf.module_.head.in_features == 256 + 6 * n_regions  # fc_features=256 + covariates


def test_temporal_logreg_detects_a_temporal_dynamics_effect():
    from skfmm import TimeSeriesExtractor
    from skfmm.datasets import make_pain_cohort

    # Slower parcel-local fluctuations in responders (ts_effect=1): the hand-made
    # temporal features separate them, without any connectivity difference.
    cohort = make_pain_cohort(40, n_regions=16, n_timepoints=120, fc_effect=0.0,
                              ts_effect=1.0, random_state=2)
    X = TimeSeriesExtractor(window=120, coords=cohort.coords, t_r=cohort.t_r,
                            verbose=0).fit_transform(cohort.timeseries)
    estimator, grid = make_baselines(None, size="quick", models=["temporal_logreg"])[
        "temporal_logreg"]
    res = nested_cross_validate(estimator, X, cohort.y, param_grid=grid, n_repeats=1,
                                verbose=0)
    assert summarize(res, metrics=["auroc"], n_boot=200).iloc[0]["mean"] > 0.75
