"""How a wait for a video ended, and what that means for the Airflow task.

Shared by the generation operator, the sensor, the trigger and the transfer, so that "the video
failed", "the wait failed" and "time ran out" are told apart the same way everywhere, and each is
turned into the exception that tells the user what to do (and whether Airflow may retry).
"""

from __future__ import annotations

from typing import Any, NoReturn

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_hailuo.error_codes import Call
from airflow_provider_hailuo.exceptions import (
    HailuoError,
    HailuoVideoGenerationFailedError,
    HailuoWaitTimeoutError,
    api_error_from_code,
)
from airflow_provider_hailuo.protocol import VideoGenerationStatus, VideoStatus
from airflow_provider_hailuo.shapes import WaitEvent, WaitOutcome, video_fields

#: The statuses an event may carry; ``validate_event`` rejects anything else.
TRIGGER_EVENT_STATUSES = frozenset({"success", "error", "timeout"})
#: Why an ``error`` event ended the wait: the video task itself failed, or we could not keep polling it
#: (the task may still succeed; a retry re-attaches to it rather than paying again).
REASON_TASK_FAILED = "task_failed"
REASON_POLLING_FAILED = "polling_failed"


def status_event(status: VideoGenerationStatus) -> WaitEvent:
    """The one small event for a terminal status (the trigger's, and the sync waits' equivalent)."""
    ok = status.status is VideoStatus.SUCCESS
    return {
        **video_fields(status),
        "status": "success" if ok else "error",
        "reason": None if ok else REASON_TASK_FAILED,
        "error_code": status.error_code,
        "message": (
            f"Hailuo video task {status.video_task_id} succeeded"
            if ok
            else f"Hailuo video task {status.video_task_id} failed"
            + (f" with code {status.error_code}: {status.error_message}" if status.error_code else "")
        ),
    }


def error_event(
    video_task_id: str,
    status: WaitOutcome,
    message: str,
    error_code: int | None = None,
    reason: str | None = None,
) -> WaitEvent:
    return {
        "status": status,
        "reason": reason,
        "video_task_id": video_task_id,
        "file_id": None,
        "video_width": None,
        "video_height": None,
        "error_code": error_code,
        "message": message,
    }


def validate_event(event: Any) -> WaitEvent:
    """Check an event before acting on it: it crossed the triggerer/worker boundary through the DB.

    A version skew during a rolling upgrade could deliver something unexpected; fail clearly then.
    """
    if not isinstance(event, dict):
        raise HailuoError(f"Hailuo trigger event is missing or not a dict: {type(event).__name__}")
    status = event.get("status")
    if status not in TRIGGER_EVENT_STATUSES:
        raise HailuoError(
            f"Hailuo trigger event has an unknown status {status!r}; expected one of "
            f"{', '.join(sorted(TRIGGER_EVENT_STATUSES))}"
        )
    if not event.get("video_task_id"):
        raise HailuoError("Hailuo trigger event has no video_task_id")
    if status == "success" and not event.get("file_id"):
        raise HailuoError(
            f"Hailuo trigger event for task {event['video_task_id']} reports success without a file_id"
        )
    return event  # type: ignore[return-value]


def failure_for_event(event: WaitEvent) -> HailuoError:
    """Turn an ``error``/``timeout`` event into the exception that tells the user what to do."""
    task_id = str(event.get("video_task_id"))
    code = event.get("error_code")
    message = str(event.get("message") or "")
    if event.get("status") == "timeout":
        return HailuoWaitTimeoutError(message, video_task_id=task_id)
    if event.get("reason") == REASON_POLLING_FAILED:
        # The wait failed, not the video: permanent only if the cause is (a bad key, say).
        err: HailuoError = (
            api_error_from_code(code, message, video_task_id=task_id, call=Call.QUERY)
            if isinstance(code, int) and code
            else HailuoError(
                f"{message}. The video may still finish; a retry re-attaches to it.", video_task_id=task_id
            )
        )
        if not (isinstance(code, int) and code):
            err.retryable = True
        return err
    if isinstance(code, int) and code:  # the task's own failure: advice about the request it was made from
        return api_error_from_code(code, message, video_task_id=task_id, call=Call.TASK)
    return HailuoVideoGenerationFailedError(
        f"{message}. MiniMax gave no reason; a retry of this Airflow task submits a new (paid) video.",
        video_task_id=task_id,
        error_code=code if isinstance(code, int) else None,
    )


def raise_for_airflow(err: HailuoError) -> NoReturn:
    """Permanent errors end the task without Airflow retries; transient ones let retries happen."""
    if err.permanent:
        raise AirflowFailException(str(err)) from err
    raise err
