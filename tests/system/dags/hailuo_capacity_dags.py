"""A batch of mapped MiniMax-H3 prompts larger than the account's in-flight cap (system test, benchmark).

``dag_run.conf``: ``count`` prompts (default 30). The connection ``hailuo_capacity`` is created by the
caller with the account's limits in its extra; ``HAILUO_CAPACITY_POLL_INTERVAL`` sets the status polls.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator

with DAG("hailuo_capacity_batch", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:

    @task
    def prompts(**context: object) -> list[str]:
        conf = getattr(context.get("dag_run"), "conf", None) or {}
        count = int(conf.get("count", 30)) if isinstance(conf, dict) else 30
        return [f"capacity batch video {n}: a paper lantern drifting over a lake" for n in range(count)]

    HailuoVideoGenerationOperator.partial(
        task_id="generate",
        model="MiniMax-H3",
        ratio="16:9",
        resolution="768P",
        duration=4,
        deferrable=True,
        hailuo_conn_id="hailuo_capacity",
        poll_interval=float(os.environ.get("HAILUO_CAPACITY_POLL_INTERVAL", "10")),
        capacity_timeout=3600,
        # A retry re-attaches (task state store), never paying twice; it absorbs Airflow's defer/resume
        # race under load (see tests/system/test_system_capacity.py).
        retries=2,
        retry_delay=timedelta(seconds=5),
    ).expand(prompt=prompts())
