"""From user-facing parameters to a validated JSON payload: images resolved, every rule checked.

The operator, the hook's ``create_video_generation`` and the CLI all call this, so they accept the same
inputs and give the same error messages, before any money is spent.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airflow_provider_hailuo.catalogue import DEFAULT_MODEL, api_version_for
from airflow_provider_hailuo.images import resolve_image
from airflow_provider_hailuo.validation import build_video_generation_payload
from airflow_provider_hailuo.validation_h3_tasks import build_context_ir_body, build_regeneration_body
from airflow_provider_hailuo.validation_v2 import (
    V1_ONLY_FIELDS,
    V2_ONLY_FIELDS,
    build_v2_video_generation_payload,
    refuse_fields,
)

#: MiniMax's limit for one input video (contract v2 §3.5).
MAX_VIDEO_BYTES = 50 * 2**20


def _image(value: Any, field: str, aws_conn_id: str | None) -> Any:
    """One image in any accepted form as a wire URL; ``mm_file://`` ids (v2) pass through to validation."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().lower().startswith("mm_file://"):
        return value
    return resolve_image(value, field=field, aws_conn_id=aws_conn_id).value


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


def _resolve_references(params: dict[str, Any], aws_conn_id: str | None) -> None:
    images = params.get("reference_images")
    if isinstance(images, (list, tuple)):
        params["reference_images"] = [
            _image(v, f"reference_images[{i}]", aws_conn_id) for i, v in enumerate(images)
        ]


def _video(value: Any, field: str, aws_conn_id: str | None) -> Any:
    """A local MP4 (path, bytes or ``s3://``) as an ``data:video/mp4`` URL; wire forms pass to validation."""
    if isinstance(value, str):
        text = value.strip()
        if text[:5].lower() == "s3://":
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook

            bucket, _, key = text[5:].partition("/")
            if not bucket or not key:
                raise ValueError(f"{field}: {text!r} is not a valid S3 URL; expected s3://bucket/key")
            data = (
                S3Hook(aws_conn_id=aws_conn_id).get_key(key, bucket).get()["Body"].read(MAX_VIDEO_BYTES + 1)
            )
            return _mp4_data_url(bytes(data), field, text)
        if not text or "://" in text[:16] or text[:5].lower() == "data:":
            return value  # a URL or data URL: validation judges it
        value = Path(text)
    if isinstance(value, os.PathLike):
        path = Path(os.fspath(value))
        if not path.is_file():
            raise ValueError(f"{field}: {str(path)!r} is not a file (or a URL, mm_file:// id or data URL)")
        with path.open("rb") as handle:
            return _mp4_data_url(handle.read(MAX_VIDEO_BYTES + 1), field, str(path))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _mp4_data_url(bytes(value), field, "bytes")
    return value


def _mp4_data_url(data: bytes, field: str, where: str) -> str:
    if len(data) > MAX_VIDEO_BYTES:
        raise ValueError(
            f"{field}: {where} is over {MAX_VIDEO_BYTES // 2**20} MB; MiniMax accepts up to 50 MB"
        )
    if data[4:8] != b"ftyp":
        raise ValueError(f"{field}: {where} is not an MP4 file (no ftyp box); MiniMax-H3 takes MP4 videos")
    return "data:video/mp4;base64," + base64.b64encode(data).decode("ascii")


def prepare_context_ir_body(*, aws_conn_id: str | None = "aws_default", **params: Any) -> dict[str, Any]:
    """Resolve the media of a prompt-enhancement request, then validate and build its body."""
    for name in ("first_frame_image", "last_frame_image"):
        if name in params:
            params[name] = _image(params[name], name, aws_conn_id)
    _resolve_references(params, aws_conn_id)
    return build_context_ir_body(**params)


def prepare_regeneration_body(*, aws_conn_id: str | None = "aws_default", **params: Any) -> dict[str, Any]:
    """Resolve the media of a 768P -> 2K regeneration (the base video too), then validate and build its body."""
    for name in ("first_frame_image", "last_frame_image"):
        if name in params:
            params[name] = _image(params[name], name, aws_conn_id)
    _resolve_references(params, aws_conn_id)
    base = params.get("base_video")
    if base not in (None, "") and not isinstance(base, (list, tuple)):
        params["base_video"] = _video(base, "base_video", aws_conn_id)
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
    for name in ("first_frame_image", "last_frame_image"):
        if name in params:
            params[name] = _image(params[name], name, aws_conn_id)
    if v2:
        _resolve_references(params, aws_conn_id)
        return build_v2_video_generation_payload(**params)
    if "subject_reference" in params:
        subject = params["subject_reference"]
        params["subject_reference"] = _resolve_subject_reference(subject, aws_conn_id) if subject else None
    return build_video_generation_payload(**params)
