"""The price table in force in an Airflow deployment: the packaged one under the user's rows.

Users override prices in two places (docs/costs.md): the ``[hailuo] price_table`` option for every
connection and the ``price_table`` extra of one Hailuo connection, which wins. Reading them is the
only Airflow-aware part of pricing, kept here so `pricing` stays pure and the operator, the CLI and
the UI resolve overrides the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_hailuo.pricing import PriceTable, price_table

CONFIG_SECTION = "hailuo"
CONFIG_KEY = "price_table"
EXTRA_KEY = "price_table"


def configured_rows() -> str | None:
    """``[hailuo] price_table`` (``AIRFLOW__HAILUO__PRICE_TABLE``), or None when unset or Airflow is absent."""
    try:
        from airflow.configuration import conf
    except ImportError:  # the CLI runs without Airflow too
        return None
    value = conf.get(CONFIG_SECTION, CONFIG_KEY, fallback=None)
    return value or None


def table_for(extra: Mapping[str, Any] | None = None, conn_id: str | None = None) -> PriceTable:
    """The table for one connection: its extra's rows, then the option's, then the packaged ones.

    Raises `PricingConfigError` naming the option or the connection when a row is malformed.
    """
    overrides: list[tuple[Any, str]] = []
    if extra and extra.get(EXTRA_KEY):
        overrides.append((extra[EXTRA_KEY], f"connection {conn_id or '?'} extra {EXTRA_KEY}"))
    option = configured_rows()
    if option:
        overrides.append((option, f"[{CONFIG_SECTION}] {CONFIG_KEY}"))
    return price_table(overrides)
