from __future__ import annotations

import pytest

from airflow_provider_hailuo.exceptions import (
    KNOWN_CODES,
    HailuoAPIError,
    HailuoCallbackCheckError,
    HailuoHTTPError,
    HailuoInvalidAPIKeyError,
    HailuoMalformedResponseError,
    HailuoTransportError,
    api_error_from_code,
    error_class_for_code,
)
from airflow_provider_hailuo.retry import RetryPolicy, is_retryable

RETRYABLE = {1000, 1001, 1002, 1013, 1024, 1033, 1039, 1041, 2045}
PERMANENT = {1004, 1008, 1026, 1027, 1028, 1030, 1042, 2013, 2038, 2049, 2056, 2061}


def test_every_contract_code_has_a_class() -> None:
    assert set(KNOWN_CODES) == RETRYABLE | PERMANENT
    for code in KNOWN_CODES:
        assert error_class_for_code(code) is not HailuoAPIError, code


@pytest.mark.parametrize("code", sorted(RETRYABLE | PERMANENT))
def test_code_classification_and_message(code: int) -> None:
    err = api_error_from_code(code, "msg from api", trace_id="t-9", video_task_id="123")
    assert err.code == code
    assert err.retryable is (code in RETRYABLE)
    assert err.permanent is (code not in RETRYABLE)
    text = str(err)
    assert str(code) in text and "t-9" in text and "123" in text and "msg from api" in text
    assert err.hint and err.hint in text


def test_unknown_code_is_permanent_generic() -> None:
    err = api_error_from_code(9999, "new thing")
    assert type(err) is HailuoAPIError and err.permanent and "9999" in str(err)


def test_region_hint_on_2049() -> None:
    err = api_error_from_code(2049, "invalid api key")
    assert isinstance(err, HailuoInvalidAPIKeyError)
    assert "api.minimax.io" in str(err) and "api.minimaxi.com" in str(err)


def test_callback_2013_is_its_own_class() -> None:
    err = api_error_from_code(2013, "invalid params, fail to check callback url")
    assert isinstance(err, HailuoCallbackCheckError) and "challenge" in str(err)


@pytest.mark.parametrize(
    ("exc", "idempotent", "expected"),
    [
        (HailuoTransportError("x", request_sent=True), True, True),
        (HailuoTransportError("x", request_sent=True), False, False),
        (HailuoTransportError("x", request_sent=False), False, True),
        (api_error_from_code(1002, "rate"), False, True),
        (api_error_from_code(1000, "unknown"), False, False),
        (api_error_from_code(1000, "unknown"), True, True),
        (api_error_from_code(1004, "auth"), True, False),
        (HailuoHTTPError("x", http_status=502), True, True),
        # A gateway page on create may follow a created task: never repeated (issue 12).
        (HailuoHTTPError("x", http_status=502), False, False),
        (HailuoHTTPError("x", http_status=503), False, False),
        (HailuoHTTPError("x", http_status=504), False, False),
        (HailuoHTTPError("x", http_status=500), False, False),
        (HailuoHTTPError("x", http_status=429), False, True),
        (HailuoHTTPError("x", http_status=408), False, True),
        (HailuoHTTPError("x", http_status=404), True, False),
        (HailuoMalformedResponseError("html", retryable=True), True, True),
        (HailuoMalformedResponseError("html", retryable=True), False, False),
        (ValueError("bug"), True, False),
    ],
)
def test_retry_decisions(exc: BaseException, idempotent: bool, expected: bool) -> None:
    assert is_retryable(exc, idempotent=idempotent) is expected


def test_backoff_is_bounded_jittered_and_respects_rate_limits() -> None:
    policy = RetryPolicy(max_attempts=5, initial_delay=1.0, max_delay=8.0, rate_limit_min_delay=5.0)
    for attempt in range(1, 10):
        d = policy.delay(attempt)
        ceiling = min(8.0, 2 ** (attempt - 1))
        assert ceiling / 2 <= d <= ceiling
    assert policy.delay(1, api_error_from_code(1002, "rate")) >= 5.0
    assert policy.delay(1, HailuoHTTPError("x", http_status=503, retry_after=6.0)) >= 6.0


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_sync_retrying_stops_after_bound() -> None:
    policy = RetryPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0, rate_limit_min_delay=0.0)
    calls = []

    def flaky() -> None:
        calls.append(1)
        raise HailuoHTTPError("x", http_status=502)

    with pytest.raises(HailuoHTTPError):
        for attempt in policy.retrying(idempotent=True):
            with attempt:
                flaky()
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("exc", "maybe_created"),
    [
        (HailuoTransportError("read timeout", request_sent=True), True),
        (HailuoTransportError("refused", request_sent=False), False),
        (HailuoHTTPError("x", http_status=504), True),
        (HailuoHTTPError("x", http_status=502), True),
        (HailuoHTTPError("x", http_status=503), True),
        (HailuoHTTPError("x", http_status=500), True),
        # A 4xx is a refusal: nothing was created, whatever the status.
        (HailuoHTTPError("x", http_status=401), False),
        (HailuoHTTPError("x", http_status=403), False),
        (HailuoHTTPError("x", http_status=404), False),
        (HailuoHTTPError("x", http_status=429), False),
        (HailuoMalformedResponseError("garbled"), True),
        (api_error_from_code(1002, "rate"), False),
        (api_error_from_code(2013, "bad"), False),
        # MiniMax's own server-side errors may follow a created task.
        (api_error_from_code(1000, "unknown error"), True),
        (api_error_from_code(1013, "internal service error"), True),
    ],
)
def test_create_may_have_happened(exc: BaseException, maybe_created: bool) -> None:
    from airflow_provider_hailuo.retry import create_may_have_happened

    assert create_may_have_happened(exc) is maybe_created
