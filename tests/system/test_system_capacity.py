"""Waiting for capacity on a real Airflow: a mapped H3 batch larger than the in-flight cap and the rate.

A scaled-down run of ``benchmarks/capacity_batch.py`` (200 prompts, cap 30, 300 a minute; figures in
docs/performance.md): every video made once, never more in flight than the cap, no task failed, and
the tasks that wait for capacity wait deferred in the triggerer, not in a worker. Named to run last in
the system suite: its 30 mapped tasks would slow the shared scheduler for the tests after it.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.capacity_batch import run_batch
from tests.system.harness import AirflowCluster

pytestmark = [pytest.mark.system, pytest.mark.timeout(600)]

PROMPTS, CAP = 30, 5
#: The harness's LocalExecutor runs at most this many task instances at once (AIRFLOW__CORE__PARALLELISM).
WORKER_SLOTS = 8


def test_mapped_h3_batch_waits_for_capacity_without_worker_slots(cluster: AirflowCluster) -> None:
    report = run_batch(
        cluster,
        prompts=PROMPTS,
        cap=CAP,
        rpm=120,
        processing_seconds=3,
        check_interval=5.0,  # the default; a trigger firing within a second or two of its deferral can
        # lose a race in the scheduler under heavy load (the deferral's executor event arrives after the resume)
        timeout=420,
        sample_interval=1.0,
    )
    print("capacity batch:", json.dumps(report))
    assert report["run_state"] == "success", report
    # A try may be failed by Airflow's own scheduler race, not by the provider: a stale executor event of
    # a deferral arriving after the trigger already resumed the task (apache/airflow#66374, #67287, #72716;
    # seen here under CI load). Its retry re-attaches through the task state store, so the guarantee that
    # matters holds whatever the count of retries: every prompt made exactly once, none failed.
    assert (report["succeeded"], report["failures"]) == (PROMPTS, 0), report
    assert (report["creates"], report["duplicate_creates"]) == (PROMPTS, 0), report
    assert report["max_in_flight"] <= CAP, report
    assert report["in_flight_refusals"] + report["rate_limited"] > 0, report  # the limits were hit
    # Tasks waited deferred on the capacity trigger: at some moment more tasks were waiting or running
    # than there are worker slots, so the waits held none.
    assert report["max_waiting_for_capacity"] >= 1, report
    assert report["max_waiting_plus_running"] > WORKER_SLOTS, report
