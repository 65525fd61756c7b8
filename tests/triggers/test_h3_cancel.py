"""Cancelling a MiniMax-H3 video nobody waits for: queued -> DELETE (not billed), running -> left and logged.

Sandbox counters prove what reached the API: ``delete_calls`` and ``cancelled``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from airflow_provider_hailuo.exceptions import HailuoWaitTimeoutError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger
from tests.helpers import FakeStore, context, op

H3 = {"model": "MiniMax-H3", "prompt": "a kite", "resolution": "768P", "duration": 4, "ratio": "16:9"}


def _submit(sandbox: Any) -> str:
    return HailuoHook().create_video_generation(**H3)


def _v2(sandbox: Any) -> dict[str, Any]:
    return sandbox.stats()["v2"]  # type: ignore[no-any-return]


def _status(sandbox: Any, task_id: str) -> str:
    return HailuoHook().get_video_generation(task_id, api_version="v2").raw_status or ""


def test_trigger_on_kill_cancels_a_queued_video(sandbox: Any) -> None:
    sandbox.config.queueing_seconds = 60
    task_id = _submit(sandbox)
    trigger = HailuoVideoGenerationTrigger(task_id, poll_interval=0.05, api_version="v2")
    asyncio.run(trigger.on_kill())
    assert (_v2(sandbox)["delete_calls"], _v2(sandbox)["cancelled"]) == (1, 1)
    assert _status(sandbox, task_id) == "cancelled"


def test_trigger_on_kill_leaves_a_running_video_and_says_it_is_billed(
    sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.config.preparing_seconds = 0
    sandbox.config.queueing_seconds = 0
    sandbox.config.processing_seconds = 60
    task_id = _submit(sandbox)
    time.sleep(0.05)
    trigger = HailuoVideoGenerationTrigger(task_id, poll_interval=0.05, api_version="v2")
    asyncio.run(trigger.on_kill())
    assert _v2(sandbox)["delete_calls"] == 0
    captured = capsys.readouterr()
    assert "will finish and be billed" in captured.out + captured.err


def test_trigger_deadline_cancels_a_queued_video(sandbox: Any) -> None:
    sandbox.config.queueing_seconds = 60
    task_id = _submit(sandbox)
    trigger = HailuoVideoGenerationTrigger(
        task_id, poll_interval=0.05, end_time=time.time() + 0.3, api_version="v2"
    )

    async def first_event() -> Any:
        async for event in trigger.run():
            return event.payload
        return None

    event = asyncio.run(first_event())
    assert event["status"] == "timeout"
    assert _v2(sandbox)["cancelled"] == 1


def test_v1_trigger_never_sends_a_delete(sandbox: Any) -> None:
    sandbox.config.queueing_seconds = 60
    task_id = HailuoHook().create_video_generation(prompt="a kite")
    asyncio.run(HailuoVideoGenerationTrigger(task_id).on_kill())
    assert _v2(sandbox)["delete_calls"] == 0


def test_operator_deadline_cancels_a_queued_video(sandbox: Any) -> None:
    sandbox.config.queueing_seconds = 60
    with pytest.raises(HailuoWaitTimeoutError):
        op(timeout=0.3, **H3).execute(context(FakeStore()))
    assert (_v2(sandbox)["delete_calls"], _v2(sandbox)["cancelled"]) == (1, 1)


def test_operator_on_kill_cancels_the_video_it_waits_for(sandbox: Any) -> None:
    sandbox.config.queueing_seconds = 60
    operator = op(**H3)
    task_id = _submit(sandbox)
    operator._waiting_on = (task_id, "v2")
    operator.on_kill()
    assert _v2(sandbox)["cancelled"] == 1
    operator._waiting_on = None
    operator.on_kill()  # nothing in flight: nothing sent
    assert _v2(sandbox)["delete_calls"] == 1
