"""HailuoCallbackBackstopOperator: finish a video whose final callback push was lost.

MiniMax pushes each status once and documents no retries: a push that meets a stopped api-server, a
503 or a network cut is gone, and a video submitted with ``wait_for_completion=False`` would then never
be moved. The backstop runs beside each submission, waits in the triggerer at a low polling rate (one
query every 15 minutes by default, no worker slot), and once the video is final delivers its final
status to the same callback URL, in MiniMax's own push format.

Nothing is done twice: the receiver keeps one asset event per task id and final status (the DB sink's
dedupe, under a row lock), so when MiniMax's push did arrive the backstop's is answered ``duplicate``
and nothing new happens; when it was lost, the backstop's creates the event and the downstream DAG
moves the video, once. The delivery goes through the receiver's own checks (token, size, parsing), so
the backstop needs no database access and no other credentials than the URL.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import requests
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, BaseOperator

from airflow_provider_hailuo.callbacks.assets import BACKSTOP_SOURCE
from airflow_provider_hailuo.exceptions import HailuoError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.outcomes import (
    REASON_POLLING_FAILED,
    failure_for_event,
    raise_for_airflow,
    validate_event,
)
from airflow_provider_hailuo.protocol import split_task_ref
from airflow_provider_hailuo.redaction import redact_callback_url
from airflow_provider_hailuo.shapes import WaitEvent
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger
from airflow_provider_hailuo.validation import validate_video_task_id

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

__all__ = ["DEFAULT_BACKSTOP_POLL_INTERVAL", "HailuoCallbackBackstopOperator", "push_body"]

#: A push is normally lost rarely; a video found 15 minutes late is still well within its URL's hour.
DEFAULT_BACKSTOP_POLL_INTERVAL = 900.0
DEFAULT_BACKSTOP_TIMEOUT = 24 * 3600.0


def push_body(event: WaitEvent) -> dict[str, Any]:
    """The final status as MiniMax pushes it (a query answer with a lowercase status), marked as ours.

    A MiniMax-H3 (v2) task gets v2's ``{"task": ...}`` shape, without the video URL (the receiver keeps
    none: it is signed, and the transfer queries the task again).
    """
    ok = event["status"] == "success"
    code = event.get("error_code")
    if event.get("api_version") == "v2":
        task: dict[str, Any] = {"id": event["video_task_id"], "status": "succeeded" if ok else "failed"}
        if not ok:
            task["error"] = {"code": str(code) if code else "", "message": str(event.get("message") or "")}
        return {"task": task, "source": BACKSTOP_SOURCE}
    return {
        "task_id": event["video_task_id"],
        "status": "success" if ok else "failed",
        "file_id": event.get("file_id") or "",
        "video_width": event.get("video_width") or 0,
        "video_height": event.get("video_height") or 0,
        "base_resp": {
            "status_code": code if isinstance(code, int) and not ok else 0,
            "status_msg": "success" if ok else str(event.get("message") or ""),
        },
        "source": BACKSTOP_SOURCE,
    }


def _task_of(value: Any) -> tuple[str, str]:
    """(task id, API version) of the id itself (``v2:<id>`` for MiniMax-H3), or of the generation
    operator's result dict."""
    api_version = "v1"
    if isinstance(value, Mapping):
        api_version = str(value.get("api_version") or "v1")
        value = value.get("video_task_id")
    try:
        task_id, ref_version = split_task_ref(value) if isinstance(value, str) else (value, "v1")
        task_id = validate_video_task_id(task_id, field="video_task_id")
    except ValueError as err:
        raise AirflowFailException(str(err)) from None
    return task_id, ref_version if ref_version != "v1" else api_version


def _pushed_id(body: Mapping[str, Any]) -> object:
    task = body.get("task")
    return task.get("id") if isinstance(task, Mapping) else body.get("task_id")


class HailuoCallbackBackstopOperator(BaseOperator):
    """Wait for a video at a low rate and deliver its final status to the callback receiver.

    :param video_task_id: the Hailuo task id, or the generation operator's result dict (templated).
    :param callback_url: where to deliver: the ``callback_url`` the video was submitted with, or the
        api-server's internal address with the same path if workers cannot reach the public one (templated).
    :param poll_interval: seconds between status checks in the triggerer (default 900).
    :param timeout: seconds to wait for the video before failing (default one day).
    :param request_timeout: seconds for the delivery request.
    """

    template_fields: Sequence[str] = ("video_task_id", "callback_url", "hailuo_conn_id")
    ui_color = "#f3e6ff"

    def __init__(
        self,
        *,
        video_task_id: Any,
        callback_url: str,
        hailuo_conn_id: str = HailuoHook.default_conn_name,
        poll_interval: float = DEFAULT_BACKSTOP_POLL_INTERVAL,
        timeout: float = DEFAULT_BACKSTOP_TIMEOUT,
        request_timeout: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if float(poll_interval) <= 0 or float(timeout) <= 0:
            raise ValueError("poll_interval and timeout must be positive seconds")
        self.video_task_id = video_task_id
        self.callback_url = callback_url
        self.hailuo_conn_id = hailuo_conn_id
        self.poll_interval = float(poll_interval)
        self.timeout = float(timeout)
        self.request_timeout = float(request_timeout)

    def execute(self, context: Context) -> None:
        task_id, api_version = _task_of(self.video_task_id)
        self.log.info(
            "Backstop for Hailuo task %s: checking it every %.0fs; once it is final its status goes to %s "
            "(a duplicate if MiniMax's push arrived)",
            task_id,
            self.poll_interval,
            redact_callback_url(self.callback_url),
        )
        self.defer(
            trigger=HailuoVideoGenerationTrigger(
                video_task_id=task_id,
                hailuo_conn_id=self.hailuo_conn_id,
                poll_interval=self.poll_interval,
                end_time=time.time() + self.timeout,
                api_version=api_version,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout + self.poll_interval + 60),
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            checked = validate_event(event)
        except HailuoError as err:
            raise AirflowException(str(err)) from err
        task_id = checked["video_task_id"]
        if checked["status"] == "timeout":
            raise AirflowFailException(
                f"Hailuo video task {task_id} was not finished after {self.timeout:.0f}s: nothing was "
                f"delivered. Check it with 'hailuo status {task_id}'."
            )
        if checked["status"] == "error" and checked.get("reason") == REASON_POLLING_FAILED:
            raise_for_airflow(failure_for_event(checked))  # the wait failed, not the video: retry
        body = push_body(checked)
        outcome = self._deliver(body)
        if outcome == "created":
            self.log.warning(
                "MiniMax's final push for Hailuo task %s (%s) never arrived: the backstop delivered it",
                task_id,
                checked["status"],
            )
        else:
            self.log.info(
                "Hailuo task %s is %s; MiniMax's push had already been recorded (%s): nothing to do",
                task_id,
                checked["status"],
                outcome,
            )
        return {"video_task_id": task_id, "status": checked["status"], "delivery": outcome}

    def _deliver(self, body: Mapping[str, Any]) -> str:
        """POST the push; the receiver answers ``created`` or ``duplicate``. Failures are retryable."""
        where = redact_callback_url(self.callback_url)
        try:
            answer = requests.post(self.callback_url, json=dict(body), timeout=self.request_timeout)
        except requests.RequestException as err:
            raise AirflowException(
                f"Could not deliver Hailuo task {_pushed_id(body)}'s final status to {where}: "
                f"{type(err).__name__}. A retry delivers it."
            ) from None
        if answer.status_code != 200:
            raise AirflowException(
                f"The callback receiver at {where} answered HTTP {answer.status_code} for Hailuo task "
                f"{_pushed_id(body)}: {answer.text[:200]}. A retry delivers it."
            )
        try:
            outcome = answer.json().get("event")
        except (ValueError, AttributeError):
            outcome = None
        if outcome not in ("created", "duplicate"):
            raise AirflowException(
                f"{where} is not the Hailuo callback receiver (answer {answer.text[:200]!r})"
            )
        return str(outcome)
