"""HailuoPromptEnhancementOperator: MiniMax-H3's prompt enhancement (Context-IR, ``POST /v2/h3_context_ir``).

Context-IR turns a short prompt and its media into the shot-by-shot prompt H3 works from. It makes no
video and costs little (tokens), so a DAG can read, log or review the enhanced prompt before paying
for the video: the operator returns it as its XCom value, for ``prompt=enhance.output`` of a
generation (or of a form B regeneration, whose text must be the final prompt). The task id goes to
the ``video_task_id`` XCom key, as with every H3 task. Only the task id, never the prompt, goes through
the trigger: the prompt is read by querying the task once it has succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from airflow.providers.common.compat.sdk import conf

from airflow_provider_hailuo.exceptions import HailuoMalformedResponseError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.operators.h3_task import H3TaskOperator, refuse_generation_params
from airflow_provider_hailuo.operators.hailuo import DEFAULT_MAP_INDEX_TEMPLATE, DEFAULT_TIMEOUT
from airflow_provider_hailuo.outcomes import failure_for_event, validate_event
from airflow_provider_hailuo.request import prepare_context_ir_body
from airflow_provider_hailuo.validation_h3_tasks import CONTENT_FIELDS, H3_TASK_MODEL

#: How much of the enhanced prompt the task log shows.
LOGGED_PROMPT_CHARS = 200


class HailuoPromptEnhancementOperator(H3TaskOperator):
    """Enhance a MiniMax-H3 prompt with Context-IR; returns (XCom) the enhanced prompt string.

    Takes a generation's content parameters: ``prompt`` (up to 7,000 characters), the frames or
    references the video will use, ``duration`` (4-15 s) and ``ratio`` (text alone needs a concrete one).
    Only ``MiniMax-H3`` is accepted; there is no resolution or watermark. The task id is pushed under the
    XCom key ``video_task_id``; the log shows the enhanced prompt's length and its first 200 characters.

    :param prompt: the prompt to enhance.
    :param duration: seconds of the video the prompt is for, 4 to 15 (default 6).
    :param ratio: ``16:9``, ``9:16``, ``1:1``, ``4:3``, ``3:4``, ``21:9`` or ``adaptive``.
    :param first_frame_image: any image form (path, bytes, http(s), data URL, ``s3://``, ``mm_file://``).
    :param last_frame_image: same forms.
    :param reference_images: up to 9 images.
    :param reference_videos: up to 3 videos (http(s) URL, ``mm_file://`` or an mp4 data URL).
    :param reference_audios: up to 3 audios, beside a reference image or video.
    :param callback_url: MiniMax posts status changes here.
    :param deferrable: wait in the triggerer, freeing the worker slot.
    :param poll_interval: seconds between status checks.
    :param timeout: seconds to wait before failing (a retry re-attaches; a still-queued task is cancelled).
    :param aws_conn_id: AWS connection for ``s3://`` media.
    """

    task_type = "h3_context_ir"
    request_fields = ("model", "duration", "ratio", *CONTENT_FIELDS, "callback_url")
    template_fields: Sequence[str] = (*request_fields, "hailuo_conn_id", "aws_conn_id")
    ui_color = "#e3f4ff"

    def __init__(
        self,
        *,
        prompt: str | None = None,
        duration: int | str | None = None,
        ratio: str | None = None,
        first_frame_image: Any = None,
        last_frame_image: Any = None,
        reference_images: list[Any] | None = None,
        reference_videos: list[Any] | None = None,
        reference_audios: list[Any] | None = None,
        model: str = H3_TASK_MODEL,
        callback_url: str | None = None,
        hailuo_conn_id: str = HailuoHook.default_conn_name,
        aws_conn_id: str | None = "aws_default",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: timedelta | float | None = DEFAULT_TIMEOUT,
        map_index_template: str | None = DEFAULT_MAP_INDEX_TEMPLATE,
        **kwargs: Any,
    ) -> None:
        refuse_generation_params("HailuoPromptEnhancementOperator", kwargs)
        super().__init__(
            model=model,
            prompt=prompt,
            duration=duration,
            ratio=ratio,
            first_frame_image=first_frame_image,
            last_frame_image=last_frame_image,
            reference_images=reference_images,
            reference_videos=reference_videos,
            reference_audios=reference_audios,
            callback_url=callback_url,
            hailuo_conn_id=hailuo_conn_id,
            aws_conn_id=aws_conn_id,
            wait_for_completion=True,  # the enhanced prompt is the result
            deferrable=deferrable,
            poll_interval=poll_interval,
            timeout=timeout,
            map_index_template=map_index_template,
            **kwargs,
        )

    def _build(self) -> dict[str, Any]:
        return prepare_context_ir_body(
            model=self.model,
            prompt=self.prompt,
            duration=self.duration,
            ratio=self.ratio,
            callback_url=self._unmasked("callback_url"),
            aws_conn_id=self.aws_conn_id,
            **{name: self._unmasked(name) for name in self.media_fields},
        )

    def _listing_match(self, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**super()._listing_match(payload), "duration": payload.get("duration")}

    def _finish(  # type: ignore[override]
        self, payload: Mapping[str, Any], event: Mapping[str, Any], retry_reattaches: bool = True
    ) -> str:
        """The enhanced prompt, read by querying the succeeded task (events carry no prompt)."""
        event = validate_event(dict(event))
        if event["status"] != "success":
            raise failure_for_event(event, retry_reattaches=retry_reattaches)
        task_id = str(event["video_task_id"])
        status = self.hook.get_video_generation(task_id, api_version="v2")
        if not status.prompt:
            raise HailuoMalformedResponseError(
                f"Context-IR task {task_id} succeeded but its query answer has no content.prompt",
                video_task_id=task_id,
            )
        preview = " ".join(status.prompt[:LOGGED_PROMPT_CHARS].split())
        self.log.info(
            "Enhanced prompt of Context-IR task %s: %s characters%s. It starts: %s",
            task_id,
            len(status.prompt),
            f", usage {dict(status.usage)}" if status.usage else "",
            preview + ("…" if len(status.prompt) > LOGGED_PROMPT_CHARS else ""),
        )
        return status.prompt
