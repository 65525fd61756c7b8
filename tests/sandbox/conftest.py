"""Fixtures for the sandbox tests: a fresh, fast server per test (starting one takes milliseconds)."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import requests
from aiohttp import web

from airflow_provider_hailuo.sandbox import SandboxConfig, SandboxServer

API_KEY = "sandbox-key"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(preparing_seconds=0.05, queueing_seconds=0.05, processing_seconds=0.1)
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def held_sandbox() -> Iterator[SandboxServer]:
    """Tasks stay queued for a minute: in flight (and cancellable) until the test acts on them."""
    config = SandboxConfig(preparing_seconds=0, queueing_seconds=60, processing_seconds=1)
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def api() -> Iterator[requests.Session]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {API_KEY}"
    session.trust_env = False  # never route loopback calls through a proxy from the environment
    yield session
    session.close()


class MediaServer:
    """A loopback HTTP server for the v2 tests' media URLs: ``files[path] = bytes``; other paths 404."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        handler = self._handler_class()
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _handler_class(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def add(self, path: str, body: bytes) -> str:
        self.files[path] = body
        return self.url + path


@pytest.fixture
def media_server() -> Iterator[MediaServer]:
    server = MediaServer()
    server._thread.start()
    yield server
    server._httpd.shutdown()
    server._httpd.server_close()


class Receiver:
    """A tiny callback endpoint on the test's own loop; behaviour set per test."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.echo = True
        self.delay = 0.0
        self.push_status = 200
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.bodies.append(body)
        if "challenge" in body:
            await asyncio.sleep(self.delay)
            return web.json_response({"challenge": body["challenge"]} if self.echo else {"ok": True})
        return web.json_response({"status": "success"}, status=self.push_status)

    def pushes(self) -> list[dict[str, Any]]:
        return [b for b in self.bodies if "challenge" not in b]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield rec
    await runner.cleanup()
