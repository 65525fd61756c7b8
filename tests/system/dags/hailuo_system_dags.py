"""DAGs only the system tests use: waiting modes side by side, a crash target, permanent errors."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator

START = datetime(2026, 1, 1)

for deferrable in (True, False):
    with DAG(
        f"hailuo_system_wait_{'deferrable' if deferrable else 'sync'}", schedule=None, start_date=START
    ) as dag:
        HailuoVideoGenerationOperator(
            task_id="generate", prompt="worker time per video", deferrable=deferrable, poll_interval=2
        )
    globals()[dag.dag_id] = dag

with DAG("hailuo_system_kill_worker", schedule=None, start_date=START) as kill_dag:
    HailuoVideoGenerationOperator(
        task_id="generate",
        prompt="the worker running me is killed after I submit",
        deferrable=False,
        poll_interval=1,
        retries=2,
        retry_delay=timedelta(seconds=1),
    )

with DAG("hailuo_system_permanent_errors", schedule=None, start_date=START) as errors_dag:
    HailuoVideoGenerationOperator(
        task_id="bad_key",
        prompt="a bad API key cannot be fixed by retrying",
        hailuo_conn_id="hailuo_bad_key",
        retries=3,
        retry_delay=timedelta(seconds=1),
    )
    HailuoVideoGenerationOperator(
        task_id="moderated",
        prompt="SANDBOX_SENSITIVE content",
        retries=3,
        retry_delay=timedelta(seconds=1),
    )
