"""Subject reference: keep one person's face consistent across the video (model S2V-01).

``subject_reference`` takes one character image in any accepted form: a path, an http(s) URL, a data
URL, ``s3://bucket/key``, or the API's own ``[{"type": "character", "image": ...}]`` shape.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")

with DAG(
    dag_id="hailuo_subject_reference",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example"],
) as dag:
    generate = HailuoVideoGenerationOperator(
        task_id="character_video",
        model="S2V-01",
        prompt="保持人物特征一致，展示不同角度的微笑",
        subject_reference=[{"type": "character", "image": f"s3://{BUCKET}/inputs/face.png"}],
        deferrable=True,
        poll_interval=float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10")),
    )
    HailuoToS3Operator(task_id="video_to_s3", file_id=generate.output, s3_bucket=BUCKET)
