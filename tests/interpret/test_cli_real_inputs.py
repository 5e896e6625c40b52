"""``skfmm interpret`` on real inputs: a BIDS folder with the fitted pipeline, and --cohort
built to the model's parcels and window (or an error naming the argument)."""
import re

import joblib
import numpy as np
import pandas as pd
import pytest
from interpret_data import small
from sklearn.pipeline import Pipeline

from skfmm import ConnectivityExtractor, TimeSeriesExtractor
from skfmm.cli import main
from skfmm.datasets import load_bids_cohort, make_pain_cohort, to_bids
from skfmm.interpret import region_attributions

FAST = ["--n-steps", "4", "--n-boot", "20", "--quiet"]


def _refused(capsys, pattern, argv):
    """The CLI convention: exit status 1 and one line 'skfmm interpret: error: ...'."""
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("skfmm interpret: error: ") and "\n" not in err, err
    assert re.search(pattern, err), err


@pytest.fixture(scope="module")
def bids_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("bids")
    cohort = make_pain_cohort(12, n_regions=16, n_timepoints=30, fc_effect=1.0, ts_effect=0.0,
                              random_state=2)
    to_bids(cohort, root, atlas_shape=(8, 8, 8))
    data = load_bids_cohort(root)
    pipe = Pipeline([
        ("ts", TimeSeriesExtractor(atlas=data.atlas, coords=data.coords, window=30, verbose=0)),
        ("fc", ConnectivityExtractor()),
        ("clf", small(max_epochs=2)),
    ]).fit(data.images, data.y)
    path = root.parent / "pipe.joblib"
    joblib.dump(pipe, path)
    return root, data, pipe, path


def test_bids_folder_with_the_fitted_pipeline(tmp_path, bids_model):
    root, data, pipe, path = bids_model
    out = tmp_path / "out"
    assert main(["interpret", "--model", str(path), "--bids", str(root), "--groups", "study",
                 "--out", str(out), *FAST]) == 0
    shares = pd.read_csv(out / "modality_shares.csv", index_col="subject")
    assert len(shares) == len(data.images)
    by_group = pd.read_csv(out / "modality_shares_by_group.csv")
    assert set(by_group["group"]) == set(data.metadata["study"])
    # the same attributions as on the pipeline's own extraction of the runs
    regions = pd.read_csv(out / "region_importance.csv", index_col="region")
    direct = region_attributions(pipe, data.images, n_steps=4)
    np.testing.assert_allclose(regions["importance"], direct["importance"], rtol=1e-5)


def test_bids_with_a_bare_classifier_needs_the_atlas(tmp_path, bids_model, capsys):
    root, data, pipe, _ = bids_model
    bare = tmp_path / "bare.joblib"
    joblib.dump(pipe[-1], bare)
    # a to_bids tree carries its atlas, which the bare classifier's extraction uses
    out = tmp_path / "out"
    assert main(["interpret", "--model", str(bare), "--bids", str(root), "--out", str(out),
                 *FAST]) == 0
    assert len(pd.read_csv(out / "modality_shares.csv")) == len(data.images)
    _refused(capsys, "--atlas/--coords apply to a bare FMMTCClassifier",
             ["interpret", "--model", str(bids_model[3]), "--bids", str(root),
              "--atlas", data.atlas, "--out", str(out), *FAST])
    _refused(capsys, "--atlas applies with --bids ROOT only",
             ["interpret", "--model", str(bare), "--cohort", "n_subjects=8",
              "--atlas", data.atlas, "--out", str(out), *FAST])


def test_cohort_takes_the_models_parcels_and_window(tmp_path, capsys):
    # the README's situation: a model on 100 parcels, --cohort without n_regions
    cohort = make_pain_cohort(12, n_regions=24, n_timepoints=250, random_state=0)
    pipe = Pipeline([("ts", TimeSeriesExtractor(coords=cohort.coords, window=240, verbose=0)),
                     ("fc", ConnectivityExtractor()), ("clf", small(max_epochs=1))])
    pipe.fit(cohort.timeseries, cohort.y)
    path = tmp_path / "m.joblib"
    joblib.dump(pipe, path)
    out = tmp_path / "out"
    assert main(["interpret", "--model", str(path), "--cohort", "n_subjects=10,fc_effect=1",
                 "--out", str(out), "--n-steps", "4", "--n-boot", "20"]) == 0
    said = capsys.readouterr().out
    assert "with n_regions=24, n_timepoints=240 from the model" in said
    regions = pd.read_csv(out / "region_importance.csv")
    assert len(regions) == 24 and len(pd.read_csv(out / "modality_shares.csv")) == 10
    _refused(capsys, r"--cohort n_regions=20 does not match the model, "
                                         r"fitted on 24 parcels; use n_regions=24",
             ["interpret", "--model", str(path), "--cohort", "n_regions=20", "--out", str(out)])
    _refused(capsys, r"n_timepoints=100 is shorter than the model's window "
                                         r"of 240 volumes; use n_timepoints=240",
             ["interpret", "--model", str(path), "--cohort", "n_timepoints=100",
              "--out", str(out)])


def test_cohort_refused_for_a_pipeline_reading_images(tmp_path, bids_model, capsys):
    _refused(capsys, "reads NIfTI runs through an atlas; use --bids",
             ["interpret", "--model", str(bids_model[3]), "--cohort", "n_subjects=8",
              "--out", str(tmp_path)])
