"""From user-facing parameters to a validated JSON payload: images resolved, every rule checked.

The operator, the hook's ``create_video_generation`` and the CLI all call this, so they accept the same
inputs and give the same error messages, before any money is spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    *, aws_conn_id: str | None = "aws_default", **params: Any
) -> dict[str, Any]:
    """Resolve the image fields to what MiniMax accepts, then validate and build the v1 body.

    ``params`` are exactly :func:`build_video_generation_payload`'s keywords, so that signature (and
    its checks) stays the one place a v1 request is defined; images here may also be paths, bytes or
    ``s3://`` URIs, read with ``aws_conn_id``.
    """
    for name in ("first_frame_image", "last_frame_image"):
        if name in params:
            value = params[name]
            params[name] = (
                resolve_image(value, field=name, aws_conn_id=aws_conn_id).value
                if value not in (None, "")
                else None
            )
    if "subject_reference" in params:
        subject = params["subject_reference"]
        params["subject_reference"] = _resolve_subject_reference(subject, aws_conn_id) if subject else None
    return build_video_generation_payload(**params)
