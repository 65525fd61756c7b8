"""Every MiniMax error code and HTTP status, declared once: what it means and what each part does about it.

One row per code says whether a retry can help, whether a failed *create* call proves nothing was
created (``REFUSED``: sending it again cannot pay twice) or leaves a task possibly created and billed
(``AMBIGUOUS``: never sent again automatically), the ``hailuo`` CLI's exit code, and the advice shown
for each kind of call (a 2013 on create means "check the parameters"; on a status query it means
"no such task"). The exception classes, the retry policy, the protocol's reading of a failed task,
the operators, the CLI and the generated error table in the docs all read these rows.

The module is plain data with no Airflow import, so the CLI can read it before Airflow loads. A new
code, or a new API generation's HTTP statuses, is a new row here, not a new branch elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum

__all__ = [
    "ERROR_CODES",
    "HTTP_STATUSES",
    "TASK_FAILURE_CODES",
    "Advice",
    "Call",
    "CreateOutcome",
    "ErrorCode",
    "ExitCode",
    "HttpStatus",
    "codes_with_exit",
    "error_code_rule",
    "http_status_rule",
]


class Call(str, Enum):
    """The kinds of call whose failures need different advice."""

    CREATE = "create"
    QUERY = "query"
    RETRIEVE = "retrieve"
    DOWNLOAD = "download"
    #: Not a call: the video task itself ended ``Fail`` with this code (seen by a query or a callback).
    TASK = "task"


class CreateOutcome(str, Enum):
    """What a create call's answer (or failure) proves about the task at MiniMax."""

    #: MiniMax created nothing: sending the request again cannot pay for a second video.
    REFUSED = "refused"
    #: A task may exist and be billed: the request is never sent again automatically.
    AMBIGUOUS = "ambiguous"
    #: The answer carried the task id.
    CREATED = "created"


class ExitCode(IntEnum):
    """The ``hailuo`` command's exit status for each kind of failure."""

    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH = 3
    QUOTA = 4
    MODERATION = 5
    RATE_LIMIT = 6
    GENERATION_FAILED = 7
    TIMEOUT = 8
    NETWORK = 9
    DOWNLOAD = 10
    INTERRUPTED = 130


@dataclass(frozen=True)
class Advice:
    """What to tell the user, with an override for each call kind where the generic text would mislead."""

    default: str
    create: str | None = None
    query: str | None = None
    retrieve: str | None = None
    download: str | None = None
    task: str | None = None

    def for_call(self, call: Call | str | None) -> str:
        if call is None:
            return self.default
        override: str | None = getattr(self, Call(call).value)
        return override if override is not None else self.default


@dataclass(frozen=True)
class ErrorCode:
    """One MiniMax business code (``base_resp.status_code`` in v1; the number in a v2 error message)."""

    code: int
    meaning: str
    #: Name of the class in :mod:`airflow_provider_hailuo.exceptions` raised for it.
    exception: str
    #: True when the same call may succeed later (rate limits, MiniMax-side trouble).
    retryable: bool
    #: What this answer to a create call proves.
    create: CreateOutcome
    exit_code: ExitCode
    advice: Advice
    #: A status query may report it as the task's own failure (its status ``Fail``), not the call's.
    task_failure: bool = False
    #: A variant row applies only when MiniMax's message contains this text (lower case).
    message_contains: str | None = None
    #: Ends a wait for a video before its deadline: waiting cannot change it (waiting.py sits out the rest).
    ends_wait: bool = False
    #: A refusal for the account's capacity (its request rate or its videos in flight): nothing was
    #: created and the same create succeeds once capacity frees, so the operator waits for it.
    capacity: bool = False


_REFUSED = CreateOutcome.REFUSED
_AMBIGUOUS = CreateOutcome.AMBIGUOUS
_NOT_REPEATED = "The create call is not repeated: a task may have been created before the error."
_TASK_SERVER = "MiniMax failed the video on its side; submitting again creates a new, billed video."
_CREATE_2013 = "MiniMax rejected the parameters: check model, resolution, duration and images."
_QUERY_2013 = (
    "MiniMax knows no such video task: check the task id, and that this API key (and its region's host) "
    "created it."
)
_RETRIEVE_2013 = (
    "MiniMax knows no such file: check the file id, and that this API key (and its region's host) created "
    "its video."
)

#: Every code this provider knows. MiniMax's server-side errors (1000, 1001, 1013, 1024, 1033) on a
#: create call are AMBIGUOUS: the task may have been created before the error was raised.
ERROR_CODES: tuple[ErrorCode, ...] = (
    ErrorCode(
        1000,
        "unknown error",
        "HailuoUnknownError",
        True,
        _AMBIGUOUS,
        ExitCode.NETWORK,
        Advice("MiniMax reported an unknown error; it is retried.", create=_NOT_REPEATED, task=_TASK_SERVER),
    ),
    ErrorCode(
        1001,
        "request timeout at MiniMax",
        "HailuoRequestTimeoutError",
        True,
        _AMBIGUOUS,
        ExitCode.NETWORK,
        Advice("MiniMax timed out; it is retried.", create=_NOT_REPEATED, task=_TASK_SERVER),
    ),
    ErrorCode(
        1002,
        "rate limit (requests per minute)",
        "HailuoRateLimitError",
        True,
        _REFUSED,
        ExitCode.RATE_LIMIT,
        Advice(
            "Rate limit (requests per minute) reached: nothing was created. The generation operator waits "
            "for capacity (capacity_timeout); elsewhere, size an Airflow pool to your account's RPM."
        ),
        capacity=True,
    ),
    ErrorCode(
        1004,
        "authentication failed",
        "HailuoAuthenticationError",
        False,
        _REFUSED,
        ExitCode.AUTH,
        Advice(
            "Authentication failed: check the API key in the Hailuo connection (password field) and that "
            "the key belongs to the host's region (api.minimaxi.com mainland, api.minimax.io international)."
        ),
        ends_wait=True,
    ),
    ErrorCode(
        1008,
        "insufficient balance",
        "HailuoInsufficientBalanceError",
        False,
        _REFUSED,
        ExitCode.QUOTA,
        Advice(
            "Insufficient balance: top up the MiniMax account. MiniMax-H3 (v2) also needs a pay-as-you-go "
            "API key: Token-Plan keys (sk-cp-...) get this on H3 even after a top-up.",
            create=(
                "Insufficient balance: top up the MiniMax account, then clear the task. MiniMax-H3 (v2) needs "
                "a pay-as-you-go API key: Token-Plan keys (sk-cp-...) get this on H3 even after a top-up."
            ),
        ),
    ),
    ErrorCode(
        1013,
        "internal service error",
        "HailuoInternalServiceError",
        True,
        _AMBIGUOUS,
        ExitCode.NETWORK,
        Advice("MiniMax internal service error; it is retried.", create=_NOT_REPEATED, task=_TASK_SERVER),
    ),
    ErrorCode(
        1024,
        "internal error",
        "HailuoInternalError",
        True,
        _AMBIGUOUS,
        ExitCode.NETWORK,
        Advice("MiniMax internal error; it is retried.", create=_NOT_REPEATED, task=_TASK_SERVER),
    ),
    ErrorCode(
        1026,
        "input moderated (prompt or image)",
        "HailuoInputSensitiveError",
        False,
        _REFUSED,
        ExitCode.MODERATION,
        Advice(
            "Content moderation rejected the input (prompt or image): rephrase the prompt or change the image."
        ),
        task_failure=True,
        ends_wait=True,
    ),
    ErrorCode(
        1027,
        "generated video moderated",
        "HailuoOutputSensitiveError",
        False,
        _REFUSED,
        ExitCode.MODERATION,
        Advice(
            "Content moderation rejected the generated video: adjust the prompt; a retry of the same input "
            "is likely to be rejected again."
        ),
        task_failure=True,
        ends_wait=True,
    ),
    *(  # two codes, one meaning (MiniMax answers either)
        ErrorCode(
            code,
            "quota exhausted",
            "HailuoQuotaExhaustedError",
            False,
            _REFUSED,
            ExitCode.QUOTA,
            Advice("Plan quota exhausted; wait for the quota to reset or change plan."),
        )
        for code in (1028, 1030)
    ),
    ErrorCode(
        1033,
        "system error",
        "HailuoSystemError",
        True,
        _AMBIGUOUS,
        ExitCode.NETWORK,
        Advice("MiniMax system error; it is retried.", create=_NOT_REPEATED, task=_TASK_SERVER),
    ),
    ErrorCode(
        1039,
        "token limit (tokens per minute)",
        "HailuoTokenLimitError",
        True,
        _REFUSED,
        ExitCode.RATE_LIMIT,
        Advice("Token-per-minute limit reached; it is retried with backoff."),
        capacity=True,
    ),
    ErrorCode(
        1041,
        "connection limit",
        "HailuoConnectionLimitError",
        True,
        _REFUSED,
        ExitCode.RATE_LIMIT,
        Advice(
            "Too many concurrent connections or videos in flight: nothing was created. The generation "
            "operator waits for capacity (capacity_timeout); elsewhere, lower the pool size."
        ),
        capacity=True,
    ),
    ErrorCode(
        1042,
        "too many invisible characters",
        "HailuoInvisibleCharacterError",
        False,
        _REFUSED,
        ExitCode.USAGE,
        Advice("The prompt holds too many invisible characters; clean it up."),
    ),
    ErrorCode(
        2013,
        "invalid parameters",
        "HailuoInvalidParamsError",
        False,
        _REFUSED,
        ExitCode.USAGE,
        Advice(
            "MiniMax rejected the request's parameters.",
            create=_CREATE_2013,
            query=_QUERY_2013,
            retrieve=_RETRIEVE_2013,
            task=_CREATE_2013,
        ),
        ends_wait=True,
    ),
    ErrorCode(
        2013,
        "callback_url check failed",
        "HailuoCallbackCheckError",
        False,
        _REFUSED,
        ExitCode.USAGE,
        Advice(
            "MiniMax could not verify callback_url: it must be reachable from MiniMax and echo the "
            "'challenge' within 3 seconds (see the callbacks docs)."
        ),
        message_contains="callback",
        ends_wait=True,
    ),
    ErrorCode(
        2038,
        "real-name verification required",
        "HailuoRealNameRequiredError",
        False,
        _REFUSED,
        ExitCode.AUTH,
        Advice("The mainland account needs real-name verification on the MiniMax platform."),
    ),
    ErrorCode(
        2045,
        "request rate grew too fast",
        "HailuoRateGrowthLimitError",
        True,
        _REFUSED,
        ExitCode.RATE_LIMIT,
        Advice("Request rate grew too fast; smooth submissions with a pool."),
        capacity=True,
    ),
    ErrorCode(
        2049,
        "invalid API key (or the other region's key)",
        "HailuoInvalidAPIKeyError",
        False,
        _REFUSED,
        ExitCode.AUTH,
        Advice(
            "Invalid API key. A key works only on its own region's host: mainland keys on "
            "https://api.minimaxi.com, international keys on https://api.minimax.io. Check the connection's "
            "host and key."
        ),
        ends_wait=True,
    ),
    ErrorCode(
        2056,
        "usage limit exceeded",
        "HailuoUsageLimitError",
        False,
        _REFUSED,
        ExitCode.QUOTA,
        Advice("Usage limit exceeded: wait for the next 5-hour window."),
    ),
    ErrorCode(
        2061,
        "model not available on the plan",
        "HailuoModelNotAvailableError",
        False,
        _REFUSED,
        ExitCode.QUOTA,
        Advice("The model is not available on the account's current plan."),
    ),
)

_BY_CODE: Mapping[int, ErrorCode] = {row.code: row for row in ERROR_CODES if not row.message_contains}
_VARIANTS: tuple[ErrorCode, ...] = tuple(row for row in ERROR_CODES if row.message_contains)

#: Codes a status query reports as the task's own failure (moderation), with the task's status.
TASK_FAILURE_CODES: frozenset[int] = frozenset(row.code for row in ERROR_CODES if row.task_failure)


def error_code_rule(code: int, message: str = "", *, exception: str | None = None) -> ErrorCode | None:
    """The row for ``code`` (a variant when the message or the exception class names it); None if unknown."""
    for row in _VARIANTS:
        if row.code != code:
            continue
        if (exception is not None and row.exception == exception) or (
            exception is None and row.message_contains and row.message_contains in message.lower()
        ):
            return row
    return _BY_CODE.get(code)


def codes_with_exit(exit_code: ExitCode) -> tuple[int, ...]:
    """The business codes that end the CLI with ``exit_code``, for its help text."""
    return tuple(sorted({row.code for row in ERROR_CODES if row.exit_code is exit_code}))


@dataclass(frozen=True)
class HttpStatus:
    """An HTTP status other than 200: a gateway's page in v1, the error's own status in v2."""

    status: int
    meaning: str
    retryable: bool
    create: CreateOutcome
    exit_code: ExitCode
    advice: Advice
    #: v2's ``error.type`` for this status, where v2 documents one.
    v2_error_type: str | None = None
    #: Ends a wait for a video before its deadline: waiting cannot change it (waiting.py sits out the rest).
    ends_wait: bool = False
    #: A refusal for the account's capacity (see ``ErrorCode.capacity``).
    capacity: bool = False


_GATEWAY_5XX = Advice(
    "MiniMax or a gateway in front of it failed; status and file calls are retried.",
    create=(
        "The gateway may have passed the request on before failing: a task may exist and be billed, so the "
        "create call is not repeated."
    ),
)

HTTP_STATUSES: tuple[HttpStatus, ...] = (
    HttpStatus(
        400,
        "bad request",
        False,
        _REFUSED,
        ExitCode.USAGE,
        Advice("The request was refused as invalid."),
        "bad_request_error",
    ),
    HttpStatus(
        401,
        "unauthorized",
        False,
        _REFUSED,
        ExitCode.AUTH,
        Advice("Authentication failed: check the API key and the host's region."),
        "authorized_error",
        ends_wait=True,
    ),
    HttpStatus(
        402,
        "insufficient balance",
        False,
        _REFUSED,
        ExitCode.QUOTA,
        Advice(
            "Insufficient balance: top up the MiniMax account. MiniMax-H3 needs a pay-as-you-go API key "
            "(Token-Plan keys get 402 on H3 even after a top-up)."
        ),
        "insufficient_balance_error",
    ),
    HttpStatus(
        403,
        "forbidden (a gateway or firewall)",
        False,
        _REFUSED,
        ExitCode.NETWORK,
        Advice("Refused by a gateway or firewall: check the host, proxies and network policy."),
    ),
    HttpStatus(
        404,
        "not found",
        False,
        _REFUSED,
        ExitCode.NETWORK,
        Advice("Not found: check the connection's host (no path after it)."),
    ),
    HttpStatus(
        408,
        "request timeout at the gateway",
        True,
        _REFUSED,
        ExitCode.NETWORK,
        Advice("The gateway timed out receiving the request; it is retried."),
    ),
    HttpStatus(
        422,
        "content moderation",
        False,
        _REFUSED,
        ExitCode.MODERATION,
        Advice("Content moderation rejected the input: rephrase the prompt or change the image."),
        "unprocessable_entity_error",
    ),
    HttpStatus(
        429,
        "rate limit",
        True,
        _REFUSED,
        ExitCode.RATE_LIMIT,
        Advice(
            "Rate limited (requests per minute, or MiniMax-H3's videos in flight); the generation operator "
            "waits for capacity, other calls are retried with backoff."
        ),
        "rate_limit_error",
        capacity=True,
    ),
    HttpStatus(500, "server error", True, _AMBIGUOUS, ExitCode.NETWORK, _GATEWAY_5XX, "server_error"),
    HttpStatus(502, "bad gateway page", True, _AMBIGUOUS, ExitCode.NETWORK, _GATEWAY_5XX),
    HttpStatus(503, "service unavailable page", True, _AMBIGUOUS, ExitCode.NETWORK, _GATEWAY_5XX),
    HttpStatus(504, "gateway timeout page", True, _AMBIGUOUS, ExitCode.NETWORK, _GATEWAY_5XX),
    HttpStatus(529, "overloaded", True, _AMBIGUOUS, ExitCode.NETWORK, _GATEWAY_5XX, "overloaded_error"),
)

_HTTP_BY_STATUS: Mapping[int, HttpStatus] = {row.status: row for row in HTTP_STATUSES}
_OTHER_4XX = HttpStatus(
    400, "other client error", False, _REFUSED, ExitCode.NETWORK, Advice("The request was refused.")
)
_OTHER_5XX = HttpStatus(500, "other server error", True, _AMBIGUOUS, ExitCode.NETWORK, _GATEWAY_5XX)
#: A 1xx/3xx or an unexpected 2xx: nobody says what happened to the request, so assume the costly case.
_OTHER = HttpStatus(
    0,
    "unexpected status",
    False,
    _AMBIGUOUS,
    ExitCode.NETWORK,
    Advice("An unexpected HTTP status came back.", create=_GATEWAY_5XX.create),
)


def http_status_rule(status: int) -> HttpStatus:
    """The row for an HTTP status; unlisted 4xx are refusals, unlisted 5xx and others ambiguous."""
    row = _HTTP_BY_STATUS.get(status)
    if row is not None:
        return row
    if 400 <= status < 500:
        return _OTHER_4XX
    if 500 <= status < 600:
        return _OTHER_5XX
    return _OTHER
