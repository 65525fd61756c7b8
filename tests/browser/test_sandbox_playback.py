"""Chromium plays the sandbox's MiniMax-H3 videos with their sound, and its v1 videos without any.

The sandbox's files are hand-muxed (``sandbox/mp4.py``): FFmpeg's tools accept them (tests/sandbox),
and this checks the other reader users meet, a browser's media pipeline, decodes both tracks.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_hailuo.sandbox import SandboxServer
from tests.sandbox import conftest as sandbox_fixtures
from tests.sandbox.test_sandbox_server import finished_file
from tests.sandbox.v2_calls import create, t2va, wait_status
from tests.system.harness import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
sandbox, api = sandbox_fixtures.sandbox, sandbox_fixtures.api  # a fast sandbox, a session with its key

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


def test_chromium_plays_an_h3_video_with_its_sound(
    browser: Any, sandbox: SandboxServer, api: requests.Session
) -> None:
    task = wait_status(api, sandbox, create(api, sandbox, t2va()), "succeeded")
    state = _play(browser, sandbox, task["content"]["url"])
    assert (state["width"], state["height"]) == (1344, 768)
    assert state["duration"] == pytest.approx(124 / 24, abs=0.05)
    assert state["audio"] > 0  # Chromium decoded AAC frames


def test_chromium_plays_a_v1_video_without_sound(
    browser: Any, sandbox: SandboxServer, api: requests.Session
) -> None:
    _final, retrieved = finished_file(api, sandbox)
    state = _play(browser, sandbox, retrieved["file"]["download_url"])
    assert (state["width"], state["height"], state["audio"]) == (1366, 768, 0)
