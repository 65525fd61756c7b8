"""Request validation for MiniMax-H3's two other paid calls: prompt enhancement (Context-IR,
``POST /v2/h3_context_ir``) and 768P -> 2K regeneration (``POST /v2/video_regeneration``). No I/O.

Both reuse the create body's content rules (:func:`build_v2_video_generation_payload`), so a frame, a
reference or a ratio is judged the same whichever call carries it; what differs is checked here, once,
for the operators and the CLI: only ``MiniMax-H3`` is accepted, Context-IR has no resolution and no
watermark, and a regeneration is either a source task (form A) or a base video with the exact inputs
of the 768P video (form B, text up to 40,000 characters), at 2K only.

Not checked here: the base video's own spec (audio track, 24 fps, sides divisible by 32, 589,824 to
1,032,192 px, 107 to 362 frames in steps of 17). That needs an MP4 reader this provider does not ship;
MiniMax (and the sandbox) refuse a base video that misses it, before anything is charged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_hailuo.shapes import parse_rendered_mapping
from airflow_provider_hailuo.validation import _join, _parse_resolution, _preview
from airflow_provider_hailuo.validation_v2 import _media_url, build_v2_video_generation_payload

#: The only model Context-IR and regeneration accept (contract v2 §3.2, §4).
H3_TASK_MODEL = "MiniMax-H3"
#: A regeneration's text is the final prompt of the 768P video, which may be this long (§4.2).
MAX_REGENERATION_TEXT_CHARS = 40_000
REGENERATION_RESOLUTION = "2K"
#: The only resolution a regeneration source may have.
SOURCE_RESOLUTION = "768P"
#: The price table's name for a regeneration (per second of the 2K output; ``prices.json``).
REGENERATION_PRICE_MODEL = "MiniMax-H3 regeneration"
#: The inputs of a 768P video, repeated in a form B regeneration (and sent with a Context-IR request).
CONTENT_FIELDS: tuple[str, ...] = (
    "prompt",
    "first_frame_image",
    "last_frame_image",
    "reference_images",
    "reference_videos",
    "reference_audios",
)


def _only_h3(model: object, what: str) -> str:
    if model != H3_TASK_MODEL:
        raise ValueError(f"model: {what} accepts only {H3_TASK_MODEL}, got {model!r}")
    return H3_TASK_MODEL


def build_context_ir_body(
    *,
    model: object = H3_TASK_MODEL,
    prompt: object = None,
    duration: object = None,
    ratio: object = None,
    first_frame_image: object = None,
    last_frame_image: object = None,
    reference_images: object = None,
    reference_videos: object = None,
    reference_audios: object = None,
    callback_url: object = None,
) -> dict[str, Any]:
    """Validate and build a Context-IR body (§4.1): create's content, duration and ratio rules, no resolution.

    Media must already be wire URLs (``request.py`` resolves paths, bytes and ``s3://``).
    """
    body = build_v2_video_generation_payload(
        model=_only_h3(model, "prompt enhancement (Context-IR)"),
        prompt=prompt,
        duration=duration,
        ratio=ratio,
        first_frame_image=first_frame_image,
        last_frame_image=last_frame_image,
        reference_images=reference_images,
        reference_videos=reference_videos,
        reference_audios=reference_audios,
        callback_url=callback_url,
    )
    body.pop("resolution", None)
    return body


def source_task_ref(value: object) -> str:
    """The task id of a regeneration source given as digits, ``v2:<digits>`` or a generation result
    (``gen.output``, or its text after Jinja). The operator then checks the task itself in the task list.
    """
    value = parse_rendered_mapping(value)
    field = "source_task_id"
    if isinstance(value, Mapping):
        # Only what a result states for certain; its model and resolution are what was asked for (and
        # dag.test() drops them on a deferred run), so the task list, not the dict, judges those.
        task_id = value.get("video_task_id")
        if value.get("api_version") not in (None, "v2"):
            raise ValueError(
                f"{field}: task {task_id} is a v1 video; only a MiniMax-H3 (v2) video can be regenerated"
            )
        if str(value.get("status") or "Success") not in ("Success", "Submitted"):
            raise ValueError(
                f"{field}: task {task_id} has status {value.get('status')}; it must have succeeded"
            )
        value = task_id
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(
            f"{field}: expected a task id, v2:<task id> or a generation result, got {type(value).__name__}"
        )
    text = value.strip()
    if text.lower().startswith("v2:"):
        text = text[3:].strip()
    if not text.isdigit():
        raise ValueError(f"{field}: expected a numeric task id or v2:<task id>, got {_preview(value)}")
    return text


def build_regeneration_body(
    *,
    model: object = H3_TASK_MODEL,
    source_task_id: object = None,
    base_video: object = None,
    resolution: object = REGENERATION_RESOLUTION,
    callback_url: object = None,
    aigc_watermark: object = None,
    **inputs: object,
) -> dict[str, Any]:
    """Validate and build a regeneration body (§4.2): form A (``source_task_id``) or form B (``base_video``
    plus ``inputs``, the exact :data:`CONTENT_FIELDS` of the 768P video). Media must be wire URLs already.
    """
    unknown = sorted(set(inputs) - set(CONTENT_FIELDS))
    if unknown:
        raise TypeError(f"unexpected regeneration parameter(s): {_join(unknown)}")
    model = _only_h3(model, "regeneration")
    label = _parse_resolution(resolution) if resolution not in (None, "") else REGENERATION_RESOLUTION
    if label != REGENERATION_RESOLUTION:
        raise ValueError(
            f"resolution: a regeneration makes {REGENERATION_RESOLUTION} only, got {resolution!r}"
        )
    has_source, has_base = source_task_id not in (None, ""), base_video not in (None, "", [], ())
    given = [name for name, value in inputs.items() if value not in (None, "", [], ())]
    if has_source and has_base:
        raise ValueError(
            "source_task_id and base_video: give exactly one (a source task, or a base video with its inputs)"
        )
    if not has_source and not has_base:
        raise ValueError("source_task_id or base_video: one is required (the 768P video to remake at 2K)")
    body: dict[str, Any]
    if has_source:
        if given:
            raise ValueError(
                f"{_join(given)}: only with base_video; a regeneration by source_task_id reuses the source "
                "task's own inputs"
            )
        body = {"model": model, "source_task_id": source_task_ref(source_task_id)}
    else:
        if isinstance(base_video, (list, tuple)):
            if len(base_video) != 1:
                raise ValueError(f"base_video: exactly one video is allowed, got {len(base_video)}")
            base_video = base_video[0]
        content = build_v2_video_generation_payload(
            model=model, max_text_chars=MAX_REGENERATION_TEXT_CHARS, **inputs
        )["content"]
        url = _media_url("base_video", "video", base_video)
        content.append({"type": "video_url", "video_url": {"url": url}, "role": "base_video"})
        body = {"model": model, "content": content}
    body["resolution"] = REGENERATION_RESOLUTION
    _callback_and_watermark(body, callback_url, aigc_watermark)
    return body


def _callback_and_watermark(body: dict[str, Any], callback_url: object, aigc_watermark: object) -> None:
    from airflow_provider_hailuo.validation import _check_callback_url, _parse_bool

    callback = _check_callback_url(callback_url)
    if callback:
        body["callback_url"] = callback
    watermark = _parse_bool("aigc_watermark", aigc_watermark)
    if watermark is not None:
        body["aigc_watermark"] = watermark
