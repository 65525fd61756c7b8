"""The callback receiver served over real HTTP for the callback tests (app, backstop, example DAGs)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from airflow_provider_hailuo.callbacks import callback_url_for
from airflow_provider_hailuo.callbacks.app import InMemoryEventSink, create_app

TOKEN = "tok-" + "A1b2C3d4E5f6G7h8I9j0"
OLD_TOKEN = "old-" + "Z9y8X7w6V5u4T3s2R1q0"


class _PathRecorder:
    """Outermost middleware that sees ``scope["path"]`` after the response, as the access log does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                self.paths.append(scope["path"])


class Receiver:
    """The callback app served by uvicorn in a thread, with a switchable token list and a memory sink."""

    def __init__(self) -> None:
        self.tokens: tuple[str, ...] = (TOKEN,)
        self.sink = InMemoryEventSink()
        self.sink_calls = 0
        self.fail_sink = False
        outer = self

        class CountingSink:
            def record(self, extra: Any) -> bool:
                outer.sink_calls += 1
                if outer.fail_sink:
                    raise RuntimeError("database is down")
                return outer.sink.record(extra)

        app = create_app(lambda: self.tokens, CountingSink())
        self.recorder = _PathRecorder(Starlette(routes=[Mount("/hailuo", app=app)]))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._sock = sock
        self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(self.recorder, log_level="warning", access_log=False, lifespan="off")
        )
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, token: str = TOKEN) -> str:
        return callback_url_for(self.base_url, token)

    def start(self) -> Receiver:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def reset(self) -> None:
        self.tokens = (TOKEN,)
        self.sink = InMemoryEventSink()
        self.sink_calls = 0
        self.fail_sink = False
        self.recorder.paths.clear()


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.reset()
    return receiver_server
