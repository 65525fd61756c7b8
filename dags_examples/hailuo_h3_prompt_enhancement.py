"""MiniMax-H3: enhance a short prompt with Context-IR, then generate the video from the enhanced prompt.

Context-IR turns a short prompt into the shot-by-shot prompt H3 works from (``[Shot N]`` descriptions,
soundscape, music). It makes no video and is billed in tokens, so a DAG can log or review the result
before paying for the video: the enhancement operator returns the prompt as its XCom value (its log
shows the length and the start), and ``prompt=enhance.output`` feeds it to the generation. Use the
same duration and ratio for both. Set HAILUO_EXAMPLE_BUCKET (default ``hailuo-videos``); the API key
needs pay-as-you-go billing.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_hailuo.operators.h3_context_ir import HailuoPromptEnhancementOperator
from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")
POLL_INTERVAL = float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10"))
RUN_KEY = "{{ run_id | replace(':', '-') | replace('+', '-') }}"
DURATION = 6
RATIO = "16:9"

with DAG(
    dag_id="hailuo_h3_prompt_enhancement",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example", "minimax-h3"],
    params={
        "prompt": Param("A street violinist plays in the rain as the city lights come on", type="string")
    },
) as dag:
    enhance = HailuoPromptEnhancementOperator(
        task_id="enhance_prompt",
        prompt="{{ params.prompt }}",
        duration=DURATION,
        ratio=RATIO,
        deferrable=True,
        poll_interval=POLL_INTERVAL,
    )
    video = HailuoVideoGenerationOperator(
        task_id="generate",
        model="MiniMax-H3",
        prompt=enhance.output,
        duration=DURATION,
        ratio=RATIO,
        resolution="768P",
        deferrable=True,
        poll_interval=POLL_INTERVAL,
    )
    video >> HailuoToS3Operator(
        task_id="store",
        file_id=video.output,
        s3_bucket=BUCKET,
        s3_key=f"hailuo/h3-enhanced/{RUN_KEY}.mp4",
    )
