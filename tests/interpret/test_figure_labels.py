"""The interpretation figures say what they show: colour-bar labels, edge colours, names."""

import matplotlib
import matplotlib.colors
import numpy as np
import pandas as pd
import pytest

from skfmm.interpret import plot_region_importance, plot_top_edges


@pytest.fixture
def regions():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"importance": rng.dirichlet(np.ones(6)),
                         "fc": rng.dirichlet(np.ones(6)),
                         "x": rng.uniform(-60, 60, 6), "y": rng.uniform(-90, 60, 6),
                         "z": rng.uniform(-30, 70, 6)})


def _texts(display):
    return [t.get_text() for t in display.frame_axes.figure.texts]


@pytest.mark.parametrize("column, words", [("importance", "share of |IG|"),
                                           ("fc", "connectivity share of |IG|")])
def test_region_colour_bar_names_the_score_and_the_uniform_share(regions, column, words):
    display = plot_region_importance(regions, column=column)
    label = display._cbar.ax.get_ylabel()
    display.close()
    assert words in label and "uniform 0.167" in label and "0 = uniform" in label


def _marker_colours(display):
    """The markers' face colours and the colour bar's limits."""
    from matplotlib.collections import PathCollection, QuadMesh

    faces, limits = [], None
    for ax in display.frame_axes.figure.axes:
        for artist in ax.collections:
            if isinstance(artist, PathCollection) and len(artist.get_facecolors()):
                faces.append(artist.get_facecolors()[:, :3])
            if isinstance(artist, QuadMesh):
                limits = (artist.norm.vmin, artist.norm.vmax)
    return np.concatenate(faces), limits


def test_near_uniform_shares_stay_pale_and_a_dominant_region_stands_out():
    rng = np.random.default_rng(1)
    n = 20
    xyz = dict(x=rng.uniform(-60, 60, n), y=rng.uniform(-90, 60, n), z=rng.uniform(-30, 70, n))
    # Shares between 0.045 and 0.055 around the uniform 1/20: noise, not structure.
    flat = pd.DataFrame({"importance": rng.uniform(0.045, 0.055, n), **xyz})
    flat["importance"] /= flat["importance"].sum()
    display = plot_region_importance(flat)
    faces, limits = _marker_colours(display)
    display.close()
    assert limits == (-1.0, 1.0)  # half to twice uniform, at least
    white = np.asarray(matplotlib.colormaps["RdBu_r"](0.5)[:3])
    assert np.abs(faces - white).max() < 0.2  # every marker near the pale centre (RGB)
    # One region holding 8 times the uniform share reaches the end of the scale.
    peaked = flat.copy()
    peaked.loc[0, "importance"] = 8 / n
    peaked["importance"] /= peaked["importance"].sum()
    display = plot_region_importance(peaked)
    faces, limits = _marker_colours(display)
    display.close()
    top = np.log2(peaked.loc[0, "importance"] * n)
    assert limits == pytest.approx((-top, top))
    dark_red = np.asarray(matplotlib.colormaps["RdBu_r"](1.0)[:3])
    assert np.abs(faces - dark_red).sum(axis=1).min() < 0.05
    with pytest.raises(ValueError, match="must hold finite non-negative shares"):
        plot_region_importance(flat.assign(importance=-flat["importance"]))


def test_region_names_are_listed_strongest_first(regions):
    names = ["V1", "V2", "PCC", "mPFC", "AG", "IPS"]
    display = plot_region_importance(regions, labels=names, top=3)
    box = _texts(display)
    display.close()
    assert len(box) == 1
    lines = box[0].splitlines()[1:]
    order = np.argsort(-regions["importance"].to_numpy())[:3]
    assert [line.split()[0] for line in lines] == [names[r] for r in order]
    # a name column of the table works the same; none means no list
    named = regions.assign(name=names)
    display = plot_region_importance(named, top=3)
    assert _texts(display)[0].splitlines()[1].split()[0] == names[order[0]]
    display.close()
    display = plot_region_importance(regions, top=3)
    assert _texts(display) == []
    display.close()
    with pytest.raises(ValueError, match=r"'labels' must hold one name per region \(6\); got 2"):
        plot_region_importance(regions, labels=["a", "b"])


def _edge_colours(display):
    from matplotlib.collections import LineCollection

    colours = set()
    for ax in display.axes.values():
        for artist in ax.ax.get_children():
            if isinstance(artist, LineCollection):
                colours.update(map(tuple, np.round(artist.get_colors(), 4)))
            elif hasattr(artist, "get_color") and hasattr(artist, "get_xydata"):
                colours.add(tuple(np.round(matplotlib.colors.to_rgba(artist.get_color()), 4)))
    return colours


def test_edges_coloured_by_their_ranking_quantity(regions):
    # ranked by abs_attribution; the signed means have other values (and signs)
    edges = pd.DataFrame({"region_i": [0, 1], "region_j": [3, 5],
                          "attribution": [-0.05, 0.01], "abs_attribution": [0.4, 0.2]})
    display = plot_top_edges(edges, regions)
    cbar = display._cbar
    label = cbar.ax.get_ylabel()
    lo, hi = cbar.mappable.get_clim()
    cmap = cbar.mappable.get_cmap()
    expected = {tuple(np.round(cmap((v - lo) / (hi - lo)), 4)) for v in (0.4, 0.2)}
    colours = _edge_colours(display)
    display.close()
    assert "|IG|" in label and "absolute" in label
    assert (lo, hi) == (0.0, 0.4)
    assert expected <= colours
    # without the ranking column, the signed mean on a symmetric scale, labelled as signed
    display = plot_top_edges(edges.drop(columns="abs_attribution"), regions)
    assert "signed" in display._cbar.ax.get_ylabel()
    assert display._cbar.mappable.get_clim() == (-0.05, 0.05)
    display.close()


def test_edges_listed_by_region_names(regions):
    edges = pd.DataFrame({"region_i": [0, 1], "region_j": [3, 5],
                          "attribution": [-0.05, 0.01], "abs_attribution": [0.4, 0.2]})
    names = ["V1", "V2", "PCC", "mPFC", "AG", "IPS"]
    display = plot_top_edges(edges, regions, labels=names)
    lines = _texts(display)[0].splitlines()[1:]
    display.close()
    assert [line.split()[0] for line in lines] == ["V1--mPFC", "V2--IPS"]
