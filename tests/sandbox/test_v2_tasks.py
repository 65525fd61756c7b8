"""v2 tasks over HTTP: query (§5.2), usage (§5.6), list (§5.3), delete (§5.4), the 7-day window (§10),
expiring content URLs, Context-IR (§4.1) and regeneration (§4.2)."""

from __future__ import annotations

import shutil
import subprocess
import time
from typing import Any

import pytest
import requests

from airflow_provider_hailuo.sandbox import SandboxConfig, SandboxServer

from . import media_files as mf
from .conftest import API_KEY
from .v2_calls import (
    CONTEXT_IR,
    REGENERATION,
    audio,
    create,
    delete,
    error_of,
    image,
    listing,
    post,
    query,
    query_response,
    t2va,
    text,
    video,
    wait_status,
)

PNG = mf.data_url("image/png", mf.png(512, 512))
TASK_FIELDS = {
    "id",
    "model",
    "status",
    "created_at",
    "updated_at",
    "resolution",
    "duration",
    "usage",
    "ratio",
    "task_type",
    "modality",
}


def download(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


# -- query --------------------------------------------------------------------------------------------


def test_query_shape_through_the_lifecycle(api: requests.Session) -> None:
    config = SandboxConfig(preparing_seconds=0.2, queueing_seconds=0.2, processing_seconds=0.4)
    with SandboxServer(config) as server:
        started = int(time.time())
        task_id = create(api, server, t2va())
        seen = []
        while not seen or seen[-1]["status"] not in ("succeeded", "failed"):
            seen.append(query(api, server, task_id))
            time.sleep(0.03)
        statuses = [t["status"] for t in seen]
        assert statuses[0] == "queued"
        assert statuses == sorted(statuses, key=["queued", "running", "succeeded"].index)
        assert "running" in statuses
        for task in seen[:-1]:
            assert set(task) == TASK_FIELDS
            assert task["usage"] == {}
        final = seen[-1]
        assert set(final) == TASK_FIELDS | {"content"}
        assert final["id"] == task_id
        assert (final["model"], final["resolution"], final["duration"], final["ratio"]) == (
            "MiniMax-H3",
            "768P",
            5,
            "16:9",
        )
        assert (final["task_type"], final["modality"]) == ("generation", "video")
        assert started <= final["created_at"] <= final["updated_at"] <= int(time.time())
        assert set(final["content"]) == {"url"}
        assert final["usage"] == {
            "total_seconds": 5,
            "input_seconds": 0,
            "output_seconds": 5,
            "input_image_count": 0,
            "total_tokens": 5000,
            "prompt_tokens": 0,
            "completion_tokens": 5000,
        }


@pytest.mark.parametrize(
    ("prompt", "status", "error"),
    [
        ("SANDBOX_FAIL", "failed", {"code": "1000", "message": "video generation failed"}),
        (
            "SANDBOX_SENSITIVE_OUTPUT",
            "failed",
            {"code": "1027", "message": "output video contains sensitive content"},
        ),
        ("SANDBOX_EXPIRED", "expired", None),
    ],
)
def test_failures_on_demand(
    sandbox: SandboxServer, api: requests.Session, prompt: str, status: str, error: dict[str, str] | None
) -> None:
    task_id = create(api, sandbox, t2va(content=[text(f"a fox {prompt}")]))
    task = wait_status(api, sandbox, task_id, "succeeded", "failed", "expired")
    assert task["status"] == status
    assert task.get("error") == error
    assert "content" not in task
    assert task["usage"] == {}
    assert sandbox.stats()["v2"]["tasks"][task_id]["charged"] is False


def test_sensitive_input_is_422_without_task(sandbox: SandboxServer, api: requests.Session) -> None:
    response = post(api, sandbox, t2va(content=[text("SANDBOX_SENSITIVE fox")]))
    assert error_of(response) == (
        422,
        "unprocessable_entity_error",
        "video description contains sensitive content (1026)",
    )
    assert sandbox.stats()["v2"]["creates"] == 0


def test_query_errors_and_account_scope(sandbox: SandboxServer, api: requests.Session) -> None:
    task_id = create(api, sandbox, t2va())
    for unknown in ("123456789012345", "abc"):
        assert error_of(query_response(api, sandbox, unknown)) == (
            400,
            "bad_request_error",
            "invalid params, invalid task_id (2013)",
        )
    other = requests.get(
        f"{sandbox.url}/v2/query/video_generation/{task_id}",
        headers={"Authorization": "Bearer sandbox-token-plan-key"},
        timeout=5,
    )
    assert error_of(other)[2] == "invalid params, invalid task_id (2013)"
    # v1 and v2 tasks live apart, as on MiniMax.
    v1 = api.get(f"{sandbox.url}/v1/query/video_generation", params={"task_id": task_id}, timeout=5).json()
    assert v1["base_resp"]["status_code"] == 2013


def test_usage_counts_inputs(sandbox: SandboxServer, api: requests.Session) -> None:
    content = [
        text(),
        image(PNG, "reference_image"),
        image(PNG, "reference_image"),
        video(mf.data_url("video/mp4", mf.mp4(seconds=3.5))),
        audio(mf.data_url("audio/wav", mf.wav(3))),
        audio(mf.data_url("audio/mp3", mf.mp3(4))),
    ]
    task_id = create(api, sandbox, t2va(content=content, ratio=None, duration=6, resolution="2K"))
    usage = wait_status(api, sandbox, task_id, "succeeded")["usage"]
    assert usage["input_seconds"] == 4  # 3.5 s of reference video, rounded up
    assert usage["output_seconds"] == 6
    assert usage["total_seconds"] == 10
    assert usage["input_image_count"] == 2
    assert usage["input_audio_seconds"] == 7
    frames_task = create(
        api, sandbox, t2va(content=[text(), image(PNG, "first_frame"), image(PNG, "last_frame")], ratio=None)
    )
    assert wait_status(api, sandbox, frames_task, "succeeded")["usage"]["input_image_count"] == 2


# -- the video ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "ratio", "duration", "size", "frames"),
    [
        ("768P", "16:9", 5, (1344, 768), 124),
        ("2K", "16:9", 4, (2560, 1440), 107),
        ("768P", "9:16", 15, (768, 1344), 362),
        ("2K", "1:1", 6, (1920, 1920), 158),
    ],
)
def test_content_url_serves_the_promised_video(
    sandbox: SandboxServer,
    api: requests.Session,
    resolution: str,
    ratio: str,
    duration: int,
    size: tuple[int, int],
    frames: int,
) -> None:
    task_id = create(api, sandbox, t2va(resolution=resolution, ratio=ratio, duration=duration))
    url = wait_status(api, sandbox, task_id, "succeeded")["content"]["url"]
    assert url.startswith(f"{sandbox.url}/sandbox/download/")
    response = download(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "video/mp4"
    summary = sandbox.stats()["v2"]["tasks"][task_id]
    assert (summary["width"], summary["height"], summary["frames"]) == (*size, frames)
    sha = requests.get(f"{sandbox.url}/sandbox/files/{summary['file_id']}/sha256", timeout=10).json()
    assert sha["bytes"] == len(response.content)
    ffprobe = shutil.which("ffprobe")
    assert ffprobe is not None, "ffprobe (Debian ffmpeg) is part of the test machine"
    probe = subprocess.run(
        [
            ffprobe,
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,nb_frames",
            "-of",
            "csv=p=0",
            "-",
        ],
        input=response.content,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert probe.stdout.decode().strip().split(",")[:3] == [str(size[0]), str(size[1]), str(frames)]


def test_content_url_is_fresh_on_each_query_and_expires(
    sandbox: SandboxServer, api: requests.Session
) -> None:
    sandbox.config.v2_content_url_ttl_seconds = 2.0  # outlasts the steps below on a loaded machine
    task_id = create(api, sandbox, t2va())
    first = wait_status(api, sandbox, task_id, "succeeded")["content"]["url"]
    second = query(api, sandbox, task_id)["content"]["url"]
    assert first != second
    assert download(first).status_code == 200
    time.sleep(2.1)
    expired = download(first)
    assert expired.status_code == 403
    assert "Request has expired" in expired.text
    fresh = query(api, sandbox, task_id)["content"]["url"]
    assert download(fresh).status_code == 200


def test_seven_day_window(sandbox: SandboxServer, api: requests.Session) -> None:
    old = create(api, sandbox, t2va())
    wait_status(api, sandbox, old, "succeeded")
    sandbox.config.v2_task_window_seconds = 2.0  # outlasts the steps below on a loaded machine
    time.sleep(2.1)
    new = create(api, sandbox, t2va())
    assert error_of(query_response(api, sandbox, old))[2] == "invalid params, invalid task_id (2013)"
    assert query(api, sandbox, new)["id"] == new
    listed = listing(api, sandbox).json()
    assert [t["id"] for t in listed["items"]] == [new]
    assert listed["total"] == 1
    assert error_of(delete(api, sandbox, old))[2] == "invalid params, invalid task_id (2013)"
    assert (
        "invalid task_id"
        in error_of(
            post(
                api, sandbox, {"model": "MiniMax-H3", "source_task_id": old, "resolution": "2K"}, REGENERATION
            )
        )[2]
    )


# -- list ---------------------------------------------------------------------------------------------


def test_list_pages_newest_first_with_total(sandbox: SandboxServer, api: requests.Session) -> None:
    ids = [create(api, sandbox, t2va(duration=4 + i)) for i in range(5)]
    newest_first = ids[::-1]
    first = listing(api, sandbox, {"page_num": 1, "page_size": 2}).json()
    assert set(first) == {"items", "total"}
    assert first["total"] == 5
    assert [t["id"] for t in first["items"]] == newest_first[:2]
    third = listing(api, sandbox, {"page_num": 3, "page_size": 2}).json()
    assert [t["id"] for t in third["items"]] == newest_first[4:]
    assert listing(api, sandbox, {"page_num": 4, "page_size": 2}).json() == {"items": [], "total": 5}
    default = listing(api, sandbox).json()
    assert len(default["items"]) == 5
    assert "modality" not in default["items"][0]
    assert set(default["items"][0]) == TASK_FIELDS - {"modality"}
    for params, problem in [
        ({"page_size": 101}, "page_size must be an integer 1-100"),
        ({"page_size": 0}, "page_size must be an integer 1-100"),
        ({"page_num": 0}, "page_num must be an integer >= 1"),
        ({"page_num": "x"}, "page_num must be an integer"),
        (
            {"filter.status": "success"},
            "filter.status must be one of queued, running, succeeded, failed, cancelled, expired",
        ),
        ({"filter.status": ["queued", "running"]}, "filter.status takes one value"),
        (
            {"filter.task_type": "video"},
            "filter.task_type must be one of generation, h3_context_ir, regeneration",
        ),
        (
            {"filter.task_ids": ",".join(str(10**14 + i) for i in range(101))},
            "filter.task_ids takes at most 100 ids",
        ),
    ]:
        status, _, message = error_of(listing(api, sandbox, params))
        assert status == 400
        assert problem in message


def test_list_filters_and_both_task_id_encodings(sandbox: SandboxServer, api: requests.Session) -> None:
    a = create(api, sandbox, t2va())
    b = create(api, sandbox, t2va(model="MiniMax-H3-Max", resolution="480P"))
    c = create(api, sandbox, t2va(content=[text("SANDBOX_FAIL")]))
    d = create(api, sandbox, t2va(content=[text(), image(PNG)], ratio=None, duration=4), CONTEXT_IR)
    for task_id in (a, b, c, d):
        wait_status(api, sandbox, task_id, "succeeded", "failed")

    def ids(params: Any) -> set[str]:
        answer = listing(api, sandbox, params).json()
        assert answer["total"] == len(answer["items"])
        return {t["id"] for t in answer["items"]}

    assert ids({"filter.task_ids": [a, c]}) == {a, c}  # repeated
    assert ids({"filter.task_ids": f"{a},{c}"}) == {a, c}  # comma-joined (the official CLI)
    assert ids([("filter.task_ids", f"{a}, {b}"), ("filter.task_ids", d)]) == {a, b, d}  # both at once
    assert ids({"filter.task_ids": "999999999999999"}) == set()
    assert ids({"filter.status": "failed"}) == {c}
    assert ids({"filter.status": "succeeded"}) == {a, b, d}
    assert ids({"filter.model": "MiniMax-H3-Max"}) == {b}
    assert ids({"filter.model": "MiniMax-H3", "filter.task_ids": f"{a},{b},{c}"}) == {a, c}
    assert ids({"filter.task_type": "h3_context_ir"}) == {d}
    assert ids({"filter.task_type": "generation", "filter.status": "succeeded"}) == {a, b}
    items = {t["id"]: t for t in listing(api, sandbox).json()["items"]}
    assert download(items[a]["content"]["url"]).status_code == 200
    assert items[c]["error"]["code"] == "1000"
    other = requests.get(
        f"{sandbox.url}/v2/query/video_generation",
        headers={"Authorization": "Bearer sandbox-token-plan-key"},
        timeout=5,
    )
    assert other.json() == {"items": [], "total": 0}


# -- delete -------------------------------------------------------------------------------------------


def test_delete_queued_cancels_without_charge(held_sandbox: SandboxServer, api: requests.Session) -> None:
    task_id = create(api, held_sandbox, t2va())
    response = delete(api, held_sandbox, task_id)
    assert response.status_code == 200
    assert response.json() == {"task_id": task_id, "action": "cancelled", "status": "cancelled"}
    task = query(api, held_sandbox, task_id)
    assert task["status"] == "cancelled"
    assert task["usage"] == {}
    assert "content" not in task
    stats = held_sandbox.stats()["v2"]
    assert stats["tasks"][task_id]["charged"] is False
    assert (stats["cancelled"], stats["in_flight"]) == (1, 0)
    again = delete(api, held_sandbox, task_id)
    assert error_of(again) == (
        400,
        "bad_request_error",
        f"invalid params, task {task_id} is cancelled and cannot be cancelled or deleted (2013)",
    )
    assert {t["id"] for t in listing(api, held_sandbox, {"filter.status": "cancelled"}).json()["items"]} == {
        task_id
    }


def test_delete_running_is_refused(api: requests.Session) -> None:
    with SandboxServer(
        SandboxConfig(preparing_seconds=0, queueing_seconds=0, processing_seconds=30)
    ) as server:
        task_id = create(api, server, t2va())
        assert query(api, server, task_id)["status"] == "running"
        status, _, message = error_of(delete(api, server, task_id))
        assert status == 400
        assert "is running and cannot be cancelled" in message
        assert query(api, server, task_id)["status"] == "running"


@pytest.mark.parametrize("prompt", ["a fox", "SANDBOX_FAIL", "SANDBOX_EXPIRED"])
def test_delete_finished_removes_the_record(
    sandbox: SandboxServer, api: requests.Session, prompt: str
) -> None:
    task_id = create(api, sandbox, t2va(content=[text(prompt)]))
    task = wait_status(api, sandbox, task_id, "succeeded", "failed", "expired")
    url = task.get("content", {}).get("url")
    response = delete(api, sandbox, task_id)
    assert response.json() == {"task_id": task_id, "action": "deleted", "status": "deleted"}
    assert error_of(query_response(api, sandbox, task_id))[2] == "invalid params, invalid task_id (2013)"
    assert listing(api, sandbox).json() == {"items": [], "total": 0}
    if url is not None:
        assert download(url).status_code == 403
    stats = sandbox.stats()["v2"]
    assert (stats["delete_calls"], stats["deleted"]) == (1, 1)
    assert error_of(delete(api, sandbox, task_id))[2] == "invalid params, invalid task_id (2013)"


# -- Context-IR and regeneration ----------------------------------------------------------------------


def test_context_ir_returns_an_enhanced_prompt(sandbox: SandboxServer, api: requests.Session) -> None:
    body = {"model": "MiniMax-H3", "content": [text("a lighthouse at dusk"), image(PNG)], "duration": 10}
    task_id = create(api, sandbox, body, CONTEXT_IR)
    task = wait_status(api, sandbox, task_id, "succeeded")
    assert (task["task_type"], task["modality"], task["resolution"], task["duration"]) == (
        "h3_context_ir",
        "text",
        "",
        10,
    )
    assert set(task["content"]) == {"prompt"}
    prompt = task["content"]["prompt"]
    assert prompt.startswith("integrated_multimodal_description: [Shot 1] a lighthouse at dusk [Shot 2]")
    assert "\noverall_soundscape: " in prompt
    assert "\nnon_diegetic_music: " in prompt
    assert set(task["usage"]) == {"total_tokens", "prompt_tokens", "completion_tokens"}
    assert (
        task["usage"]["total_tokens"] == task["usage"]["prompt_tokens"] + task["usage"]["completion_tokens"]
    )
    stats = sandbox.stats()["v2"]
    assert (stats["context_ir_calls"], stats["context_ir_creates"], stats["creates"]) == (1, 1, 0)
    for bad, problem in [
        ({**body, "model": "MiniMax-H3-Max"}, "model must be one of MiniMax-H3, got 'MiniMax-H3-Max'"),
        ({**body, "content": [text()]}, "ratio is required for text-only content"),
        ({**body, "duration": 3}, "(allowed: 4-15)"),
        ({**body, "content": [image(PNG)]}, "prompt is required"),
    ]:
        assert problem in error_of(post(api, sandbox, bad, CONTEXT_IR))[2]


def test_regeneration_from_a_source_task(sandbox: SandboxServer, api: requests.Session) -> None:
    source = create(api, sandbox, t2va(ratio="9:16", duration=6))
    wait_status(api, sandbox, source, "succeeded")
    task_id = create(
        api,
        sandbox,
        {"model": "MiniMax-H3", "source_task_id": source, "resolution": "2K", "aigc_watermark": True},
        REGENERATION,
    )
    task = wait_status(api, sandbox, task_id, "succeeded")
    assert (task["task_type"], task["resolution"], task["ratio"], task["duration"]) == (
        "regeneration",
        "2K",
        "",
        6,
    )
    assert {"total_tokens", "completion_tokens", "output_seconds"} <= set(task["usage"])
    summary = sandbox.stats()["v2"]["tasks"][task_id]
    assert (summary["width"], summary["height"], summary["frames"]) == (1440, 2560, 158)
    assert summary["source_task_id"] == source
    assert download(task["content"]["url"]).status_code == 200
    assert sandbox.stats()["v2"]["regeneration_creates"] == 1


def test_regeneration_source_rules(
    held_sandbox: SandboxServer, sandbox: SandboxServer, api: requests.Session
) -> None:
    def regen(server: SandboxServer, source: str, **extra: Any) -> str:
        body = {"model": "MiniMax-H3", "source_task_id": source, "resolution": "2K", **extra}
        return error_of(post(api, server, body, REGENERATION))[2]

    two_k = create(api, sandbox, t2va(resolution="2K"))
    max_task = create(api, sandbox, t2va(model="MiniMax-H3-Max"))
    ctx_ir = create(
        api, sandbox, {"model": "MiniMax-H3", "content": [text()], "duration": 5, "ratio": "16:9"}, CONTEXT_IR
    )
    good = create(api, sandbox, t2va())
    for task_id in (two_k, max_task, ctx_ir, good):
        wait_status(api, sandbox, task_id, "succeeded")
    assert "only 768P videos can be regenerated" in regen(sandbox, two_k)
    assert "is not a MiniMax-H3 video generation task" in regen(sandbox, max_task)
    assert "is not a MiniMax-H3 video generation task" in regen(sandbox, ctx_ir)
    assert "invalid task_id" in regen(sandbox, "123456789012345")
    assert "resolution is required; MiniMax-H3 accepts 2K, got '768P'" in regen(
        sandbox, good, resolution="768P"
    )
    assert "model must be one of MiniMax-H3" in regen(sandbox, good, model="MiniMax-H3-Max")
    assert "exactly one of source_task_id and content is required" in regen(sandbox, good, content=[text()])
    neither = error_of(post(api, sandbox, {"model": "MiniMax-H3", "resolution": "2K"}, REGENERATION))[2]
    assert "exactly one of source_task_id and content is required" in neither
    queued = create(api, held_sandbox, t2va())
    assert f"source_task_id {queued} has status queued, not succeeded" in regen(held_sandbox, queued)
    other = requests.post(
        f"{sandbox.url}{REGENERATION}",
        json={"model": "MiniMax-H3", "source_task_id": good, "resolution": "2K"},
        headers={"Authorization": "Bearer other-key"},
        timeout=5,
    )
    assert other.status_code == 401
    sandbox.config.api_keys = (API_KEY, "other-key")
    other = requests.post(
        f"{sandbox.url}{REGENERATION}",
        json={"model": "MiniMax-H3", "source_task_id": good, "resolution": "2K"},
        headers={"Authorization": "Bearer other-key"},
        timeout=5,
    )
    assert "invalid task_id" in error_of(other)[2]
    assert sandbox.stats()["v2"]["regeneration_creates"] == 0


def base_video(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"width": 1344, "height": 768, "frames": 124}
    spec.update(overrides)
    return video(mf.data_url("video/mp4", mf.mp4(**spec)), "base_video")


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (base_video(audio=False), "(base_video) must have an audio track"),
        (base_video(fps=30), "(base_video) must be 24 fps"),
        (base_video(width=1000), "width and height must be multiples of 32"),
        (base_video(width=1376), "has 1056768 px; 589824-1032192 allowed"),  # C9 ceiling (DOC)
        (base_video(width=736, height=736), "has 541696 px; 589824-1032192 allowed"),  # C9 floor
        (base_video(frames=120), "has 120 frames; 107-362 in steps of 17 allowed"),
        (base_video(frames=379), "107-362 in steps of 17"),
    ],
)
def test_regeneration_base_video_rules(
    sandbox: SandboxServer, api: requests.Session, item: dict[str, Any], problem: str
) -> None:
    body = {"model": "MiniMax-H3", "content": [text(), item], "resolution": "2K"}
    assert problem in error_of(post(api, sandbox, body, REGENERATION))[2]


def test_regeneration_from_a_base_video(sandbox: SandboxServer, api: requests.Session) -> None:
    body = {
        "model": "MiniMax-H3",
        "content": [text("x" * 40_000), base_video(width=768, height=1344, frames=141)],
        "resolution": "2K",
    }
    task = wait_status(api, sandbox, create(api, sandbox, body, REGENERATION), "succeeded")
    assert (task["resolution"], task["duration"], task["ratio"]) == ("2K", 5, "")
    summary = sandbox.stats()["v2"]["tasks"][task["id"]]
    assert (summary["width"], summary["height"], summary["frames"]) == (1440, 2560, 141)
    too_long = {**body, "content": [text("x" * 40_001), base_video()]}
    assert "longer than 40000 characters" in error_of(post(api, sandbox, too_long, REGENERATION))[2]
    two = {**body, "content": [text(), base_video(), base_video()]}
    assert (
        "exactly one video_url with role base_video, got 2"
        in error_of(post(api, sandbox, two, REGENERATION))[2]
    )
    none = {**body, "content": [text()]}
    assert "got 0" in error_of(post(api, sandbox, none, REGENERATION))[2]
