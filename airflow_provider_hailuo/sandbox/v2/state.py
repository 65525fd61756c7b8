"""What the v2 sandbox remembers: tasks, uploaded inputs, capacity and counters.

As in v1, a task's status is derived from the time since creation (queued for ``preparing_seconds +
queueing_seconds``, then running for ``processing_seconds``), captured at creation so a config change
never makes a task go backwards; DELETE is the only event that changes a task outside that timeline.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from .capacity import Capacity

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, EXPIRED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
    "expired",
)
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, EXPIRED)
"""C3: ``expired`` is built (old CN list page, official CLI, ComfyUI) though current enums omit it."""
TASK_TYPES = ("generation", "h3_context_ir", "regeneration")

Outcome = Literal["succeeded", "failed", "sensitive_output", "expired"]
TASK_ERRORS: dict[str, dict[str, str]] = {
    "failed": {"code": "1000", "message": "video generation failed"},
    "sensitive_output": {"code": "1027", "message": "output video contains sensitive content"},
}
"""``task.error`` of failed tasks; codes are strings, as in the contract's example (§5.2)."""


@dataclass
class V2Task:
    task_id: str
    owner: str
    task_type: str
    model: str
    mode: str
    prompt: str
    resolution: str
    duration: int
    ratio: str
    created_mono: float
    created_at: float
    queued_seconds: float
    running_seconds: float
    outcome: Outcome
    usage: dict[str, int]
    width: int = 0
    height: int = 0
    frames: int = 0
    file_id: int | None = None
    result_prompt: str | None = None
    callback_url: str | None = None
    aigc_watermark: bool = False
    prompt_expansion_mode: str | None = None
    ignored_fields: tuple[str, ...] = ()
    source_task_id: str | None = None
    cancelled_after: float | None = None
    """Seconds after creation at which DELETE cancelled the (queued) task."""

    @property
    def finishes_after(self) -> float:
        return self.queued_seconds + self.running_seconds

    def elapsed(self, now_mono: float | None = None) -> float:
        return (time.monotonic() if now_mono is None else now_mono) - self.created_mono

    def status(self, now_mono: float | None = None) -> str:
        elapsed = self.elapsed(now_mono)
        if self.cancelled_after is not None:
            return CANCELLED
        if elapsed < self.queued_seconds:
            return QUEUED
        if self.outcome == "expired":
            return EXPIRED
        if elapsed < self.finishes_after:
            return RUNNING
        return SUCCEEDED if self.outcome == "succeeded" else FAILED

    def changed_after(self, status: str) -> float:
        """Seconds after creation at which the task entered ``status``."""
        if status == CANCELLED and self.cancelled_after is not None:
            return self.cancelled_after
        if status == QUEUED:
            return 0.0
        if status in (RUNNING, EXPIRED):
            return self.queued_seconds
        return self.finishes_after

    def in_flight(self, now_mono: float | None = None) -> bool:
        return self.status(now_mono) in (QUEUED, RUNNING)

    def view(
        self, content_url: str | None = None, *, status: str | None = None, modality: bool = True
    ) -> dict[str, Any]:
        """The ``VideoTask`` of §5.2. ``modality`` is left out of list items, as the list examples do."""
        current = self.status() if status is None else status
        task: dict[str, Any] = {"id": self.task_id, "model": self.model, "status": current}
        if current == FAILED:
            task["error"] = dict(TASK_ERRORS[self.outcome])
        task["created_at"] = int(self.created_at)
        task["updated_at"] = int(self.created_at + self.changed_after(current))
        if current == SUCCEEDED:
            task["content"] = (
                {"prompt": self.result_prompt} if self.result_prompt is not None else {"url": content_url}
            )
        task["resolution"] = self.resolution
        task["duration"] = self.duration
        task["usage"] = dict(self.usage) if current == SUCCEEDED else {}
        task["ratio"] = self.ratio
        task["task_type"] = self.task_type
        if modality:
            task["modality"] = "text" if self.task_type == "h3_context_ir" else "video"
        return task

    def summary(self) -> dict[str, Any]:
        status = self.status()
        return {
            "status": status,
            "task_type": self.task_type,
            "model": self.model,
            "mode": self.mode,
            "prompt": self.prompt,
            "resolution": self.resolution,
            "duration": self.duration,
            "ratio": self.ratio,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "file_id": str(self.file_id) if self.file_id is not None else "",
            "outcome": self.outcome,
            "charged": status == SUCCEEDED,
            "aigc_watermark": self.aigc_watermark,
            "prompt_expansion_mode": self.prompt_expansion_mode,
            "ignored_fields": list(self.ignored_fields),
            "source_task_id": self.source_task_id,
            "callback_url": self.callback_url,
            "created_at": int(self.created_at),
        }


@dataclass(frozen=True)
class Upload:
    """An input uploaded with ``purpose=video_generation_input``; referenced as ``mm_file://{file_id}``."""

    file_id: int
    owner: str
    data: bytes
    filename: str
    created_at: float


def video_usage(
    output_seconds: int, input_seconds: int, images: int, audio_seconds: int | None
) -> dict[str, int]:
    """§5.6. MiniMax "converts" seconds and images to tokens without saying how: the sandbox uses
    1000 tokens per second or image, so the token fields are present and consistent, nothing more."""
    usage = {
        "total_seconds": input_seconds + output_seconds,
        "input_seconds": input_seconds,
        "output_seconds": output_seconds,
        "input_image_count": images,
    }
    if audio_seconds is not None:
        usage["input_audio_seconds"] = audio_seconds
    prompt_tokens = 1000 * (input_seconds + images)
    completion_tokens = 1000 * output_seconds
    usage.update(
        total_tokens=prompt_tokens + completion_tokens,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )
    return usage


def body_key(task_type: str, body: Any) -> str:
    """Identical request bodies (key order aside) share a key: two creates with one key paid twice."""
    canonical = json.dumps([task_type, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _counters() -> Counter[str]:
    return Counter(
        dict.fromkeys(
            (
                "create_calls",
                "creates",
                "queries",
                "lists",
                "delete_calls",
                "cancelled",
                "deleted",
                "context_ir_calls",
                "context_ir_creates",
                "regeneration_calls",
                "regeneration_creates",
                "uploads",
                "media_fetches",
                "rate_limited",
                "in_flight_refusals",
                "callback_checks",
                "callback_check_failures",
                "callbacks_sent",
                "callback_failures",
                "callbacks_dropped",
            ),
            0,
        )
    )


@dataclass
class V2State:
    tasks: dict[str, V2Task] = field(default_factory=dict)
    uploads: dict[int, Upload] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=_counters)
    capacity: Capacity = field(default_factory=Capacity)
    creates_by_model: Counter[str] = field(default_factory=Counter)
    creates_by_body: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors_by_status: Counter[int] = field(default_factory=Counter)
    errors_by_code: Counter[int] = field(default_factory=Counter)
    injected_faults: Counter[str] = field(default_factory=Counter)
    created: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        fresh = V2State()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def in_flight(self, task_id: str) -> bool:
        task = self.tasks.get(task_id)
        return task is not None and task.in_flight()

    def visible(self, task_id: str, owner: str, window_seconds: float) -> V2Task | None:
        """A task of this account inside the query window ``[now - window, now]`` (§10), else None."""
        task = self.tasks.get(task_id)
        if task is None or task.owner != owner or time.time() - task.created_at > window_seconds:
            return None
        return task

    def record_create(self, task: V2Task, body: Any) -> None:
        kind = {"generation": "creates", "h3_context_ir": "context_ir_creates"}.get(
            task.task_type, "regeneration_creates"
        )
        self.counters[kind] += 1
        self.creates_by_model[task.model] += 1
        entry = self.creates_by_body.setdefault(
            body_key(task.task_type, body), {"count": 0, "prompt": task.prompt[:80]}
        )
        entry["count"] += 1
        self.created.append(
            {
                "task_id": task.task_id,
                "task_type": task.task_type,
                "model": task.model,
                "mode": task.mode,
                "prompt": task.prompt,
                "resolution": task.resolution,
                "duration": task.duration,
                "ratio": task.ratio,
            }
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            **self.counters,
            "in_flight": self.capacity.current(self.in_flight),
            "max_in_flight": self.capacity.max_in_flight,
            "duplicate_creates": sum(e["count"] - 1 for e in self.creates_by_body.values()),
            "creates_by_model": dict(self.creates_by_model),
            "creates_by_body": {k: dict(v) for k, v in self.creates_by_body.items()},
            "errors_by_status": {str(k): n for k, n in self.errors_by_status.items()},
            "errors_by_code": {str(k): n for k, n in self.errors_by_code.items()},
            "injected_faults": dict(self.injected_faults),
            "created_tasks": list(self.created),
            "tasks": {task_id: task.summary() for task_id, task in self.tasks.items()},
        }


def seconds_ceil(value: float) -> int:
    return math.ceil(value - 1e-9)
