import numpy as np
import pytest
from nilearn.connectome import ConnectivityMeasure
from sklearn.covariance import EmpiricalCovariance

from skfmm import ConnectivityExtractor, MultimodalData


@pytest.fixture
def cohort(rng):
    mix = rng.standard_normal((6, 6))
    return np.stack([rng.standard_normal((80, 6)) @ mix for _ in range(8)])


@pytest.mark.parametrize(
    "kind", ["correlation", "partial correlation", "covariance", "precision", "tangent"]
)
def test_matches_nilearn(cohort, kind):
    ours = ConnectivityExtractor(kind=kind, output="matrix").fit(cohort[:6]).transform(cohort[6:])
    ref = ConnectivityMeasure(kind=kind).fit(list(cohort[:6])).transform(list(cohort[6:]))
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5)


def test_correlation_with_empirical_estimator_is_pearson(cohort):
    fc = ConnectivityExtractor(cov_estimator=EmpiricalCovariance(),
                               output="matrix").fit_transform(cohort)
    np.testing.assert_allclose(fc[2], np.corrcoef(cohort[2].T), atol=1e-5)


def test_gram_is_authors_xxt(cohort):
    fc = ConnectivityExtractor(kind="gram", output="matrix").fit_transform(cohort)
    x = cohort[1].T  # (regions, time) as the authors hold it
    np.testing.assert_allclose(fc[1], x @ x.T, rtol=1e-5)


def test_tangent_reference_learned_in_fit_only(cohort, rng):
    ext = ConnectivityExtractor(kind="tangent", output="matrix").fit(cohort[:4])
    before = ext.transform(cohort[4:5])
    ext.transform(cohort[5:] * 3 + rng.standard_normal(cohort[5:].shape))
    np.testing.assert_array_equal(ext.transform(cohort[4:5]), before)
    other = ConnectivityExtractor(kind="tangent", output="matrix").fit(cohort[3:])
    assert not np.allclose(other.transform(cohort[4:5]), before)


def test_single_subject_tangent_equals_group_transform(cohort):
    ext = ConnectivityExtractor(kind="tangent", output="matrix").fit(cohort[:6])
    group = ext.transform(cohort[6:])
    np.testing.assert_allclose(ext.transform(cohort[7:8])[0], group[1], atol=1e-10)


def test_fisher_z(cohort):
    r = ConnectivityExtractor(cov_estimator=EmpiricalCovariance(),
                              output="matrix").fit_transform(cohort)
    z = ConnectivityExtractor(cov_estimator=EmpiricalCovariance(), fisher_z=True,
                              output="matrix").fit_transform(cohort)
    assert np.all(np.diagonal(z, axis1=1, axis2=2) == 0)
    off = ~np.eye(6, dtype=bool)
    np.testing.assert_allclose(z[:, off], np.arctanh(r[:, off]), rtol=1e-4)


@pytest.mark.parametrize("kind", ["correlation", "tangent", "partial correlation"])
def test_vector_is_nilearns_vectorisation(cohort, kind):
    vec = ConnectivityExtractor(kind=kind, output="vector").fit(cohort[:6]).transform(cohort)
    ref = ConnectivityMeasure(kind=kind, vectorize=True, discard_diagonal=True)
    ref = ref.fit(list(cohort[:6])).transform(list(cohort))
    assert vec.shape == (8, 15)
    np.testing.assert_allclose(vec, ref, rtol=1e-4, atol=1e-5)


def test_vector_holds_every_edge_once_in_lower_triangle_order(cohort):
    mat = ConnectivityExtractor(output="matrix").fit_transform(cohort)
    vec = ConnectivityExtractor(output="vector").fit_transform(cohort)
    expected = [mat[:, i, j] for i in range(6) for j in range(i)]  # (1,0), (2,0), (2,1), ...
    np.testing.assert_array_equal(vec, np.stack(expected, axis=1))


def test_edge_names_map_each_column_to_its_edge(cohort):
    names = ["V1", "V2", "PCC", "mPFC", "AG", "IPS"]
    mat = ConnectivityExtractor(output="matrix").fit_transform(cohort)
    ext = ConnectivityExtractor(output="vector", region_names=names).fit(cohort)
    vec = ext.transform(cohort)
    out = ext.get_feature_names_out()
    assert len(out) == vec.shape[1] == 15 and len(set(out)) == 15
    assert out[0] == "V1--V2" and out[-1] == "AG--IPS"
    for k, name in enumerate(out):
        a, b = name.split("--")
        np.testing.assert_array_equal(vec[:, k], mat[:, names.index(a), names.index(b)])
    # default names and names given at call time
    default = ConnectivityExtractor(output="vector").fit(cohort).get_feature_names_out()
    assert default[:3].tolist() == ["region0--region1", "region0--region2", "region1--region2"]
    other = ext.get_feature_names_out([f"r{i}" for i in range(6)])
    assert other[0] == "r0--r1"


def test_set_output_pandas_gives_named_edges_for_a_linear_model(cohort, rng):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    names = [f"p{i}" for i in range(6)]
    ext = ConnectivityExtractor(output="vector", region_names=names)
    frame = ext.set_output(transform="pandas").fit_transform(cohort)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(ext.get_feature_names_out())
    np.testing.assert_array_equal(
        frame.to_numpy(), ConnectivityExtractor(output="vector").fit_transform(cohort))
    pipe = make_pipeline(ConnectivityExtractor(output="vector", region_names=names),
                         LogisticRegression()).fit(cohort, [0, 1] * 4)
    coef = pd.Series(pipe[-1].coef_[0], index=pipe[:-1].get_feature_names_out())
    assert coef.index[1] == "p0--p2" and len(coef) == 15


def test_feature_names_of_3d_outputs_are_the_regions(cohort):
    names = ["V1", "V2", "PCC", "mPFC", "AG", "IPS"]
    for output in ("matrix", "multimodal"):
        ext = ConnectivityExtractor(output=output, region_names=names).fit(cohort)
        assert ext.get_feature_names_out().tolist() == names
        # a table of named columns needs 2-D output: refused, the default still works
        ext.set_output(transform="pandas")
        with pytest.raises(ValueError, match=f"needs 'output'='vector'.*got output='{output}'"):
            ext.transform(cohort)
        out = ext.set_output(transform="default").transform(cohort)
        fc = out if output == "matrix" else out["fc"]
        assert fc.shape == (len(cohort), 6, 6)
    ext = ConnectivityExtractor(output="vector").set_output(transform="pandas").fit(cohort)
    ext.set_params(output="matrix")
    with pytest.raises(ValueError, match="needs 'output'='vector'.*got output='matrix'"):
        ext.transform(cohort)


@pytest.mark.parametrize("names, match", [
    (["a", "b"], r"one name per region \(6\); got 2"),
    (["a", "a", "b", "c", "d", "e"], r"distinct names; \['a'\] repeat"),
    (["a", "", "b", "c", "d", "e"], "non-empty strings"),
    ("abcdef", "sequence of 6 region names; got str"),
])
def test_bad_region_names(cohort, names, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ConnectivityExtractor(output="vector", region_names=names).fit(cohort)


def test_multimodal_adds_fc_and_passes_the_rest_on(cohort, rng):
    X = MultimodalData(ts=cohort.astype(np.float32), xyz=rng.standard_normal((8, 6, 3)),
                       covariates=rng.standard_normal((8, 2)))
    out = ConnectivityExtractor().fit_transform(X)
    assert set(out) == {"ts", "xyz", "fc", "covariates"}
    assert out["fc"].shape == (8, 6, 6) and out["fc"].dtype == np.float32
    np.testing.assert_array_equal(out["xyz"], X["xyz"])
    assert "fc" not in X  # the input container is not mutated


def test_multimodal_from_unequal_lengths_is_refused(rng):
    runs = [rng.standard_normal((30, 4)), rng.standard_normal((40, 4))]
    with pytest.raises(ValueError, match="one length"):
        ConnectivityExtractor().fit_transform(runs)
    assert ConnectivityExtractor(output="matrix").fit_transform(runs).shape == (2, 4, 4)


@pytest.mark.parametrize(
    "params, match",
    [({"kind": "coherence"}, "'kind' must be one of"),
     ({"output": "graph"}, "'output' must be one of"),
     ({"kind": "covariance", "fisher_z": True}, "'fisher_z'=True applies")],
)
def test_bad_parameters(cohort, params, match):
    with pytest.raises(ValueError, match=match):
        ConnectivityExtractor(**params).fit(cohort)


def test_container_without_ts(rng):
    with pytest.raises(ValueError, match="key 'ts'"):
        ConnectivityExtractor().fit(MultimodalData(xyz=np.zeros((3, 4, 3))))


def test_region_count_checked_in_transform(cohort, rng):
    ext = ConnectivityExtractor().fit(cohort)
    with pytest.raises(ValueError, match="has 5 regions"):
        ext.transform(rng.standard_normal((2, 30, 5)))
