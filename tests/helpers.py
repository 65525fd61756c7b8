"""Small builders shared by the tests: real image files, a local S3 endpoint, operator contexts."""

from __future__ import annotations

import base64
import logging
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock


def png_bytes(width: int, height: int, shade: int = 0x80) -> bytes:
    """A complete, decodable 8-bit greyscale PNG of one shade."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    raw = b"".join(b"\x00" + bytes([shade]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def png_data_url(width: int, height: int, shade: int = 0x80) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(width, height, shade)).decode()


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """A real S3 endpoint (moto) on 127.0.0.1 for the duration of the block; yields its URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log would drown the output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


class FakeStore:
    """The task state store (Airflow 3.3+) as the operator sees it: get and set by key."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data = dict(data or {})

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any, **_: Any) -> None:
        self.data[key] = value


def context(store: FakeStore | None = None) -> dict[str, Any]:
    """A task context with a mock task instance and, when given, a task state store."""
    ti = mock.MagicMock()
    ctx: dict[str, Any] = {"ti": ti}
    if store is not None:
        ctx["task_state_store"] = store
    return ctx


def op(**kwargs: Any) -> Any:
    """A generation operator with fast polling, for tests that call ``execute`` directly."""
    from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator

    kwargs.setdefault("task_id", "gen")
    kwargs.setdefault("prompt", "a panda in a bamboo forest")
    kwargs.setdefault("poll_interval", 0.05)
    kwargs.setdefault("timeout", 30)
    return HailuoVideoGenerationOperator(**kwargs)


def airflow_has_task_state_store() -> bool:
    """The task state store (re-attach across retries) arrived in Airflow 3.3."""
    from importlib.metadata import version

    from packaging.version import Version

    return Version(version("apache-airflow-core")) >= Version("3.3.0")


def _sandbox_hook(sandbox: Any) -> Any:
    from airflow_provider_hailuo.hooks.hailuo import HailuoConnectionSettings, HailuoHook

    return HailuoHook(settings=HailuoConnectionSettings("sandbox-key", sandbox.url, None, 10.0))


def fill_in_flight(sandbox: Any, count: int, *, queued_seconds: float = 120.0) -> list[str]:
    """Videos created straight through the hook that stay queued, taking the account's in-flight slots."""
    fast = sandbox.config.queueing_seconds
    sandbox.config.queueing_seconds = queued_seconds
    try:
        return [
            _sandbox_hook(sandbox).create_video_generation(
                model="MiniMax-H3", prompt=f"filler {n}", duration=4, resolution="768P"
            )
            for n in range(count)
        ]
    finally:
        sandbox.config.queueing_seconds = fast


@contextmanager
def once_counted(sandbox: Any, counter: str, action: Any, api: str = "v2") -> Iterator[None]:
    """Run ``action()`` (in a thread) as soon as the sandbox's ``counter`` (of ``api``: ``v2``, or
    ``v1``'s injected faults) is above zero."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            stats = sandbox.stats()
            if (stats["v2"] if api == "v2" else stats["injected_faults"]).get(counter, 0) >= 1:
                action()
                return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def freed_once_refused(sandbox: Any, task_ids: list[str]) -> Any:
    """Cancel the fillers (freeing their slots) as soon as MiniMax has refused a create for the cap."""

    def free() -> None:
        for task_id in task_ids:
            _sandbox_hook(sandbox).cancel_if_queued(task_id)

    return once_counted(sandbox, "in_flight_refusals", free)


def with_capacity_extra(sandbox: Any, monkeypatch: Any, **extra: Any) -> None:
    """Point ``hailuo_default`` at the sandbox with these capacity limits in its extra."""
    import json

    from airflow_provider_hailuo.hooks.hailuo import clear_connection_cache

    conn = {"conn_type": "hailuo", "host": sandbox.url, "password": "sandbox-key", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_HAILUO_DEFAULT", json.dumps(conn))
    clear_connection_cache()  # the sandbox fixture clears it again afterwards
