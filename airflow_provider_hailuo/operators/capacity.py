"""The generation operator's answer to a create refused for capacity: wait for room, then submit again.

A refusal for the account's request rate or videos in flight proves nothing was created
(``error_codes``: ``capacity``), so submitting again cannot pay twice. A deferrable task waits in the
triggerer (:class:`~airflow_provider_hailuo.triggers.capacity.HailuoCapacityTrigger`, holding no worker
slot) and resumes in ``execute_after_capacity``; any other waits in the worker by the same policy
(:mod:`airflow_provider_hailuo.capacity`). Either way the next try goes through the operator's one
create path (state store record, re-attach, ambiguous-create adoption), and ``capacity_timeout``
bounds the whole wait.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.capacity import retry_floor, wait_for_capacity
from airflow_provider_hailuo.catalogue import api_version_for
from airflow_provider_hailuo.exceptions import HailuoCapacityTimeoutError, HailuoError
from airflow_provider_hailuo.retry import refused_for_capacity
from airflow_provider_hailuo.triggers.capacity import HailuoCapacityTrigger

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
    from airflow_provider_hailuo.protocol import VideoGenerationStatus
    from airflow_provider_hailuo.shapes import VideoResult

#: The default bound of the wait for capacity: a batch of hundreds of videos under a cap of 30 fits.
DEFAULT_CAPACITY_TIMEOUT = 6 * 3600.0
#: Where the wait so far is kept between a deferral and the resumed run.
_STATE_ATTR = "_capacity_wait"


def _expired(
    op: HailuoVideoGenerationOperator, since: float, refusals: int, last: str
) -> HailuoCapacityTimeoutError:
    return HailuoCapacityTimeoutError(
        f"MiniMax refused this video for capacity (rate limit or videos in flight) {refusals} time(s) over "
        f"{time.time() - since:.0f} s, and capacity_timeout={op.capacity_timeout:g} s has passed (last "
        f"refusal: {last}). Nothing was created: a retry, or clearing the task, submits it safely."
    )


def submit_within_capacity(
    op: HailuoVideoGenerationOperator, context: Context
) -> tuple[str, VideoGenerationStatus | None, dict[str, Any]]:
    """``op._submit_or_reattach``, waiting for capacity whenever MiniMax refuses the create for it."""
    since, refusals = getattr(op, _STATE_ATTR, None) or (time.time(), 0)
    hook = op.hook
    if hook.retry_policy.retry_capacity_refusals:  # the hook would sleep in the worker: we wait here
        hook.retry_policy = replace(hook.retry_policy, retry_capacity_refusals=False)
    while True:
        try:
            return op._submit_or_reattach(context)
        except HailuoError as err:
            if not refused_for_capacity(err):
                raise
            refusals += 1
            deadline = since + op.capacity_timeout if op.capacity_timeout else None
            if deadline is not None and time.time() >= deadline:
                raise _expired(op, since, refusals, str(err)) from err
            not_before = time.time() + retry_floor(refusals, hook.settings.capacity)
            api_version = api_version_for(op.model)
            op.log.warning(
                "MiniMax refused the create for capacity (%s): nothing was created. Waiting for capacity "
                "%s (refusal %d, %.0f s so far), then submitting again.",
                err,
                "in the triggerer" if op.deferrable else "in the worker",
                refusals,
                time.time() - since,
            )
            if op.deferrable:
                op.defer(
                    trigger=HailuoCapacityTrigger(
                        hailuo_conn_id=op.hailuo_conn_id,
                        api_version=api_version,
                        not_before=not_before,
                        deadline=deadline,
                        refusals=refusals,
                        waiting_since=since,
                    ),
                    method_name="execute_after_capacity",
                    kwargs={"capacity_since": since, "capacity_refusals": refusals},
                    timeout=None if deadline is None else timedelta(seconds=deadline - time.time() + 60),
                )
            if not wait_for_capacity(hook, api_version, not_before=not_before, deadline=deadline):
                raise _expired(op, since, refusals, str(err)) from err


def resume_after_capacity(
    op: HailuoVideoGenerationOperator,
    context: Context,
    event: Any = None,
    *,
    capacity_since: float | None = None,
    capacity_refusals: int = 0,
) -> VideoResult:
    """Back from the capacity trigger: submit again (through ``execute``), or fail at the deadline."""
    event = event if isinstance(event, dict) else {}
    since = event.get("waiting_since") or capacity_since or time.time()
    refusals = int(event.get("refusals") or capacity_refusals)
    if event.get("status") != "room":
        raise _expired(op, float(since), refusals, "still no room when the wait ended")
    setattr(op, _STATE_ATTR, (float(since), refusals))
    return op.execute(context)
