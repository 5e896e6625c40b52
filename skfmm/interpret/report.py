"""One call that interprets a fitted FMM_TC model and writes its tables and figures to a folder.

Used by ``skfmm interpret`` and by the benchmark report.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from ._common import resolve_estimator
from .attributions import (
    modality_attributions,
    modality_shares_by_group,
    region_and_edge_attributions,
    region_attributions,
)
from ..utils._docs import fill_doc

__all__ = ["interpretation_report"]


@fill_doc
def interpretation_report(estimator, X, groups=None, out_dir=".", *, target=None,
                          baseline="zeros", background=None, n_steps=50, top_edges=20,
                          top_regions=20, n_boot=1000, prefix="", random_state=0,
                          image_format="png", formats=("png", "pdf", "svg"), region_names=None,
                          verbose=0):
    """Interpret a fitted FMM_TC model: write the CSV tables and figures, return their paths.

    Runs :func:`modality_attributions`, :func:`modality_shares_by_group` and
    :func:`region_attributions` (:func:`region_and_edge_attributions` for a model that uses
    ``fc``) and draws :func:`plot_modality_shares`,
    :func:`plot_region_importance` and :func:`plot_top_edges`.

    Parameters
    ----------
    %(estimator_fmmtc)s
    %(X_explained)s
    groups : array-like of length n_subjects, optional
        Group of each subject for the modality-share summary (e.g. study or drug).
    out_dir : str or path-like, default="."
        Folder (created if needed).
    target, baseline, background, n_steps
        As in :func:`modality_attributions` / :func:`region_attributions` (``baseline``
        must be ``"zeros"`` or ``"mean"`` here; its meaning follows each function).
    top_edges : int, default=20
        Edges drawn and tabulated (models using ``fc``).
    top_regions : int or None, default=20
        Regions drawn on the glass brain (None: all).
    %(n_boot)s
        They give the intervals of :func:`modality_shares_by_group`.
    prefix : str, default=""
        Prepended to every file name (e.g. ``"fmm_tc_"``).
    %(random_state)s
        It seeds the bootstrap.
    image_format : str, default="png"
        Extension of the figure whose path is returned.
    formats : sequence of str, default=("png", "pdf", "svg")
        Every figure is also written in these formats, beside it (PNG at 300 dpi).
    %(region_names)s
        Used in the tables and figures (see :func:`region_attributions`).
    %(verbose0)s
        1: a line per step and a progress bar over the subjects for the region attributions (the
        slow step); 2: also each step's duration.

    Returns
    -------
    paths : dict
        ``modality_shares`` (per-subject CSV), ``modality_shares_by_group`` (CSV),
        ``region_importance`` (CSV), ``top_edges`` (CSV, models using ``fc``) and the
        figures ``modality_shares_figure``, ``region_importance_figure``,
        ``top_edges_figure`` (the glass brains only when coordinates are known).

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from skfmm import FMMTCClassifier, MultimodalData
    >>> from skfmm.interpret import interpretation_report
    >>> rng = np.random.default_rng(0)
    >>> X = MultimodalData(ts=rng.standard_normal((12, 40, 6)).astype("float32"),
    ...                    fc=rng.standard_normal((12, 6, 6)).astype("float32"),
    ...                    xyz=rng.uniform(-60, 60, (12, 6, 3)))
    >>> clf = FMMTCClassifier(foundation_model=None, fc_encoder="mlp", max_epochs=2,
    ...                       train_split=None, random_state=0, verbose=0).fit(X, [0, 1] * 6)
    >>> paths = interpretation_report(clf, X, groups=[1, 2] * 6, out_dir=tempfile.mkdtemp(),
    ...                               n_steps=8, top_edges=3, n_boot=50)
    >>> sorted(paths)[:3]
    ['modality_shares', 'modality_shares_by_group', 'modality_shares_figure']
    """
    from ..utils.plotting import save_figure
    from .plotting import plot_modality_shares, plot_region_importance, plot_top_edges

    from ..utils.files import check_name_part

    if baseline not in ("zeros", "mean"):
        raise ValueError(f"interpretation_report: 'baseline' must be 'zeros' or 'mean'; got "
                         f"{baseline!r}.")
    # Every file stays in out_dir: the prefix and the extensions are parts of one file name.
    check_name_part(prefix, "prefix", who="interpretation_report")
    if isinstance(formats, str):
        raise TypeError(f"interpretation_report: 'formats' must be a sequence of extensions, "
                        f"not a string; got {formats!r}.")
    for ext in (image_format, *formats):
        check_name_part(ext, "image_format" if ext is image_format else "formats",
                        who="interpretation_report", allow_empty=False)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}

    def name(stem, ext):
        return out / f"{prefix}{stem}.{ext}"

    import time

    clock = [time.perf_counter()]

    def step(message):
        if verbose >= 2 and len(clock) > 1:
            print(f"  ({time.perf_counter() - clock[-1]:.1f} s)", flush=True)
        clock.append(time.perf_counter())
        if verbose and message:
            print(message, flush=True)

    step("[1/4] modality attributions (integrated gradients on the fused representation)")
    shares = modality_attributions(estimator, X, target=target, baseline=baseline,
                                   background=background, n_steps=n_steps)
    paths["modality_shares"] = name("modality_shares", "csv")
    shares.to_csv(paths["modality_shares"])
    step("[2/4] modality shares per group (bootstrap intervals)")
    summary = modality_shares_by_group(shares, groups, n_boot=n_boot, random_state=random_state)
    paths["modality_shares_by_group"] = name("modality_shares_by_group", "csv")
    summary.to_csv(paths["modality_shares_by_group"], index=False)
    save_figure(plot_modality_shares(summary), name("modality_shares", image_format),
                formats=formats, close=True)
    paths["modality_shares_figure"] = name("modality_shares", image_format)

    clf, _ = resolve_estimator(estimator, None, who="interpretation_report")
    use_edges = top_edges if "fc" in clf.modalities and top_edges else None
    step("[3/4] region attributions (integrated gradients on the inputs)")
    common = dict(target=target, baseline=baseline, background=background, n_steps=n_steps,
                  region_names=region_names, verbose=int(bool(verbose)))
    if use_edges:
        regions, edges = region_and_edge_attributions(estimator, X, top_edges=use_edges,
                                                      **common)
    else:
        regions, edges = region_attributions(estimator, X, **common), None
    paths["region_importance"] = name("region_importance", "csv")
    regions.to_csv(paths["region_importance"])
    if edges is not None:
        paths["top_edges"] = name("top_edges", "csv")
        edges.to_csv(paths["top_edges"], index=False)
    step("[4/4] figures")
    if {"x", "y", "z"} <= set(regions.columns):
        save_figure(plot_region_importance(regions, top=top_regions),
                    name("region_importance", image_format), formats=formats, close=True)
        paths["region_importance_figure"] = name("region_importance", image_format)
        if edges is not None:
            save_figure(plot_top_edges(edges, regions, regions=regions),
                        name("top_edges", image_format), formats=formats, close=True)
            paths["top_edges_figure"] = name("top_edges", image_format)
    else:
        warnings.warn(
            "interpretation_report: the data carry no region coordinates ('xyz'), so the "
            "glass-brain figures are not drawn (the CSV tables are written).",
            UserWarning, stacklevel=2,
        )
    step(None)
    return {k: str(v) for k, v in paths.items()}
