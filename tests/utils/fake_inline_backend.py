"""A stand-in for an interactive backend (as Jupyter's inline one): Agg's canvas, another name."""

from matplotlib.backend_bases import FigureManagerBase as FigureManager  # noqa: F401
from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas  # noqa: F401
