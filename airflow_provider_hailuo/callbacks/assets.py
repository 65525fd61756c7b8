"""The asset that MiniMax's callbacks update, importable by DAG authors.

A DAG scheduled on ``HAILUO_VIDEO_ASSET`` runs whenever the callback plugin records a final status, so
videos can be moved to S3 without any task polling MiniMax. The name and URI are part of the public
contract: the api-server plugin looks the asset up by both, so changing either orphans old events.
"""

from __future__ import annotations

from airflow.providers.common.compat.sdk import Asset

HAILUO_VIDEO_ASSET_URI = "hailuo://video-generation"
HAILUO_VIDEO_ASSET_NAME = "hailuo_video_generation"

HAILUO_VIDEO_ASSET = Asset(uri=HAILUO_VIDEO_ASSET_URI, name=HAILUO_VIDEO_ASSET_NAME)
"""Updated once per Hailuo task and final status (``success`` or ``failed``) pushed by MiniMax.

Each event's ``extra`` holds ``video_task_id``, ``status``, ``file_id``, ``video_width`` and
``video_height`` (plus ``error_code``/``error_message`` for failures, ``bytes`` when MiniMax sends it),
the same keys as the generation operator's result, so ``HailuoToS3Operator(file_id=extra)`` accepts it.
"""

#: ``extra["source"]`` of an event: MiniMax's own push, or the backstop's delivery of a push that was lost.
EVENT_SOURCE = "minimax_callback"
BACKSTOP_SOURCE = "hailuo_backstop"

__all__ = [
    "BACKSTOP_SOURCE",
    "EVENT_SOURCE",
    "HAILUO_VIDEO_ASSET",
    "HAILUO_VIDEO_ASSET_NAME",
    "HAILUO_VIDEO_ASSET_URI",
]
