"""What every API generation shares: the HTTP request/response shapes and the status model.

No I/O here and nothing specific to one generation's paths or envelopes (that is in ``v1.py``, and
later ``v2.py``), so the hook, the trigger, the sensor and the CLI reason about a video's state in
one vocabulary whichever endpoint produced it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlencode, urlsplit

from airflow_provider_hailuo import __version__
from airflow_provider_hailuo.exceptions import HailuoMalformedResponseError
from airflow_provider_hailuo.redaction import redact_url

USER_AGENT = f"airflow-provider-hailuo/{__version__}"


class VideoStatus(str, Enum):
    PREPARING = "Preparing"
    QUEUEING = "Queueing"
    PROCESSING = "Processing"
    SUCCESS = "Success"
    FAIL = "Fail"

    @property
    def is_terminal(self) -> bool:
        return self in (VideoStatus.SUCCESS, VideoStatus.FAIL)


_STATUS_ALIASES: Mapping[str, VideoStatus] = {
    "preparing": VideoStatus.PREPARING,
    "queueing": VideoStatus.QUEUEING,
    "queuing": VideoStatus.QUEUEING,
    "queued": VideoStatus.QUEUEING,
    "processing": VideoStatus.PROCESSING,
    "running": VideoStatus.PROCESSING,
    "success": VideoStatus.SUCCESS,
    "succeeded": VideoStatus.SUCCESS,
    "fail": VideoStatus.FAIL,
    "failed": VideoStatus.FAIL,
    # v2: a cancelled (DELETE while queued) or expired task will never have a video.
    "cancelled": VideoStatus.FAIL,
    "canceled": VideoStatus.FAIL,
    "expired": VideoStatus.FAIL,
}


_STATUS_VALUES: Mapping[str, VideoStatus] = {status.value: status for status in VideoStatus}


def normalise_status(value: object) -> VideoStatus:
    """Map every spelling MiniMax uses (query, callbacks, the official CLI's ``Failed``) to one enum."""
    if isinstance(value, VideoStatus):
        return value
    if isinstance(value, str) and value in _STATUS_VALUES:  # the query's own spelling, on every poll
        return _STATUS_VALUES[value]
    if isinstance(value, str) and value.strip().lower() in _STATUS_ALIASES:
        return _STATUS_ALIASES[value.strip().lower()]
    raise HailuoMalformedResponseError(
        f"unknown video task status {value!r}; expected one of {', '.join(s.value for s in VideoStatus)}"
    )


def normalise_file_id(value: object, *, field_name: str = "file_id") -> str | None:
    """``file_id`` is a string in the query and an int64 in ``files/retrieve``: always give a string."""
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, bool):
        raise HailuoMalformedResponseError(f"{field_name} has the wrong type (bool)")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    raise HailuoMalformedResponseError(f"{field_name} is not a numeric id: {str(value)[:40]!r}")


def optional_int(data: Mapping[str, Any], key: str, trace_id: str | None) -> int | None:
    """An optional positive integer that MiniMax may send as a number or a digit string (0 means absent)."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise HailuoMalformedResponseError(f"{key} has the wrong type (bool)", trace_id=trace_id)
    if isinstance(value, int):
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value) or None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value) or None
    raise HailuoMalformedResponseError(f"{key} is not an integer: {str(value)[:40]!r}", trace_id=trace_id)


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP call to make, independent of the client library."""

    method: str
    path: str
    #: A sequence value is sent as the parameter repeated (``a=1&a=2``).
    params: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    json_body: Mapping[str, Any] | None = None
    #: False for the create call: repeating it may pay for a second video.
    idempotent: bool = True

    def url(self, base_url: str) -> str:
        url = base_url.rstrip("/") + self.path
        return f"{url}?{urlencode(self.params, doseq=True)}" if self.params else url


def normalise_base_url(host: str | None, default: str) -> str:
    """Accept ``api.minimax.io``, ``https://api.minimax.io/`` or ``https://api.minimax.io/v1``."""
    value = (host or "").strip() or default
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"host: {host!r} is not an http(s) URL such as {default}")
    path = parts.path.rstrip("/")
    if path == "/v1" or path == "v1":
        path = ""
    return f"{parts.scheme}://{parts.netloc}{path}"


def build_headers(api_key: str, *, with_body: bool) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT, "Accept": "application/json"}
    if with_body:
        headers["Content-Type"] = "application/json"
    return headers


@dataclass(frozen=True)
class RawResponse:
    """What any HTTP client got back; the parsers only ever see this."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        # aiohttp's and requests' header mappings find any spelling at once; a plain dict needs the scan.
        value = self.headers.get(name)
        if value is not None:
            return value
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return None

    @property
    def trace_id(self) -> str | None:
        return self.header("Trace-Id") or self.header("X-Trace-Id")

    @property
    def retry_after(self) -> float | None:
        value = self.header("Retry-After")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return None

    @property
    def snippet(self) -> str:
        """The start of the body on one line, for error messages about an unexpected answer."""
        text = self.body[:200].decode("utf-8", "replace")
        return " ".join(text.split())[:120]


@dataclass(frozen=True)
class VideoGenerationStatus:
    """The state of one video task, as every part of the provider sees it."""

    video_task_id: str
    status: VideoStatus
    file_id: str | None = None
    video_width: int | None = None
    video_height: int | None = None
    error_code: int | None = None
    error_message: str | None = None
    trace_id: str | None = None
    #: v2 only: the API answers with the video's (time-limited) URL instead of a file id.
    api_version: str = "v1"
    video_url: str | None = None
    #: v2: the status as MiniMax spelt it (``cancelled`` and ``expired`` both map to ``Fail``).
    raw_status: str | None = None
    ratio: str | None = None
    usage: Mapping[str, float] | None = None
    #: v2 Context-IR: the enhanced prompt of a succeeded task (never put into trigger events or logs in full).
    prompt: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal


@dataclass(frozen=True)
class HailuoFile:
    """A generated file. ``download_url`` is signed and short-lived (1 hour): never log it in full."""

    file_id: str
    download_url: str
    bytes: int | None = None
    filename: str | None = None
    created_at: int | None = None
    purpose: str | None = None
    backup_download_url: str | None = None

    @property
    def safe_url(self) -> str:
        return redact_url(self.download_url)
