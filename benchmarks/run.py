"""The one entry point for the performance figures in docs/performance.md.

    python -m benchmarks.run [--quick] [--only triggerer|transfer|worker] [--repeat R]
                             [--json out.json] [--plots docs/img]

Sections, each printed as its own table:

* ``triggerer``: N concurrent video-wait triggers on one event loop (benchmarks/triggerer_scale.py).
* ``transfer``: memory of the Hailuo-to-S3 transfer vs video size (benchmarks/transfer_memory.py,
  maintained separately; reported as "not available" while that module is absent).
* ``worker``: worker-slot time of deferrable vs non-deferrable runs, read from
  ``benchmarks/results/worker_time.json``, which the system tests write.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# triggerer_scale points AIRFLOW_HOME at a temporary folder when imported, before anything loads Airflow.
import benchmarks.triggerer_scale as triggerer_scale
from benchmarks.common import describe_machine, format_mapping_rows, format_table, machine_info

SECTIONS = ("triggerer", "transfer", "worker")
BENCH_DIR = Path(__file__).resolve().parent
WORKER_TIME_RESULTS = BENCH_DIR / "results" / "worker_time.json"
TRANSFER_MODULE = "benchmarks.transfer_memory"
CPU_PLOT = "triggerer_cpu_per_1000_polls.png"
TRANSFER_PLOT = "transfer_memory_vs_video_size.png"
QUICK_TRANSFER_SIZES = "8M"
QUICK_TRANSFER_MODES = "ours,seed"
MiB = 1 << 20


def _heading(title: str) -> None:
    print()
    print("=" * 100)
    print(title)
    print("=" * 100, flush=True)


# -- triggerer --------------------------------------------------------------------------------------


def run_triggerer(quick: bool, plots: str | None, repeat: int = 1) -> dict[str, Any]:
    config = (
        triggerer_scale.TriggererScaleConfig.quick() if quick else triggerer_scale.TriggererScaleConfig.full()
    )
    config = dataclasses.replace(config, repeat=max(1, repeat))
    report = triggerer_scale.run_triggerer_scale(config, progress=lambda m: print(m, flush=True))
    print()
    print(triggerer_scale.format_report(report))
    if plots:
        from benchmarks.plotting import plot_cpu_per_polls

        path = plot_cpu_per_polls(
            report["results"], os.path.join(plots, CPU_PLOT), labels=triggerer_scale.SHORT_LABELS
        )
        print(f"plot: {path}" if path else "plot skipped: matplotlib is not installed")
        report["plots"] = [path] if path else []
    return report


# -- transfer ---------------------------------------------------------------------------------------


def _transfer_series(report: Mapping[str, Any]) -> dict[str, list[tuple[float, float]]]:
    """``{mode: [(video_bytes, peak_bytes), ...]}`` from the transfer report, for the memory plot."""
    series = report.get("series")
    if isinstance(series, Mapping):
        return {str(k): [(float(x), float(y)) for x, y in v] for k, v in series.items()}
    out: dict[str, list[tuple[float, float]]] = {}
    for row in report.get("results") or report.get("rows") or []:
        if not isinstance(row, Mapping):
            continue
        size = row.get("size_bytes", (row.get("size_mib") or 0) * MiB)
        peak = row.get("peak_growth_bytes", (row.get("peak_growth_mib") or 0) * MiB)
        if size and peak:
            out.setdefault(str(row.get("mode", "transfer")), []).append((float(size), float(peak)))
    return out


def run_transfer(quick: bool, plots: str | None, repeat: int = 1) -> dict[str, Any]:
    """Run benchmarks/transfer_memory.py (maintained separately) as a subprocess, if it exists.

    It prints its own table; its JSON report (``--json PATH``) is kept for ``--json`` and the plot.
    ``--quick`` is passed on if the script accepts it, else quick mode asks for small ``--sizes``.
    """
    script = BENCH_DIR / "transfer_memory.py"
    if not script.is_file():
        print("transfer memory benchmark: not available (benchmarks/transfer_memory.py is not present)")
        return {"status": "not available"}
    base = [sys.executable, "-m", TRANSFER_MODULE]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BENCH_DIR.parent), env.get("PYTHONPATH", "")) if p)
    usage = subprocess.run(
        [*base, "--help"], capture_output=True, text=True, env=env, cwd=BENCH_DIR.parent, timeout=120
    ).stdout
    with tempfile.TemporaryDirectory(prefix="hailuo-bench-transfer-") as tmp:
        out_json = os.path.join(tmp, "transfer.json")
        cmd = [*base]
        if "--json-only" in usage:
            cmd.append("--json-only")  # table on stderr (shown), JSON alone on stdout (kept)
        if "--json" in usage:
            cmd += ["--json", out_json]
        if repeat > 1 and "--repeat" in usage:
            cmd += ["--repeat", str(repeat)]
        if quick:
            if "--quick" in usage:
                cmd.append("--quick")
            else:
                if "--sizes" in usage:
                    cmd += ["--sizes", QUICK_TRANSFER_SIZES]
                if "--modes" in usage:
                    cmd += ["--modes", QUICK_TRANSFER_MODES]
        print(f"$ {' '.join(cmd[2:])}", flush=True)
        proc = subprocess.run(
            cmd,
            stdout=subprocess.PIPE if "--json-only" in usage else None,
            text=True,
            env=env,
            cwd=BENCH_DIR.parent,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"benchmarks/transfer_memory.py exited with {proc.returncode}")
        report: dict[str, Any] = {"status": "ok", "command": " ".join(cmd[2:])}
        if os.path.isfile(out_json):
            report.update(json.loads(Path(out_json).read_text()))
        elif proc.stdout:
            with contextlib.suppress(ValueError):
                report.update(json.loads(proc.stdout))
    series = _transfer_series(report)
    if plots and series:
        from benchmarks.plotting import plot_memory_vs_video_size

        path = plot_memory_vs_video_size(
            series,
            os.path.join(plots, TRANSFER_PLOT),
            title="Transfer to S3: peak RSS growth vs video size",
            ylabel="peak RSS growth (MiB)",
        )
        print(f"plot: {path}" if path else "plot skipped: matplotlib is not installed")
        report["plots"] = [path] if path else []
    return report


# -- worker time ------------------------------------------------------------------------------------


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(BENCH_DIR.parent))
    except ValueError:
        return str(path)


def run_worker_time(path: Path = WORKER_TIME_RESULTS) -> dict[str, Any]:
    if not path.is_file():
        print(f"worker-time results not found at {_display(path)}.")
        print(
            "They are written by the system test that runs a real Airflow (scheduler, triggerer, "
            "api-server):\n"
            "    HAILUO_SYSTEM_GENERATION_SECONDS=60 pytest -q -m system tests/system "
            "-k test_deferrable_holds_no_worker_slot\n"
            "(the variable asks for the file to be written); then: python -m benchmarks.run --only worker"
        )
        return {"status": "not available", "path": str(path)}
    data = json.loads(path.read_text())
    rows = data.get("rows") if isinstance(data, Mapping) else data
    if isinstance(rows, list) and rows and all(isinstance(r, Mapping) for r in rows):
        print(format_mapping_rows(rows, title=f"Worker-slot time (from {path.name})"))
    elif isinstance(data, Mapping):
        flat = [[k, json.dumps(v) if isinstance(v, (dict, list)) else v] for k, v in data.items()]
        print(format_table(("field", "value"), flat, title=f"Worker-slot time (from {path.name})"))
    else:
        print(json.dumps(data, indent=2))
    if isinstance(data, Mapping):
        for note in data.get("notes", []) or []:
            print(f"  {note}")
    return {"status": "ok", "path": str(path), "data": data}


# -- command line -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke-sized runs (triggerer: N = 50, 200)")
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run only this section (repeatable); default: all three",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="triggerer and transfer: rounds per configuration, interleaved; medians reported",
    )
    parser.add_argument("--json", help="write every section's results to this JSON file")
    parser.add_argument("--plots", help="write PNG plots into this folder (needs matplotlib), e.g. docs/img")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sections = [s for s in SECTIONS if not args.only or s in args.only]
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    info = machine_info()
    print(f"command: {command.strip()}")
    print(f"machine: {describe_machine(info)}", flush=True)
    report: dict[str, Any] = {
        "command": command.strip(),
        "machine": info,
        "quick": args.quick,
        "sections": {},
    }
    failed = False
    started = time.perf_counter()
    runners = {
        "triggerer": ("Triggerer scale", lambda: run_triggerer(args.quick, args.plots, args.repeat)),
        "transfer": ("Transfer memory", lambda: run_transfer(args.quick, args.plots, args.repeat)),
        "worker": ("Worker-slot time", run_worker_time),
    }
    for section in sections:
        title, runner = runners[section]
        _heading(title)
        try:
            report["sections"][section] = runner()
        except Exception as err:
            failed = True
            traceback.print_exc()
            print(f"{section} section FAILED: {err}")
            report["sections"][section] = {"status": "failed", "error": repr(err)}
    report["duration_s"] = round(time.perf_counter() - started, 1)
    print(f"\ntotal {report['duration_s']}s")
    if args.json:
        folder = os.path.dirname(args.json)
        if folder:
            os.makedirs(folder, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))
        print(f"results: {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
