"""MiniMax v1 business error codes as the sandbox answers them (HTTP 200 + non-zero ``base_resp``).

Messages follow MiniMax's own wording where it is known, so client code that matches on text (to
tell "fail to check callback url" from other 2013s, say) behaves as it would against the real API.
"""

from __future__ import annotations

from enum import IntEnum

GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
"""What an edge proxy (nginx) answers when the service behind it fails; the body is not JSON."""


class StatusCode(IntEnum):
    """The ``base_resp.status_code`` values the sandbox can produce."""

    SUCCESS = 0
    RATE_LIMIT = 1002
    AUTH_FAILED = 1004
    INSUFFICIENT_BALANCE = 1008
    SENSITIVE_INPUT = 1026
    SENSITIVE_OUTPUT = 1027
    TOKEN_LIMIT = 1039
    INVALID_PARAMS = 2013
    INVALID_API_KEY = 2049


DEFAULT_MESSAGES: dict[StatusCode, str] = {
    StatusCode.SUCCESS: "success",
    StatusCode.RATE_LIMIT: "rate limit exceeded(RPM), please retry later",
    StatusCode.AUTH_FAILED: (
        "login fail: Please carry the API secret key in the 'Authorization' field of the request header"
    ),
    StatusCode.INSUFFICIENT_BALANCE: "insufficient balance",
    StatusCode.SENSITIVE_INPUT: "input new_sensitive",
    StatusCode.SENSITIVE_OUTPUT: "output new_sensitive",
    StatusCode.TOKEN_LIMIT: "token limit exceeded(TPM), please retry later",
    StatusCode.INVALID_PARAMS: "invalid params",
    StatusCode.INVALID_API_KEY: "invalid api key",
}


class ApiError(Exception):
    """Raised inside a handler to answer with a business error instead of a result."""

    def __init__(self, code: StatusCode, message: str | None = None) -> None:
        self.code = code
        self.message = message if message is not None else DEFAULT_MESSAGES[code]
        super().__init__(f"{int(code)} {self.message}")


def invalid_params(problem: str) -> ApiError:
    """2013 with the problem spelled out, in MiniMax's ``invalid params, <detail>`` form."""
    return ApiError(StatusCode.INVALID_PARAMS, f"invalid params, {problem}")


def base_resp(code: StatusCode = StatusCode.SUCCESS, message: str | None = None) -> dict[str, object]:
    """The ``base_resp`` object every v1 answer carries."""
    return {
        "status_code": int(code),
        "status_msg": message if message is not None else DEFAULT_MESSAGES[code],
    }
