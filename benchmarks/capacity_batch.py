"""A batch of mapped MiniMax-H3 prompts larger than the account's limits, on a real Airflow.

    python -m benchmarks.capacity_batch [--prompts 200] [--cap 30] [--rpm 300] [--json PATH]

Starts the sandbox API enforcing ``--cap`` videos in flight and ``--rpm`` requests a minute per account
(every v2 request counts, status polls included), and a real Airflow (api-server, scheduler with
LocalExecutor, DAG processor, triggerer: tests/system/harness.py), then runs ``--prompts`` mapped
deferrable H3 generations (tests/system/dags/hailuo_capacity_dags.py). Creates beyond the limits are
refused (nothing created); the tasks wait for capacity in the triggerer and submit again.

Reports failures, creates and duplicate creations (the sandbox counts every body created twice), the
most videos ever in flight (the sandbox checks at every create), refusals, and while tasks waited for
capacity: how many waited at once (deferred on ``HailuoCapacityTrigger``) against the task instances
running in a worker and the default pool's running slots at the same moment, sampled through the REST
API every ``--sample-interval`` seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from benchmarks.common import describe_machine, format_table, machine_info

REPO = Path(__file__).resolve().parents[1]
DAG_ID = "hailuo_capacity_batch"
CONN_ID = "hailuo_capacity"
CAPACITY_TRIGGER = "HailuoCapacityTrigger"


def make_connection(cluster: Any, extra: dict[str, Any]) -> None:
    """The DAG's connection, with the account's limits in its extra (replaced if it exists)."""
    from tests.system.harness import API_KEY

    requests.delete(f"{cluster.api}/api/v2/connections/{CONN_ID}", timeout=30)
    body = {
        "connection_id": CONN_ID,
        "conn_type": "hailuo",
        "host": cluster.sandbox,
        "password": API_KEY,
        "extra": json.dumps(extra),
    }
    requests.post(f"{cluster.api}/api/v2/connections", json=body, timeout=30).raise_for_status()


def _sample(cluster: Any, run_id: str) -> dict[str, int]:
    tis = [t for t in cluster.task_instances(DAG_ID, run_id) if t["task_id"] == "generate"]
    pool = requests.get(f"{cluster.api}/api/v2/pools/default_pool", timeout=30).json()
    return {
        "waiting": sum(
            t["state"] == "deferred"
            and str((t.get("trigger") or {}).get("classpath", "")).endswith(CAPACITY_TRIGGER)
            for t in tis
        ),
        "running": sum(t["state"] == "running" for t in tis),
        "pool_running_slots": int(pool.get("running_slots") or 0),
        "done": sum(t["state"] in ("success", "failed", "upstream_failed") for t in tis),
        "in_flight": int(cluster.sandbox_stats()["v2"]["in_flight"]),
    }


def run_batch(
    cluster: Any,
    *,
    prompts: int,
    cap: int,
    rpm: int,
    processing_seconds: float,
    check_interval: float,
    timeout: float,
    sample_interval: float,
) -> dict[str, Any]:
    """Run the batch on a started cluster; the figures, whatever they are (callers judge them)."""
    from tests.system.harness import fresh

    fresh(cluster, v2_in_flight_cap=cap, v2_rate_limit_rpm=rpm, processing_seconds=processing_seconds)
    make_connection(
        cluster, {"max_in_flight": cap, "requests_per_minute": rpm, "capacity_check_interval": check_interval}
    )
    started = time.monotonic()
    run_id = cluster.trigger(DAG_ID, {"count": prompts})
    samples: list[dict[str, int]] = []
    state = "running"
    while time.monotonic() - started < timeout:
        samples.append(_sample(cluster, run_id))
        state = cluster.run_state(DAG_ID, run_id)
        if state in ("success", "failed"):
            break
        time.sleep(sample_interval)
    wall = time.monotonic() - started
    tis = [t for t in cluster.task_instances(DAG_ID, run_id) if t["task_id"] == "generate"]
    v2 = cluster.sandbox_stats()["v2"]
    waiting = [s for s in samples if s["waiting"] > 0]
    return {
        "prompts": prompts,
        "cap": cap,
        "rpm": rpm,
        "run_state": state,
        "wall_seconds": round(wall, 1),
        "succeeded": sum(t["state"] == "success" for t in tis),
        "failures": sum(t["state"] != "success" for t in tis),
        "retried": sum(int(t.get("try_number") or 1) > 1 for t in tis),
        "creates": v2["creates"],
        "duplicate_creates": v2["duplicate_creates"],
        "max_in_flight": v2["max_in_flight"],
        "in_flight_refusals": v2["in_flight_refusals"],
        "rate_limited": v2["rate_limited"],
        "list_requests": v2["lists"],
        "status_queries": v2["queries"],
        "samples": len(samples),
        "samples_with_waiters": len(waiting),
        "max_waiting_for_capacity": max((s["waiting"] for s in samples), default=0),
        "max_running_while_waiting": max((s["running"] for s in waiting), default=0),
        "mean_running_while_waiting": round(sum(s["running"] for s in waiting) / len(waiting), 2)
        if waiting
        else 0,
        "max_waiting_plus_running": max((s["waiting"] + s["running"] for s in samples), default=0),
        "max_pool_running_slots_while_waiting": max((s["pool_running_slots"] for s in waiting), default=0),
        "max_in_flight_sampled": max((s["in_flight"] for s in samples), default=0),
    }


def format_report(report: dict[str, Any]) -> str:
    rows = [(key, value) for key, value in report.items() if key != "machine"]
    return (
        format_table(("figure", "value"), rows, title="Capacity batch")
        + "\n\n"
        + describe_machine(report["machine"])
    )


def main(argv: list[str] | None = None) -> int:
    from tests.system.harness import AirflowCluster

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.capacity_batch", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--cap", type=int, default=30, help="videos in flight per account (MiniMax-H3: 30)")
    parser.add_argument(
        "--rpm", type=int, default=300, help="requests a minute per account (MiniMax-H3: 300)"
    )
    parser.add_argument(
        "--processing-seconds",
        type=float,
        default=150.0,
        help="how long the sandbox renders: long enough that the workers, starting about one task run a "
        "second on 2 cores, fill the cap",
    )
    parser.add_argument("--poll-interval", type=float, default=10.0, help="the operator's status polls")
    parser.add_argument("--check-interval", type=float, default=5.0, help="capacity_check_interval extra")
    parser.add_argument("--sample-interval", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--keep", type=Path, help="keep logs under this folder (default: a temp folder)")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="hailuo-capacity-batch-"))
    root.mkdir(parents=True, exist_ok=True)
    cluster = AirflowCluster(
        root,
        [REPO / "tests/system/dags/hailuo_capacity_dags.py"],
        sandbox_args=["--preparing-seconds", "1", "--queueing-seconds", "2"],
    )
    cluster.env["HAILUO_CAPACITY_POLL_INTERVAL"] = str(args.poll_interval)
    try:
        cluster.start()
        report = run_batch(
            cluster,
            prompts=args.prompts,
            cap=args.cap,
            rpm=args.rpm,
            processing_seconds=args.processing_seconds,
            check_interval=args.check_interval,
            timeout=args.timeout,
            sample_interval=args.sample_interval,
        )
    finally:
        cluster.stop()
    report["machine"] = machine_info()
    print(format_report(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
