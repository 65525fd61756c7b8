"""The secret token in the callback URL: building the URL, checking a token, finding the configured one.

MiniMax signs nothing and sends no credential: the only thing a forged push cannot know is the URL
it was told to post to. So the URL carries a random token (``/hailuo/callback/<token>``), every
request must present it, and the comparison runs in constant time so response timing does not leak
it byte by byte. Several tokens may be configured at once (``new,old``) so a token can be rotated
while videos submitted with the old URL are still being pushed.

This module imports nothing heavy: DAG files use `callback_url_for` on workers, where neither FastAPI
nor the metadata DB is needed.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

log = logging.getLogger(__name__)

#: Where the plugin mounts the callback app in the api-server, and the route inside it.
URL_PREFIX = "/hailuo"
CALLBACK_ROUTE = "/callback"
CALLBACK_PATH = URL_PREFIX + CALLBACK_ROUTE

CONFIG_SECTION = "hailuo"
TOKEN_OPTION = "callback_token"
CONN_ID_OPTION = "callback_conn_id"
CONN_EXTRA_KEY = "callback_token"
DEFAULT_CONN_ID = "hailuo_default"

#: Shorter tokens are refused: a guessable token is an open door to forged asset events.
MIN_TOKEN_LENGTH = 16

_SEPARATORS = re.compile(r"[\s,]+")


def parse_tokens(value: object) -> tuple[str, ...]:
    """``"new, old"`` -> ``("new", "old")``: several tokens are accepted during a rotation."""
    if not isinstance(value, str):
        return ()
    return tuple(part for part in _SEPARATORS.split(value.strip()) if part)


def usable_tokens(tokens: Sequence[str], *, source: str = "configuration") -> tuple[str, ...]:
    """Drop (and complain about) tokens too short to be secret, so a typo cannot open the endpoint."""
    good = []
    for token in tokens:
        if len(token) < MIN_TOKEN_LENGTH:
            log.error(
                "Ignoring a Hailuo callback token from %s: it has %d characters, at least %d are required "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')",
                source,
                len(token),
                MIN_TOKEN_LENGTH,
            )
            continue
        good.append(token)
    return tuple(good)


def token_matches(candidate: str, tokens: Sequence[str]) -> bool:
    """Constant-time check against every configured token (no early exit that would reveal which one)."""
    given = candidate.encode("utf-8", "surrogatepass")
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given, token.encode("utf-8", "surrogatepass"))
    return matched


def callback_url_for(base_url: str, token: str) -> str:
    """The ``callback_url`` to give MiniMax for an api-server reachable at ``base_url``.

    ``base_url`` is the public root of the Airflow api-server as MiniMax must reach it, e.g.
    ``https://airflow.example.com`` or ``https://example.com/airflow`` behind a path-prefix proxy.
    The token is percent-encoded, so any configured token yields a valid URL.
    """
    if not isinstance(token, str) or not token.strip():
        raise ValueError("token: a callback token is required (the endpoint rejects requests without one)")
    token = token.strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"token: at least {MIN_TOKEN_LENGTH} characters are required, got {len(token)}")
    parts = urlsplit((base_url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url: {base_url!r} is not an http(s) URL such as https://airflow.example.com")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url: {base_url!r} must not have a query string or fragment")
    path = parts.path.rstrip("/")
    if path.endswith(CALLBACK_PATH):
        path = path[: -len(CALLBACK_PATH)]
    return f"{parts.scheme}://{parts.netloc}{path}{CALLBACK_PATH}/{quote(token, safe='')}"


class AirflowCallbackTokenResolver:
    """The accepted tokens, from ``[hailuo] callback_token`` or else the Hailuo connection's extra.

    Looked up again after ``ttl`` seconds, so a rotated token takes effect without restarting the
    api-server while a burst of pushes costs one lookup (the challenge must be answered in 3 s, and a
    secrets backend may be slow). An unconfigured endpoint is re-checked sooner (``empty_ttl``).
    """

    def __init__(self, ttl: float = 30.0, empty_ttl: float = 5.0) -> None:
        self.ttl = ttl
        self.empty_ttl = empty_ttl
        self._lock = threading.Lock()
        self._cached: tuple[float, tuple[str, ...]] | None = None

    def __call__(self) -> tuple[str, ...]:
        now = time.monotonic()
        with self._lock:
            if self._cached is not None and self._cached[0] > now:
                return self._cached[1]
            tokens = self._lookup()
            self._cached = (now + (self.ttl if tokens else self.empty_ttl), tokens)
            return tokens

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None

    def _lookup(self) -> tuple[str, ...]:
        from airflow.configuration import conf

        configured = parse_tokens(conf.get(CONFIG_SECTION, TOKEN_OPTION, fallback=None))
        if configured:
            return usable_tokens(configured, source=f"[{CONFIG_SECTION}] {TOKEN_OPTION}")
        conn_id = conf.get(CONFIG_SECTION, CONN_ID_OPTION, fallback=None) or DEFAULT_CONN_ID
        from_conn = parse_tokens(_connection_token(conn_id))
        return usable_tokens(from_conn, source=f"connection {conn_id!r} extra {CONN_EXTRA_KEY}")


def _connection_token(conn_id: str) -> str | None:
    """The connection's ``callback_token`` extra, read server-side (the api-server has the DB)."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None
    try:
        extra = conn.extra_dejson or {}
    except Exception:
        return None
    value = extra.get(CONN_EXTRA_KEY)
    return value if isinstance(value, str) else None
