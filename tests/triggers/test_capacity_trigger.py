"""The capacity trigger: plain kwargs, and one shared gate that lets go only as many waits as there is room."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from airflow_provider_hailuo.hooks.hailuo import HailuoHook, close_shared_client_session
from airflow_provider_hailuo.triggers.capacity import HailuoCapacityTrigger, capacity_gate
from tests.helpers import with_capacity_extra


@pytest.fixture
def limits(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    with_capacity_extra(
        sandbox, monkeypatch, max_in_flight=3, requests_per_minute=300, capacity_check_interval=0.05
    )
    # The first async connection lookup of a process is slow on older Airflow (seconds on 3.0 here): done
    # before the test, so the deadlines below measure the gate, not that lookup.
    asyncio.run(HailuoHook().aget_settings())
    return sandbox


def test_serialization_round_trip_holds_only_plain_values() -> None:
    trigger = HailuoCapacityTrigger(
        hailuo_conn_id="hailuo_default",
        api_version="v2",
        not_before=1_800_000_000.0,
        deadline=1_800_003_600.0,
        refusals=2,
        waiting_since=1_799_999_000.0,
    )
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_hailuo.triggers.capacity.HailuoCapacityTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert HailuoCapacityTrigger(**kwargs).serialize() == (path, kwargs)


async def _events(triggers: list[HailuoCapacityTrigger]) -> list[str]:
    async def first(trigger: HailuoCapacityTrigger) -> str:
        async for event in trigger.run():
            return str(event.payload["status"])
        raise AssertionError("no event")

    try:
        return list(await asyncio.gather(*(first(t) for t in triggers)))
    finally:
        await close_shared_client_session()


async def test_waits_share_one_gate_and_get_only_the_free_slots(limits: Any) -> None:
    """Eight waits, three free slots: three go, five time out; the in-flight count is read for all at once."""
    deadline = time.time() + 0.8
    triggers = [
        HailuoCapacityTrigger(api_version="v2", not_before=0.0, deadline=deadline, refusals=1)
        for _ in range(8)
    ]
    statuses = await _events(triggers)
    assert sorted(statuses) == ["room"] * 3 + ["timeout"] * 5
    lists = limits.stats()["v2"]["lists"]
    # One look is two list requests (queued, running), at most one look per 0.05 s for all eight waits.
    assert 2 <= lists <= 2 * (0.8 / 0.05 + 3)
    assert lists % 2 == 0


async def test_waits_ready_one_after_another_share_the_looks(limits: Any) -> None:
    """Waits whose backoff ends at different moments still get one look per look interval (1.6 s here)."""
    limits.config.queueing_seconds = 60.0
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    for n in range(3):  # the cap of the connection (3) is full: nobody may go
        HailuoHook().create_video_generation(
            model="MiniMax-H3", prompt=f"queued {n}", duration=4, resolution="768P"
        )
    now = time.time()
    statuses = await _events(
        [
            HailuoCapacityTrigger(api_version="v2", not_before=now + 0.05 * n, deadline=now + 1.0)
            for n in range(10)
        ]
    )
    assert statuses == ["timeout"] * 10
    assert limits.stats()["v2"]["lists"] == 2  # one look (queued, running) in the second


async def test_counts_videos_in_flight(limits: Any) -> None:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    limits.config.queueing_seconds = 60.0
    hook = HailuoHook()
    for n in range(2):
        hook.create_video_generation(model="MiniMax-H3", prompt=f"queued {n}", duration=4, resolution="768P")
    deadline = time.time() + 0.5
    statuses = await _events(
        [HailuoCapacityTrigger(api_version="v2", not_before=0.0, deadline=deadline) for _ in range(3)]
    )
    assert sorted(statuses) == ["room", "timeout", "timeout"]  # 3 allowed, 2 in flight: one free slot


async def test_v1_waits_are_spaced_by_the_rate(limits: Any) -> None:
    """v1 has no task list: the gate only spaces the retries, 60 / requests_per_minute apart (0.2 s)."""
    deadline = time.time() + 0.5
    statuses = await _events(
        [HailuoCapacityTrigger(api_version="v1", not_before=0.0, deadline=deadline) for _ in range(6)]
    )
    assert 2 <= statuses.count("room") <= 3
    assert limits.stats()["v2"]["lists"] == 0


async def test_not_before_holds_a_wait_back(limits: Any) -> None:
    started = time.time()
    (status,) = await _events(
        [HailuoCapacityTrigger(api_version="v2", not_before=started + 0.3, deadline=started + 5)]
    )
    assert status == "room" and time.time() - started >= 0.3


async def test_one_gate_per_connection_and_version() -> None:
    assert capacity_gate("a", "v2") is capacity_gate("a", "v2")
    assert capacity_gate("a", "v2") is not capacity_gate("a", "v1")
    assert capacity_gate("a", "v2") is not capacity_gate("b", "v2")
