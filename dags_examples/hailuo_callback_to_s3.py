"""Move every video MiniMax reports finished to S3: scheduled on the callback asset, no polling at all.

The second half of the callback pattern (the first is ``hailuo_callback_submit.py``). The api-server's
``hailuo_callback`` plugin records one event on ``HAILUO_VIDEO_ASSET`` per task and final status, with
``video_task_id``, ``status``, ``file_id``, ``video_width`` and ``video_height`` in its extra (a
MiniMax-H3 video has ``api_version: "v2"`` and no file id: the transfer finds its URL from the task). Several
videos finishing close together may be delivered to one run, so the run reads *all* its triggering
events, skips failed videos (logged) and maps one ``HailuoToS3Operator`` per finished file. The event
extra has the generation operator's result keys, so it is passed as ``file_id`` unchanged.

Set HAILUO_EXAMPLE_BUCKET (default ``hailuo-videos``) and the ``hailuo_default`` / ``aws_default``
connections. MiniMax's download URLs last one hour, but the transfer mints a fresh one from the
file id, so a run that starts late still works.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_hailuo.callbacks import HAILUO_VIDEO_ASSET
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

log = logging.getLogger(__name__)

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")


def finished_videos_from_events(events: Iterable[Any]) -> list[dict[str, Any]]:
    """The successful videos among asset events (objects with ``.extra`` or plain dicts), one per file id."""
    videos: dict[str, dict[str, Any]] = {}
    for event in events:
        extra = event.get("extra") if isinstance(event, dict) else getattr(event, "extra", None)
        extra = extra or {}
        task_id = extra.get("video_task_id")
        status = str(extra.get("status") or "").lower()
        file_id = extra.get("file_id")
        if status != "success":
            log.warning(
                "Skipping Hailuo task %s: status %s%s",
                task_id,
                status or "unknown",
                f" ({extra.get('error_code')}: {extra.get('error_message')})"
                if extra.get("error_code")
                else "",
            )
            continue
        if extra.get("api_version") == "v2":  # MiniMax-H3: no file id; the transfer queries the task
            if task_id:
                videos.setdefault(
                    f"v2:{task_id}",
                    {"video_task_id": task_id, "api_version": "v2", "file_id": None, "status": "success"},
                )
            continue
        if not file_id:
            log.warning("Skipping Hailuo task %s: success without a file id", task_id)
            continue
        videos.setdefault(
            str(file_id),
            {
                "file_id": str(file_id),
                "video_task_id": task_id,
                "status": "success",
                "video_width": extra.get("video_width"),
                "video_height": extra.get("video_height"),
            },
        )
    return list(videos.values())


with DAG(
    dag_id="hailuo_callback_to_s3",
    description="Copy each Hailuo video reported finished by MiniMax's callback into S3",
    schedule=HAILUO_VIDEO_ASSET,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "callbacks"],
) as dag:

    @task
    def finished_videos(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        """Read the file ids from the events that triggered this run (an empty list skips the copy)."""
        events = triggering_asset_events[HAILUO_VIDEO_ASSET] if triggering_asset_events else []
        videos = finished_videos_from_events(events)
        log.info("%d finished video(s) to copy: %s", len(videos), [v["video_task_id"] for v in videos])
        return videos

    HailuoToS3Operator.partial(
        task_id="video_to_s3",
        s3_bucket=BUCKET,
        aws_conn_id="aws_default",
    ).expand(file_id=finished_videos())
