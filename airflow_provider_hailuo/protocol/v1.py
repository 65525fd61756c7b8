"""The v1 wire protocol (``/v1/video_generation``): building requests and parsing answers, no I/O.

Every v1 rule about the wire format lives here, shared by the sync hook, the async hook used by the
trigger, the sensor, the callback plugin and the CLI: status spellings are normalised (``Success``
from the query, ``success`` from callbacks), ``file_id`` becomes a string (the query sends a string,
``files/retrieve`` an integer), and every malformed answer becomes a clear exception instead of a
``KeyError`` deep in a DAG. What is not v1-specific (the status model, request and response shapes)
is in :mod:`.common`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_hailuo.error_codes import TASK_FAILURE_CODES, Call
from airflow_provider_hailuo.exceptions import (
    HailuoHTTPError,
    HailuoMalformedResponseError,
    api_error_from_code,
)
from airflow_provider_hailuo.protocol.common import (
    ApiRequest,
    HailuoFile,
    RawResponse,
    VideoGenerationStatus,
    VideoStatus,
    normalise_file_id,
    normalise_status,
    optional_int,
)

CREATE_PATH = "/v1/video_generation"
QUERY_PATH = "/v1/query/video_generation"
RETRIEVE_PATH = "/v1/files/retrieve"


def _group_params(group_id: str | None) -> dict[str, str]:
    # The seed's usage sends GroupId; current docs drop it. Send it only when the user configured one.
    return {"GroupId": group_id} if group_id else {}


def task_ref(video_task_id: str) -> str:
    """How a v1 task is named to users, the sensor and the CLI: its bare id."""
    return str(video_task_id)


def create_request(payload: Mapping[str, Any], *, group_id: str | None = None) -> ApiRequest:
    return ApiRequest("POST", CREATE_PATH, _group_params(group_id), dict(payload), idempotent=False)


def query_request(video_task_id: str, *, group_id: str | None = None) -> ApiRequest:
    return ApiRequest("GET", QUERY_PATH, {"task_id": str(video_task_id), **_group_params(group_id)})


def retrieve_request(file_id: str, *, group_id: str | None = None) -> ApiRequest:
    return ApiRequest("GET", RETRIEVE_PATH, {"file_id": str(file_id), **_group_params(group_id)})


def decode_envelope(raw: RawResponse, call: Call, *, video_task_id: str | None = None) -> dict[str, Any]:
    """Check HTTP status, JSON-ness and ``base_resp``; return the JSON object or raise a clear error.

    ``call`` picks the advice in the error; on a query a moderation code may come with the task's status.
    """
    trace_id = raw.trace_id
    if raw.status != 200:
        raise HailuoHTTPError(
            f"HTTP {raw.status} from the MiniMax API: {raw.snippet!r}",
            http_status=raw.status,
            trace_id=trace_id,
            retry_after=raw.retry_after,
            video_task_id=video_task_id,
            call=call,
        )
    try:
        data = json.loads(raw.body)
    except (ValueError, UnicodeDecodeError):
        looks_html = raw.body.lstrip()[:1] == b"<"
        raise HailuoMalformedResponseError(
            ("an HTML page" if looks_html else "a non-JSON body")
            + f" came back instead of JSON (often a gateway error page): {raw.snippet!r}",
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
    if video_task_id is None and call is Call.CREATE:
        # A create answer broken further down may still name its task: the error says which to look for.
        video_task_id = _task_id_of(data)
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
    if code == 0:
        return data
    # A query answer for a task that failed moderation carries its status with the code: that is a result
    # (the task's Fail), not an error of the call. An empty status is no status.
    status = data.get("status")
    carries_status = call is Call.QUERY and isinstance(status, str) and bool(status.strip())
    if not (code in TASK_FAILURE_CODES and carries_status):
        message = base_resp.get("status_msg")
        raise api_error_from_code(
            code,
            str(message) if message is not None else "",
            trace_id=trace_id,
            video_task_id=video_task_id,
            call=call,
        )
    return data


def _task_id_of(data: Mapping[str, Any]) -> str | None:
    task_id = data.get("task_id")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    return task_id.strip() if isinstance(task_id, str) and task_id.strip() else None


def parse_create_response(raw: RawResponse) -> str:
    task_id = _task_id_of(decode_envelope(raw, Call.CREATE))
    if task_id is None:
        raise HailuoMalformedResponseError(
            "the create answer has no task_id although base_resp says success", trace_id=raw.trace_id
        )
    return task_id


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
    error_code = code if code and isinstance(code, int) and not isinstance(code, bool) else None
    error_message = str(base_resp.get("status_msg") or "") if error_code else None
    if error_code in TASK_FAILURE_CODES:
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
        video_width=optional_int(data, "video_width", trace_id),
        video_height=optional_int(data, "video_height", trace_id),
        error_code=error_code,
        error_message=error_message,
        trace_id=trace_id,
    )


def parse_query_response(raw: RawResponse, video_task_id: str) -> VideoGenerationStatus:
    data = decode_envelope(raw, Call.QUERY, video_task_id=video_task_id)
    return status_from_mapping(data, video_task_id=video_task_id, trace_id=raw.trace_id)


def parse_retrieve_response(raw: RawResponse, file_id: str | None = None) -> HailuoFile:
    data = decode_envelope(raw, Call.RETRIEVE)
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
        bytes=optional_int(file_obj, "bytes", raw.trace_id),
        filename=filename if isinstance(filename, str) else None,
        created_at=optional_int(file_obj, "created_at", raw.trace_id),
        purpose=purpose if isinstance(purpose, str) else None,
        backup_download_url=backup if isinstance(backup, str) and backup else None,
    )
