"""The one waiting policy, shared by the trigger, the operator's sync wait, the sensor and the CLI.

A wait for a video ends in three ways only: the video reaches ``Success`` or ``Fail``, the wait's own
deadline passes, or MiniMax gives an answer that waiting cannot change (a bad key, moderation, a task
it does not know). Everything else - gateway pages, 5xx, rate limits, timeouts, garbled bodies, a
status this code does not know - is an outage to sit out until the deadline: ending the wait early
would only lead to a retry, and where a retry cannot re-attach it pays for a new video.

Kept apart from any I/O so every place that waits agrees on what ends a wait, how long to back off
(never much longer than the poll interval, so the first answer after an outage is seen promptly),
and what is worth a log line (a change of state, not each failed poll). The deadline is wall-clock
(``time.time()``) on purpose: a trigger is serialized and may resume in another triggerer process,
where a monotonic clock would start again from zero.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from airflow_provider_hailuo.error_codes import error_code_rule, http_status_rule
from airflow_provider_hailuo.exceptions import (
    HailuoAPIError,
    HailuoConfigurationError,
    HailuoError,
    HailuoHTTPError,
    HailuoWaitTimeoutError,
)
from airflow_provider_hailuo.protocol import VideoGenerationStatus, VideoStatus
from airflow_provider_hailuo.retry import DEFAULT_RETRY_POLICY, RetryPolicy


def ends_wait(err: BaseException) -> bool:
    """True for an answer no amount of waiting changes; False for an outage to sit out.

    Which answers those are is declared in :mod:`airflow_provider_hailuo.error_codes` (``ends_wait``):
    a bad key (1004, 2049, HTTP 401), moderation (1026, 1027) and, for a status query, whose only
    parameter is the task id, a task MiniMax does not know (2013).
    """
    if isinstance(err, HailuoAPIError):
        row = error_code_rule(err.code, err.status_msg)
        return row is not None and row.ends_wait
    if isinstance(err, HailuoHTTPError):
        return http_status_rule(err.http_status).ends_wait
    if isinstance(err, HailuoConfigurationError):
        return True
    # Transport errors, gateway pages, garbled answers and unknown statuses are transient; anything
    # that is not a HailuoError is a bug, which must end the wait with a clear message, not spin.
    return not isinstance(err, HailuoError)


def sensor_call(video_task_id: str) -> str:
    """The call that picks a submitted video up again, quoted in every message about a lost wait."""
    return f'HailuoVideoGenerationSensor(video_task_id="{video_task_id}")'


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _reason(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= 160 else text[:159] + "…"


class StatusWatcher:
    """The state of one wait: the last status seen, the outage in progress, the deadline.

    ``record`` and ``record_failure`` return the line to log when something changed (or None), so the
    trigger, the hook and the sensor log the same lines through their own loggers.
    """

    def __init__(
        self,
        video_task_id: str,
        *,
        poll_interval: float,
        timeout: float | None = None,
        end_time: float | None = None,
        started_at: float | None = None,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) -> None:
        if poll_interval <= 0:
            raise ValueError(f"poll_interval: must be a positive number of seconds, got {poll_interval!r}")
        self.video_task_id = video_task_id
        self.poll_interval = float(poll_interval)
        self.started_at = started_at if started_at is not None else time.time()
        now = time.time()
        self.end_time = end_time if end_time is not None else (now + timeout if timeout is not None else None)
        self.retry_policy = retry_policy
        self.last_status: VideoStatus | None = None
        #: Failed polls since the last answer that gave a status, and when the first of them happened.
        self.failed_polls = 0
        self.outage_since: float | None = None
        self.last_failure: str | None = None

    @property
    def elapsed(self) -> float:
        return time.time() - self.started_at

    def record(self, status: VideoGenerationStatus) -> str | None:
        """Note a poll that gave a status; the line to log when the status or reachability changed."""
        lines = []
        if self.failed_polls:
            lines.append(
                f"MiniMax reachable again for task {self.video_task_id} after an outage since "
                f"{_clock(self.outage_since or time.time())} ({self._polls()}, last: {self.last_failure})"
            )
            self.failed_polls, self.outage_since, self.last_failure = 0, None, None
        if status.status != self.last_status:
            lines.append(
                f"Hailuo task {self.video_task_id} is {status.status.value} after {self.elapsed:.0f}s"
            )
        self.last_status = status.status
        return "; ".join(lines) or None

    def record_failure(self, err: BaseException) -> str | None:
        """Re-raise an answer that ends the wait; otherwise note it, and return a line if an outage began."""
        if ends_wait(err):
            raise err
        self.failed_polls += 1
        self.last_failure = _reason(err)
        if self.outage_since is not None:
            return None
        self.outage_since = time.time()
        until = (
            f"until the deadline {_clock(self.end_time)}"
            if self.end_time is not None
            else "without a deadline"
        )
        return f"{self.outage_summary()}; still waiting for task {self.video_task_id} {until}"

    def outage_summary(self) -> str | None:
        """``MiniMax unreachable since <time> (<n> failed polls, last: <reason>)``, or None when reachable."""
        if self.outage_since is None:
            return None
        return f"MiniMax unreachable since {_clock(self.outage_since)} ({self._polls()}, last: {self.last_failure})"

    def _polls(self) -> str:
        return f"{self.failed_polls} failed poll" + ("" if self.failed_polls == 1 else "s")

    @property
    def deadline_passed(self) -> bool:
        return self.end_time is not None and time.time() >= self.end_time

    def check_deadline(self) -> None:
        if self.deadline_passed:
            raise HailuoWaitTimeoutError(self.timeout_message(), video_task_id=self.video_task_id)

    def timeout_message(self) -> str:
        last = self.last_status.value if self.last_status else "unknown"
        outage = self.outage_summary()
        return (
            f"Hailuo video task {self.video_task_id} did not finish before the deadline (last status {last}"
            + (f"; {outage}" if outage else "")
            + f"). It may still finish: wait for it with {sensor_call(self.video_task_id)} rather than "
            "submitting again."
        )

    def next_delay(self, err: BaseException | None = None) -> float:
        """The poll interval after an answer; after a failure a jittered backoff capped at the interval."""
        delay = self.poll_interval
        if err is not None:
            delay = min(self.retry_policy.delay(self.failed_polls, err), self.poll_interval)
        if self.end_time is not None:
            delay = min(delay, max(0.0, self.end_time - time.time()))
        return delay
