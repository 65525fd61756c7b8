"""A batch of prompts through dynamic task mapping, throttled by a pool.

Prompts come from ``prompts.txt`` beside this file (one per line) or from ``dag_run.conf["prompts"]``.
Each prompt becomes one mapped generation task, labelled in the UI with the start of its prompt. The
``hailuo_api`` pool caps how many tasks *submit at the same time* (create it with
``airflow pools set hailuo_api 5 "MiniMax Hailuo submissions"``); the wait happens deferred, so a slot
is held only for the seconds a task runs in a worker. A pool is not a per-minute limit: MiniMax allows
5 (free) or 20 (paid) requests per minute, and a large batch can exceed that. A refused create
(error 1002) created nothing, so the task waits for capacity and submits again (``capacity_timeout``;
set the connection's ``requests_per_minute`` extra to your account's figure); the task's own
``retries`` cover other transient failures, and on Airflow 3.3+ a retry re-attaches to a video it
already submitted instead of paying again (on 3.0-3.2 use ``retries=0``, see docs/operators.md).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, task

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")
POOL = os.environ.get("HAILUO_EXAMPLE_POOL", "hailuo_api")
PROMPTS_FILE = Path(__file__).with_name("prompts.txt")

with DAG(
    dag_id="hailuo_batch_prompts",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example"],
) as dag:

    @task
    def load_prompts(**context: object) -> list[str]:
        """Prompts from the run's conf, else from prompts.txt; blank lines and # comments skipped."""
        conf = getattr(context.get("dag_run"), "conf", None) or {}
        prompts = conf.get("prompts") if isinstance(conf, dict) else None
        if not prompts:
            lines = PROMPTS_FILE.read_text(encoding="utf-8").splitlines()
            prompts = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        return [str(p) for p in prompts]

    videos = HailuoVideoGenerationOperator.partial(
        task_id="generate_video",
        model="MiniMax-Hailuo-02",
        resolution="768P",
        duration=6,
        deferrable=True,
        pool=POOL,
        retries=2,
        retry_delay=timedelta(minutes=1),
        poll_interval=float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10")),
    ).expand(prompt=load_prompts())

    HailuoToS3Operator.partial(task_id="video_to_s3", s3_bucket=BUCKET).expand(file_id=videos.output)
