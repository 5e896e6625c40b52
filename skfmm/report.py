"""Old home of the benchmark's tables, figures and report: a re-export, so imports keep working.

Moved to :mod:`skfmm.benchmark.report` (tables, report) and :mod:`skfmm.benchmark.figures`.
"""

from .benchmark.figures import plot_mcc_intervals, plot_roc_curves
from .benchmark.report import null_coverage, protocol_inflation, results_table, write_report

__all__ = [
    "results_table",
    "null_coverage",
    "protocol_inflation",
    "plot_mcc_intervals",
    "plot_roc_curves",
    "write_report",
]
