"""HailuoVideoGenerationOperator: submit a video, then wait in the triggerer or the worker.

The Hailuo task id is recorded the moment it exists (XCom, a log line and, on Airflow 3.3+, the task
state store) because MiniMax has no idempotency key and v1 no list endpoint: an id that is lost is a
video paid for and orphaned. A retry reads the id back and re-attaches instead of paying again; on
MiniMax-H3 (v2) the task list finds a video whose id was lost (:mod:`airflow_provider_hailuo.reconcile`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator, conf

from airflow_provider_hailuo.catalogue import DEFAULT_MODEL, api_version_for, get_model, get_v2_model
from airflow_provider_hailuo.exceptions import (
    HailuoAPIError,
    HailuoError,
    HailuoWaitTimeoutError,
)
from airflow_provider_hailuo.fingerprint import request_fingerprint
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.operators import capacity
from airflow_provider_hailuo.operators.cost_check import check_cost
from airflow_provider_hailuo.outcomes import (
    failure_for_event,
    raise_for_airflow,
    status_event,
    validate_event,
)
from airflow_provider_hailuo.protocol import VideoGenerationStatus, VideoStatus, task_ref
from airflow_provider_hailuo.reconcile import (
    CLOCK_SLACK_SECONDS,
    UnresolvedCreateError,
    adopt_ambiguous_create,
    find_earlier_video,
    lists_tasks,
)
from airflow_provider_hailuo.redaction import redact_callback_url, redact_image_reference
from airflow_provider_hailuo.request import prepare_video_generation_payload
from airflow_provider_hailuo.retry import create_may_have_happened
from airflow_provider_hailuo.shapes import VideoResult, video_result
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger
from airflow_provider_hailuo.waiting import ends_wait, sensor_call

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_hailuo.protocol.v2 import ListedTask

#: Key of the Hailuo task id in the task state store. Renaming it breaks re-attach of in-flight retries.
STATE_KEY = "hailuo_video_task_id"
_IMAGE_FIELDS = (
    "first_frame_image",
    "last_frame_image",
    "subject_reference",
    "reference_images",
    "reference_videos",
    "reference_audios",
)
#: What decides which video a request makes; a re-attached video must have been made from the same.
_REQUEST_FIELDS = (
    "model",
    "prompt",
    "duration",
    "resolution",
    "prompt_optimizer",
    "fast_pretreatment",
    *_IMAGE_FIELDS,
    "callback_url",
    "aigc_watermark",
    "extra_params",
    "ratio",
    "prompt_expansion_mode",
)
#: Fields masked in the rendered fields (stored in the metadata DB, shown in the UI) and logs.
_MASKED_FIELDS: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(_IMAGE_FIELDS, redact_image_reference),
    "callback_url": redact_callback_url,
}
#: Shown for each mapped instance in the UI instead of a bare index.
DEFAULT_MAP_INDEX_TEMPLATE = "{{ task.map_index_label }}"
DEFAULT_TIMEOUT = 3600.0


def _has_state_store(context: Context) -> bool:
    """The task state store (Airflow 3.3+) is what lets a retry re-attach instead of paying again."""
    return context.get("task_state_store") is not None  # type: ignore[call-overload]


def _seconds(value: timedelta | float | int | None, name: str) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds <= 0:
        raise ValueError(f"{name}: must be positive, got {value!r}")
    return seconds


class HailuoVideoGenerationOperator(BaseOperator):
    """Generate a video with MiniMax Hailuo (text, image, first+last frame or subject reference).

    Returns (XCom) a small dict: ``video_task_id``, ``status``, ``file_id``, ``video_width``,
    ``video_height``, ``model``, ``resolution``, ``duration``, ``estimated_cost``, ``currency``. Feed it
    to ``HailuoToS3Operator``.

    :param prompt: what the video shows; may hold camera commands such as ``[Push in]`` / ``[推进]``.
    :param model: a MiniMax model name (default ``MiniMax-Hailuo-02``).
    :param duration: seconds, 6 or 10 where the model allows it; None sends none (MiniMax's default, 6 s).
    :param resolution: ``512P``, ``720P``, ``768P`` or ``1080P``; default the model's.
    :param first_frame_image: local path, bytes, http(s) URL, data URL or ``s3://bucket/key``.
    :param last_frame_image: same forms; with ``first_frame_image`` on MiniMax-Hailuo-02.
    :param subject_reference: one character image (S2V-01), any of the image forms or the API's list shape.
    :param ratio: MiniMax-H3 only: ``16:9``, ``9:16``, ``1:1``, ``4:3``, ``3:4``, ``21:9`` or ``adaptive``.
    :param reference_images: MiniMax-H3 only: up to 9 images (any image form, or ``mm_file://<id>``).
    :param reference_videos: MiniMax-H3 only: up to 3 MP4 videos, in any image form or ``mm_file://``; what
        the worker can read is checked against MiniMax's media limits first.
    :param reference_audios: MiniMax-H3 only: up to 3 WAV/MP3 audios, in the same forms, beside at least one
        reference image or video.
    :param prompt_expansion_mode: MiniMax-H3-Max only: ``disabled``, ``balanced`` or ``quality``.
    :param callback_url: MiniMax posts status changes here (see the callbacks docs).
    :param extra_params: fields passed through as-is, for fields MiniMax adds later.
    :param wait_for_completion: False returns as soon as the task is submitted.
    :param deferrable: wait in the triggerer, freeing the worker slot.
    :param poll_interval: seconds between status checks.
    :param timeout: seconds to wait for the video before failing (the task keeps its id; a retry re-attaches).
    :param aws_conn_id: AWS connection for ``s3://`` images.
    :param max_estimated_cost: refuse (before submitting) a request whose estimated cost, in the
        currency of the connection's region, is above this, or that no price row covers (docs/costs.md).
    :param capacity_timeout: seconds, in all, to wait for room while MiniMax refuses the create for capacity.
    """

    template_fields: Sequence[str] = (
        "prompt",
        "model",
        "duration",
        "resolution",
        "first_frame_image",
        "last_frame_image",
        "subject_reference",
        "ratio",
        "reference_images",
        "reference_videos",
        "reference_audios",
        "prompt_expansion_mode",
        "callback_url",
        "prompt_optimizer",
        "fast_pretreatment",
        "aigc_watermark",
        "extra_params",
        "hailuo_conn_id",
        "aws_conn_id",
    )
    template_fields_renderers = {"extra_params": "json"}
    ui_color = "#d9f0ff"
    #: Rendered fields masked before they are stored (subclasses with other media fields extend it).
    masked_fields: Mapping[str, Callable[[Any], Any]] = _MASKED_FIELDS

    def __init__(
        self,
        *,
        prompt: str | None = None,
        model: str = DEFAULT_MODEL,
        duration: int | str | None = None,
        resolution: str | None = None,
        prompt_optimizer: bool | None = None,
        fast_pretreatment: bool | None = None,
        first_frame_image: Any = None,
        last_frame_image: Any = None,
        subject_reference: Any = None,
        callback_url: str | None = None,
        aigc_watermark: bool | None = None,
        extra_params: dict[str, Any] | None = None,
        ratio: str | None = None,
        reference_images: list[Any] | None = None,
        reference_videos: list[Any] | None = None,
        reference_audios: list[Any] | None = None,
        prompt_expansion_mode: str | None = None,
        hailuo_conn_id: str = HailuoHook.default_conn_name,
        aws_conn_id: str | None = "aws_default",
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: timedelta | float | None = DEFAULT_TIMEOUT,
        map_index_template: str | None = DEFAULT_MAP_INDEX_TEMPLATE,
        max_estimated_cost: float | None = None,
        capacity_timeout: timedelta | float | None = capacity.DEFAULT_CAPACITY_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        super().__init__(map_index_template=map_index_template, **kwargs)
        self.prompt = prompt
        self.model = model
        self.duration = duration
        self.resolution = resolution
        self.prompt_optimizer = prompt_optimizer
        self.fast_pretreatment = fast_pretreatment
        self.first_frame_image = first_frame_image
        self.last_frame_image = last_frame_image
        self.subject_reference = subject_reference
        self.callback_url = callback_url
        self.aigc_watermark = aigc_watermark
        self.extra_params = extra_params
        self.ratio = ratio
        self.reference_images = reference_images
        self.reference_videos = reference_videos
        self.reference_audios = reference_audios
        self.prompt_expansion_mode = prompt_expansion_mode
        self.hailuo_conn_id = hailuo_conn_id
        self.aws_conn_id = aws_conn_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = _seconds(poll_interval, "poll_interval") or 10.0
        self.timeout = _seconds(timeout, "timeout")
        self.capacity_timeout = _seconds(capacity_timeout, "capacity_timeout")
        if max_estimated_cost is not None and (
            isinstance(max_estimated_cost, bool) or max_estimated_cost < 0
        ):
            raise ValueError(f"max_estimated_cost: must be a number >= 0, got {max_estimated_cost!r}")
        self.max_estimated_cost = max_estimated_cost
        #: (task id, API version) while the worker waits for it, so ``on_kill`` can cancel a queued v2 video.
        self._waiting_on: tuple[str, str] | None = None

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:  # type: ignore[override]
        """Mapped instances get a readable label by default.

        Airflow 3.3 reads the ``map_index_template`` default from ``__init__``; 3.0-3.2 only take what
        ``partial()`` receives, so the default is put there, for every version.
        """
        kwargs.setdefault("map_index_template", DEFAULT_MAP_INDEX_TEMPLATE)
        return super().partial(**kwargs)

    # -- presentation ---------------------------------------------------------------------------
    @property
    def map_index_label(self) -> str:
        """A short label for mapped instances: the start of the prompt, or what the video is made from."""
        prompt = " ".join(str(self.prompt or "").split())
        if prompt:
            return prompt if len(prompt) <= 48 else prompt[:47] + "…"
        if self.subject_reference:
            return f"{self.model}: subject reference"
        return f"{self.model}: image to video"

    def _do_render_template_fields(
        self,
        parent: Any,
        template_fields: Iterable[str],
        context: Context,
        jinja_env: Any,
        seen_oids: set[int],
    ) -> None:
        """Render, then keep base64, raw bytes, signatures and callback tokens out of the rendered fields
        stored and shown in the UI.

        Hooked here rather than in ``render_template_fields`` because a mapped task renders its unmapped
        copy through this method only.
        """
        super()._do_render_template_fields(parent, template_fields, context, jinja_env, seen_oids)
        if parent is not self:  # a nested object being rendered, not this operator
            return
        self._unmasked_values = {name: getattr(self, name) for name in self.masked_fields}
        for name, mask in self.masked_fields.items():
            setattr(self, name, mask(self._unmasked_values[name]))

    def _unmasked(self, name: str) -> Any:
        """A field as rendered, before masking: what is sent to MiniMax."""
        return getattr(self, "_unmasked_values", {}).get(name, getattr(self, name))

    @cached_property
    def hook(self) -> HailuoHook:
        return HailuoHook(hailuo_conn_id=self.hailuo_conn_id)

    # -- execution ------------------------------------------------------------------------------
    def _payload(self) -> dict[str, Any]:
        try:
            return prepare_video_generation_payload(
                model=self.model,
                prompt=self.prompt,
                duration=self.duration,
                resolution=self.resolution,
                prompt_optimizer=self.prompt_optimizer,
                fast_pretreatment=self.fast_pretreatment,
                first_frame_image=self._unmasked("first_frame_image"),
                last_frame_image=self._unmasked("last_frame_image"),
                subject_reference=self._unmasked("subject_reference"),
                callback_url=self._unmasked("callback_url"),
                aigc_watermark=self.aigc_watermark,
                extra_params=self.extra_params,
                aws_conn_id=self.aws_conn_id,
                ratio=self.ratio,
                reference_images=self._unmasked("reference_images"),
                reference_videos=self._unmasked("reference_videos"),
                reference_audios=self._unmasked("reference_audios"),
                prompt_expansion_mode=self.prompt_expansion_mode,
            )
        except ValueError as err:
            # Bad input is not fixed by a retry: fail now, before any money is spent.
            raise AirflowFailException(f"Invalid Hailuo request: {err}") from err

    def _result(self, payload: Mapping[str, Any], event: Mapping[str, Any], status: str) -> VideoResult:
        model, resolution = payload.get("model"), payload.get("resolution")
        spec = get_model(str(model)) or get_v2_model(str(model))
        result = video_result(
            dict(event),
            status,
            model=str(model) if model else None,
            resolution=str(resolution) if resolution else (spec.default_resolution if spec else None),
            duration=int(payload.get("duration") or 6),
            api_version=self._api_version(payload),
        )
        result["estimated_cost"] = payload.get("estimated_cost")
        result["currency"] = payload.get("currency")
        return result

    def _api_version(self, summary: Mapping[str, Any]) -> str:
        """The API a (possibly re-attached) task lives on: what was recorded, else the model's."""
        return str(summary.get("api_version") or api_version_for(summary.get("model") or self.model))

    def _request_fingerprint(self) -> str:
        """What a re-attached video must have been made from (:mod:`airflow_provider_hailuo.fingerprint`)."""
        return request_fingerprint(
            {name: self._unmasked(name) for name in _REQUEST_FIELDS}, image_fields=_IMAGE_FIELDS
        )

    def _reattach(
        self, store: Any, fingerprint: str
    ) -> tuple[str, VideoGenerationStatus, dict[str, Any]] | None:
        """The video an earlier try of this task instance submitted, if it may still be used."""
        prior = store.get(STATE_KEY) if store is not None else None
        if isinstance(prior, Mapping):
            prior_id, prior_fp = prior.get("video_task_id"), prior.get("request")
            summary = dict(prior.get("summary") or {})
        else:  # a bare id, as written by 0.1.0
            prior_id, prior_fp, summary = prior, None, {}
        if not prior_id:
            return None
        if prior_fp is not None and prior_fp != fingerprint:
            self.log.warning(
                "Hailuo task %s was submitted by an earlier try of this task with other parameters (prompt, "
                "model, images or options changed since, e.g. after a clear); submitting a new video for the "
                "current ones",
                prior_id,
            )
            return None
        try:
            status = self.hook.get_video_generation(str(prior_id), api_version=self._api_version(summary))
        except HailuoAPIError as err:
            if err.code != 2013:
                raise
            self.log.warning(
                "Stored Hailuo task %s is unknown to MiniMax (%s); submitting anew", prior_id, err
            )
            return None
        if status.status is VideoStatus.FAIL:
            self.log.warning("Stored Hailuo task %s failed earlier; submitting a new video", prior_id)
            return None
        self.log.info(
            "Re-attaching to Hailuo video task %s (status %s) instead of submitting again",
            prior_id,
            status.status.value,
        )
        return str(prior_id), status, summary or {"model": self.model, "api_version": self._api_version({})}

    def _submit_or_reattach(
        self, context: Context
    ) -> tuple[str, VideoGenerationStatus | None, dict[str, Any]]:
        store = context.get("task_state_store")  # type: ignore[call-overload]
        if store is None and not lists_tasks(self.model):
            self.log.warning(
                "This Airflow has no task state store (it arrived in 3.3): a retry could not re-attach to the "
                "video this try submits, so a failed or timed-out wait ends the task without retries."
            )
        fingerprint = self._request_fingerprint()
        reattached = self._reattach(store, fingerprint)
        if reattached is not None:
            task_id, status, summary = reattached
            context["ti"].xcom_push(key="video_task_id", value=task_id)
            return task_id, status, summary
        payload = self._payload()  # validates (and reads images) only when a video is really submitted
        summary = {**self._summary(payload), **self._estimate(payload)}
        match = self._listing_match(payload)
        earlier = self._earlier_video(context, store, match)
        if earlier is not None:
            context["ti"].xcom_push(key="video_task_id", value=earlier.video_task_id)
            return earlier.video_task_id, earlier.status, summary
        sent_at = time.time()
        try:
            task_id = self._create(payload)
        except HailuoError as err:
            if not create_may_have_happened(err):
                raise
            # A task may exist: never pay twice. v2 finds it in its task list; v1 cannot look.
            try:
                task_id = adopt_ambiguous_create(
                    self.hook, match, err, sent_at=sent_at, then="clear this task to submit again"
                )
            except UnresolvedCreateError as unresolved:
                raise AirflowFailException(str(unresolved)) from err
        del payload, match
        self.log.info("Submitted Hailuo video task %s", task_id)  # before anything else can fail
        try:
            if store is not None:
                store.set(STATE_KEY, {"video_task_id": task_id, "request": fingerprint, "summary": summary})
            context["ti"].xcom_push(key="video_task_id", value=task_id)
        except Exception as err:
            # Without the record a retry could not re-attach and would pay for a second video.
            call = sensor_call(task_ref(task_id, summary.get("api_version")))
            raise AirflowFailException(
                f"Hailuo video task {task_id} was submitted (and is billed) but could not be recorded ({err}). "
                f"Not retrying, to avoid paying for a second video: wait for it with {call}."
            ) from err
        return task_id, None, summary

    def _create(self, payload: Mapping[str, Any]) -> str:
        """The paid call; subclasses for v2's other kinds of task post elsewhere."""
        return self.hook.create_video_generation_from_payload(payload)

    def _listing_match(self, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        """What a listed v2 task must share with this request to be its video (``protocol.v2.made_from``)."""
        return payload

    def _earlier_video(self, context: Context, store: Any, payload: Mapping[str, Any]) -> ListedTask | None:
        """On a retry without a task state store (Airflow < 3.3), the video an earlier try submitted.

        Only v2 can look (its task list, searched since the DAG run started); v1 submits anew.
        """
        try_number = getattr(context.get("ti"), "try_number", None)
        started = getattr(context.get("dag_run"), "start_date", None)
        if store is not None or not lists_tasks(payload.get("model")) or not isinstance(started, datetime):
            return None
        if not isinstance(try_number, int) or try_number < 2:
            return None
        since = started.timestamp() - CLOCK_SLACK_SECONDS
        try:
            found = find_earlier_video(self.hook, payload, since=since, until=time.time())
        except UnresolvedCreateError as err:
            raise AirflowFailException(str(err)) from err
        if found is not None:
            self.log.warning(
                "Try %s: the v2 task list shows video task %s (%s) made by an earlier try with these parameters; "
                "re-attaching to it instead of paying again",
                try_number,
                found.video_task_id,
                found.status.raw_status,
            )
        return found

    def execute(self, context: Context) -> VideoResult:
        try:
            return self._execute(context)
        except HailuoError as err:
            raise_for_airflow(err, retry_reattaches=self._retry_reattaches(context))

    def _retry_reattaches(self, context: Context) -> bool:
        """A retry finds the video again through the task state store (3.3+) or, on v2, the task list."""
        return _has_state_store(context) or lists_tasks(self.model)

    def _execute(self, context: Context) -> VideoResult:
        task_id, status, summary = capacity.submit_within_capacity(self, context)
        self.log.info(
            "Hailuo video task %s: model %s, %s, %s s. Track it with %s.",
            task_id,
            summary.get("model"),
            summary.get("resolution", "default resolution"),
            summary.get("duration", 6),
            sensor_call(task_ref(task_id, summary.get("api_version"))),
        )
        if not self.wait_for_completion:
            return self._result(summary, {"video_task_id": task_id}, "Submitted")
        if status is not None and status.is_terminal:
            return self._finish(summary, status_event(status))
        api_version = self._api_version(summary)
        if not self.deferrable:
            self._waiting_on = (task_id, api_version)
            try:
                final = self.hook.wait_for_video_generation(
                    task_id, poll_interval=self.poll_interval, timeout=self.timeout, api_version=api_version
                )
            except HailuoWaitTimeoutError:
                if api_version == "v2":  # nobody waits for it any more: stop paying if it has not started
                    self.hook.cancel_if_queued(task_id)
                raise
            finally:
                self._waiting_on = None
            return self._finish(summary, status_event(final))
        if status is None:  # one look first: a video that is already done needs no trip to the triggerer
            try:
                status = self.hook.get_video_generation_once(task_id, api_version=api_version)
            except HailuoError as err:
                if ends_wait(err):
                    raise
                self.log.warning(
                    "First status check of %s failed (%s); the trigger keeps trying", task_id, err
                )
            if status is not None and status.is_terminal:
                return self._finish(summary, status_event(status))
        end_time = time.time() + self.timeout if self.timeout else None
        backstop = timedelta(seconds=(self.timeout or 7 * 86400) + self.poll_interval + 60)
        self.defer(
            trigger=HailuoVideoGenerationTrigger(
                video_task_id=task_id,
                hailuo_conn_id=self.hailuo_conn_id,
                poll_interval=self.poll_interval,
                end_time=end_time,
                started_at=time.time(),
                api_version=api_version,
                summary=summary,
            ),
            method_name="execute_complete",
            kwargs={"payload_summary": summary},
            timeout=backstop,
        )

    def _estimate(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Log the expected bill and enforce ``max_estimated_cost`` before submitting (:mod:`.cost_check`)."""
        return check_cost(self, payload)

    def on_kill(self) -> None:
        """A kill or clear while waiting in the worker: cancel a still-queued v2 video (v1 cannot)."""
        waiting_on = getattr(self, "_waiting_on", None)
        if waiting_on is not None and waiting_on[1] == "v2":
            self.hook.cancel_if_queued(waiting_on[0])

    @staticmethod
    def _summary(payload: Mapping[str, Any]) -> dict[str, Any]:
        """What execute_complete needs from the payload, without prompts or images (kept out of the DB)."""
        summary = {k: payload[k] for k in ("model", "resolution", "duration") if k in payload}
        summary["api_version"] = api_version_for(payload.get("model"))
        return summary

    def _finish(
        self, payload: Mapping[str, Any], event: Mapping[str, Any], retry_reattaches: bool = True
    ) -> VideoResult:
        event = validate_event(dict(event))
        if event["status"] == "success":
            self.log.info(
                "Hailuo video task %s succeeded: file %s (%sx%s)%s",
                event["video_task_id"],
                event["file_id"],
                event.get("video_width"),
                event.get("video_height"),
                f", usage {event.get('usage')}" if event.get("usage") else "",
            )
            return self._result(payload, event, VideoStatus.SUCCESS.value)
        raise failure_for_event(event, retry_reattaches=retry_reattaches)

    execute_after_capacity = capacity.resume_after_capacity  # back from HailuoCapacityTrigger

    def execute_complete(
        self,
        context: Context,
        event: dict[str, Any] | None = None,
        payload_summary: dict[str, Any] | None = None,
    ) -> VideoResult:
        reattaches = self._retry_reattaches(context)
        try:
            echoed = event.get("summary") if isinstance(event, dict) else None
            summary = payload_summary or echoed or {"model": self.model}
            return self._finish(summary, validate_event(event), reattaches)
        except HailuoError as err:
            raise_for_airflow(err, retry_reattaches=reattaches)
