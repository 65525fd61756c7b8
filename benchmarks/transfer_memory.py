"""Memory and throughput of moving a Hailuo video into S3, three ways.

Why: a worker that holds a whole video in memory (the seed's ``requests.get(url).content`` then one
``put_object``) needs RAM proportional to the video, and boto3's defaults keep up to 10 parts of a
non-seekable stream in memory. This script measures what the transfer *process* really uses, so the
``TransferConfig`` defaults of ``HailuoToS3Operator`` are chosen on evidence.

Setup: a sandbox server (this process) serves generated videos of each size; a moto S3 server runs in
its own process (it keeps objects in memory, so its RSS must not pollute the figures). Each
measurement runs in a fresh child process, which resets its peak-RSS counter (``/proc/self/clear_refs``)
once imports, hooks and clients are ready and reports ``VmHWM`` minus that baseline at the end; the
parent also samples the child's ``VmRSS`` every 20 ms as a cross-check.

Modes:
  ours          transfer_hailuo_file_to_s3 (the operator's core) with the operator's defaults
  ours-untuned  the same code with boto3's default concurrency/buffering (10 threads, 10 parts)
  ours-no-tags  ours for a role without s3:PutObjectTagging: the sha256 goes into metadata by a
                server-side copy (the operator's fallback, and its only way before tags were used)
  seed          requests.get(url).content, then one put_object
  upload_file   boto3 upload_file of the same bytes from a local file (throughput baseline)

With ``--repeat R`` every size runs all modes R times, interleaved (the order rotates each round);
the summary shows medians, and "x upload_file" is the median of the same-round throughput ratios.

Usage::

    python benchmarks/transfer_memory.py                      # 64M, 512M, 2G; all modes
    python benchmarks/transfer_memory.py --sizes 64M,512M --modes ours,seed --repeat 3

Prints a table, then one JSON document on stdout (the table goes to stderr with ``--json-only``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MiB = 1 << 20
API_KEY = "sandbox-key"
BUCKET = "hailuo-bench"
MODES = ("ours", "ours-untuned", "ours-no-tags", "seed", "upload_file")
DEFAULT_MODES = MODES
BASELINE = "upload_file"
BOTO3_DEFAULT_TRANSFER = {"max_concurrency": 10, "max_in_memory_upload_chunks": 10}


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, re.IGNORECASE)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    return int(match.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[match.group(2).upper()]


def _proc_status_kb(pid: int | str, field: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


# -- child: one measured transfer ------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    """Run one transfer and print its measurements as JSON (the last line of stdout)."""
    import boto3
    import requests
    from boto3.s3.transfer import TransferConfig

    from airflow_provider_hailuo.hooks.hailuo import HailuoConnectionSettings, HailuoHook
    from airflow_provider_hailuo.transfers.hailuo_to_s3 import make_s3_hook, transfer_hailuo_file_to_s3

    hook = HailuoHook(settings=HailuoConnectionSettings(API_KEY, args.sandbox_url, None, 60.0))
    work: Any
    if args.child in ("ours", "ours-untuned", "ours-no-tags"):
        overrides = (
            BOTO3_DEFAULT_TRANSFER if args.child == "ours-untuned" else json.loads(args.transfer_config)
        )
        s3_hook = make_s3_hook("aws_default", overrides)
        s3_hook.get_conn()
        if args.child == "ours-no-tags":
            _refuse_tagging()

        def work() -> dict[str, Any]:
            result = transfer_hailuo_file_to_s3(
                hailuo_hook=hook,
                s3_hook=s3_hook,
                file_id=args.file_id,
                bucket=BUCKET,
                key=args.key,
                extra_args={"ContentType": "video/mp4"},
                progress_interval=3600,
            )
            return {"bytes": result.bytes, "sha256": result.sha256}

    else:
        client = boto3.client(
            "s3",
            endpoint_url=args.s3_endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        client.list_buckets()
        if args.child == "seed":

            def work() -> dict[str, Any]:
                url = hook.retrieve_file(args.file_id).download_url
                content = requests.get(url, timeout=600).content
                client.put_object(Bucket=BUCKET, Key=args.key, Body=content, ContentType="video/mp4")
                return {"bytes": len(content)}

        else:

            def work() -> dict[str, Any]:
                client.upload_file(args.path, BUCKET, args.key, Config=TransferConfig())
                return {"bytes": os.path.getsize(args.path)}

    gc.collect()
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    baseline = _proc_status_kb("self", "VmRSS") or 0
    print("READY", flush=True)
    started = time.perf_counter()
    outcome = work()
    seconds = time.perf_counter() - started
    peak = _proc_status_kb("self", "VmHWM") or 0
    print(json.dumps({"baseline_kb": baseline, "peak_kb": peak, "seconds": seconds, **outcome}), flush=True)


def _refuse_tagging() -> None:
    """Answer tagging calls as S3 does for a role without the permission, so the copy fallback runs."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call

    def refuse(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name in ("PutObjectTagging", "GetObjectTagging"):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "benchmark"}}, operation_name)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = refuse  # type: ignore[method-assign]


# -- parent: servers, videos, children ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_process() -> Iterator[str]:
    """moto in its own process: it stores every object in memory, which must not count as ours."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


def run_child(mode: str, env: dict[str, str], **params: str) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", mode]
    for name, value in params.items():
        cmd += [f"--{name.replace('_', '-')}", value]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    if ready.strip() != "READY":
        out, err = proc.communicate()
        raise RuntimeError(f"child {mode} failed to start: {ready}{out}\n{err[-3000:]}")
    sampled = 0
    while proc.poll() is None:
        rss = _proc_status_kb(proc.pid, "VmRSS")
        if rss:
            sampled = max(sampled, rss)
        time.sleep(0.02)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"child {mode} failed ({proc.returncode}):\n{err[-3000:]}")
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    data["sampled_peak_kb"] = sampled
    return data


def measure(
    sizes: list[int], modes: list[str], workdir: str, transfer_config: str, repeat: int = 1
) -> list[dict[str, Any]]:
    from airflow_provider_hailuo.hooks.hailuo import HailuoConnectionSettings, HailuoHook
    from airflow_provider_hailuo.sandbox import SandboxConfig, SandboxServer

    rows: list[dict[str, Any]] = []
    config = SandboxConfig(preparing_seconds=0, queueing_seconds=0, processing_seconds=0)
    with moto_process() as s3_endpoint, SandboxServer(config) as sandbox:
        s3 = _s3_client(s3_endpoint)
        s3.create_bucket(Bucket=BUCKET)
        hook = HailuoHook(settings=HailuoConnectionSettings(API_KEY, sandbox.url, None, 60.0))
        env = {
            **os.environ,
            "AIRFLOW_HOME": workdir,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                {
                    "conn_type": "aws",
                    "login": "testing",
                    "password": "testing",
                    "extra": {"endpoint_url": s3_endpoint, "region_name": "us-east-1"},
                }
            ),
        }
        for size in sizes:
            sandbox.config.video_bytes = size
            task_id = hook.create_video_generation_from_payload(
                {"model": "MiniMax-Hailuo-02", "prompt": "bench"}
            )
            status = hook.wait_for_video_generation(task_id, poll_interval=0.05, timeout=60)
            file_id = str(status.file_id)
            expected_sha = sandbox_sha256(sandbox.url, file_id)
            path = os.path.join(workdir, f"video-{file_id}.mp4")
            if "upload_file" in modes:
                hook.download_file(file_id, path)
            for round_no, mode in _schedule(modes, repeat):
                key = f"bench/{mode}/{round_no}/{file_id}.mp4"
                print(
                    f"  {mode:<13} {size / MiB:>6.0f} MiB (round {round_no}) ...", file=sys.stderr, flush=True
                )
                data = run_child(
                    mode,
                    env,
                    sandbox_url=sandbox.url,
                    s3_endpoint=s3_endpoint,
                    file_id=file_id,
                    key=key,
                    path=path,
                    transfer_config=transfer_config,
                )
                head = s3.head_object(Bucket=BUCKET, Key=key)
                stored_ok = int(head["ContentLength"]) == size
                if "sha256" in data:
                    stored_ok = stored_ok and data["sha256"] == expected_sha
                s3.delete_object(Bucket=BUCKET, Key=key)  # free moto's memory before the next run
                rows.append(
                    {
                        "mode": mode,
                        "round": round_no,
                        "size_mib": round(size / MiB),
                        "seconds": round(data["seconds"], 2),
                        "throughput_mib_s": round(size / MiB / data["seconds"], 1),
                        "peak_growth_mib": round((data["peak_kb"] - data["baseline_kb"]) / 1024, 1),
                        "sampled_growth_mib": round(
                            (data["sampled_peak_kb"] - data["baseline_kb"]) / 1024, 1
                        ),
                        "baseline_rss_mib": round(data["baseline_kb"] / 1024, 1),
                        "verified": stored_ok,
                    }
                )
            with contextlib.suppress(OSError):
                os.unlink(path)
    return rows


def _schedule(modes: list[str], repeat: int) -> list[tuple[int, str]]:
    """Every mode once per round; the order rotates so no mode always runs first (or last)."""
    order: list[tuple[int, str]] = []
    for round_no in range(1, max(1, repeat) + 1):
        shift = (round_no - 1) % len(modes)
        order += [(round_no, mode) for mode in modes[shift:] + modes[:shift]]
    return order


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Medians per (mode, size) and the median same-round throughput ratio to ``upload_file``."""
    baseline = {(r["size_mib"], r["round"]): r["throughput_mib_s"] for r in rows if r["mode"] == BASELINE}
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["mode"], row["size_mib"]), []).append(row)
    summary = []
    for (mode, size), members in groups.items():
        ratios = [
            r["throughput_mib_s"] / baseline[(size, r["round"])]
            for r in members
            if baseline.get((size, r["round"]))
        ]
        throughputs = [r["throughput_mib_s"] for r in members]
        summary.append(
            {
                "mode": mode,
                "size_mib": size,
                "rounds": len(members),
                "throughput_mib_s": round(_median(throughputs), 1),
                "throughput_range": f"{min(throughputs):.0f}-{max(throughputs):.0f}",
                "x_upload_file": round(_median(ratios), 2) if ratios else None,
                "peak_growth_mib": round(_median([r["peak_growth_mib"] for r in members]), 1),
                "verified": all(r["verified"] for r in members),
            }
        )
    return summary


def sandbox_sha256(base_url: str, file_id: str) -> str:
    import requests

    answer = requests.get(f"{base_url}/sandbox/files/{file_id}/sha256", timeout=600)
    answer.raise_for_status()
    return str(answer.json()["sha256"])


def _shared_helpers() -> Any:
    """``benchmarks.common`` whether run as a script or with ``python -m benchmarks.transfer_memory``."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    import benchmarks.common as common

    return common


def table(summary: list[dict[str, Any]]) -> str:
    headers = [
        "mode",
        "size MiB",
        "rounds",
        "MiB/s (median)",
        "MiB/s range",
        "x upload_file",
        "peak growth MiB",
        "verified",
    ]
    keys = [
        "mode",
        "size_mib",
        "rounds",
        "throughput_mib_s",
        "throughput_range",
        "x_upload_file",
        "peak_growth_mib",
        "verified",
    ]
    title = (
        "Throughput, its same-round ratio to upload_file (medians), and peak RSS growth of the "
        "transferring process above its ready state (VmHWM)"
    )
    cells = [[r[k] if r[k] is not None else "-" for k in keys] for r in summary]
    return str(_shared_helpers().format_table(headers, cells, title=title))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="64M,512M,2G", help="comma-separated video sizes (K, M, G)")
    parser.add_argument(
        "--modes", default=",".join(DEFAULT_MODES), help=f"comma-separated subset of {', '.join(MODES)}"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds per size, interleaved; medians reported"
    )
    parser.add_argument("--quick", action="store_true", help="one 8 MiB video, ours and the seed's way")
    parser.add_argument(
        "--transfer-config",
        default="{}",
        help='JSON overrides of the operator\'s transfer_config_args for mode "ours", to try other settings',
    )
    parser.add_argument("--json", metavar="PATH", help="also write the JSON report to this file")
    parser.add_argument("--json-only", action="store_true", help="table to stderr, JSON alone on stdout")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    for name in ("sandbox-url", "s3-endpoint", "file-id", "key", "path"):  # child only
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.quick:
        args.sizes, args.modes = "8M", "ours,seed"
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    workdir = tempfile.mkdtemp(prefix="hailuo-bench-")
    # A throw-away Airflow home: Airflow writes its config there on import.
    os.environ["AIRFLOW_HOME"] = workdir
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    common = _shared_helpers()
    machine = common.machine_info()
    try:
        rows = measure(sizes, modes, workdir, args.transfer_config, args.repeat)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    from airflow_provider_hailuo.transfers.hailuo_to_s3 import DEFAULT_TRANSFER_CONFIG_ARGS

    out = sys.stderr if args.json_only else sys.stdout
    summary = summarise(rows)
    print(common.describe_machine(machine), file=out)
    print(table(summary), file=out, flush=True)
    report = {
        "benchmark": "transfer_memory",
        "machine": machine,
        "operator_transfer_config": DEFAULT_TRANSFER_CONFIG_ARGS,
        "transfer_config_overrides": json.loads(args.transfer_config),
        "repeat": args.repeat,
        "summary": summary,
        # ours-no-tags has the same memory as ours (it differs by one server-side copy): not plotted.
        "series": {
            mode: [(r["size_mib"] * MiB, r["peak_growth_mib"] * MiB) for r in summary if r["mode"] == mode]
            for mode in modes
            if mode != "ours-no-tags"
        },
        "results": rows,
    }
    text = json.dumps(report, indent=2)
    if args.json:
        Path(args.json).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
