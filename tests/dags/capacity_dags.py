"""DAGs of tests/operators/test_capacity_wait.py: an H3 video whose create MiniMax refuses for capacity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator

H3: dict[str, Any] = {
    "model": "MiniMax-H3",
    "resolution": "768P",
    "duration": 4,
    "poll_interval": 0.1,
    "timeout": 60,
}
START = datetime(2026, 1, 1)

for deferrable in (False, True):
    suffix = "deferrable" if deferrable else "sync"
    with DAG(f"hailuo_capacity_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
        HailuoVideoGenerationOperator(
            task_id="generate",
            prompt="a lighthouse in a storm",
            deferrable=deferrable,
            capacity_timeout=60,
            **H3,
        )
    globals()[f"capacity_{suffix}"] = dag

with DAG("hailuo_capacity_timeout", schedule=None, start_date=START, catchup=False) as timeout_dag:
    HailuoVideoGenerationOperator(
        task_id="generate",
        prompt="a video that never gets a slot",
        deferrable=True,
        capacity_timeout=0.5,
        **H3,
    )
