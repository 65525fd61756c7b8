"""Test-only probes loaded by every process of the production stack (its plugins folder and PYTHONPATH).

* `hostname` is ``[core] hostname_callable``: each Celery worker and triggerer runs on this one machine
  but reports the name in ``HAILUO_STACK_HOSTNAME`` (``worker-1``, ``triggerer-2``), so a test can tell
  from a task instance's ``hostname`` or a triggerer job's row which process did the work.
* `WorkerPidHeader` adds ``X-Stack-Worker-Pid`` to every api-server answer, so a test can tell which
  api-server worker served a request.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from airflow.plugins_manager import AirflowPlugin

PID_HEADER = b"x-stack-worker-pid"


def hostname() -> str:
    return os.environ.get("HAILUO_STACK_HOSTNAME") or socket.getfqdn()


class WorkerPidHeader:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_pid(message: Any) -> None:
            if message.get("type") == "http.response.start":
                headers = [*message.get("headers", []), (PID_HEADER, str(os.getpid()).encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_pid)


class HailuoStackProbePlugin(AirflowPlugin):
    name = "hailuo_stack_probe"
    fastapi_root_middlewares = [
        {"middleware": WorkerPidHeader, "args": [], "kwargs": {}, "name": "api-server worker pid header"}
    ]
