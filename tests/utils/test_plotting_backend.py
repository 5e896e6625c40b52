"""skfmm never changes the user's matplotlib backend (inline figures in notebooks stay inline)."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from skfmm.benchmark.figures import plot_mcc_intervals
from skfmm.interpret import plot_modality_shares, plot_region_importance
from skfmm.utils.plotting import pyplot


@pytest.fixture
def interactive_backend(monkeypatch):
    """An interactive-looking backend and no display: what a JupyterHub kernel has."""
    previous = matplotlib.get_backend()
    monkeypatch.delenv("DISPLAY", raising=False)
    matplotlib.use("module://fake_inline_backend")
    yield "module://fake_inline_backend"
    pyplot().close("all")
    matplotlib.use(previous)


def test_plotting_leaves_the_backend_alone(interactive_backend):
    plt = pyplot()
    assert matplotlib.get_backend() == interactive_backend
    summary = pd.DataFrame({"scenario": ["none"], "model": ["chance"], "metric": ["mcc"],
                            "mean": [0.0], "ci_low": [-0.2], "ci_high": [0.2]})
    fig = plot_mcc_intervals(summary)
    shares = pd.DataFrame({"group": [1, 1], "modality": ["ts", "fc"], "n_subjects": 3,
                           "mean": [0.4, 0.6], "ci_low": [0.3, 0.5], "ci_high": [0.5, 0.7]})
    plot_modality_shares(shares)
    rng = np.random.default_rng(0)
    regions = pd.DataFrame({"importance": rng.dirichlet(np.ones(6)),
                            "x": rng.uniform(-60, 60, 6), "y": rng.uniform(-90, 60, 6),
                            "z": rng.uniform(-30, 70, 6)})
    plot_region_importance(regions).close()
    assert matplotlib.get_backend() == interactive_backend
    assert plt.fignum_exists(fig.number)  # a pyplot figure, which a notebook shows inline
