"""The benchmark: the model zoo, the authors' (optimistic) protocol, the run and its report."""

from .._lazy import attach  # noqa: E402

_LAZY = {
    "TestFoldEpochSelection": "skfmm.benchmark.protocol",
    "fit_authors_protocol": "skfmm.benchmark.protocol",
    "authors_protocol_fit_predict": "skfmm.benchmark.protocol",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY)
