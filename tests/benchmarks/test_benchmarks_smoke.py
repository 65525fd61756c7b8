"""Smoke test of the benchmark harness: the smallest triggerer run produces every table field.

No timing assertions: the figures depend on the machine; only the shape of the report is checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import run as bench_run
from benchmarks import triggerer_scale


@pytest.mark.timeout(240)
def test_triggerer_benchmark_smallest_configuration() -> None:
    config = triggerer_scale.TriggererScaleConfig.smoke()
    report = triggerer_scale.run_triggerer_scale(config)

    results = report["results"]
    assert {(row["impl"], row["n"]) for row in results} == {
        (impl, n) for impl in config.implementations for n in config.trigger_counts
    }
    for row in results:
        missing = [name for name in triggerer_scale.RESULT_FIELDS if name not in row]
        assert not missing, f"{row['impl']}: missing {missing}"
        assert row["polls"] > 0
        assert row["cpu_s_per_1000_polls"] is not None
        assert row["tracemalloc_peak_kb_per_trigger"] is not None
    # Every side's CPU per poll is also given against the bare loop of the same round (the practical limit).
    bare = next(row for row in results if row["impl"] == triggerer_scale.REFERENCE)
    for row in results:  # a loaded machine can leave the bare side a round with no measurable CPU
        assert (
            row["x_bare"] is not None or not bare["cpu_s_per_1000_polls"] or not row["cpu_s_per_1000_polls"]
        ), row
    assert bare["x_bare"] == 1.0 or not bare["cpu_s_per_1000_polls"]
    verdicts = {target["verdict"] for target in report["targets"]}
    assert verdicts <= {"PASS", "FAIL", "n/a"}
    targets = [target["target"] for target in report["targets"]]
    assert len(targets) == 4 * len(config.trigger_counts)
    assert any("x the bare loop" in target for target in targets)

    text = triggerer_scale.format_report(report)
    for header in triggerer_scale.TABLE_HEADERS:
        assert header in text
    json.dumps(report)  # the --json output must be serialisable


def test_worker_time_section_reads_results_or_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = bench_run.run_worker_time(tmp_path / "absent.json")
    assert missing["status"] == "not available"
    assert "-m system" in capsys.readouterr().out

    results = tmp_path / "worker_time.json"
    results.write_text(json.dumps({"rows": [{"mode": "deferrable", "worker_slot_s": 1.5}]}))
    found = bench_run.run_worker_time(results)
    assert found["status"] == "ok"
    assert "deferrable" in capsys.readouterr().out


@pytest.mark.timeout(120)
async def test_batch_polling_benchmark_both_sides_in_one_run(sandbox: Any) -> None:
    """Both sides of benchmarks/batch_polling.py in this process, 10 H3 videos, 1 s window each."""
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook
    from benchmarks import batch_polling

    sandbox.config.processing_seconds = 600  # in flight for the whole run
    hook = HailuoHook()
    ids = [hook.create_video_generation(prompt=f"smoke {i}", **batch_polling.H3) for i in range(10)]
    config = batch_polling.BatchPollingConfig(n=10, poll_interval=0.5, window_seconds=1.0)
    rows = [
        await batch_polling.measure_side(batch_polling.Spec(side, 10, 0.5, 1.0, sandbox.url, None, ""), ids)
        for side in config.sides
    ]
    report = batch_polling.build_report(config, rows)

    by_side = {row["side"]: row for row in report["results"]}
    for row in report["results"]:
        missing = [name for name in batch_polling.RESULT_FIELDS if name not in row]
        assert not missing, f"{row['side']}: missing {missing}"
        assert row["polls_answered"] > 0 and row["ended_early"] == 0
    assert by_side["batch"]["lists"] > 0 and by_side["batch"]["queries"] == 0
    assert by_side["per-video"]["lists"] == 0 and by_side["per-video"]["x_per_video_requests"] == 1.0
    assert by_side["batch"]["x_per_video_requests"] is not None
    assert {target["verdict"] for target in report["targets"]} <= {"PASS", "FAIL"}
    assert len(report["targets"]) == 2
    text = batch_polling.format_report(report)
    for header in batch_polling.TABLE_HEADERS:
        assert header in text
    json.dumps(report)
