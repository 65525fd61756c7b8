"""What FFmpeg's own tools make of a file: its streams (ffprobe) and whether it decodes cleanly (ffmpeg).

An independent reader: neither the sandbox's nor the provider's header parsing is involved, so a muxing
mistake that both of ours would share still shows here. ffprobe and ffmpeg (Debian's ffmpeg package) are
part of the test machine; the sandbox itself never runs them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} (Debian ffmpeg) is part of the test machine"
    return path


def streams(path: Path) -> dict[str, dict[str, Any]]:
    """ffprobe's view of the first video and the first audio stream, frames counted by demuxing."""
    probe = subprocess.run(
        [_tool("ffprobe"), "-v", "error", "-count_packets", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        timeout=120,
        check=True,
    )
    found: dict[str, dict[str, Any]] = {}
    for stream in json.loads(probe.stdout)["streams"]:
        found.setdefault(stream["codec_type"], stream)
    return found


def decode_errors(path: Path) -> str:
    """What ``ffmpeg -v error`` reports while decoding every stream of the whole file ('' when clean)."""
    run = subprocess.run(
        [_tool("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-map", "0", "-f", "null", "-"],
        capture_output=True,
        timeout=300,
    )
    return run.stderr.decode(errors="replace") + ("" if run.returncode == 0 else f"exit {run.returncode}")
