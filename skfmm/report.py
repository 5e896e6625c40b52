"""Deprecated old home of the benchmark's tables, figures and report.

Moved to :mod:`skfmm.benchmark.report` (tables, report) and :mod:`skfmm.benchmark.figures`.
Importing a name from here still works but emits a :class:`FutureWarning` naming its new home;
this module will be removed in a future release.
"""

from ._deprecated import moved_names

_NEW_HOMES = {
    "results_table": "skfmm.benchmark.report",
    "null_coverage": "skfmm.benchmark.report",
    "protocol_inflation": "skfmm.benchmark.report",
    "write_report": "skfmm.benchmark.report",
    "plot_mcc_intervals": "skfmm.benchmark.figures",
    "plot_roc_curves": "skfmm.benchmark.figures",
}

__getattr__, __all__ = moved_names(__name__, _NEW_HOMES)
