"""Batch polling of MiniMax-H3 waits: status requests and loop lag, batched vs one query per video.

N MiniMax-H3 (v2) videos are in flight, each waited for by a ``HailuoVideoGenerationTrigger`` on ONE
event loop, as in an Airflow triggerer. Two sides, each in a fresh worker process, in the same run:

``batch``      as shipped: the waits of one connection share a poller, and the waits due together are
               answered by one list call (``filter.task_ids``) per 100 videos.
``per-video``  the baseline, today's polling before batching (``batch_poller.BATCH_POLLING = False``):
               every wait queries its own task each poll.

Per side, over a window of several poll intervals after every wait has polled once:

* **requests / video / interval**: the v2 status requests the sandbox served (``lists`` + ``queries``
  from ``/sandbox/stats``) divided by N x (window / interval). The per-video side is 1 by design;
* **polls answered / expected**: statuses the waits received (``StatusWatcher.record`` calls) against
  N x window / interval, so that fewer requests cannot hide waits that were not answered;
* **requests / minute**: what the account spends of MiniMax's ~300 a minute (contract §8);
* **lag p99 / max**: a monitor task sleeps 10 ms in a loop and records how late it wakes;
* **CPU s** of the worker over the window, and the rest of the machine's load in cores.

The sandbox runs in its own process (``python -m airflow_provider_hailuo.sandbox``) with its per-account
rate limit and in-flight cap off, so both sides show the requests they need rather than 429s; tasks
stay ``running`` for a day. Targets (issue 14): under 0.1 requests per video per interval and p99 lag
under 100 ms at 1000 videos in flight.

Run: ``python -m benchmarks.batch_polling [--n 1000] [--interval 10] [--window 30] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import triggerer_scale as ts
from benchmarks.common import describe_machine, format_table, machine_info

SIDES = ("batch", "per-video")
BASELINE = "per-video"
H3 = {"model": "MiniMax-H3", "resolution": "768P", "duration": 4, "ratio": "16:9"}
TARGET_REQUESTS_PER_VIDEO_INTERVAL = 0.1
TARGET_LAG_P99_MS = 100.0
#: What every result row carries; the smoke test checks them.
RESULT_FIELDS = (
    "side",
    "n",
    "poll_interval_s",
    "window_s",
    "requests",
    "lists",
    "queries",
    "requests_per_video_per_interval",
    "requests_per_minute",
    "polls_answered",
    "expected_polls",
    "ended_early",
    "cpu_s",
    "lag_p99_ms",
    "lag_max_ms",
    "other_load_cores",
)
#: The sandbox's limits that would turn the baseline's requests into 429s: off, to count what is needed.
SANDBOX_ENV = {"HAILUO_SANDBOX_V2_RATE_LIMIT_RPM": "off", "HAILUO_SANDBOX_V2_IN_FLIGHT_CAP": "off"}


@dataclass
class BatchPollingConfig:
    n: int = 1000
    poll_interval: float = 10.0
    window_seconds: float = 30.0
    sides: tuple[str, ...] = SIDES


@dataclass
class Spec:
    side: str
    n: int
    poll_interval: float
    window_seconds: float
    sandbox_url: str
    sandbox_pid: int | None
    task_ids_file: str


async def _v2_counters(session: aiohttp.ClientSession, url: str) -> dict[str, int]:
    async with session.get(f"{url}/sandbox/stats") as resp:
        resp.raise_for_status()
        data = await resp.json()
    return {k: int(v) for k, v in data["v2"].items() if isinstance(v, int)}


async def measure_side(spec: Spec, task_ids: list[str]) -> dict[str, Any]:
    """One side's row: N waits on this loop, measured over the window (restores what it patches)."""
    from airflow_provider_hailuo.triggers import batch_poller
    from airflow_provider_hailuo.waiting import StatusWatcher

    batching, record = batch_poller.BATCH_POLLING, StatusWatcher.record
    answered = [0]

    def counted(self: StatusWatcher, status: Any) -> str | None:
        answered[0] += 1
        return record(self, status)

    batch_poller.BATCH_POLLING = spec.side == "batch"
    StatusWatcher.record = counted  # type: ignore[method-assign]
    try:
        return await _measure(spec, task_ids, answered)
    finally:
        batch_poller.BATCH_POLLING, StatusWatcher.record = batching, record  # type: ignore[method-assign]


async def _measure(spec: Spec, task_ids: list[str], answered: list[int]) -> dict[str, Any]:
    from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger

    events: list[Any] = []

    async def consume(task_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        trigger = HailuoVideoGenerationTrigger(task_id, poll_interval=spec.poll_interval, api_version="v2")
        async for event in trigger.run():
            events.append(event.payload)
            return

    monitor = ts._LoopMonitor()
    async with aiohttp.ClientSession() as control:
        monitor.start()
        loop = asyncio.get_running_loop()
        # Waits reach a triggerer at any moment: start times spread over one interval.
        tasks = [
            loop.create_task(consume(task_id, spec.poll_interval * i / spec.n))
            for i, task_id in enumerate(task_ids[: spec.n])
        ]
        deadline = time.monotonic() + spec.poll_interval + 60.0
        await asyncio.sleep(spec.poll_interval + min(1.0, spec.poll_interval))
        while answered[0] < spec.n and time.monotonic() < deadline:  # every wait has polled once
            await asyncio.sleep(0.2)
        before, answered0 = await _v2_counters(control, spec.sandbox_url), answered[0]
        monitor.recording = True
        machine0, server0 = ts._machine_cpu_seconds(), ts._process_cpu_seconds(spec.sandbox_pid)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(spec.window_seconds)
        cpu1, wall1 = time.process_time(), time.perf_counter()
        machine1, server1 = ts._machine_cpu_seconds(), ts._process_cpu_seconds(spec.sandbox_pid)
        monitor.recording = False
        after, answered1 = await _v2_counters(control, spec.sandbox_url), answered[0]
        ended_early = len(events)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await monitor.stop()
    wall, cpu = wall1 - wall0, cpu1 - cpu0
    other = None
    if machine0 is not None and machine1 is not None and wall > 0:
        server = (server1 - server0) if server0 is not None and server1 is not None else 0.0
        other = max(0.0, machine1[0] - machine0[0] - cpu - server) / wall
    lists, queries = after["lists"] - before["lists"], after["queries"] - before["queries"]
    intervals = wall / spec.poll_interval
    lags = [lag * 1000.0 for lag in monitor.lags]
    return {
        "side": spec.side,
        "n": spec.n,
        "poll_interval_s": spec.poll_interval,
        "window_s": round(wall, 2),
        "requests": lists + queries,
        "lists": lists,
        "queries": queries,
        "requests_per_video_per_interval": round((lists + queries) / (spec.n * intervals), 4),
        "requests_per_minute": round((lists + queries) * 60.0 / wall, 1),
        "polls_answered": answered1 - answered0,
        "expected_polls": round(spec.n * intervals),
        "ended_early": ended_early,
        "cpu_s": round(cpu, 3),
        "lag_p99_ms": round(ts.percentile(lags, 99), 2),
        "lag_max_ms": round(max(lags), 2) if lags else 0.0,
        "other_load_cores": round(other, 2) if other is not None else None,
    }


def _worker_main(spec_json: str) -> int:
    spec = Spec(**json.loads(spec_json))
    task_ids = json.loads(Path(spec.task_ids_file).read_text())
    from airflow.providers.common.compat.sdk import BaseHook

    BaseHook.get_connection(ts.CONN_ID)  # a triggerer has set its connection machinery up long before
    print(json.dumps(asyncio.run(measure_side(spec, task_ids))), flush=True)
    return 0


async def _create_tasks(url: str, count: int, concurrency: int = 32) -> list[str]:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook, clear_connection_cache

    os.environ["AIRFLOW_CONN_HAILUO_DEFAULT"] = ts.connection_env(url)
    clear_connection_cache()
    hook = HailuoHook(hailuo_conn_id=ts.CONN_ID)
    hook.settings  # noqa: B018 - looked up once, before the threads share the hook
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with gate:
            return await asyncio.to_thread(hook.create_video_generation, prompt=f"batch benchmark {i}", **H3)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def _run_side(spec: Spec) -> dict[str, Any]:
    env = dict(os.environ)
    env["AIRFLOW_CONN_HAILUO_DEFAULT"] = ts.connection_env(spec.sandbox_url)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ts.REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    timeout = spec.poll_interval * 2 + spec.window_seconds + 180
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.batch_polling", "--worker", json.dumps(asdict(spec))],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
            cwd=str(ts.REPO_ROOT),
            start_new_session=True,
            preexec_fn=ts._CHILD_SETUP,
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
        except BaseException:
            ts._kill_group(proc)
            raise
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"batch polling worker {spec.side} failed:\n{err.read()[-3000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return dict(json.loads(lines[-1]))


def run_batch_polling(config: BatchPollingConfig | None = None) -> dict[str, Any]:
    """Both sides against one sandbox with the same N tasks in flight; the report with ratios and targets."""
    config = config or BatchPollingConfig()
    saved = {k: os.environ.get(k) for k in SANDBOX_ENV}
    os.environ.update(SANDBOX_ENV)
    try:
        with ts.sandbox_process() as (url, pid), tempfile.TemporaryDirectory() as tmp:
            task_file = Path(tmp) / "tasks.json"
            task_file.write_text(json.dumps(asyncio.run(_create_tasks(url, config.n))))
            results = [
                _run_side(
                    Spec(
                        side, config.n, config.poll_interval, config.window_seconds, url, pid, str(task_file)
                    )
                )
                for side in config.sides
            ]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return build_report(config, results)


def build_report(config: BatchPollingConfig, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows with each side's requests against the baseline's (same run), and the targets."""
    by_side = {row["side"]: row for row in results}
    base = by_side.get(BASELINE)
    for row in results:
        known = base is not None and base["requests"] > 0
        row["x_per_video_requests"] = round(row["requests"] / base["requests"], 4) if known else None  # type: ignore[index]
    return {
        "config": asdict(config),
        "machine": machine_info(),
        "results": results,
        "targets": _targets(by_side.get("batch")),
    }


def _targets(row: dict[str, Any] | None) -> list[dict[str, Any]]:
    if row is None:
        return []
    checks = (
        (
            f"< {TARGET_REQUESTS_PER_VIDEO_INTERVAL} requests / video / interval",
            row["requests_per_video_per_interval"],
            row["requests_per_video_per_interval"] < TARGET_REQUESTS_PER_VIDEO_INTERVAL,
        ),
        (
            f"p99 loop lag < {TARGET_LAG_P99_MS:.0f} ms",
            row["lag_p99_ms"],
            row["lag_p99_ms"] < TARGET_LAG_P99_MS,
        ),
    )
    return [
        {"target": f"batch, N={row['n']}: {name}", "value": value, "verdict": "PASS" if ok else "FAIL"}
        for name, value, ok in checks
    ]


TABLE_HEADERS = (
    "side",
    "N",
    "interval s",
    "requests",
    "req/video/interval",
    "x per-video",
    "req/min",
    "polls answered/expected",
    "lag p99 ms",
    "lag max ms",
    "CPU s",
    "other load",
)


def format_report(report: dict[str, Any]) -> str:
    rows = [
        [
            r["side"],
            r["n"],
            r["poll_interval_s"],
            f"{r['requests']} ({r['lists']} lists, {r['queries']} queries)",
            r["requests_per_video_per_interval"],
            r["x_per_video_requests"],
            r["requests_per_minute"],
            f"{r['polls_answered']}/{r['expected_polls']}",
            r["lag_p99_ms"],
            r["lag_max_ms"],
            r["cpu_s"],
            r["other_load_cores"],
        ]
        for r in report["results"]
    ]
    window = report["config"]["window_seconds"]
    text = [
        describe_machine(report["machine"]),
        format_table(
            TABLE_HEADERS, rows, title=f"MiniMax-H3 status polling, one loop, {window:.0f} s window"
        ),
    ]
    text += [f"{t['verdict']:4}  {t['target']} (measured {t['value']})" for t in report["targets"]]
    return "\n".join(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.batch_polling", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=BatchPollingConfig.n, help="videos in flight (default 1000)")
    parser.add_argument(
        "--interval", type=float, default=BatchPollingConfig.poll_interval, help="poll interval, s"
    )
    parser.add_argument("--window", type=float, default=BatchPollingConfig.window_seconds, help="window, s")
    parser.add_argument("--json", help="also write the report as JSON here")
    args = parser.parse_args(argv)
    if args.worker:
        return _worker_main(args.worker)
    report = run_batch_polling(BatchPollingConfig(args.n, args.interval, args.window))
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
