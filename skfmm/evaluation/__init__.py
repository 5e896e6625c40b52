"""Honest evaluation of skfmm models: metrics, nested cross-validation, intervals, p-values.

Generic over scikit-learn estimators and row-sliceable inputs such as MultimodalData.
"""

from .metrics import (
    CHANCE_LEVELS,
    METRIC_RANGES,
    METRICS,
    SCORERS,
    MetricScorer,
    compute_metrics,
    make_scorers,
    positive_class_scores,
)
from .nested import fit_predict, nested_cross_validate
from .permutation import PermutationTestResult, permutation_test
from .results import NestedCVResult
from .summary import one_class_predictions, paired_difference, pooled_metrics, summarize

__all__ = [
    "CHANCE_LEVELS",
    "METRIC_RANGES",
    "METRICS",
    "SCORERS",
    "MetricScorer",
    "NestedCVResult",
    "PermutationTestResult",
    "compute_metrics",
    "fit_predict",
    "make_scorers",
    "nested_cross_validate",
    "one_class_predictions",
    "paired_difference",
    "permutation_test",
    "pooled_metrics",
    "positive_class_scores",
    "summarize",
]
