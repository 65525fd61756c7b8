"""Image to video from an image already in S3, with camera commands.

``I2V-01-Director`` follows camera commands precisely: ``[Truck right]`` (``[右移]``) moves the camera
sideways, ``[Push in]`` (``[推进]``) moves it closer. The image is read through the amazon provider's
S3 hook, checked locally (format, size, short side, aspect ratio) and sent as a data URL.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")

with DAG(
    dag_id="hailuo_image_to_video",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example"],
    params={
        "image": Param(f"s3://{BUCKET}/inputs/landscape.png", type="string"),
        "prompt": Param("让图片中的风景动起来，[右移]展示更多景色，然后[推进]", type="string"),
    },
) as dag:
    generate = HailuoVideoGenerationOperator(
        task_id="animate_image",
        model="I2V-01-Director",
        prompt="{{ params.prompt }}",
        first_frame_image="{{ params.image }}",
        deferrable=True,
        poll_interval=float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10")),
    )
    HailuoToS3Operator(task_id="video_to_s3", file_id=generate.output, s3_bucket=BUCKET)
