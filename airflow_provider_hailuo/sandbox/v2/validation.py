"""Structural rules of v2 request bodies (contract §3, §4), checked the way MiniMax answers them: 400/2013.

Everything here is synchronous and looks only at the JSON; the media behind each URL is loaded and
measured afterwards (`media_rules`), so a malformed body is refused before the sandbox fetches anything.
Where the contract leaves a rule open, the stricter reading is built, so a client that passes the
sandbox does not rely on a leniency the real service may not have; each such choice is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import bad_request
from .models import (
    CONCRETE_RATIOS,
    I2VA,
    MODELS,
    PROMPT_EXPANSION_MODES,
    R2VA,
    RATIOS,
    T2VA,
    V2Model,
)

MAX_TEXT_CHARS = 7000
MAX_REGENERATION_TEXT_CHARS = 40_000
MAX_REFERENCES = 12
"""C7: the official CLI's and the guide's 12 references in all, not the schema's 9 + 3 + 3."""

ITEM_TYPES = {"text": None, "image_url": "image", "video_url": "video", "audio_url": "audio"}
ROLES = {
    "image_url": ("first_frame", "last_frame", "reference_image"),
    "video_url": ("reference_video",),
    "audio_url": ("reference_audio",),
}
ROLE_LIMITS = {
    "first_frame": 1,
    "last_frame": 1,
    "reference_image": 9,
    "reference_video": 3,
    "reference_audio": 3,
}

CREATE_FIELDS = frozenset(
    {"model", "content", "resolution", "duration", "ratio", "callback_url", "aigc_watermark", "extra"}
)
CONTEXT_IR_FIELDS = frozenset({"model", "content", "duration", "ratio", "callback_url"})
REGENERATION_FIELDS = frozenset(
    {"model", "source_task_id", "content", "resolution", "callback_url", "aigc_watermark"}
)


@dataclass(frozen=True)
class MediaItem:
    """One ``*_url`` content item; ``where`` names it in error messages (``content[2].image_url``)."""

    where: str
    kind: str
    role: str
    url: str


@dataclass
class Content:
    text: str
    mode: str
    media: list[MediaItem] = field(default_factory=list)

    def with_role(self, *roles: str) -> list[MediaItem]:
        return [m for m in self.media if m.role in roles]


@dataclass
class VideoRequest:
    """A create, Context-IR or regeneration body that passed the structural rules."""

    task_type: str
    model: V2Model
    content: Content | None
    resolution: str
    duration: int | None
    ratio: str
    callback_url: str | None
    aigc_watermark: bool = False
    prompt_expansion_mode: str | None = None
    source_task_id: str | None = None
    ignored_fields: tuple[str, ...] = ()


def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    return body


def _media_item(index: int, item: dict[str, Any], item_type: str, allow_base_video: bool) -> MediaItem:
    where = f"content[{index}].{item_type}"
    holder = item.get(item_type)
    if not isinstance(holder, dict) or not isinstance(holder.get("url"), str) or not holder["url"].strip():
        raise bad_request(f'{where} must be an object with a non-empty "url"')
    role = item.get("role")
    allowed = ROLES[item_type] + (("base_video",) if allow_base_video and item_type == "video_url" else ())
    if role is None and item_type == "image_url":
        role = ""  # decided once all images are known
    elif role not in allowed:
        raise bad_request(f"content[{index}].role must be one of {', '.join(allowed)} for {item_type}")
    return MediaItem(where=where, kind=str(ITEM_TYPES[item_type]), role=role, url=holder["url"].strip())


def parse_content(value: Any, *, max_text: int, allow_base_video: bool = False) -> Content:
    """Every item rule of §3.4, in the order a reader of the contract would check them."""
    if not isinstance(value, list) or not value:
        raise bad_request("content must be a non-empty array of content items")
    texts: list[str] = []
    media: list[MediaItem] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise bad_request(f"content[{index}] must be an object")
        item_type = item.get("type")
        if item_type not in ITEM_TYPES:
            raise bad_request(f"content[{index}].type must be one of {', '.join(ITEM_TYPES)}")
        if item_type == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise bad_request(f"content[{index}].text must be a string")
            if len(text) > max_text:
                raise bad_request(f"content[{index}].text is longer than {max_text} characters")
            texts.append(text)
        else:
            media.append(_media_item(index, item, item_type, allow_base_video))
    if not any(t.strip() for t in texts):
        raise bad_request("content must include a non-empty text item (prompt is required)")
    if len(texts) > 1:
        # Q5 is open (C-hoobnn: exactly one; C-newapi: several). One is what every source accepts.
        raise bad_request("content must include exactly one text item")
    images = [m for m in media if m.kind == "image"]
    roleless = [m for m in images if m.role == ""]
    if roleless:
        if len(images) > 1:
            raise bad_request(f"{roleless[0].where} needs a role when content has more than one image")
        media = [MediaItem(m.where, m.kind, "first_frame", m.url) if m.role == "" else m for m in media]
    counts = {role: sum(1 for m in media if m.role == role) for role in (*ROLE_LIMITS, "base_video")}
    for role, limit in ROLE_LIMITS.items():
        if counts[role] > limit:
            raise bad_request(f"at most {limit} {role} item(s) allowed, got {counts[role]}")
    frames = counts["first_frame"] + counts["last_frame"]
    references = counts["reference_image"] + counts["reference_video"] + counts["reference_audio"]
    if frames and references:
        raise bad_request("first_frame/last_frame cannot be combined with reference_* items")
    if references > MAX_REFERENCES:
        raise bad_request(f"at most {MAX_REFERENCES} reference items allowed in all, got {references}")
    if counts["reference_audio"] and not (counts["reference_image"] or counts["reference_video"]):
        # Not in the create schema; enforced by the official CLI and ComfyUI ("audio cannot be used alone").
        raise bad_request("reference_audio needs at least one reference_image or reference_video")
    mode = I2VA if frames else R2VA if references else T2VA
    return Content(text=texts[0], mode=mode, media=media)


def _model(body: dict[str, Any], *, only: tuple[str, ...] | None = None) -> V2Model:
    name = body.get("model")
    allowed = only if only is not None else tuple(MODELS)
    if not isinstance(name, str) or name not in allowed:
        raise bad_request(f"model must be one of {', '.join(allowed)}, got {name!r}")
    return MODELS[name]


def _duration(body: dict[str, Any], model: V2Model) -> int:
    value = body.get("duration")
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request("duration is required and must be an integer number of seconds")
    if not model.min_duration <= value <= model.max_duration:
        raise bad_request(
            f"duration {value} is not supported by {model.name} "
            f"(allowed: {model.min_duration}-{model.max_duration})"
        )
    return value


def _resolution(body: dict[str, Any], model: V2Model, *, allowed: tuple[str, ...] | None = None) -> str:
    choices = allowed if allowed is not None else model.resolutions
    value = body.get("resolution")
    if value not in choices:
        raise bad_request(f"resolution is required; {model.name} accepts {', '.join(choices)}, got {value!r}")
    return str(value)


def answered_ratio(body: dict[str, Any], model: V2Model, mode: str) -> str:
    """The ratio rules of §3.3; returns what the task will report in its ``ratio`` field."""
    value = body.get("ratio")
    if value is not None and value not in RATIOS:
        raise bad_request(f"ratio must be one of {', '.join(RATIOS)}, got {value!r}")
    concrete = value in CONCRETE_RATIOS
    if mode == T2VA and not concrete:
        raise bad_request(
            f"ratio is required for text-only content and must be one of {', '.join(CONCRETE_RATIOS)}"
        )
    if mode == R2VA and model.r2va_needs_concrete_ratio and not concrete:
        raise bad_request(
            f"{model.name} reference mode needs a concrete ratio ({', '.join(CONCRETE_RATIOS)})"
        )
    if mode == I2VA:
        return "adaptive"  # the image decides; any valid ratio is ignored without error
    return str(value) if concrete else "adaptive"


def _callback_url(body: dict[str, Any]) -> str | None:
    value = body.get("callback_url")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad_request("callback_url must be a string")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise bad_request("callback_url must be an http(s) URL")
    return value


def _watermark(body: dict[str, Any]) -> bool:
    value = body.get("aigc_watermark")
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request("aigc_watermark must be a boolean")
    return value


def _extra(body: dict[str, Any], model: V2Model) -> str | None:
    value = body.get("extra")
    if value is None:
        return None
    if not model.accepts_extra:
        raise bad_request(f"extra is only supported by MiniMax-H3-Max, not {model.name}")
    if not isinstance(value, dict):
        raise bad_request("extra must be an object")
    unknown = sorted(set(value) - {"prompt_expansion_mode"})
    if unknown:
        raise bad_request(f"extra accepts only prompt_expansion_mode, got {', '.join(unknown)}")
    mode = value.get("prompt_expansion_mode")
    if mode is None:
        return None
    if mode not in PROMPT_EXPANSION_MODES:
        raise bad_request(
            f"extra.prompt_expansion_mode must be one of {', '.join(PROMPT_EXPANSION_MODES)}, got {mode!r}"
        )
    return str(mode)


def _ignored(body: dict[str, Any], known: frozenset[str]) -> tuple[str, ...]:
    """No ``additionalProperties: false`` on the request schemas: unknown fields are ignored, and noted."""
    return tuple(sorted(set(body) - known))


def parse_create(raw: Any) -> VideoRequest:
    body = _require_object(raw)
    model = _model(body)
    content = parse_content(body.get("content"), max_text=MAX_TEXT_CHARS)
    if content.mode not in model.modes:
        raise bad_request(f"{model.name} does not support {content.mode}")
    return VideoRequest(
        task_type="generation",
        model=model,
        content=content,
        resolution=_resolution(body, model),
        duration=_duration(body, model),
        ratio=answered_ratio(body, model, content.mode),
        callback_url=_callback_url(body),
        aigc_watermark=_watermark(body),
        prompt_expansion_mode=_extra(body, model),
        ignored_fields=_ignored(body, CREATE_FIELDS),
    )


def parse_context_ir(raw: Any) -> VideoRequest:
    """§4.1: MiniMax-H3 only, create's content and ratio rules, a duration, no resolution."""
    body = _require_object(raw)
    model = _model(body, only=("MiniMax-H3",))
    content = parse_content(body.get("content"), max_text=MAX_TEXT_CHARS)
    return VideoRequest(
        task_type="h3_context_ir",
        model=model,
        content=content,
        resolution="",
        duration=_duration(body, model),
        ratio=answered_ratio(body, model, content.mode),
        callback_url=_callback_url(body),
        ignored_fields=_ignored(body, CONTEXT_IR_FIELDS),
    )


def parse_regeneration(raw: Any) -> VideoRequest:
    """§4.2: exactly one of ``source_task_id`` (form A) and ``content`` with one base_video (form B)."""
    body = _require_object(raw)
    model = _model(body, only=("MiniMax-H3",))
    resolution = _resolution(body, model, allowed=("2K",))
    has_source = body.get("source_task_id") is not None
    has_content = body.get("content") is not None
    if has_source == has_content:
        raise bad_request("exactly one of source_task_id and content is required")
    content = None
    source = None
    if has_source:
        source = body["source_task_id"]
        if not isinstance(source, str) or not source.strip():
            raise bad_request("source_task_id must be a non-empty string")
    else:
        content = parse_content(body["content"], max_text=MAX_REGENERATION_TEXT_CHARS, allow_base_video=True)
        base = content.with_role("base_video")
        if len(base) != 1:
            raise bad_request(
                f"content must hold exactly one video_url with role base_video, got {len(base)}"
            )
    return VideoRequest(
        task_type="regeneration",
        model=model,
        content=content,
        resolution=resolution,
        duration=None,
        ratio="",
        callback_url=_callback_url(body),
        aigc_watermark=_watermark(body),
        source_task_id=source,
        ignored_fields=_ignored(body, REGENERATION_FIELDS),
    )
