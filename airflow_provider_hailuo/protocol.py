"""The v1 wire protocol: building requests and parsing answers, with no I/O.

The sync hook (requests), the async hook used by the trigger (aiohttp), the sensor, the callback
plugin and the CLI all go through this module, so a rule about the wire format lives in one place:
status spellings are normalised here (``Success`` from the query, ``success`` from callbacks),
``file_id`` is normalised to a string (the query sends a string, ``files/retrieve`` an integer), and
every malformed answer becomes a clear exception instead of a ``KeyError`` deep in a DAG.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlencode, urlsplit

from airflow_provider_hailuo import __version__
from airflow_provider_hailuo.exceptions import (
    HailuoHTTPError,
    HailuoMalformedResponseError,
    api_error_from_code,
)
from airflow_provider_hailuo.redaction import redact_url

CREATE_PATH = "/v1/video_generation"
QUERY_PATH = "/v1/query/video_generation"
RETRIEVE_PATH = "/v1/files/retrieve"

USER_AGENT = f"airflow-provider-hailuo/{__version__}"

#: Codes a query answers about the *task* (moderation) rather than about the request: the task failed.
_TASK_FAILURE_CODES = frozenset({1026, 1027})


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
}


def normalise_status(value: object) -> VideoStatus:
    """Map every spelling MiniMax uses (query, callbacks, the official CLI's ``Failed``) to one enum."""
    if isinstance(value, VideoStatus):
        return value
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


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP call to make, independent of the client library."""

    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    json_body: Mapping[str, Any] | None = None
    #: False for the create call: repeating it may pay for a second video.
    idempotent: bool = True

    def url(self, base_url: str) -> str:
        url = base_url.rstrip("/") + self.path
        return f"{url}?{urlencode(self.params)}" if self.params else url


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


def _group_params(group_id: str | None) -> dict[str, str]:
    # The seed's usage sends GroupId; current docs drop it. Send it only when the user configured one.
    return {"GroupId": group_id} if group_id else {}


def create_request(payload: Mapping[str, Any], *, group_id: str | None = None) -> ApiRequest:
    return ApiRequest("POST", CREATE_PATH, _group_params(group_id), dict(payload), idempotent=False)


def query_request(video_task_id: str, *, group_id: str | None = None) -> ApiRequest:
    return ApiRequest("GET", QUERY_PATH, {"task_id": str(video_task_id), **_group_params(group_id)})


def retrieve_request(file_id: str, *, group_id: str | None = None) -> ApiRequest:
    return ApiRequest("GET", RETRIEVE_PATH, {"file_id": str(file_id), **_group_params(group_id)})


def build_headers(api_key: str, *, with_body: bool) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT, "Accept": "application/json"}
    if with_body:
        headers["Content-Type"] = "application/json"
    return headers


@dataclass(frozen=True)
class RawResponse:
    """What any HTTP client got back; the parsers below only ever see this."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return None

    @property
    def trace_id(self) -> str | None:
        return self.header("Trace-Id") or self.header("X-Trace-Id")


def _retry_after(raw: RawResponse) -> float | None:
    value = raw.header("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _snippet(body: bytes) -> str:
    text = body[:200].decode("utf-8", "replace")
    return " ".join(text.split())[:120]


def decode_envelope(
    raw: RawResponse, *, video_task_id: str | None = None, task_status_answer: bool = False
) -> dict[str, Any]:
    """Check HTTP status, JSON-ness and ``base_resp``; return the JSON object or raise a clear error.

    ``task_status_answer``: a query answer, where a moderation code may come with the task's status.
    """
    trace_id = raw.trace_id
    if raw.status != 200:
        raise HailuoHTTPError(
            f"HTTP {raw.status} from the MiniMax API: {_snippet(raw.body)!r}",
            http_status=raw.status,
            trace_id=trace_id,
            retry_after=_retry_after(raw),
            video_task_id=video_task_id,
        )
    try:
        data = json.loads(raw.body)
    except (ValueError, UnicodeDecodeError):
        looks_html = raw.body.lstrip()[:1] == b"<"
        raise HailuoMalformedResponseError(
            ("an HTML page" if looks_html else "a non-JSON body")
            + f" came back instead of JSON (often a gateway error page): {_snippet(raw.body)!r}",
            trace_id=trace_id,
            video_task_id=video_task_id,
            retryable=looks_html,
        ) from None
    if not isinstance(data, dict):
        raise HailuoMalformedResponseError(
            f"expected a JSON object, got {type(data).__name__}",
            trace_id=trace_id,
            video_task_id=video_task_id,
        )
    base_resp = data.get("base_resp")
    if not isinstance(base_resp, dict):
        raise HailuoMalformedResponseError(
            "the answer has no base_resp object", trace_id=trace_id, video_task_id=video_task_id
        )
    code = base_resp.get("status_code")
    if isinstance(code, bool) or not isinstance(code, int):
        raise HailuoMalformedResponseError(
            f"base_resp.status_code is not an integer: {code!r}",
            trace_id=trace_id,
            video_task_id=video_task_id,
        )
    # A query answer for a task that failed moderation carries its status with the code: that is a result
    # (the task's Fail), not an error of the call. An empty status is no status.
    status = data.get("status")
    carries_status = task_status_answer and isinstance(status, str) and bool(status.strip())
    if code != 0 and not (code in _TASK_FAILURE_CODES and carries_status):
        message = base_resp.get("status_msg")
        raise api_error_from_code(
            code, str(message) if message is not None else "", trace_id=trace_id, video_task_id=video_task_id
        )
    return data


def parse_create_response(raw: RawResponse) -> str:
    data = decode_envelope(raw)
    task_id = data.get("task_id")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    if not isinstance(task_id, str) or not task_id.strip():
        raise HailuoMalformedResponseError(
            "the create answer has no task_id although base_resp says success", trace_id=raw.trace_id
        )
    return task_id.strip()


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

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    def to_dict(self) -> dict[str, Any]:
        """Small JSON for XCom and trigger events."""
        data = asdict(self)
        data["status"] = self.status.value
        return data


def _optional_int(data: Mapping[str, Any], key: str, trace_id: str | None) -> int | None:
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


def status_from_mapping(
    data: Mapping[str, Any], *, video_task_id: str | None = None, trace_id: str | None = None
) -> VideoGenerationStatus:
    """Shared by the query answer and callback pushes, which have the same shape."""
    task_id = data.get("task_id", video_task_id)
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    if not isinstance(task_id, str) or not task_id:
        raise HailuoMalformedResponseError("the status answer has no task_id", trace_id=trace_id)
    if "status" not in data:
        raise HailuoMalformedResponseError(
            f"the status answer for task {task_id} has no status field", trace_id=trace_id
        )
    status = normalise_status(data["status"])
    raw_base = data.get("base_resp")
    base_resp: Mapping[str, Any] = raw_base if isinstance(raw_base, dict) else {}
    code = base_resp.get("status_code")
    error_code = code if isinstance(code, int) and not isinstance(code, bool) and code != 0 else None
    error_message = str(base_resp.get("status_msg") or "") if error_code else None
    if error_code in _TASK_FAILURE_CODES:
        status = VideoStatus.FAIL
    file_id = normalise_file_id(data.get("file_id")) if status is VideoStatus.SUCCESS else None
    if status is VideoStatus.SUCCESS and file_id is None:
        raise HailuoMalformedResponseError(
            f"task {task_id} reports Success but has no file_id", trace_id=trace_id
        )
    return VideoGenerationStatus(
        video_task_id=task_id,
        status=status,
        file_id=file_id,
        video_width=_optional_int(data, "video_width", trace_id),
        video_height=_optional_int(data, "video_height", trace_id),
        error_code=error_code,
        error_message=error_message,
        trace_id=trace_id,
    )


def parse_query_response(raw: RawResponse, video_task_id: str) -> VideoGenerationStatus:
    data = decode_envelope(raw, video_task_id=video_task_id, task_status_answer=True)
    return status_from_mapping(data, video_task_id=video_task_id, trace_id=raw.trace_id)


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


def parse_retrieve_response(raw: RawResponse, file_id: str | None = None) -> HailuoFile:
    data = decode_envelope(raw)
    file_obj = data.get("file")
    if not isinstance(file_obj, dict):
        raise HailuoMalformedResponseError(
            "the files/retrieve answer has no file object", trace_id=raw.trace_id
        )
    fid = normalise_file_id(file_obj.get("file_id", file_id), field_name="file.file_id") or file_id
    url = file_obj.get("download_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise HailuoMalformedResponseError(f"file {fid} has no usable download_url", trace_id=raw.trace_id)
    if fid is None:
        raise HailuoMalformedResponseError("the files/retrieve answer has no file_id", trace_id=raw.trace_id)
    backup = file_obj.get("backup_download_url")
    filename = file_obj.get("filename")
    purpose = file_obj.get("purpose")
    return HailuoFile(
        file_id=fid,
        download_url=url,
        bytes=_optional_int(file_obj, "bytes", raw.trace_id),
        filename=filename if isinstance(filename, str) else None,
        created_at=_optional_int(file_obj, "created_at", raw.trace_id),
        purpose=purpose if isinstance(purpose, str) else None,
        backup_download_url=backup if isinstance(backup, str) and backup else None,
    )
