"""One way to get matplotlib's pyplot: figures are written to files, so no display is needed."""

from __future__ import annotations

import os

__all__ = ["pyplot"]

_FILE_BACKENDS = ("agg", "pdf", "svg", "ps", "cairo")


def pyplot():
    """``matplotlib.pyplot``, switched to the Agg backend when no display is available.

    A backend the user chose (an interactive one with a display, or a file backend) is
    left as it is.

    Examples
    --------
    >>> from skfmm.utils.plotting import pyplot
    >>> plt = pyplot()
    >>> plt.close(plt.figure())
    """
    import matplotlib

    if not os.environ.get("DISPLAY") and matplotlib.get_backend().lower() not in _FILE_BACKENDS:
        try:
            matplotlib.use("Agg", force=False)
        except Exception:  # pragma: no cover - a backend already in use
            pass
    import matplotlib.pyplot as plt

    return plt
