"""Exceptions for every way a Hailuo call can fail.

MiniMax answers most business errors with HTTP 200 and a non-zero ``base_resp.status_code``; each code
maps to one class here, carrying the code, the message and the response's trace id (what MiniMax
support asks for). What each code means and what to do about it is declared once, in
:mod:`airflow_provider_hailuo.error_codes`; the classes are names to catch, and take their
``retryable`` flag, their hint and their create outcome from there.

Every exception answers three questions for the code that handles it: ``retryable`` (can the same
call succeed later?), ``create_outcome`` (after a failed create call: was nothing created, or may a
task exist and be billed?) and ``exit_code`` (the ``hailuo`` CLI's exit status).

Messages never contain the API key: they are built from the API's own text, which we scrub anyway.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_hailuo.error_codes import (
    ERROR_CODES,
    Call,
    CreateOutcome,
    ErrorCode,
    ExitCode,
    error_code_rule,
    http_status_rule,
)
from airflow_provider_hailuo.redaction import scrub


class HailuoError(AirflowException):
    """Base of every provider error. ``retryable`` says whether trying again can help."""

    retryable: bool = False
    #: A failure raised before anything was sent (configuration, validation) created nothing.
    create_outcome: CreateOutcome = CreateOutcome.REFUSED
    exit_code: ExitCode = ExitCode.ERROR
    #: Refused for the account's capacity (rate limit, videos in flight): see ``error_codes``.
    capacity_refusal: bool = False

    def __init__(self, message: str, *, video_task_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.video_task_id = video_task_id

    @property
    def permanent(self) -> bool:
        return not self.retryable


class HailuoConfigurationError(HailuoError):
    """The connection or the provider is set up wrongly (missing key, bad host)."""

    exit_code = ExitCode.AUTH


class HailuoTransportError(HailuoError):
    """The request did not get a usable HTTP answer (connection refused or reset, timeout).

    ``request_sent`` matters for the create call: when the request may have reached MiniMax, a task
    may exist and repeating the call could pay for a second video.
    """

    retryable = True
    exit_code = ExitCode.NETWORK

    def __init__(self, message: str, *, request_sent: bool, video_task_id: str | None = None) -> None:
        super().__init__(message, video_task_id=video_task_id)
        self.request_sent = request_sent
        self.create_outcome = CreateOutcome.AMBIGUOUS if request_sent else CreateOutcome.REFUSED


class HailuoHTTPError(HailuoError):
    """A non-200 answer, usually from a gateway or CDN in front of the API (HTML 502, 429, 403)."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int,
        trace_id: str | None = None,
        retry_after: float | None = None,
        video_task_id: str | None = None,
        call: Call | None = None,
    ) -> None:
        rule = http_status_rule(http_status)
        self.hint = rule.advice.for_call(call) if call is not None else ""
        super().__init__(f"{message} - {self.hint}" if self.hint else message, video_task_id=video_task_id)
        self.http_status = http_status
        self.trace_id = trace_id
        self.retry_after = retry_after
        self.retryable = rule.retryable
        self.create_outcome = rule.create
        self.exit_code = rule.exit_code
        self.capacity_refusal = rule.capacity


class HailuoMalformedResponseError(HailuoError):
    """The API answered 200 but not with what the contract promises (not JSON, missing or mistyped field).

    After a create call nobody can tell from such an answer whether a task was made: ambiguous.
    """

    create_outcome = CreateOutcome.AMBIGUOUS
    exit_code = ExitCode.NETWORK

    def __init__(
        self,
        message: str,
        *,
        trace_id: str | None = None,
        video_task_id: str | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message, video_task_id=video_task_id)
        self.trace_id = trace_id
        self.retryable = retryable


class HailuoAPIError(HailuoError):
    """A non-zero ``base_resp.status_code``; its row in ``error_codes`` decides everything else.

    ``call`` (create, query, retrieve) picks the advice that fits the call that failed.
    """

    code: int = -1
    hint: str = ""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        trace_id: str | None = None,
        video_task_id: str | None = None,
        hint: str | None = None,
        call: Call | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        name = type(self).__name__
        self.rule: ErrorCode | None = error_code_rule(
            self.code, message, exception=None if name == "HailuoAPIError" else name
        )
        self.call = call
        if hint is not None:
            self.hint = hint
        elif self.rule is not None:
            self.hint = self.rule.advice.for_call(call)
        if self.rule is not None:
            # Instance attributes: one class may serve codes with different rules (1028 and 1030).
            self.retryable = self.rule.retryable
            self.create_outcome = self.rule.create
            self.exit_code = self.rule.exit_code
            self.capacity_refusal = self.rule.capacity
        self.status_msg = message
        self.trace_id = trace_id
        parts = [f"MiniMax API error {self.code}: {message}"]
        if video_task_id:
            parts.append(f"(video task {video_task_id})")
        if self.hint:
            parts.append(f"- {self.hint}")
        if trace_id:
            parts.append(f"[trace id {trace_id}]")
        super().__init__(" ".join(parts), video_task_id=video_task_id)


# One class per code, to catch by name; what each means is in error_codes.ERROR_CODES.


class HailuoUnknownError(HailuoAPIError):
    pass


class HailuoRequestTimeoutError(HailuoAPIError):
    pass


class HailuoRateLimitError(HailuoAPIError):
    pass


class HailuoInternalServiceError(HailuoAPIError):
    pass


class HailuoTokenLimitError(HailuoAPIError):
    pass


class HailuoConnectionLimitError(HailuoAPIError):
    pass


class HailuoRateGrowthLimitError(HailuoAPIError):
    pass


class HailuoAuthenticationError(HailuoAPIError):
    pass


class HailuoInsufficientBalanceError(HailuoAPIError):
    pass


class HailuoInternalError(HailuoAPIError):
    pass


class HailuoSystemError(HailuoAPIError):
    pass


class HailuoInputSensitiveError(HailuoAPIError):
    pass


class HailuoOutputSensitiveError(HailuoAPIError):
    pass


class HailuoQuotaExhaustedError(HailuoAPIError):
    pass


class HailuoInvisibleCharacterError(HailuoAPIError):
    pass


class HailuoInvalidParamsError(HailuoAPIError):
    pass


class HailuoCallbackCheckError(HailuoInvalidParamsError):
    """2013 whose message names the callback: MiniMax could not verify ``callback_url``."""


class HailuoRealNameRequiredError(HailuoAPIError):
    pass


class HailuoInvalidAPIKeyError(HailuoAPIError):
    pass


class HailuoUsageLimitError(HailuoAPIError):
    pass


class HailuoModelNotAvailableError(HailuoAPIError):
    pass


def _subclasses(cls: type[HailuoAPIError]) -> Iterator[type[HailuoAPIError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


_CLASSES: Mapping[str, type[HailuoAPIError]] = {c.__name__: c for c in _subclasses(HailuoAPIError)}
for _row in ERROR_CODES:
    # A KeyError here means a row names a class this module does not declare: fails at import, in every test.
    _cls = _CLASSES[_row.exception]
    if "code" not in _cls.__dict__:
        _cls.code = _row.code

#: Every business code this provider knows, for docs and tests.
KNOWN_CODES: tuple[int, ...] = tuple(sorted({row.code for row in ERROR_CODES}))


def error_class_for_code(code: int, message: str = "") -> type[HailuoAPIError]:
    rule = error_code_rule(code, message)
    return _CLASSES[rule.exception] if rule is not None else HailuoAPIError


def api_error_from_code(
    code: int,
    message: str,
    *,
    trace_id: str | None = None,
    video_task_id: str | None = None,
    call: Call | None = None,
) -> HailuoAPIError:
    """Build the exception for a ``base_resp``; unknown codes give a permanent ``HailuoAPIError``."""
    message = scrub(message)
    cls = error_class_for_code(code, message)
    return cls(message, code=code, trace_id=trace_id, video_task_id=video_task_id, call=call)


class HailuoVideoGenerationFailedError(HailuoError):
    """The task reached ``Fail`` with no reason given. An Airflow retry submits a new (paid) video."""

    retryable = True
    exit_code = ExitCode.GENERATION_FAILED

    def __init__(
        self, message: str, *, video_task_id: str | None = None, error_code: int | None = None
    ) -> None:
        super().__init__(message, video_task_id=video_task_id)
        self.error_code = error_code


class HailuoCapacityTimeoutError(HailuoError):
    """MiniMax kept refusing a create for capacity past ``capacity_timeout``. Nothing was created, so a
    retry (or a clear) submits safely."""

    retryable = True
    exit_code = ExitCode.RATE_LIMIT


class HailuoWaitTimeoutError(HailuoError):
    """Waiting for a task ran past its deadline. The task may still finish: its id is in the message."""

    retryable = True
    exit_code = ExitCode.TIMEOUT
