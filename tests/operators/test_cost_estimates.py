"""The generation operator prices a request before submitting it and refuses one above its limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from tests.helpers import FakeStore, context, op

ROWS = json.dumps(
    [
        {
            "model": "MiniMax-Hailuo-02",
            "resolution": "768P",
            "duration": 6,
            "per_video": 0.28,
            "source": "test",
        },
        {"model": "MiniMax-Hailuo-02", "resolution": "1080P", "per_second": 0.08},
    ]
)


@pytest.fixture
def prices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__HAILUO__PRICE_TABLE", ROWS)


def test_the_result_carries_the_estimate_logged_before_submitting(
    sandbox: Any, prices: None, capsys: pytest.CaptureFixture[str]
) -> None:
    result = op(resolution="768P", duration=6).execute(context(FakeStore()))
    assert (result["estimated_cost"], result["currency"]) == (0.28, "USD")  # the sandbox host bills in USD
    out = capsys.readouterr().out
    estimated = out.index("Estimated cost of this video: $0.28 (MiniMax-Hailuo-02 768P: 6 s video at $0.28")
    assert estimated < out.index("Submitted Hailuo video task")


def test_a_request_above_the_limit_is_refused_before_any_call(sandbox: Any, prices: None) -> None:
    with pytest.raises(
        AirflowFailException, match=r"Estimated cost \$0.48 is above max_estimated_cost=0.4 USD"
    ):
        op(resolution="1080P", duration=6, max_estimated_cost=0.4).execute(context(FakeStore()))
    assert sandbox.stats()["create_calls"] == 0


def test_without_a_price_the_limit_refuses_too(sandbox: Any) -> None:
    with pytest.raises(AirflowFailException, match="No price is known for MiniMax-Hailuo-02"):
        op(resolution="768P", max_estimated_cost=10).execute(context(FakeStore()))
    assert sandbox.stats()["create_calls"] == 0


def test_at_or_under_the_limit_the_video_is_made(sandbox: Any, prices: None) -> None:
    result = op(resolution="768P", duration=6, max_estimated_cost=0.28).execute(context(FakeStore()))
    assert result["status"] == "Success" and result["estimated_cost"] == 0.28
    assert sandbox.stats()["create_calls"] == 1


def test_a_bad_price_table_only_blocks_tasks_with_a_limit(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__HAILUO__PRICE_TABLE", '[{"model": "MiniMax-Hailuo-02"}]')
    with pytest.raises(AirflowFailException, match="row 1: give exactly one of per_second or per_video"):
        op(max_estimated_cost=1).execute(context(FakeStore()))
    assert sandbox.stats()["create_calls"] == 0
    assert op().execute(context(FakeStore()))["estimated_cost"] is None


def test_the_limit_must_be_a_non_negative_number() -> None:
    with pytest.raises(ValueError, match="max_estimated_cost"):
        op(max_estimated_cost=-1)
