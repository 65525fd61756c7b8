"""From user-facing parameters to a validated JSON payload: images resolved, every rule checked.

The operator, the hook's ``create_video_generation`` and the CLI all call this, so they accept the same
inputs and give the same error messages, before any money is spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_hailuo.catalogue import DEFAULT_MODEL
from airflow_provider_hailuo.images import resolve_image
from airflow_provider_hailuo.validation import build_video_generation_payload


def _resolve_subject_reference(value: Any, aws_conn_id: str | None) -> Any:
    """Resolve the image(s) inside any accepted subject_reference shape; validation checks the shape."""
    if value is None:
        return None

    def one(image: Any) -> Any:
        return resolve_image(image, field="subject_reference", aws_conn_id=aws_conn_id).value

    if isinstance(value, Mapping):
        resolved = dict(value)
        image = value.get("image")
        if isinstance(image, (list, tuple)):
            resolved["image"] = [one(i) for i in image]
        elif image is not None:
            resolved["image"] = one(image)
        return resolved
    if isinstance(value, (list, tuple)):
        return [_resolve_subject_reference(item, aws_conn_id) for item in value]
    return one(value)


def prepare_video_generation_payload(
    *,
    model: str = DEFAULT_MODEL,
    prompt: str | None = None,
    duration: int | str | None = None,
    resolution: str | None = None,
    prompt_optimizer: bool | str | None = None,
    fast_pretreatment: bool | str | None = None,
    first_frame_image: Any = None,
    last_frame_image: Any = None,
    subject_reference: Any = None,
    callback_url: str | None = None,
    aigc_watermark: bool | str | None = None,
    extra_params: Mapping[str, Any] | None = None,
    aws_conn_id: str | None = "aws_default",
) -> dict[str, Any]:
    first = (
        resolve_image(first_frame_image, field="first_frame_image", aws_conn_id=aws_conn_id).value
        if first_frame_image not in (None, "")
        else None
    )
    last = (
        resolve_image(last_frame_image, field="last_frame_image", aws_conn_id=aws_conn_id).value
        if last_frame_image not in (None, "")
        else None
    )
    subject = _resolve_subject_reference(subject_reference, aws_conn_id) if subject_reference else None
    return build_video_generation_payload(
        model=model,
        prompt=prompt,
        duration=duration,  # type: ignore[arg-type]
        resolution=resolution,
        prompt_optimizer=prompt_optimizer,  # type: ignore[arg-type]
        fast_pretreatment=fast_pretreatment,  # type: ignore[arg-type]
        first_frame_image=first,
        last_frame_image=last,
        subject_reference=subject,
        callback_url=callback_url,
        aigc_watermark=aigc_watermark,  # type: ignore[arg-type]
        extra_params=extra_params,
    )
