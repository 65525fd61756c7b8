"""MiniMax-H3 (v2 API): a text-to-video clip in a chosen ratio, and a reference-to-video clip from S3
images and an S3 soundtrack, each streamed into S3.

The model name picks the API: the same operator, with H3's own parameters. H3 videos come with native
stereo sound. Text alone needs a concrete ``ratio`` (``adaptive`` has no image to follow); reference
images, videos and audios (here two images and a WAV read from S3, checked against MiniMax's media
limits and sent inline) keep a character, a place and a sound across the clip. Every H3 rule is checked
before anything is sent. An H3 video has no file id: ``HailuoToS3Operator`` takes the generation result
as for any model and fetches the video's URL from its task. Set HAILUO_EXAMPLE_BUCKET (default
``hailuo-videos``), put ``inputs/face.png``, ``inputs/landscape.png`` and ``inputs/theme.wav`` (2-15 s)
there, and use an API key with pay-as-you-go billing (MiniMax refuses H3 to Token-Plan keys with 402).
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")
POLL_INTERVAL = float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10"))
RUN_KEY = "{{ run_id | replace(':', '-') | replace('+', '-') }}"

with DAG(
    dag_id="hailuo_h3_text_and_references",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example", "minimax-h3"],
    params={
        "prompt": Param("A red kite climbs over a windy sea cliff at dawn, gulls calling", type="string"),
        "ratio": Param("9:16", enum=["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"]),
        "resolution": Param("768P", enum=["768P", "2K"]),
    },
) as dag:
    text_to_video = HailuoVideoGenerationOperator(
        task_id="text_to_video",
        model="MiniMax-H3",
        prompt="{{ params.prompt }}",
        ratio="{{ params.ratio }}",
        resolution="{{ params.resolution }}",
        duration=5,
        deferrable=True,
        poll_interval=POLL_INTERVAL,
    )
    references = HailuoVideoGenerationOperator(
        task_id="reference_to_video",
        model="MiniMax-H3",
        prompt="The woman from the first image walks along the shore of the second, humming the melody",
        reference_images=[f"s3://{BUCKET}/inputs/face.png", f"s3://{BUCKET}/inputs/landscape.png"],
        reference_audios=[f"s3://{BUCKET}/inputs/theme.wav"],
        ratio="16:9",
        resolution="768P",
        duration=6,
        deferrable=True,
        poll_interval=POLL_INTERVAL,
    )
    for generate, name in ((text_to_video, "text"), (references, "references")):
        generate >> HailuoToS3Operator(
            task_id=f"{name}_to_s3",
            file_id=generate.output,
            s3_bucket=BUCKET,
            s3_key=f"hailuo/h3-{name}/{RUN_KEY}.mp4",
        )
