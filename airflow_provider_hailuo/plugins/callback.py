"""Mounts the MiniMax callback receiver in Airflow's api-server at ``/hailuo/callback/<token>``.

Every Airflow component loads entry-point plugins (scheduler, DAG processor, workers), but only the
api-server serves ``fastapi_apps``. The app is therefore built on its first request: elsewhere this
module costs no FastAPI import and no DB-backed objects.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowPlugin

from airflow_provider_hailuo.callbacks.tokens import URL_PREFIX

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send


def build_callback_app() -> ASGIApp:
    """The production app: tokens from the Airflow config or connection, events into the metadata DB."""
    from airflow_provider_hailuo.callbacks.app import create_app
    from airflow_provider_hailuo.callbacks.sink import AirflowAssetEventSink
    from airflow_provider_hailuo.callbacks.tokens import AirflowCallbackTokenResolver

    return create_app(AirflowCallbackTokenResolver(), AirflowAssetEventSink())


class LazyCallbackApp:
    """An ASGI app that builds the real one on first use (see the module docstring for why)."""

    def __init__(self) -> None:
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    def _get(self) -> ASGIApp:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = build_callback_app()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._get()(scope, receive, send)

    def __repr__(self) -> str:
        return "<MiniMax Hailuo callback app>"


callback_app = LazyCallbackApp()


class HailuoCallbackPlugin(AirflowPlugin):
    """Receives MiniMax's pushes so DAGs can run on finished videos instead of polling.

    Configure ``[hailuo] callback_token`` (or the ``callback_token`` extra of the Hailuo connection) and
    give MiniMax ``callback_url_for("https://<public api-server URL>", token)``; see docs/callbacks.md.
    """

    name = "hailuo_callback"
    fastapi_apps: list[Any] = [
        {"app": callback_app, "url_prefix": URL_PREFIX, "name": "MiniMax Hailuo callbacks"},
    ]
