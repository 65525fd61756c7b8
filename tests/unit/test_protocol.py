from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from airflow_provider_hailuo.exceptions import (
    HailuoAPIError,
    HailuoAuthenticationError,
    HailuoError,
    HailuoHTTPError,
    HailuoMalformedResponseError,
    HailuoRateLimitError,
)
from airflow_provider_hailuo.protocol import (
    RawResponse,
    VideoStatus,
    create_request,
    normalise_base_url,
    normalise_file_id,
    normalise_status,
    parse_create_response,
    parse_query_response,
    parse_retrieve_response,
    query_request,
    status_from_mapping,
)
from airflow_provider_hailuo.shapes import video_state


def raw(body: object, status: int = 200, headers: dict[str, str] | None = None) -> RawResponse:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawResponse(status, headers or {"Trace-Id": "trace-1"}, data)


OK = {"status_code": 0, "status_msg": "success"}


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("Preparing", VideoStatus.PREPARING),
        ("Queueing", VideoStatus.QUEUEING),
        ("Processing", VideoStatus.PROCESSING),
        ("processing", VideoStatus.PROCESSING),
        ("Success", VideoStatus.SUCCESS),
        ("success", VideoStatus.SUCCESS),
        ("Fail", VideoStatus.FAIL),
        ("failed", VideoStatus.FAIL),
        ("Failed", VideoStatus.FAIL),
    ],
)
def test_status_spellings_are_normalised(spelling: str, expected: VideoStatus) -> None:
    assert normalise_status(spelling) is expected


def test_status_with_stray_whitespace_is_normalised() -> None:
    assert normalise_status(" Processing ") is VideoStatus.PROCESSING


@pytest.mark.parametrize(
    "headers",
    [
        {"Trace-Id": "t-9"},
        {"trace-id": "t-9"},
        {"X-Trace-Id": "t-9"},
        {"x-trace-id": "t-9", "Content-Type": "application/json"},
        CIMultiDictProxy(CIMultiDict({"trace-id": "t-9"})),  # what the async hook passes on
        CIMultiDictProxy(CIMultiDict({"X-TRACE-ID": "t-9"})),
    ],
)
def test_trace_id_in_any_spelling_and_header_mapping(headers: Mapping[str, str]) -> None:
    answer = RawResponse(
        200, headers, json.dumps({"base_resp": {"status_code": 1002, "status_msg": "x"}}).encode()
    )
    assert answer.trace_id == "t-9"
    with pytest.raises(HailuoError) as info:
        parse_query_response(answer, "1")
    assert info.value.trace_id == "t-9"  # type: ignore[attr-defined]


def test_no_trace_id_is_none() -> None:
    assert RawResponse(200, CIMultiDictProxy(CIMultiDict({"Server": "x"})), b"{}").trace_id is None
    assert RawResponse(200, {"Server": "x"}, b"{}").trace_id is None


def test_unknown_status_is_a_clear_error() -> None:
    with pytest.raises(HailuoMalformedResponseError, match="unknown video task status 'Done'"):
        normalise_status("Done")


def test_file_id_string_and_integer_normalise_to_string() -> None:
    assert normalise_file_id("176844028768320") == "176844028768320"
    assert normalise_file_id(176844028768320) == "176844028768320"
    assert normalise_file_id("") is None
    with pytest.raises(HailuoMalformedResponseError):
        normalise_file_id("abc")
    with pytest.raises(HailuoMalformedResponseError):
        normalise_file_id(True)


def test_group_id_sent_only_when_set() -> None:
    assert create_request({"model": "m"}).params == {}
    assert create_request({"model": "m"}, group_id="g1").params == {"GroupId": "g1"}
    assert "GroupId=g1" in query_request("1", group_id="g1").url("https://h")
    assert create_request({}).idempotent is False and query_request("1").idempotent is True


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (None, "https://api.minimaxi.com"),
        ("api.minimax.io", "https://api.minimax.io"),
        ("https://api.minimax.io/", "https://api.minimax.io"),
        ("https://api.minimax.io/v1", "https://api.minimax.io"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_base_url_normalisation(host: str | None, expected: str) -> None:
    assert normalise_base_url(host, "https://api.minimaxi.com") == expected


def test_create_answer() -> None:
    assert parse_create_response(raw({"task_id": "106916112212032", "base_resp": OK})) == "106916112212032"


def test_create_answer_without_task_id_is_clear() -> None:
    with pytest.raises(HailuoMalformedResponseError, match="no task_id"):
        parse_create_response(raw({"base_resp": OK}))


@pytest.mark.parametrize(
    ("code", "cls"), [(1002, HailuoRateLimitError), (1004, HailuoAuthenticationError), (4242, HailuoAPIError)]
)
def test_business_errors_map_to_classes_with_trace_id(code: int, cls: type[Exception]) -> None:
    with pytest.raises(cls) as info:
        parse_create_response(raw({"base_resp": {"status_code": code, "status_msg": "nope"}}))
    assert info.value.code == code  # type: ignore[attr-defined]
    assert info.value.trace_id == "trace-1"  # type: ignore[attr-defined]
    assert "trace-1" in str(info.value)


def test_html_gateway_page_is_retryable_and_clear() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    with pytest.raises(HailuoHTTPError) as info:
        parse_query_response(raw(page, status=502), "1")
    assert info.value.retryable and info.value.http_status == 502
    with pytest.raises(HailuoMalformedResponseError) as info2:
        parse_query_response(raw(page, status=200), "1")
    assert info2.value.retryable
    assert "HTML" in str(info2.value)


def test_non_json_200_is_not_retryable() -> None:
    with pytest.raises(HailuoMalformedResponseError) as info:
        parse_query_response(raw(b"garbage"), "1")
    assert not info.value.retryable


def test_retry_after_is_read() -> None:
    with pytest.raises(HailuoHTTPError) as info:
        parse_query_response(raw(b"slow down", status=429, headers={"Retry-After": "7"}), "1")
    assert info.value.retry_after == 7.0 and info.value.retryable


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        {"status": "Success"},
        {"base_resp": "ok"},
        {"base_resp": {"status_code": "0"}},
        {"base_resp": OK},
        {"task_id": "1", "status": "Success", "base_resp": OK},
        {"task_id": "1", "status": "Weird", "base_resp": OK},
        {"task_id": "1", "status": "Success", "file_id": "5", "video_width": "wide", "base_resp": OK},
        {"task_id": "1", "status": "Success", "file_id": [5], "base_resp": OK},
    ],
)
def test_malformed_query_answers_give_clear_errors(body: object) -> None:
    with pytest.raises(HailuoMalformedResponseError):
        parse_query_response(raw(body), "1")


def test_query_success() -> None:
    status = parse_query_response(
        raw(
            {
                "task_id": "1",
                "status": "Success",
                "file_id": "176844028768320",
                "video_width": 1920,
                "video_height": 1080,
                "base_resp": OK,
            }
        ),
        "1",
    )
    assert status.status is VideoStatus.SUCCESS and status.file_id == "176844028768320"
    assert video_state(status)["status"] == "Success" and status.video_width == 1920


def test_query_output_moderation_is_a_failed_task_not_an_exception() -> None:
    status = parse_query_response(
        raw(
            {
                "task_id": "1",
                "status": "Fail",
                "base_resp": {"status_code": 1027, "status_msg": "output sensitive"},
            }
        ),
        "1",
    )
    assert status.status is VideoStatus.FAIL and status.error_code == 1027


def test_moderation_code_with_an_empty_status_is_the_moderation_error() -> None:
    """Error bodies often carry ``"status": ""``: that is no status, and the code must win."""
    from airflow_provider_hailuo.exceptions import HailuoInputSensitiveError
    from airflow_provider_hailuo.retry import create_may_have_happened

    body = {"task_id": "", "status": "", "base_resp": {"status_code": 1026, "status_msg": "input sensitive"}}
    with pytest.raises(HailuoInputSensitiveError):
        parse_query_response(raw(body), "1")
    # On create, a status field never turns an error into "success without task_id" (which would wrongly
    # say a task may have been created and billed).
    for status in ("", "Fail"):
        with pytest.raises(HailuoInputSensitiveError) as info:
            parse_create_response(raw({**body, "status": status}))
        assert not create_may_have_happened(info.value)


def test_callback_body_uses_same_parser() -> None:
    status = status_from_mapping(
        {"task_id": "9", "status": "success", "file_id": "205258526306433", "base_resp": OK}
    )
    assert status.status is VideoStatus.SUCCESS and status.file_id == "205258526306433"


def test_retrieve_integer_file_id_and_fields() -> None:
    f = parse_retrieve_response(
        raw(
            {
                "file": {
                    "file_id": 176844028768320,
                    "bytes": 5896337,
                    "created_at": 1700469398,
                    "filename": "output_aigc.mp4",
                    "purpose": "video_generation",
                    "download_url": "https://cdn.example/x.mp4?sig=SECRET",
                },
                "base_resp": OK,
            }
        )
    )
    assert f.file_id == "176844028768320" and f.bytes == 5896337
    assert "SECRET" not in f.safe_url and f.safe_url.startswith("https://cdn.example/x.mp4")


@pytest.mark.parametrize(
    "file_obj",
    [
        None,
        {"file_id": 1},
        {"file_id": 1, "download_url": "ftp://x"},
        {"file_id": 1, "download_url": "https://x", "bytes": "big"},
    ],
)
def test_retrieve_malformed(file_obj: object) -> None:
    with pytest.raises(HailuoMalformedResponseError):
        parse_retrieve_response(raw({"file": file_obj, "base_resp": OK}))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    body=st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries(
            {
                "task_id": json_values,
                "status": json_values,
                "file_id": json_values,
                "video_width": json_values,
            },
            optional={"base_resp": json_values},
        ).map(lambda v: json.dumps(v).encode()),
    ),
    http_status=st.sampled_from([200, 200, 200, 404, 429, 500, 502]),
)
def test_parsers_only_raise_provider_errors(body: bytes, http_status: int) -> None:
    from airflow_provider_hailuo.exceptions import HailuoError

    for parse in (
        lambda r: parse_query_response(r, "1"),
        parse_create_response,
        parse_retrieve_response,
    ):
        try:
            parse(RawResponse(http_status, {}, body))
        except HailuoError:
            pass
