"""Progress bars only where someone watches: a terminal or a notebook, never a log file."""

from __future__ import annotations

import sys

__all__ = ["bar_disabled", "interactive"]


def interactive(stream=None):
    """Whether progress bars can be seen: ``stream`` (default stderr) is a TTY, or a notebook.

    tqdm writes cursor codes; in a log file or a CI log they are noise, so bars are drawn only
    on a terminal, or as widgets in a Jupyter notebook (whose streams are not TTYs).

    Examples
    --------
    >>> import io
    >>> from skfmm.utils.progress import interactive
    >>> interactive(io.StringIO())
    False
    """
    stream = sys.stderr if stream is None else stream
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        pass
    if stream is not sys.stderr:
        return False
    try:
        from tqdm.autonotebook import tqdm as chosen
        from tqdm.std import tqdm as plain
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return False
    return chosen is not plain  # tqdm.autonotebook picked the notebook widget


def bar_disabled(verbose):
    """``disable=`` for tqdm: off when ``verbose`` is 0 or nobody can see the bar.

    Examples
    --------
    >>> from skfmm.utils.progress import bar_disabled
    >>> bar_disabled(0)
    True
    """
    return not verbose or not interactive()
