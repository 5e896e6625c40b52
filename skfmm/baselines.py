"""Old home of the benchmark's model zoo: a re-export, so that existing imports keep working.

Moved to :mod:`skfmm.benchmark.zoo` (the models) and :mod:`skfmm.benchmark.protocol`.
"""

from .benchmark.protocol import authors_protocol_fit_predict
# The zoo's __all__, imported rather than copied, so that this list cannot drift from it.
from .benchmark.zoo import *  # noqa: F401,F403
from .benchmark.zoo import __all__

__all__ = [*__all__, "authors_protocol_fit_predict"]
