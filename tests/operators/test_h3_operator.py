"""MiniMax-H3 through the one generation operator: the model picks the v2 API (sandbox, dag.test())."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger
from tests.conftest import load_dag_file
from tests.helpers import FakeStore, context, op

DAG_FILE = "tests/dags/generation_dags.py"


def _v2(sandbox: Any) -> dict[str, Any]:
    return sandbox.stats()["v2"]  # type: ignore[no-any-return]


def test_h3_sync_result_carries_api_version_ratio_and_usage(sandbox: Any) -> None:
    result = op(model="MiniMax-H3", resolution="768P", duration=5, ratio="1:1").execute(context(FakeStore()))
    assert result["status"] == "Success"
    assert result["api_version"] == "v2" and result["file_id"] is None
    assert result["ratio"] == "1:1"
    assert result["usage"] and result["usage"]["output_seconds"] == 5
    assert (result["model"], result["resolution"], result["duration"]) == ("MiniMax-H3", "768P", 5)
    v2 = _v2(sandbox)
    assert v2["creates"] == 1 and sandbox.stats()["creates"] == 0  # nothing went to v1
    (body,) = [t for t in v2["tasks"].values()]
    assert body["model"] == "MiniMax-H3"
    json.dumps(result)  # XCom-safe
    assert "sandbox/download" not in json.dumps(result)  # no signed URL in XCom


def test_h3_invalid_input_refused_before_any_request(sandbox: Any) -> None:
    with pytest.raises(AirflowFailException, match="subject_reference: not accepted by MiniMax-H3"):
        op(model="MiniMax-H3", subject_reference="https://example.com/a.png").execute(context(FakeStore()))
    with pytest.raises(AirflowFailException, match="ratio: text-to-video needs a concrete ratio"):
        op(model="MiniMax-H3", ratio="adaptive").execute(context(FakeStore()))
    assert _v2(sandbox)["create_calls"] == 0 and sandbox.stats()["create_calls"] == 0


def test_h3_deferrable_trigger_kwargs_carry_the_api_version(sandbox: Any) -> None:
    from airflow.providers.common.compat.sdk import TaskDeferred

    sandbox.config.processing_seconds = 30
    with pytest.raises(TaskDeferred) as info:
        op(model="MiniMax-H3", resolution="768P", duration=4, deferrable=True).execute(context(FakeStore()))
    trigger = info.value.trigger
    assert isinstance(trigger, HailuoVideoGenerationTrigger)
    _path, kwargs = trigger.serialize()
    assert kwargs["api_version"] == "v2"
    assert all(isinstance(v, (str, int, float, type(None))) for v in kwargs.values())
    assert info.value.kwargs["payload_summary"]["api_version"] == "v2"


def test_h3_reattach_queries_v2(sandbox: Any) -> None:
    store = FakeStore()
    first = op(model="MiniMax-H3", resolution="768P", duration=4, wait_for_completion=False).execute(
        context(store)
    )
    again = op(model="MiniMax-H3", resolution="768P", duration=4).execute(context(store))
    assert again["video_task_id"] == first["video_task_id"] and again["api_version"] == "v2"
    assert _v2(sandbox)["creates"] == 1


def _states(dag_run: Any) -> dict[str, Any]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


@pytest.mark.parametrize("suffix", ["sync", "deferrable"])
def test_dag_h3_modes(sandbox: Any, airflow_db: None, suffix: str) -> None:
    dag = load_dag_file(DAG_FILE, f"hailuo_h3_{suffix}")
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "success", _states(dag_run)
    v2 = _v2(sandbox)
    assert v2["creates"] == 3 and sandbox.stats()["creates"] == 0
    assert sorted(t["model"] for t in v2["tasks"].values()) == ["MiniMax-H3"] * 3


@pytest.mark.parametrize("suffix", ["sync", "deferrable"])
def test_dag_h3_retry_reattaches_instead_of_paying_twice(sandbox: Any, airflow_db: None, suffix: str) -> None:
    dag = load_dag_file(DAG_FILE, f"hailuo_h3_reattach_{suffix}")
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "success"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 2
    # 3.3+: the task state store; before: the v2 task list finds the first try's video.
    assert _v2(sandbox)["creates"] == 1
