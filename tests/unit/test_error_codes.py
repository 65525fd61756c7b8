"""The one declaration of MiniMax error codes and HTTP statuses, and everything that reads it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from airflow_provider_hailuo import exceptions
from airflow_provider_hailuo.error_codes import (
    ERROR_CODES,
    HTTP_STATUSES,
    TASK_FAILURE_CODES,
    Call,
    CreateOutcome,
    ExitCode,
    error_code_rule,
    http_status_rule,
)
from airflow_provider_hailuo.exceptions import (
    HailuoAPIError,
    HailuoCallbackCheckError,
    HailuoConfigurationError,
    HailuoHTTPError,
    HailuoInvalidParamsError,
    HailuoMalformedResponseError,
    HailuoTransportError,
    api_error_from_code,
)
from airflow_provider_hailuo.protocol import (
    RawResponse,
    parse_create_response,
    parse_query_response,
    parse_retrieve_response,
)

PACKAGE = Path(__file__).resolve().parents[2] / "airflow_provider_hailuo"


def answer(code: int, message: str = "invalid params") -> RawResponse:
    body = {"task_id": "", "status": "", "base_resp": {"status_code": code, "status_msg": message}}
    return RawResponse(200, {}, json.dumps(body).encode())


def test_every_row_names_a_declared_class_with_its_code() -> None:
    for row in ERROR_CODES:
        cls = getattr(exceptions, row.exception)
        assert issubclass(cls, HailuoAPIError), row
        err = api_error_from_code(row.code, row.message_contains or "message")
        assert type(err) is cls and err.code == row.code
        assert err.retryable is row.retryable and err.create_outcome is row.create
        assert err.exit_code is row.exit_code


def test_one_row_per_code_besides_message_variants() -> None:
    plain = [row.code for row in ERROR_CODES if row.message_contains is None]
    assert len(plain) == len(set(plain))


def test_moderation_codes_are_the_task_failure_codes() -> None:
    assert {1026, 1027} == TASK_FAILURE_CODES


def test_2013_advice_fits_the_call() -> None:
    """The "check model, resolution, duration and images" hint belongs to create only (issue 12)."""
    with pytest.raises(HailuoInvalidParamsError) as created:
        parse_create_response(answer(2013))
    assert "resolution" in str(created.value)
    with pytest.raises(HailuoInvalidParamsError) as queried:
        parse_query_response(answer(2013, "invalid params, task not found"), "106916112212032")
    assert "resolution" not in str(queried.value) and "task id" in str(queried.value)
    with pytest.raises(HailuoInvalidParamsError) as retrieved:
        parse_retrieve_response(answer(2013, "invalid params, file not found"), "205258526306433")
    assert "resolution" not in str(retrieved.value) and "file id" in str(retrieved.value)


def test_callback_variant_of_2013() -> None:
    err = api_error_from_code(2013, "invalid params, fail to check callback url", call=Call.CREATE)
    assert isinstance(err, HailuoCallbackCheckError) and "challenge" in str(err)
    assert error_code_rule(2013, "whatever", exception="HailuoCallbackCheckError") is not None


def test_unknown_code_is_permanent_and_refused() -> None:
    err = api_error_from_code(4242, "new thing", call=Call.CREATE)
    assert type(err) is HailuoAPIError and err.permanent
    assert err.create_outcome is CreateOutcome.REFUSED and err.exit_code is ExitCode.ERROR


@pytest.mark.parametrize(
    ("status", "outcome", "retryable"),
    [
        (400, CreateOutcome.REFUSED, False),
        (401, CreateOutcome.REFUSED, False),
        (403, CreateOutcome.REFUSED, False),
        (404, CreateOutcome.REFUSED, False),
        (408, CreateOutcome.REFUSED, True),
        (418, CreateOutcome.REFUSED, False),
        (429, CreateOutcome.REFUSED, True),
        (500, CreateOutcome.AMBIGUOUS, True),
        (502, CreateOutcome.AMBIGUOUS, True),
        (503, CreateOutcome.AMBIGUOUS, True),
        (504, CreateOutcome.AMBIGUOUS, True),
        (507, CreateOutcome.AMBIGUOUS, True),
        (529, CreateOutcome.AMBIGUOUS, True),
        (302, CreateOutcome.AMBIGUOUS, False),
    ],
)
def test_http_status_classification(status: int, outcome: CreateOutcome, retryable: bool) -> None:
    err = HailuoHTTPError("x", http_status=status)
    assert err.create_outcome is outcome and err.retryable is retryable
    assert http_status_rule(status).create is outcome


def test_v2_statuses_are_declared() -> None:
    """v2 answers errors with these statuses and ``error.type`` values: rows, not branches."""
    declared = {row.status: row.v2_error_type for row in HTTP_STATUSES if row.v2_error_type}
    assert declared == {
        400: "bad_request_error",
        401: "authorized_error",
        402: "insufficient_balance_error",
        422: "unprocessable_entity_error",
        429: "rate_limit_error",
        500: "server_error",
        529: "overloaded_error",
    }


@pytest.mark.parametrize(
    ("err", "outcome"),
    [
        (HailuoTransportError("refused", request_sent=False), CreateOutcome.REFUSED),
        (HailuoTransportError("read timeout", request_sent=True), CreateOutcome.AMBIGUOUS),
        (HailuoMalformedResponseError("garbled"), CreateOutcome.AMBIGUOUS),
        (HailuoConfigurationError("no key"), CreateOutcome.REFUSED),
    ],
)
def test_failures_without_a_code(err: exceptions.HailuoError, outcome: CreateOutcome) -> None:
    assert err.create_outcome is outcome


def test_gateway_advice_on_create_says_not_repeated() -> None:
    raw = RawResponse(502, {}, b"<html>502 Bad Gateway</html>")
    with pytest.raises(HailuoHTTPError) as info:
        parse_create_response(raw)
    assert info.value.create_outcome is CreateOutcome.AMBIGUOUS and "not repeated" in str(info.value)


def test_no_code_sets_outside_the_declaration() -> None:
    """Error codes are classified in error_codes.py only: no module keeps its own set of codes."""
    pattern = re.compile(r"frozenset\(\{\s*[12]\d{3}|\bcode\s*==\s*102[67]\b|_CODES\s*=\s*(frozenset|\{|\()")
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "error_codes.py" or "sandbox" in path.parts:
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


@pytest.mark.parametrize(
    "body",
    [
        {"task_id": "106916112212032"},
        {"task_id": 106916112212032, "base_resp": {"status_code": "0"}},
    ],
)
def test_garbled_create_answer_names_the_task_it_mentions(body: dict[str, object]) -> None:
    """An answer without a usable base_resp may still carry the id: the user is told which task to look for."""
    from airflow_provider_hailuo.retry import ambiguous_create_message

    with pytest.raises(HailuoMalformedResponseError) as info:
        parse_create_response(RawResponse(200, {"Trace-Id": "t-1"}, json.dumps(body).encode()))
    assert info.value.create_outcome is CreateOutcome.AMBIGUOUS
    assert info.value.video_task_id == "106916112212032"
    message = ambiguous_create_message(info.value, sent_at=0.0, then="clear this task")
    assert "video task id 106916112212032" in message and "trace id t-1" in message
