from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.harness import AirflowCluster

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowCluster]:
    root = tmp_path_factory.mktemp("airflow-system")
    dag_files = [
        *sorted((REPO / "dags_examples").glob("*.py")),
        *sorted((REPO / "tests/system/dags").glob("*.py")),
    ]
    c = AirflowCluster(
        root,
        dag_files,
        sandbox_args=["--preparing-seconds", "1", "--queueing-seconds", "1", "--processing-seconds", "4"],
    )
    c.env["HAILUO_EXAMPLE_POLL_INTERVAL"] = "1"
    c.env["HAILUO_EXAMPLE_BACKSTOP_POLL_INTERVAL"] = "2"
    # A backstop try failed by Airflow's defer/resume race (apache/airflow#67287) retries in seconds here.
    c.env["HAILUO_EXAMPLE_BACKSTOP_RETRY_DELAY"] = "5"
    # The same race can fail any deferred try that resumed (apache/airflow#66374, #72716) when the shared
    # scheduler lags, as it does while CI's other legs run. Tasks that set no retries of their own (most
    # examples) get one here, 5 s later; its retry re-attaches through the task state store, so each
    # test's count of creations still proves that no video was paid twice. Tasks that set retries
    # (the permanent-error DAG asserts a single try) keep theirs.
    c.env["AIRFLOW__CORE__DEFAULT_TASK_RETRIES"] = "1"
    c.env["AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY"] = "5"
    c.env["HAILUO_CAPACITY_POLL_INTERVAL"] = "2"
    for extra in (REPO / "dags_examples").glob("*.txt"):
        (c.dags / extra.name).write_bytes(extra.read_bytes())
    try:
        c.start()
        yield c
    finally:
        c.stop()
        if os.environ.get("HAILUO_SYSTEM_KEEP_LOGS"):
            print(f"system test files kept under {root}")
