"""The sensor in poke, reschedule and deferrable mode, against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred

from airflow_provider_hailuo.sensors.hailuo import HailuoVideoGenerationSensor
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger
from tests.helpers import FakeStore, context, op


def test_sensor_poke_and_dict_input(sandbox: Any) -> None:
    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    sensor = HailuoVideoGenerationSensor(task_id="s", video_task_id=submitted, poke_interval=0.05, timeout=30)
    result = sensor.execute(context())
    assert result["status"] == "Success" and result["video_task_id"] == submitted["video_task_id"]


def test_sensor_fails_clearly_on_fail(sandbox: Any) -> None:
    submitted = op(prompt="SANDBOX_FAIL", wait_for_completion=False).execute(context(FakeStore()))
    sensor = HailuoVideoGenerationSensor(
        task_id="s", video_task_id=submitted["video_task_id"], poke_interval=0.05
    )
    with pytest.raises(AirflowFailException, match=submitted["video_task_id"]):
        sensor.execute(context())


def test_deferrable_sensor_soft_fail_and_final_timeout(sandbox: Any) -> None:
    from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    failed = op(prompt="SANDBOX_FAIL", wait_for_completion=False).execute(context(FakeStore()))
    HailuoHook().wait_for_video_generation(failed["video_task_id"], poll_interval=0.05, timeout=20)
    soft = HailuoVideoGenerationSensor(
        task_id="s",
        video_task_id=failed["video_task_id"],
        deferrable=True,
        soft_fail=True,
        poke_interval=0.05,
    )
    with pytest.raises(AirflowSkipException):
        soft.execute(context())
    # A timeout reported by the trigger is final, as in poke mode: no retry with a fresh clock.
    sensor = HailuoVideoGenerationSensor(task_id="s", video_task_id="123", deferrable=True)
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute_complete(
            {}, {"status": "timeout", "video_task_id": "123", "message": "not ready in 5s"}
        )


def test_sensor_deferrable(sandbox: Any) -> None:
    sandbox.config.processing_seconds = 30
    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    sensor = HailuoVideoGenerationSensor(
        task_id="s", video_task_id=submitted["video_task_id"], deferrable=True, poke_interval=1, timeout=100
    )
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context())
    assert isinstance(info.value.trigger, HailuoVideoGenerationTrigger)


def test_sensor_reschedule_mode_frees_the_slot_between_pokes(sandbox: Any) -> None:
    from airflow.exceptions import AirflowRescheduleException

    sandbox.config.processing_seconds = 30
    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    sensor = HailuoVideoGenerationSensor(
        task_id="s", video_task_id=submitted["video_task_id"], mode="reschedule", poke_interval=5, timeout=100
    )
    ctx = context()
    ctx["ti"].get_first_reschedule_date.return_value = None  # the first poke
    with pytest.raises(AirflowRescheduleException):
        sensor.execute(ctx)


def test_sensor_rejects_bad_id() -> None:
    with pytest.raises(AirflowFailException, match="video_task_id"):
        HailuoVideoGenerationSensor(task_id="s", video_task_id="not-an-id").poke(context())
