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


# -- outages: only the sensor's own timeout ends its wait --------------------------------------------
def test_sensor_poke_mode_outlasts_an_outage_of_every_transient_kind(sandbox: Any) -> None:
    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    sandbox.config.outage_answer = "mixed"
    sandbox.config.outage_seconds = 3.0
    sensor = HailuoVideoGenerationSensor(task_id="s", video_task_id=submitted, poke_interval=0.05, timeout=30)
    result = sensor.execute(context())
    assert result["status"] == "Success" and result["video_task_id"] == submitted["video_task_id"]
    assert sandbox.stats()["injected_faults"]["outage"] > 10


def test_deferrable_sensor_outlasts_an_outage_of_every_transient_kind(sandbox: Any) -> None:
    import asyncio

    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    sandbox.config.outage_answer = "mixed"
    sandbox.config.outage_seconds = 3.0
    sensor = HailuoVideoGenerationSensor(
        task_id="s", video_task_id=submitted, deferrable=True, poke_interval=0.05, timeout=30
    )
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context())  # the first check meets the outage: a transient failure, so it defers

    async def run() -> Any:
        return [event async for event in info.value.trigger.run()]

    (event,) = asyncio.run(run())
    result = sensor.execute_complete(context(), event.payload)
    assert result["status"] == "Success" and result["video_task_id"] == submitted["video_task_id"]
    assert sandbox.stats()["injected_faults"]["outage"] > 10


@pytest.mark.parametrize("answer", ["garbled", "unknown_status", "token_limit"])
def test_reschedule_sensor_treats_odd_answers_as_not_yet(sandbox: Any, answer: str) -> None:
    from airflow.exceptions import AirflowRescheduleException

    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    sandbox.config.outage_answer = answer
    sandbox.config.outage_seconds = 30
    sensor = HailuoVideoGenerationSensor(
        task_id="s", video_task_id=submitted, mode="reschedule", poke_interval=5, timeout=100
    )
    ctx = context()
    ctx["ti"].get_first_reschedule_date.return_value = None
    with pytest.raises(AirflowRescheduleException):
        sensor.execute(ctx)


def test_sensor_bad_key_ends_the_wait_at_once(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_OTHER",
        f'{{"conn_type": "hailuo", "host": "{sandbox.url}", "password": "sandbox-other-region-key"}}',
    )
    before = sandbox.stats()["queries"]
    sensor = HailuoVideoGenerationSensor(
        task_id="s", video_task_id=submitted, hailuo_conn_id="hailuo_other", poke_interval=0.05, timeout=30
    )
    with pytest.raises(AirflowFailException, match="2049"):
        sensor.execute(context())
    assert sandbox.stats()["queries"] - before == 1
