"""A mapped batch (generation and transfer both ``.partial().expand()``), run with dag.test() by tests/transfers.

The transfer announces on its own alias so the test can tell what this DAG registered from what other
tests' runs did in the same metadata database.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

ALIAS = "hailuo_mapped_batch_test_videos"
PROMPTS = ["a kite over green hills", "a red panda surfing", "rain on a tin roof"]

with DAG("hailuo_mapped_transfer", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    videos = HailuoVideoGenerationOperator.partial(
        task_id="generate_video", poll_interval=0.1, timeout=60
    ).expand(prompt=PROMPTS)
    HailuoToS3Operator.partial(
        task_id="video_to_s3", s3_bucket=os.environ.get("HAILUO_TEST_BUCKET", "unset"), asset_alias=ALIAS
    ).expand(file_id=videos.output)
