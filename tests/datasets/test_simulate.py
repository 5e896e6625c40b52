"""Tests of the simulated pain cohort and pretraining corpus (skfmm.datasets.simulate)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import (
    GridSearchCV, KFold, RepeatedStratifiedKFold, StratifiedKFold, cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skfmm.datasets import make_pain_cohort, make_pretraining_corpus
from skfmm.datasets.simulate import make_parcel_layout

# Facts of OpenNeuro ds000208 (specs): 56 patients; study 1: 17 (8 responders / 9 not, all
# placebo); study 2: 39, placebo 10 / 10, duloxetine 8 / 11; 26 / 30 overall; 30 F / 26 M.
DS000208_CELLS = {
    (1, "placebo", 1): 8, (1, "placebo", 0): 9,
    (2, "placebo", 1): 10, (2, "placebo", 0): 10,
    (2, "duloxetine", 1): 8, (2, "duloxetine", 0): 11,
}


def correlation_features(timeseries):
    feats = []
    for ts in timeseries:
        r = np.corrcoef(ts.T)
        feats.append(np.arctanh(r[np.triu_indices_from(r, k=1)]))
    return np.asarray(feats)


def lag1_autocorrelation(timeseries):
    feats = []
    for ts in timeseries:
        x = ts - ts.mean(axis=0)
        feats.append((x[1:] * x[:-1]).sum(axis=0) / (x * x).sum(axis=0))
    return np.asarray(feats)


def nested_cv_auroc(features, y):
    """Mean AUROC of logistic regression, C chosen by inner CV, outer repeated stratified CV."""
    model = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        {"logisticregression__C": [0.003, 0.03, 0.3]},
        cv=StratifiedKFold(3),
        scoring="roc_auc",
    )
    outer = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0)
    # Small problems: BLAS threads only oversubscribe the shared CPUs.
    with threadpool_limits(limits=1, user_api="blas"):
        return cross_val_score(model, features, y, cv=outer, scoring="roc_auc").mean()


@pytest.fixture(scope="module")
def default_cohort():
    return make_pain_cohort(random_state=0)


def test_default_cohort_mirrors_ds000208(default_cohort):
    c = default_cohort
    meta = c.metadata
    assert list(meta.columns) == [
        "participant_id", "type", "study", "gender", "Age", "Drug", "Response",
    ]
    assert len(meta) == 56 and len(c.timeseries) == 56
    assert meta["participant_id"].iloc[0] == "sub-21"
    assert meta["participant_id"].iloc[-1] == "sub-76"
    assert set(meta["type"]) == {"patient"}
    cells = meta.groupby(["study", "Drug", "Response"]).size().to_dict()
    assert cells == DS000208_CELLS
    assert (meta["gender"] == "female").sum() == 30
    assert (meta["gender"] == "male").sum() == 26
    assert 55 < meta["Age"].mean() < 61
    # Two rows checked against the real table: sub-22 female 57 responder, sub-76 male 64.
    row = meta.set_index("participant_id")
    assert tuple(row.loc["sub-22", ["gender", "Age", "Response"]]) == ("female", 57, 1)
    assert tuple(row.loc["sub-76", ["gender", "Age", "Drug"]]) == ("male", 64, "duloxetine")
    np.testing.assert_array_equal(c.y, meta["Response"].to_numpy())
    assert c.y.dtype.kind == "i" and set(c.y) == {0, 1}


def test_default_cohort_shapes_and_bold_like_amplitude(default_cohort):
    c = default_cohort
    assert all(ts.shape == (220, 100) for ts in c.timeseries)
    assert c.coords.shape == (100, 3)
    assert c.t_r == 2.5
    stacked = np.stack(c.timeseries)
    assert np.all(np.isfinite(stacked))
    means = stacked.mean(axis=1)
    assert 200 < means.min() and means.max() < 1500  # raw-BOLD-like baseline
    pct = (stacked.std(axis=1) / means).mean()
    assert 0.003 < pct < 0.03  # fluctuations of about 1 %
    assert c.confounds is None


def test_coords_inside_brain_and_two_hemispheres(default_cohort):
    coords = default_cohort.coords
    assert np.all(np.abs(coords[:, 0]) <= 72)
    assert np.all((coords[:, 1] > -110) & (coords[:, 1] < 75))
    assert np.all((coords[:, 2] > -50) & (coords[:, 2] < 85))
    assert (coords[:, 0] < 0).sum() == 50 and (coords[:, 0] > 0).sum() == 50
    # Left hemisphere mirrors the right one.
    np.testing.assert_allclose(coords[:50, 0], -coords[50:, 0])


def test_modular_structure_visible_in_correlations(default_cohort):
    c = default_cohort
    r = np.mean([np.corrcoef(ts.T) for ts in c.timeseries], axis=0)
    same = c.modules[:, None] == c.modules[None]
    off_diagonal = ~np.eye(len(r), dtype=bool)
    within = r[same & off_diagonal].mean()
    between = r[~same].mean()
    assert within > between + 0.05


def test_effect_regions(default_cohort):
    c = default_cohort
    assert len(c.fc_effect_regions) == 8 and len(c.ts_effect_regions) == 8
    assert not set(c.fc_effect_regions) & set(c.ts_effect_regions)
    np.testing.assert_array_equal(
        c.effect_regions, np.union1d(c.fc_effect_regions, c.ts_effect_regions)
    )
    null = make_pain_cohort(10, n_regions=20, n_timepoints=30, fc_effect=0, ts_effect=0)
    assert null.effect_regions.size == 0
    only_ts = make_pain_cohort(10, n_regions=20, n_timepoints=30, fc_effect=0, ts_effect=1)
    np.testing.assert_array_equal(only_ts.effect_regions, only_ts.ts_effect_regions)
    assert "simulated" in c.description.lower()


def test_determinism_and_paired_noise():
    a = make_pain_cohort(12, n_regions=20, n_timepoints=40, random_state=3)
    b = make_pain_cohort(12, n_regions=20, n_timepoints=40, random_state=3)
    for x, z in zip(a.timeseries, b.timeseries):
        np.testing.assert_array_equal(x, z)
    pd.testing.assert_frame_equal(a.metadata, b.metadata)
    other = make_pain_cohort(12, n_regions=20, n_timepoints=40, random_state=4)
    assert not np.allclose(a.timeseries[0], other.timeseries[0])
    # Knobs change responders only; non-responders keep exactly the same data.
    null = make_pain_cohort(
        12, n_regions=20, n_timepoints=40, fc_effect=0, ts_effect=0, random_state=3
    )
    for x, z, label in zip(a.timeseries, null.timeseries, a.y):
        if label == 0:
            np.testing.assert_allclose(x, z)
        else:
            assert not np.allclose(x, z)


def test_other_subject_counts_are_proportional():
    c = make_pain_cohort(28, n_regions=16, n_timepoints=20)
    assert len(c.metadata) == 28 and c.metadata["participant_id"].is_unique
    assert c.y.sum() == 13  # 28 * 26 / 56
    assert set(c.metadata["study"]) == {1, 2}
    assert set(c.metadata.loc[c.metadata["study"] == 1, "Drug"]) == {"placebo"}
    small = make_pain_cohort(2, n_regions=16, n_timepoints=20)
    assert sorted(small.y) == [0, 1]


def test_vary_length_and_confounds():
    c = make_pain_cohort(
        10, n_regions=16, n_timepoints=60, vary_length=(40, 60), confounds=True
    )
    lengths = [ts.shape[0] for ts in c.timeseries]
    assert min(lengths) >= 40 and max(lengths) <= 60 and len(set(lengths)) > 1
    assert [m.shape for m in c.confounds] == [(n, 6) for n in lengths]
    assert c.confound_names == ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    # The motion artefact is in the signal: regressing the motion out lowers the variance.
    ts, motion = c.timeseries[0], c.confounds[0]
    design = np.column_stack([np.ones(len(motion)), motion])
    resid = ts - design @ np.linalg.lstsq(design, ts, rcond=None)[0]
    clean = make_pain_cohort(10, n_regions=16, n_timepoints=60, vary_length=(40, 60))
    clean_resid = clean.timeseries[0] - clean.timeseries[0].mean(axis=0)
    assert np.mean(ts.var(axis=0) / resid.var(axis=0)) > 1.1
    ratio_clean = clean.timeseries[0].var(axis=0) / clean_resid.var(axis=0)
    np.testing.assert_allclose(ratio_clean, 1.0)
    k = make_pain_cohort(6, n_regions=16, n_timepoints=50, vary_length=5)
    assert all(45 <= ts.shape[0] <= 50 for ts in k.timeseries)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"fc_effect": 1.5}, "fc_effect"),
        ({"ts_effect": -0.1}, "ts_effect"),
        ({"fc_effect": "big"}, "fc_effect"),
        ({"n_regions": 3}, "n_regions"),
        ({"n_timepoints": 5}, "n_timepoints"),
        ({"n_subjects": 1}, "n_subjects"),
        ({"n_effect_regions": 20}, "n_effect_regions"),
        ({"t_r": 0}, "t_r"),
        ({"vary_length": (5, 300)}, "vary_length"),
        ({"random_state": "seed"}, "random_state"),
        ({"confounds": "yes"}, "confounds"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    params = {"n_subjects": 4, "n_regions": 20, "n_timepoints": 30}
    params.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        make_pain_cohort(**params)


def test_fc_effect_is_found_by_correlation_connectomes():
    c = make_pain_cohort(fc_effect=1.0, ts_effect=0.0, random_state=0)
    assert nested_cv_auroc(correlation_features(c.timeseries), c.y) > 0.8


def test_ts_effect_found_by_temporal_features_missed_by_correlation():
    c = make_pain_cohort(fc_effect=0.0, ts_effect=1.0, random_state=0)
    temporal = nested_cv_auroc(lag1_autocorrelation(c.timeseries), c.y)
    connectome = nested_cv_auroc(correlation_features(c.timeseries), c.y)
    assert temporal > 0.85
    assert connectome < 0.7
    assert temporal - connectome > 0.2


@pytest.mark.slow
def test_null_cohort_is_at_chance():
    # 112 subjects halve the spread of the AUROC under the null.
    c = make_pain_cohort(112, n_regions=50, fc_effect=0.0, ts_effect=0.0, random_state=1)
    assert abs(nested_cv_auroc(correlation_features(c.timeseries), c.y) - 0.5) < 0.15
    assert abs(nested_cv_auroc(lag1_autocorrelation(c.timeseries), c.y) - 0.5) < 0.15


def test_pretraining_corpus_shares_layout_and_exposes_parameters():
    corpus = make_pretraining_corpus(60, n_regions=40, n_timepoints=120, random_state=0)
    cohort = make_pain_cohort(6, n_regions=40, n_timepoints=30, random_state=5)
    np.testing.assert_array_equal(corpus.coords, cohort.coords)
    np.testing.assert_array_equal(corpus.coords, make_parcel_layout(40).coords)
    assert len(corpus.timeseries) == 60 and corpus.timeseries[0].shape == (120, 40)
    assert corpus.t_r == 2.5
    assert {"coupling", "timescale", "noise_level"} <= set(corpus.params.columns)
    assert len(corpus.params) == 60
    # Wider ranges than the cohort's.
    assert corpus.params["timescale"].max() / corpus.params["timescale"].min() > 5
    # Linear probes recover generator parameters: the strength of the shared network
    # fluctuations from the connectome, the measurement-noise level from lag-1
    # autocorrelations.
    cv = KFold(5, shuffle=True, random_state=0)
    probe = RidgeCV(alphas=np.logspace(-2, 4, 13))
    for features, name in (
        (correlation_features(corpus.timeseries), "network_weight"),
        (lag1_autocorrelation(corpus.timeseries), "noise_level"),
    ):
        target = corpus.params[name].to_numpy()
        with threadpool_limits(limits=1, user_api="blas"):
            pred = cross_val_predict(probe, features, target, cv=cv)
        assert np.corrcoef(pred, target)[0, 1] > 0.6, name
    again = make_pretraining_corpus(60, n_regions=40, n_timepoints=120, random_state=0)
    np.testing.assert_array_equal(again.timeseries[7], corpus.timeseries[7])


def test_pretraining_corpus_network_fluctuations_follow_modules():
    # The shared fluctuations make parcels of one module co-fluctuate, more so the larger a
    # subject's network_weight; parcels of different modules share only the global part.
    corpus = make_pretraining_corpus(40, n_regions=40, n_timepoints=200, random_state=3)
    w = corpus.params["network_weight"].to_numpy()
    assert 0.3 <= w.min() and w.max() <= 0.7
    same = corpus.modules[:, None] == corpus.modules[None]
    off = ~np.eye(len(same), dtype=bool)
    within, between = [], []
    for ts in corpus.timeseries:
        r = np.corrcoef(ts.T)
        within.append(r[same & off].mean())
        between.append(r[~same].mean())
    within, between = np.array(within), np.array(between)
    assert np.all(within > between)
    assert np.corrcoef(within, w)[0, 1] > 0.7
    # Expected within-module correlation for weight w: w (module + global) on top of the
    # network model's own small correlations, so at least 0.6 * w on average.
    assert np.mean(within / w) > 0.6


def test_pain_cohort_pinned_values():
    # The evaluation cohort must not move when the pretraining corpus's generator gains
    # options: these values were computed before make_pretraining_corpus had param_ranges
    # and timescale_jitter.
    c = make_pain_cohort(8, n_regions=16, n_timepoints=30, random_state=0)
    a = np.stack(c.timeseries)
    np.testing.assert_allclose(
        a[0, :3, :3],
        [[937.66056116, 738.13198832, 946.25163668],
         [946.93548902, 737.10403659, 933.72340655],
         [950.29471076, 745.57004578, 940.76069886]], rtol=1e-8)
    np.testing.assert_allclose(a.sum(), 2490416.939916469, rtol=1e-10)
    np.testing.assert_allclose(
        a[:, -1, -1], [749.2003998, 552.94143209, 630.30774511, 636.40274547, 481.74717583,
                       474.72631286, 477.60726184, 763.93510274], rtol=1e-8)
    np.testing.assert_array_equal(c.y, [1, 0, 1, 0, 0, 1, 1, 0])


def test_pretraining_corpus_param_ranges_and_timescale_jitter():
    kw = dict(n_regions=16, n_timepoints=30, random_state=0)
    base = make_pretraining_corpus(4, **kw)
    # Pinned before the options existed: the defaults give the same corpus.
    np.testing.assert_allclose(np.stack(base.timeseries).sum(), 1211711.7518613008, rtol=1e-10)
    same = make_pretraining_corpus(
        4, param_ranges={"timescale": (0.5, 12.0), "network_weight": (0.3, 0.7)},
        timescale_jitter=0.15, **kw)
    np.testing.assert_array_equal(np.stack(same.timeseries), np.stack(base.timeseries))
    ranges = {"local_weight": (0.6, 0.9), "network_weight": (0.1, 0.2), "timescale": (8.0, 20.0)}
    wide = make_pretraining_corpus(40, param_ranges=ranges, n_regions=16, n_timepoints=30,
                                   random_state=0)
    for name, (low, high) in ranges.items():
        assert low <= wide.params[name].min() and wide.params[name].max() <= high, name
    # Slower, larger local fluctuations: a higher lag-1 autocorrelation than the defaults'.
    slow = lag1_autocorrelation(wide.timeseries).mean()
    fast = make_pretraining_corpus(
        40, param_ranges={"local_weight": (0.6, 0.9), "network_weight": (0.1, 0.2),
                          "timescale": (0.5, 1.0)}, n_regions=16, n_timepoints=30,
        random_state=0)
    assert slow > lag1_autocorrelation(fast.timeseries).mean() + 0.05
    # Independent per-parcel timescales spread the parcels' autocorrelations.
    spread = [lag1_autocorrelation(make_pretraining_corpus(
        20, timescale_jitter=j, n_regions=16, n_timepoints=200, random_state=0,
        param_ranges={"local_weight": (0.8, 0.9), "network_weight": (0.1, 0.15)},
    ).timeseries).std(axis=1).mean() for j in (0.0, 1.0)]
    assert spread[1] > spread[0]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"param_ranges": {"speed": (1, 2)}}, "param_ranges"),
        ({"param_ranges": {"local_weight": (0.5, 1.2)}}, "local_weight"),
        ({"param_ranges": {"timescale": (5.0, 1.0)}}, "timescale"),
        ({"param_ranges": {"timescale": 3.0}}, "timescale"),
        ({"param_ranges": [("timescale", (1, 2))]}, "param_ranges"),
        ({"timescale_jitter": -0.1}, "timescale_jitter"),
    ],
)
def test_pretraining_corpus_bad_options(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_pretraining_corpus(2, n_regions=16, n_timepoints=30, **kwargs)
