"""Submit now, wait later: a sensor waits for a video submitted by another task (or another DAG).

Useful when generation should start early and the wait be decoupled from submission, or when the task
id comes from elsewhere (for example a callback or another system). The sensor defers to the same
trigger the operator uses and returns the same small dict, so the transfer reads it unchanged.

Retries are set where they are free: the submit task has none (on Airflow 3.0-3.2 a retry after the
create call would pay for a second video), the sensor only queries and retries freely.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.sensors.hailuo import HailuoVideoGenerationSensor
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")

with DAG(
    dag_id="hailuo_submit_then_wait",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example"],
) as dag:
    submit = HailuoVideoGenerationOperator(
        task_id="submit_video",
        prompt="A paper boat drifting down a rainy street [Static shot]",
        wait_for_completion=False,
        retries=0,
    )
    wait = HailuoVideoGenerationSensor(
        task_id="wait_for_video",
        video_task_id=submit.output,
        deferrable=True,
        poke_interval=float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10")),
        timeout=3600,
        retries=3,
        retry_delay=timedelta(seconds=30),
    )
    HailuoToS3Operator(task_id="video_to_s3", file_id=wait.output, s3_bucket=BUCKET)
