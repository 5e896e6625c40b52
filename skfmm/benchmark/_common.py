"""Helpers shared by the benchmark's report and figures (package-private).

The summary table both read: its columns, its check, and the order of its rows.
"""

import numpy as np
import pandas as pd

#: Columns of ``summary.csv``, the table the report and the figures read: those of
#: :func:`skfmm.evaluation.summarize` with the scenario first.
SUMMARY_COLUMNS = ["scenario", "model", "metric", "mean", "ci_low", "ci_high", "method",
                   "n_folds", "chance", "p_value", "p_null", "one_class", "note"]
#: The columns a summary must have; the others are optional.
REQUIRED_COLUMNS = SUMMARY_COLUMNS[:6]


def check_summary(summary, who):
    """Refuse a ``summary`` that is not a DataFrame with the required columns, naming ``who``."""
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"{who}: 'summary' must be a pandas DataFrame; got "
                        f"{type(summary).__name__}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"{who}: 'summary' lacks the columns {missing} (expected "
                         f"{SUMMARY_COLUMNS}); got {list(summary.columns)}.")


def is_one_class(row):
    """Whether a summary row is of a model that predicted one class everywhere."""
    value = row.get("one_class", False)
    return value is True or (isinstance(value, str) and value == "True") or (
        isinstance(value, (bool, np.bool_)) and bool(value))


def ordered(values):
    """The distinct ``values`` in the order they first appear."""
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen
