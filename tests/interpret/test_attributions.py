"""skfmm.interpret.attributions: integrated gradients per modality and region, group summaries."""

import numpy as np
import pandas as pd
import pytest
import torch
from interpret_data import N_REGIONS, WINDOW, make_data, small
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from skfmm import ConnectivityExtractor, FMMTCClassifier, MultimodalData, TimeSeriesExtractor
from skfmm.interpret import (
    modality_attributions,
    modality_shares_by_group,
    region_and_edge_attributions,
    region_attributions,
)


def fused_by_hand(clf, X):
    """The head's input from the module's own ``features`` (not the code under test)."""
    prepared = clf.prepare(X)
    module = clf.module_.eval()
    with torch.no_grad():
        z = module.features(**{k: torch.as_tensor(v) for k, v in prepared.items()})
    return z.numpy().astype(np.float64), module.head.weight.detach().numpy().astype(np.float64)


def block_widths(clf):
    # module__ts_features=8, module__fc_features=8, then the covariates
    return {"ts": 8, "fc": 8, "covariates": clf.module_sizes_["n_covariates"]}


# ---------------------------------------------------------------------------- modality shares
def test_shares_equal_the_exact_linear_attribution(fitted, data):
    X, _ = data
    shares = modality_attributions(fitted, X, n_steps=20)
    z, w = fused_by_hand(fitted, X)
    pred = fitted.predict_proba(X).argmax(axis=1)
    exact = np.abs(z * w[pred])  # (z - 0) * w_target
    widths = block_widths(fitted)
    edges = np.cumsum([0] + list(widths.values()))
    totals = exact.sum(axis=1)
    for k, name in enumerate(widths):
        expected = exact[:, edges[k]:edges[k + 1]].sum(axis=1) / totals
        np.testing.assert_allclose(shares[name], expected, atol=1e-4)
    np.testing.assert_allclose(shares[["ts", "fc", "covariates"]].sum(axis=1), 1.0, atol=1e-9)
    assert np.abs(shares["delta"]).max() < 1e-4
    assert list(shares["target"]) == list(fitted.predict(X))
    assert list(shares.columns) == ["ts", "fc", "covariates", "delta", "target"]
    assert shares.index.name == "subject" and list(shares.index) == list(range(len(X)))


def test_mean_baseline_is_the_training_mean_of_the_fused_representation(fitted, data):
    X, _ = data
    background = X[:12]
    shares = modality_attributions(fitted, X, target="responder", baseline="mean",
                                   background=background)
    z, w = fused_by_hand(fitted, X)
    zb, _ = fused_by_hand(fitted, background)
    exact = np.abs((z - zb.mean(axis=0)) * w[1])
    np.testing.assert_allclose(shares["ts"], exact[:, :8].sum(1) / exact.sum(1), atol=1e-4)
    assert set(shares["target"]) == {"responder"}
    # An explicit array baseline equal to that mean gives the same shares.
    same = modality_attributions(fitted, X, target="responder", baseline=zb.mean(axis=0))
    np.testing.assert_allclose(same[["ts", "fc"]], shares[["ts", "fc"]], atol=1e-6)
    # Without background, the classifier's stored training mean is the baseline.
    stored = modality_attributions(fitted, X, target="responder", baseline="mean")
    full = modality_attributions(fitted, X, target="responder", baseline="mean", background=X)
    np.testing.assert_allclose(stored[["ts", "fc"]], full[["ts", "fc"]], atol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        modality_attributions(fitted, X, baseline=np.zeros(3))


def test_target_per_subject_and_unknown_label(fitted, data):
    X, y = data
    shares = modality_attributions(fitted, X, target=y)
    assert list(shares["target"]) == list(y)
    other = modality_attributions(fitted, X, target="non-responder")
    assert not np.allclose(other["ts"], modality_attributions(fitted, X, target="responder")["ts"])
    with pytest.raises(ValueError, match=r"class label.*'maybe'"):
        modality_attributions(fitted, X, target="maybe")
    with pytest.raises(ValueError, match="one label per subject"):
        modality_attributions(fitted, X, target=y[:3])


def test_pipeline_input_is_transformed_first():
    rng = np.random.default_rng(3)
    y = np.array([0, 1] * 8)
    runs = [rng.standard_normal((WINDOW + 5, N_REGIONS))
            + (1 + label) * rng.standard_normal((WINDOW + 5, 1)) for label in y]
    coords = rng.uniform(-60, 60, (N_REGIONS, 3))
    pipe = Pipeline([("ts", TimeSeriesExtractor(coords=coords, window=WINDOW, verbose=0)),
                     ("fc", ConnectivityExtractor()), ("clf", small(max_epochs=2))])
    pipe.fit(runs, y)
    X = pipe[:-1].transform(runs)
    via_pipe = modality_attributions(pipe, runs, n_steps=10)
    direct = modality_attributions(pipe[-1], X, n_steps=10)
    pd.testing.assert_frame_equal(via_pipe, direct)
    # background is also what the pipeline takes
    mean_pipe = modality_attributions(pipe, runs, baseline="mean", background=runs[:8])
    mean_direct = modality_attributions(pipe[-1], X, baseline="mean", background=X[:8])
    pd.testing.assert_frame_equal(mean_pipe, mean_direct)
    regions = region_attributions(pipe, runs, n_steps=5)
    regions_mean = region_attributions(pipe, runs, n_steps=5, baseline="mean",
                                       background=runs[:8])
    pd.testing.assert_frame_equal(
        regions_mean,
        region_attributions(pipe[-1], X, n_steps=5, baseline="mean", background=X[:8]))
    np.testing.assert_allclose(regions[["x", "y", "z"]].to_numpy(), coords, atol=1e-4)


def test_unimodal_model_has_one_column():
    X, y = make_data()
    clf = small(modalities=("fc",), max_epochs=2).fit(MultimodalData(fc=X["fc"]), y)
    shares = modality_attributions(clf, MultimodalData(fc=X["fc"]))
    assert list(shares.columns) == ["fc", "delta", "target"]
    np.testing.assert_allclose(shares["fc"], 1.0)
    regions = region_attributions(clf, MultimodalData(fc=X["fc"]), n_steps=5)
    assert list(regions.columns) == ["name", "importance", "fc"]  # no coordinates in the data
    np.testing.assert_allclose(regions["importance"], regions["fc"])



# ---------------------------------------------------------------------------- regions
def test_region_scores_are_normalised_and_indexed_by_region(fitted, data):
    X, _ = data
    regions, edges = region_and_edge_attributions(fitted, X, n_steps=30, top_edges=5)
    assert list(regions.index) == list(range(N_REGIONS)) and regions.index.name == "region"
    assert list(regions.columns) == ["name", "importance", "ts", "fc", "x", "y", "z"]
    for col in ("importance", "ts", "fc"):
        assert regions[col].sum() == pytest.approx(1.0, abs=1e-9)
        assert (regions[col] >= 0).all()
    np.testing.assert_allclose(regions[["x", "y", "z"]].to_numpy(), X["xyz"][0], atol=1e-5)
    # importance is a subject-wise convex mix of ts and fc, so it lies between them.
    lo = np.minimum(regions["ts"], regions["fc"]) - 1e-9
    hi = np.maximum(regions["ts"], regions["fc"]) + 1e-9
    assert ((regions["importance"] >= lo) & (regions["importance"] <= hi)).mean() >= 0.5
    assert len(edges) == 5 and (edges["region_i"] < edges["region_j"]).all()
    assert edges["abs_attribution"].is_monotonic_decreasing
    assert regions.attrs["n_subjects"] == len(X)


def test_region_attributions_top_edges_is_deprecated_and_still_returns_both(fitted, data):
    """The old argument keeps working with a FutureWarning that names what to call; the
    tables are those of region_and_edge_attributions and region_attributions."""
    X, _ = data
    with pytest.warns(FutureWarning, match=r"region_and_edge_attributions\(.*top_edges=3"):
        old_regions, old_edges = region_attributions(fitted, X, n_steps=6, top_edges=3)
    regions, edges = region_and_edge_attributions(fitted, X, n_steps=6, top_edges=3)
    pd.testing.assert_frame_equal(old_regions, regions, rtol=1e-6)
    pd.testing.assert_frame_equal(old_edges, edges, rtol=1e-6)
    alone = region_attributions(fitted, X, n_steps=6)
    assert isinstance(alone, pd.DataFrame)
    pd.testing.assert_frame_equal(alone, regions, rtol=1e-6)
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="'top_edges'"):
        region_attributions(fitted, X, top_edges=0)


def test_region_and_edge_attributions_needs_connectivity(data):
    X, y = data
    ts_only = small(None, modalities=("ts",)).fit(X, y)
    with pytest.raises(ValueError, match=r"'top_edges' needs a model that uses 'fc'"):
        region_and_edge_attributions(ts_only, X, n_steps=4)
    with pytest.raises(ValueError, match=r"'top_edges' must be an integer >= 1; got None"):
        region_and_edge_attributions(ts_only, X, top_edges=None)


def test_a_region_at_the_baseline_gets_no_attribution(fitted, data):
    # IG is (x - x0) * mean gradient: a region whose inputs equal the baseline scores 0,
    # which also checks that region k of the output is column k of the time series and
    # row/column k of the matrix (symmetrised).
    X, _ = data
    ts = X["ts"].copy()
    fc = X["fc"].copy()
    ts[:, :, 5] = 0.0
    fc[:, 2, :] = 0.0
    fc[:, :, 2] = 0.0
    X0 = MultimodalData(ts=ts, fc=fc, xyz=X["xyz"], covariates=X["covariates"])
    regions, edges = region_and_edge_attributions(fitted, X0, n_steps=10, top_edges=28)
    assert regions.loc[5, "ts"] == 0.0
    assert regions.loc[2, "fc"] == 0.0
    assert regions.loc[2, "ts"] > 0 and regions.loc[5, "fc"] > 0
    touching = edges[(edges["region_i"] == 2) | (edges["region_j"] == 2)]
    assert (touching["abs_attribution"] == 0).all()


def test_encoder_that_ignores_a_region_gives_it_zero_score(data):
    X, y = data
    clf = small().fit(X, y)
    module = clf.module_
    with torch.no_grad():
        module.ts_encoder.conv1.weight[:, 4] = 0.0  # region 4 never enters the TS branch
        mlp = module.fc_encoder
        uses_6 = (mlp.rows == 6) | (mlp.cols == 6)
        mlp.hidden.weight[:, uses_6] = 0.0  # region 6's edges never enter the FC branch
    regions = region_attributions(clf, X, n_steps=10)
    assert regions.loc[4, "ts"] == 0.0 and regions.loc[6, "fc"] == 0.0
    assert regions.loc[4, "fc"] > 0 and regions.loc[6, "ts"] > 0


def test_foundation_encoder_is_differentiated_through(fitted_brainlm):
    clf, X = fitted_brainlm
    encoder = clf.foundation_model_
    mode = encoder.training
    requires = [p.requires_grad for p in encoder.parameters()]
    regions = region_attributions(clf, X, n_steps=24)
    assert (regions["ts"] > 0).all()
    assert regions["ts"].std() > 0
    # Completeness: the attributions add up to the logit difference up to a small delta.
    logits = clf.forward(X)  # raw logits of the module
    assert regions.attrs["max_abs_delta"] < 0.05 * float(logits.abs().max())
    # Zeroing a region's time series zeroes its attribution through BrainLM too.
    ts = X["ts"].copy()
    ts[:, :, 1] = 0.0
    zeroed = region_attributions(clf, MultimodalData(ts=ts, fc=X["fc"], xyz=X["xyz"]),
                                 n_steps=8)
    assert zeroed.loc[1, "ts"] == 0.0
    # The encoder is left as it was and its weights received no gradient.
    assert encoder.training == mode
    assert [p.requires_grad for p in encoder.parameters()] == requires
    assert all(p.grad is None for p in encoder.parameters())


def test_mean_input_baseline_needs_background(fitted, data):
    X, _ = data
    with pytest.raises(ValueError, match="background"):
        region_attributions(fitted, X, baseline="mean")
    regions = region_attributions(fitted, X, baseline="mean", background=X, n_steps=8)
    assert regions["importance"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"baseline\['fc'\]"):
        region_attributions(fitted, X, baseline={"ts": np.zeros((WINDOW, N_REGIONS)),
                                                 "fc": np.zeros((3, 3))})


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("attribute", [modality_attributions, region_attributions])
@pytest.mark.parametrize("estimator, error, match", [
    (small(), NotFittedError, "not fitted"),
    (Pipeline([("clf", small())]), NotFittedError, "not fitted"),
    (LogisticRegression(), TypeError, "got LogisticRegression"),
    (Pipeline([("lr", LogisticRegression())]), TypeError, "Pipeline ending in LogisticRegression"),
])
def test_unusable_estimator_is_named(data, attribute, estimator, error, match):
    X, _ = data
    with pytest.raises(error, match=match):
        attribute(estimator, X)


def test_missing_modality_is_named(fitted, data):
    X, _ = data
    without_fc = MultimodalData(ts=X["ts"], xyz=X["xyz"], covariates=X["covariates"])
    with pytest.raises(ValueError, match="lacks 'fc'"):
        modality_attributions(fitted, without_fc)
    with pytest.raises(ValueError, match="lacks 'covariates'"):
        region_attributions(fitted, MultimodalData(ts=X["ts"], fc=X["fc"]))
    with pytest.raises(ValueError, match="n_steps"):
        modality_attributions(fitted, X, n_steps=0)
    with pytest.raises(ValueError, match="top_edges"):
        region_and_edge_attributions(fitted, X, top_edges=0)


# ---------------------------------------------------------------------------- groups
def test_group_summary_means_and_intervals():
    rng = np.random.default_rng(0)
    ts = np.r_[rng.uniform(0.1, 0.3, 20), rng.uniform(0.6, 0.9, 10)]
    shares = pd.DataFrame({"ts": ts, "fc": 1 - ts, "delta": 0.0, "target": 1})
    groups = np.array([1] * 20 + [2] * 10)
    out = modality_shares_by_group(shares, groups, n_boot=500)
    assert list(out.columns) == ["group", "modality", "n_subjects", "mean", "ci_low", "ci_high"]
    assert list(out["group"]) == [1, 1, 2, 2] and list(out["modality"]) == ["ts", "fc"] * 2
    g2_ts = out[(out.group == 2) & (out.modality == "ts")].iloc[0]
    assert g2_ts["mean"] == pytest.approx(ts[20:].mean())
    assert g2_ts["n_subjects"] == 10
    assert g2_ts["ci_low"] < g2_ts["mean"] < g2_ts["ci_high"]
    # the interval of a mean of 10 values in [0.6, 0.9] is narrower than that range
    assert 0.6 < g2_ts["ci_low"] and g2_ts["ci_high"] < 0.9
    same = modality_shares_by_group(shares, groups, n_boot=500)
    pd.testing.assert_frame_equal(out, same)
    whole = modality_shares_by_group(shares)
    assert set(whole["group"]) == {"all"} and (whole["n_subjects"] == 30).all()
    with pytest.raises(ValueError, match="one label per subject"):
        modality_shares_by_group(shares, groups[:5])


# ---------------------------------------------------------------------------- validation
COHORT_REGIONS, COHORT_WINDOW = 50, 200


def planted_scenario(fc_effect, ts_effect, foundation_model=None):
    """Fit FMM_TC on the built-in cohort with one planted effect; shares and recall@k."""
    from skfmm.datasets import make_pain_cohort

    cohort = make_pain_cohort(n_regions=COHORT_REGIONS, n_timepoints=COHORT_WINDOW,
                              fc_effect=fc_effect, ts_effect=ts_effect, random_state=0)
    X = Pipeline([("ts", TimeSeriesExtractor(coords=cohort.coords, window=COHORT_WINDOW,
                                             verbose=0)),
                  ("fc", ConnectivityExtractor())]).fit_transform(cohort.timeseries)
    clf = FMMTCClassifier(foundation_model=foundation_model, fc_encoder="mlp",
                          module__fc_width=16, module__fc_features=16, module__ts_features=16,
                          module__ts_width=16, max_epochs=30, train_split=None,
                          random_state=0, verbose=0).fit(X, cohort.y)
    shares = modality_attributions(clf, X, baseline="mean", background=X)
    regions = region_attributions(clf, X, baseline="mean", background=X, n_steps=16)
    planted = cohort.fc_effect_regions if fc_effect else cohort.ts_effect_regions
    k = len(planted)
    recall = {col: len(set(regions[col].nlargest(k).index) & set(planted)) / k
              for col in ("importance", "ts", "fc")}
    return {"ts_share": shares["ts"].mean(), "fc_share": shares["fc"].mean(),
            "recall": recall, "chance": k / COHORT_REGIONS}


def test_planted_effects_are_recovered_on_the_built_in_cohort():
    # 56 subjects, 50 parcels, 8 planted parcels per effect (chance recall@8 = 0.16).
    in_fc = planted_scenario(fc_effect=1.0, ts_effect=0.0)
    in_ts = planted_scenario(fc_effect=0.0, ts_effect=1.0)
    print("planted in FC:", in_fc, "\nplanted in TS:", in_ts)
    # The model leans more on connectivity when the effect is in connectivity, and more on
    # the time series when it is in the time series (measured: 0.64 vs 0.52 FC share).
    assert in_fc["fc_share"] > in_ts["fc_share"] + 0.05
    assert in_ts["ts_share"] > in_fc["ts_share"] + 0.05
    # The planted connectivity parcels rank at the top (measured recall 0.75).
    assert in_fc["recall"]["importance"] >= 3 * in_fc["chance"]
    assert in_fc["recall"]["fc"] >= 3 * in_fc["chance"]
    # The temporal effect is subtle (a slower local timescale): weaker, still above chance
    # (measured 0.375 = 2.3 x chance).
    assert in_ts["recall"]["ts"] > in_ts["chance"]


@pytest.mark.parametrize("standardize", [True, False])
def test_input_path_reproduces_the_classifier_logits(tiny_brainlm, standardize):
    """The path IG differentiates (time series -> frozen encoder -> head) is the model."""
    from skfmm.interpret.attributions import _input_arrays, _InputModel

    X, y = make_data()
    clf = small(tiny_brainlm, standardize_embedding=standardize).fit(X, y)
    arrays, extras = _input_arrays(clf, X)
    net = _InputModel(clf, [*arrays, *extras]).eval()
    with torch.no_grad():
        out = net(*[torch.as_tensor(v) for v in (*arrays.values(), *extras.values())])
    np.testing.assert_allclose(out.numpy(), clf.forward(X).numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("foundation, standardize",
                         [(False, False), (True, False), (True, True)])
def test_attribution_networks_are_the_classifier(tiny_brainlm, foundation, standardize):
    """What IG differentiates must stay the fitted classifier, whatever either one becomes:
    the input path gives predict_proba's logits and probabilities, the fused representation
    is the module's own ``features`` and averages to the classifier's ``fused_mean_``."""
    from skfmm.interpret.attributions import (
        _eval_mode,
        _fused,
        _Head,
        _input_arrays,
        _InputModel,
    )

    X, y = make_data(covariates=True)
    clf = small(tiny_brainlm if foundation else None,
                standardize_embedding=standardize).fit(X, y)
    proba = clf.predict_proba(X)
    arrays, extras = _input_arrays(clf, X)
    assert list(arrays) == ["ts", "fc"]
    assert list(extras) == (["xyz", "covariates"] if foundation else ["covariates"])
    net = _InputModel(clf, [*arrays, *extras])
    with _eval_mode(clf.module_), torch.no_grad():
        logits = net(*[torch.as_tensor(v) for v in (*arrays.values(), *extras.values())])
    np.testing.assert_allclose(logits.numpy(), clf.forward(X).numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(torch.softmax(logits, dim=1).numpy(), proba, rtol=1e-5,
                               atol=1e-6)

    z, widths = _fused(clf, X, batch_size=7)  # batches that do not divide the subjects
    expected, _ = fused_by_hand(clf, X)
    np.testing.assert_allclose(z.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert widths == [("ts", 16 if foundation else 8), ("fc", 8), ("covariates", 2)]
    np.testing.assert_allclose(z.numpy().mean(axis=0), clf.fused_mean_, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        head_proba = torch.softmax(_Head(clf.module_.eval())(z), dim=1).numpy()
    np.testing.assert_allclose(head_proba, proba, rtol=1e-5, atol=1e-6)


def test_regions_are_named_as_the_connectivity_extractor_names_them(fitted, data):
    from skfmm import ConnectivityExtractor

    X, _ = data
    regions, edges = region_and_edge_attributions(fitted, X, n_steps=5, top_edges=4)
    edge_names = ConnectivityExtractor(output="vector").fit(X).get_feature_names_out()
    # one default scheme: the regions of the table are the regions of the edge names
    assert set(regions["name"]) == {n for e in edge_names for n in e.split("--")}
    assert regions["name"].tolist() == [f"region{i}" for i in range(N_REGIONS)]
    assert edges["name_i"].tolist() == [f"region{i}" for i in edges["region_i"]]
    atlas = [f"area {chr(65 + i)}" for i in range(N_REGIONS)]
    named, named_edges = region_and_edge_attributions(fitted, X, n_steps=5, top_edges=4,
                                                      region_names=atlas)
    assert named["name"].tolist() == atlas
    assert named_edges["name_j"].tolist() == [atlas[j] for j in named_edges["region_j"]]
    with pytest.raises(ValueError, match="'region_names' must hold one name per region"):
        region_attributions(fitted, X, n_steps=5, region_names=atlas[:-1])


def test_a_pipeline_names_regions_after_its_atlas(tmp_path):
    from sklearn.pipeline import Pipeline

    from skfmm import ConnectivityExtractor, TimeSeriesExtractor
    from skfmm.datasets import load_bids_cohort, make_pain_cohort, to_bids

    to_bids(make_pain_cohort(12, n_regions=16, n_timepoints=45, random_state=0), tmp_path / "b")
    data = load_bids_cohort(tmp_path / "b", label="Response")
    pipe = Pipeline([
        ("ts", TimeSeriesExtractor(atlas=data.atlas, coords=data.coords, t_r=data.t_r,
                                   window=40, verbose=0)),
        ("fc", ConnectivityExtractor()), ("clf", small(max_epochs=1)),
    ]).fit(data.images, data.y)
    atlas_names = pipe[0].region_names_.tolist()
    assert atlas_names == [f"label{v}" for v in pipe[0].labels_]
    regions = region_attributions(pipe, data.images[:4], n_steps=3)
    assert regions["name"].tolist() == atlas_names
    mine = [f"R{i}" for i in range(16)]
    assert region_attributions(pipe, data.images[:4], n_steps=3,
                               region_names=mine)["name"].tolist() == mine


# ---------------------------------------------------------------------------- parcel pooling
def test_parcel_attributions_are_the_exact_linear_attribution_summed_per_parcel(tiny_brainlm):
    from skfmm.interpret import parcel_attributions

    X, y = make_data(covariates=True)
    clf = small(tiny_brainlm, pooling="parcel", module__parcel_rank=2).fit(X, y)
    parcels = parcel_attributions(clf, X, n_steps=20)
    z, w = fused_by_hand(clf, X)
    pred = clf.predict_proba(X).argmax(axis=1)
    exact = z * w[pred]                                  # (z - 0) * w_target
    ts_block = exact[:, :N_REGIONS * 2].reshape(len(X), N_REGIONS, 2).sum(axis=2)
    magnitude = np.abs(exact[:, :N_REGIONS * 2]).reshape(len(X), N_REGIONS, 2).sum(axis=2)
    share = magnitude / magnitude.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(parcels["attribution"], ts_block.mean(axis=0), atol=1e-4)
    np.testing.assert_allclose(parcels["importance"], share.mean(axis=0), atol=1e-4)
    assert parcels["importance"].sum() == pytest.approx(1.0)
    assert parcels.index.name == "region" and len(parcels) == N_REGIONS
    assert parcels["name"].tolist() == [f"region{i}" for i in range(N_REGIONS)]


def test_parcel_attributions_refuse_models_without_parcel_features(fitted, data):
    from skfmm.interpret import parcel_attributions

    X, _ = data
    with pytest.raises(ValueError, match="pooling='parcel'.*got pooling='cls'"):
        parcel_attributions(fitted, X)


def test_region_attributions_go_through_parcel_pooling(tiny_brainlm):
    """Integrated gradients to each parcel's raw series through the per-parcel tokens: a
    parcel whose series is at the baseline (zeros) for every subject gets no ts score."""
    X, y = make_data()
    clf = small(tiny_brainlm, pooling="parcel", modalities=("ts",)).fit(X, y)
    ts = np.array(X["ts"])
    ts[:, :, 5] = 0.0
    X0 = MultimodalData(ts=ts, fc=X["fc"], xyz=X["xyz"])
    regions = region_attributions(clf, X0, n_steps=8)
    assert regions.loc[5, "ts"] == pytest.approx(0.0, abs=1e-12)
    assert regions["ts"].sum() == pytest.approx(1.0)
    assert (regions["ts"].drop(5) > 0).all()
