"""The v2 error envelope (contract §6.1): a real HTTP status and an "OpenAI-style" body.

``{"type": "error", "error": {"type", "message", "http_code"}, "request_id"}``: ``http_code`` is a
string and MiniMax's internal code is the trailing ``(NNNN)`` of ``message``, exactly as the contract's
examples show, so a client that parses either gets what the real service sends. The v1 sandbox answers
HTTP 200 with ``base_resp`` instead; the two never share a code path.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

ERROR_TYPES: dict[int, str] = {
    400: "bad_request_error",
    401: "authorized_error",
    402: "insufficient_balance_error",
    422: "unprocessable_entity_error",
    429: "rate_limit_error",
    500: "server_error",
    529: "overloaded_error",
}
"""HTTP status -> ``error.type``, from the contract's status table (§6.2)."""

RATE_LIMIT_MESSAGE = "rate limit, please retry later"
IN_FLIGHT_MESSAGE = "rate limit, too many tasks in progress (queued or running), please retry later"
"""Q7 leaves the in-flight cap's error open; see `in_flight_cap_error` for the side we built."""


class V2Error(Exception):
    """Raised inside a v2 handler to answer with the error envelope instead of a result."""

    def __init__(self, status: int, code: int, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"HTTP {status}: {message} ({code})")

    def body(self, request_id: str) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {
                "type": ERROR_TYPES[self.status],
                "message": f"{self.message} ({self.code})",
                "http_code": str(self.status),
            },
            "request_id": request_id,
        }

    def response(self, request_id: str | None = None) -> web.Response:
        return web.json_response(self.body(request_id or new_request_id()), status=self.status)


def new_request_id() -> str:
    """32 hex digits, the shape of the contract's example ``request_id``."""
    return secrets.token_hex(16)


def bad_request(problem: str) -> V2Error:
    """400 / 2013 in MiniMax's ``invalid params, <detail>`` wording."""
    return V2Error(400, 2013, f"invalid params, {problem}")


def invalid_task_id() -> V2Error:
    """Unknown, foreign, deleted or out-of-window task ids all read the same (§10: ``invalid task_id``)."""
    return V2Error(400, 2013, "invalid params, invalid task_id")


def auth_failed() -> V2Error:
    return V2Error(
        401,
        1004,
        "login fail: Please carry the API secret key in the 'Authorization' field of the request header",
    )


def other_region_key() -> V2Error:
    """A key from the other region: v1 answers 2049 'invalid api key'; v2 carries it as a 401."""
    return V2Error(401, 2049, "invalid api key")


def insufficient_balance() -> V2Error:
    """Also what a Token-Plan key gets on H3 (contract §1: 402 / 1008 even after a top-up)."""
    return V2Error(402, 1008, "insufficient balance")


def sensitive_input() -> V2Error:
    return V2Error(422, 1026, "video description contains sensitive content")


def rate_limited() -> V2Error:
    return V2Error(429, 1002, RATE_LIMIT_MESSAGE)


def in_flight_cap_error(code: int) -> V2Error:
    """The answer to a create beyond the account's in-flight cap.

    The contract leaves this open (§8, Q7: 429/1002, 1041 "conn limit", or something else). We built
    429 ``rate_limit_error``: it is the only documented status that says "nothing was created, retry
    later", so a client that handles the RPM limit already handles the cap safely, and no client can
    mistake it for an ambiguous 5xx. The message differs from the RPM one so tests and clients can
    tell the two apart; ``v2_in_flight_cap_code`` switches the trailing code to 1041 to exercise a
    client against the other candidate.
    """
    return V2Error(429, code, IN_FLIGHT_MESSAGE)


def server_error() -> V2Error:
    return V2Error(500, 1000, "internal error")


def overloaded() -> V2Error:
    """529 is only listed among the error types (§6.2); no message is published, so this one is ours."""
    return V2Error(529, 1000, "service overloaded, please retry later")
