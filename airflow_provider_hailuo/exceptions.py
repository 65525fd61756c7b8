"""Exceptions for every way a Hailuo call can fail.

MiniMax answers most business errors with HTTP 200 and a non-zero ``base_resp.status_code``; each code
maps to one class here, carrying the code, the message and the response's trace id (what MiniMax
support asks for). ``retryable`` tells a transient condition (rate limits, gateway pages) from a
permanent one (bad key, moderation, balance): operators end the task at once on permanent errors so
Airflow retries are not burnt on something a retry cannot fix.

Messages never contain the API key: they are built from the API's own text, which we scrub anyway.
"""

from __future__ import annotations

from collections.abc import Mapping

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_hailuo.redaction import scrub


class HailuoError(AirflowException):
    """Base of every provider error. ``retryable`` says whether trying again can help."""

    retryable: bool = False

    def __init__(self, message: str, *, video_task_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.video_task_id = video_task_id

    @property
    def permanent(self) -> bool:
        return not self.retryable


class HailuoConfigurationError(HailuoError):
    """The connection or the provider is set up wrongly (missing key, bad host)."""


class HailuoTransportError(HailuoError):
    """The request did not get a usable HTTP answer (connection refused or reset, timeout).

    ``request_sent`` matters for the create call: when the request may have reached MiniMax, a task
    may exist and repeating the call could pay for a second video.
    """

    retryable = True

    def __init__(self, message: str, *, request_sent: bool, video_task_id: str | None = None) -> None:
        super().__init__(message, video_task_id=video_task_id)
        self.request_sent = request_sent


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
    ) -> None:
        super().__init__(message, video_task_id=video_task_id)
        self.http_status = http_status
        self.trace_id = trace_id
        self.retry_after = retry_after
        self.retryable = http_status == 429 or http_status >= 500 or http_status == 408


class HailuoMalformedResponseError(HailuoError):
    """The API answered 200 but not with what the contract promises (not JSON, missing or mistyped field)."""

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
    """A non-zero ``base_resp.status_code``."""

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
    ) -> None:
        if code is not None:
            self.code = code
        if hint is not None:
            self.hint = hint
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


class HailuoRetryableAPIError(HailuoAPIError):
    retryable = True


class HailuoUnknownError(HailuoRetryableAPIError):
    code = 1000
    hint = "MiniMax reported an unknown error; it is retried."


class HailuoRequestTimeoutError(HailuoRetryableAPIError):
    code = 1001
    hint = "MiniMax timed out; it is retried."


class HailuoRateLimitError(HailuoRetryableAPIError):
    code = 1002
    hint = (
        "Rate limit (requests per minute) reached. Limit concurrent submissions with an Airflow pool "
        "sized to your account's RPM (5 free, 20 paid)."
    )


class HailuoInternalServiceError(HailuoRetryableAPIError):
    code = 1013
    hint = "MiniMax internal service error; it is retried."


class HailuoTokenLimitError(HailuoRetryableAPIError):
    code = 1039
    hint = "Token-per-minute limit reached; it is retried with backoff."


class HailuoConnectionLimitError(HailuoRetryableAPIError):
    code = 1041
    hint = "Too many concurrent connections; lower the pool size."


class HailuoRateGrowthLimitError(HailuoRetryableAPIError):
    code = 2045
    hint = "Request rate grew too fast; smooth submissions with a pool."


class HailuoAuthenticationError(HailuoAPIError):
    code = 1004
    hint = (
        "Authentication failed: check the API key in the Hailuo connection (password field) and that the "
        "key belongs to the host's region (api.minimaxi.com mainland, api.minimax.io international)."
    )


class HailuoInsufficientBalanceError(HailuoAPIError):
    code = 1008
    hint = "Insufficient balance: top up the MiniMax account, then clear the task."


class HailuoInternalError(HailuoAPIError):
    code = 1024
    hint = "MiniMax internal error."
    retryable = True


class HailuoSystemError(HailuoAPIError):
    code = 1033
    hint = "MiniMax system error."
    retryable = True


class HailuoInputSensitiveError(HailuoAPIError):
    code = 1026
    hint = "Content moderation rejected the input (prompt or image): rephrase the prompt or change the image."


class HailuoOutputSensitiveError(HailuoAPIError):
    code = 1027
    hint = (
        "Content moderation rejected the generated video: adjust the prompt; a retry of the same input "
        "is likely to be rejected again."
    )


class HailuoQuotaExhaustedError(HailuoAPIError):
    code = 1028
    hint = "Plan quota exhausted; wait for the quota to reset or change plan."


class HailuoInvisibleCharacterError(HailuoAPIError):
    code = 1042
    hint = "The prompt holds too many invisible characters; clean it up."


class HailuoInvalidParamsError(HailuoAPIError):
    code = 2013
    hint = "MiniMax rejected the parameters: check model, resolution, duration and images."


class HailuoCallbackCheckError(HailuoInvalidParamsError):
    hint = (
        "MiniMax could not verify callback_url: it must be reachable from MiniMax and echo the "
        "'challenge' within 3 seconds (see the callbacks docs)."
    )


class HailuoRealNameRequiredError(HailuoAPIError):
    code = 2038
    hint = "The mainland account needs real-name verification on the MiniMax platform."


class HailuoInvalidAPIKeyError(HailuoAPIError):
    code = 2049
    hint = (
        "Invalid API key. A key works only on its own region's host: mainland keys on "
        "https://api.minimaxi.com, international keys on https://api.minimax.io. Check the connection's "
        "host and key."
    )


class HailuoUsageLimitError(HailuoAPIError):
    code = 2056
    hint = "Usage limit exceeded: wait for the next 5-hour window."


class HailuoModelNotAvailableError(HailuoAPIError):
    code = 2061
    hint = "The model is not available on the account's current plan."


_CODE_TABLE: Mapping[int, type[HailuoAPIError]] = {
    1000: HailuoUnknownError,
    1001: HailuoRequestTimeoutError,
    1002: HailuoRateLimitError,
    1004: HailuoAuthenticationError,
    1008: HailuoInsufficientBalanceError,
    1013: HailuoInternalServiceError,
    1024: HailuoInternalError,
    1026: HailuoInputSensitiveError,
    1027: HailuoOutputSensitiveError,
    1028: HailuoQuotaExhaustedError,
    1030: HailuoQuotaExhaustedError,
    1033: HailuoSystemError,
    1039: HailuoTokenLimitError,
    1041: HailuoConnectionLimitError,
    1042: HailuoInvisibleCharacterError,
    2013: HailuoInvalidParamsError,
    2038: HailuoRealNameRequiredError,
    2045: HailuoRateGrowthLimitError,
    2049: HailuoInvalidAPIKeyError,
    2056: HailuoUsageLimitError,
    2061: HailuoModelNotAvailableError,
}

#: Every business code this provider knows, for docs and tests.
KNOWN_CODES: tuple[int, ...] = tuple(sorted(_CODE_TABLE))


def error_class_for_code(code: int) -> type[HailuoAPIError]:
    return _CODE_TABLE.get(code, HailuoAPIError)


def api_error_from_code(
    code: int, message: str, *, trace_id: str | None = None, video_task_id: str | None = None
) -> HailuoAPIError:
    """Build the exception for a ``base_resp``; unknown codes give a permanent ``HailuoAPIError``."""
    message = scrub(message)
    cls = error_class_for_code(code)
    if cls is HailuoInvalidParamsError and "callback" in message.lower():
        cls = HailuoCallbackCheckError
    return cls(message, code=code, trace_id=trace_id, video_task_id=video_task_id)


class HailuoVideoGenerationFailedError(HailuoError):
    """The task reached ``Fail`` with no reason given. An Airflow retry submits a new (paid) video."""

    retryable = True

    def __init__(
        self, message: str, *, video_task_id: str | None = None, error_code: int | None = None
    ) -> None:
        super().__init__(message, video_task_id=video_task_id)
        self.error_code = error_code


class HailuoWaitTimeoutError(HailuoError):
    """Waiting for a task ran past its deadline. The task may still finish: its id is in the message."""

    retryable = True
