"""The provider's Airflow plugin: the MiniMax callback receiver and, on Airflow 3.1+, the UI pages.

The callback app is mounted at ``/hailuo`` (``/hailuo/callback/<token>``), the UI app at ``/hailuo-ui``
with two external views ("Hailuo videos" in the navigation, "Hailuo video" on every task instance).
Both apps are built on their first request (`LazyApp`): elsewhere this module costs no FastAPI
import and no DB-backed objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowPlugin

from airflow_provider_hailuo.callbacks.tokens import URL_PREFIX
from airflow_provider_hailuo.plugins.lazy import LazyApp
from airflow_provider_hailuo.ui import plugin as ui_plugin

if TYPE_CHECKING:
    from starlette.types import ASGIApp


def build_callback_app() -> ASGIApp:
    """The production app: tokens from the Airflow config or connection, events into the metadata DB."""
    from airflow_provider_hailuo.callbacks.app import create_app
    from airflow_provider_hailuo.callbacks.sink import AirflowAssetEventSink
    from airflow_provider_hailuo.callbacks.tokens import AirflowCallbackTokenResolver

    return create_app(AirflowCallbackTokenResolver(), AirflowAssetEventSink())


callback_app = LazyApp(build_callback_app, "MiniMax Hailuo callback app")


class HailuoCallbackPlugin(AirflowPlugin):
    """Receives MiniMax's pushes so DAGs can run on finished videos instead of polling, and shows the
    generations in the Airflow UI (Airflow 3.1+).

    Configure ``[hailuo] callback_token`` (or the ``callback_token`` extra of the Hailuo connection) and
    give MiniMax ``callback_url_for("https://<public api-server URL>", token)``; see docs/callbacks.md.
    The UI pages are described in docs/ui.md.
    """

    name = "hailuo_callback"
    fastapi_apps: list[Any] = [
        {"app": callback_app, "url_prefix": URL_PREFIX, "name": "MiniMax Hailuo callbacks"},
        *ui_plugin.fastapi_apps(),
    ]
    external_views: list[Any] = ui_plugin.plugin_views()

    @classmethod
    def on_load(cls, *args: Any, **kwargs: Any) -> None:
        ui_plugin.log_support()
