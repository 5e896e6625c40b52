"""Figures of an FMM_TC interpretation: modality shares per group, region importance, top edges.

matplotlib and nilearn glass brains (the user's backend is left alone); each takes ``ax=`` /
``figure=`` and ``axes=`` to draw into, and saves when given a path (300 dpi).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..utils.plotting import pyplot, save_figure
from ..utils.validation import check_positive_int

__all__ = ["plot_modality_shares", "plot_region_importance", "plot_top_edges"]

_COLOURS = {"ts": "#1f77b4", "fc": "#d62728", "covariates": "#7f7f7f"}
_LABELS = {"ts": "time series", "fc": "connectivity", "covariates": "covariates"}


def _coords(regions, coords, who):
    if coords is not None:
        xyz = np.asarray(coords, dtype=np.float64)
    elif {"x", "y", "z"} <= set(regions.columns):
        xyz = regions[["x", "y", "z"]].to_numpy(dtype=np.float64)
    else:
        raise ValueError(
            f"{who}: region coordinates are unknown: 'regions' has no x, y, z columns (the "
            "data had no 'xyz') and 'coords' was not given; pass coords=(n_regions, 3)."
        )
    if xyz.shape != (len(regions), 3) or not np.isfinite(xyz).all():
        raise ValueError(
            f"{who}: 'coords' must be finite with shape ({len(regions)}, 3), one row per "
            f"region; got shape {xyz.shape}."
        )
    return xyz


# What each score of region_attributions is (all absolute shares of the attribution).
_QUANTITY = {
    "importance": "share of |IG|",
    "ts": "time-series share of |IG|",
    "fc": "connectivity share of |IG|",
}


def _label_colorbar(display, text):
    """Label the colour bar of a nilearn display (nilearn has no public setter for it)."""
    cbar = getattr(display, "_cbar", None)
    if cbar is not None:
        cbar.set_label(text, fontsize="x-small")
        return cbar.ax
    return None


def _region_names(regions, labels, who):
    """One name per region: ``labels`` if given, else a ``name`` / ``label`` column, else None."""
    if labels is not None:
        names = [str(n) for n in labels]
        if isinstance(labels, str) or len(names) != len(regions):
            raise ValueError(f"{who}: 'labels' must hold one name per region ({len(regions)}); "
                             f"got {1 if isinstance(labels, str) else len(names)}.")
        return names
    for column in ("name", "label"):
        if column in regions.columns:
            return regions[column].astype(str).tolist()
    return None


def _brain_axes(names):
    """Figure area of the glass brains: room on the right for the colour-bar label and, with
    region names, for their list."""
    return (0.0, 0.0, 0.72 if names else 0.93, 1.0)


def _name_box(figure, lines, title):
    """The named items, beside the glass brain (nilearn draws no text labels on it)."""
    return figure.text(0.79, 0.95, "\n".join([title, *lines]), va="top", ha="left",
                       fontsize="x-small", family="monospace")


def _check_regions(regions, column, who):
    if not isinstance(regions, pd.DataFrame):
        raise TypeError(f"{who}: 'regions' must be the DataFrame of region_attributions; got "
                        f"{type(regions).__name__}.")
    if column not in regions.columns:
        raise ValueError(f"{who}: 'regions' has no column {column!r}; got "
                         f"{list(regions.columns)}.")


def plot_modality_shares(summary, path=None, *, ax=None, title="Modality share of the attribution"):
    """Bar chart of the mean modality share per group, with the bootstrap intervals.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`~skfmm.interpret.modality_shares_by_group` (columns ``group``,
        ``modality``, ``mean``, ``ci_low``, ``ci_high``).
    path : str or path-like, optional
        Where to save the figure (format from the extension).
    ax : matplotlib Axes, optional
        Draw into it instead of a new figure.
    title : str
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from skfmm.interpret import modality_shares_by_group, plot_modality_shares
    >>> shares = pd.DataFrame({"ts": [0.2, 0.4, 0.7, 0.9], "fc": [0.8, 0.6, 0.3, 0.1]})
    >>> fig = plot_modality_shares(modality_shares_by_group(shares, [1, 1, 2, 2], n_boot=50))
    >>> len(fig.axes[0].patches)
    4
    """
    who = "plot_modality_shares"
    needed = {"group", "modality", "mean", "ci_low", "ci_high"}
    if not isinstance(summary, pd.DataFrame) or not needed <= set(summary.columns):
        got = list(summary.columns) if isinstance(summary, pd.DataFrame) else type(summary).__name__
        raise ValueError(f"{who}: 'summary' must be the DataFrame of modality_shares_by_group "
                         f"(columns {sorted(needed)}); got {got}.")
    plt = pyplot()
    groups = list(pd.unique(summary["group"]))
    modalities = list(pd.unique(summary["modality"]))
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(groups) * max(len(modalities), 1) / 2,
                                        3.6))
    else:
        fig = ax.figure
    width = 0.8 / max(len(modalities), 1)
    x = np.arange(len(groups))
    for k, m in enumerate(modalities):
        rows = summary[summary["modality"] == m].set_index("group").reindex(groups)
        mean = rows["mean"].to_numpy(dtype=float)
        err = np.vstack([mean - rows["ci_low"].to_numpy(dtype=float),
                         rows["ci_high"].to_numpy(dtype=float) - mean])
        ax.bar(x + (k - (len(modalities) - 1) / 2) * width, mean, width, yerr=err, capsize=3,
               color=_COLOURS.get(m), label=_LABELS.get(m, str(m)))
    labels = []
    for g in groups:
        n = summary.loc[summary["group"] == g, "n_subjects"]
        labels.append(f"{g}\n(n={int(n.iloc[0])})" if len(n) else str(g))
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of |IG attribution|")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize="small")
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_region_importance(regions, path=None, *, column="importance", coords=None, top=None,
                           title=None, display_mode="lzry", figure=None, axes=None,
                           labels=None):
    """Region importance on a glass brain, coloured by its deviation from a uniform share.

    A region's score is its share of the absolute attribution; if every region mattered
    equally each would hold ``1 / n_regions``. Colour is ``log2(share * n_regions)`` on a
    diverging scale centred on that uniform share (white), symmetric and at least +/- 1 wide
    (half to twice uniform), so shares that differ from uniform by noise stay pale rather
    than spanning the whole colour map. Marker size grows with the share. With region names
    (``labels``, or a ``name`` / ``label`` column of ``regions``, e.g. the atlas's labels)
    the drawn regions are listed beside the brain, strongest first, with their shares.

    Parameters
    ----------
    regions : pandas.DataFrame
        Output of :func:`~skfmm.interpret.region_attributions`.
    path : str or path-like, optional
        Where to save the figure (format from the extension, 300 dpi).
    column : str, default="importance"
        Score drawn (``importance``, ``ts`` or ``fc``): non-negative shares.
    coords : array of shape (n_regions, 3), optional
        MNI coordinates when ``regions`` lacks ``x``, ``y``, ``z``.
    top : int, optional
        Draw only the ``top`` highest-scoring regions (the colour scale stays that of all).
    title : str, optional
    display_mode : str, default="lzry"
        nilearn display mode.
    figure : matplotlib Figure, optional
        Draw into it (nilearn's ``figure``).
    axes : matplotlib Axes or (x0, y0, width, height), optional
        Where in ``figure`` the brain goes (nilearn's ``axes``).
    labels : sequence of str, optional
        One name per region (row of ``regions``).

    Returns
    -------
    nilearn display (``display.frame_axes.figure`` is the matplotlib figure)

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skfmm.interpret import plot_region_importance
    >>> rng = np.random.default_rng(0)
    >>> regions = pd.DataFrame({"importance": rng.dirichlet(np.ones(10)),
    ...                         "x": rng.uniform(-60, 60, 10), "y": rng.uniform(-90, 60, 10),
    ...                         "z": rng.uniform(-30, 70, 10)})
    >>> display = plot_region_importance(regions, top=5)
    >>> display.close()
    """
    from nilearn import plotting

    who = "plot_region_importance"
    _check_regions(regions, column, who)
    xyz = _coords(regions, coords, who)
    values = regions[column].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(values < 0) or not values.sum() > 0:
        raise ValueError(f"{who}: 'regions[{column!r}]' must hold finite non-negative shares "
                         "with a positive sum (as region_attributions returns them); got "
                         f"values from {values.min()!r} to {values.max()!r}.")
    n_regions = len(values)
    shares = values / values.sum()
    uniform = 1.0 / n_regions
    order = np.argsort(-values, kind="stable")
    top = check_positive_int(top, "top", allow_none=True, who=who)
    if top is not None:
        order = order[:top]
    names = _region_names(regions, labels, who)
    ratio = shares / uniform
    # A share of 0 would be -inf on the log scale: floor it at 1/64 of uniform for the colour.
    log_ratio = np.log2(np.maximum(ratio, 2.0 ** -6))
    limit = max(1.0, float(np.abs(log_ratio).max()))
    if figure is None and axes is None:
        figure = pyplot().figure(figsize=(11 if names else 9.5, 3))
    display = plotting.plot_markers(
        log_ratio[order], xyz[order], node_size=12 + 36 * np.sqrt(ratio[order]),
        node_cmap="RdBu_r", node_vmin=-limit, node_vmax=limit, display_mode=display_mode,
        figure=figure, axes=axes if axes is not None else _brain_axes(names),
        title=title or (f"Region {column} (IG)"
                       + ("" if len(order) == n_regions else f", top {len(order)}")),
        colorbar=True,
    )
    _label_colorbar(display, f"log2({_QUANTITY.get(column, column)} / uniform {uniform:.3g})"
                             "\n0 = uniform (1 / n regions), +1 = twice")
    if names:
        shown = order[:20]
        more = "" if len(order) <= 20 else f"... {len(order) - 20} more"
        _name_box(display.frame_axes.figure,
                  [f"{names[r][:22]:<22} {shares[r]:.3f} ({ratio[r]:.1f}x)" for r in shown]
                  + ([more] if more else []),
                  f"{column} share (x uniform {uniform:.3f})")
    if path is not None:
        save_figure(display, path)
    return display


def plot_top_edges(edges, coords, path=None, *, regions=None, title=None, display_mode="lzry",
                   figure=None, axes=None, labels=None):
    """The strongest connectivity edges as a connectome on a glass brain.

    Edges are coloured by the quantity they are ranked by: ``abs_attribution``, the mean
    over subjects of the absolute symmetrised attribution (logit units), when the table
    has it (as :func:`~skfmm.interpret.region_attributions` returns it); else the signed
    mean ``attribution`` on a diverging scale. The colour bar says which. With region names
    the edges are listed beside the brain.

    Parameters
    ----------
    edges : pandas.DataFrame
        The ``edges`` table of :func:`~skfmm.interpret.region_attributions` (``region_i``,
        ``region_j``, ``attribution``).
    coords : array of shape (n_regions, 3) or DataFrame with x, y, z
        Region coordinates (the ``regions`` table works).
    path : str or path-like, optional
        Where to save the figure.
    regions : pandas.DataFrame, optional
        Region table; node sizes then follow its ``fc`` (else ``importance``) column, and
        its ``name`` / ``label`` column, if any, names the regions.
    title : str, optional
    display_mode : str, default="lzry"
    figure : matplotlib Figure, optional
        Draw into it (nilearn's ``figure``).
    axes : matplotlib Axes or (x0, y0, width, height), optional
        Where in ``figure`` the brain goes (nilearn's ``axes``).
    labels : sequence of str, optional
        One name per region (row of ``coords``).

    Returns
    -------
    nilearn display

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skfmm.interpret import plot_top_edges
    >>> coords = np.random.default_rng(0).uniform(-60, 60, (6, 3))
    >>> edges = pd.DataFrame({"region_i": [0, 1], "region_j": [2, 5],
    ...                       "attribution": [0.3, -0.1]})
    >>> plot_top_edges(edges, coords).close()
    """
    from nilearn import plotting

    who = "plot_top_edges"
    needed = {"region_i", "region_j", "attribution"}
    if not isinstance(edges, pd.DataFrame) or not needed <= set(edges.columns):
        raise ValueError(f"{who}: 'edges' must be the edges DataFrame of region_attributions "
                         f"(columns {sorted(needed)}).")
    if isinstance(coords, pd.DataFrame):
        xyz = _coords(coords, None, who)
    else:
        xyz = np.asarray(coords, dtype=np.float64)
        if xyz.ndim != 2 or xyz.shape[1] != 3 or not np.isfinite(xyz).all():
            raise ValueError(f"{who}: 'coords' must be finite with shape (n_regions, 3); got "
                             f"shape {xyz.shape}.")
    R = len(xyz)
    i = edges["region_i"].to_numpy(dtype=int)
    j = edges["region_j"].to_numpy(dtype=int)
    if len(i) and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= R):
        raise ValueError(f"{who}: 'edges' names regions outside 0..{R - 1} (coords has {R} "
                         "rows).")
    ranked = "abs_attribution" in edges.columns
    value = edges["abs_attribution" if ranked else "attribution"].to_numpy(dtype=np.float64)
    adjacency = np.zeros((R, R))
    adjacency[i, j] = adjacency[j, i] = value
    node_size = np.full(R, 4.0)
    involved = np.unique(np.concatenate([i, j])) if len(i) else np.array([], int)
    if regions is not None:
        col = "fc" if "fc" in regions.columns else "importance"
        _check_regions(regions, col, who)
        score = regions[col].to_numpy(dtype=np.float64)
        node_size[involved] = 10 + 90 * score[involved] / max(score.max(), 1e-12)
    else:
        node_size[involved] = 30.0
    if labels is not None:
        names = _region_names(pd.DataFrame(index=range(R)), labels, who)
    elif regions is not None:
        names = _region_names(regions, None, who)
    else:
        names = None
    if figure is None and axes is None:
        figure = pyplot().figure(figsize=(11 if names else 9.5, 3))
    vmax = float(np.abs(adjacency).max()) or 1.0
    display = plotting.plot_connectome(
        adjacency, xyz, node_size=node_size, node_color="#444444",
        edge_cmap="YlOrRd" if ranked else "RdBu_r", edge_vmin=0.0 if ranked else -vmax,
        edge_vmax=vmax, display_mode=display_mode, figure=figure,
        axes=axes if axes is not None else _brain_axes(names),
        title=title or f"Top {len(i)} edges (IG, symmetrised)", colorbar=True,
    )
    _label_colorbar(display, "edge mean |IG| (logit, absolute)" if ranked
                    else "edge mean IG (logit, signed)")
    if names:
        rows = [f"{names[a][:12]}--{names[b][:12]} {v:.3f}" if ranked
                else f"{names[a][:12]}--{names[b][:12]} {v:+.3f}"
                for a, b, v in zip(i[:20], j[:20], value[:20])]
        _name_box(display.frame_axes.figure, rows, "edges, as ranked")
    if path is not None:
        save_figure(display, path)
    return display
