"""MiniMax-H3 (v2) callbacks: the receiver reads v2's ``{"task": ...}`` pushes, the backstop speaks v2,
and the downstream example moves H3 videos, which have no file id, through their task."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import requests

from airflow_provider_hailuo.callbacks.app import parse_push
from airflow_provider_hailuo.callbacks.backstop import push_body
from airflow_provider_hailuo.outcomes import status_event
from airflow_provider_hailuo.protocol.v2 import status_from_task

from .conftest import Receiver
from .test_backstop import run_submit_dag

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIGNED = "https://cdn.example.com/v.mp4?Signature=s3cr3t&Expires=1"


def _push(receiver: Receiver, body: dict[str, Any]) -> requests.Response:
    return requests.post(receiver.url(), json=body, timeout=10)


def _wait_for(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_v2_success_push_makes_one_event_without_the_signed_url(receiver: Receiver) -> None:
    body = {
        "task": {"id": "424010985738629", "status": "succeeded", "content": {"url": SIGNED}, "ratio": "16:9"}
    }
    assert _push(receiver, body).json() == {"status": "success", "event": "created"}
    assert _push(receiver, body).json()["event"] == "duplicate"
    (event,) = receiver.sink.events
    assert (event["video_task_id"], event["status"], event["api_version"]) == (
        "424010985738629",
        "success",
        "v2",
    )
    assert event["file_id"] is None and "Signature" not in str(event)


@pytest.mark.parametrize(
    ("task", "code", "message"),
    [
        (
            {"status": "failed", "error": {"code": "1026", "message": "sensitive input"}},
            1026,
            "sensitive input",
        ),
        ({"status": "cancelled"}, None, None),
    ],
)
def test_v2_failed_or_cancelled_push_is_a_failed_event(
    receiver: Receiver, task: dict[str, Any], code: int | None, message: str | None
) -> None:
    assert _push(receiver, {"task": {"id": "5", **task}}).status_code == 200
    (event,) = receiver.sink.events
    assert (event["status"], event["api_version"], event.get("error_code")) == ("failed", "v2", code)
    if message:
        assert event["error_message"] == message


def test_v2_progress_pushes_make_no_event_and_bad_ones_are_400(receiver: Receiver) -> None:
    for status in ("queued", "running"):
        assert _push(receiver, {"task": {"id": "6", "status": status}}).json()["event"] == "none"
    bad = _push(receiver, {"task": {"status": "succeeded"}})
    assert bad.status_code == 400 and "no id" in bad.text
    assert receiver.sink.events == []


def test_backstop_v2_body_reads_back_as_the_same_status() -> None:
    for task in (
        {"id": "7", "status": "succeeded", "content": {"url": SIGNED}, "usage": {"output_seconds": 6}},
        {"id": "8", "status": "failed", "error": {"code": "1027", "message": "output moderated"}},
    ):
        status = status_from_task(task)
        body = push_body(status_event(status))
        assert SIGNED not in str(body) and body["source"] == "hailuo_backstop"
        parsed = parse_push(body)
        assert (parsed.video_task_id, parsed.status, parsed.error_code, parsed.api_version) == (
            status.video_task_id,
            status.status,
            status.error_code,
            "v2",
        )


@pytest.mark.filterwarnings("ignore:callback_url")
def test_sandbox_h3_task_pushes_v2_bodies_to_the_receiver(sandbox: Any, receiver: Receiver) -> None:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    task_id = HailuoHook().create_video_generation(
        model="MiniMax-H3",
        prompt="a kite at dawn",
        duration=4,
        resolution="768P",
        callback_url=receiver.url(),
    )
    _wait_for(lambda: len(receiver.sink.events) == 1)
    _wait_for(lambda: sandbox.stats()["v2"]["callbacks_sent"] == 3)  # queued, running, succeeded
    (event,) = receiver.sink.events
    assert (event["video_task_id"], event["status"], event["api_version"]) == (task_id, "success", "v2")
    assert sandbox.stats()["v2"]["callback_checks"] == 1


@pytest.mark.filterwarnings("ignore:callback_url")
def test_lost_h3_final_pushes_are_delivered_once_by_the_backstop(
    sandbox: Any, receiver: Receiver, airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.config.drop_final_callback = True
    run_submit_dag(receiver, monkeypatch, model="MiniMax-H3")
    v2 = sandbox.stats()["v2"]
    created = set(v2["tasks"])
    assert len(created) == 2 and sandbox.stats()["creates"] == 0
    _wait_for(lambda: sandbox.stats()["v2"]["callbacks_dropped"] == 2)
    events = receiver.sink.events
    assert sorted(e["video_task_id"] for e in events) == sorted(created)  # one event per video
    assert {(e["status"], e["source"], e["api_version"]) for e in events} == {
        ("success", "hailuo_backstop", "v2")
    }


def test_downstream_example_moves_h3_videos_by_task() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_hailuo_example_to_s3_v2", os.path.join(REPO, "dags_examples", "hailuo_callback_to_s3.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    events = [
        {"extra": {"video_task_id": "9", "status": "success", "file_id": None, "api_version": "v2"}},
        {"extra": {"video_task_id": "9", "status": "success", "file_id": None, "api_version": "v2"}},
        {"extra": {"video_task_id": "1", "status": "success", "file_id": "11"}},
    ]
    videos = module.finished_videos_from_events(events)
    assert videos[0] == {"video_task_id": "9", "api_version": "v2", "file_id": None, "status": "success"}
    assert [v["video_task_id"] for v in videos] == ["9", "1"]


def test_h3_event_extra_is_moved_to_s3_by_the_transfer(sandbox: Any, tmp_path: Any) -> None:
    """What the receiver records for an H3 video is enough for HailuoToS3Operator (it queries the task)."""
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook
    from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

    hook = HailuoHook()
    task_id = hook.create_video_generation(model="MiniMax-H3", prompt="a kite", duration=4, resolution="768P")
    hook.wait_for_video_generation(task_id, api_version="v2", poll_interval=0.05, timeout=20)
    extra = {"video_task_id": task_id, "api_version": "v2", "file_id": None, "status": "success"}
    video = HailuoToS3Operator(task_id="t", file_id=extra, s3_bucket="b")._resolve_video(hook)
    # No file id on v2: the transfer names the video by its task and gets the URL from the task's query.
    assert (video.video_task_id, video.file_id) == (task_id, f"v2:{task_id}")
