"""Which refusals wait for capacity (one rule, in error_codes) and the limits a connection sets."""

from __future__ import annotations

import pytest

from airflow_provider_hailuo.capacity import DEFAULT_LIMITS, CapacityLimits, limits_from_extra, retry_floor
from airflow_provider_hailuo.exceptions import (
    HailuoHTTPError,
    HailuoMalformedResponseError,
    HailuoTransportError,
    api_error_from_code,
)
from airflow_provider_hailuo.retry import RetryPolicy, create_may_have_happened, refused_for_capacity


@pytest.mark.parametrize(
    ("error", "capacity"),
    [
        (api_error_from_code(1002, "rate limit, please retry later"), True),
        (api_error_from_code(1041, "conn limit"), True),
        (api_error_from_code(2045, "rate growth limit"), True),
        (HailuoHTTPError("HTTP 429", http_status=429), True),
        # Ambiguous: a task may exist. Never a capacity refusal, never sent again.
        (HailuoHTTPError("HTTP 500", http_status=500), False),
        (HailuoHTTPError("HTTP 502", http_status=502), False),
        (HailuoHTTPError("HTTP 529", http_status=529), False),
        (api_error_from_code(1000, "unknown error"), False),
        (HailuoTransportError("reset", request_sent=True), False),
        (HailuoMalformedResponseError("garbled"), False),
        # Refused, but waiting does not help.
        (api_error_from_code(1008, "insufficient balance"), False),
        (api_error_from_code(2013, "invalid params"), False),
        (HailuoHTTPError("HTTP 400", http_status=400), False),
    ],
)
def test_capacity_refusals_are_exactly_the_refused_rate_and_slot_limits(
    error: Exception, capacity: bool
) -> None:
    assert refused_for_capacity(error) is capacity
    if capacity:
        assert not create_may_have_happened(error)


def test_operator_policy_leaves_capacity_refusals_of_a_create_to_the_caller() -> None:
    refused = api_error_from_code(1002, "rate limit")
    default, operator = RetryPolicy(), RetryPolicy(retry_capacity_refusals=False)
    assert default._retries(refused, idempotent=False) and default._retries(refused, idempotent=True)
    assert not operator._retries(refused, idempotent=False)
    assert operator._retries(refused, idempotent=True)  # a rate-limited status query still retries
    assert operator._retries(HailuoTransportError("refused", request_sent=False), idempotent=False)


def test_limits_from_the_connection_extra() -> None:
    assert limits_from_extra({}) == DEFAULT_LIMITS == CapacityLimits(30, 300, 5.0)
    limits = limits_from_extra(
        {"max_in_flight": "5", "requests_per_minute": 60, "capacity_check_interval": 0.5}
    )
    assert limits == CapacityLimits(5, 60, 0.5) and limits.release_spacing == 1.0
    for extra, field in (
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"max_in_flight": 2.5}, "max_in_flight"),
        ({"requests_per_minute": "lots"}, "requests_per_minute"),
        ({"capacity_check_interval": True}, "capacity_check_interval"),
    ):
        with pytest.raises(ValueError, match=field):
            limits_from_extra(extra)


def test_retry_floor_doubles_up_to_a_minute() -> None:
    limits = CapacityLimits(check_interval=5.0)
    assert [retry_floor(n, limits) for n in (1, 2, 3, 4, 5, 6)] == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]


def test_looking_at_the_count_takes_at_most_a_quarter_of_the_rate() -> None:
    # Two list requests a look: at 300 a minute, a look every 1.6 s at most; the 5 s default is below that.
    assert DEFAULT_LIMITS.look_interval == 5.0
    assert CapacityLimits(requests_per_minute=300, check_interval=0.1).look_interval == pytest.approx(1.6)
    assert CapacityLimits(requests_per_minute=20, check_interval=5.0).look_interval == pytest.approx(24.0)
