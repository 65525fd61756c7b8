"""A create refused for capacity waits for room and submits, instead of failing (sandbox, dag.test())."""

from __future__ import annotations

import time
from typing import Any

import pytest

from airflow_provider_hailuo.exceptions import HailuoCapacityTimeoutError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.triggers import capacity as capacity_trigger
from tests.conftest import load_dag_file
from tests.helpers import context, fill_in_flight, freed_once_refused, once_counted, op, with_capacity_extra

DAG_FILE = "tests/dags/capacity_dags.py"


@pytest.fixture
def conn(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The default connection with a short look interval, so waits in tests take fractions of a second."""
    with_capacity_extra(
        sandbox, monkeypatch, capacity_check_interval=0.05, max_in_flight=2, requests_per_minute=6000
    )
    return sandbox


@pytest.fixture
def gate_waits(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every wait that went through the triggerer's capacity gate, and whether it ended with room."""
    seen: list[bool] = []
    original = capacity_trigger.CapacityGate.wait

    async def spy(self: Any, **kwargs: Any) -> bool:
        room: bool = await original(self, **kwargs)
        seen.append(room)
        return room

    monkeypatch.setattr(capacity_trigger.CapacityGate, "wait", spy)
    return seen


def _v2(sandbox: Any) -> dict[str, Any]:
    return sandbox.stats()["v2"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("suffix", ["deferrable", "sync"])
def test_dag_refused_at_the_in_flight_cap_waits_then_submits_once(
    conn: Any, airflow_db: None, gate_waits: list[bool], suffix: str
) -> None:
    conn.config.v2_in_flight_cap = 2
    fillers = fill_in_flight(conn, 2)
    with freed_once_refused(conn, fillers):
        dag_run = load_dag_file(DAG_FILE, f"hailuo_capacity_{suffix}").test()  # type: ignore[attr-defined]
    assert dag_run.state == "success"
    v2 = _v2(conn)
    assert v2["in_flight_refusals"] >= 1  # it was refused at least once...
    assert v2["creates"] == 3 and v2["duplicate_creates"] == 0  # ...and paid for once
    assert v2["max_in_flight"] <= 2
    assert v2["lists"] >= 2  # it looked at the videos in flight, instead of the hook sleeping on retries
    # Deferrable: the wait ran in the triggerer's gate; otherwise in the worker, by the same policy.
    assert gate_waits == ([True] * len(gate_waits) if suffix == "deferrable" else [])
    assert (len(gate_waits) >= 1) is (suffix == "deferrable")


def test_dag_refused_by_the_rate_limit_waits_then_submits(
    conn: Any, airflow_db: None, gate_waits: list[bool]
) -> None:
    conn.config.v2_rate_limit_rpm = 2
    conn.config.v2_rate_limit_window_seconds = 600.0
    conn.config.v2_rate_limit_creates_only = True
    fill_in_flight(conn, 2, queued_seconds=0.0)  # they use up the rate, not the slots

    def next_minute() -> None:  # the window moves on: the two fillers no longer count
        conn.config.v2_rate_limit_window_seconds = 0.01

    with once_counted(conn, "rate_limited", next_minute):
        dag_run = load_dag_file(DAG_FILE, "hailuo_capacity_deferrable").test()  # type: ignore[attr-defined]
    assert dag_run.state == "success"
    v2 = _v2(conn)
    assert v2["rate_limited"] >= 1 and v2["errors_by_code"].get("1002", 0) >= 1
    assert v2["creates"] == 3 and v2["duplicate_creates"] == 0
    assert gate_waits and all(gate_waits)


def test_v1_rate_limit_refusal_waits_in_the_worker_then_submits(conn: Any) -> None:
    """v1 has no task list: the wait only spaces the tries, then the create goes through once."""
    conn.config.rate_limit_rpm = 1
    HailuoHook().create_video_generation(model="MiniMax-Hailuo-02", prompt="fills the minute")

    def next_minute() -> None:
        conn.config.rate_limit_rpm = None

    with once_counted(conn, "rpm_limit", next_minute, api="v1"):
        result = op(model="MiniMax-Hailuo-02", capacity_timeout=30).execute(context())
    stats = conn.stats()
    assert stats["injected_faults"]["rpm_limit"] >= 1 and stats["creates"] == 2
    assert result["status"] == "Success" and stats["v2"]["lists"] == 0


def test_dag_capacity_timeout_fails_and_creates_nothing(conn: Any, airflow_db: None) -> None:
    conn.config.v2_in_flight_cap = 2
    fill_in_flight(conn, 2)
    started = time.monotonic()
    dag_run = load_dag_file(DAG_FILE, "hailuo_capacity_timeout").test()  # type: ignore[attr-defined]
    assert dag_run.state == "failed"
    assert time.monotonic() - started < 60  # capacity_timeout=0.5 ended it, not a retry or the 6 h default
    v2 = _v2(conn)
    assert v2["in_flight_refusals"] >= 1 and v2["creates"] == 2  # only the fillers


def test_capacity_timeout_message_says_nothing_was_created(conn: Any) -> None:
    conn.config.v2_in_flight_cap = 2
    conn.config.v2_in_flight_cap_code = 1041  # the other candidate answer (contract Q7)
    fill_in_flight(conn, 2)
    generate = op(model="MiniMax-H3", resolution="768P", duration=4, capacity_timeout=0.3)
    with pytest.raises(HailuoCapacityTimeoutError, match="Nothing was created: a retry") as caught:
        generate.execute(context())
    assert "capacity_timeout=0.3" in str(caught.value)
    assert _v2(conn)["errors_by_code"].get("1041", 0) >= 1 and _v2(conn)["creates"] == 2
    resumed = op(model="MiniMax-H3", resolution="768P", duration=4, capacity_timeout=0.3)
    with pytest.raises(HailuoCapacityTimeoutError, match="Nothing was created"):
        resumed.execute_after_capacity(
            context(), event={"status": "timeout"}, capacity_since=time.time() - 1, capacity_refusals=3
        )
    assert _v2(conn)["creates"] == 2


def test_dag_ambiguous_create_is_not_a_capacity_refusal(
    conn: Any, airflow_db: None, gate_waits: list[bool]
) -> None:
    """A 502 after the task was made: adopted from the task list, never waited for and sent again."""
    conn.config.v2_create_502_after_commit_rate = 1.0
    dag_run = load_dag_file(DAG_FILE, "hailuo_capacity_deferrable").test()  # type: ignore[attr-defined]
    assert dag_run.state == "success"
    v2 = _v2(conn)
    assert (v2["create_calls"], v2["creates"]) == (1, 1)
    assert gate_waits == []


def test_bad_capacity_extra_names_the_field(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_hailuo.exceptions import HailuoConfigurationError

    with_capacity_extra(sandbox, monkeypatch, max_in_flight=0)
    with pytest.raises(HailuoConfigurationError, match="max_in_flight must be positive"):
        HailuoHook().settings  # noqa: B018
    with pytest.raises(ValueError, match="capacity_timeout: must be positive"):
        op(capacity_timeout=0)
