"""DAGs the browser tests run: a generation moved to S3 beside a plain task, and a private DAG."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, Param, task

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

START = datetime(2026, 1, 1)
# A retry covers a worker that could not reach a loaded api-server in time; it re-attaches to the same
# video (nothing is generated twice), so the pages still show one generation per run.
DEFAULTS = {"retries": 2, "retry_delay": timedelta(seconds=2)}

with DAG(
    "hailuo_ui_gallery",
    schedule=None,
    start_date=START,
    default_args=DEFAULTS,
    params={"prompt": Param("a panda walks through a bamboo forest [Push in]", type="string")},
) as gallery:
    generate = HailuoVideoGenerationOperator(
        task_id="generate",
        prompt="{{ params.prompt }}",
        model="MiniMax-Hailuo-02",
        resolution="768P",
        duration=6,
        poll_interval=1,
        deferrable=False,
    )
    to_s3 = HailuoToS3Operator(
        task_id="to_s3",
        file_id=generate.output,
        s3_bucket="hailuo-videos",
        s3_key="ui/{{ run_id | replace(':', '-') | replace('+', '-') }}.mp4",
    )

    @task
    def caption() -> str:
        return "not a video"

    generate >> [to_s3, caption()]

with DAG("hailuo_ui_private", schedule=None, start_date=START, default_args=DEFAULTS) as private:
    HailuoVideoGenerationOperator(
        task_id="generate",
        prompt="a private teaser only admins may see",
        model="T2V-01-Director",
        poll_interval=1,
        deferrable=False,
    )
