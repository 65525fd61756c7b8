"""HailuoCapacityTrigger: wait in the triggerer for room under the account's limits, holding no worker slot.

A create that MiniMax refused for capacity (rate limit, videos in flight) created nothing; the
operator defers here and submits again when the trigger fires. Waiting must not itself eat the rate
limit, so the waits of one triggerer on one connection share one :class:`CapacityGate`: one look at
the in-flight count per ``look_interval`` (v2: a ``page_size=1`` list request per in-flight status,
reading ``total``) answers all of them, and the gate lets go at most as many waiters as there are free
slots, oldest first, spaced by ``60 / requests_per_minute``. v1 has no list: the gate only spaces
them. The policy is :mod:`airflow_provider_hailuo.capacity`'s, shared with the worker's wait.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_hailuo.capacity import CapacityLimits, in_flight_requests
from airflow_provider_hailuo.exceptions import HailuoError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.hooks.shared_session import shared_session_lease
from airflow_provider_hailuo.protocol import v2

#: A waiter let go holds a slot in the gate's count this long, until its video shows in the task list
#: (the task resumes in a worker and submits a few seconds later).
RELEASE_GRACE_SECONDS = 15.0

_SEQUENCE = itertools.count()
log = logging.getLogger(__name__)


@dataclass(order=True)
class _Waiter:
    not_before: float
    seq: int
    future: asyncio.Future[None] = field(compare=False)


class CapacityGate:
    """The shared wait of every capacity trigger of one connection and API version in one event loop."""

    def __init__(self, hailuo_conn_id: str, api_version: str) -> None:
        self.hailuo_conn_id = hailuo_conn_id
        self.api_version = api_version
        self.loop = asyncio.get_running_loop()
        self.waiters: list[_Waiter] = []
        self.releases: deque[float] = deque()
        self.last_release = float("-inf")
        #: When the in-flight count was last read (monotonic): looks are ``look_interval`` apart, however
        #: many tasks wait and whenever each becomes ready.
        self.last_look = float("-inf")
        self.count_requests = 0
        self._runner: asyncio.Task[None] | None = None

    async def wait(self, *, not_before: float, deadline: float | None) -> bool:
        """True when this waiter may submit; False when ``deadline`` (Unix seconds) came first."""
        waiter = _Waiter(not_before, next(_SEQUENCE), self.loop.create_future())
        self.waiters.append(waiter)
        if self._runner is None or self._runner.done():
            self._runner = self.loop.create_task(self._run())
        try:
            timeout = None if deadline is None else max(0.0, deadline - time.time())
            await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
            return True
        except asyncio.TimeoutError:
            return waiter.future.done()
        finally:
            if waiter in self.waiters:
                self.waiters.remove(waiter)

    async def _run(self) -> None:
        hook = HailuoHook(hailuo_conn_id=self.hailuo_conn_id)
        async with shared_session_lease():
            while self.waiters:
                limits = CapacityLimits()
                try:
                    settings = await hook.aget_settings()
                    limits = settings.capacity
                    await self._release(hook, settings, limits)
                except HailuoError as err:  # no look this time: nobody is let go until the next one
                    log.warning(
                        "Capacity gate of %s: could not look (%s); looking again", self.hailuo_conn_id, err
                    )
                except Exception:  # the gate serves every waiting task: it must outlive any one failure
                    log.exception("Capacity gate of %s: look failed; looking again", self.hailuo_conn_id)
                await asyncio.sleep(self._next_look(limits))  # also the wait after a failed look

    def _next_look(self, limits: CapacityLimits) -> float:
        now = time.time()
        held_back = [w.not_before - now for w in self.waiters if w.not_before > now and not w.future.done()]
        if self.api_version != "v2":
            return max(0.01, min([limits.check_interval, *held_back]))
        wake = min([limits.look_interval, *held_back])
        return max(0.01, wake, self.last_look + limits.look_interval - time.monotonic())

    async def _release(self, hook: HailuoHook, settings: Any, limits: CapacityLimits) -> None:
        now = time.time()
        ready = sorted(w for w in self.waiters if w.not_before <= now and not w.future.done())
        if not ready:
            return
        room = len(ready)
        if self.api_version == "v2":
            if time.monotonic() - self.last_look < limits.look_interval:
                return
            self.last_look = time.monotonic()
            room = min(room, limits.max_in_flight - await self._in_flight(hook, settings) - self._pending())
        for waiter in ready[: max(0, room)]:
            wait = self.last_release + limits.release_spacing - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not waiter.future.done():
                waiter.future.set_result(None)
                self.last_release = time.monotonic()
                self.releases.append(self.last_release)

    def _pending(self) -> int:
        """Waiters let go recently whose videos the task list may not show yet."""
        horizon = time.monotonic() - RELEASE_GRACE_SECONDS
        while self.releases and self.releases[0] < horizon:
            self.releases.popleft()
        return len(self.releases)

    async def _in_flight(self, hook: HailuoHook, settings: Any) -> int:
        total = 0
        for call in in_flight_requests():
            self.count_requests += 1
            raw = await hook._asend(call, settings)
            total += v2.parse_list_response(raw)[1]
        return total


_GATES: dict[tuple[str, str], CapacityGate] = {}


def capacity_gate(hailuo_conn_id: str, api_version: str) -> CapacityGate:
    """The gate of this connection and API version on the running event loop."""
    key = (hailuo_conn_id, api_version)
    gate = _GATES.get(key)
    if gate is None or gate.loop is not asyncio.get_running_loop():
        gate = _GATES[key] = CapacityGate(hailuo_conn_id, api_version)
    return gate


class HailuoCapacityTrigger(BaseTrigger):
    """Fire when a create refused for capacity may be tried again, or when ``deadline`` passes.

    :param hailuo_conn_id: the Hailuo connection (its extra holds the limits; docs/connection.md).
    :param api_version: ``v2`` (MiniMax-H3: waits for a free in-flight slot) or ``v1`` (spaced retries).
    :param not_before: Unix seconds before which this task does not try again (its backoff).
    :param deadline: Unix seconds when the operator's ``capacity_timeout`` ends; ``None`` waits on.
    :param refusals: how many times this task was refused so far.
    :param waiting_since: Unix seconds of the task's first refusal.

    The event echoes ``refusals`` and ``waiting_since``: ``dag.test()`` resumes a task with the event
    alone, without the kwargs the task deferred with.
    """

    def __init__(
        self,
        *,
        hailuo_conn_id: str = HailuoHook.default_conn_name,
        api_version: str = "v1",
        not_before: float = 0.0,
        deadline: float | None = None,
        refusals: int = 1,
        waiting_since: float | None = None,
    ) -> None:
        super().__init__()
        self.hailuo_conn_id = hailuo_conn_id
        self.api_version = str(api_version or "v1")
        self.not_before = float(not_before)
        self.deadline = float(deadline) if deadline is not None else None
        self.refusals = int(refusals)
        self.waiting_since = float(waiting_since) if waiting_since is not None else None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "hailuo_conn_id": self.hailuo_conn_id,
                "api_version": self.api_version,
                "not_before": self.not_before,
                "deadline": self.deadline,
                "refusals": self.refusals,
                "waiting_since": self.waiting_since,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        started = time.time()
        gate = capacity_gate(self.hailuo_conn_id, self.api_version)
        room = await gate.wait(not_before=self.not_before, deadline=self.deadline)
        waited = round(time.time() - started, 3)
        self.log.info(
            "Capacity wait %s after %.1f s (refusal %d)",
            "ended" if room else "timed out",
            waited,
            self.refusals,
        )
        yield TriggerEvent(
            {
                "status": "room" if room else "timeout",
                "waited": waited,
                "refusals": self.refusals,
                "waiting_since": self.waiting_since,
            }
        )
