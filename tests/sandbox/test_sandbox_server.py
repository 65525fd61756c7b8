"""The sandbox over real HTTP: the MiniMax v1 contract, the fault knobs and the control endpoints."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import psutil
import pytest
import requests

from airflow_provider_hailuo.sandbox import ConfigError, SandboxConfig, SandboxServer
from airflow_provider_hailuo.sandbox.config import parse_text
from airflow_provider_hailuo.sandbox.mp4 import iter_video_bytes, read_mp4_dimensions

from .conftest import API_KEY, Receiver

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()
IMAGE_URL = "https://example.com/frame.jpg"
T2V = {"model": "MiniMax-Hailuo-02", "prompt": "a red fox running through snow"}


# -- helpers ----------------------------------------------------------------------------------------


def create(api: requests.Session, server: SandboxServer, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    response = api.post(f"{server.url}/v1/video_generation", json=body, timeout=10, **kw)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def query(api: requests.Session, server: SandboxServer, task_id: str) -> dict[str, Any]:
    response = api.get(f"{server.url}/v1/query/video_generation", params={"task_id": task_id}, timeout=10)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def retrieve(api: requests.Session, server: SandboxServer, file_id: str | int) -> dict[str, Any]:
    response = api.get(f"{server.url}/v1/files/retrieve", params={"file_id": file_id}, timeout=10)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def code_of(answer: dict[str, Any]) -> int:
    return int(answer["base_resp"]["status_code"])


def wait_final(
    api: requests.Session, server: SandboxServer, task_id: str, timeout: float = 5
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        answer = query(api, server, task_id)
        if answer["status"] in ("Success", "Fail") or time.monotonic() > deadline:
            return answer
        time.sleep(0.02)


def finished_file(
    api: requests.Session, server: SandboxServer, body: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create a task, wait for Success, retrieve: (final query answer, retrieve answer)."""
    created = create(api, server, body or T2V)
    assert code_of(created) == 0, created
    final = wait_final(api, server, created["task_id"])
    assert final["status"] == "Success", final
    return final, retrieve(api, server, final["file_id"])


def expected_bytes(server: SandboxServer, final: dict[str, Any], retrieved: dict[str, Any]) -> bytes:
    task = server.stats()["tasks"][final["task_id"]]
    return b"".join(
        iter_video_bytes(
            str(retrieved["file"]["file_id"]),
            final["video_width"],
            final["video_height"],
            task["duration"],
            retrieved["file"]["bytes"],
        )
    )


# -- auth, shapes, validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, 1004),
        ({"Authorization": "Bearer wrong-key"}, 1004),
        ({"Authorization": f"Basic {API_KEY}"}, 1004),
        ({"Authorization": "Bearer "}, 1004),
        ({"Authorization": "Bearer sandbox-other-region-key"}, 2049),
    ],
)
def test_auth_errors_on_every_api_endpoint(
    sandbox: SandboxServer, headers: dict[str, str], code: int
) -> None:
    calls: list[Callable[[], requests.Response]] = [
        lambda: requests.post(f"{sandbox.url}/v1/video_generation", json=T2V, headers=headers, timeout=5),
        lambda: requests.get(
            f"{sandbox.url}/v1/query/video_generation", params={"task_id": "1"}, headers=headers, timeout=5
        ),
        lambda: requests.get(
            f"{sandbox.url}/v1/files/retrieve", params={"file_id": "1"}, headers=headers, timeout=5
        ),
    ]
    for call in calls:
        response = call()
        assert response.status_code == 200
        assert response.headers["Trace-Id"]
        assert code_of(response.json()) == code
    assert sandbox.stats()["creates"] == 0


def test_create_success_shape_and_group_id_ignored(sandbox: SandboxServer, api: requests.Session) -> None:
    response = api.post(f"{sandbox.url}/v1/video_generation?GroupId=123456", json=T2V, timeout=5)
    assert response.status_code == 200
    assert response.headers["Trace-Id"]
    body = response.json()
    assert body["base_resp"] == {"status_code": 0, "status_msg": "success"}
    assert isinstance(body["task_id"], str)
    assert len(body["task_id"]) == 15
    assert body["task_id"].isdigit()
    ids = {create(api, sandbox, T2V)["task_id"] for _ in range(5)}
    assert len(ids) == 5


INVALID_BODIES: list[tuple[str, Any, str]] = [
    ("array body", [T2V], "JSON object"),
    ("no model", {"prompt": "x"}, "model"),
    ("unknown model", {"model": "video-99", "prompt": "x"}, "not supported"),
    ("t2v without prompt", {"model": "MiniMax-Hailuo-02"}, "prompt"),
    ("t2v blank prompt", {"model": "MiniMax-Hailuo-02", "prompt": "   "}, "prompt"),
    ("prompt too long", {"model": "MiniMax-Hailuo-02", "prompt": "x" * 2001}, "2000"),
    ("prompt not string", {"model": "MiniMax-Hailuo-02", "prompt": 5}, "prompt"),
    ("2.3-Fast has no t2v", {"model": "MiniMax-Hailuo-2.3-Fast", "prompt": "x"}, "text-to-video"),
    ("T2V-01 has no i2v", {"model": "T2V-01", "first_frame_image": IMAGE_URL}, "image-to-video"),
    ("fl2v only Hailuo-02", {"model": "MiniMax-Hailuo-2.3", "last_frame_image": IMAGE_URL}, "first-last"),
    ("S2V-01 needs subject", {"model": "S2V-01", "first_frame_image": IMAGE_URL}, "image-to-video"),
    ("512P not for t2v", {**T2V, "resolution": "512P"}, "resolution"),
    ("lowercase resolution", {**T2V, "resolution": "768p"}, "resolution"),
    ("10 s not at 1080P", {**T2V, "resolution": "1080P", "duration": 10}, "duration"),
    ("duration 5", {**T2V, "duration": 5}, "duration"),
    ("duration as string", {**T2V, "duration": "6"}, "duration"),
    ("duration as bool", {**T2V, "duration": True}, "duration"),
    ("01 series 768P", {"model": "T2V-01", "prompt": "x", "resolution": "768P"}, "resolution"),
    ("ftp image", {"model": "I2V-01", "first_frame_image": "ftp://example.com/a.png"}, "URL"),
    ("relative image", {"model": "I2V-01", "first_frame_image": "frame.png"}, "URL"),
    ("gif data url", {"model": "I2V-01", "first_frame_image": "data:image/gif;base64,R0lGOD=="}, "data URL"),
    ("bad base64", {"model": "I2V-01", "first_frame_image": "data:image/png;base64,@@@"}, "base64"),
    (
        "not an image",
        {"model": "I2V-01", "first_frame_image": "data:image/png;base64," + base64.b64encode(b"hi").decode()},
        "JPEG, PNG or WebP",
    ),
    ("empty image", {"model": "I2V-01", "first_frame_image": ""}, "first_frame_image"),
    ("subject not list", {"model": "S2V-01", "subject_reference": {"type": "character"}}, "list"),
    (
        "two subjects",
        {"model": "S2V-01", "subject_reference": [{"type": "character", "image": [IMAGE_URL]}] * 2},
        "exactly one",
    ),
    (
        "wrong subject type",
        {"model": "S2V-01", "subject_reference": [{"type": "object", "image": [IMAGE_URL]}]},
        "character",
    ),
    (
        "two subject images",
        {"model": "S2V-01", "subject_reference": [{"type": "character", "image": [IMAGE_URL, IMAGE_URL]}]},
        "exactly one",
    ),
    (
        "subject plus first frame",
        {
            "model": "S2V-01",
            "subject_reference": [{"type": "character", "image": [IMAGE_URL]}],
            "first_frame_image": IMAGE_URL,
        },
        "combined",
    ),
    ("callback not http", {**T2V, "callback_url": "file:///tmp/x"}, "callback_url"),
    ("fast_pretreatment on T2V-01", {"model": "T2V-01", "prompt": "x", "fast_pretreatment": True}, "fast"),
    ("prompt_optimizer not bool", {**T2V, "prompt_optimizer": "yes"}, "prompt_optimizer"),
]


@pytest.mark.parametrize(
    ("body", "fragment"), [(b, f) for _, b, f in INVALID_BODIES], ids=[i for i, _, _ in INVALID_BODIES]
)
def test_validation_errors_are_2013(
    sandbox: SandboxServer, api: requests.Session, body: Any, fragment: str
) -> None:
    answer = create(api, sandbox, body)
    assert code_of(answer) == 2013, answer
    message = answer["base_resp"]["status_msg"]
    assert message.startswith("invalid params, ")
    assert fragment in message
    assert answer["task_id"] == ""
    assert sandbox.stats()["creates"] == 0


def test_non_json_body_is_2013(sandbox: SandboxServer, api: requests.Session) -> None:
    response = api.post(f"{sandbox.url}/v1/video_generation", data=b"model=x", timeout=5)
    assert code_of(response.json()) == 2013
    assert sandbox.stats()["create_calls"] == 1
    assert sandbox.stats()["creates"] == 0


@pytest.mark.parametrize(
    ("body", "mode", "resolution", "duration"),
    [
        (T2V, "text-to-video", "768P", 6),
        ({"model": "T2V-01", "prompt": "x"}, "text-to-video", "720P", 6),
        ({"model": "MiniMax-Hailuo-02", "first_frame_image": PNG_DATA_URL, "resolution": "512P", "duration": 10},
         "image-to-video", "512P", 10),
        ({"model": "MiniMax-Hailuo-2.3-Fast", "first_frame_image": IMAGE_URL, "resolution": "1080P"},
         "image-to-video", "1080P", 6),
        ({"model": "MiniMax-Hailuo-02", "first_frame_image": IMAGE_URL, "last_frame_image": PNG_DATA_URL},
         "first-last-frame", "768P", 6),
        ({"model": "MiniMax-Hailuo-02", "last_frame_image": IMAGE_URL}, "first-last-frame", "768P", 6),
        ({"model": "S2V-01", "subject_reference": [{"type": "character", "image": [IMAGE_URL]}]},
         "subject-reference", "720P", 6),
        ({"model": "S2V-01", "prompt": "smile", "subject_reference": [{"type": "character", "image": PNG_DATA_URL}]},
         "subject-reference", "720P", 6),
        ({**T2V, "prompt_optimizer": False, "fast_pretreatment": True, "aigc_watermark": True, "extra": 1},
         "text-to-video", "768P", 6),
    ],
)  # fmt: skip
def test_valid_requests_create_tasks_with_defaults(
    sandbox: SandboxServer,
    api: requests.Session,
    body: dict[str, Any],
    mode: str,
    resolution: str,
    duration: int,
) -> None:
    answer = create(api, sandbox, body)
    assert code_of(answer) == 0, answer
    task = sandbox.stats()["tasks"][answer["task_id"]]
    assert (task["mode"], task["resolution"], task["duration"]) == (mode, resolution, duration)


def test_sensitive_input_is_1026_without_task(sandbox: SandboxServer, api: requests.Session) -> None:
    answer = create(api, sandbox, {**T2V, "prompt": "a scene SANDBOX_SENSITIVE here"})
    assert code_of(answer) == 1026
    assert sandbox.stats()["creates"] == 0


def test_balance_exhausted_is_1008(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.balance_exhausted = True
    assert code_of(create(api, sandbox, T2V)) == 1008
    assert sandbox.stats()["creates"] == 0
    sandbox.config.balance_exhausted = False
    assert code_of(create(api, sandbox, T2V)) == 0


# -- status progression -----------------------------------------------------------------------------


def test_status_progression_and_file_id_types(api: requests.Session) -> None:
    config = SandboxConfig(preparing_seconds=0.15, queueing_seconds=0.15, processing_seconds=0.15)
    with SandboxServer(config) as server:
        task_id = create(api, server, T2V)["task_id"]
        seen: list[str] = []
        while True:
            answer = query(api, server, task_id)
            assert code_of(answer) == 0
            assert answer["task_id"] == task_id
            if not seen or seen[-1] != answer["status"]:
                seen.append(answer["status"])
            if answer["status"] == "Success":
                break
            assert answer["file_id"] == ""
            assert (answer["video_width"], answer["video_height"]) == (0, 0)
            time.sleep(0.02)
        assert seen == ["Preparing", "Queueing", "Processing", "Success"]
        assert isinstance(answer["file_id"], str)
        assert answer["file_id"].isdigit()
        assert (answer["video_width"], answer["video_height"]) == (1366, 768)
        file = retrieve(api, server, answer["file_id"])["file"]
        assert isinstance(file["file_id"], int)
        assert str(file["file_id"]) == answer["file_id"]


@pytest.mark.parametrize(
    ("prompt", "code"),
    [("it will SANDBOX_FAIL today", 0), ("SANDBOX_SENSITIVE_OUTPUT please", 1027)],
)
def test_failing_tasks(sandbox: SandboxServer, api: requests.Session, prompt: str, code: int) -> None:
    created = create(api, sandbox, {**T2V, "prompt": prompt})
    assert code_of(created) == 0
    assert query(api, sandbox, created["task_id"])["base_resp"]["status_code"] == 0  # not failed yet
    final = wait_final(api, sandbox, created["task_id"])
    assert final["status"] == "Fail"
    assert code_of(final) == code
    assert final["file_id"] == ""


def test_query_errors(sandbox: SandboxServer, api: requests.Session) -> None:
    unknown = query(api, sandbox, "123456789012345")
    assert code_of(unknown) == 2013
    assert "task not found" in unknown["base_resp"]["status_msg"]
    assert unknown["status"] == ""
    missing = api.get(f"{sandbox.url}/v1/query/video_generation", timeout=5).json()
    assert code_of(missing) == 2013


@pytest.mark.parametrize(
    ("body", "size"),
    [
        ({"model": "MiniMax-Hailuo-02", "first_frame_image": IMAGE_URL, "resolution": "512P"}, (912, 512)),
        ({"model": "T2V-01-Director", "prompt": "x"}, (1280, 720)),
        ({**T2V, "resolution": "1080P"}, (1920, 1080)),
        (
            {"model": "S2V-01", "subject_reference": [{"type": "character", "image": [IMAGE_URL]}]},
            (1280, 720),
        ),
    ],
)
def test_dimensions_follow_resolution(
    sandbox: SandboxServer, api: requests.Session, body: dict[str, Any], size: tuple[int, int]
) -> None:
    final, retrieved = finished_file(api, sandbox, body)
    assert (final["video_width"], final["video_height"]) == size
    head = requests.get(retrieved["file"]["download_url"], headers={"Range": "bytes=0-4095"}, timeout=5)
    assert read_mp4_dimensions(head.content) == size


# -- retrieve and download --------------------------------------------------------------------------


def test_retrieve_shape_and_fresh_urls(sandbox: SandboxServer, api: requests.Session) -> None:
    final, first = finished_file(api, sandbox)
    assert code_of(first) == 0
    file = first["file"]
    assert file["bytes"] == 256 * 1024
    assert file["filename"] == "output_aigc.mp4"
    assert file["purpose"] == "video_generation"
    assert isinstance(file["created_at"], int)
    assert abs(file["created_at"] - time.time()) < 60
    assert file["download_url"].startswith(f"{sandbox.url}/sandbox/download/")
    assert "expires=" in file["download_url"]
    second = retrieve(api, sandbox, final["file_id"])["file"]
    assert second["download_url"] != file["download_url"]
    for url in (file["download_url"], second["download_url"]):
        assert requests.get(url, timeout=5).status_code == 200


def test_retrieve_errors(sandbox: SandboxServer, api: requests.Session) -> None:
    assert code_of(retrieve(api, sandbox, "999999999999999")) == 2013
    assert code_of(retrieve(api, sandbox, "abc")) == 2013
    pending = create(api, sandbox, {**T2V})
    # The file id of an unfinished task is unknown to the client and not retrievable yet.
    file_id = next(iter(sandbox.stats()["tasks"].values()))["file_id"]
    assert query(api, sandbox, pending["task_id"])["status"] != "Success"
    assert code_of(retrieve(api, sandbox, file_id)) == 2013


def test_tasks_are_scoped_to_the_creating_key(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.api_keys = (API_KEY, "second-account")
    final, _ = finished_file(api, sandbox)
    other = requests.Session()
    other.headers["Authorization"] = "Bearer second-account"
    assert code_of(query(other, sandbox, final["task_id"])) == 2013
    assert code_of(retrieve(other, sandbox, final["file_id"])) == 2013


def test_public_base_url_override(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.public_base_url = "https://sandbox.example:8443/"
    _, retrieved = finished_file(api, sandbox)
    assert retrieved["file"]["download_url"].startswith("https://sandbox.example:8443/sandbox/download/")


def test_download_url_expires_with_403(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.download_url_ttl_seconds = 1.5  # outlasts the first download on a loaded machine
    _, retrieved = finished_file(api, sandbox)
    url = retrieved["file"]["download_url"]
    assert requests.get(url, timeout=5).status_code == 200
    time.sleep(1.55)
    expired = requests.get(url, timeout=5)
    assert expired.status_code == 403
    assert "expired" in expired.text
    assert expired.headers["Content-Type"].startswith("application/xml")
    unknown = requests.get(f"{sandbox.url}/sandbox/download/not-a-token", timeout=5)
    assert unknown.status_code == 403
    assert "AccessDenied" in unknown.text
    assert sandbox.stats()["downloads_denied"] == 2


def test_full_download_matches_generator_and_sha256(sandbox: SandboxServer, api: requests.Session) -> None:
    final, retrieved = finished_file(api, sandbox)
    response = requests.get(retrieved["file"]["download_url"], timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert int(response.headers["Content-Length"]) == retrieved["file"]["bytes"]
    assert response.content == expected_bytes(sandbox, final, retrieved)
    sha = requests.get(f"{sandbox.url}/sandbox/files/{final['file_id']}/sha256", timeout=5).json()
    assert sha["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert sha["bytes"] == len(response.content)
    assert requests.get(f"{sandbox.url}/sandbox/files/1/sha256", timeout=5).status_code == 404
    head = requests.head(retrieved["file"]["download_url"], timeout=5)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(retrieved["file"]["bytes"])


def test_range_requests_give_exact_slices(sandbox: SandboxServer, api: requests.Session) -> None:
    final, retrieved = finished_file(api, sandbox)
    url = retrieved["file"]["download_url"]
    whole = expected_bytes(sandbox, final, retrieved)
    total = len(whole)
    cases = {
        "bytes=100-": (100, total),
        "bytes=0-0": (0, 1),
        "bytes=1000-1999": (1000, 2000),
        f"bytes={total - 10}-{total + 50}": (total - 10, total),
        "bytes=-500": (total - 500, total),
    }
    for header, (start, end) in cases.items():
        response = requests.get(url, headers={"Range": header}, timeout=5)
        assert response.status_code == 206, header
        assert response.headers["Content-Range"] == f"bytes {start}-{end - 1}/{total}"
        assert int(response.headers["Content-Length"]) == end - start
        assert response.content == whole[start:end], header
    beyond = requests.get(url, headers={"Range": f"bytes={total}-"}, timeout=5)
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{total}"
    ignored = requests.get(url, headers={"Range": "bytes=0-1,5-6"}, timeout=5)
    assert ignored.status_code == 200
    assert ignored.content == whole


def test_cut_download_truncates_then_recovers(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.cut_download_after_bytes = 10_000
    sandbox.config.cut_download_times = 2
    final, retrieved = finished_file(api, sandbox)
    url = retrieved["file"]["download_url"]
    for _ in range(2):
        received = bytearray()
        with (
            pytest.raises(requests.exceptions.ChunkedEncodingError),
            requests.get(url, stream=True, timeout=5) as response,
        ):
            # 10_000 is a multiple of the read size, so no partial read is lost with the error.
            for chunk in response.iter_content(1000):
                received.extend(chunk)
        assert len(received) == 10_000
    full = requests.get(url, timeout=5)
    assert full.content == expected_bytes(sandbox, final, retrieved)
    stats = sandbox.stats()
    assert stats["downloads_cut"] == 2
    assert stats["injected_faults"]["cut_download"] == 2
    assert stats["download_bytes"] == 20_000 + len(full.content)


async def test_cut_download_seen_by_aiohttp(sandbox: SandboxServer, api: requests.Session) -> None:
    _, retrieved = await asyncio.to_thread(finished_file, api, sandbox)
    sandbox.config.cut_download_after_bytes = 5000
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientPayloadError):
            async with session.get(retrieved["file"]["download_url"]) as response:
                await response.read()


async def test_aiohttp_streaming_download(api: requests.Session) -> None:
    config = SandboxConfig(
        preparing_seconds=0, queueing_seconds=0, processing_seconds=0, video_bytes=8_000_000
    )
    with SandboxServer(config) as server:
        final, retrieved = await asyncio.to_thread(finished_file, api, server)
        digest = hashlib.sha256()
        async with aiohttp.ClientSession() as session:
            async with session.get(retrieved["file"]["download_url"]) as response:
                assert response.status == 200
                async for chunk in response.content.iter_chunked(1 << 16):
                    digest.update(chunk)
            async with session.get(f"{server.url}/sandbox/files/{final['file_id']}/sha256") as response:
                assert (await response.json())["sha256"] == digest.hexdigest()


def test_large_download_streams_without_growing_memory(api: requests.Session) -> None:
    config = SandboxConfig(
        preparing_seconds=0, queueing_seconds=0, processing_seconds=0, video_bytes=50 << 20
    )
    with SandboxServer(config) as server:
        _, retrieved = finished_file(api, server)
        process = psutil.Process()
        before = process.memory_info().rss
        received = 0
        with requests.get(retrieved["file"]["download_url"], stream=True, timeout=10) as response:
            for chunk in response.iter_content(1 << 20):
                received += len(chunk)
        assert received == 50 << 20
        assert process.memory_info().rss - before < 30 << 20


# -- callbacks --------------------------------------------------------------------------------------


async def acreate(server: SandboxServer, body: dict[str, Any]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_KEY}"}) as session,
        session.post(f"{server.url}/v1/video_generation", json=body) as response,
    ):
        result: dict[str, Any] = await response.json()
        return result


async def wait_for(predicate: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_callback_challenge_and_pushes(sandbox: SandboxServer, receiver: Receiver) -> None:
    answer = await acreate(sandbox, {**T2V, "callback_url": receiver.url})
    assert code_of(answer) == 0
    assert "challenge" in receiver.bodies[0]
    await wait_for(lambda: len(receiver.pushes()) == 2)
    processing, success = receiver.pushes()
    assert processing["status"] == "processing"
    assert processing["task_id"] == answer["task_id"]
    assert success["status"] == "success"
    assert success["file_id"].isdigit()
    assert (success["video_width"], success["video_height"]) == (1366, 768)
    assert success["base_resp"]["status_code"] == 0
    stats = sandbox.stats()
    assert stats["callbacks_sent"] == 2
    assert stats["callback_checks"] == 1


@pytest.mark.parametrize(("prompt", "code"), [("SANDBOX_FAIL", 0), ("SANDBOX_SENSITIVE_OUTPUT", 1027)])
async def test_callback_pushes_failed(
    sandbox: SandboxServer, receiver: Receiver, prompt: str, code: int
) -> None:
    assert code_of(await acreate(sandbox, {**T2V, "prompt": prompt, "callback_url": receiver.url})) == 0
    await wait_for(lambda: len(receiver.pushes()) == 2)
    final = receiver.pushes()[-1]
    assert final["status"] == "failed"
    assert final["base_resp"]["status_code"] == code


@pytest.mark.parametrize("problem", ["no echo", "too slow", "unreachable"])
async def test_callback_check_failure_rejects_create(
    sandbox: SandboxServer, receiver: Receiver, problem: str
) -> None:
    sandbox.config.callback_timeout_seconds = 0.3
    url = receiver.url
    if problem == "no echo":
        receiver.echo = False
    elif problem == "too slow":
        receiver.delay = 0.6
    else:
        url = "http://127.0.0.1:9/hook"
    answer = await acreate(sandbox, {**T2V, "callback_url": url})
    assert code_of(answer) == 2013
    assert answer["base_resp"]["status_msg"] == "invalid params, fail to check callback url"
    stats = sandbox.stats()
    assert stats["creates"] == 0
    assert stats["tasks"] == {}
    assert stats["callback_check_failures"] == 1


async def test_push_failures_are_counted_and_pushes_can_be_off(
    sandbox: SandboxServer, receiver: Receiver
) -> None:
    receiver.push_status = 500
    await acreate(sandbox, {**T2V, "callback_url": receiver.url})
    await wait_for(lambda: sandbox.stats()["callback_failures"] == 2)
    sandbox.config.push_callbacks = False
    receiver.bodies.clear()
    answer = await acreate(sandbox, {**T2V, "callback_url": receiver.url})
    assert code_of(answer) == 0
    await asyncio.sleep(0.4)
    assert receiver.pushes() == []
    assert len(receiver.bodies) == 1  # the challenge is still checked


async def test_final_push_can_be_dropped(sandbox: SandboxServer, receiver: Receiver) -> None:
    """A lost final push (receiver down at that moment): only "processing" arrives; the task still ends."""
    sandbox.config.drop_final_callback = True
    answer = await acreate(sandbox, {**T2V, "callback_url": receiver.url})
    await wait_for(lambda: sandbox.stats()["callbacks_dropped"] == 1)
    assert [push["status"] for push in receiver.pushes()] == ["processing"]
    assert sandbox.stats()["tasks"][answer["task_id"]]["status"] == "Success"


def test_builtin_callback_sink(sandbox: SandboxServer, api: requests.Session) -> None:
    sink = f"{sandbox.url}/sandbox/callback_sink"
    answer = create(api, sandbox, {**T2V, "callback_url": sink})
    assert code_of(answer) == 0
    deadline = time.monotonic() + 5
    while True:
        received = requests.get(sink, timeout=5).json()["received"]
        if len(received) == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [r["body"].get("status") for r in received] == [None, "processing", "success"]


# -- faults -----------------------------------------------------------------------------------------


def test_gateway_errors_create_nothing(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.gateway_error_rate = 1.0
    response = api.post(f"{sandbox.url}/v1/video_generation", json=T2V, timeout=5)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text
    assert api.get(f"{sandbox.url}/v1/query/video_generation?task_id=1", timeout=5).status_code == 502
    # Control endpoints are never faulted.
    assert requests.get(f"{sandbox.url}/sandbox/stats", timeout=5).status_code == 200
    stats = sandbox.stats()
    assert stats["creates"] == 0
    assert stats["create_calls"] == 1
    assert stats["injected_faults"]["gateway_error"] == 2


def test_gateway_error_after_commit_creates_the_task_then_answers_502(
    sandbox: SandboxServer, api: requests.Session
) -> None:
    """The 502 a gateway sends after the backend took the request: the task exists and is counted."""
    sandbox.config.create_gateway_error_after_commit = True
    response = api.post(f"{sandbox.url}/v1/video_generation", json=T2V, timeout=5)
    assert response.status_code == 502 and "<html>" in response.text
    stats = sandbox.stats()
    assert stats["creates"] == 1 and len(stats["created_tasks"]) == 1
    assert stats["injected_faults"]["create_gateway_error_after_commit"] == 1
    assert sandbox.config.create_gateway_error_after_commit is False  # one-shot
    assert code_of(create(api, sandbox, T2V)) == 0
    assert sandbox.stats()["creates"] == 2


def test_gateway_error_methods_can_spare_creates(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.gateway_error_rate = 1.0
    sandbox.config.gateway_error_methods = ("GET",)
    assert code_of(create(api, sandbox, T2V)) == 0
    assert api.get(f"{sandbox.url}/v1/query/video_generation?task_id=1", timeout=5).status_code == 502


def test_injected_rate_limit(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.rate_limit_error_rate = 1.0
    assert code_of(create(api, sandbox, T2V)) == 1002
    answer = query(api, sandbox, "1")
    assert code_of(answer) == 1002
    assert answer["status"] == ""
    assert sandbox.stats()["creates"] == 0
    assert sandbox.stats()["errors_by_code"]["1002"] == 2


def test_rpm_limit_sliding_window(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.rate_limit_rpm = 2
    codes = [code_of(create(api, sandbox, T2V)) for _ in range(4)]
    assert codes == [0, 0, 1002, 1002]
    assert sandbox.stats()["creates"] == 2
    assert sandbox.stats()["injected_faults"]["rpm_limit"] == 2
    assert code_of(query(api, sandbox, "1")) == 2013  # queries are not limited by the create RPM


def test_fault_seed_makes_faults_reproducible(api: requests.Session) -> None:
    def run() -> list[int]:
        config = SandboxConfig(gateway_error_rate=0.3, rate_limit_error_rate=0.3, fault_seed=42)
        with SandboxServer(config) as server:
            out = []
            for _ in range(30):
                response = api.get(f"{server.url}/v1/query/video_generation?task_id=1", timeout=5)
                out.append(response.status_code if response.status_code != 200 else code_of(response.json()))
            return out

    first = run()
    assert first == run()
    assert {502, 1002, 2013} <= set(first)


def test_outage_answers_each_fault_for_its_duration_then_recovers(
    sandbox: SandboxServer, api: requests.Session
) -> None:
    """An outage starts at the first call it hits, answers its fault for outage_seconds, then ends."""
    task_id = create(api, sandbox, T2V)["task_id"]
    url = f"{sandbox.url}/v1/query/video_generation?task_id={task_id}"
    seen = {}
    for kind in ("gateway", "unavailable", "rate_limit", "token_limit", "garbled", "unknown_status"):
        sandbox.config.outage_answer = kind
        sandbox.config.outage_seconds = 0.4
        response = api.get(url, timeout=5)
        seen[kind] = (response.status_code, response.headers["Content-Type"].split(";")[0], response.text)
        time.sleep(0.45)
        assert api.get(url, timeout=5).json()["base_resp"]["status_code"] == 0, kind  # over
        sandbox.config.outage_seconds = 0
    assert seen["gateway"][0] == 502 and "<html>" in seen["gateway"][2]
    assert seen["unavailable"][0] == 503
    assert json.loads(seen["rate_limit"][2])["base_resp"]["status_code"] == 1002
    assert json.loads(seen["token_limit"][2])["base_resp"]["status_code"] == 1039
    assert seen["garbled"][0] == 200 and seen["garbled"][1] == "application/json"
    with pytest.raises(ValueError):
        json.loads(seen["garbled"][2])
    unknown = json.loads(seen["unknown_status"][2])
    assert unknown["status"] == "Unknown" and unknown["task_id"] == task_id
    assert unknown["base_resp"]["status_code"] == 0
    assert sandbox.stats()["injected_faults"]["outage"] == 6


def test_outage_hits_only_its_endpoints_and_mixed_cycles_through_faults(
    sandbox: SandboxServer, api: requests.Session
) -> None:
    sandbox.config.outage_answer = "mixed"
    sandbox.config.outage_seconds = 30
    task_id = create(api, sandbox, T2V)["task_id"]  # creates are not hit by default: queries only
    answers = [
        api.get(f"{sandbox.url}/v1/query/video_generation?task_id={task_id}", timeout=5) for _ in range(6)
    ]
    assert {r.status_code for r in answers} == {200, 502, 503}
    assert sandbox.stats()["creates"] == 1 and sandbox.stats()["injected_faults"]["outage"] == 6
    sandbox.config.outage_endpoints = ("create",)
    response = api.post(f"{sandbox.url}/v1/video_generation", json=T2V, timeout=5)
    assert response.status_code != 200 or response.json()["base_resp"]["status_code"] != 0
    assert sandbox.stats()["creates"] == 1  # a faulted create creates nothing
    for bad in ({"outage_answer": "meteor"}, {"outage_endpoints": ["download"]}, {"outage_seconds": -1}):
        assert requests.post(f"{sandbox.url}/sandbox/config", json=bad, timeout=5).status_code == 400


def test_slow_seconds_only_slows_the_api(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.slow_seconds = 1.5  # well apart from a local call's time, even on a loaded machine
    started = time.monotonic()
    query(api, sandbox, "1")
    assert time.monotonic() - started >= 1.5
    started = time.monotonic()
    requests.get(f"{sandbox.url}/sandbox/health", timeout=5)
    assert time.monotonic() - started < 1.0
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get(f"{sandbox.url}/v1/query/video_generation?task_id=1", timeout=0.1)


def test_create_timeout_after_commit(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.create_timeout_after_commit = True
    sandbox.config.create_timeout_hang_seconds = 5
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post(f"{sandbox.url}/v1/video_generation", json=T2V, timeout=0.3)
    stats = sandbox.stats()
    assert stats["creates"] == 1
    assert len(stats["tasks"]) == 1
    assert stats["injected_faults"]["create_timeout"] == 1
    assert sandbox.config.create_timeout_after_commit is False
    # The task exists and completes even though its creator never saw the task_id.
    (task_id,) = stats["tasks"]
    assert wait_final(api, sandbox, task_id)["status"] == "Success"
    started = time.monotonic()
    assert code_of(create(api, sandbox, T2V)) == 0
    assert time.monotonic() - started < 4  # the fault was one-shot: this create does not hang 5 s


def test_files_are_forgotten_after_their_retention(sandbox: SandboxServer, api: requests.Session) -> None:
    final, retrieved = finished_file(api, sandbox)
    assert code_of(retrieved) == 0
    sandbox.config.file_retention_seconds = 0
    forgotten = retrieve(api, sandbox, final["file_id"])
    assert code_of(forgotten) == 2013 and "file not found" in forgotten["base_resp"]["status_msg"]
    assert wait_final(api, sandbox, final["task_id"])["status"] == "Success"  # the task is still known
    sandbox.config.file_retention_seconds = 3600
    assert code_of(retrieve(api, sandbox, final["file_id"])) == 0


# -- control endpoints ------------------------------------------------------------------------------


def test_stats_and_reset(sandbox: SandboxServer, api: requests.Session) -> None:
    final, retrieved = finished_file(api, sandbox)
    create(api, sandbox, {"model": "nope"})
    requests.get(retrieved["file"]["download_url"], timeout=5)
    stats = requests.get(f"{sandbox.url}/sandbox/stats", timeout=5).json()
    assert stats["create_calls"] == 2
    assert stats["creates"] == 1
    assert stats["queries"] >= 1
    assert stats["retrieves"] == 1
    assert stats["downloads"] == 1
    assert stats["download_bytes"] == retrieved["file"]["bytes"]
    assert stats["errors_by_code"] == {"2013": 1}
    assert stats["creates_by_prompt"] == {T2V["prompt"]: 1}
    assert stats["created_tasks"][0]["model"] == "MiniMax-Hailuo-02"
    task = stats["tasks"][final["task_id"]]
    assert task["status"] == "Success"
    assert task["file_id"] == final["file_id"]
    assert (task["resolution"], task["duration"], task["model"]) == ("768P", 6, "MiniMax-Hailuo-02")

    assert requests.post(f"{sandbox.url}/sandbox/reset", timeout=5).json() == {"reset": True}
    stats = sandbox.stats()
    assert stats["creates"] == 0
    assert stats["tasks"] == {}
    assert code_of(query(api, sandbox, final["task_id"])) == 2013
    assert requests.get(retrieved["file"]["download_url"], timeout=5).status_code == 403
    create(api, sandbox, T2V)
    sandbox.reset()
    assert sandbox.stats()["create_calls"] == 0


def test_config_endpoint(sandbox: SandboxServer, api: requests.Session) -> None:
    url = f"{sandbox.url}/sandbox/config"
    current = requests.get(url, timeout=5).json()
    assert current["api_keys"] == ["sandbox-key"]
    assert current["processing_seconds"] == 0.1
    updated = requests.post(url, json={"balance_exhausted": True, "api_keys": ["k1", "k2"]}, timeout=5)
    assert updated.status_code == 200
    assert updated.json()["api_keys"] == ["k1", "k2"]
    assert sandbox.config.api_keys == ("k1", "k2")
    response = requests.post(
        f"{sandbox.url}/v1/video_generation", json=T2V, headers={"Authorization": "Bearer k2"}, timeout=5
    )
    assert code_of(response.json()) == 1008
    for bad in ({"no_such_knob": 1}, {"gateway_error_rate": 2.0}, {"push_callbacks": "yes"}, [1]):
        rejected = requests.post(url, json=bad, timeout=5)
        assert rejected.status_code == 400, bad
        assert "error" in rejected.json()
    # All-or-nothing: the valid part of a rejected update is not applied.
    requests.post(url, json={"slow_seconds": 1, "no_such_knob": 1}, timeout=5)
    assert sandbox.config.slow_seconds == 0


def test_config_object_and_text_parsing() -> None:
    config = SandboxConfig.from_env(
        {
            "HAILUO_SANDBOX_PROCESSING_SECONDS": "7.5",
            "HAILUO_SANDBOX_VIDEO_BYTES": "2G",
            "HAILUO_SANDBOX_RATE_LIMIT_RPM": "none",
            "HAILUO_SANDBOX_API_KEYS": "a, b",
            "HAILUO_SANDBOX_PUSH_CALLBACKS": "false",
            "UNRELATED": "1",
        }
    )
    assert config.processing_seconds == 7.5
    assert config.video_bytes == 2 << 30
    assert config.rate_limit_rpm is None
    assert config.api_keys == ("a", "b")
    assert config.push_callbacks is False
    assert parse_text("x", int, "512KiB") == 512 << 10
    with pytest.raises(ConfigError):
        SandboxConfig.from_env({"HAILUO_SANDBOX_SLOW_SECONDS": "soon"})
    with pytest.raises(ConfigError):
        SandboxConfig(gateway_error_rate=-0.1)
    assert all(SandboxConfig.describe().values()), "every field needs help text"


# -- lifecycle --------------------------------------------------------------------------------------


def test_start_stop_many_times() -> None:
    started = time.monotonic()
    for _ in range(10):
        server = SandboxServer().start()
        assert requests.get(f"{server.url}/sandbox/health", timeout=5).json() == {"status": "ok"}
        server.stop()
        server.stop()  # idempotent
        with pytest.raises(RuntimeError):
            _ = server.url
    assert time.monotonic() - started < 20  # no start or stop waits out a timeout
    server = SandboxServer()
    assert server.stats()["creates"] == 0  # usable before start
    server.start()
    server.start()  # no-op when running
    server.stop()


def test_stop_does_not_wait_for_hanging_requests(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.create_timeout_after_commit = True
    sandbox.config.create_timeout_hang_seconds = 30
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post(f"{sandbox.url}/v1/video_generation", json=T2V, timeout=0.2)
    started = time.monotonic()
    sandbox.stop()
    assert time.monotonic() - started < 10  # not the 30 s the request hangs


def test_port_in_use_raises() -> None:
    with SandboxServer() as first, pytest.raises(OSError):
        SandboxServer(port=first.port).start()


def test_main_entry_point() -> None:
    env = {**os.environ, "HAILUO_SANDBOX_PROCESSING_SECONDS": "7"}
    command = [sys.executable, "-m", "airflow_provider_hailuo.sandbox", "--port", "0", "--api-key", "cli-key",
               "--video-bytes", "1M"]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            config = requests.get(f"{url}/sandbox/config", timeout=5).json()
            assert config["processing_seconds"] == 7
            assert config["api_keys"] == ["cli-key"]
            assert config["video_bytes"] == 1 << 20
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
