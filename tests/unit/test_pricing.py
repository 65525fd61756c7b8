"""Cost estimates: the packaged table, H3's reference-media rules, user overrides and their errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from airflow_provider_hailuo.pricing import (
    MAINLAND,
    PricingConfigError,
    builtin_table,
    estimate_cost,
    format_money,
    parse_rows,
    price_table,
    region_for_host,
)


def test_every_builtin_row_says_where_and_when_it_comes_from() -> None:
    rows = builtin_table().rows
    assert {r.model for r in rows} >= {"MiniMax-H3", "MiniMax-H3-Max"}
    for row in rows:
        assert "minimax-api-v2.md §9" in row.source
        assert row.date.startswith("2026-")
        assert row.currency in ("USD", "CNY")


def test_h3_per_second_in_both_regions() -> None:
    usd = estimate_cost("MiniMax-H3", "768P", 6)
    assert usd is not None
    assert (usd.amount, usd.currency) == (Decimal("0.48"), "USD")
    assert str(usd).startswith("$0.48 (MiniMax-H3 768P: 6 s × $0.08/s")
    cny = estimate_cost("MiniMax-H3", "2k", 10, region=MAINLAND)
    assert cny is not None
    assert (cny.amount, cny.currency) == (Decimal("8.00"), "CNY")
    assert estimate_cost("MiniMax-H3", "1080P", 6) is None  # H3 renders 768P or 2K only


def test_h3_reference_media_rules() -> None:
    # Five images are free (first and last frames count); reference video is billed by whole seconds
    # at the output rate.
    free = estimate_cost("MiniMax-H3", "768P", 5, images=5)
    assert free is not None and free.amount == Decimal("0.40")
    charged = estimate_cost("MiniMax-H3", "768P", 5, images=7, reference_video_seconds=5.2)
    assert charged is not None
    assert charged.amount == Decimal("0.40") + 6 * Decimal("0.08") + 2 * Decimal("0.04")
    assert "6 s reference video" in charged.basis and "2 image(s) beyond 5 free" in charged.basis
    h3_max = estimate_cost("MiniMax-H3-Max", "480P", 10, images=3)
    assert h3_max is not None and h3_max.amount == Decimal("0.50") + Decimal("0.074")


def test_models_without_a_known_price_give_none() -> None:
    assert estimate_cost("MiniMax-Hailuo-02", "768P", 6) is None
    assert estimate_cost("MiniMax-H3", "768P", None) is None


def test_user_rows_add_models_and_win_over_builtin_ones() -> None:
    table = price_table(
        [
            (
                json.dumps(
                    [
                        {
                            "model": "MiniMax-Hailuo-02",
                            "resolution": "768P",
                            "duration": 6,
                            "per_video": 0.28,
                        },
                        {"model": "MiniMax-Hailuo-02", "resolution": "768P", "per_second": "0.05"},
                        {"model": "MiniMax-H3", "resolution": "768P", "per_second": 0.07, "free_images": 5},
                    ]
                ),
                "[hailuo] price_table",
            ),
            ({"rows": [{"model": "T2V-01", "per_second": 0.1, "source": "my contract"}]}, "connection extra"),
        ]
    )
    whole = estimate_cost("MiniMax-Hailuo-02", "768P", 6, table=table)
    assert whole is not None and whole.amount == Decimal("0.28") and whole.source == "[hailuo] price_table"
    # No per-video row for 10 s: the per-second row of the same resolution applies.
    ten = estimate_cost("MiniMax-Hailuo-02", "768P", 10, table=table)
    assert ten is not None and ten.amount == Decimal("0.50")
    h3 = estimate_cost("MiniMax-H3", "768P", 6, table=table)
    assert h3 is not None and h3.amount == Decimal("0.42")
    any_resolution = estimate_cost("T2V-01", "720P", 6, table=table)
    assert any_resolution is not None and any_resolution.source == "my contract"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", r"\[hailuo\] price_table: not valid JSON"),
        ('{"rows": 3}', "expected a list of price rows"),
        ('[{"model": "X"}]', "row 1: give exactly one of per_second or per_video"),
        ('[{"model": "X", "per_second": -1}]', "row 1: per_second must be a finite number >= 0"),
        ('[{"model": "X", "per_second": "cheap"}]', "row 1: per_second must be a number"),
        ('[{"model": "X", "per_video": 1}]', "row 1: per_video needs duration"),
        ('[{"model": "X", "per_second": 1, "region": "eu"}]', "row 1: region must be one of"),
        ('[{"model": "X", "per_second": 1, "price": 2}]', r"row 1: unknown field\(s\) \['price'\]"),
        ('[{"per_second": 1}]', "row 1: model must be a non-empty string"),
        ('[{"model": "X", "per_second": 1}, 5]', "row 2: a price row must be an object"),
    ],
)
def test_bad_user_rows_are_refused_by_origin_row_and_field(raw: str, message: str) -> None:
    with pytest.raises(PricingConfigError, match=message):
        parse_rows(raw, "[hailuo] price_table")


def test_region_follows_the_connection_host() -> None:
    assert region_for_host("https://api.minimaxi.com") == MAINLAND
    assert region_for_host("api.minimax.cn") == MAINLAND
    assert region_for_host(None) == MAINLAND  # the provider's default host
    assert region_for_host("https://api.minimax.io") == "international"
    assert region_for_host("http://127.0.0.1:8089") == "international"


def test_money_formatting() -> None:
    assert format_money(Decimal("0.5"), "USD") == "$0.50"
    assert format_money(3, "CNY") == "¥3.00"
    assert format_money(Decimal("0.074"), "EUR") == "0.074 EUR"


def test_estimate_as_xcom_is_json_primitives() -> None:
    estimate = estimate_cost("MiniMax-H3", "768P", 6)
    assert estimate is not None
    data = estimate.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["estimated_cost"] == 0.48 and data["currency"] == "USD"


def test_the_connection_extra_wins_over_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_hailuo.price_config import table_for

    monkeypatch.setenv("AIRFLOW__HAILUO__PRICE_TABLE", '[{"model": "MiniMax-Hailuo-02", "per_second": 0.05}]')
    from_option = estimate_cost("MiniMax-Hailuo-02", "768P", 6, table=table_for())
    assert from_option is not None
    assert from_option.amount == Decimal("0.30") and from_option.source == "[hailuo] price_table"
    extra = {"price_table": [{"model": "MiniMax-Hailuo-02", "per_second": 0.04}]}
    from_extra = estimate_cost("MiniMax-Hailuo-02", "768P", 6, table=table_for(extra, "hailuo_default"))
    assert from_extra is not None and from_extra.amount == Decimal("0.24")
    assert from_extra.source == "connection hailuo_default extra price_table"
    monkeypatch.setenv("AIRFLOW__HAILUO__PRICE_TABLE", "[{]")
    with pytest.raises(PricingConfigError, match=r"^\[hailuo\] price_table: not valid JSON"):
        table_for()


def test_a_create_body_is_priced_with_minimax_defaults() -> None:
    from airflow_provider_hailuo.pricing import estimate_request, images_in_payload

    table = price_table([('[{"model": "MiniMax-Hailuo-02", "per_second": 0.05}]', "test")])
    body = {"model": "MiniMax-Hailuo-02", "prompt": "p"}  # no resolution, no duration: 768P, 6 s
    estimate = estimate_request(body, region="international", table=table)
    assert estimate is not None and estimate.amount == Decimal("0.30") and "768P" in estimate.basis
    assert (
        images_in_payload(
            {
                "first_frame_image": "data:...",
                "last_frame_image": "https://x/y.png",
                "subject_reference": [{"type": "character", "image": ["a", "b"]}],
            }
        )
        == 4
    )
