"""DAGs the production-stack tests run (PostgreSQL + Celery + two triggerers).

Prompts come from the run's conf so one DAG serves every batch size; poll intervals come from the
environment so the tests can poll every second.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

START = datetime(2026, 1, 1)
POLL = float(os.environ.get("HAILUO_STACK_POLL_INTERVAL", "1"))
BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")

with DAG("hailuo_production_batch", schedule=None, start_date=START, max_active_tasks=128) as batch:

    @task
    def prompts(**context: object) -> list[str]:
        return [str(p) for p in context["dag_run"].conf["prompts"]]  # type: ignore[attr-defined]

    videos = HailuoVideoGenerationOperator.partial(
        task_id="generate",
        deferrable=True,
        poll_interval=POLL,
        retries=1,
        retry_delay=timedelta(seconds=2),
    ).expand(prompt=prompts())
    HailuoToS3Operator.partial(task_id="video_to_s3", s3_bucket=BUCKET).expand(file_id=videos.output)

with DAG("hailuo_production_wait_in_worker", schedule=None, start_date=START) as in_worker:
    HailuoVideoGenerationOperator(
        task_id="generate",
        prompt="{{ dag_run.conf['prompt'] }}",
        deferrable=False,
        poll_interval=POLL,
        retries=2,
        retry_delay=timedelta(seconds=1),
    )
