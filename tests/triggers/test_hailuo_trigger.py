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

    async def broken(self: Any, video_task_id: str, **_: Any) -> Any:
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


# -- outages: the wait's own deadline decides, not a count of failed polls ----------------------------
async def test_trigger_outlasts_an_outage_of_every_transient_kind_inside_its_deadline(
    sandbox: Any, capsys: Any
) -> None:
    """A scaled-down two-minute outage (about 40 poll intervals of 502/503 pages, 1002, 1039, garbled
    bodies and status Unknown) ends in success, logged as one outage rather than a line per poll."""
    import time

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})
    sandbox.config.outage_answer = "mixed"
    sandbox.config.outage_seconds = 3.0
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05, end_time=time.time() + 30))
    assert event["status"] == "success" and event["file_id"] and event["video_task_id"] == task_id
    assert sandbox.stats()["injected_faults"]["outage"] > 10
    out = capsys.readouterr().out
    assert out.count("MiniMax unreachable since") == 1 and out.count("reachable again") == 1
    assert out.count("is Success after") == 1
    await close_shared_client_session()


async def test_trigger_keeps_waiting_through_an_unknown_status(sandbox: Any, capsys: Any) -> None:
    import time

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})
    sandbox.config.outage_answer = "unknown_status"
    sandbox.config.outage_seconds = 2.0
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05, end_time=time.time() + 30))
    assert event["status"] == "success" and sandbox.stats()["injected_faults"]["outage"] >= 5
    assert "unknown video task status 'Unknown'" in capsys.readouterr().out
    await close_shared_client_session()


async def test_trigger_timeout_during_an_outage_says_since_when(sandbox: Any) -> None:
    import time

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})
    sandbox.config.outage_answer = "gateway"
    sandbox.config.outage_seconds = 60
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05, end_time=time.time() + 1))
    assert event["status"] == "timeout" and task_id in event["message"]
    assert (
        "MiniMax unreachable since" in event["message"] and "failed polls, last: HTTP 502" in event["message"]
    )
    await close_shared_client_session()


@pytest.mark.parametrize("key", ["bad-key", "sandbox-other-region-key"])
async def test_trigger_bad_key_ends_the_wait_at_once(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    import json

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook, clear_connection_cache

    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_DEFAULT",
        json.dumps({"conn_type": "hailuo", "host": sandbox.url, "password": key}),
    )
    clear_connection_cache()
    before = sandbox.stats()["queries"]
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05))
    assert event["status"] == "error" and event["error_code"] in (1004, 2049)
    assert sandbox.stats()["queries"] - before == 1
    await close_shared_client_session()


def test_the_request_summary_survives_serialization_and_comes_back_in_the_event() -> None:
    """dag.test() resumes a task with the event alone: the summary rides along (a JSON string kwarg)."""
    summary = {"model": "MiniMax-H3", "resolution": "768P", "duration": 4, "estimated_cost": 0.32}
    trigger = HailuoVideoGenerationTrigger("42", summary=summary)
    _path, kwargs = trigger.serialize()
    assert isinstance(kwargs["summary"], str)
    resumed = HailuoVideoGenerationTrigger(**kwargs)
    assert resumed.summary == summary
    event = resumed._event({"video_task_id": "42", "status": "success"})
    assert event.payload["summary"] == summary
    assert "summary" not in HailuoVideoGenerationTrigger("42").serialize()[1]  # old kwargs unchanged
