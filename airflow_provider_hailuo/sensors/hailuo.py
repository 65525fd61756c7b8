"""HailuoVideoGenerationSensor: wait for a video submitted elsewhere (submit now, wait later).

Poke and reschedule modes query once per poke; deferrable mode hands the wait to the same trigger the
operator uses, and every mode returns the same small dict.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_provider_hailuo.exceptions import HailuoError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.outcomes import (
    REASON_POLLING_FAILED,
    failure_for_event,
    raise_for_airflow,
    status_event,
    validate_event,
)
from airflow_provider_hailuo.protocol import VideoStatus, split_task_ref, task_ref
from airflow_provider_hailuo.shapes import VideoResult, WaitEvent, video_result
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger
from airflow_provider_hailuo.waiting import StatusWatcher

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


def _task_of(value: Any) -> tuple[str, str]:
    """``(task id, API version)`` from the id, ``v2:<id>`` (MiniMax-H3) or the generation operator's result."""
    recorded = None
    if isinstance(value, Mapping):
        recorded = value.get("api_version")
        value = value.get("video_task_id")
    task_id, api_version = split_task_ref(value)
    if api_version == "v1" and recorded == "v2":  # the operator's result names its API
        api_version = "v2"
    if not task_id.isdigit():
        raise AirflowFailException(
            "video_task_id: expected a Hailuo task id (digits; v2:<digits> for a MiniMax-H3 video), or the "
            f"generation operator's result, got {value!r}"
        )
    return task_id, api_version


class HailuoVideoGenerationSensor(BaseSensorOperator):
    """Wait until a Hailuo video task succeeds; fail clearly when it fails.

    :param video_task_id: the Hailuo task id (templated): digits for a v1 model, ``v2:<id>`` for a
        MiniMax-H3 video, or the generation operator's result dict (which names its API).
    :param deferrable: wait in the triggerer.
    """

    template_fields: Sequence[str] = ("video_task_id", "hailuo_conn_id")

    def __init__(
        self,
        *,
        video_task_id: Any,
        hailuo_conn_id: str = HailuoHook.default_conn_name,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 10.0)
        super().__init__(**kwargs)
        self.video_task_id = video_task_id
        self.hailuo_conn_id = hailuo_conn_id
        self.deferrable = deferrable

    @cached_property
    def hook(self) -> HailuoHook:
        return HailuoHook(hailuo_conn_id=self.hailuo_conn_id)

    def _result(self, event: WaitEvent) -> VideoResult:
        """The generation operator's result shape; what was requested is unknown here, so None."""
        return video_result(event, VideoStatus.SUCCESS.value, api_version=_task_of(self.video_task_id)[1])

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        task_id, api_version = _task_of(self.video_task_id)
        try:
            result = self.poke(context)
        except (AirflowSensorTimeout, AirflowFailException) as err:
            # BaseSensorOperator.execute, which applies soft_fail, is bypassed on this path: apply it here.
            if self.soft_fail or getattr(self, "never_fail", False):
                raise AirflowSkipException(f"Skipping (soft_fail): {err}") from err
            raise
        if result and result.is_done:  # type: ignore[union-attr]
            return result.xcom_value  # type: ignore[union-attr]
        timeout = float(self.timeout) if self.timeout else None
        self.defer(
            trigger=HailuoVideoGenerationTrigger(
                video_task_id=task_id,
                hailuo_conn_id=self.hailuo_conn_id,
                poll_interval=float(self.poke_interval),
                end_time=time.time() + timeout if timeout else None,
                api_version=api_version,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=timeout + float(self.poke_interval) + 60) if timeout else None,
        )

    @cached_property
    def _watcher(self) -> StatusWatcher:
        """The wait policy across the pokes of one run; the sensor's own ``timeout`` is the deadline."""
        return StatusWatcher(task_ref(*_task_of(self.video_task_id)), poll_interval=float(self.poke_interval))

    def poke(self, context: Context) -> PokeReturnValue | bool:
        task_id, api_version = _task_of(self.video_task_id)
        try:
            status = self.hook.get_video_generation_once(task_id, api_version=api_version)
        except HailuoError as err:
            try:
                line = self._watcher.record_failure(err)
            except HailuoError:
                raise_for_airflow(err)  # an answer waiting cannot change (a bad key, an unknown task)
            if line:
                self.log.warning("%s", line)
            return False
        line = self._watcher.record(status)
        if line:
            self.log.info("%s", line)
        if not status.is_terminal:
            return False
        event = validate_event(status_event(status))
        if event["status"] != "success":
            try:
                raise failure_for_event(event)
            except HailuoError as err:
                raise AirflowFailException(str(err)) from err
        return PokeReturnValue(is_done=True, xcom_value=self._result(event))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> VideoResult:
        checked = validate_event(event)
        if checked["status"] == "success":
            return self._result(checked)
        err = failure_for_event(checked)
        if checked["status"] == "timeout":
            # As in poke and reschedule mode: a sensor's timeout is final, not retried with a fresh clock.
            raise AirflowSensorTimeout(str(err)) from err
        if checked.get("reason") == REASON_POLLING_FAILED:
            raise_for_airflow(err)  # the wait failed, not the video: retries may help
        raise AirflowFailException(str(err)) from err
