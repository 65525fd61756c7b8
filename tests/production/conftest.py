from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.production.stack import DAG_FILES, ProductionStack

#: Triggers one triggerer may hold in the tests: below the 50 waits of the batch test, so both
#: triggerers must take some, and above what the failover test leaves to the survivor.
TEST_TRIGGERER_CAPACITY = 30


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionStack]:
    root = tmp_path_factory.mktemp("airflow-production")
    s = ProductionStack(
        root,
        DAG_FILES,
        sandbox_args=["--preparing-seconds", "1", "--queueing-seconds", "1", "--processing-seconds", "4"],
        triggerer_capacity=TEST_TRIGGERER_CAPACITY,
        worker_concurrency=6,
    )
    s.env["HAILUO_STACK_POLL_INTERVAL"] = "1"
    try:
        s.start()
        yield s
    finally:
        s.stop()
        if os.environ.get("HAILUO_SYSTEM_KEEP_LOGS"):
            print(f"production stack files kept under {root}")
