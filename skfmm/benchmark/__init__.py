"""The benchmark: the model zoo, the authors' (optimistic) protocol, the run and its report.

Names load on first use: ``zoo``, ``protocol``, ``scenarios``, ``tasks``, ``run``
(``environment``, ``outputs``), ``report``, ``figures``.
"""

from .._lazy import attach  # noqa: E402

_LAZY = {
    "ChanceClassifier": "skfmm.benchmark.zoo",
    "make_baselines": "skfmm.benchmark.zoo",
    "BASELINE_NAMES": "skfmm.benchmark.zoo",
    "EXTENDED_NAMES": "skfmm.benchmark.zoo",
    "BASELINE_DESCRIPTIONS": "skfmm.benchmark.zoo",
    "DEEP_MODELS": "skfmm.benchmark.zoo",
    "MODEL_SIZES": "skfmm.benchmark.zoo",
    "SIZES": "skfmm.benchmark.zoo",
    "TestFoldEpochSelection": "skfmm.benchmark.protocol",
    "fit_authors_protocol": "skfmm.benchmark.protocol",
    "authors_protocol_fit_predict": "skfmm.benchmark.protocol",
    "SCENARIOS": "skfmm.benchmark.scenarios",
    "SCENARIO_DESCRIPTIONS": "skfmm.benchmark.scenarios",
    "DESIGNS": "skfmm.benchmark.scenarios",
    "simulated_cohorts": "skfmm.benchmark.scenarios",
    "bids_cohort": "skfmm.benchmark.scenarios",
    "BenchmarkTask": "skfmm.benchmark.tasks",
    "run_benchmark": "skfmm.benchmark.run",
    "results_table": "skfmm.benchmark.report",
    "null_coverage": "skfmm.benchmark.report",
    "protocol_inflation": "skfmm.benchmark.report",
    "write_report": "skfmm.benchmark.report",
    "plot_mcc_intervals": "skfmm.benchmark.figures",
    "plot_roc_curves": "skfmm.benchmark.figures",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY)
