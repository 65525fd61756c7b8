"""The trigger: serialization, polling through faults, events for every ending, one shared session."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_hailuo.hooks.hailuo import close_shared_client_session
from airflow_provider_hailuo.outcomes import validate_event
from airflow_provider_hailuo.sensors.hailuo import HailuoVideoGenerationSensor
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger


def test_trigger_serialization_round_trip() -> None:
    trigger = HailuoVideoGenerationTrigger("123", "hailuo_default", 5.0, 1_800_000_000.0, 1_700_000_000.0)
    path, kwargs = trigger.serialize()
    again = HailuoVideoGenerationTrigger(**kwargs)
    assert again.serialize() == (path, kwargs)


async def _run(trigger: HailuoVideoGenerationTrigger) -> dict[str, Any]:
    events = [event async for event in trigger.run()]
    assert len(events) == 1
    return (
        validate_event(events[0].payload)
        if events[0].payload.get("status") == "success"
        else events[0].payload
    )


async def test_trigger_success_with_faults_mixed_in(sandbox: Any, capsys: Any) -> None:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})
    sandbox.config.gateway_error_rate = 0.2
    sandbox.config.rate_limit_error_rate = 0.1
    sandbox.config.slow_seconds = 0.05
    sandbox.config.fault_seed = 11
    import time

    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05, end_time=time.time() + 60))
    assert event["status"] == "success" and event["file_id"] and event["video_task_id"] == task_id
    assert capsys.readouterr().out.count("is Success after") == 1
    await close_shared_client_session()


async def test_trigger_timeout_and_permanent_errors(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook, clear_connection_cache

    sandbox.config.processing_seconds = 60
    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05, end_time=time.time() + 0.3))
    assert event["status"] == "timeout" and task_id in event["message"]
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_DEFAULT",
        f'{{"conn_type": "hailuo", "host": "{sandbox.url}", "password": "bad"}}',
    )
    clear_connection_cache()
    before = sandbox.stats()["queries"]
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05))
    assert event["status"] == "error" and event["error_code"] == 1004
    assert sandbox.stats()["queries"] - before == 1
    await close_shared_client_session()


async def test_unexpected_trigger_error_is_a_failed_wait_not_a_failed_video(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug or an odd exception while polling must not read as "MiniMax failed the video"."""
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook
    from airflow_provider_hailuo.outcomes import failure_for_event

    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})

    async def broken(self: Any, video_task_id: str) -> Any:
        raise LookupError("connection backend hiccup")

    monkeypatch.setattr(HailuoHook, "aget_video_generation_once", broken)
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05))
    assert event["status"] == "error" and event["reason"] == "polling_failed"
    err = failure_for_event(event)
    assert err.retryable and not err.permanent
    assert "re-attaches" in str(err) and "new (paid) video" not in str(err)
    sensor = HailuoVideoGenerationSensor(task_id="s", video_task_id=task_id)
    with pytest.raises(Exception) as info:
        sensor.execute_complete({}, event)
    assert not isinstance(info.value, AirflowFailException)  # the sensor's retries still apply
    await close_shared_client_session()


async def test_trigger_reports_output_moderation(sandbox: Any) -> None:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    task_id = HailuoHook().create_video_generation_from_payload(
        {"model": "MiniMax-Hailuo-02", "prompt": "SANDBOX_SENSITIVE_OUTPUT"}
    )
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05))
    assert event["status"] == "error" and event["error_code"] == 1027
    await close_shared_client_session()


async def test_many_triggers_share_one_session(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import aiohttp

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    created: list[aiohttp.ClientSession] = []

    class CountingSession(aiohttp.ClientSession):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(aiohttp, "ClientSession", CountingSession)
    hook = HailuoHook()
    ids = [
        hook.create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": f"v{i}"})
        for i in range(30)
    ]
    events = await asyncio.gather(*(_run(HailuoVideoGenerationTrigger(i, poll_interval=0.05)) for i in ids))
    assert {e["video_task_id"] for e in events} == set(ids)
    assert all(e["status"] == "success" for e in events)
    assert len(created) == 1  # 30 triggers, many polls each, one session
    assert created[0].closed  # the last trigger out closed it: nothing leaks into loop shutdown


async def test_trigger_on_kill_says_no_cancel(capsys: Any) -> None:
    await HailuoVideoGenerationTrigger("42").on_kill()
    assert "no cancel endpoint" in capsys.readouterr().out
