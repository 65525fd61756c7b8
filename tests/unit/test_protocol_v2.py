"""The v2 wire protocol: requests, the ``{"task": ...}`` answer, the error envelope, malformed answers."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_hailuo.exceptions import (
    HailuoAuthenticationError,
    HailuoError,
    HailuoHTTPError,
    HailuoInsufficientBalanceError,
    HailuoInvalidParamsError,
    HailuoMalformedResponseError,
    HailuoRateLimitError,
)
from airflow_provider_hailuo.protocol import RawResponse, VideoStatus, v2


def raw(body: object, status: int = 200) -> RawResponse:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawResponse(status, {"Trace-Id": "t"}, data)


def envelope(status: int, kind: str, message: str) -> RawResponse:
    body = {
        "type": "error",
        "error": {"type": kind, "message": message, "http_code": str(status)},
        "request_id": "rq1",
    }
    return raw(body, status)


def task(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "42",
        "model": "MiniMax-H3",
        "status": "queued",
        "ratio": "16:9",
        "usage": {},
    }
    base.update(fields)
    return {"task": base}


def test_requests() -> None:
    create = v2.create_request({"model": "MiniMax-H3"})
    assert (create.method, create.path, create.idempotent) == ("POST", "/v2/video_generation", False)
    query = v2.query_request("42")
    assert (query.method, query.path) == ("GET", "/v2/query/video_generation/42")
    delete = v2.delete_request("42")
    assert (delete.method, delete.path, delete.idempotent) == ("DELETE", "/v2/video_generation/42", False)
    listing = v2.list_request(task_ids=["1", "2"], page_size=50)
    assert listing.params == {"page_num": "1", "page_size": "50", "filter.task_ids": "1,2"}


@pytest.mark.parametrize(
    ("raw_status", "expected"),
    [
        ("queued", VideoStatus.QUEUEING),
        ("running", VideoStatus.PROCESSING),
        ("failed", VideoStatus.FAIL),
        ("cancelled", VideoStatus.FAIL),
        ("expired", VideoStatus.FAIL),
    ],
)
def test_statuses_map_onto_the_common_model(raw_status: str, expected: VideoStatus) -> None:
    status = v2.parse_query_response(raw(task(status=raw_status)), "42")
    assert status.status is expected
    assert status.raw_status == raw_status
    assert status.api_version == "v2"
    if raw_status in ("cancelled", "expired"):
        assert status.error_message == f"the task was {raw_status}"


def test_succeeded_carries_url_ratio_and_usage() -> None:
    usage = {"total_seconds": 6, "output_seconds": 6, "input_image_count": 1, "total_tokens": 1.5}
    answer = task(
        status="succeeded", content={"url": "https://cdn/x.mp4?sig=1"}, ratio="adaptive", usage=usage
    )
    status = v2.parse_query_response(raw(answer), "42")
    assert status.status is VideoStatus.SUCCESS
    assert status.video_url == "https://cdn/x.mp4?sig=1"
    assert status.file_id is None
    assert status.ratio == "adaptive"
    assert status.usage == {
        "total_seconds": 6,
        "output_seconds": 6,
        "input_image_count": 1,
        "total_tokens": 1.5,
    }


def test_empty_ratio_is_tolerated() -> None:
    answer = task(status="succeeded", content={"url": "https://cdn/x.mp4"}, ratio="")
    assert v2.parse_query_response(raw(answer), "42").ratio == ""


def test_failed_task_error_code_as_string() -> None:
    answer = task(
        status="failed", error={"code": "1026", "message": "video description contains sensitive content"}
    )
    status = v2.parse_query_response(raw(answer), "42")
    assert (status.error_code, status.error_message) == (1026, "video description contains sensitive content")


@pytest.mark.parametrize(
    ("status", "kind", "message", "cls", "code"),
    [
        (400, "bad_request_error", "invalid params, invalid task_id (2013)", HailuoInvalidParamsError, 2013),
        (
            401,
            "authorized_error",
            "login fail: Please carry the API secret key (1004)",
            HailuoAuthenticationError,
            1004,
        ),
        (
            402,
            "insufficient_balance_error",
            "insufficient balance (1008)",
            HailuoInsufficientBalanceError,
            1008,
        ),
        (429, "rate_limit_error", "rate limit, please retry later (1002)", HailuoRateLimitError, 1002),
    ],
)
def test_error_envelope_goes_through_the_code_table(
    status: int, kind: str, message: str, cls: type[HailuoError], code: int
) -> None:
    with pytest.raises(cls) as info:
        v2.parse_create_response(envelope(status, kind, message))
    assert info.value.code == code  # type: ignore[attr-defined]
    assert info.value.trace_id == "rq1"  # type: ignore[attr-defined]
    assert f"({code})" not in info.value.status_msg  # type: ignore[attr-defined]


def test_402_explains_pay_as_you_go() -> None:
    with pytest.raises(HailuoInsufficientBalanceError) as info:
        v2.parse_create_response(envelope(402, "insufficient_balance_error", "insufficient balance (1008)"))
    assert "pay-as-you-go" in str(info.value)


def test_error_envelope_with_numeric_code_field() -> None:
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down", "code": 1002}}
    with pytest.raises(HailuoRateLimitError):
        v2.parse_query_response(raw(body, 429), "42")


def test_error_without_code_is_http_error() -> None:
    with pytest.raises(HailuoHTTPError) as info:
        v2.parse_query_response(raw(b"<html>bad gateway</html>", 502), "42")
    assert info.value.retryable


def test_2xx_with_error_object_is_an_error() -> None:
    body = {"error": {"type": "bad_request_error", "message": "invalid params, x (2013)"}}
    with pytest.raises(HailuoInvalidParamsError):
        v2.parse_create_response(raw(body))


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"task": None},
        {"task": {"id": "42"}},
        {"task": {"id": "42", "status": "succeeded"}},
        {"task": {"id": "42", "status": "succeeded", "content": {"url": 3}}},
        {"task": {"id": "42", "status": "succeeded", "content": {"url": "https://x"}, "usage": "lots"}},
        {"task": {"id": "42", "status": "bogus"}},
        [],
    ],
)
def test_malformed_query_answers(body: object) -> None:
    with pytest.raises(HailuoMalformedResponseError):
        v2.parse_query_response(raw(body), "42")


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
        max_leaves=12,
    )
)
def test_any_json_gives_a_status_or_a_provider_error(body: object) -> None:
    for payload in (body, {"task": body}):
        try:
            v2.parse_query_response(raw(payload), "42")
        except HailuoError:
            pass


def test_create_list_delete_answers() -> None:
    assert v2.parse_create_response(raw({"task_id": "424010985738629"})) == "424010985738629"
    with pytest.raises(HailuoMalformedResponseError):
        v2.parse_create_response(raw({"task_id": ""}))
    items, total = v2.parse_list_response(raw({"items": [task()["task"]], "total": 1}))
    assert (items[0].video_task_id, total) == ("42", 1)
    with pytest.raises(HailuoMalformedResponseError):
        v2.parse_list_response(raw({"items": "x", "total": 1}))
    assert (
        v2.parse_delete_response(raw({"task_id": "42", "action": "cancelled", "status": "cancelled"}), "42")
        == "cancelled"
    )
    with pytest.raises(HailuoMalformedResponseError):
        v2.parse_delete_response(raw({"task_id": "42"}), "42")


def test_list_items_keep_what_a_create_is_matched_on() -> None:
    item = task(model="MiniMax-H3", duration=4, resolution="768P", created_at=1000, task_type="generation")[
        "task"
    ]
    (listed,), _total = v2.parse_list_response(raw({"items": [item], "total": 1}))
    assert (listed.model, listed.duration, listed.resolution, listed.created_at) == (
        "MiniMax-H3",
        4,
        "768P",
        1000,
    )
    payload = {"model": "MiniMax-H3", "duration": 4, "resolution": "768P"}
    assert v2.made_from(listed, payload, since=990, until=1010)
    assert not v2.made_from(listed, payload, since=1001, until=1010)  # created before the request was sent
    assert not v2.made_from(listed, {**payload, "duration": 6}, since=990, until=1010)
    assert not v2.made_from(listed, {**payload, "resolution": "2K"}, since=990, until=1010)
    assert not v2.made_from(listed, {**payload, "model": "MiniMax-H3-Max"}, since=990, until=1010)
    other = task(created_at=1000, task_type="h3_context_ir", duration=4, resolution="768P")["task"]
    (ctx_ir,), _ = v2.parse_list_response(raw({"items": [other], "total": 1}))
    assert not v2.made_from(ctx_ir, payload, since=990, until=1010)  # a prompt enhancement is no video
    bare = {"id": "7", "status": "queued"}
    (unknown,), _ = v2.parse_list_response(raw({"items": [bare], "total": 1}))
    assert unknown.created_at is None and not v2.made_from(unknown, payload, since=0, until=2e9)
