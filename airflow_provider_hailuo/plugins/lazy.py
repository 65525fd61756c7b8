"""An ASGI app built on its first request.

Every Airflow component loads entry-point plugins (scheduler, DAG processor, workers), but only the
api-server serves ``fastapi_apps``. Building the apps lazily keeps FastAPI, the metadata models and
the auth manager out of the other components.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send


class LazyApp:
    """Builds the real app once, under a lock, when the first request arrives."""

    def __init__(self, build: Callable[[], ASGIApp], name: str) -> None:
        self._build = build
        self._name = name
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    def _get(self) -> ASGIApp:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._build()
        return self._app

    @property
    def built(self) -> bool:
        return self._app is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._get()(scope, receive, send)

    def __repr__(self) -> str:
        return f"<{self._name}>"
