"""Request validation and payload building for ``POST /v2/video_generation`` (MiniMax-H3; no HTTP here).

The v2 request is a list of content items (text, first/last frame, reference images, videos and
audios) instead of v1's named fields, with its own rules: a resolution and duration range per model,
a ratio rule per mode (text-only needs a concrete ratio), frames and references exclusive, per-kind
and total reference counts, audio only beside a visual reference. Every one of them is checked here,
from the catalogue, before anything is sent, with the same field-naming error style as v1
(:mod:`airflow_provider_hailuo.validation`, whose helpers this module shares).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_hailuo.catalogue import (
    V2_MODELS,
    V2_PROMPT_EXPANSION_MODES,
    V2_RATIOS,
    V2ModelSpec,
    get_v2_model,
)
from airflow_provider_hailuo.media_v2 import (
    CheckedMediaURL,
    check_body_size,
    check_total_durations,
    resolve_media,
)
from airflow_provider_hailuo.validation import (
    _check_callback_url,
    _check_extra_params,
    _join,
    _parse_bool,
    _parse_resolution,
    _preview,
    _warn,
)

MAX_TEXT_CHARS = 7000
#: The duration sent when none is given: v2 requires one, and 6 s is what v1 defaults to.
DEFAULT_DURATION = 6
#: Per-kind caps (contract v2 §3.4) and the total of references across kinds.
MAX_REFERENCES: Mapping[str, int] = {"reference_images": 9, "reference_videos": 3, "reference_audios": 3}
MAX_REFERENCES_TOTAL = 12
#: v1 parameters with no v2 counterpart: given on an H3 model they are refused by name.
V1_ONLY_FIELDS: tuple[str, ...] = ("prompt_optimizer", "fast_pretreatment", "subject_reference")
#: v2 parameters with no v1 counterpart: given on a v1 model they are refused by name.
V2_ONLY_FIELDS: tuple[str, ...] = (
    "ratio",
    "reference_images",
    "reference_videos",
    "reference_audios",
    "prompt_expansion_mode",
)
#: Body fields with a parameter of their own; ``extra_params`` may not override them.
V2_NAMED_FIELDS: tuple[str, ...] = (
    "model",
    "content",
    "resolution",
    "duration",
    "ratio",
    "callback_url",
    "aigc_watermark",
    "extra",
)

_KIND = {"reference_images": "image", "reference_videos": "video", "reference_audios": "audio"}
_ROLE = {
    "reference_images": "reference_image",
    "reference_videos": "reference_video",
    "reference_audios": "reference_audio",
}
_WIRE_SCHEMES = ("http://", "https://", "mm_file://", "data:")


def refuse_fields(given: Mapping[str, Any], fields: Sequence[str], model: str, model_api: str) -> None:
    """Refuse, by name, parameters that belong to the other API generation."""
    wrong = [name for name in fields if given.get(name) not in (None, "", [], ())]
    if wrong:
        raise ValueError(
            f"{_join(wrong)}: not accepted by {model}, a {model_api} model; these parameters exist only for "
            + ("MiniMax-H3 (v2) models" if model_api == "v1" else "v1 models (MiniMax-Hailuo-*, *-01)")
        )


def _spec(model: str) -> V2ModelSpec | None:
    spec = get_v2_model(model)
    if spec is None:
        _warn(
            f"model: {model!r} is not in this provider's v2 catalogue (known: {_join(V2_MODELS)}); sending it to "
            "the v2 API, checking only the rules every H3 model shares"
        )
    return spec


def _duration(value: object, spec: V2ModelSpec | None) -> int:
    low, high = (spec.min_duration, spec.max_duration) if spec else (4, 15)
    name = spec.name if spec else "MiniMax-H3 models"
    if value is None or value == "":
        return DEFAULT_DURATION if low <= DEFAULT_DURATION <= high else low
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"duration: expected a whole number of seconds from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"duration: {value} s is not allowed for {name}; allowed: {low} to {high} s")
    return value


def _resolution(value: object, spec: V2ModelSpec | None) -> str:
    label = _parse_resolution(value)
    if label is None:
        return spec.default_resolution if spec else "768P"
    allowed = spec.resolutions if spec else ("480P", "768P", "2K")
    if label not in allowed:
        raise ValueError(
            f"resolution: {label} is not allowed for {spec.name if spec else 'MiniMax-H3 models'}; "
            f"allowed: {_join(allowed)}"
        )
    return label


def _text(prompt: object, max_chars: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(
            f"prompt: required by every MiniMax-H3 request; give a non-empty text of at most {max_chars} characters"
        )
    if len(prompt) > max_chars:
        raise ValueError(
            f"prompt: {len(prompt)} characters; at most {max_chars} are allowed here on MiniMax-H3"
        )
    return prompt


def _media_url(field: str, kind: str, value: object) -> str:
    """One media item as a wire URL, checked against §3.5 (:mod:`airflow_provider_hailuo.media_v2`).

    Files, bytes and ``s3://`` objects are read by :func:`airflow_provider_hailuo.request.
    prepare_video_generation_payload`, which hands over checked URLs; here only wire forms arrive.
    """
    if isinstance(value, CheckedMediaURL):
        return value
    if isinstance(value, str) and value.strip()[:10].lower().startswith(_WIRE_SCHEMES):
        return resolve_media(value, kind=kind, field=field, aws_conn_id=None)
    raise ValueError(
        f"{field}: expected an http(s) URL, mm_file://<file id> or a data:{kind}/...;base64,... URL, got "
        f"{_preview(value) if isinstance(value, str) else type(value).__name__} (local files, bytes and "
        "s3:// URLs are read by prepare_video_generation_payload)"
    )


def _as_list(field: str, value: object) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ValueError(f"{field}: expected a list, got {type(value).__name__}")


def _ratio(value: object, *, mode: str, spec: V2ModelSpec | None) -> str | None:
    if value is None or value == "":
        ratio = None
    elif isinstance(value, str) and value.strip().lower() in V2_RATIOS:
        ratio = value.strip().lower()
    else:
        raise ValueError(f"ratio: expected one of {_join(V2_RATIOS)}, got {value!r}")
    concrete = _join(r for r in V2_RATIOS if r != "adaptive")
    if mode == "text":
        if ratio == "adaptive":
            raise ValueError(
                f"ratio: text-to-video needs a concrete ratio ({concrete}); 'adaptive' needs an image to follow"
            )
        return ratio or "16:9"
    if mode == "frames":
        if ratio not in (None, "adaptive"):
            _warn(
                f"ratio: {ratio} is ignored by MiniMax with a first or last frame: the image's aspect is used"
            )
        return ratio
    if spec is not None and spec.references_need_concrete_ratio and ratio in (None, "adaptive"):
        raise ValueError(f"ratio: {spec.name} needs a concrete ratio ({concrete}) with reference inputs")
    return ratio


def build_v2_video_generation_payload(
    *,
    model: str,
    prompt: object = None,
    duration: object = None,
    resolution: object = None,
    ratio: object = None,
    first_frame_image: object = None,
    last_frame_image: object = None,
    reference_images: object = None,
    reference_videos: object = None,
    reference_audios: object = None,
    prompt_expansion_mode: object = None,
    callback_url: object = None,
    aigc_watermark: object = None,
    extra_params: object = None,
    max_text_chars: int = MAX_TEXT_CHARS,
) -> dict[str, Any]:
    """Validate and build a v2 create body. Images must already be URLs (see ``request.py``).

    ``max_text_chars``: a regeneration's content repeats the final prompt, which may be longer (§4.2).
    """
    spec = _spec(model)
    content: list[dict[str, Any]] = [{"type": "text", "text": _text(prompt, max_text_chars)}]
    frames = 0
    for field, role in (("first_frame_image", "first_frame"), ("last_frame_image", "last_frame")):
        value = first_frame_image if field == "first_frame_image" else last_frame_image
        if value not in (None, ""):
            content.append(
                {"type": "image_url", "image_url": {"url": _media_url(field, "image", value)}, "role": role}
            )
            frames += 1
    given = {
        "reference_images": reference_images,
        "reference_videos": reference_videos,
        "reference_audios": reference_audios,
    }
    references = 0
    for field, value in given.items():
        items = _as_list(field, value)
        if len(items) > MAX_REFERENCES[field]:
            raise ValueError(f"{field}: {len(items)} given; at most {MAX_REFERENCES[field]} are allowed")
        kind = _KIND[field]
        urls = [_media_url(f"{field}[{index}]", kind, item) for index, item in enumerate(items)]
        if kind != "image":
            check_total_durations(field, urls)
        item_type = f"{kind}_url"
        content.extend({"type": item_type, item_type: {"url": url}, "role": _ROLE[field]} for url in urls)
        references += len(items)
    if frames and references:
        raise ValueError(
            "reference_images/reference_videos/reference_audios: cannot be combined with first_frame_image or "
            "last_frame_image; MiniMax-H3 takes either frames or references"
        )
    if references > MAX_REFERENCES_TOTAL:
        raise ValueError(
            f"reference_images/reference_videos/reference_audios: {references} references in all; at most "
            f"{MAX_REFERENCES_TOTAL} are allowed"
        )
    if given["reference_audios"] and not (given["reference_images"] or given["reference_videos"]):
        raise ValueError(
            "reference_audios: audio needs at least one reference_images or reference_videos item beside it"
        )
    if references and spec is not None and not spec.reference_mode:
        raise ValueError(
            f"reference_images/reference_videos/reference_audios: {spec.name} has no reference mode"
        )
    mode = "references" if references else "frames" if frames else "text"
    body: dict[str, Any] = {
        "model": model,
        "content": content,
        "resolution": _resolution(resolution, spec),
        "duration": _duration(duration, spec),
    }
    chosen_ratio = _ratio(ratio, mode=mode, spec=spec)
    if chosen_ratio is not None:
        body["ratio"] = chosen_ratio
    if prompt_expansion_mode not in (None, ""):
        if spec is not None and not spec.prompt_expansion:
            with_it = _join(m.name for m in V2_MODELS.values() if m.prompt_expansion)
            raise ValueError(f"prompt_expansion_mode: only {with_it} accepts it, not {spec.name}")
        if (
            not isinstance(prompt_expansion_mode, str)
            or prompt_expansion_mode not in V2_PROMPT_EXPANSION_MODES
        ):
            raise ValueError(
                f"prompt_expansion_mode: expected one of {_join(V2_PROMPT_EXPANSION_MODES)}, got {prompt_expansion_mode!r}"
            )
        body["extra"] = {"prompt_expansion_mode": prompt_expansion_mode}
    callback = _check_callback_url(callback_url)
    if callback:
        body["callback_url"] = callback
    watermark = _parse_bool("aigc_watermark", aigc_watermark)
    if watermark is not None:
        body["aigc_watermark"] = watermark
    extras = _check_extra_params(extra_params)
    clash = sorted(set(extras) & set(V2_NAMED_FIELDS))
    if clash:
        raise ValueError(f"extra_params: {_join(clash)} has its own parameter on MiniMax-H3; pass it by name")
    body.update(extras)
    check_body_size(body)
    return body
