"""matplotlib for skfmm's figures: pyplot as the user set it up, and one way to save a figure.

skfmm never changes the matplotlib backend (in a notebook, inline figures keep appearing);
the ``skfmm`` command, a process of its own, draws with Agg.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["pyplot", "save_figure", "FIGURE_FORMATS"]

#: The formats the benchmark and the interpretation report write every figure in.
FIGURE_FORMATS = ("png", "pdf", "svg")


def pyplot():
    """``matplotlib.pyplot``, with the backend the user (or matplotlib's default) chose.

    Without a display, matplotlib itself falls back to a non-interactive backend; skfmm does
    not switch backends, so figures keep showing inline in Jupyter on any platform.

    Examples
    --------
    >>> from skfmm.utils.plotting import pyplot
    >>> plt = pyplot()
    >>> plt.close(plt.figure())
    """
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path, *, formats=None, dpi=300, close=False):
    """Save ``figure`` at ``path``, and beside it in the other ``formats``.

    Parameters
    ----------
    figure : matplotlib Figure or nilearn display (anything with ``savefig``)
    path : str or path-like
        The file; its extension is the first format. Without an extension, ``formats``
        names them all.
    formats : sequence of str, default=None
        Extensions of the other copies, e.g. :data:`FIGURE_FORMATS`; None: ``path`` only.
    dpi : int, default=300
        Resolution of the raster formats (PDF and SVG are vector).
    close : bool, default=False
        Close the figure afterwards (pyplot keeps open figures alive).

    Returns
    -------
    list of str
        The files written, ``path`` first.

    Examples
    --------
    >>> import tempfile, os
    >>> from skfmm.utils.plotting import pyplot, save_figure
    >>> plt = pyplot()
    >>> fig = plt.figure()
    >>> paths = save_figure(fig, os.path.join(tempfile.mkdtemp(), "f.png"),
    ...                     formats=("png", "pdf", "svg"), close=True)
    >>> [os.path.basename(p) for p in paths]
    ['f.png', 'f.pdf', 'f.svg']
    """
    path = Path(path)
    suffixes = [path.suffix[1:]] if path.suffix else []
    suffixes += [f for f in (formats or ()) if f not in suffixes]
    if not suffixes:
        raise ValueError(f"save_figure: 'path' {str(path)!r} has no extension and 'formats' is "
                         "empty: name at least one format.")
    written = []
    for ext in suffixes:
        target = path.with_suffix("." + ext)
        # bbox_inches="tight" keeps legends and captions placed below the axes.
        figure.savefig(target, dpi=dpi, bbox_inches="tight")
        written.append(str(target))
    if close:
        if hasattr(figure, "close"):  # a nilearn display
            figure.close()
        else:
            import matplotlib.pyplot as plt

            plt.close(figure)
    return written
