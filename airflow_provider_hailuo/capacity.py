"""Waiting for the account's capacity: the limits, the waiting policy and the worker's wait.

MiniMax refuses a create beyond the account's request rate (300 a minute for MiniMax-H3) or its videos
in flight (30 for MiniMax-H3) and creates nothing (``error_codes``: ``capacity``). The generation
operator then waits for capacity and submits again instead of failing. The policy is declared here
once and followed by both waits: the triggerer's shared gate
(:mod:`airflow_provider_hailuo.triggers.capacity`) and the worker's loop below.

- Each refusal of a task waits at least :func:`retry_floor` (doubling per refusal, up to a minute),
  so a task refused again and again does not hammer the API.
- On v2 the wait also ends only when the task list says a video slot is free: one list request per
  status that counts as in flight (``page_size=1``, reading ``total``), every ``look_interval``
  (``check_interval``, or longer if that would take over a quarter of the request rate).
- v1 has no list: the floor and the spacing of releases (``60 / requests_per_minute``) are the gate.

The limits default to MiniMax-H3's published figures and are set per connection in its extra
(docs/connection.md): ``max_in_flight``, ``requests_per_minute`` and ``capacity_check_interval``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_hailuo.exceptions import HailuoError
from airflow_provider_hailuo.protocol import v2
from airflow_provider_hailuo.protocol.common import ApiRequest

__all__ = [
    "DEFAULT_LIMITS",
    "IN_FLIGHT_STATUSES",
    "CapacityLimits",
    "in_flight_requests",
    "limits_from_extra",
    "retry_floor",
    "wait_for_capacity",
]

#: The v2 statuses of a video that holds one of the account's in-flight slots.
IN_FLIGHT_STATUSES = ("queued", "running")
#: The longest wait between two tries of one refused task.
MAX_RETRY_FLOOR = 60.0
#: At most this share of the account's request rate goes to looking at its videos in flight.
LOOK_SHARE = 0.25


@dataclass(frozen=True)
class CapacityLimits:
    """One account's limits, as this provider paces itself against them."""

    max_in_flight: int = 30
    requests_per_minute: int = 300
    #: Seconds between two looks at the in-flight count while someone waits.
    check_interval: float = 5.0

    @property
    def look_interval(self) -> float:
        """Seconds between two looks at the in-flight count: ``check_interval``, or longer if looking that
        often would take more than ``LOOK_SHARE`` of the request rate (waiting must not eat the limit)."""
        cost = len(IN_FLIGHT_STATUSES) * 60.0 / (self.requests_per_minute * LOOK_SHARE)
        return max(self.check_interval, cost)

    @property
    def release_spacing(self) -> float:
        """Seconds between two waiters let go, so the submissions they make stay under the rate."""
        return 60.0 / self.requests_per_minute


DEFAULT_LIMITS = CapacityLimits()

_EXTRA_FIELDS: Mapping[str, tuple[str, type]] = {
    "max_in_flight": ("max_in_flight", int),
    "requests_per_minute": ("requests_per_minute", int),
    "capacity_check_interval": ("check_interval", float),
}


def limits_from_extra(extra: Mapping[str, Any]) -> CapacityLimits:
    """The limits a connection's extra sets; defaults for the rest. A bad value names its field."""
    values: dict[str, Any] = {}
    for key, (name, kind) in _EXTRA_FIELDS.items():
        raw = extra.get(key)
        if raw in (None, ""):
            continue
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = kind(raw)
            if kind is int and value != float(raw):
                raise ValueError
        except (TypeError, ValueError):
            raise ValueError(f"{key} must be a positive {kind.__name__}, got {raw!r}") from None
        if value <= 0:
            raise ValueError(f"{key} must be positive, got {raw!r}")
        values[name] = value
    return CapacityLimits(**values)


def retry_floor(refusals: int, limits: CapacityLimits) -> float:
    """The least wait after a task's ``refusals``-th refusal: doubling from ``check_interval``."""
    return min(MAX_RETRY_FLOOR, limits.check_interval * 2 ** max(0, refusals - 1))


def in_flight_requests() -> tuple[ApiRequest, ...]:
    """The list requests whose ``total`` fields add up to the account's v2 videos in flight."""
    return tuple(v2.list_request(page_size=1, status=status) for status in IN_FLIGHT_STATUSES)


def in_flight_now(hook: Any) -> int:
    """The account's v2 videos in flight, through the sync hook."""
    return sum(int(hook._call(call, v2.parse_list_response)[1]) for call in in_flight_requests())


def wait_for_capacity(
    hook: Any,
    api_version: str,
    *,
    not_before: float,
    deadline: float | None,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """The worker's wait (a task that does not defer): True once a try may be made, False at ``deadline``.

    Same policy as the triggerer's gate, without its sharing: each waiting worker looks for itself.
    """
    limits: CapacityLimits = hook.settings.capacity
    while True:
        now = time.time()
        if deadline is not None and now >= deadline:
            return False
        if now < not_before:
            sleep(min(not_before, deadline if deadline is not None else not_before) - now)
            continue
        if api_version != "v2":
            return True
        try:
            if in_flight_now(hook) < limits.max_in_flight:
                return True
        except HailuoError as err:
            if not err.retryable:
                raise
        not_before = time.time() + limits.look_interval
