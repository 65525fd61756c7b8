"""The sandbox: an offline, faithful fake of MiniMax's v1 video API on aiohttp.

Users point a connection at it to develop DAGs without a key or a bill, and our tests use it as the
fixture for the hook, trigger and transfers. It follows `docs/minimax-api.md` (HTTP 200 with
``base_resp`` errors, ``file_id`` typed differently by query and retrieve, short-lived signed download
URLs, the callback challenge) and adds failure modes on demand (gateway 502s, rate limits, slow or
truncated answers, a read timeout after the task was created) so clients can be tested against the
ways the real service misbehaves.

`SandboxServer` runs the app on its own event loop in a background thread so synchronous code
(``requests``, Airflow hooks, pytest without asyncio) can use it; `create_app` builds the bare
``web.Application`` for embedding in an existing loop.

This module is the one allowed over the project's 600-line limit: it is the v1 HTTP surface read
side by side with the contract (routes, the middleware that injects faults and counts calls, the
callback pushes, the ``/sandbox/*`` control endpoints and the thread that runs them), and those pieces share one request's state, so
splitting them would scatter one endpoint's behaviour across files. What stands alone already lives
elsewhere: settings in ``config``, memory in ``state``, body rules in ``validation``, error codes in
``errors``, video files in ``mp4`` and v2 in ``v2/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from .config import ConfigError, SandboxConfig
from .errors import DEFAULT_MESSAGES, GATEWAY_HTML, ApiError, StatusCode, base_resp, invalid_params
from .mp4 import iter_video_bytes
from .state import CALLBACK_STATUS, FAIL, PROCESSING, SUCCESS, SandboxState, StoredFile, Task
from .v2 import add_v2_routes
from .validation import parse_create_request

log = logging.getLogger(__name__)

CREATE_PATH = "/v1/video_generation"
QUERY_PATH = "/v1/query/video_generation"
RETRIEVE_PATH = "/v1/files/retrieve"
DOWNLOAD_PATH = "/sandbox/download/{token}"

_MIN_PUSH_DELAY = 0.05
"""Pushes wait at least this long so the create answer (with the task_id) normally arrives first."""

_T = TypeVar("_T")


@dataclass
class _Runtime:
    """Loop-bound resources, created lazily inside the loop and released at app cleanup."""

    session: aiohttp.ClientSession | None = None
    background: set[asyncio.Task[None]] = field(default_factory=set)

    def client(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            # trust_env stays False: callbacks go to the user's own receiver, never via a proxy.
            self.session = aiohttp.ClientSession()
        return self.session

    def spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def cancel_background(self) -> None:
        tasks = list(self.background)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


STATE_KEY = web.AppKey("hailuo_sandbox_state", SandboxState)
_RUNTIME_KEY = web.AppKey("hailuo_sandbox_runtime", _Runtime)


# -- helpers ----------------------------------------------------------------------------------------


def _api_error_body(path: str, request: web.Request, code: StatusCode, message: str) -> dict[str, Any]:
    """Error answers keep each endpoint's shape, with the empty values the real API sends."""
    resp = base_resp(code, message)
    if path == CREATE_PATH:
        return {"task_id": "", "base_resp": resp}
    if path == QUERY_PATH:
        return {
            "task_id": request.query.get("task_id", ""),
            "status": "",
            "file_id": "",
            "video_width": 0,
            "video_height": 0,
            "base_resp": resp,
        }
    return {"base_resp": resp}


def _authenticate(request: web.Request, config: SandboxConfig) -> str:
    """The caller's key; tasks are scoped to it, as MiniMax scopes them to the account."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise ApiError(StatusCode.AUTH_FAILED)
    if key in config.api_keys or key in config.token_plan_keys:
        return key
    if key in config.other_region_keys:
        raise ApiError(StatusCode.INVALID_API_KEY)
    raise ApiError(StatusCode.AUTH_FAILED)


def _counter_for(request: web.Request) -> str | None:
    if request.path == CREATE_PATH and request.method == "POST":
        return "create_calls"
    if request.path == QUERY_PATH:
        return "queries"
    if request.path == RETRIEVE_PATH:
        return "retrieves"
    return None


#: Counter name -> the endpoint name an outage is configured with.
_ENDPOINTS = {"create_calls": "create", "queries": "query", "retrieves": "retrieve"}


@web.middleware
async def _api_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Faults and business errors for ``/v1``; ``/sandbox`` control endpoints are never faulted."""
    if not request.path.startswith("/v1/"):
        return await handler(request)
    state = request.app[STATE_KEY]
    config = state.config
    counter = _counter_for(request)
    if counter is not None:
        state.counters[counter] += 1
    trace_id = uuid.uuid4().hex
    if config.slow_seconds > 0:
        state.injected_faults["slow"] += 1
        await asyncio.sleep(config.slow_seconds)
    response: web.StreamResponse
    outage = state.outage_answer(_ENDPOINTS.get(counter or "", ""), time.monotonic())
    if outage is not None:
        state.injected_faults["outage"] += 1
    if outage == "gateway" or (
        outage is None
        and request.method in config.gateway_error_methods
        and state.draw_fault(config.gateway_error_rate)
    ):
        if outage is None:
            state.injected_faults["gateway_error"] += 1
        response = web.Response(status=502, text=GATEWAY_HTML, content_type="text/html")
    elif outage == "unavailable":
        response = web.Response(status=503, text="Service Temporarily Unavailable", content_type="text/plain")
    elif outage == "garbled":
        response = web.Response(status=200, text='{"base_resp": {"status_co', content_type="application/json")
    elif outage in ("rate_limit", "token_limit") or (
        outage is None and state.draw_fault(config.rate_limit_error_rate)
    ):
        code = StatusCode.TOKEN_LIMIT if outage == "token_limit" else StatusCode.RATE_LIMIT
        if outage is None:
            state.injected_faults["rate_limit"] += 1
        state.errors_by_code[code] += 1
        response = web.json_response(_api_error_body(request.path, request, code, DEFAULT_MESSAGES[code]))
    else:
        try:
            response = await handler(request)
        except ApiError as exc:
            state.errors_by_code[exc.code] += 1
            response = web.json_response(_api_error_body(request.path, request, exc.code, exc.message))
        except web.HTTPException as exc:
            exc.headers["Trace-Id"] = trace_id
            raise
        if outage == "unknown_status":
            response = _with_unknown_status(response)
    response.headers["Trace-Id"] = trace_id
    return response


def _with_unknown_status(response: web.StreamResponse) -> web.StreamResponse:
    """A task's query answer with its status replaced by ``Unknown`` (other answers unchanged)."""
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):
        return response
    data = json.loads(body)
    if not isinstance(data, dict) or "status" not in data or data.get("base_resp", {}).get("status_code"):
        return response
    data.update(status="Unknown", file_id="", video_width=0, video_height=0)
    return web.json_response(data)


# -- /v1 endpoints ----------------------------------------------------------------------------------


async def _check_callback(app: web.Application, url: str) -> bool:
    """MiniMax validates a callback_url synchronously, before answering the create call."""
    state = app[STATE_KEY]
    state.counters["callback_checks"] += 1
    challenge = secrets.token_urlsafe(16)
    timeout = aiohttp.ClientTimeout(total=state.config.callback_timeout_seconds)
    ok = False
    try:
        async with (
            app[_RUNTIME_KEY].client().post(url, json={"challenge": challenge}, timeout=timeout) as resp
        ):
            if resp.status == 200:
                data = json.loads(await resp.text())
                ok = isinstance(data, dict) and data.get("challenge") == challenge
    except Exception as exc:  # any failure to echo means the URL is not usable, as with MiniMax
        log.info("sandbox: callback check of %s failed: %r", url, exc)
    if not ok:
        state.counters["callback_check_failures"] += 1
    return ok


async def _push_updates(app: web.Application, task: Task, url: str) -> None:
    """One push per lowercase status (``processing``, then ``success``/``failed``); no retries."""
    state = app[STATE_KEY]
    final = SUCCESS if task.outcome == "success" else FAIL
    for status, due in ((PROCESSING, task.processing_starts_after), (final, task.finishes_after)):
        delay = max(
            task.created_mono + due - time.monotonic(), _MIN_PUSH_DELAY if status == PROCESSING else 0
        )
        await asyncio.sleep(delay)
        if state.tasks.get(task.task_id) is not task or not state.config.push_callbacks:
            continue
        if status == final and state.config.drop_final_callback:
            state.counters["callbacks_dropped"] += 1
            continue
        body = task.query_body(status)
        body["status"] = CALLBACK_STATUS[status]
        timeout = aiohttp.ClientTimeout(total=state.config.callback_timeout_seconds)
        try:
            async with app[_RUNTIME_KEY].client().post(url, json=body, timeout=timeout) as resp:
                await resp.read()
                delivered = 200 <= resp.status < 300
        except Exception as exc:  # a broken receiver must not break the sandbox; it is counted
            log.info("sandbox: push to %s failed: %r", url, exc)
            delivered = False
        state.counters["callbacks_sent" if delivered else "callback_failures"] += 1


async def _create(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    config = state.config
    owner = _authenticate(request, config)
    if state.rpm_exceeded(time.monotonic()):
        state.injected_faults["rpm_limit"] += 1
        raise ApiError(StatusCode.RATE_LIMIT)
    try:
        body = await request.json()
    except ValueError:
        raise invalid_params("request body must be a JSON object") from None
    video_request = parse_create_request(body, strict_image_content=config.strict_image_content)
    if config.balance_exhausted:
        state.injected_faults["balance_exhausted"] += 1
        raise ApiError(StatusCode.INSUFFICIENT_BALANCE)
    if video_request.callback_url is not None and not await _check_callback(
        request.app, video_request.callback_url
    ):
        raise invalid_params("fail to check callback url")
    task = state.create_task(video_request, owner)
    if video_request.callback_url is not None:
        request.app[_RUNTIME_KEY].spawn(_push_updates(request.app, task, video_request.callback_url))
    answer = web.json_response({"task_id": task.task_id, "base_resp": base_resp()})
    if config.create_gateway_error_after_commit:
        config.create_gateway_error_after_commit = False
        state.injected_faults["create_gateway_error_after_commit"] += 1
        return web.Response(status=502, text=GATEWAY_HTML, content_type="text/html")
    if config.create_timeout_after_commit:
        config.create_timeout_after_commit = False
        state.injected_faults["create_timeout"] += 1
        await asyncio.sleep(config.create_timeout_hang_seconds)
    return answer


async def _query(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    owner = _authenticate(request, state.config)
    task_id = request.query.get("task_id", "").strip()
    if not task_id:
        raise invalid_params("task_id is required")
    task = state.tasks.get(task_id)
    if task is None or task.owner != owner:
        raise invalid_params("task not found")
    return web.json_response(task.query_body())


def _base_url(request: web.Request, config: SandboxConfig) -> str:
    if config.public_base_url:
        return config.public_base_url.rstrip("/")
    return f"{request.scheme}://{request.host}"


async def _retrieve(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    config = state.config
    owner = _authenticate(request, config)
    raw = request.query.get("file_id", "").strip()
    if not re.fullmatch(r"[0-9]+", raw):
        raise invalid_params("file_id must be an integer")
    stored = state.ready_file(int(raw), owner)
    if stored is None:
        raise invalid_params("file not found")
    grant = state.mint_grant(stored.file_id, config.download_url_ttl_seconds)
    url = f"{_base_url(request, config)}/sandbox/download/{grant.token}?expires={int(grant.expires_at)}"
    return web.json_response(
        {
            "file": {
                "file_id": stored.file_id,
                "bytes": stored.size,
                "created_at": stored.created_at,
                "filename": "output_aigc.mp4",
                "purpose": "video_generation",
                "download_url": url,
            },
            "base_resp": base_resp(),
        }
    )


# -- downloads --------------------------------------------------------------------------------------


def _cdn_denied(code: str, message: str) -> web.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<ServerTime>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}</ServerTime></Error>\n"
    )
    return web.Response(status=403, text=body, content_type="application/xml")


class _Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, total: int) -> tuple[int, int] | None:
    """``Range`` header -> (start, end_exclusive), or None to send the whole file.

    Multi-range and malformed headers are ignored (allowed by RFC 9110); a start past the end is 416.
    """
    if not header:
        return None
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise _Unsatisfiable
        return max(total - suffix, 0), total
    start = int(first)
    if last and int(last) < start:
        return None  # "last < first" is malformed, not unsatisfiable
    if start >= total:
        raise _Unsatisfiable
    end = int(last) + 1 if last else total
    return start, min(end, total)


async def _download(request: web.Request) -> web.StreamResponse:
    """Signed-URL download, like MiniMax's CDN: no auth, 403 once expired, Range support."""
    state = request.app[STATE_KEY]
    grant = state.grants.get(request.match_info["token"])
    stored = state.files.get(grant.file_id) if grant is not None else None
    if grant is None or stored is None:
        state.counters["downloads_denied"] += 1
        return _cdn_denied("AccessDenied", "Access Denied")
    if time.time() >= grant.expires_at:
        state.counters["downloads_denied"] += 1
        return _cdn_denied("AccessDenied", "Request has expired")

    total = stored.size
    try:
        byte_range = parse_range(request.headers.get("Range"), total)
    except _Unsatisfiable:
        return web.Response(status=416, headers={"Content-Range": f"bytes */{total}"})
    start, end = byte_range if byte_range is not None else (0, total)
    response = web.StreamResponse(
        status=206 if byte_range is not None else 200,
        headers={
            "Content-Type": "video/mp4",
            "Accept-Ranges": "bytes",
            "ETag": f'"{stored.file_id}-{total}"',
            "Content-Disposition": 'attachment; filename="output_aigc.mp4"',
        },
    )
    if byte_range is not None:
        response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{total}"
    response.content_length = end - start
    await response.prepare(request)
    if request.method == "HEAD":
        return response

    state.counters["downloads"] += 1
    config = state.config
    cut_at = state.should_cut(stored.file_id, end - start)
    sent = 0
    for chunk in iter_video_bytes(
        stored.seed,
        stored.width,
        stored.height,
        stored.duration,
        total,
        start,
        end,
        chunk_size=config.download_chunk_bytes,
        audio=stored.audio,
    ):
        if cut_at is not None and sent + len(chunk) > cut_at:
            chunk = chunk[: cut_at - sent]
            if chunk:
                await response.write(chunk)
                state.counters["download_bytes"] += len(chunk)
            state.counters["downloads_cut"] += 1
            state.injected_faults["cut_download"] += 1
            if request.transport is not None:
                request.transport.close()  # flushes what was written, then drops the connection
            return response
        await response.write(chunk)
        sent += len(chunk)
        state.counters["download_bytes"] += len(chunk)
    await response.write_eof()
    return response


# -- /sandbox control endpoints ---------------------------------------------------------------------


def _sha256_of(stored: StoredFile) -> str:
    digest = hashlib.sha256()
    for chunk in iter_video_bytes(
        stored.seed, stored.width, stored.height, stored.duration, stored.size, audio=stored.audio
    ):
        digest.update(chunk)
    return digest.hexdigest()


async def _file_sha256(request: web.Request) -> web.Response:
    """Lets tests and the quickstart prove a stored copy is byte-for-byte what was served."""
    state = request.app[STATE_KEY]
    raw = request.match_info["file_id"]
    stored = state.files.get(int(raw)) if raw.isascii() and raw.isdigit() else None
    if stored is None:
        return web.json_response({"error": f"unknown file_id {raw}"}, status=404)
    # Hashing GBs takes seconds; keep the loop free for the downloads being verified.
    sha = await asyncio.get_running_loop().run_in_executor(None, _sha256_of, stored)
    return web.json_response({"file_id": str(stored.file_id), "sha256": sha, "bytes": stored.size})


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].snapshot())


async def reset_app(app: web.Application) -> None:
    """Forget tasks, files, URLs and counters (not the config); stops pending callback pushes."""
    await app[_RUNTIME_KEY].cancel_background()
    app[STATE_KEY].reset()


async def _reset(request: web.Request) -> web.Response:
    await reset_app(request.app)
    return web.json_response({"reset": True})


async def _get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].config.to_dict())


async def _post_config(request: web.Request) -> web.Response:
    config = request.app[STATE_KEY].config
    try:
        values = await request.json()
    except ValueError:
        return web.json_response({"error": "body must be a JSON object"}, status=400)
    if not isinstance(values, dict):
        return web.json_response({"error": "body must be a JSON object"}, status=400)
    try:
        config.update(values)
    except ConfigError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(config.to_dict())


async def _callback_sink_post(request: web.Request) -> web.Response:
    """A built-in callback receiver, so the callback flow can be tried with nothing else running."""
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"error": "body must be JSON"}, status=400)
    request.app[STATE_KEY].callbacks_received.append({"received_at": time.time(), "body": body})
    if isinstance(body, dict) and "challenge" in body:
        return web.json_response({"challenge": body["challenge"]})
    return web.json_response({"status": "success"})


async def _callback_sink_get(request: web.Request) -> web.Response:
    return web.json_response({"received": request.app[STATE_KEY].callbacks_received})


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _index(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "service": "airflow-provider-hailuo sandbox (fake MiniMax v1 video API)",
            "api": [f"POST {CREATE_PATH}", f"GET {QUERY_PATH}?task_id=", f"GET {RETRIEVE_PATH}?file_id="],
            "control": [
                "GET /sandbox/stats",
                "POST /sandbox/reset",
                "GET|POST /sandbox/config",
                "GET /sandbox/files/{file_id}/sha256",
                "GET|POST /sandbox/callback_sink",
                "GET /sandbox/health",
            ],
        }
    )


async def _on_cleanup(app: web.Application) -> None:
    runtime = app[_RUNTIME_KEY]
    await runtime.cancel_background()
    if runtime.session is not None:
        await runtime.session.close()


def create_app(config: SandboxConfig | None = None, *, state: SandboxState | None = None) -> web.Application:
    """The sandbox as a plain aiohttp application (for ``aiohttp.test_utils`` or an existing loop)."""
    app = web.Application(middlewares=[_api_middleware], client_max_size=64 * 1024 * 1024)
    app[STATE_KEY] = (
        state if state is not None else SandboxState(config if config is not None else SandboxConfig())
    )
    app[_RUNTIME_KEY] = _Runtime()
    app.router.add_post(CREATE_PATH, _create)
    app.router.add_get(QUERY_PATH, _query)
    app.router.add_get(RETRIEVE_PATH, _retrieve)
    app.router.add_get(DOWNLOAD_PATH, _download)
    app.router.add_get("/sandbox/stats", _stats)
    app.router.add_post("/sandbox/reset", _reset)
    app.router.add_get("/sandbox/config", _get_config)
    app.router.add_post("/sandbox/config", _post_config)
    app.router.add_get("/sandbox/files/{file_id}/sha256", _file_sha256)
    app.router.add_post("/sandbox/callback_sink", _callback_sink_post)
    app.router.add_get("/sandbox/callback_sink", _callback_sink_get)
    app.router.add_get("/sandbox/health", _health)
    app.router.add_get("/", _index)
    add_v2_routes(app, app[STATE_KEY], app[_RUNTIME_KEY])
    app.on_cleanup.append(_on_cleanup)
    return app


# -- threaded server --------------------------------------------------------------------------------


class SandboxServer:
    """The sandbox on a background thread with its own event loop.

    Synchronous callers (``requests``, Airflow hooks) and asyncio callers on another loop can both
    talk to it, and pytest can start and stop many of them: ``port=0`` picks a free port and `stop`
    cancels in-flight requests instead of waiting for them.
    """

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._state = SandboxState(config if config is not None else SandboxConfig())
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._app: web.Application | None = None
        self._runner: web.AppRunner | None = None

    # -- properties

    @property
    def config(self) -> SandboxConfig:
        """The live config: attribute changes take effect on the next request."""
        return self._state.config

    @config.setter
    def config(self, value: SandboxConfig) -> None:
        self._state.config = value

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("sandbox server is not running")
        return self._port

    @property
    def url(self) -> str:
        host = self.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- lifecycle

    def start(self) -> SandboxServer:
        if self.running:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._astart())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.run_until_complete(self._astop())
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._astop())
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="hailuo-sandbox", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            self._loop = None
            raise failure[0]
        return self

    async def _astart(self) -> None:
        self._app = create_app(state=self._state)
        # Quick shutdown: in-flight handlers (a hanging create, a multi-GB download) are cancelled.
        self._runner = web.AppRunner(
            self._app, shutdown_timeout=0.2, handler_cancellation=True, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def _astop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        self._thread = None
        self._loop = None
        self._port = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- inspection

    def _on_loop(self, fn: Callable[[], _T]) -> _T:
        """Run on the server loop so the state is never touched from two threads at once."""
        loop = self._loop
        if loop is None or not self.running:
            return fn()
        if threading.current_thread() is self._thread:
            raise RuntimeError("call this from another thread than the sandbox server's own")

        async def call() -> _T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=30)

    def stats(self) -> dict[str, Any]:
        """The same counters as ``GET /sandbox/stats``."""
        return self._on_loop(self._state.snapshot)

    def reset(self) -> None:
        """Same as ``POST /sandbox/reset``."""
        loop, app = self._loop, self._app
        if loop is None or app is None or not self.running:
            self._state.reset()
            return
        asyncio.run_coroutine_threadsafe(reset_app(app), loop).result(timeout=30)

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "stopped"
        return f"<SandboxServer {where}>"
