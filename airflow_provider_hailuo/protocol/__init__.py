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
    "status_from_mapping",
]
