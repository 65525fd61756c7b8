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
from airflow_provider_hailuo.waiting import sensor_call

#: The statuses an event may carry; ``validate_event`` rejects anything else.
TRIGGER_EVENT_STATUSES = frozenset({"success", "error", "timeout"})
#: Why an ``error`` event ended the wait: the video task itself failed, or we could not keep polling it
#: (the task may still succeed; a retry re-attaches to it rather than paying again).
REASON_TASK_FAILED = "task_failed"
REASON_POLLING_FAILED = "polling_failed"


def status_event(status: VideoGenerationStatus) -> WaitEvent:
    """The one small event for a terminal status (the trigger's, and the sync waits' equivalent)."""
    ok = status.status is VideoStatus.SUCCESS
    if status.error_code:
        reason = f" with code {status.error_code}: {status.error_message}"
    else:
        reason = f": {status.error_message}" if status.error_message else ""
    event: WaitEvent = {
        **video_fields(status),
        "status": "success" if ok else "error",
        "reason": None if ok else REASON_TASK_FAILED,
        "error_code": status.error_code,
        "message": (
            f"Hailuo video task {status.video_task_id} succeeded"
            if ok
            else f"Hailuo video task {status.video_task_id} failed{reason}"
        ),
    }
    if status.api_version != "v1":
        # No URL here: it is signed, and events are stored in the metadata DB. The transfer re-queries it.
        event["api_version"] = status.api_version
        event["ratio"] = status.ratio
        event["usage"] = dict(status.usage) if status.usage else None
    return event


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
    if status == "success" and not event.get("file_id") and event.get("api_version", "v1") == "v1":
        raise HailuoError(
            f"Hailuo trigger event for task {event['video_task_id']} reports success without a file_id"
        )
    return event  # type: ignore[return-value]


def failure_for_event(event: WaitEvent, *, retry_reattaches: bool = True) -> HailuoError:
    """Turn an ``error``/``timeout`` event into the exception that tells the user what to do.

    ``retry_reattaches``: whether a retry of the task finds this video again (see ``raise_for_airflow``).
    """
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
                f"{message}. The video may still finish"
                + ("; a retry re-attaches to it." if retry_reattaches else "."),
                video_task_id=task_id,
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


def raise_for_airflow(err: HailuoError, *, retry_reattaches: bool = True) -> NoReturn:
    """Permanent errors end the task without Airflow retries; transient ones let retries happen.

    ``retry_reattaches=False`` says a retry could not find the video this try submitted (Airflow
    before 3.3 has no task state store): a wait that failed or timed out then ends the task for good,
    naming the video and the sensor call that picks it up, because the retry would pay for a new one.
    A video that itself failed is not a lost wait: a retry submitting a new one is what it needs.
    """
    if err.permanent:
        raise AirflowFailException(str(err)) from err
    if not retry_reattaches and err.video_task_id and not isinstance(err, HailuoVideoGenerationFailedError):
        task_id = err.video_task_id
        raise AirflowFailException(
            f"{err} Not retrying: this Airflow has no task state store (it arrived in 3.3), so a retry could "
            f"not re-attach to Hailuo video task {task_id} and would pay for a new video. The video may "
            f"still finish: pick it up with {sensor_call(task_id)}."
        ) from err
    raise err
