"""The main job: `skfmm benchmark` writes the required tables, figures and report, and resumes."""

import json

import numpy as np
import pandas as pd
import pytest

from skfmm.benchmark.run import RESULT_COLUMNS, SUMMARY_COLUMNS
from skfmm.cli import main
from skfmm.evaluation import METRICS

MODELS = ["chance", "corr_logreg", "fmm_tc"]
SCENARIOS = ["none", "fc"]


def _argv(out, fm, models=MODELS, scenarios=SCENARIOS):
    argv = ["benchmark", "--quick", "--out", str(out), "--foundation-model", fm, "--quiet",
            "--n-subjects", "24", "--n-regions", "16", "--n-timepoints", "50", "--window", "40",
            "--models", *models]
    for s in scenarios:
        argv += ["--scenario", s]
    return argv


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, tiny_fm):
    out = tmp_path_factory.mktemp("bench")
    assert main(_argv(out, tiny_fm)) == 0
    return out


def test_tables_have_exactly_the_required_columns_and_rows(first_run):
    results = pd.read_csv(first_run / "results.csv")
    summary = pd.read_csv(first_run / "summary.csv")
    assert list(results.columns) == RESULT_COLUMNS == [
        "scenario", "model", "repeat", "fold", "mcc", "auroc", "balanced_accuracy", "accuracy",
        "f1", "sensitivity", "specificity"]
    assert list(summary.columns) == SUMMARY_COLUMNS == [
        "scenario", "model", "metric", "mean", "ci_low", "ci_high", "method", "n_folds",
        "chance", "p_value", "p_null", "one_class", "note"]
    # The default interval: the corrected repeated-CV t interval on the per-fold values.
    assert (summary["method"] == "corrected_t").all()
    mcc = summary[(summary["metric"] == "mcc") & (summary["model"] == "corr_logreg")]
    fold_means = results[results["model"] == "corr_logreg"].groupby("scenario")["mcc"].mean()
    np.testing.assert_allclose(mcc.set_index("scenario")["mean"], fold_means[mcc["scenario"]])
    assert set(summary["one_class"]) <= {True, False}
    # --quick: 3 outer folds x 1 repeat, the same for every scenario and model.
    assert len(results) == len(SCENARIOS) * len(MODELS) * 3
    assert set(results["fold"]) == {0, 1, 2} and set(results["repeat"]) == {0}
    # One summary row per scenario x model x metric, metric names as in results.csv.
    keys = summary[["scenario", "model", "metric"]].apply(tuple, axis=1)
    assert keys.is_unique
    assert set(keys) == {(s, m, k) for s in SCENARIOS for m in MODELS for k in METRICS}
    assert set(summary["metric"]) <= set(results.columns)
    # Three folds are too few for a t interval: none is reported, and the table says why
    # (never an interval of t with 2 degrees of freedom, MCC -2 to +2).
    assert summary["ci_low"].isna().all() and summary["p_value"].isna().all()
    assert summary["note"].str.startswith("no interval: 3 outer folds").all()
    assert "[no CI: 3 outer folds]" in (first_run / "report.md").read_text()
    # The authors' protocol is kept out of the main tables.
    assert not results["model"].str.contains("authors").any()


def test_figures_and_report(first_run):
    for stem in ("mcc", "roc"):
        assert (first_run / f"{stem}.png").stat().st_size > 1000
        assert (first_run / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
        assert b"<svg" in (first_run / f"{stem}.svg").read_bytes()[:500]
    report = (first_run / "report.md").read_text()
    # No interval from 3 folds: the no-effect check says so instead of "every interval
    # covers 0", which would be automatic.
    assert "every model's 95 % MCC interval covers 0" not in report
    assert "No interval for chance, corr_logreg, fmm_tc" in report
    assert "The authors' protocol on the `none` scenario (no effect)" in report
    assert "Inflation caused by the authors' protocol: MCC" in report
    inflation = json.loads((first_run / "authors_protocol.json").read_text())
    assert inflation["model"] == "fmm_tc"
    assert inflation["ci_low"] is None or np.isnan(inflation["ci_low"])
    assert inflation["note"].startswith("no interval: 3 outer folds")
    assert inflation["method"] == "corrected_t"
    # The difference is the mean per-fold difference, authors minus ours, in the report too.
    assert inflation["difference"] == pytest.approx(
        inflation["authors_fold_mean"] - inflation["ours_fold_mean"])
    assert 0 < inflation["p_permutation"] <= 1
    assert f"{inflation['difference']:+.3f}" in report
    assert "corrected repeated-CV t interval" in report
    authors = pd.read_csv(first_run / "authors_protocol.csv")
    assert list(authors.columns) == RESULT_COLUMNS and len(authors) == 3
    run = json.loads((first_run / "run.json").read_text())
    # The command exactly as given (here through skfmm.cli.main), the version, the checkout.
    assert run["command"] == " ".join(["skfmm", *_argv(first_run, run["command"].split(
        "--foundation-model ")[1].split()[0])])
    assert f"Command: `{run['command']}`" in report
    assert run["skfmm_version"] == __import__("skfmm").__version__
    assert run["git"] is None or len(run["git"]["commit"]) == 40


def test_every_csv_loads_as_written_with_no_unintended_missing_value(first_run):
    """Plain pandas.read_csv: no name (the scenario 'none') is read as missing, and every
    empty cell is one the run meant (with its reason in the same row)."""
    csvs = sorted(first_run.glob("*.csv"))
    assert {p.name for p in csvs} >= {"results.csv", "summary.csv", "folds.csv",
                                      "predictions.csv", "authors_protocol.csv"}
    for path in csvs:
        table = pd.read_csv(path)
        if "scenario" in table:
            assert set(table["scenario"]) <= set(SCENARIOS), path.name
            assert table["scenario"].notna().all(), path.name
        if path.name == "summary.csv":
            has_ci = table["ci_low"].notna()
            assert (has_ci == table["ci_high"].notna()).all()
            assert (table.loc[~has_ci, "note"].str.startswith("no interval")).all()
            assert table.loc[has_ci, "note"].isna().all()  # nothing to note
            no_chance = table["metric"].isin(["f1", "sensitivity", "specificity"])
            assert (table["chance"].isna() == no_chance).all()
            assert (table["p_value"].isna() == (no_chance | ~has_ci)).all()
            assert table["p_null"].notna().all()
            rest = table.drop(columns=["ci_low", "ci_high", "note", "chance", "p_value"])
        else:
            rest = table
        missing = rest.columns[rest.isna().any()].tolist()
        assert missing == [], (path.name, missing)
def test_second_run_resumes_from_the_cache_and_refits_nothing(first_run, tiny_fm, monkeypatch):
    import sklearn.linear_model

    import skfmm.benchmark.zoo
    import skfmm.classifier

    before = pd.read_csv(first_run / "results.csv")
    n_cache_files = len(list((first_run / "cache").glob("fold-*.npz")))
    assert n_cache_files == len(before) + 3  # + the authors' protocol folds

    def refuse(*args, **kwargs):
        raise AssertionError("a fold was refitted instead of read from the cache")

    monkeypatch.setattr(skfmm.classifier.FMMTCClassifier, "fit", refuse)
    monkeypatch.setattr(sklearn.linear_model.LogisticRegression, "fit", refuse)
    monkeypatch.setattr(skfmm.benchmark.zoo.ChanceClassifier, "fit", refuse)
    assert main(_argv(first_run, tiny_fm)) == 0
    run = json.loads((first_run / "run.json").read_text())
    assert run["n_cached"] == run["n_folds"] == len(before) + 3
    after = pd.read_csv(first_run / "results.csv")
    pd.testing.assert_frame_equal(before, after)
    assert len(list((first_run / "cache").glob("fold-*.npz"))) == n_cache_files


def test_paired_comparisons_of_the_foundation_model_and_its_random_control(tmp_path, tiny_fm):
    models = ["fc_only", "fmm_tc", "fmm_tc_random_fm"]
    assert main(_argv(tmp_path, tiny_fm, models=models, scenarios=["both"])
                + ["--no-authors-protocol", "--n-splits", "5"]) == 0
    table = pd.read_csv(tmp_path / "paired_comparisons.csv")
    # 5 outer folds: intervals inside the range of an MCC difference, p-values that say
    # what they test; missing only where the note says why (the tiny random encoder's
    # two fmm_tc variants predict alike, so their differences have no spread).
    has_ci = table["ci_low"].notna()
    assert has_ci.iloc[0] and has_ci.iloc[1]
    assert (table.loc[~has_ci, "note"] == "no interval: the same value in every fold (no "
                                          "spread to estimate)").all()
    assert table.drop(columns=["note", "ci_low", "ci_high", "p_value"]).notna().all().all()
    assert ((-2 <= table.loc[has_ci, "ci_low"]) & (table.loc[has_ci, "ci_high"] <= 2)).all()
    assert (table["p_null"] == "two-sided, H0: mcc difference = 0").all()
    assert table["comparison"].tolist() == ["fmm_tc - fc_only", "fmm_tc_random_fm - fc_only",
                                            "fmm_tc - fmm_tc_random_fm"]
    assert (table["scenario"] == "both").all()
    np.testing.assert_allclose(table["difference"], table["b"] - table["a"], atol=1e-12)
    with_ci = table[has_ci]
    assert ((with_ci["ci_low"] <= with_ci["difference"] + 1e-12)
            & (with_ci["difference"] <= with_ci["ci_high"] + 1e-12)).all()
    # The pooled values are the models' own, recomputed from predictions.csv.
    preds = pd.read_csv(tmp_path / "predictions.csv")
    summary = pd.read_csv(tmp_path / "summary.csv")
    fc = summary[(summary["model"] == "fc_only") & (summary["metric"] == "mcc")]["mean"].item()
    assert table.loc[0, "a"] == pytest.approx(fc)
    assert set(preds["model"]) == set(models)
    report = (tmp_path / "report.md").read_text()
    assert "## Paired comparisons (what the foundation model adds)" in report
    assert "| both | fmm_tc - fmm_tc_random_fm |" in report
    assert ((0 < table["p_permutation"]) & (table["p_permutation"] <= 1)).all()
    assert (table["method"] == "corrected_t").all()


def test_bad_arguments_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:  # usage errors: argparse's status 2
        main(["benchmark", "--scenario", "strong", "--out", str(tmp_path)])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["benchmark", "--atlas", "atlas.nii.gz", "--out", str(tmp_path)])
    assert info.value.code == 2
    assert "skfmm benchmark: error: --atlas, --label, --coords and --derivatives need --bids" \
        in capsys.readouterr().err
    # errors raised inside the package: one line on stderr, exit status 1
    assert main(["benchmark", "--models", "resnet", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("skfmm benchmark: error:") and "'models'" in err
    assert main(_argv(tmp_path, "demo", models=["chance"], scenarios=["none"])
                + ["--groups", "site"]) == 1
    err = capsys.readouterr().err
    assert "'groups'" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_every_model_and_scenario_end_to_end(tmp_path, tiny_fm):
    from skfmm.benchmark.zoo import BASELINE_NAMES

    assert main(_argv(tmp_path, tiny_fm, models=list(BASELINE_NAMES),
                      scenarios=["none", "fc", "ts", "both"])
                + ["--groups", "study", "--interpret"]) == 0
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert len(summary) == 4 * len(BASELINE_NAMES) * len(METRICS)
    report = (tmp_path / "report.md").read_text()
    assert "## Interpretation of FMM_TC (integrated gradients)" in report
    for scenario in ("none", "fc", "ts", "both"):
        shares = pd.read_csv(tmp_path / "interpretation" / scenario
                             / "modality_shares_by_group.csv")
        assert set(shares["modality"]) == {"ts", "fc"}
    results = pd.read_csv(tmp_path / "results.csv")
    assert np.isfinite(results.loc[results["model"] != "chance", "mcc"]).any()


def test_bids_cohort_with_leave_one_study_out(tmp_path):
    from skfmm.datasets import make_pain_cohort, to_bids

    cohort = make_pain_cohort(20, n_regions=16, n_timepoints=50, random_state=0)
    root = to_bids(cohort, tmp_path / "bids", atlas_shape=(6, 7, 6)).root
    out = tmp_path / "out"
    assert main(["benchmark", "--bids", str(root), "--label", "Response", "--window", "40",
                 "--models", "chance", "corr_logreg", "--quick", "--groups", "study",
                 "--out", str(out), "--quiet"]) == 0
    results = pd.read_csv(out / "results.csv")
    studies = cohort.metadata["study"].nunique()
    # One outer fold per study (leave one study out), for each model.
    assert len(results) == 2 * studies
    assert set(results["fold"]) == set(range(studies))
    folds = pd.read_csv(out / "folds.csv")
    assert sorted(folds["test_groups"].astype(str).unique()) == sorted(
        cohort.metadata["study"].astype(str).unique())
    assert "leave one group out over 'study'" in (out / "report.md").read_text()


def test_run_records_its_environment_and_the_foundation_model(first_run, tiny_fm):
    import hashlib
    from importlib import metadata
    from pathlib import Path

    env = json.loads((first_run / "run.json").read_text())["environment"]
    for name, dist in (("torch", "torch"), ("sklearn", "scikit-learn"), ("skorch", "skorch"),
                       ("nilearn", "nilearn"), ("skfmm", "skfmm")):
        assert env["packages"][name] == metadata.version(dist)
    assert env["device"] == {"requested": "cpu", "resolved": "cpu"}
    assert env["threads"]["requested"] == 1 and env["threads"]["torch"] == 1
    fm = env["foundation_model"]  # fmm_tc ran
    weights = Path(tiny_fm) / fm["weights"]
    assert fm["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert fm["name"] == tiny_fm and fm["config"]["hidden_size"] == 16
    report = (first_run / "report.md").read_text()
    assert "## Environment" in report and fm["sha256"] in report


def test_run_without_a_foundation_model_does_not_name_one(tmp_path):
    assert main(_argv(tmp_path, "demo", models=["chance"], scenarios=["none"])
                + ["--no-authors-protocol"]) == 0
    env = json.loads((tmp_path / "run.json").read_text())["environment"]
    assert "foundation_model" not in env
    assert set(env["packages"]) >= {"skfmm", "torch", "sklearn", "skorch", "nilearn"}
    assert "foundation model:" not in (tmp_path / "report.md").read_text().split(
        "## Environment")[1]
