"""The FastAPI app that receives MiniMax's callback pushes (mounted in the api-server by the plugin).

MiniMax first POSTs ``{"challenge": ...}`` to the ``callback_url`` and rejects the create call unless
the same value comes back within 3 seconds; afterwards it POSTs a query-shaped body on every change: v1's
flat one with a lowercase status (``processing``, ``success``, ``failed``), or for MiniMax-H3 (v2) the
``{"task": {...}}`` of the v2 query (``queued`` ... ``succeeded``, ``failed``, ``cancelled``). This app answers the challenge,
turns each *final* status into one event through an `EventSink` and acknowledges everything else.

The app is built by `create_app` from two callables, a token resolver and an event sink, so it can be
tested over real HTTP without Airflow's database and so the api-server plugin can inject the DB sink.
Every request is checked in this order, and nothing is recorded unless all checks pass:

1. the token in the URL (constant-time; 403, or 503 when no token is configured);
2. the size: ``Content-Length`` first, then the bytes actually read (413 above ``max_body_bytes``);
3. the body: a JSON object with a challenge, or a parseable status (400 otherwise).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from airflow_provider_hailuo.exceptions import HailuoMalformedResponseError
from airflow_provider_hailuo.protocol import VideoGenerationStatus, VideoStatus, status_from_mapping
from airflow_provider_hailuo.protocol.v2 import status_from_task as v2_status_from_task
from airflow_provider_hailuo.shapes import video_fields

from .assets import BACKSTOP_SOURCE, EVENT_SOURCE
from .tokens import CALLBACK_ROUTE, token_matches

log = logging.getLogger(__name__)

#: MiniMax's bodies are a few hundred bytes; anything near this limit is not from MiniMax.
DEFAULT_MAX_BODY_BYTES = 64 * 1024

#: Lowercase spellings used in callbacks and in event extras (``Fail`` in the query enum is ``failed``).
EVENT_STATUS = {VideoStatus.SUCCESS: "success", VideoStatus.FAIL: "failed"}

TokenResolver = Callable[[], Sequence[str]]
"""Returns the tokens currently accepted; empty means "not configured" (every request is refused)."""


class EventSink(Protocol):
    """Where final statuses go. ``record`` returns False for a duplicate (same task id and status)."""

    def record(self, extra: Mapping[str, Any]) -> bool: ...


class InMemoryEventSink:
    """A thread-safe in-process sink with the same dedupe rule as the DB sink, for tests and local trials."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []

    def record(self, extra: Mapping[str, Any]) -> bool:
        key = (extra.get("video_task_id"), extra.get("status"))
        with self._lock:
            if any((e.get("video_task_id"), e.get("status")) == key for e in self.events):
                return False
            self.events.append(dict(extra))
            return True


def event_extra(status: VideoGenerationStatus, body: Mapping[str, Any]) -> dict[str, Any]:
    """The asset event's ``extra``: the keys of the operator's result, so downstream code reads either."""
    extra: dict[str, Any] = {
        **video_fields(status),
        "status": EVENT_STATUS[status.status],
        **({"api_version": status.api_version} if status.api_version != "v1" else {}),
        # The backstop marks its deliveries; the mark only labels the event (the dedupe ignores it).
        "source": BACKSTOP_SOURCE if body.get("source") == BACKSTOP_SOURCE else EVENT_SOURCE,
    }
    size = body.get("bytes", body.get("file_size"))
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        extra["bytes"] = size
    if status.error_code is not None:
        extra["error_code"] = status.error_code
        extra["error_message"] = (status.error_message or "")[:500]
    return extra


def parse_push(body: Mapping[str, Any]) -> VideoGenerationStatus:
    """A push of either API: v2 wraps the task in ``task`` (no URL is needed, none is kept)."""
    task = body.get("task")
    if isinstance(task, dict):
        return v2_status_from_task(task, require_url=False)
    return status_from_mapping(body)


def _error(status_code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code)


class _BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    """Read at most ``limit`` bytes, failing as soon as more arrive (a lying Content-Length included)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


_TOKEN_IN_PATH = re.compile(r"(" + re.escape(CALLBACK_ROUTE) + r"/)[^/?]+")


class _RedactTokenInPath:
    """Replace the token in ``scope["path"]`` once the request is handled.

    The api-server's access-log middleware wraps the whole app and logs ``scope["path"]`` after the
    response; the scope dict is shared down to this app, so rewriting it here keeps the token out of
    the access log (``/hailuo/callback/***``). Routing is already done by then, so nothing else changes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope.get("type") == "http":
                path = scope.get("path")
                if isinstance(path, str):
                    scope["path"] = _TOKEN_IN_PATH.sub(r"\1***", path)
                raw = scope.get("raw_path")
                if isinstance(raw, bytes):
                    scope["raw_path"] = _TOKEN_IN_PATH.sub(r"\1***", raw.decode("latin-1")).encode("latin-1")


def create_app(
    token_resolver: TokenResolver,
    sink: EventSink,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The callback app; mount it at ``/hailuo`` so MiniMax posts to ``/hailuo/callback/<token>``.

    :param token_resolver: returns the accepted tokens; called in a worker thread (it may hit the DB).
    :param sink: records final statuses; called in worker threads, possibly concurrently, so it must
        dedupe safely on its own.
    :param max_body_bytes: larger requests get 413 before their body is parsed.
    """
    if max_body_bytes < 1:
        raise ValueError("max_body_bytes must be positive")
    # No docs or OpenAPI pages: the endpoint is reachable from the internet and needs no advertising.
    app = FastAPI(title="MiniMax Hailuo callbacks", docs_url=None, redoc_url=None, openapi_url=None)

    async def _check_token(token: str) -> JSONResponse | None:
        try:
            tokens = await run_in_threadpool(token_resolver)
        except Exception:
            log.exception("Hailuo callback: could not look up the callback token")
            return _error(503, "callback token lookup failed")
        if not tokens:
            log.warning(
                "Hailuo callback refused: no callback token is configured "
                "([hailuo] callback_token, or the callback_token extra of the Hailuo connection)"
            )
            return _error(503, "Hailuo callbacks are not configured on this Airflow")
        if not token_matches(token, tokens):
            log.warning("Hailuo callback refused: wrong token in the URL")
            return _error(403, "forbidden")
        return None

    @app.post(CALLBACK_ROUTE)
    @app.post(CALLBACK_ROUTE + "/")
    async def missing_token() -> JSONResponse:
        return _error(403, "forbidden")

    @app.post(CALLBACK_ROUTE + "/{token}")
    async def callback(token: str, request: Request) -> JSONResponse:
        refused = await _check_token(token)
        if refused is not None:
            return refused

        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return _error(400, "invalid Content-Length")
            if int(declared) > max_body_bytes:
                return _error(413, f"body larger than {max_body_bytes} bytes")
        try:
            raw = await _read_body(request, max_body_bytes)
        except _BodyTooLarge:
            return _error(413, f"body larger than {max_body_bytes} bytes")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[..." nested deep
            return _error(400, "body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "body is not a JSON object")

        if "challenge" in body:
            challenge = body["challenge"]
            if isinstance(challenge, bool) or not isinstance(challenge, (str, int)):
                return _error(400, "challenge must be a string")
            log.info("Hailuo callback: answered MiniMax's challenge")
            return JSONResponse({"challenge": challenge})

        try:
            status = parse_push(body)
        except HailuoMalformedResponseError as err:
            return _error(400, f"not a video task status: {err}")
        if not status.is_terminal:
            log.info(
                "Hailuo callback: task %s is %s (no event until it finishes)",
                status.video_task_id,
                status.status.value,
            )
            return JSONResponse({"status": "success", "event": "none"})

        extra = event_extra(status, body)
        try:
            created = await run_in_threadpool(sink.record, extra)
        except Exception:
            log.exception("Hailuo callback: could not record task %s", status.video_task_id)
            return _error(503, "could not record the event")
        log.info(
            "Hailuo callback: task %s %s%s: %s",
            status.video_task_id,
            extra["status"],
            f" (file {status.file_id})" if status.file_id else "",
            "asset event created" if created else "duplicate push, no new event",
        )
        return JSONResponse({"status": "success", "event": "created" if created else "duplicate"})

    app.add_middleware(_RedactTokenInPath)
    return app
