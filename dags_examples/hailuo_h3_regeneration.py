"""MiniMax-H3: make a 768P draft, remake it at 2K, and stream the 2K video into S3.

Regenerating a 768P video at 2K costs less than generating at 2K from the start, so a pipeline can
draft at 768P (review, pick) and pay for 2K only for what it keeps. The regeneration operator takes
the draft's result (``source_task_id=draft.output``); it checks, before paying, that MiniMax lists the
draft as this account's succeeded 768P MiniMax-H3 video of the last 7 days. Its result has the
generation operator's shape, so ``HailuoToS3Operator`` stores the 2K video as for any other. Set
HAILUO_EXAMPLE_BUCKET (default ``hailuo-videos``); the API key needs pay-as-you-go billing and
MiniMax's regeneration access.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_hailuo.operators.h3_regeneration import HailuoVideoRegenerationOperator
from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")
POLL_INTERVAL = float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10"))
RUN_KEY = "{{ run_id | replace(':', '-') | replace('+', '-') }}"

with DAG(
    dag_id="hailuo_h3_regeneration",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example", "minimax-h3"],
    params={
        "prompt": Param("A lighthouse keeper climbs the stairs at dusk, waves crashing below", type="string"),
        "ratio": Param("16:9", enum=["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"]),
    },
) as dag:
    draft = HailuoVideoGenerationOperator(
        task_id="draft_768p",
        model="MiniMax-H3",
        prompt="{{ params.prompt }}",
        ratio="{{ params.ratio }}",
        resolution="768P",
        duration=5,
        deferrable=True,
        poll_interval=POLL_INTERVAL,
    )
    final = HailuoVideoRegenerationOperator(
        task_id="regenerate_2k",
        source_task_id=draft.output,
        deferrable=True,
        poll_interval=POLL_INTERVAL,
    )
    final >> HailuoToS3Operator(
        task_id="store_2k",
        file_id=final.output,
        s3_bucket=BUCKET,
        s3_key=f"hailuo/h3-2k/{RUN_KEY}.mp4",
    )
