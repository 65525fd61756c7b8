"""What the sandbox remembers: tasks, generated files, signed download URLs and counters.

Task status is not stored but derived from the time elapsed since creation and the timings
captured at creation, so a poll never needs a background ticker and changing the timing config
mid-run never makes a running task go backwards. All mutation happens on the server's event loop
thread; other threads reach it through `SandboxServer`, which marshals calls onto that loop.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from airflow_provider_hailuo.catalogue import RESOLUTION_PIXELS

from .config import OUTAGE_ANSWERS, SandboxConfig
from .errors import StatusCode, base_resp
from .markers import FAIL_MARKER, SENSITIVE_OUTPUT_MARKER, prompt_has_marker
from .mp4 import mp4_min_size
from .v2.state import V2State
from .validation import VideoRequest

Outcome = Literal["success", "fail", "sensitive_output"]

PREPARING, QUEUEING, PROCESSING, SUCCESS, FAIL = "Preparing", "Queueing", "Processing", "Success", "Fail"
CALLBACK_STATUS = {PROCESSING: "processing", SUCCESS: "success", FAIL: "failed"}
"""Callback pushes use MiniMax's lowercase spelling, which differs from the query enum."""

RPM_WINDOW_SECONDS = 60.0


@dataclass
class Task:
    """One generation task. Timings are a snapshot of the config at creation."""

    task_id: str
    request: VideoRequest
    owner: str
    created_mono: float
    created_at: float
    preparing_seconds: float
    queueing_seconds: float
    processing_seconds: float
    outcome: Outcome
    file_id: int | None
    width: int
    height: int

    @property
    def processing_starts_after(self) -> float:
        return self.preparing_seconds + self.queueing_seconds

    @property
    def finishes_after(self) -> float:
        return self.processing_starts_after + self.processing_seconds

    def status(self, now_mono: float | None = None) -> str:
        elapsed = (time.monotonic() if now_mono is None else now_mono) - self.created_mono
        if elapsed < self.preparing_seconds:
            return PREPARING
        if elapsed < self.processing_starts_after:
            return QUEUEING
        if elapsed < self.finishes_after:
            return PROCESSING
        return SUCCESS if self.outcome == "success" else FAIL

    def query_body(self, status: str | None = None) -> dict[str, Any]:
        """The query-endpoint answer; callbacks send the same shape with a lowercase status."""
        current = self.status() if status is None else status
        code = StatusCode.SENSITIVE_OUTPUT if current == FAIL and self.outcome == "sensitive_output" else 0
        done = current == SUCCESS
        return {
            "task_id": self.task_id,
            "status": current,
            "file_id": str(self.file_id) if done and self.file_id is not None else "",
            "video_width": self.width if done else 0,
            "video_height": self.height if done else 0,
            "base_resp": base_resp(StatusCode(code)),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status(),
            "model": self.request.model.name,
            "mode": self.request.mode.value,
            "prompt": self.request.prompt,
            "resolution": self.request.resolution,
            "duration": self.request.duration,
            "file_id": str(self.file_id) if self.file_id is not None else "",
            "outcome": self.outcome,
            "callback_url": self.request.callback_url,
            "created_at": int(self.created_at),
        }


@dataclass(frozen=True)
class StoredFile:
    """A generated video; its bytes are recomputed from these fields whenever they are read."""

    file_id: int
    task_id: str
    size: int
    width: int
    height: int
    duration: float
    created_at: int
    audio: bool = False
    """With the stereo AAC track every MiniMax-H3 (v2) output has; v1 outputs have none."""

    @property
    def seed(self) -> str:
        return str(self.file_id)


@dataclass(frozen=True)
class DownloadGrant:
    """One signed download URL; each retrieve mints a new one, like a CDN signature."""

    token: str
    file_id: int
    expires_at: float


def _new_counters() -> dict[str, int]:
    return dict.fromkeys(
        (
            "create_calls",
            "creates",
            "queries",
            "retrieves",
            "downloads",
            "download_bytes",
            "downloads_cut",
            "downloads_denied",
            "callback_checks",
            "callback_check_failures",
            "callbacks_sent",
            "callback_failures",
            "callbacks_dropped",
        ),
        0,
    )


@dataclass
class SandboxState:
    """Mutable server state; `reset` returns it to a fresh start without touching the config."""

    config: SandboxConfig
    tasks: dict[str, Task] = field(default_factory=dict)
    files: dict[int, StoredFile] = field(default_factory=dict)
    grants: dict[str, DownloadGrant] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=_new_counters)
    injected_faults: Counter[str] = field(default_factory=Counter)
    errors_by_code: Counter[int] = field(default_factory=Counter)
    creates_by_prompt: Counter[str] = field(default_factory=Counter)
    created: list[dict[str, Any]] = field(default_factory=list)
    callbacks_received: list[dict[str, Any]] = field(default_factory=list)
    cut_counts: Counter[int] = field(default_factory=Counter)
    rpm_window: deque[float] = field(default_factory=deque)
    #: The outage in progress: the settings that started it, its start (monotonic), answers given.
    outage: tuple[float, str, float, int] | None = None
    _fault_rng: random.Random = field(default_factory=random.Random)
    _fault_seed_used: int | None = None
    _ids: random.Random = field(default_factory=random.SystemRandom)
    v2: V2State = field(default_factory=V2State)

    def __post_init__(self) -> None:
        self._reseed()

    def reset(self) -> None:
        self.tasks.clear()
        self.files.clear()
        self.grants.clear()
        self.counters = _new_counters()
        self.injected_faults.clear()
        self.errors_by_code.clear()
        self.creates_by_prompt.clear()
        self.created.clear()
        self.callbacks_received.clear()
        self.cut_counts.clear()
        self.rpm_window.clear()
        self.v2.reset()
        self.outage = None
        self._reseed()

    # -- faults ---------------------------------------------------------------------------------

    def _reseed(self) -> None:
        self._fault_seed_used = self.config.fault_seed
        self._fault_rng = random.Random(self.config.fault_seed)

    def draw_fault(self, rate: float) -> bool:
        """One Bernoulli draw; no draw at all when the rate is 0 so enabling one knob replays alike."""
        if self.config.fault_seed != self._fault_seed_used:
            self._reseed()
        if rate <= 0.0:
            return False
        return self._fault_rng.random() < rate

    def outage_answer(self, endpoint: str, now_mono: float) -> str | None:
        """The fault this call gets from the configured outage, or None when no outage hits it."""
        config = self.config
        if config.outage_seconds <= 0 or endpoint not in config.outage_endpoints:
            return None
        if self.outage is None or self.outage[:2] != (config.outage_seconds, config.outage_answer):
            self.outage = (config.outage_seconds, config.outage_answer, now_mono, 0)
        seconds, answer, started, count = self.outage
        if now_mono - started >= seconds:
            return None
        self.outage = (seconds, answer, started, count + 1)
        if answer == "mixed":
            kinds = [kind for kind in OUTAGE_ANSWERS if kind != "mixed"]
            return kinds[count % len(kinds)]
        return answer

    def rpm_exceeded(self, now_mono: float) -> bool:
        """Sliding 60 s window over accepted create calls."""
        limit = self.config.rate_limit_rpm
        while self.rpm_window and now_mono - self.rpm_window[0] >= RPM_WINDOW_SECONDS:
            self.rpm_window.popleft()
        if limit is not None and len(self.rpm_window) >= limit:
            return True
        self.rpm_window.append(now_mono)
        return False

    # -- tasks and files ------------------------------------------------------------------------

    def unique_id(self, taken: Callable[[int], bool]) -> int:
        """A 15-digit number, the shape MiniMax uses for both task and file ids."""
        while True:
            candidate = self._ids.randrange(10**14, 10**15)
            if not taken(candidate):
                return candidate

    def create_task(self, request: VideoRequest, owner: str) -> Task:
        config = self.config
        if prompt_has_marker(request.prompt, SENSITIVE_OUTPUT_MARKER):
            outcome: Outcome = "sensitive_output"
        elif prompt_has_marker(request.prompt, FAIL_MARKER):
            outcome = "fail"
        else:
            outcome = "success"
        width, height = RESOLUTION_PIXELS[request.resolution]
        task_id = str(self.unique_id(lambda n: str(n) in self.tasks))
        now = time.time()
        file_id = self.unique_id(self.files.__contains__) if outcome == "success" else None
        task = Task(
            task_id=task_id,
            request=request,
            owner=owner,
            created_mono=time.monotonic(),
            created_at=now,
            preparing_seconds=config.preparing_seconds,
            queueing_seconds=config.queueing_seconds,
            processing_seconds=config.processing_seconds,
            outcome=outcome,
            file_id=file_id,
            width=width,
            height=height,
        )
        self.tasks[task_id] = task
        if file_id is not None:
            self.store_video(
                task_id, width, height, request.duration, int(now + task.finishes_after), file_id
            )
        self.counters["creates"] += 1
        self.creates_by_prompt[request.prompt] += 1
        self.created.append(
            {
                "task_id": task_id,
                "model": request.model.name,
                "mode": request.mode.value,
                "prompt": request.prompt,
                "resolution": request.resolution,
                "duration": request.duration,
            }
        )
        return task

    def store_video(
        self,
        task_id: str,
        width: int,
        height: int,
        duration_s: float,
        created_at: int,
        file_id: int | None = None,
        *,
        audio: bool = False,
    ) -> StoredFile:
        """Register a generated video (v1 or v2) with the download machinery; its bytes are made on read."""
        video_bytes = self.config.video_bytes
        stored = StoredFile(
            file_id=file_id if file_id is not None else self.unique_id(self.files.__contains__),
            task_id=task_id,
            size=max(video_bytes, mp4_min_size(width, height, duration_s, audio=audio)),
            width=width,
            height=height,
            duration=duration_s,
            created_at=created_at,
            audio=audio,
        )
        self.files[stored.file_id] = stored
        return stored

    def ready_file(self, file_id: int, owner: str) -> StoredFile | None:
        """A file is only retrievable by its task's account, once the task reports Success, while kept."""
        stored = self.files.get(file_id)
        if stored is None:
            return None
        task = self.tasks.get(stored.task_id)
        if task is None or task.owner != owner or task.status() != SUCCESS:
            return None
        retention = self.config.file_retention_seconds
        if retention is not None and time.monotonic() - task.created_mono - task.finishes_after >= retention:
            return None
        return stored

    def mint_grant(self, file_id: int, ttl_seconds: float) -> DownloadGrant:
        now = time.time()
        if len(self.grants) > 10_000:
            # Keep expired grants for an hour so late clients still get "expired", not "unknown".
            for token in [t for t, g in self.grants.items() if g.expires_at < now - 3600]:
                del self.grants[token]
        grant = DownloadGrant(token=secrets.token_urlsafe(24), file_id=file_id, expires_at=now + ttl_seconds)
        self.grants[grant.token] = grant
        return grant

    def should_cut(self, file_id: int, body_length: int) -> int | None:
        """Byte count after which this download is cut, consuming one of the file's cuts.

        A cut point at or past the end of the body would not truncate anything, so it is not spent.
        """
        limit = self.config.cut_download_after_bytes
        if (
            limit is None
            or limit >= body_length
            or self.cut_counts[file_id] >= self.config.cut_download_times
        ):
            return None
        self.cut_counts[file_id] += 1
        return limit

    # -- reporting ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            **self.counters,
            "injected_faults": dict(self.injected_faults),
            "errors_by_code": {str(int(code)): n for code, n in self.errors_by_code.items()},
            "creates_by_prompt": dict(self.creates_by_prompt),
            "created_tasks": list(self.created),
            "tasks": {task_id: task.summary() for task_id, task in self.tasks.items()},
            "v2": self.v2.snapshot(),
        }
