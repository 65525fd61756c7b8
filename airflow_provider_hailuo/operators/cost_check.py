"""The cost check before a video is submitted: log the expected bill, enforce ``max_estimated_cost``.

Runs before any money is spent, so a request whose estimate is above the limit, or that no price row
covers while a limit is set, fails at once (no retry can change a price). Shared by every operator that
submits (the generation operator, and the regeneration operator for a priced source task).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException


def check_cost(operator: Any, payload: Mapping[str, Any]) -> dict[str, Any]:
    """``estimated_cost`` and ``currency`` (both None without a price) for the operator's result.

    ``operator`` brings ``max_estimated_cost``, ``hailuo_conn_id``, ``hook`` and ``log``.
    """
    from airflow_provider_hailuo.price_config import table_for
    from airflow_provider_hailuo.pricing import (
        PricingConfigError,
        estimate_request,
        format_money,
        region_for_host,
    )

    limit = operator.max_estimated_cost
    hook, log = operator.hook, operator.log
    try:
        conn = hook.get_connection(operator.hailuo_conn_id)
        table = table_for(conn.extra_dejson or {}, operator.hailuo_conn_id)
        estimate = estimate_request(payload, region=region_for_host(hook.settings.base_url), table=table)
    except PricingConfigError as err:
        if limit is not None:
            raise AirflowFailException(f"Cannot check max_estimated_cost: {err}") from err
        log.warning("No cost estimate: %s", err)
        return {"estimated_cost": None, "currency": None}
    if estimate is None:
        message = (
            f"No price is known for {payload.get('model')} at {payload.get('resolution') or 'its default resolution'}"
            " (add a row to [hailuo] price_table or the connection's price_table extra; docs/costs.md)"
        )
        if limit is not None:
            raise AirflowFailException(f"{message}: refusing to submit under max_estimated_cost={limit}")
        log.info("%s", message)
        return {"estimated_cost": None, "currency": None}
    log.info("Estimated cost of this video: %s", estimate)
    if limit is not None and estimate.amount > Decimal(str(limit)):
        raise AirflowFailException(
            f"Estimated cost {format_money(estimate.amount, estimate.currency)} is above "
            f"max_estimated_cost={limit} {estimate.currency}: not submitted ({estimate.basis})"
        )
    return {"estimated_cost": float(estimate.amount), "currency": estimate.currency}
