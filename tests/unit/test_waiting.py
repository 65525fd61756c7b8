"""The one waiting policy: what ends a wait, how long to back off, what is logged."""

from __future__ import annotations

import time

import pytest

from airflow_provider_hailuo.exceptions import (
    HailuoAPIError,
    HailuoConfigurationError,
    HailuoError,
    HailuoHTTPError,
    HailuoMalformedResponseError,
    HailuoTransportError,
    HailuoWaitTimeoutError,
    api_error_from_code,
)
from airflow_provider_hailuo.protocol import VideoGenerationStatus, VideoStatus
from airflow_provider_hailuo.waiting import StatusWatcher, ends_wait

TRANSIENT: list[HailuoError] = [
    HailuoHTTPError("HTTP 502 from the MiniMax API: '<html>'", http_status=502),
    HailuoHTTPError("HTTP 503", http_status=503),
    HailuoHTTPError("HTTP 500", http_status=500),
    HailuoHTTPError("HTTP 429", http_status=429, retry_after=120),
    HailuoHTTPError("HTTP 403 from a CDN", http_status=403),
    api_error_from_code(1002, "rate limit"),
    api_error_from_code(1039, "token limit"),
    api_error_from_code(1000, "unknown error"),
    api_error_from_code(1013, "internal service error"),
    api_error_from_code(9999, "a code nobody knows yet"),
    HailuoTransportError("GET /v1/query/video_generation timed out", request_sent=True),
    HailuoTransportError("connection refused", request_sent=False),
    HailuoMalformedResponseError("a non-JSON body came back instead of JSON: '{\"base_resp'"),
    HailuoMalformedResponseError("an HTML page came back instead of JSON", retryable=True),
    HailuoMalformedResponseError("unknown video task status 'Unknown'; expected one of ..."),
]
PERMANENT: list[HailuoError] = [
    api_error_from_code(1004, "login fail"),
    api_error_from_code(2049, "invalid api key"),
    api_error_from_code(1026, "input new_sensitive"),
    api_error_from_code(1027, "output new_sensitive"),
    api_error_from_code(2013, "invalid params"),  # a query's only parameter: no such task
    HailuoHTTPError("HTTP 401", http_status=401),
    HailuoConfigurationError("connection 'hailuo_default' has no API key"),
]


def status(value: VideoStatus, task_id: str = "42") -> VideoGenerationStatus:
    return VideoGenerationStatus(task_id, value, file_id="7" if value is VideoStatus.SUCCESS else None)


@pytest.mark.parametrize("err", TRANSIENT, ids=lambda e: str(e)[:40])
def test_transient_failures_are_tolerated_until_the_deadline_however_many(err: HailuoError) -> None:
    """Ten failed polls in a row used to end a wait with an hour left; now only the deadline does."""
    assert not ends_wait(err)
    watcher = StatusWatcher("42", poll_interval=10, timeout=3600)
    for _ in range(500):
        watcher.record_failure(err)
    assert watcher.failed_polls == 500 and not watcher.deadline_passed


@pytest.mark.parametrize("err", PERMANENT, ids=lambda e: str(e)[:40])
def test_permanent_answers_end_the_wait_at_once(err: HailuoError) -> None:
    assert ends_wait(err)
    watcher = StatusWatcher("42", poll_interval=10, timeout=3600)
    with pytest.raises(type(err)):
        watcher.record_failure(err)


def test_unexpected_exceptions_end_the_wait() -> None:
    assert ends_wait(LookupError("a bug")) and not ends_wait(TRANSIENT[0])
    assert isinstance(PERMANENT[0], HailuoAPIError)


@pytest.mark.parametrize("err", TRANSIENT, ids=lambda e: str(e)[:40])
def test_backoff_after_failures_is_capped_near_the_poll_interval(err: HailuoError) -> None:
    watcher = StatusWatcher("42", poll_interval=10, timeout=3600)
    delays = []
    for _ in range(30):
        watcher.record_failure(err)
        delays.append(watcher.next_delay(err))
    assert max(delays) <= 10.0 and min(delays) > 0
    assert watcher.next_delay() == 10.0  # a successful poll waits the poll interval


def test_backoff_never_sleeps_past_the_deadline() -> None:
    watcher = StatusWatcher("42", poll_interval=10, timeout=0.5)
    watcher.record_failure(TRANSIENT[0])
    assert watcher.next_delay(TRANSIENT[0]) <= 0.5


def test_an_outage_is_logged_once_with_its_start_count_and_last_reason_then_its_end() -> None:
    watcher = StatusWatcher("42", poll_interval=10, timeout=3600)
    assert watcher.record(status(VideoStatus.PROCESSING)) == "Hailuo task 42 is Processing after 0s"
    assert watcher.record(status(VideoStatus.PROCESSING)) is None  # no change, no line
    lines = [watcher.record_failure(err) for err in TRANSIENT]
    first, *rest = lines
    assert first is not None and first.startswith("MiniMax unreachable since ")
    assert "(1 failed poll, last: HTTP 502 from the MiniMax API" in first and "task 42" in first
    assert rest == [None] * len(rest)  # one line per state change, not one per failed poll
    summary = watcher.outage_summary()
    assert summary is not None and summary.startswith("MiniMax unreachable since ")
    assert f"({len(TRANSIENT)} failed polls, last: unknown video task status 'Unknown'" in summary
    back = watcher.record(status(VideoStatus.PROCESSING))
    assert back is not None and "reachable again" in back and f"{len(TRANSIENT)} failed polls" in back
    assert watcher.outage_summary() is None and watcher.failed_polls == 0
    done = watcher.record(status(VideoStatus.SUCCESS))
    assert done == "Hailuo task 42 is Success after 0s"


def test_timeout_during_an_outage_says_so_and_names_the_sensor_call() -> None:
    watcher = StatusWatcher("42", poll_interval=10, end_time=time.time() - 1)
    watcher.record(status(VideoStatus.PROCESSING))
    watcher.record_failure(TRANSIENT[0])
    watcher.record_failure(TRANSIENT[1])
    with pytest.raises(HailuoWaitTimeoutError) as info:
        watcher.check_deadline()
    text = str(info.value)
    assert "last status Processing" in text and "MiniMax unreachable since" in text
    assert "(2 failed polls, last: HTTP 503" in text
    assert 'HailuoVideoGenerationSensor(video_task_id="42")' in text
