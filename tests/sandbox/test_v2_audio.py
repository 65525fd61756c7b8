"""Every MiniMax-H3 output the v2 sandbox serves has a stereo AAC track, as MiniMax's do (contract §3.2:
"24 fps with stereo audio; audio cannot be turned off"); v1 outputs stay video-only.

Files are downloaded over HTTP from the content URL, then read by FFmpeg's own tools.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_hailuo.sandbox import SandboxServer

from . import media_files as mf
from .ffmpeg_tools import decode_errors, streams
from .test_sandbox_server import finished_file
from .v2_calls import REGENERATION, create, t2va, text, video, wait_status

AAC_FRAME_SECONDS = 1024 / 48000


def _download(server: SandboxServer, url: str, path: Path) -> tuple[Path, bytes]:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "video/mp4"
    path.write_bytes(response.content)
    return path, response.content


def _check_h3_output(server: SandboxServer, task: dict[str, Any], path: Path) -> bytes:
    """The file behind a succeeded task: the promised picture, a stereo AAC track as long, clean decode."""
    path, data = _download(server, task["content"]["url"], path)
    summary = server.stats()["v2"]["tasks"][task["id"]]
    sha = requests.get(f"{server.url}/sandbox/files/{summary['file_id']}/sha256", timeout=30).json()
    assert sha["sha256"] == hashlib.sha256(data).hexdigest()  # the control endpoint hashes the same file
    found = streams(path)
    video_stream, audio = found["video"], found["audio"]
    seconds = summary["frames"] / 24
    assert (video_stream["codec_name"], video_stream["width"], video_stream["height"]) == (
        "h264",
        summary["width"],
        summary["height"],
    )
    assert (int(video_stream["nb_read_packets"]), video_stream["r_frame_rate"]) == (summary["frames"], "24/1")
    assert float(video_stream["duration"]) == pytest.approx(seconds, abs=1e-3)
    assert (audio["codec_name"], audio["profile"], audio["channels"], audio["channel_layout"]) == (
        "aac",
        "LC",
        2,
        "stereo",
    )
    assert abs(float(audio["duration"]) - seconds) <= AAC_FRAME_SECONDS
    assert decode_errors(path) == ""
    return data


@pytest.mark.parametrize(
    ("model", "resolution", "duration", "ratio", "frames"),
    [
        ("MiniMax-H3", "768P", 5, "16:9", 124),
        ("MiniMax-H3-Max", "480P", 5, "4:3", 124),
        ("MiniMax-H3-Highspeed", "768P", 4, "9:16", 107),
        ("MiniMax-H3-Lite", "480P", 6, "21:9", 158),
    ],
)
def test_every_h3_model_outputs_stereo_aac_with_the_video(
    sandbox: SandboxServer,
    api: requests.Session,
    tmp_path: Path,
    model: str,
    resolution: str,
    duration: int,
    ratio: str,
    frames: int,
) -> None:
    body = t2va(model=model, resolution=resolution, duration=duration, ratio=ratio)
    task = wait_status(api, sandbox, create(api, sandbox, body), "succeeded")
    _check_h3_output(sandbox, task, tmp_path / "out.mp4")
    assert sandbox.stats()["v2"]["tasks"][task["id"]]["frames"] == frames


def test_regenerations_in_both_forms_output_stereo_aac(
    sandbox: SandboxServer, api: requests.Session, tmp_path: Path
) -> None:
    source = wait_status(api, sandbox, create(api, sandbox, t2va()), "succeeded")
    draft = _check_h3_output(sandbox, source, tmp_path / "draft.mp4")
    form_a = {"model": "MiniMax-H3", "source_task_id": source["id"], "resolution": "2K"}
    task = wait_status(api, sandbox, create(api, sandbox, form_a, REGENERATION), "succeeded")
    _check_h3_output(sandbox, task, tmp_path / "form_a.mp4")
    # The sandbox's own 768P output is a valid base_video: it has the audio track §4.2 demands.
    base = video(mf.data_url("video/mp4", draft), "base_video")
    form_b = {"model": "MiniMax-H3", "content": [text(), base], "resolution": "2K"}
    task = wait_status(api, sandbox, create(api, sandbox, form_b, REGENERATION), "succeeded")
    _check_h3_output(sandbox, task, tmp_path / "form_b.mp4")
    assert sandbox.stats()["v2"]["tasks"][task["id"]]["frames"] == 124


def test_a_v1_output_stays_video_only(sandbox: SandboxServer, api: requests.Session, tmp_path: Path) -> None:
    _final, retrieved = finished_file(api, sandbox)
    path, _ = _download(sandbox, retrieved["file"]["download_url"], tmp_path / "v1.mp4")
    assert set(streams(path)) == {"video"}
    assert decode_errors(path) == ""
