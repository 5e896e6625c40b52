"""The benchmark's task list: one record per (scenario, model, protocol) evaluated.

Every model runs by the honest nested protocol in every scenario; on the `none` scenario
(no effect) one deep model also runs by the authors' protocol (best epoch on the test fold),
to measure how much that protocol inflates MCC.
"""

from __future__ import annotations

from dataclasses import dataclass

from .zoo import DEEP_MODELS

__all__ = ["BenchmarkTask", "benchmark_tasks", "PROTOCOLS", "AUTHORS_SUFFIX"]

#: The protocols a task runs by: ``"nested"`` (nested cross-validation, every estimate of the
#: benchmark) and ``"authors"`` (the authors' best epoch on the test fold, measured only).
PROTOCOLS = ("nested", "authors")
#: Appended to a model's name in the tables for its run by the authors' protocol.
AUTHORS_SUFFIX = " [authors' protocol]"


@dataclass(frozen=True)
class BenchmarkTask:
    """One evaluation of the benchmark: a model of the zoo on a scenario, by a protocol.

    Parameters
    ----------
    scenario : str
        A scenario (or the BIDS cohort's name).
    model : str
        A model of :func:`skfmm.benchmark.zoo.make_baselines`.
    protocol : {"nested", "authors"}, default="nested"
        ``"authors"``: the authors' protocol
        (:func:`skfmm.benchmark.protocol.authors_protocol_fit_predict`, no grid search).

    Examples
    --------
    >>> from skfmm.benchmark.tasks import BenchmarkTask
    >>> task = BenchmarkTask("none", "fmm_tc", protocol="authors")
    >>> task.name
    "fmm_tc [authors' protocol]"
    """

    scenario: str
    model: str
    protocol: str = "nested"

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"BenchmarkTask: 'protocol' must be one of {PROTOCOLS}; got "
                             f"{self.protocol!r}.")

    @property
    def name(self):
        """The model's name in the tables (with :data:`AUTHORS_SUFFIX` for the authors')."""
        return self.model + AUTHORS_SUFFIX if self.protocol == "authors" else self.model


def benchmark_tasks(scenarios, models, *, authors_protocol=True):
    """Every model in every scenario, then the authors' protocol on the `none` scenario.

    Parameters
    ----------
    scenarios : list of str
    models : list of str
        The zoo's models, in order.
    authors_protocol : bool, default=True
        Add the authors'-protocol task: ``fmm_tc`` (else the first deep model) on `none`,
        when that scenario and such a model are in the run.

    Returns
    -------
    list of BenchmarkTask
        Scenario by scenario, model by model; the authors'-protocol task last.

    Examples
    --------
    >>> from skfmm.benchmark.tasks import benchmark_tasks
    >>> [t.name for t in benchmark_tasks(["none", "fc"], ["fc_only", "fmm_tc"])]
    ['fc_only', 'fmm_tc', 'fc_only', 'fmm_tc', "fmm_tc [authors' protocol]"]
    """
    models = list(models)
    tasks = [BenchmarkTask(s, m) for s in scenarios for m in models]
    if authors_protocol and "none" in scenarios:
        model = "fmm_tc" if "fmm_tc" in models else next(
            (m for m in models if m in DEEP_MODELS), None)
        if model is not None:
            tasks.append(BenchmarkTask("none", model, protocol="authors"))
    return tasks
