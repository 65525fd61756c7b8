"""The sensor and the sync wait for MiniMax-H3 videos (``v2:<id>`` or the operator's result), on the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred

from airflow_provider_hailuo.exceptions import HailuoWaitTimeoutError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.sensors.hailuo import HailuoVideoGenerationSensor
from tests.conftest import load_dag_file
from tests.helpers import FakeStore, context, op

H3 = {"model": "MiniMax-H3", "resolution": "768P", "duration": 4, "ratio": "16:9"}


def _submit(prompt: str = "a kite") -> dict[str, Any]:
    return op(prompt=prompt, wait_for_completion=False, **H3).execute(context(FakeStore()))  # type: ignore[no-any-return]


def _sensor(video_task_id: Any, **kwargs: Any) -> HailuoVideoGenerationSensor:
    kwargs.setdefault("poke_interval", 0.05)
    kwargs.setdefault("timeout", 30)
    return HailuoVideoGenerationSensor(task_id="s", video_task_id=video_task_id, **kwargs)


def test_sensor_waits_for_an_h3_video_named_v2_ref(sandbox: Any) -> None:
    submitted = _submit()
    v1_queries = sandbox.stats()["queries"]
    result = _sensor(f"v2:{submitted['video_task_id']}").execute(context())
    assert result["status"] == "Success" and result["api_version"] == "v2"
    assert result["video_task_id"] == submitted["video_task_id"] and result["file_id"] is None
    assert sandbox.stats()["v2"]["queries"] >= 1 and sandbox.stats()["queries"] == v1_queries


def test_sensor_takes_the_h3_operator_result_which_names_its_api(sandbox: Any) -> None:
    result = _sensor(_submit()).execute(context())
    assert result["status"] == "Success" and result["api_version"] == "v2"


def test_sensor_fails_clearly_on_a_failed_h3_video(sandbox: Any) -> None:
    submitted = _submit("SANDBOX_FAIL")
    with pytest.raises(AirflowFailException, match=f"video task {submitted['video_task_id']} failed"):
        _sensor(f"v2:{submitted['video_task_id']}").execute(context())


def test_deferrable_sensor_hands_the_api_to_the_trigger(sandbox: Any) -> None:
    sandbox.config.processing_seconds = 30
    submitted = _submit()
    with pytest.raises(TaskDeferred) as info:
        _sensor(f"v2:{submitted['video_task_id']}", deferrable=True).execute(context())
    _path, kwargs = info.value.trigger.serialize()
    assert kwargs["api_version"] == "v2" and kwargs["video_task_id"] == submitted["video_task_id"]


def test_sensor_refuses_a_malformed_v2_ref() -> None:
    with pytest.raises(AirflowFailException, match="v2:<digits> for a MiniMax-H3 video"):
        _sensor("v2:abc").poke(context())


def test_sync_wait_timeout_names_the_v2_ref_to_pick_the_video_up(sandbox: Any) -> None:
    sandbox.config.processing_seconds = 30
    task_id = _submit()["video_task_id"]
    with pytest.raises(HailuoWaitTimeoutError, match=f'video_task_id="v2:{task_id}"'):
        HailuoHook().wait_for_video_generation(task_id, api_version="v2", poll_interval=0.05, timeout=0.3)


@pytest.mark.parametrize("suffix", ["sync", "deferrable"])
def test_dag_h3_submit_then_sense(sandbox: Any, airflow_db: None, suffix: str) -> None:
    dag = load_dag_file("tests/dags/generation_dags.py", f"hailuo_h3_submit_then_sense_{suffix}")
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "success", {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    v2 = sandbox.stats()["v2"]
    assert v2["creates"] == 1 and v2["queries"] >= 1
