"""Old home of the benchmark's model zoo: a re-export, so that existing imports keep working.

Moved to :mod:`skfmm.benchmark.zoo` (the models) and :mod:`skfmm.benchmark.protocol`.
"""

from .benchmark.protocol import authors_protocol_fit_predict
from .benchmark.zoo import (
    BASELINE_DESCRIPTIONS,
    BASELINE_NAMES,
    DEEP_MODELS,
    MODEL_SIZES,
    SIZES,
    ChanceClassifier,
    make_baselines,
)

__all__ = [
    "ChanceClassifier",
    "BASELINE_NAMES",
    "BASELINE_DESCRIPTIONS",
    "DEEP_MODELS",
    "MODEL_SIZES",
    "SIZES",
    "make_baselines",
    "authors_protocol_fit_predict",
]
