"""Chromium plays the sandbox's MiniMax-H3 videos with their sound, and its v1 videos without any.

The sandbox's files are hand-muxed (``sandbox/mp4.py``): FFmpeg's tools accept them (tests/sandbox),
and this checks the other reader users meet, a browser's media pipeline, decodes both tracks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_hailuo.sandbox import SandboxConfig, SandboxServer
from tests.system.harness import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
API_KEY = "sandbox-key"

PLAY = """
const done = arguments[arguments.length - 1];
const video = document.createElement("video");
video.src = arguments[0];
document.body.appendChild(video);
video.play().then(() => done("playing"), (err) => done("refused: " + err));
"""

STATE = """
const v = document.querySelector("video");
return v && {time: v.currentTime, duration: v.duration, width: v.videoWidth, height: v.videoHeight,
             audio: v.webkitAudioDecodedByteCount, error: v.error && v.error.message};
"""


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        preparing_seconds=0.05, queueing_seconds=0.05, processing_seconds=0.1, api_keys=(API_KEY,)
    )
    with SandboxServer(config) as server:
        yield server


def _h3_url(server: SandboxServer) -> str:
    body = {"model": "MiniMax-H3", "content": [{"type": "text", "text": "waves"}], "resolution": "768P"}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    task_id = requests.post(
        f"{server.url}/v2/video_generation",
        json={**body, "duration": 5, "ratio": "16:9"},
        headers=headers,
        timeout=10,
    ).json()["task_id"]

    def finished() -> str | None:
        task = requests.get(f"{server.url}/v2/query/video_generation/{task_id}", headers=headers, timeout=10)
        answer = task.json()["task"]
        assert answer["status"] not in ("failed", "expired"), answer
        return answer["content"]["url"] if answer["status"] == "succeeded" else None

    return str(wait_until(finished, 30, "the H3 task", interval=0.05))


def _v1_url(server: SandboxServer) -> str:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    created = requests.post(
        f"{server.url}/v1/video_generation",
        json={"model": "MiniMax-Hailuo-02", "prompt": "waves"},
        headers=headers,
        timeout=10,
    ).json()

    def file_id() -> str | None:
        answer = requests.get(
            f"{server.url}/v1/query/video_generation",
            params={"task_id": created["task_id"]},
            headers=headers,
            timeout=10,
        ).json()
        return answer.get("file_id") if answer["status"] == "Success" else None

    found = wait_until(file_id, 30, "the v1 task", interval=0.05)
    retrieved = requests.get(
        f"{server.url}/v1/files/retrieve", params={"file_id": found}, headers=headers, timeout=10
    ).json()
    return str(retrieved["file"]["download_url"])


def _play(browser: Any, server: SandboxServer, url: str) -> dict[str, Any]:
    browser.get(f"{server.url}/sandbox/stats")  # a page of the sandbox's origin to hold the player
    browser.set_script_timeout(60)
    assert browser.execute_async_script(PLAY, url) == "playing"
    state: dict[str, Any] = wait_until(
        lambda: (s := browser.execute_script(STATE)) and (s["error"] or s["time"] > 1.0) and s,
        60,
        "1 s played",
    )
    assert state["error"] is None, state
    return state


def test_chromium_plays_an_h3_video_with_its_sound(browser: Any, sandbox: SandboxServer) -> None:
    state = _play(browser, sandbox, _h3_url(sandbox))
    assert (state["width"], state["height"]) == (1344, 768)
    assert state["duration"] == pytest.approx(124 / 24, abs=0.05)
    assert state["audio"] > 0  # Chromium decoded AAC frames


def test_chromium_plays_a_v1_video_without_sound(browser: Any, sandbox: SandboxServer) -> None:
    state = _play(browser, sandbox, _v1_url(sandbox))
    assert (state["width"], state["height"], state["audio"]) == (1366, 768, 0)
