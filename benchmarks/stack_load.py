"""Cost of waiting videos on Airflow's production shape: triggerer CPU and database queries per minute.

    python -m benchmarks.stack_load [--waits 1000] [--poll-interval 10] [--window 60] [--json PATH]

Starts the production stack of the tests (tests/production/stack.py: PostgreSQL with
pg_stat_statements, Redis, CeleryExecutor with two workers, scheduler, DAG processor, two triggerers,
an api-server with two workers, the sandbox API and moto), then measures two windows of the same length:

1. **idle**: nothing deferred, every component running;
2. **loaded**: ``--waits`` mapped ``HailuoVideoGenerationOperator(deferrable=True)`` tasks deferred, each
   polling a sandbox video that stays ``Processing`` for a day, spread by Airflow over both triggerers.

For each window it reports the CPU seconds per minute of every component (the process and all its
descendants, reaped children included), the triggerers' resident memory, the statements PostgreSQL ran
(``pg_stat_statements``, reset at the window's start; transaction control counted apart) and its
committed transactions and rows (``pg_stat_database``), and the polls the sandbox served. The loaded
minus the idle figure is what the waits cost. Getting 1000 tasks deferred takes 1000 task runs on the
Celery workers first (several minutes on 2 cores); only the windows are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.common import describe_machine, format_table, machine_info

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SET ", "SHOW ", "SAVEPOINT", "RELEASE", "DISCARD")
PG_DB_COUNTERS = (
    "xact_commit",
    "xact_rollback",
    "tup_returned",
    "tup_fetched",
    "tup_inserted",
    "tup_updated",
    "tup_deleted",
)


def _tree(pid: int) -> list[Any]:
    """The process and its descendants (empty if it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _sum_over_tree(pid: int, measure: Any) -> float:
    import psutil

    total = 0.0
    for proc in _tree(pid):
        try:
            total += measure(proc)
        except psutil.Error:  # ended meanwhile
            continue
    return total


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants, including children already reaped."""

    def cpu(proc: Any) -> float:
        t = proc.cpu_times()
        return float(t.user + t.system + t.children_user + t.children_system)

    return _sum_over_tree(pid, cpu)


def tree_rss_mb(pid: int) -> float:
    return _sum_over_tree(pid, lambda proc: proc.memory_info().rss) / (1 << 20)


def component_pids(stack: Any) -> dict[str, int]:
    return {name: svc.pid for name, svc in stack.services.items() if svc.running}


def triggerer_runner_pid(stack: Any, name: str) -> int | None:
    """The triggerer's async trigger runner (its child); the parent talks to the database."""
    import psutil

    try:
        children = psutil.Process(stack.services[name].pid).children()
    except psutil.Error:
        return None
    return children[0].pid if children else None


def pg_counters(stack: Any) -> dict[str, int]:
    row = stack.sql(
        f"SELECT {', '.join(PG_DB_COUNTERS)} FROM pg_stat_database WHERE datname = current_database()"
    )[0]
    return dict(zip(PG_DB_COUNTERS, (int(v) for v in row), strict=True))


def pg_statements(stack: Any) -> list[tuple[str, int, float]]:
    """(query, calls, total ms) since the last reset, for the Airflow database, most called first."""
    rows = stack.sql(
        "SELECT s.query, s.calls, s.total_exec_time FROM pg_stat_statements s "
        "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() ORDER BY s.calls DESC"
    )
    return [(str(q), int(c), float(t)) for q, c, t in rows]


def measure_window(stack: Any, seconds: float) -> dict[str, Any]:
    """CPU per component, database statements and sandbox polls over one window."""
    pids = component_pids(stack)
    runners = {name: triggerer_runner_pid(stack, name) for name in pids if name.startswith("triggerer")}
    cpu0 = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
    runner0 = {name: tree_cpu_seconds(pid) for name, pid in runners.items() if pid}
    db0 = pg_counters(stack)
    polls0 = stack.sandbox_stats()["queries"]
    stack.sql("SELECT pg_stat_statements_reset()")
    load0 = os.getloadavg()[0]
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    statements = pg_statements(stack)
    polls = stack.sandbox_stats()["queries"] - polls0
    db1 = pg_counters(stack)
    cpu1 = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
    runner1 = {name: tree_cpu_seconds(pid) for name, pid in runners.items() if pid}
    per_minute = 60.0 / elapsed
    control = sum(c for q, c, _ in statements if q.lstrip().upper().startswith(TRANSACTION_CONTROL))
    total = sum(c for _, c, _ in statements)
    return {
        "seconds": round(elapsed, 1),
        "load_average_1m": [round(load0, 1), round(os.getloadavg()[0], 1)],
        "cpu_s_per_min": {name: (cpu1[name] - cpu0[name]) * per_minute for name in pids},
        "trigger_runner_cpu_s_per_min": {
            name: (runner1[name] - runner0[name]) * per_minute for name in runner1 if name in runner0
        },
        "triggerer_rss_mb": {
            name: tree_rss_mb(pid) for name, pid in pids.items() if name.startswith("triggerer")
        },
        "statements_per_min": total * per_minute,
        "statements_per_min_without_transaction_control": (total - control) * per_minute,
        "db_counters_per_min": {k: (db1[k] - db0[k]) * per_minute for k in PG_DB_COUNTERS},
        "top_statements": [
            {
                "calls_per_min": c * per_minute,
                "mean_ms": t / c if c else 0.0,
                "query": " ".join(q.split())[:160],
            }
            for q, c, t in statements[:12]
        ],
        "sandbox_polls_per_s": polls / elapsed,
        "triggers_by_triggerer": _triggers_by_triggerer(stack),
    }


def _triggers_by_triggerer(stack: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for holder in stack.trigger_holders().values():
        counts[str(holder)] = counts.get(str(holder), 0) + 1
    return counts


def defer_waits(stack: Any, waits: int, timeout: float) -> float:
    """Trigger one mapped run of ``waits`` generations; return seconds until all are deferred and held."""
    from tests.system.harness import fresh

    fresh(stack, preparing_seconds=0.5, queueing_seconds=0.5, processing_seconds=86400)
    started = time.monotonic()
    prompts = [f"Benchmark wait {i:04d}: rain on a tin roof" for i in range(waits)]
    stack.trigger("hailuo_production_batch", conf={"prompts": prompts})
    deadline = started + timeout
    last = -1
    while time.monotonic() < deadline:
        held = stack.trigger_holders()
        assigned = sum(h is not None for h in held.values())
        (deferred,) = stack.sql("SELECT count(*) FROM task_instance WHERE state = 'deferred'")[0]
        (failed,) = stack.sql(
            "SELECT count(*) FROM task_instance WHERE state IN ('failed', 'upstream_failed')"
        )[0]
        if failed:
            raise RuntimeError(f"{failed} task(s) failed while deferring; see the logs under {stack.root}")
        if deferred != last:
            print(
                f"  {time.monotonic() - started:5.0f}s  deferred {deferred}/{waits}, held {assigned}",
                flush=True,
            )
            last = deferred
        if deferred >= waits and assigned >= waits:
            return time.monotonic() - started
        time.sleep(5)
    raise TimeoutError(f"only {last} of {waits} waits deferred after {timeout:.0f}s")


def run(waits: int, poll_interval: float, window: float, root: Path) -> dict[str, Any]:
    from tests.production.stack import DAG_FILES, ProductionStack

    stack = ProductionStack(
        root,
        DAG_FILES,
        triggerer_capacity=max(1000, waits),
        worker_concurrency=8,
        sandbox_args=["--processing-seconds", "86400"],
    )
    stack.env["HAILUO_STACK_POLL_INTERVAL"] = str(poll_interval)
    started = time.monotonic()
    try:
        stack.start()
        print(f"stack up after {time.monotonic() - started:.0f}s; idle window of {window:.0f}s", flush=True)
        time.sleep(10)  # let start-up work (DAG parsing, first heartbeats) settle
        idle = measure_window(stack, window)
        print(f"deferring {waits} waits (poll_interval {poll_interval:g}s)", flush=True)
        defer_seconds = defer_waits(stack, waits, timeout=7200)
        time.sleep(max(2 * poll_interval, 10))  # every trigger has polled at least once
        print(f"all deferred after {defer_seconds:.0f}s; loaded window of {window:.0f}s", flush=True)
        loaded = measure_window(stack, window)
    finally:
        stack.stop()
    return {
        "waits": waits,
        "poll_interval": poll_interval,
        "window_seconds": window,
        "seconds_to_defer": defer_seconds,
        "idle": idle,
        "loaded": loaded,
        "machine": machine_info(),
    }


def format_report(report: Mapping[str, Any]) -> str:
    idle, loaded = report["idle"], report["loaded"]
    names = sorted(loaded["cpu_s_per_min"], key=lambda n: (not n.startswith("triggerer"), n))
    rows = [
        [
            name,
            idle["cpu_s_per_min"].get(name, 0.0),
            loaded["cpu_s_per_min"][name],
            loaded["cpu_s_per_min"][name] - idle["cpu_s_per_min"].get(name, 0.0),
        ]
        for name in names
    ]
    trig = [n for n in names if n.startswith("triggerer")]
    idle_trig = sum(idle["cpu_s_per_min"].get(n, 0.0) for n in trig)
    loaded_trig = sum(loaded["cpu_s_per_min"][n] for n in trig)
    rows.append(["triggerers together", idle_trig, loaded_trig, loaded_trig - idle_trig])
    out = [
        f"{report['waits']} waits deferred, poll_interval {report['poll_interval']:g}s, "
        f"windows of {report['window_seconds']:.0f}s; deferring took {report['seconds_to_defer']:.0f}s",
        "",
        format_table(
            ["component", "idle CPU s/min", "loaded CPU s/min", "waits' share"],
            rows,
            title="CPU seconds per minute (process tree)",
        ),
        "",
        format_table(
            ["", "idle", "loaded", "waits' share"],
            [
                [
                    "statements/min (all)",
                    idle["statements_per_min"],
                    loaded["statements_per_min"],
                    loaded["statements_per_min"] - idle["statements_per_min"],
                ],
                [
                    "statements/min (no BEGIN/COMMIT)",
                    idle["statements_per_min_without_transaction_control"],
                    loaded["statements_per_min_without_transaction_control"],
                    loaded["statements_per_min_without_transaction_control"]
                    - idle["statements_per_min_without_transaction_control"],
                ],
                *[
                    [
                        f"{k}/min",
                        idle["db_counters_per_min"][k],
                        loaded["db_counters_per_min"][k],
                        loaded["db_counters_per_min"][k] - idle["db_counters_per_min"][k],
                    ]
                    for k in PG_DB_COUNTERS
                ],
                ["sandbox polls/s", idle["sandbox_polls_per_s"], loaded["sandbox_polls_per_s"], ""],
            ],
            title="PostgreSQL (pg_stat_statements, pg_stat_database) and the sandbox",
        ),
        "",
        f"trigger runner (async loop) CPU s/min, loaded: {loaded['trigger_runner_cpu_s_per_min']}",
        f"triggerer RSS MB: idle {idle['triggerer_rss_mb']}, loaded {loaded['triggerer_rss_mb']}",
        f"triggers by triggerer: {loaded['triggers_by_triggerer']}",
        f"load average (1 min) during the windows: idle {idle['load_average_1m']}, loaded {loaded['load_average_1m']}",
        "",
        format_table(
            ["calls/min", "mean ms", "statement"],
            [[s["calls_per_min"], s["mean_ms"], s["query"]] for s in loaded["top_statements"]],
            title="Most frequent statements, loaded window",
        ),
        "",
        describe_machine(report["machine"]),
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.stack_load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--waits", type=int, default=1000)
    parser.add_argument("--poll-interval", type=float, default=10.0, help="the operator's default: 10 s")
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured per window")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--keep", type=Path, help="keep logs under this folder (default: a temp folder)")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="hailuo-stack-load-"))
    root.mkdir(parents=True, exist_ok=True)
    report = run(args.waits, args.poll_interval, args.window, root)
    print(format_report(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
