"""Text to video, then the finished video into S3: the provider's main path.

The generation waits in the triggerer (deferrable), so no worker slot is held while MiniMax renders;
the transfer streams the video into S3 and records an asset event for downstream DAGs.
Set HAILUO_EXAMPLE_BUCKET (default ``hailuo-videos``) and the ``hailuo_default`` / ``aws_default``
connections.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")

with DAG(
    dag_id="hailuo_text_to_video",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example"],
    params={
        "prompt": Param(
            "一只可爱的熊猫在竹林中悠闲散步[跟随]，阳光透过竹叶洒下斑驳的光影",
            type="string",
            maxLength=2000,
            description="What the video shows; camera commands such as [Push in] / [推进] are allowed.",
        ),
        "resolution": Param("1080P", enum=["768P", "1080P"]),
    },
) as dag:
    generate = HailuoVideoGenerationOperator(
        task_id="generate_video",
        prompt="{{ params.prompt }}",
        model="MiniMax-Hailuo-02",
        duration=6,
        resolution="{{ params.resolution }}",
        deferrable=True,
        poll_interval=float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10")),
    )
    to_s3 = HailuoToS3Operator(
        task_id="video_to_s3",
        file_id=generate.output,
        s3_bucket=BUCKET,
        s3_key="hailuo/text-to-video/{{ run_id | replace(':', '-') | replace('+', '-') }}.mp4",
    )
    generate >> to_s3
