"""First and last frame: MiniMax-Hailuo-02 animates from one image to another.

The output resolution follows the first frame; a last frame of another size is cropped to match.
First+last frame supports 768P and 1080P (no 512P), 10 s only below 1080P.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")

with DAG(
    dag_id="hailuo_first_last_frame",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example"],
) as dag:
    generate = HailuoVideoGenerationOperator(
        task_id="dawn_to_dusk",
        model="MiniMax-Hailuo-02",
        prompt="The city skyline from dawn to dusk [Pull out]",
        first_frame_image=f"s3://{BUCKET}/inputs/landscape.png",
        last_frame_image=f"s3://{BUCKET}/inputs/landscape_dusk.png",
        resolution="768P",
        duration=10,
        deferrable=True,
        poll_interval=float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10")),
    )
    HailuoToS3Operator(task_id="video_to_s3", file_id=generate.output, s3_bucket=BUCKET)
