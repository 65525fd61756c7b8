"""The JSON shapes that cross a boundary (trigger events, XCom, asset events, CLI output), typed once.

A trigger event is stored in the metadata DB and read by another process, perhaps of another
provider version during a rolling upgrade; an XCom result is read by downstream tasks that users
write. Declaring each shape here, with the function that builds it, keeps the keys from drifting
apart between the operator, the sensor, the trigger and the CLI.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from typing_extensions import NotRequired

from airflow_provider_hailuo.protocol import VideoGenerationStatus

#: What a wait ended with: the video succeeded, the video failed or the wait failed, or time ran out.
WaitOutcome = Literal["success", "error", "timeout"]


class VideoFields(TypedDict):
    """What is known about a video, in every shape below."""

    video_task_id: str
    file_id: str | None
    video_width: int | None
    video_height: int | None


class VideoState(VideoFields):
    """A video's status as JSON. ``status`` is a ``VideoStatus`` value (``Processing``, ``Success`` ...)."""

    status: str
    error_code: int | None
    error_message: str | None


class WaitEvent(VideoFields):
    """The trigger's event (and the sync waits' equivalent): how a wait for one video ended.

    ``reason`` tells a video that failed (``task_failed``) from a wait that could not go on
    (``polling_failed``): the video may still finish then.
    """

    status: WaitOutcome
    reason: str | None
    error_code: int | None
    message: str
    #: Only on v2 (MiniMax-H3) events; an event without them is v1 (and from older provider versions).
    api_version: NotRequired[str]
    ratio: NotRequired[str | None]
    usage: NotRequired[dict[str, float] | None]


class _CostFields(TypedDict, total=False):
    """The generation operator's cost estimate (docs/costs.md); None without a price. Not from the sensor."""

    estimated_cost: float | None
    currency: str | None


class VideoResult(VideoFields, _CostFields):
    """What the generation operator and the sensor return (XCom), and ``HailuoToS3Operator`` reads.

    ``status`` is ``Success``, or ``Submitted`` without waiting. ``model``, ``resolution`` and
    ``duration`` are what was requested; the sensor, which only sees the task id, gives None.
    """

    status: str
    model: str | None
    resolution: str | None
    duration: int | None
    #: ``v1``, or ``v2`` for MiniMax-H3 (no file id: ``HailuoToS3Operator`` re-queries the task's URL).
    api_version: str
    #: v2: the ratio MiniMax used (``adaptive`` or ``""`` possible) and what it billed (seconds, images).
    ratio: str | None
    usage: dict[str, float] | None


def video_fields(status: VideoGenerationStatus) -> VideoFields:
    return {
        "video_task_id": status.video_task_id,
        "file_id": status.file_id,
        "video_width": status.video_width,
        "video_height": status.video_height,
    }


def video_state(status: VideoGenerationStatus) -> VideoState:
    return {
        **video_fields(status),
        "status": status.status.value,
        "error_code": status.error_code,
        "error_message": status.error_message,
    }


def video_result(
    video: Mapping[str, object],
    status: str,
    *,
    model: str | None = None,
    resolution: str | None = None,
    duration: int | None = None,
    api_version: str = "v1",
) -> VideoResult:
    file_id, width, height = video.get("file_id"), video.get("video_width"), video.get("video_height")
    ratio, usage = video.get("ratio"), video.get("usage")
    return {
        "video_task_id": str(video.get("video_task_id")),
        "status": status,
        "file_id": file_id if isinstance(file_id, str) else None,
        "video_width": width if isinstance(width, int) else None,
        "video_height": height if isinstance(height, int) else None,
        "model": model,
        "resolution": resolution,
        "duration": duration,
        "api_version": str(video.get("api_version") or api_version),
        "ratio": ratio if isinstance(ratio, str) else None,
        "usage": dict(usage) if isinstance(usage, Mapping) else None,
    }


def parse_rendered_mapping(value: Any) -> Any:
    """A result dict rendered by a Jinja template arrives as its text (JSON or Python repr): parse it back."""
    if isinstance(value, str) and value.strip().startswith("{"):
        text = value.strip()
        try:
            parsed = json.loads(text)
        except ValueError:
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return value
        if isinstance(parsed, Mapping):
            return parsed
    return value
