"""Shared by the classifier tests: a small cohort with a planted FC effect, a small model."""

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from skfmm import ConnectivityExtractor, FMMTCClassifier, TimeSeriesExtractor

N_REGIONS, WINDOW = 8, 40


def make_runs(n=32, seed=0, effect=1.5):
    """Runs (T, R) where class 'responder' shares a factor across regions 0-3 (an FC effect)."""
    rng = np.random.default_rng(seed)
    y = np.array(["non-responder", "responder"] * (n // 2))
    runs = []
    for label in y:
        x = rng.standard_normal((WINDOW + 5, N_REGIONS))
        shared = rng.standard_normal((WINDOW + 5, 1))
        if label == "responder":
            x[:, :4] += effect * shared
        else:  # same variance, spread over the other regions
            x[:, 4:] += effect * shared
        runs.append(x)
    coords = rng.uniform(-60, 60, (N_REGIONS, 3))
    return runs, y, coords


def extractors(coords):
    return [
        ("ts", TimeSeriesExtractor(coords=coords, window=WINDOW, verbose=0)),
        ("fc", ConnectivityExtractor(kind="correlation")),
    ]


def small(foundation_model=None, **kw):
    params = dict(foundation_model=foundation_model, fc_encoder="mlp", module__fc_width=8,
                  module__fc_features=8, max_epochs=3, verbose=0, random_state=0)
    params.update(kw)
    return FMMTCClassifier(**params)


def make_cohort():
    runs, y, coords = make_runs()
    X = Pipeline(extractors(coords)).fit_transform(runs)
    return runs, X, y, coords


@pytest.fixture(scope="module")
def cohort():
    """Runs, the extracted container, labels and coordinates, extracted once per module."""
    return make_cohort()
