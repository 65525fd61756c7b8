"""Poll wake-up alignment of HailuoVideoGenerationTrigger (a triggerer-CPU optimisation).

Polls of many triggers are moved onto a shared 100 ms grid of the loop clock so they share loop
wake-ups; these tests pin the rules that keep it invisible: short intervals, deadline-capped sleeps and
the disabled setting stay exact, and an aligned sleep moves by at most half a step.
"""

from __future__ import annotations

import asyncio
import math
import time

import pytest

import airflow_provider_hailuo.triggers.hailuo as trigger_module
from airflow_provider_hailuo.triggers.hailuo import _aligned_poll_delay
from airflow_provider_hailuo.waiting import StatusWatcher

STEP = trigger_module.POLL_ALIGNMENT_SECONDS


async def _assert_polls_wake_on_grid(interval: float, step: float) -> None:
    watcher = StatusWatcher("1", poll_interval=interval)
    for _ in range(20):
        loop = asyncio.get_running_loop()
        before = loop.time()
        delay = _aligned_poll_delay(watcher)
        after = loop.time()
        assert abs(delay - interval) <= step / 2 + 1e-6
        # The delay was computed from a clock reading between ``before`` and ``after``: some grid point
        # must lie in that span shifted by the delay (exact, whatever the machine's load).
        grid_point = math.ceil((before + delay - 1e-9) / step) * step
        assert grid_point <= after + delay + 1e-9, (before, after, delay, step)
        await asyncio.sleep(0.013)  # move the clock off the grid


async def test_long_poll_sleeps_wake_on_the_grid() -> None:
    await _assert_polls_wake_on_grid(10.0, STEP)


async def test_short_intervals_are_not_moved() -> None:
    watcher = StatusWatcher("1", poll_interval=0.05)
    assert _aligned_poll_delay(watcher) == 0.05


def _frozen_wall_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Stop ``time.time()`` (the deadline's clock): a deadline check then holds exactly, not within
    however long a loaded machine took between two readings."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


async def test_deadline_capped_sleep_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    now = _frozen_wall_clock(monkeypatch)
    watcher = StatusWatcher("1", poll_interval=10.0, end_time=now[0] + 3.0)
    assert _aligned_poll_delay(watcher) == pytest.approx(3.0)


async def test_alignment_never_moves_a_poll_past_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    now = _frozen_wall_clock(monkeypatch)
    # The deadline falls just after one full interval: a later grid point could cross it.
    for _ in range(20):
        watcher = StatusWatcher("1", poll_interval=2.0, end_time=now[0] + 2.0 + 0.01)
        delay = _aligned_poll_delay(watcher)
        assert now[0] + delay < watcher.end_time  # type: ignore[operator]
        await asyncio.sleep(0.007)  # the loop clock moves on: every offset from the grid is tried
        now[0] += 0.007


async def test_zero_disables_alignment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trigger_module, "POLL_ALIGNMENT_SECONDS", 0.0)
    watcher = StatusWatcher("1", poll_interval=10.0)
    assert _aligned_poll_delay(watcher) == 10.0


async def test_many_waits_on_one_loop_share_a_finer_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    """1000 waits polling every second: about POLL_ALIGNMENT_POLLS_PER_WAKEUP polls per wake-up, not 100."""
    monkeypatch.setattr(trigger_module, "session_leases", lambda loop: 1000)
    step = trigger_module.POLL_ALIGNMENT_POLLS_PER_WAKEUP * 1.0 / 1000
    assert step < STEP
    await _assert_polls_wake_on_grid(1.0, step)
