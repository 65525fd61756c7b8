"""Validation of ``POST /v1/video_generation`` bodies, the way the real API rejects them (2013).

Model/mode/grid rules come from `airflow_provider_hailuo.catalogue`, the single source of truth the
client-side validation also reads; only the rules the catalogue does not hold (field types, image
encodings, the subject_reference shape) live here. Unknown fields are ignored because the v1 schemas
do not forbid them.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_hailuo.catalogue import Mode, ModelSpec, get_model

from .errors import ApiError, StatusCode, invalid_params
from .markers import SENSITIVE_INPUT_MARKER, prompt_has_marker

MAX_PROMPT_CHARS = 2000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_DURATION = 6

_DATA_URL_RE = re.compile(r"^data:image/(jpeg|png|webp);base64,(.*)$", re.DOTALL)


@dataclass(frozen=True)
class VideoRequest:
    """A create request that passed validation, with defaults filled in."""

    model: ModelSpec
    mode: Mode
    prompt: str
    resolution: str
    duration: int
    callback_url: str | None


def _decide_mode(body: dict[str, Any]) -> Mode:
    if body.get("subject_reference") is not None:
        if body.get("first_frame_image") is not None or body.get("last_frame_image") is not None:
            raise invalid_params(
                "subject_reference cannot be combined with first_frame_image/last_frame_image"
            )
        return Mode.SUBJECT_REFERENCE
    if body.get("last_frame_image") is not None:
        return Mode.FIRST_LAST_FRAME
    if body.get("first_frame_image") is not None:
        return Mode.FIRST_FRAME
    return Mode.TEXT


def _image_signature_ok(data: bytes) -> bool:
    return (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"\x89PNG\r\n\x1a\n")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )


def check_image(field_name: str, value: Any, *, strict_content: bool) -> None:
    """An image is a public http(s) URL or a base64 ``data:image/...`` URL of at most 20 MB."""
    if not isinstance(value, str) or not value:
        raise invalid_params(f"{field_name} must be a non-empty string")
    if value.startswith("data:"):
        match = _DATA_URL_RE.match(value)
        if match is None:
            raise invalid_params(f"{field_name} data URL must be data:image/(jpeg|png|webp);base64,<data>")
        try:
            decoded = base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError):
            raise invalid_params(f"{field_name} is not valid base64") from None
        if not decoded:
            raise invalid_params(f"{field_name} is empty")
        if len(decoded) > MAX_IMAGE_BYTES:
            raise invalid_params(f"{field_name} is larger than 20MB")
        if strict_content and not _image_signature_ok(decoded):
            raise invalid_params(f"{field_name} does not decode to a JPEG, PNG or WebP image")
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_params(f"{field_name} must be an http(s) URL or a base64 data URL")


def _check_subject_reference(value: Any, *, strict_content: bool) -> None:
    if not isinstance(value, list) or len(value) != 1:
        raise invalid_params("subject_reference must be a list with exactly one subject")
    subject = value[0]
    if not isinstance(subject, dict):
        raise invalid_params("subject_reference[0] must be an object")
    if subject.get("type") != "character":
        raise invalid_params("subject_reference[0].type must be 'character'")
    image = subject.get("image")
    if isinstance(image, list):
        if len(image) != 1:
            raise invalid_params("subject_reference[0].image must hold exactly one image")
        image = image[0]
    check_image("subject_reference[0].image", image, strict_content=strict_content)


def _optional_bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid_params(f"{name} must be a boolean")
    return value


def parse_create_request(body: Any, *, strict_image_content: bool = True) -> VideoRequest:
    """Validate a decoded JSON body; raise `ApiError` (2013, or 1026 for a sensitive prompt)."""
    if not isinstance(body, dict):
        raise invalid_params("request body must be a JSON object")

    model_name = body.get("model")
    if not isinstance(model_name, str) or not model_name:
        raise invalid_params("model is required")
    spec = get_model(model_name)
    if spec is None or spec.api_version != "v1":
        raise invalid_params(f"model {model_name!r} is not supported")

    mode = _decide_mode(body)
    if mode not in spec.grids:
        raise invalid_params(f"model {spec.name} does not support {mode.value}")

    prompt = body.get("prompt")
    if prompt is None:
        prompt = ""
    if not isinstance(prompt, str):
        raise invalid_params("prompt must be a string")
    if mode is Mode.TEXT and not prompt.strip():
        raise invalid_params("prompt is required for text-to-video")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise invalid_params(f"prompt is longer than {MAX_PROMPT_CHARS} characters")

    grid = spec.grid(mode)
    resolution = body.get("resolution")
    if resolution is None:
        resolution = spec.default_resolution
    if not isinstance(resolution, str) or resolution not in grid:
        raise invalid_params(
            f"resolution {resolution!r} is not supported by {spec.name} for {mode.value} "
            f"(allowed: {', '.join(grid)})"
        )
    duration = body.get("duration")
    if duration is None:
        duration = DEFAULT_DURATION
    if not isinstance(duration, int) or isinstance(duration, bool):
        raise invalid_params("duration must be an integer number of seconds")
    if duration not in grid[resolution]:
        allowed = ", ".join(str(d) for d in grid[resolution])
        raise invalid_params(
            f"duration {duration} is not supported by {spec.name} at {resolution} (allowed: {allowed})"
        )

    for name in ("prompt_optimizer", "aigc_watermark"):
        _optional_bool(body, name)
    if _optional_bool(body, "fast_pretreatment") and mode not in spec.fast_pretreatment_modes:
        raise invalid_params(f"fast_pretreatment is not supported by {spec.name} for {mode.value}")

    for name in ("first_frame_image", "last_frame_image"):
        if body.get(name) is not None:
            check_image(name, body[name], strict_content=strict_image_content)
    if mode is Mode.SUBJECT_REFERENCE:
        _check_subject_reference(body["subject_reference"], strict_content=strict_image_content)

    callback_url = body.get("callback_url")
    if callback_url is not None:
        if not isinstance(callback_url, str):
            raise invalid_params("callback_url must be a string")
        if callback_url == "":
            callback_url = None
        else:
            parts = urlsplit(callback_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise invalid_params("callback_url must be an http(s) URL")

    if prompt_has_marker(prompt, SENSITIVE_INPUT_MARKER):
        raise ApiError(StatusCode.SENSITIVE_INPUT)

    return VideoRequest(
        model=spec,
        mode=mode,
        prompt=prompt,
        resolution=resolution,
        duration=duration,
        callback_url=callback_url,
    )
