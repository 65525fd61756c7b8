"""HailuoVideoRegenerationOperator: a finished 768P MiniMax-H3 video remade at 2K (``POST /v2/video_regeneration``).

Regenerating is cheaper than generating at 2K from the start, so a DAG can make drafts at 768P,
choose, and pay for 2K only for the one it keeps. A source given by task id is looked up in the task
list before anything is paid (it must be this account's succeeded 768P MiniMax-H3 video of the last 7
days), so a wrong id costs nothing. The result has the generation operator's shape, so
``HailuoToS3Operator(file_id=regen.output)`` stores the 2K video.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException, conf

from airflow_provider_hailuo.exceptions import HailuoError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.operators.h3_task import H3TaskOperator, refuse_generation_params
from airflow_provider_hailuo.operators.hailuo import (
    DEFAULT_MAP_INDEX_TEMPLATE,
    DEFAULT_TIMEOUT,
    HailuoVideoGenerationOperator,
)
from airflow_provider_hailuo.redaction import redact_image_reference
from airflow_provider_hailuo.request import prepare_regeneration_body
from airflow_provider_hailuo.shapes import VideoResult
from airflow_provider_hailuo.validation_h3_tasks import (
    CONTENT_FIELDS,
    H3_TASK_MODEL,
    REGENERATION_PRICE_MODEL,
    REGENERATION_RESOLUTION,
    source_task_ref,
)


class HailuoVideoRegenerationOperator(H3TaskOperator):
    """Remake a finished 768P MiniMax-H3 video at 2K.

    Give either ``source_task_id`` (form A: the 768P task, as its id, ``v2:<id>`` or the generation
    operator's result, e.g. ``source_task_id=gen.output``) or ``base_video`` (form B: the 768P video as
    an http(s) URL, ``mm_file://<id>``, an mp4 data URL, a local path, bytes or ``s3://``) together with
    the exact inputs of that video: ``prompt`` (its final prompt, after any prompt enhancement, up to
    40,000 characters) and the same frames or references. Returns (XCom) the generation operator's
    result: ``video_task_id``, ``status``, ``model``, ``resolution`` (``2K``), ``duration``,
    ``api_version`` (``v2``), ``ratio``, ``usage``.

    :param source_task_id: the 768P MiniMax-H3 generation to remake (form A); MiniMax must list it as
        this account's succeeded task of the last 7 days, and the account needs regeneration access.
    :param base_video: the 768P video itself (form B).
    :param prompt: form B: the final prompt of the 768P video.
    :param first_frame_image: form B: the 768P video's first frame, if it had one (any image form).
    :param last_frame_image: form B: its last frame.
    :param reference_images: form B: its reference images.
    :param reference_videos: form B: its reference videos.
    :param reference_audios: form B: its reference audios.
    :param resolution: ``2K``, the only target.
    :param callback_url: MiniMax posts status changes here.
    :param aigc_watermark: ask MiniMax to watermark the 2K video.
    :param wait_for_completion: False returns as soon as the task is submitted.
    :param deferrable: wait in the triggerer, freeing the worker slot.
    :param poll_interval: seconds between status checks.
    :param timeout: seconds to wait before failing (a retry re-attaches; a still-queued task is cancelled).
    :param aws_conn_id: AWS connection for ``s3://`` media.
    :param max_estimated_cost: refuse (before submitting) a regeneration estimated above this, or that no
        price row covers; a ``base_video`` regeneration cannot be priced beforehand (docs/costs.md).
    """

    task_type = "regeneration"
    request_fields = (
        "model",
        "source_task_id",
        "base_video",
        "resolution",
        *CONTENT_FIELDS,
        "callback_url",
        "aigc_watermark",
    )
    template_fields: Sequence[str] = (*request_fields, "hailuo_conn_id", "aws_conn_id")
    ui_color = "#c7e6fb"
    masked_fields: Mapping[str, Callable[[Any], Any]] = {
        **H3TaskOperator.masked_fields,
        "base_video": redact_image_reference,
    }

    def __init__(
        self,
        *,
        source_task_id: Any = None,
        base_video: Any = None,
        prompt: str | None = None,
        first_frame_image: Any = None,
        last_frame_image: Any = None,
        reference_images: list[Any] | None = None,
        reference_videos: list[Any] | None = None,
        reference_audios: list[Any] | None = None,
        model: str = H3_TASK_MODEL,
        resolution: str = REGENERATION_RESOLUTION,
        callback_url: str | None = None,
        aigc_watermark: bool | None = None,
        hailuo_conn_id: str = HailuoHook.default_conn_name,
        aws_conn_id: str | None = "aws_default",
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: timedelta | float | None = DEFAULT_TIMEOUT,
        map_index_template: str | None = DEFAULT_MAP_INDEX_TEMPLATE,
        max_estimated_cost: float | None = None,
        **kwargs: Any,
    ) -> None:
        refuse_generation_params("HailuoVideoRegenerationOperator", kwargs)
        super().__init__(
            model=model,
            prompt=prompt,
            resolution=resolution,
            first_frame_image=first_frame_image,
            last_frame_image=last_frame_image,
            reference_images=reference_images,
            reference_videos=reference_videos,
            reference_audios=reference_audios,
            callback_url=callback_url,
            aigc_watermark=aigc_watermark,
            hailuo_conn_id=hailuo_conn_id,
            aws_conn_id=aws_conn_id,
            wait_for_completion=wait_for_completion,
            deferrable=deferrable,
            poll_interval=poll_interval,
            timeout=timeout,
            map_index_template=map_index_template,
            max_estimated_cost=max_estimated_cost,
            **kwargs,
        )
        self.source_task_id = source_task_id
        self.base_video = base_video
        self._source_duration: int | None = None

    @property
    def map_index_label(self) -> str:
        source = self.source_task_id
        if isinstance(source, Mapping):
            source = source.get("video_task_id")
        return f"2K of {source}" if source not in (None, "") else "2K of a base video"

    def _fingerprint_fields(self) -> dict[str, Any]:
        fields = super()._fingerprint_fields()
        try:  # the source by its id, whether given as digits, v2:<id> or a result dict
            fields["source_task_id"] = (
                source_task_ref(fields["source_task_id"]) if fields["source_task_id"] else None
            )
        except ValueError:
            pass
        return fields

    def _build(self) -> dict[str, Any]:
        body = prepare_regeneration_body(
            model=self.model,
            source_task_id=self.source_task_id,
            base_video=self._unmasked("base_video"),
            resolution=self.resolution,
            callback_url=self._unmasked("callback_url"),
            aigc_watermark=self.aigc_watermark,
            aws_conn_id=self.aws_conn_id,
            prompt=self.prompt,
            **{name: self._unmasked(name) for name in self.media_fields},
        )
        if "source_task_id" in body:
            self._check_source(body["source_task_id"])
        return body

    def _check_source(self, task_id: str) -> None:
        """§4.2 form A, checked before paying (see ``regeneration_source``); a bad source is final."""
        try:
            listed = self.hook.regeneration_source(task_id)
        except ValueError as err:
            raise AirflowFailException(str(err)) from err
        self._source_duration = listed.duration

    def _estimate(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Priced per second of the 2K output, as long as the source (``prices.json``); a base video's
        length is unknown until MiniMax measures it, so form B has no estimate."""
        if self._source_duration is None:
            if self.max_estimated_cost is not None:
                raise AirflowFailException(
                    "max_estimated_cost: a regeneration by base_video cannot be priced before MiniMax measures "
                    "the video; not submitted (give source_task_id, or no limit)"
                )
            return {"estimated_cost": None, "currency": None}
        priced = {"model": REGENERATION_PRICE_MODEL, "resolution": "2K", "duration": self._source_duration}
        return HailuoVideoGenerationOperator._estimate(self, priced)

    def _summary(self, payload: Mapping[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        summary = super()._summary(payload)
        if self._source_duration is not None:
            summary["duration"] = self._source_duration
        return summary

    def _listing_match(self, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        match = {**super()._listing_match(payload), "resolution": REGENERATION_RESOLUTION}
        if self._source_duration is not None:  # a 2K remake is as long as its source
            match["duration"] = self._source_duration
        return match

    def _result(self, payload: Mapping[str, Any], event: Mapping[str, Any], status: str) -> VideoResult:
        result = super()._result(payload, event, status)
        if not payload.get("duration"):  # form B: the length comes from the base video; MiniMax knows it
            try:
                listed = self._listed(result["video_task_id"])
            except HailuoError as err:
                self.log.warning("Could not read the 2K video's duration from the task list: %s", err)
                listed = None
            result["duration"] = listed.duration if listed is not None else None
        return result
