"""Turning a validated v2 request into a task: outcome, output geometry, usage and the video file.

Kept apart from the HTTP handlers so the rules that decide what a task will report live in one place.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..markers import EXPIRED_MARKER, FAIL_MARKER, SENSITIVE_OUTPUT_MARKER, prompt_has_marker
from .inputs import Measured
from .models import CONCRETE_RATIOS, FPS, frame_count, nearest_ratio, output_size, ratio_of_size
from .state import Outcome, V2Task, seconds_ceil, video_usage
from .validation import VideoRequest

if TYPE_CHECKING:
    from ..state import SandboxState


def outcome_of(prompt: str) -> Outcome:
    if prompt_has_marker(prompt, SENSITIVE_OUTPUT_MARKER):
        return "sensitive_output"
    if prompt_has_marker(prompt, FAIL_MARKER):
        return "failed"
    if prompt_has_marker(prompt, EXPIRED_MARKER):
        return "expired"
    return "succeeded"


def enhanced_prompt(text: str, shots: int) -> str:
    """A Context-IR result in the shape the docs show (§4.1); the words are the sandbox's own."""
    lines = [
        "integrated_multimodal_description: "
        + " ".join(f"[Shot {n}] {text.strip()}" for n in range(1, shots + 1)),
        "overall_soundscape: ambient sound that matches the scene",
        "non_diegetic_music: none",
    ]
    return "\n".join(lines)


def _adaptive_ratio(request: VideoRequest, measured: Measured) -> str:
    if request.ratio in CONCRETE_RATIOS:
        return request.ratio
    if measured.first_visual is not None:
        return nearest_ratio(*measured.first_visual)
    return "16:9"  # nothing measurable (an unfetched URL): the most common output


def build_task(
    state: SandboxState,
    task_id: str,
    owner: str,
    request: VideoRequest,
    measured: Measured,
    source: V2Task | None,
) -> V2Task:
    """The task as it will be answered; registers its video with the v1 download machinery."""
    config = state.config
    prompt = request.content.text if request.content is not None else source.prompt if source else ""
    task = V2Task(
        task_id=task_id,
        owner=owner,
        task_type=request.task_type,
        model=request.model.name,
        mode=request.content.mode if request.content is not None else "regeneration",
        prompt=prompt,
        resolution=request.resolution,
        duration=request.duration or 0,
        ratio=request.ratio,
        created_mono=time.monotonic(),
        created_at=time.time(),
        queued_seconds=config.preparing_seconds + config.queueing_seconds,
        running_seconds=config.processing_seconds,
        outcome=outcome_of(prompt),
        usage={},
        callback_url=request.callback_url,
        aigc_watermark=request.aigc_watermark,
        prompt_expansion_mode=request.prompt_expansion_mode,
        ignored_fields=request.ignored_fields,
        source_task_id=request.source_task_id,
    )
    audio = round(measured.audio_seconds) if measured.audio_seconds is not None else None
    if request.task_type == "h3_context_ir":
        task.result_prompt = enhanced_prompt(prompt, shots=max(1, task.duration // 5))
        prompt_tokens = len(prompt) + 1000 * len(request.content.media if request.content else [])
        completion_tokens = len(task.result_prompt)
        task.usage = {
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
        }
        return task
    if request.task_type == "generation":
        task.frames = frame_count(task.duration)
        task.width, task.height = output_size(task.resolution, _adaptive_ratio(request, measured))
        task.usage = video_usage(
            task.duration, seconds_ceil(measured.video_seconds), measured.image_count, audio
        )
    elif source is not None:  # regeneration form A: the source task's video, redone at 2K
        task.frames, task.duration = source.frames, source.duration
        task.width, task.height = output_size("2K", ratio_of_size("768P", source.width, source.height))
        input_seconds = source.usage.get("input_seconds", 0)
        task.usage = video_usage(
            task.duration,
            input_seconds,
            source.usage.get("input_image_count", 0),
            source.usage.get("input_audio_seconds"),
        )
    else:  # regeneration form B: geometry and length from the base video
        base = measured.base_video
        task.frames = base.frames if base is not None and base.frames else frame_count(4)
        task.duration = task.frames // FPS
        width, height = (base.width or 1344, base.height or 768) if base is not None else (1344, 768)
        task.width, task.height = output_size("2K", ratio_of_size("768P", width, height))
        task.usage = video_usage(
            task.duration, seconds_ceil(measured.video_seconds), measured.image_count, audio
        )
    if task.outcome == "succeeded":  # every H3 model's video has stereo sound, which cannot be turned off
        stored = state.store_video(
            task_id,
            task.width,
            task.height,
            task.frames / FPS,
            int(task.created_at + task.finishes_after),
            audio=True,
        )
        task.file_id = stored.file_id
    return task
