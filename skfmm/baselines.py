"""Deprecated old home of the benchmark's model zoo.

Moved to :mod:`skfmm.benchmark.zoo` (the models) and :mod:`skfmm.benchmark.protocol`.
Importing a name from here still works but emits a :class:`FutureWarning` naming its new home;
this module will be removed in a future release.
"""

from ._deprecated import moved_names

# The zoo's __all__ as of the move (it is the list this module re-exported).
_NEW_HOMES = {
    **dict.fromkeys(["make_baselines", "ChanceClassifier", "BASELINE_NAMES", "EXTENDED_NAMES",
                     "BASELINE_DESCRIPTIONS", "DEEP_MODELS", "FM_MODELS", "MODEL_SIZES",
                     "SIZES"], "skfmm.benchmark.zoo"),
    "authors_protocol_fit_predict": "skfmm.benchmark.protocol",
}

__getattr__, __all__ = moved_names(__name__, _NEW_HOMES)
