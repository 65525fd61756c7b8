"""Per-account capacity: the v2 request rate (RPM, a sliding window) and the in-flight task cap.

Contract §8: MiniMax-H3 allows 300 requests a minute and 30 tasks in flight per account. In-flight
counts only rise when a task is created, so checking the count at each creation sees every peak:
``max_in_flight`` is the highest count any account ever reached, which is what lets a test prove
"never more than N in flight". A create that passes the cap holds a reservation while it waits for
its callback challenge, so two concurrent creates cannot both take the last slot.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Capacity:
    requests: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    in_flight: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    reserved: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_in_flight: int = 0

    def admit(self, owner: str, limit: int | None, window: float, now_mono: float) -> bool:
        """Count one request unless ``limit`` requests were admitted within the last ``window`` seconds."""
        times = self.requests[owner]
        while times and now_mono - times[0] >= window:
            times.popleft()
        if limit is not None and len(times) >= limit:
            return False
        times.append(now_mono)
        return True

    def count(self, owner: str, still_in_flight: Callable[[str], bool]) -> int:
        """Tasks of ``owner`` queued or running now, plus reservations; forgets finished ones."""
        live = self.in_flight[owner]
        live.difference_update([task_id for task_id in live if not still_in_flight(task_id)])
        return len(live) + self.reserved[owner]

    def reserve(self, owner: str) -> None:
        self.reserved[owner] += 1

    def release(self, owner: str) -> None:
        self.reserved[owner] -= 1

    def commit(self, owner: str, task_id: str, still_in_flight: Callable[[str], bool]) -> None:
        """Turn a reservation into a task and record the peak."""
        self.reserved[owner] -= 1
        self.in_flight[owner].add(task_id)
        self.max_in_flight = max(self.max_in_flight, self.count(owner, still_in_flight))

    def current(self, still_in_flight: Callable[[str], bool]) -> int:
        return sum(self.count(owner, still_in_flight) for owner in list(self.in_flight))
