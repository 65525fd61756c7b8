"""The triggerer's shared aiohttp session: one per event loop, leased by the triggers polling on it.

Thousands of waits in one triggerer share one session (and so its kept-alive connections to MiniMax)
instead of paying a TLS handshake per poll; a short-lived loop (``dag.test()``, the CLI, tests) closes
its session when the last trigger leaves. The proxy for a base URL is looked up here too, once, for the
same reason: per-request environment lookups were a measurable share of a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from yarl import URL

#: How long a looked-up proxy (and, in the hook, a looked-up connection) is kept.
ASYNC_SETTINGS_TTL = 300.0
#: Concurrent connections of a triggerer's shared session; further polls wait for a free one.
ASYNC_CONNECTION_LIMIT = 64


# One aiohttp session per event loop, shared by every hook (and so every trigger) on that loop.
_ASYNC_SESSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)


def shared_client_session() -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    session = _ASYNC_SESSIONS.get(loop)
    if session is None or session.closed:
        # At most ASYNC_CONNECTION_LIMIT connections in all (in practice all to the one MiniMax host): a
        # total limit caps them as a per-host one would, without per-host bookkeeping on every request.
        connector = aiohttp.TCPConnector(
            limit=ASYNC_CONNECTION_LIMIT, limit_per_host=0, ttl_dns_cache=300, keepalive_timeout=60
        )
        # Proxies come from env_proxy() per base URL, not trust_env: trust_env re-reads the environment
        # (and ~/.netrc) on every request, about 110 us, half of what a whole poll costs otherwise.
        # No default headers: build_headers() gives every request its own (Accept included), and defaults
        # would be merged into each request's headers on every poll.
        session = aiohttp.ClientSession(connector=connector)
        _ASYNC_SESSIONS[loop] = session
    return session


_ASYNC_LEASES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, int] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def shared_session_lease() -> AsyncIterator[None]:
    """Hold the loop's shared session while a trigger runs; the last one out closes it.

    In a triggerer the loop lives as long as the process and triggers overlap, so the session stays
    open and its connections are reused. A short-lived loop (``dag.test()``, the CLI, tests) ends with
    no triggers left, and the session is closed instead of leaking into the loop's shutdown.
    """
    loop = asyncio.get_running_loop()
    _ASYNC_LEASES[loop] = _ASYNC_LEASES.get(loop, 0) + 1
    try:
        yield
    finally:
        _ASYNC_LEASES[loop] -= 1
        if _ASYNC_LEASES[loop] == 0:
            await close_shared_client_session()


def session_leases(loop: asyncio.AbstractEventLoop) -> int:
    """How many triggers on ``loop`` hold its shared session, i.e. how many waits share that loop."""
    return _ASYNC_LEASES.get(loop, 0)


async def close_shared_client_session() -> None:
    """Close this loop's shared session (tests and short-lived loops; a triggerer keeps it for life)."""
    loop = asyncio.get_running_loop()
    session = _ASYNC_SESSIONS.pop(loop, None)
    if session is not None and not session.closed:
        await session.close()


def clear_proxy_cache() -> None:
    _ENV_PROXIES.clear()


_ENV_PROXIES: dict[str, tuple[float, Any, Any]] = {}


def env_proxy(base_url: str) -> tuple[Any, Any]:
    """The proxy (and its auth) that HTTP(S)_PROXY / NO_PROXY give for ``base_url``, or (None, None).

    The same environment ``requests`` honours on the sync path, so a worker and a triggerer behind one
    corporate proxy both reach MiniMax; looked up once per base URL and kept as long as connections.
    """
    now = time.monotonic()
    cached = _ENV_PROXIES.get(base_url)
    if cached and cached[0] > now:
        return cached[1], cached[2]
    from aiohttp.helpers import get_env_proxy_for_url

    try:
        proxy, auth = get_env_proxy_for_url(URL(base_url))
    except LookupError:
        proxy, auth = None, None
    _ENV_PROXIES[base_url] = (now + ASYNC_SETTINGS_TTL, proxy, auth)
    return proxy, auth
