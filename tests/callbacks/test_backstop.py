"""The callback backstop: a lost final push is delivered once, a delivered one is not repeated.

The example submit DAG runs under dag.test() against the sandbox (which pushes to a real receiver over
HTTP, or drops the final push with ``drop_final_callback``); the backstop's deferred wait runs inline.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import pytest

from airflow_provider_hailuo.callbacks.backstop import HailuoCallbackBackstopOperator, push_body
from airflow_provider_hailuo.outcomes import status_event
from airflow_provider_hailuo.protocol import status_from_mapping

from .conftest import TOKEN, Receiver

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_submit_dag(receiver: Receiver, monkeypatch: pytest.MonkeyPatch, **run_conf: Any) -> Any:
    from tests.conftest import load_dag_file

    monkeypatch.setenv("HAILUO_CALLBACK_BASE_URL", receiver.base_url)
    monkeypatch.setenv("HAILUO_CALLBACK_TOKEN", TOKEN)
    monkeypatch.setenv("HAILUO_EXAMPLE_POOL", "default_pool")
    monkeypatch.setenv("HAILUO_EXAMPLE_BACKSTOP_POLL_INTERVAL", "0.2")
    dag: Any = load_dag_file(
        os.path.join(REPO, "dags_examples", "hailuo_callback_submit.py"), "hailuo_callback_submit"
    )
    dag_run = dag.test(run_conf=run_conf or None)
    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    return dag_run


def _settle(sandbox: Any, *, pushes: int) -> None:
    """Wait until the sandbox has made (or dropped) every push it will make."""
    deadline = time.monotonic() + 15
    while True:
        stats = sandbox.stats()
        if stats["callbacks_sent"] + stats["callbacks_dropped"] + stats["callback_failures"] >= pushes:
            return
        assert time.monotonic() < deadline, stats
        time.sleep(0.05)


@pytest.mark.filterwarnings("ignore:callback_url")
def test_lost_final_pushes_are_delivered_once_by_the_backstop(
    sandbox: Any, receiver: Receiver, airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.config.drop_final_callback = True
    run_submit_dag(receiver, monkeypatch)
    _settle(sandbox, pushes=4)  # two videos: processing (sent) and final (dropped) each
    stats = sandbox.stats()
    created = set(stats["tasks"])
    assert len(created) == 2 and stats["callbacks_dropped"] == 2
    events = receiver.sink.events
    assert sorted(e["video_task_id"] for e in events) == sorted(created)  # one event per video
    assert {(e["status"], e["source"]) for e in events} == {("success", "hailuo_backstop")}
    assert all(e["file_id"] == stats["tasks"][e["video_task_id"]]["file_id"] for e in events)


@pytest.mark.filterwarnings("ignore:callback_url")
def test_delivered_pushes_are_not_repeated_by_the_backstop(
    sandbox: Any, receiver: Receiver, airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_submit_dag(receiver, monkeypatch)
    _settle(sandbox, pushes=4)
    created = set(sandbox.stats()["tasks"])
    # Both the push and the backstop reached the receiver for each video; it kept one event each.
    assert receiver.sink_calls == 4
    assert Counter(e["video_task_id"] for e in receiver.sink.events) == Counter(created)


def test_push_body_is_parsed_by_the_receiver_as_minimax_push() -> None:
    """The backstop speaks MiniMax's push format: the receiver's own parser reads back the same status."""
    for answer in (
        {"task_id": "7", "status": "Success", "file_id": "99", "video_width": 1366, "video_height": 768},
        {
            "task_id": "8",
            "status": "Fail",
            "base_resp": {"status_code": 1027, "status_msg": "output moderated"},
        },
    ):
        status = status_from_mapping(answer)
        parsed = status_from_mapping(push_body(status_event(status)))
        assert (parsed.video_task_id, parsed.status, parsed.file_id, parsed.error_code) == (
            status.video_task_id,
            status.status,
            status.file_id,
            status.error_code,
        )


def test_unreachable_receiver_fails_retryably_with_the_token_hidden(receiver: Receiver) -> None:
    from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

    op = HailuoCallbackBackstopOperator(
        task_id="backstop", video_task_id="7", callback_url=f"http://127.0.0.1:9/hailuo/callback/{TOKEN}"
    )
    event = {"status": "success", "video_task_id": "7", "file_id": "99", "message": "ok"}
    with pytest.raises(AirflowException) as info:
        op.execute_complete({}, event)
    assert not isinstance(info.value, AirflowFailException)  # retries deliver it later
    assert TOKEN not in str(info.value) and "A retry delivers it" in str(info.value)
    wrong = HailuoCallbackBackstopOperator(
        task_id="backstop", video_task_id="7", callback_url=receiver.url("wrong-token-0123456789")
    )
    with pytest.raises(AirflowException, match="HTTP 403"):
        wrong.execute_complete({}, event)
    assert receiver.sink.events == []
    right = HailuoCallbackBackstopOperator(task_id="backstop", video_task_id="7", callback_url=receiver.url())
    assert right.execute_complete({}, event)["delivery"] == "created"
    assert right.execute_complete({}, event)["delivery"] == "duplicate"
    assert [e["source"] for e in receiver.sink.events] == ["hailuo_backstop"]
