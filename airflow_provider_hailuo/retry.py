"""One retry policy for every HTTP call, sync (hook) or async (trigger).

Backoff is exponential with jitter (a random wait between half and all of the ceiling) and a bounded
attempt count (tenacity does the looping). The rule that matters most is which failures may be
retried for the *create* call: it is not idempotent, so it is repeated only when the failure proves
no task was created (``CreateOutcome.REFUSED``: a rate-limit answer, an HTTP 4xx, a connection that
was never opened). Anything that leaves a task possibly created (a 5xx or gateway page, a timeout
after sending, a garbled answer) is ``AMBIGUOUS`` and surfaces to the caller instead: repeating it
could pay for a second video. Which failure is which is declared in
:mod:`airflow_provider_hailuo.error_codes` and carried by each exception.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import tenacity

from airflow_provider_hailuo.error_codes import CreateOutcome
from airflow_provider_hailuo.exceptions import HailuoError, HailuoRateLimitError


def is_retryable(exc: BaseException, *, idempotent: bool) -> bool:
    if not isinstance(exc, HailuoError):
        return False
    if idempotent:
        return exc.retryable
    return exc.retryable and exc.create_outcome is CreateOutcome.REFUSED


def create_may_have_happened(exc: BaseException) -> bool:
    """True when a failed create call may still have created (and billed) a task.

    Then neither the hook nor an Airflow retry may submit again: the operator fails the task and
    says so, because v1 has no idempotency key and no list endpoint to look the task up.
    """
    return isinstance(exc, HailuoError) and exc.create_outcome is CreateOutcome.AMBIGUOUS


def refused_for_capacity(exc: BaseException) -> bool:
    """True when a create was refused for the account's capacity (its request rate or its videos in
    flight): nothing was created and the same request succeeds once capacity frees.

    Never true where :func:`create_may_have_happened` is: a 5xx is not a capacity refusal.
    """
    return (
        isinstance(exc, HailuoError) and exc.capacity_refusal and exc.create_outcome is CreateOutcome.REFUSED
    )


def ambiguous_create_message(exc: HailuoError, *, sent_at: float, then: str) -> str:
    """What to tell the user after an ambiguous create: what happened, and how to find the task.

    ``sent_at`` (epoch seconds) narrows the search in the MiniMax console; ``then`` says how to submit
    again once the console shows no task (clear the Airflow task, or rerun the command).
    """
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(sent_at))
    found = [f"video task id {exc.video_task_id}"] if exc.video_task_id else []
    trace_id = getattr(exc, "trace_id", None)
    if trace_id:
        found.append(f"trace id {trace_id} (for MiniMax support)")
    return (
        f"The create call failed in a way that does not rule out a created task ({exc}). A video task may "
        "exist and be billed, so the request is not sent again (that could pay for a second video). Check "
        f"the MiniMax console for a video task created around {when}"
        + (f" ({', '.join(found)})" if found else "")
        + f"; {then} only if none was created."
    )


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    initial_delay: float = 1.0
    max_delay: float = 30.0
    #: Rate limits are per minute: waiting the minimum backoff would just hit the limit again.
    rate_limit_min_delay: float = 5.0
    #: False: a create refused for capacity is not retried here but surfaces at once, for a caller that
    #: waits for capacity itself without sleeping in a worker (the generation operator).
    retry_capacity_refusals: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts: must be at least 1")
        if self.initial_delay < 0 or self.max_delay < self.initial_delay:
            raise ValueError("initial_delay/max_delay: need 0 <= initial_delay <= max_delay")

    def delay(self, attempt: int, exc: BaseException | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.initial_delay * (2 ** max(0, attempt - 1)))
        wait = random.uniform(ceiling / 2, ceiling) if ceiling > 0 else 0.0
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, (int, float)) and retry_after > 0:
            wait = max(wait, min(float(retry_after), self.max_delay * 4))
        if isinstance(exc, (HailuoRateLimitError,)) or getattr(exc, "http_status", None) == 429:
            wait = max(wait, min(self.rate_limit_min_delay, self.max_delay))
        return wait

    def _wait(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        return self.delay(retry_state.attempt_number, exc)

    def _retries(self, exc: BaseException, *, idempotent: bool) -> bool:
        if not idempotent and not self.retry_capacity_refusals and refused_for_capacity(exc):
            return False
        return is_retryable(exc, idempotent=idempotent)

    def _kwargs(self, idempotent: bool, before_sleep: Any = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "stop": tenacity.stop_after_attempt(self.max_attempts),
            "wait": self._wait,
            "retry": tenacity.retry_if_exception(lambda e: self._retries(e, idempotent=idempotent)),
            "reraise": True,
        }
        if before_sleep is not None:
            kwargs["before_sleep"] = before_sleep
        return kwargs

    def retrying(self, *, idempotent: bool, before_sleep: Any = None) -> tenacity.Retrying:
        return tenacity.Retrying(**self._kwargs(idempotent, before_sleep))

    def async_retrying(self, *, idempotent: bool, before_sleep: Any = None) -> tenacity.AsyncRetrying:
        return tenacity.AsyncRetrying(**self._kwargs(idempotent, before_sleep))


DEFAULT_RETRY_POLICY = RetryPolicy()
