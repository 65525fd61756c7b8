"""From user-facing parameters to a validated JSON payload: images resolved, every rule checked.

The operator, the hook's ``create_video_generation`` and the CLI all call this, so they accept the same
inputs and give the same error messages, before any money is spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_hailuo.catalogue import DEFAULT_MODEL, api_version_for
from airflow_provider_hailuo.images import resolve_image
from airflow_provider_hailuo.media_v2 import FRAME_FIELDS, REFERENCE_FIELDS, check_base_video, resolve_media
from airflow_provider_hailuo.validation import build_video_generation_payload
from airflow_provider_hailuo.validation_h3_tasks import build_context_ir_body, build_regeneration_body
from airflow_provider_hailuo.validation_v2 import (
    V1_ONLY_FIELDS,
    V2_ONLY_FIELDS,
    build_v2_video_generation_payload,
    refuse_fields,
)


def _image(value: Any, field: str, aws_conn_id: str | None) -> Any:
    """One v1 image in any accepted form as a wire URL."""
    if value in (None, ""):
        return None
    return resolve_image(value, field=field, aws_conn_id=aws_conn_id).value


def _resolve_v2_media(params: Mapping[str, Any], aws_conn_id: str | None) -> dict[str, Any]:
    """Read and check every H3 input the worker can see (:mod:`airflow_provider_hailuo.media_v2`)."""
    resolved = dict(params)
    for media in FRAME_FIELDS:
        value = resolved.get(media.field)
        if value not in (None, ""):
            resolved[media.field] = resolve_media(
                value, kind=media.kind, field=media.field, aws_conn_id=aws_conn_id
            )
    for media in REFERENCE_FIELDS:
        items = resolved.get(media.field)
        if isinstance(items, (list, tuple)):  # other shapes are refused by name in validation
            resolved[media.field] = [
                resolve_media(v, kind=media.kind, field=f"{media.field}[{i}]", aws_conn_id=aws_conn_id)
                for i, v in enumerate(items)
            ]
    return resolved


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


def prepare_context_ir_body(*, aws_conn_id: str | None = "aws_default", **params: Any) -> dict[str, Any]:
    """Resolve the media of a prompt-enhancement request, then validate and build its body."""
    return build_context_ir_body(**_resolve_v2_media(params, aws_conn_id))


def prepare_regeneration_body(*, aws_conn_id: str | None = "aws_default", **params: Any) -> dict[str, Any]:
    """Resolve the media of a 768P -> 2K regeneration (the base video too), then validate and build its body."""
    params = _resolve_v2_media(params, aws_conn_id)
    base = params.get("base_video")
    if base not in (None, "") and not isinstance(base, (list, tuple)):
        params["base_video"] = check_base_video(
            resolve_media(base, kind="video", field="base_video", aws_conn_id=aws_conn_id)
        )
    return build_regeneration_body(**params)


def prepare_video_generation_payload(
    *, aws_conn_id: str | None = "aws_default", **params: Any
) -> dict[str, Any]:
    """Resolve the image fields to what MiniMax accepts, then validate and build the body for the model's API.

    ``params`` are exactly the keywords of :func:`build_video_generation_payload` (v1) or
    :func:`build_v2_video_generation_payload` (v2; the catalogue decides which, :func:`api_version_for`),
    so those signatures (and their checks) stay the one place a request is defined. Parameters of the
    other generation are refused by name when given and dropped when empty. Images here may also be
    paths, bytes or ``s3://`` URIs, read with ``aws_conn_id``.
    """
    model = str(params.get("model") or DEFAULT_MODEL)
    v2 = api_version_for(model) == "v2"
    refuse_fields(params, V1_ONLY_FIELDS if v2 else V2_ONLY_FIELDS, model, "v2" if v2 else "v1")
    params = {k: v for k, v in params.items() if k not in (V1_ONLY_FIELDS if v2 else V2_ONLY_FIELDS)}
    if v2:
        return build_v2_video_generation_payload(**_resolve_v2_media(params, aws_conn_id))
    for name in ("first_frame_image", "last_frame_image"):
        if name in params:
            params[name] = _image(params[name], name, aws_conn_id)
    if "subject_reference" in params:
        subject = params["subject_reference"]
        params["subject_reference"] = _resolve_subject_reference(subject, aws_conn_id) if subject else None
    return build_video_generation_payload(**params)
