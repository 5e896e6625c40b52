"""The benchmark's task records: the authors' protocol is a field of the task, added once."""

import pytest

from skfmm.benchmark.tasks import AUTHORS_SUFFIX, BenchmarkTask, benchmark_tasks


def test_every_model_in_every_scenario_then_the_authors_protocol_on_none():
    tasks = benchmark_tasks(["none", "fc"], ["chance", "fc_only", "fmm_tc"])
    assert [(t.scenario, t.model, t.protocol) for t in tasks] == [
        ("none", "chance", "nested"), ("none", "fc_only", "nested"),
        ("none", "fmm_tc", "nested"), ("fc", "chance", "nested"), ("fc", "fc_only", "nested"),
        ("fc", "fmm_tc", "nested"), ("none", "fmm_tc", "authors")]
    assert tasks[-1].name == "fmm_tc" + AUTHORS_SUFFIX and tasks[0].name == "chance"


def test_authors_protocol_falls_back_to_the_first_deep_model_or_is_left_out():
    assert benchmark_tasks(["none"], ["chance", "fc_only"])[-1] == BenchmarkTask(
        "none", "fc_only", "authors")
    # no deep model, no `none` scenario, or switched off: no authors' task
    for scenarios, models, flag in ((["none"], ["chance", "corr_logreg"], True),
                                    (["fc", "ts"], ["fmm_tc"], True),
                                    (["none"], ["fmm_tc"], False)):
        tasks = benchmark_tasks(scenarios, models, authors_protocol=flag)
        assert all(t.protocol == "nested" for t in tasks)
        assert len(tasks) == len(scenarios) * len(models)


def test_a_task_is_a_frozen_record_with_a_checked_protocol():
    task = BenchmarkTask("none", "fmm_tc")
    assert task.protocol == "nested" and task == BenchmarkTask("none", "fmm_tc", "nested")
    assert task != BenchmarkTask("none", "fmm_tc", "authors")
    with pytest.raises(AttributeError):
        task.protocol = "authors"
    with pytest.raises(ValueError, match=r"'protocol' must be one of \('nested', 'authors'\); "
                                         r"got 'author'"):
        BenchmarkTask("none", "fmm_tc", "author")
