"""skfmm.interpret.plotting: the modality-share bars and the glass-brain figures."""

import numpy as np
import pandas as pd
import pytest

from skfmm.interpret import plot_modality_shares, plot_region_importance, plot_top_edges


def test_modality_share_figure_draws_the_means(tmp_path):
    summary = pd.DataFrame({
        "group": [1, 1, 2, 2], "modality": ["ts", "fc"] * 2, "n_subjects": 5,
        "mean": [0.3, 0.7, 0.6, 0.4], "ci_low": [0.2, 0.6, 0.5, 0.3],
        "ci_high": [0.4, 0.8, 0.7, 0.5]})
    path = tmp_path / "shares.png"
    fig = plot_modality_shares(summary, path)
    heights = sorted(round(p.get_height(), 6) for p in fig.axes[0].patches)
    assert heights == [0.3, 0.4, 0.6, 0.7]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="modality_shares_by_group"):
        plot_modality_shares(pd.DataFrame({"a": [1]}))


def test_brain_figures_need_coordinates(tmp_path):
    regions = pd.DataFrame({"importance": [0.5, 0.3, 0.2]})
    with pytest.raises(ValueError, match="coords"):
        plot_region_importance(regions)
    coords = np.array([[40.0, 10, 2], [-40, 10, 2], [0, -50, 30]])
    display = plot_region_importance(regions, tmp_path / "r.png", coords=coords, top=2)
    display.close()
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    edges = pd.DataFrame({"region_i": [0, 1], "region_j": [3, 2], "attribution": [1.0, -1.0]})
    with pytest.raises(ValueError, match="outside 0..2"):
        plot_top_edges(edges, coords)

