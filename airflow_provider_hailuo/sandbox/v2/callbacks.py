"""v2 callbacks (contract §7): the challenge before the create answers, then ``{"task": VideoTask}``
on every status change.

The v2 pages do not say how the challenge is sent (Q6); we mirror v1, as the contract suggests: a POST
of ``{"challenge": "<random>"}`` that must be echoed within ``callback_timeout_seconds`` (3 s), or the
create call fails with 400 ``fail to check callback url (2013)``. Pushes go out for ``queued``,
``running``, ``succeeded``/``failed`` and ``cancelled`` (the statuses the docs list for callbacks);
``expired`` is not pushed, since the docs do not list it. There are no retries, as none are documented.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp

from .state import CANCELLED, EXPIRED, QUEUED, RUNNING, SUCCEEDED, V2State, V2Task

log = logging.getLogger(__name__)

MIN_FIRST_PUSH_DELAY = 0.05
"""The queued push waits this long so the create answer (with the task_id) normally arrives first."""


class Runtime(Protocol):
    """The server's loop-bound resources: one client session and tracked background tasks."""

    def client(self) -> aiohttp.ClientSession: ...

    def spawn(self, coro: Awaitable[None]) -> None: ...


async def echo_ok(session: aiohttp.ClientSession, url: str, timeout: float) -> bool:
    """POST a fresh challenge; True only when the same value comes back in time with HTTP 200."""
    challenge = secrets.token_urlsafe(16)
    try:
        async with session.post(
            url, json={"challenge": challenge}, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as resp:
            if resp.status != 200:
                return False
            data = json.loads(await resp.text())
            return isinstance(data, dict) and data.get("challenge") == challenge
    except Exception as exc:  # any failure to echo means the URL is not usable, as with MiniMax
        log.info("sandbox v2: callback check of %s failed: %r", url, exc)
        return False


async def push(
    v2: V2State, session: aiohttp.ClientSession, url: str, body: dict[str, Any], timeout: float
) -> None:
    try:
        async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            await resp.read()
            delivered = 200 <= resp.status < 300
    except Exception as exc:  # a broken receiver must not break the sandbox; it is counted
        log.info("sandbox v2: push to %s failed: %r", url, exc)
        delivered = False
    v2.counters["callbacks_sent" if delivered else "callback_failures"] += 1


async def push_timeline(
    v2: V2State,
    runtime: Runtime,
    task: V2Task,
    url: str,
    *,
    body_for: Callable[[V2Task, str], dict[str, Any]],
    enabled: Callable[[], bool],
    timeout: Callable[[], float],
    drop_final: Callable[[], bool] = lambda: False,
) -> None:
    """One push per status of the task's timeline; stops when the task is cancelled or deleted.

    ``drop_final`` loses the final push (counted as ``callbacks_dropped``), as a push that meets a
    stopped receiver is lost: MiniMax documents no retries."""
    final = SUCCEEDED if task.outcome == "succeeded" else "failed"
    timeline = [QUEUED] if task.outcome == "expired" else [QUEUED, RUNNING, final]
    for status in timeline:
        due = task.changed_after(status)
        delay = max(
            task.created_mono + due - time.monotonic(), MIN_FIRST_PUSH_DELAY if status == QUEUED else 0
        )
        await asyncio.sleep(delay)
        if v2.tasks.get(task.task_id) is not task or task.status() in (CANCELLED, EXPIRED):
            return
        if enabled():
            if status == timeline[-1] and status != QUEUED and drop_final():
                v2.counters["callbacks_dropped"] += 1
                continue
            await push(v2, runtime.client(), url, body_for(task, status), timeout())
