"""The waiting rules shared by the sync poll loop, the trigger and the sensor.

Kept apart from any I/O so the three places that wait for a video agree on what a status change is,
how many transient failures in a row are tolerated, how long to back off, and when the wall-clock
deadline has passed. The deadline is wall-clock (``time.time()``) on purpose: a trigger is serialized
and may resume in another triggerer process, where a monotonic clock would start again from zero.
"""

from __future__ import annotations

import time

from airflow_provider_hailuo.exceptions import HailuoError, HailuoWaitTimeoutError
from airflow_provider_hailuo.protocol import VideoGenerationStatus, VideoStatus
from airflow_provider_hailuo.retry import DEFAULT_RETRY_POLICY, MAX_CONSECUTIVE_POLL_FAILURES, RetryPolicy


class StatusWatcher:
    def __init__(
        self,
        video_task_id: str,
        *,
        poll_interval: float,
        timeout: float | None = None,
        end_time: float | None = None,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        max_consecutive_failures: int = MAX_CONSECUTIVE_POLL_FAILURES,
    ) -> None:
        if poll_interval <= 0:
            raise ValueError(f"poll_interval: must be a positive number of seconds, got {poll_interval!r}")
        self.video_task_id = video_task_id
        self.poll_interval = float(poll_interval)
        self.started_at = time.time()
        self.end_time = (
            end_time if end_time is not None else (self.started_at + timeout if timeout is not None else None)
        )
        self.retry_policy = retry_policy
        self.max_consecutive_failures = max_consecutive_failures
        self.consecutive_failures = 0
        self.last_status: VideoStatus | None = None

    @property
    def elapsed(self) -> float:
        return time.time() - self.started_at

    def record(self, status: VideoGenerationStatus) -> bool:
        """Note a successful poll; True when the status differs from the last one seen."""
        self.consecutive_failures = 0
        changed = status.status != self.last_status
        self.last_status = status.status
        return changed

    def record_failure(self, err: HailuoError) -> None:
        """Tolerate transient failures up to the bound; re-raise permanent ones at once."""
        if not err.retryable:
            raise err
        self.consecutive_failures += 1
        if self.consecutive_failures >= self.max_consecutive_failures:
            raise err

    @property
    def deadline_passed(self) -> bool:
        return self.end_time is not None and time.time() >= self.end_time

    def check_deadline(self) -> None:
        if self.deadline_passed:
            raise HailuoWaitTimeoutError(self.timeout_message(), video_task_id=self.video_task_id)

    def timeout_message(self) -> str:
        return (
            f"Hailuo video task {self.video_task_id} did not finish before the deadline "
            f"(last status {self.last_status.value if self.last_status else 'unknown'}). It may still finish: "
            f"wait for it with HailuoVideoGenerationSensor(video_task_id='{self.video_task_id}') rather than "
            "submitting again."
        )

    def next_delay(self, err: BaseException | None = None) -> float:
        delay = self.poll_interval
        if err is not None:
            delay = max(self.retry_policy.delay(self.consecutive_failures, err), min(delay, 1.0))
        if self.end_time is not None:
            delay = min(delay, max(0.0, self.end_time - time.time()))
        return delay
