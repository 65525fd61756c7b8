"""HailuoVideoGenerationTrigger: wait for a video in the triggerer, holding no worker slot.

Kwargs are JSON primitives only, so the trigger survives serialization into the metadata DB and can
resume in another triggerer process after a restart; the deadline is wall-clock for the same reason.
Polls go through the hook's shared aiohttp session (one per event loop), and the connection is fetched
asynchronously and cached, so thousands of triggers in one triggerer cost little and never block
the loop. MiniMax-H3 (v2) waits of one connection share a poller (:mod:`.batch_poller`): the waits
due together are answered by one list call per 100 videos instead of a query each, which keeps a
triggerer with many videos in flight inside MiniMax's request rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_hailuo.exceptions import HailuoError, scrub
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.hooks.shared_session import session_leases, shared_session_lease
from airflow_provider_hailuo.outcomes import REASON_POLLING_FAILED, error_event, status_event
from airflow_provider_hailuo.protocol import task_ref
from airflow_provider_hailuo.triggers.batch_poller import V2StatusPoller, v2_poller_lease
from airflow_provider_hailuo.waiting import StatusWatcher

#: Poll wake-ups move to the nearest multiple of this many seconds on the event loop's clock, so the
#: polls of many triggers in one triggerer share loop wake-ups instead of each paying its own: half the
#: CPU per poll at 100 polls/s (benchmarks/triggerer_scale.py, docs/performance.md). Only sleeps of at
#: least ``POLL_ALIGNMENT_MIN_SLEEP`` move (by at most half a step), never past the deadline, and never
#: the backoff after a failure (its jitter spreads retries on purpose). 0 disables.
POLL_ALIGNMENT_SECONDS = 0.1
POLL_ALIGNMENT_MIN_SLEEP = 1.0
#: The step shrinks when many waits share the loop, so that about this many polls share a wake-up:
#: more save nothing further, queue for the shared session's connections (a burst of 100 cost 5-10 %
#: more CPU per poll than bursts of 32) and stall the loop for the length of the burst.
POLL_ALIGNMENT_POLLS_PER_WAKEUP = 32


class HailuoVideoGenerationTrigger(BaseTrigger):
    """Poll one Hailuo video task until it succeeds, fails or ``end_time`` (Unix seconds) passes.

    :param video_task_id: the Hailuo task id returned by the create call.
    :param hailuo_conn_id: the Hailuo connection.
    :param poll_interval: seconds between polls.
    :param end_time: wall-clock deadline, Unix seconds; ``None`` waits without a deadline.
    :param started_at: Unix seconds when the task was submitted, for elapsed-time log lines.
    :param api_version: the API the task was created on: ``v1``, or ``v2`` for MiniMax-H3.
    :param summary: what the operator reports about the request (model, resolution, duration, cost
        estimate; no prompt or media; a dict, kept as a JSON string), echoed in the event: ``dag.test()`` hands the
        resumed task only the event, not the deferral's kwargs.
    """

    def __init__(
        self,
        video_task_id: str,
        hailuo_conn_id: str = HailuoHook.default_conn_name,
        poll_interval: float = 10.0,
        end_time: float | None = None,
        started_at: float | None = None,
        api_version: str = "v1",
        summary: dict[str, Any] | str | None = None,
    ) -> None:
        super().__init__()
        # Serialized as a JSON string, so every kwarg stays a primitive.
        self.summary: dict[str, Any] | None = (
            json.loads(summary) if isinstance(summary, str) else summary
        ) or None
        self.api_version = str(api_version or "v1")
        self.video_task_id = str(video_task_id)
        self.hailuo_conn_id = hailuo_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time) if end_time is not None else None
        self.started_at = float(started_at) if started_at is not None else time.time()

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "video_task_id": self.video_task_id,
                "hailuo_conn_id": self.hailuo_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "started_at": self.started_at,
                "api_version": self.api_version,
                **({"summary": json.dumps(self.summary, sort_keys=True)} if self.summary else {}),
            },
        )

    def _hook(self) -> HailuoHook:
        return HailuoHook(hailuo_conn_id=self.hailuo_conn_id)

    def _event(self, payload: Any) -> TriggerEvent:
        return TriggerEvent({**payload, "summary": self.summary} if self.summary else payload)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        async with shared_session_lease(), _poller_lease(self) as poller:
            # The loop is here, not in a generator that run() iterates: every wake-up of every poll
            # (the sleep, the connection, the answer) would pass through that extra layer.
            hook = self._hook()
            watcher = StatusWatcher(
                task_ref(self.video_task_id, self.api_version),
                poll_interval=self.poll_interval,
                end_time=self.end_time,
                started_at=self.started_at,
            )
            while True:
                try:
                    # A v2 wait asks its connection's poller (one list call answers many waits); an id
                    # the list cannot answer for is queried on its own, as every v1 wait is.
                    polled_at = asyncio.get_running_loop().time()
                    status = await poller.status(self.video_task_id) if poller is not None else None
                    if status is None:
                        status = await hook.aget_video_generation_once(
                            self.video_task_id, api_version=self.api_version
                        )
                except Exception as err:
                    event = self._failed_poll(watcher, err)
                    if event is None and watcher.deadline_passed:
                        await self._cancel_if_v2(hook)
                        event = self._event(
                            error_event(self.video_task_id, "timeout", watcher.timeout_message())
                        )
                    if event is not None:
                        yield event
                        return
                    await asyncio.sleep(watcher.next_delay(err))
                    continue
                line = watcher.record(status)
                if line:
                    self.log.info("%s", line)
                if status.is_terminal:
                    yield self._event(status_event(status))
                    return
                if watcher.deadline_passed:
                    await self._cancel_if_v2(hook)
                    yield self._event(error_event(self.video_task_id, "timeout", watcher.timeout_message()))
                    return
                if poller is None:
                    await asyncio.sleep(_aligned_poll_delay(watcher))
                else:
                    step = poller.alignment_step(watcher.poll_interval)
                    await asyncio.sleep(_aligned_poll_delay(watcher, step, since=polled_at))

    def _failed_poll(self, watcher: StatusWatcher, err: Exception) -> TriggerEvent | None:
        """The event that ends the wait after a failed poll, or None to sit the failure out."""
        try:
            line = watcher.record_failure(err)
        except HailuoError:  # an answer waiting cannot change: a bad key, moderation, no such task
            return TriggerEvent(
                error_event(
                    self.video_task_id,
                    "error",
                    f"Hailuo video task {self.video_task_id}: giving up polling: {err}",
                    getattr(err, "code", None),
                    REASON_POLLING_FAILED,
                )
            )
        except Exception:  # a bug must end the wait with a clear event, not hang
            # Labelled as a failed *wait*: the video itself may be fine, and a retry re-attaches
            # to it instead of being told that MiniMax failed the video.
            return TriggerEvent(
                error_event(
                    self.video_task_id,
                    "error",
                    scrub(f"Hailuo video task {self.video_task_id}: unexpected error while polling: {err!r}"),
                    None,
                    REASON_POLLING_FAILED,
                )
            )
        if line:  # the first failure of an outage; later ones are counted, not logged
            self.log.warning("%s", line)
        return None

    async def _cancel_if_v2(self, hook: HailuoHook) -> None:
        """v2 can cancel a queued video (not billed); v1 has no cancel endpoint."""
        if self.api_version == "v2":
            await hook.acancel_if_queued(self.video_task_id)

    async def on_kill(self) -> None:
        """Called on a user kill or clear (Airflow 3.3+): a queued v2 video is cancelled; v1 cannot be."""
        if self.api_version == "v2":
            async with shared_session_lease():
                await self._cancel_if_v2(self._hook())
            return
        self.log.warning(
            "Hailuo video task %s cannot be cancelled: the MiniMax v1 API has no cancel endpoint, so it keeps "
            "running (and is billed). Its id stays in the task log and state store for a later re-attach.",
            self.video_task_id,
        )


def _poller_lease(
    trigger: HailuoVideoGenerationTrigger,
) -> AbstractAsyncContextManager[V2StatusPoller | None]:
    """v2 waits share their connection's poller on this loop; v1 has no list call, so no poller."""
    if trigger.api_version == "v2":
        return v2_poller_lease(trigger.hailuo_conn_id)
    return contextlib.nullcontext(None)


def _aligned_poll_delay(
    watcher: StatusWatcher, batch_step: float | None = None, *, since: float | None = None
) -> float:
    """The watcher's next poll delay, with the wake-up moved onto the ``POLL_ALIGNMENT_SECONDS`` grid.

    ``batch_step`` is the coarser grid of waits answered by one list call (their poller's
    ``alignment_step``): the more waits come due at one point, the fewer list calls answer them.
    ``since`` (loop time) is when the poll was asked for: the interval counts from there, so waits
    that polled together stay together however long the answer and their own handling of it took.
    """
    delay = watcher.next_delay()
    step = POLL_ALIGNMENT_SECONDS
    if step <= 0 or delay < max(POLL_ALIGNMENT_MIN_SLEEP, watcher.poll_interval):
        return delay  # short intervals, and sleeps already cut short by the deadline, stay exact
    loop = asyncio.get_running_loop()
    if batch_step is not None:
        step = max(step, batch_step)
    else:
        # The waits sharing this loop poll about (their number / interval) times a second.
        step = min(
            step, POLL_ALIGNMENT_POLLS_PER_WAKEUP * watcher.poll_interval / max(1, session_leases(loop))
        )
    now = loop.time()
    aligned = round(((now if since is None else since) + delay) / step) * step - now
    if aligned < delay / 2:  # the answer took most of the interval: count it from now, as unbatched
        aligned = max(0.0, round((now + delay) / step) * step - now)
    if watcher.end_time is not None and time.time() + aligned >= watcher.end_time:
        return delay
    return aligned
