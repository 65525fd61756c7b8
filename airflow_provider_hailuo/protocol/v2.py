"""The v2 wire protocol (``/v2/video_generation``, the MiniMax-H3 family): requests and answers, no I/O.

v2 answers errors with a real HTTP status and an envelope (``{"type": "error", "error": {...},
"request_id": ...}``) whose MiniMax code is the trailing ``(NNNN)`` of the message; that code goes
through the same code table as v1's ``base_resp`` (:func:`api_error_from_code`), so a 1008 or a 2013
means the same thing whichever API sent it. Statuses (``queued`` ... ``expired``) map onto the
common status model. A v2 task has no file id: a succeeded task carries its video's URL, which
expires and is refreshed by querying again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from airflow_provider_hailuo.error_codes import Call, error_code_rule
from airflow_provider_hailuo.exceptions import (
    HailuoHTTPError,
    HailuoMalformedResponseError,
    api_error_from_code,
)
from airflow_provider_hailuo.protocol.common import (
    ApiRequest,
    RawResponse,
    VideoGenerationStatus,
    VideoStatus,
    normalise_status,
)

API_VERSION = "v2"
CREATE_PATH = "/v2/video_generation"
QUERY_PATH = "/v2/query/video_generation"
#: Prompt enhancement (§4.1; a text task, its result is ``content.prompt``) and 768P -> 2K regeneration (§4.2).
CONTEXT_IR_PATH = "/v2/h3_context_ir"
REGENERATION_PATH = "/v2/video_regeneration"
#: ``task_type`` of each kind of v2 task, as the query and the list report it (and ``filter.task_type`` takes).
TASK_TYPE_PATHS: Mapping[str, str] = {
    "generation": CREATE_PATH,
    "h3_context_ir": CONTEXT_IR_PATH,
    "regeneration": REGENERATION_PATH,
}

#: A v2 video has no file id; the transfer and the download stream name it ``v2:<task id>`` and get its
#: (expiring) URL by querying the task, again whenever the URL has expired.
VIDEO_REF_PREFIX = "v2:"


def video_ref(video_task_id: str) -> str:
    return f"{VIDEO_REF_PREFIX}{video_task_id}"


#: How a v2 task is named to users, the sensor and the CLI (a bare id is taken as v1's).
task_ref = video_ref


def task_id_of_ref(ref: str) -> str | None:
    """The task id inside a ``v2:<task id>`` reference, or None for a v1 file id."""
    if isinstance(ref, str) and ref.startswith(VIDEO_REF_PREFIX) and ref[len(VIDEO_REF_PREFIX) :].strip():
        return ref[len(VIDEO_REF_PREFIX) :].strip()
    return None


_TRAILING_CODE = re.compile(r"\((\d{3,6})\)\s*$")
#: The usage fields MiniMax documents (§5.6); numbers of either kind are accepted.
USAGE_FIELDS: tuple[str, ...] = (
    "total_seconds",
    "input_seconds",
    "output_seconds",
    "input_image_count",
    "input_audio_seconds",
    "total_tokens",
    "prompt_tokens",
    "completion_tokens",
)


# ``group_id`` is accepted and ignored so that v1 and v2 requests are built through one signature.
def create_request(payload: Mapping[str, Any], *, group_id: str | None = None) -> ApiRequest:
    return ApiRequest("POST", CREATE_PATH, {}, dict(payload), idempotent=False)


def submit_request(task_type: str, payload: Mapping[str, Any]) -> ApiRequest:
    """The create call of a kind of v2 task (``generation``, ``h3_context_ir``, ``regeneration``); paid, never
    repeated blindly. All three answer ``{"task_id": ...}`` (:func:`parse_create_response`)."""
    if task_type not in TASK_TYPE_PATHS:
        raise ValueError(f"task_type: expected one of {', '.join(TASK_TYPE_PATHS)}, got {task_type!r}")
    return ApiRequest("POST", TASK_TYPE_PATHS[task_type], {}, dict(payload), idempotent=False)


def query_request(video_task_id: str, *, group_id: str | None = None) -> ApiRequest:
    return ApiRequest("GET", f"{QUERY_PATH}/{quote(str(video_task_id), safe='')}")


def delete_request(video_task_id: str) -> ApiRequest:
    """Cancels a ``queued`` task (not billed) or deletes a finished one's record. Not repeated blindly."""
    return ApiRequest("DELETE", f"{CREATE_PATH}/{quote(str(video_task_id), safe='')}", idempotent=False)


def list_request(
    *,
    page_num: int = 1,
    page_size: int = 20,
    task_ids: Sequence[str] = (),
    status: str | None = None,
    model: str | None = None,
    task_type: str | None = None,
    repeat_task_ids: bool = False,
) -> ApiRequest:
    """``filter.task_ids`` is sent comma-joined, as MiniMax's own CLI does, or with ``repeat_task_ids``
    as the parameter repeated, as other clients do: which one MiniMax reads is open (conflict C8)."""
    params: dict[str, str | list[str]] = {"page_num": str(page_num), "page_size": str(page_size)}
    if task_ids:
        ids = [str(t) for t in task_ids]
        params["filter.task_ids"] = ids if repeat_task_ids else ",".join(ids)
    if status:
        params["filter.status"] = status
    if model:
        params["filter.model"] = model
    if task_type:
        params["filter.task_type"] = task_type
    return ApiRequest("GET", QUERY_PATH, params)


def _error_from_envelope(raw: RawResponse, data: Any, call: Call, video_task_id: str | None) -> Exception:
    """The exception for a v2 error answer (any status), via the shared code table where a code is given."""
    error = data.get("error") if isinstance(data, dict) else None
    request_id = data.get("request_id") if isinstance(data, dict) else None
    trace_id = str(request_id) if isinstance(request_id, (str, int)) and request_id != "" else raw.trace_id
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        code: int | None = None
        match = _TRAILING_CODE.search(message)
        if match:
            code = int(match.group(1))
            message = message[: match.start()].rstrip()
        elif isinstance(error.get("code"), int) and not isinstance(error.get("code"), bool):
            code = int(error["code"])
        # A code the table declares decides the error; an unknown one leaves it to the HTTP status's row.
        if code is not None and error_code_rule(code, message) is not None:
            return api_error_from_code(
                code, message, trace_id=trace_id, video_task_id=video_task_id, call=call
            )
        shown = message or raw.snippet
    else:
        shown = raw.snippet
    return HailuoHTTPError(
        f"HTTP {raw.status} from the MiniMax API: {shown!r}",
        http_status=raw.status,
        trace_id=trace_id,
        retry_after=raw.retry_after,
        video_task_id=video_task_id,
        call=call,
    )


def decode(raw: RawResponse, call: Call, *, video_task_id: str | None = None) -> dict[str, Any]:
    """The JSON object of a successful v2 answer, or the clear error it stands for."""
    try:
        data: Any = json.loads(raw.body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if raw.status != 200:
        raise _error_from_envelope(raw, data, call, video_task_id)
    if data is None:
        looks_html = raw.body.lstrip()[:1] == b"<"
        raise HailuoMalformedResponseError(
            ("an HTML page" if looks_html else "a non-JSON body")
            + f" came back instead of JSON (often a gateway error page): {raw.snippet!r}",
            trace_id=raw.trace_id,
            video_task_id=video_task_id,
            retryable=looks_html,
        )
    if not isinstance(data, dict):
        raise HailuoMalformedResponseError(
            f"expected a JSON object, got {type(data).__name__}",
            trace_id=raw.trace_id,
            video_task_id=video_task_id,
        )
    # A rejection may come as 2xx with an error object or a non-zero base_resp (contract §5.1).
    if isinstance(data.get("error"), dict):
        raise _error_from_envelope(raw, data, call, video_task_id)
    base = data.get("base_resp")
    code = base.get("status_code") if isinstance(base, dict) else None
    if isinstance(base, dict) and isinstance(code, int) and not isinstance(code, bool) and code != 0:
        raise api_error_from_code(
            code,
            str(base.get("status_msg") or ""),
            trace_id=raw.trace_id,
            video_task_id=video_task_id,
            call=call,
        )
    return data


def parse_create_response(raw: RawResponse) -> str:
    data = decode(raw, Call.CREATE)
    task_id = data.get("task_id")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    if not isinstance(task_id, str) or not task_id.strip():
        raise HailuoMalformedResponseError("the v2 create answer has no task_id", trace_id=raw.trace_id)
    return task_id.strip()


def _usage(value: object, trace_id: str | None) -> dict[str, float] | None:
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise HailuoMalformedResponseError(
            f"usage is not an object: {type(value).__name__}", trace_id=trace_id
        )
    usage: dict[str, float] = {}
    for key in USAGE_FIELDS:
        number = value.get(key)
        if number is None:
            continue
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise HailuoMalformedResponseError(f"usage.{key} is not a number: {number!r}", trace_id=trace_id)
        usage[key] = int(number) if float(number).is_integer() else float(number)
    return usage or None


def status_from_task(
    task: Mapping[str, Any],
    *,
    video_task_id: str | None = None,
    trace_id: str | None = None,
    require_url: bool = True,
) -> VideoGenerationStatus:
    """A ``VideoTask`` object (query answer, list item or callback push) as the common status.

    ``require_url=False`` is for callback pushes: the receiver keeps no URL (it is signed and short-lived;
    the transfer queries the task again), and the backstop's deliveries carry none.
    """
    task_id = task.get("id", video_task_id)
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    if not isinstance(task_id, str) or not task_id:
        raise HailuoMalformedResponseError("the v2 task has no id", trace_id=trace_id)
    raw_status = task.get("status")
    if not isinstance(raw_status, str) or not raw_status.strip():
        raise HailuoMalformedResponseError(f"the v2 task {task_id} has no status", trace_id=trace_id)
    status = normalise_status(raw_status)
    content = task.get("content")
    url = content.get("url") if isinstance(content, dict) else None
    # A Context-IR task (§4.1) succeeds with the enhanced prompt and no video.
    prompt = content.get("prompt") if isinstance(content, dict) else None
    prompt = prompt if isinstance(prompt, str) and prompt.strip() else None
    if (
        require_url
        and status is VideoStatus.SUCCESS
        and prompt is None
        and not (isinstance(url, str) and url.startswith(("http://", "https://")))
    ):
        raise HailuoMalformedResponseError(
            f"v2 task {task_id} reports succeeded but has no content.url (nor a content.prompt)",
            trace_id=trace_id,
        )
    if not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        url = None
    error = task.get("error")
    error_code: int | None = None
    error_message: str | None = None
    if status is VideoStatus.FAIL:
        if isinstance(error, dict):
            code = error.get("code")
            if isinstance(code, str) and code.strip().isdigit():
                code = int(code.strip())
            error_code = code if isinstance(code, int) and not isinstance(code, bool) and code else None
            error_message = str(error.get("message") or "") or None
        if error_message is None and raw_status.strip().lower() != "failed":
            error_message = f"the task was {raw_status.strip().lower()}"
    ratio = task.get("ratio")
    return VideoGenerationStatus(
        video_task_id=task_id,
        status=status,
        error_code=error_code,
        error_message=error_message,
        trace_id=trace_id,
        api_version=API_VERSION,
        video_url=url if status is VideoStatus.SUCCESS and isinstance(url, str) else None,
        raw_status=raw_status.strip().lower(),
        ratio=ratio if isinstance(ratio, str) else None,
        usage=_usage(task.get("usage"), trace_id) if status is VideoStatus.SUCCESS else None,
        prompt=prompt if status is VideoStatus.SUCCESS else None,
    )


def parse_query_response(raw: RawResponse, video_task_id: str) -> VideoGenerationStatus:
    data = decode(raw, Call.QUERY, video_task_id=video_task_id)
    task = data.get("task")
    if not isinstance(task, dict):
        raise HailuoMalformedResponseError(
            f"the v2 query answer for {video_task_id} has no task object", trace_id=raw.trace_id
        )
    return status_from_task(task, video_task_id=video_task_id, trace_id=raw.trace_id)


@dataclass(frozen=True)
class ListedTask:
    """One list item: its status, and what it was made with (what an ambiguous create is matched on).

    Fields MiniMax leaves out are None; a task missing one cannot be matched to a request on it.
    """

    status: VideoGenerationStatus
    model: str | None
    resolution: str | None
    duration: int | None
    created_at: int | None
    task_type: str | None

    @property
    def video_task_id(self) -> str:
        return self.status.video_task_id


def _listed(item: Mapping[str, Any], trace_id: str | None) -> ListedTask:
    def text(key: str) -> str | None:
        value = item.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def number(key: str) -> int | None:
        value = item.get(key)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
        return None

    return ListedTask(
        status_from_task(item, trace_id=trace_id),
        model=text("model"),
        resolution=text("resolution"),
        duration=number("duration"),
        created_at=number("created_at"),
        task_type=text("task_type"),
    )


def _list_items(raw: RawResponse) -> tuple[list[dict[str, Any]], int]:
    data = decode(raw, Call.QUERY)
    items, total = data.get("items"), data.get("total")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise HailuoMalformedResponseError("the v2 list answer has no items array", trace_id=raw.trace_id)
    if isinstance(total, bool) or not isinstance(total, int):
        raise HailuoMalformedResponseError("the v2 list answer has no integer total", trace_id=raw.trace_id)
    return items, total


def parse_list_response(raw: RawResponse) -> tuple[list[ListedTask], int]:
    items, total = _list_items(raw)
    return [_listed(i, raw.trace_id) for i in items], total


def parse_list_statuses(
    raw: RawResponse, wanted: Sequence[str]
) -> tuple[dict[str, VideoGenerationStatus | HailuoMalformedResponseError], set[str]]:
    """The statuses of the ``wanted`` ids in a list answer, each parsed as its own query would be.

    A malformed item is that id's error alone, not the whole answer's: one bad task must not stall the
    waits of the others sharing the list call. Ids the answer does not hold are simply absent (the
    caller queries them one by one). Also returned: the ids listed that were not asked for, the sign
    that the API ignored ``filter.task_ids``. The envelope itself failing raises, as any call's does.
    """
    items, _total = _list_items(raw)
    wanted_ids = set(wanted)
    found: dict[str, VideoGenerationStatus | HailuoMalformedResponseError] = {}
    unasked: set[str] = set()
    for item in items:
        task_id = item.get("id")
        task_id = str(task_id) if isinstance(task_id, (str, int)) and not isinstance(task_id, bool) else None
        if task_id is None or task_id not in wanted_ids:
            unasked.add(str(task_id))
            continue
        if task_id in found:
            continue
        try:
            found[task_id] = status_from_task(item, video_task_id=task_id, trace_id=raw.trace_id)
        except HailuoMalformedResponseError as err:
            found[task_id] = err
    return found, unasked


def made_from(task: ListedTask, payload: Mapping[str, Any], *, since: float, until: float) -> bool:
    """Whether a listed task may be the one a create body made: same model, duration and resolution,
    the same kind of task, created between ``since`` and ``until`` (epoch seconds).

    v2 has no idempotency key and no client reference, and the list does not return the prompt, so
    this is all a client can match on (contract §6.2). ``ratio`` is left out: MiniMax reports the
    ratio it chose (or ``adaptive``), not the one sent. ``payload`` may name the kind as ``task_type``
    (a create body is a ``generation``); a duration or resolution it leaves out is not matched on (a
    Context-IR body has no resolution, a regeneration body no duration).
    """
    return (
        task.model == payload.get("model")
        and ("duration" not in payload or task.duration == payload.get("duration"))
        and (
            "resolution" not in payload
            or (task.resolution or "").upper() == str(payload.get("resolution") or "").upper()
        )
        and task.task_type in (None, payload.get("task_type") or "generation")
        and task.created_at is not None
        and since <= task.created_at <= until
    )


def parse_delete_response(raw: RawResponse, video_task_id: str) -> str:
    """What DELETE did: ``cancelled`` (a queued task, not billed) or ``deleted`` (a finished one)."""
    data = decode(raw, Call.QUERY, video_task_id=video_task_id)
    action = data.get("action") or data.get("status")
    if action not in ("cancelled", "deleted"):
        raise HailuoMalformedResponseError(
            f"the v2 delete answer for {video_task_id} has no action: {raw.snippet!r}", trace_id=raw.trace_id
        )
    return str(action)
