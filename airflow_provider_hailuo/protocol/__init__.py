"""MiniMax's wire protocol, one module per API generation, with no I/O.

``common`` holds what every generation shares (request/response shapes, the status model);
``v1`` the ``/v1`` request and answer rules. A new generation adds its own module exposing the same
functions (``create_request``, ``query_request``, ``parse_create_response``, ``parse_query_response``
...) that return the common shapes, so callers keep one vocabulary and do not branch on the version.
The names below are what the provider's callers use today (v1).
"""

from __future__ import annotations

from types import ModuleType

from airflow_provider_hailuo.protocol.common import (
    USER_AGENT,
    ApiRequest,
    HailuoFile,
    RawResponse,
    VideoGenerationStatus,
    VideoStatus,
    build_headers,
    normalise_base_url,
    normalise_file_id,
    normalise_status,
)
from airflow_provider_hailuo.protocol.v1 import (
    CREATE_PATH,
    QUERY_PATH,
    RETRIEVE_PATH,
    create_request,
    decode_envelope,
    parse_create_response,
    parse_query_response,
    parse_retrieve_response,
    query_request,
    retrieve_request,
    status_from_mapping,
)


def for_version(api_version: str | None) -> ModuleType:
    """The protocol module of an API generation (``"v1"`` or ``"v2"``), for callers that hold a task id."""
    from airflow_provider_hailuo.protocol import v1, v2

    if api_version in (None, "", "v1"):
        return v1
    if api_version == "v2":
        return v2
    raise ValueError(f"api_version: expected v1 or v2, got {api_version!r}")


def task_ref(video_task_id: str, api_version: str | None) -> str:
    """The name a task goes by in messages, the sensor and the CLI: ``v2:<id>`` on v2, the bare id on v1."""
    return for_version(api_version).task_ref(str(video_task_id))  # type: ignore[no-any-return]


def split_task_ref(ref: object) -> tuple[str, str]:
    """``(task id, API version)`` of what :func:`task_ref` gives; a bare id is a v1 task's."""
    from airflow_provider_hailuo.protocol import v2

    text = str(ref).strip() if ref is not None else ""
    task_id = v2.task_id_of_ref(text)
    return (task_id, "v2") if task_id is not None else (text, "v1")


__all__ = [
    "CREATE_PATH",
    "QUERY_PATH",
    "RETRIEVE_PATH",
    "USER_AGENT",
    "ApiRequest",
    "HailuoFile",
    "RawResponse",
    "VideoGenerationStatus",
    "VideoStatus",
    "build_headers",
    "create_request",
    "decode_envelope",
    "for_version",
    "normalise_base_url",
    "normalise_file_id",
    "normalise_status",
    "parse_create_response",
    "parse_query_response",
    "parse_retrieve_response",
    "query_request",
    "retrieve_request",
    "split_task_ref",
    "status_from_mapping",
    "task_ref",
]
