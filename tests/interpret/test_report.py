"""skfmm.interpret.report and ``skfmm interpret``: the written tables and figures."""

import joblib
import numpy as np
import pandas as pd
import pytest
from interpret_data import make_data, small
from sklearn.pipeline import Pipeline

from skfmm import ConnectivityExtractor, MultimodalData, TimeSeriesExtractor
from skfmm.interpret import interpretation_report, region_attributions


def test_report_without_coordinates_writes_tables_only(tmp_path):
    X, y = make_data()
    Xfc = MultimodalData(fc=X["fc"])
    clf = small(modalities=("fc",), max_epochs=2).fit(Xfc, y)
    with pytest.warns(UserWarning, match="no region coordinates"):
        paths = interpretation_report(clf, Xfc, out_dir=tmp_path, n_steps=4, top_edges=3,
                                      n_boot=20, prefix="m_")
    assert set(paths) == {"modality_shares", "modality_shares_by_group",
                          "modality_shares_figure", "region_importance", "top_edges"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m_modality_shares.csv", "m_modality_shares.pdf", "m_modality_shares.png",
        "m_modality_shares.svg", "m_modality_shares_by_group.csv", "m_region_importance.csv",
        "m_top_edges.csv"]


def test_report_and_command_line(tmp_path, fitted, data):
    from skfmm.cli import main

    X, y = data
    model = tmp_path / "model.joblib"
    joblib.dump(fitted, model)
    npz = tmp_path / "data.npz"
    np.savez(npz, **{k: np.asarray(v) for k, v in X.items()}, study=np.arange(len(y)) % 2 + 1)
    out = tmp_path / "out"
    rc = main(["interpret", "--model", str(model), "--data", str(npz), "--groups", "study",
               "--out", str(out), "--n-steps", "8", "--top-edges", "4", "--n-boot", "50",
               "--target", "responder"])
    assert rc == 0
    written = {p.name for p in out.iterdir()}
    assert {"modality_shares.csv", "modality_shares_by_group.csv", "region_importance.csv",
            "top_edges.csv"} <= written
    # every figure as PNG, PDF and SVG
    assert {f"{stem}.{ext}" for stem in ("modality_shares", "region_importance", "top_edges")
            for ext in ("png", "pdf", "svg")} <= written
    regions = pd.read_csv(out / "region_importance.csv", index_col="region")
    direct = region_attributions(fitted, X, target="responder", n_steps=8)
    np.testing.assert_allclose(regions["importance"], direct["importance"], rtol=1e-6)
    by_group = pd.read_csv(out / "modality_shares_by_group.csv")
    assert sorted(set(by_group["group"])) == [1, 2]
    assert len(pd.read_csv(out / "top_edges.csv")) == 4
    assert main(["interpret", "--model", str(model), "--data", str(npz), "--out", str(out),
                 "--target", "maybe"]) == 1  # an input error: one line, status 1


def test_command_line_on_a_simulated_cohort(tmp_path):
    from skfmm.cli import main
    from skfmm.datasets import make_pain_cohort

    spec = dict(n_subjects=16, n_regions=16, n_timepoints=40, fc_effect=1.0, ts_effect=0.0,
                random_state=1)
    cohort = make_pain_cohort(**spec)
    pipe = Pipeline([("ts", TimeSeriesExtractor(coords=cohort.coords, window=40, verbose=0)),
                     ("fc", ConnectivityExtractor()), ("clf", small(max_epochs=2))])
    pipe.fit(cohort.timeseries, cohort.y)
    text = ",".join(f"{k}={v}" for k, v in spec.items())
    for name, model in (("pipe", pipe), ("bare", pipe[-1])):
        path = tmp_path / f"{name}.joblib"
        joblib.dump(model, path)
        out = tmp_path / name
        assert main(["interpret", "--model", str(path), "--cohort", text, "--groups", "Drug",
                     "--out", str(out), "--n-steps", "4", "--n-boot", "20"]) == 0
        by_group = pd.read_csv(out / "modality_shares_by_group.csv")
        assert set(by_group["group"]) == set(cohort.metadata["Drug"])
        shares = pd.read_csv(out / "modality_shares.csv", index_col="subject")
        assert len(shares) == 16
    # the bare classifier gets the same (default) extraction as the pipeline
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "pipe" / "modality_shares.csv"),
                                  pd.read_csv(tmp_path / "bare" / "modality_shares.csv"))
    assert main(["interpret", "--model", str(tmp_path / "pipe.joblib"), "--cohort", text,
                 "--groups", "nope", "--out", str(tmp_path / "x")]) == 1


