"""What the plugin registers for the UI, decided once per process and cheaply.

External views need Airflow 3.1+ (3.0's plugin manager has no ``external_views``): on 3.0 the plugin
registers neither the views nor their app, and says so once when it loads. The app itself is built
on its first request (`LazyApp`), so schedulers, DAG processors and workers, which import plugins
too, never import FastAPI or the metadata models for it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_hailuo.plugins.lazy import LazyApp
from airflow_provider_hailuo.ui import TASK_VIEW_ROUTE, URL_PREFIX, VIDEOS_ROUTE, VIDEOS_VIEW_ROUTE
from airflow_provider_hailuo.ui.links import TASK_VIEW_TEMPLATE

if TYPE_CHECKING:
    from starlette.types import ASGIApp

log = logging.getLogger(__name__)


def _airflow_version() -> tuple[int, int, int]:
    import re
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("apache-airflow-core", "apache-airflow"):
        try:
            found = re.match(r"(\d+)\.(\d+)\.(\d+)", version(dist))
        except PackageNotFoundError:
            continue
        if found:
            major, minor, micro = (int(part) for part in found.groups())
            return major, minor, micro
    return (0, 0, 0)


AIRFLOW_VERSION = _airflow_version()
#: Plugins' external views arrived in Airflow 3.1.
UI_SUPPORTED = AIRFLOW_VERSION >= (3, 1, 0)
UNSUPPORTED_REASON = (
    "The Hailuo UI pages (the 'Hailuo videos' page and the 'Hailuo video' task tab) need Airflow 3.1 or "
    "newer, which added external views to plugins; this is Airflow {version}, so only the callback "
    "receiver is mounted."
)


def base_path() -> str:
    """The path of ``[api] base_url`` without a trailing slash ("" at the root): UI links need it."""
    from airflow.configuration import conf

    base_url = conf.get("api", "base_url", fallback="") or ""
    path = urlsplit(base_url).path if "://" in base_url else base_url
    return path.rstrip("/")


def external_views() -> list[dict[str, Any]]:
    """The two views; hrefs are absolute paths under the base URL, as the UI loads them in an iframe."""
    prefix = base_path() + URL_PREFIX
    return [
        {
            "name": "Hailuo videos",
            "href": prefix + VIDEOS_ROUTE,
            "destination": "nav",
            "category": "browse",
            "url_route": VIDEOS_VIEW_ROUTE,
        },
        {
            "name": "Hailuo video",
            # The UI fills in the placeholders: encoded on 3.2+, as they are on 3.1 (see `links`).
            "href": prefix + TASK_VIEW_TEMPLATE,
            "destination": "task_instance",
            "url_route": TASK_VIEW_ROUTE,
        },
    ]


def _build_ui_app() -> ASGIApp:
    from airflow_provider_hailuo.ui.app import create_app

    return create_app()


ui_app = LazyApp(_build_ui_app, "MiniMax Hailuo UI app")


def fastapi_apps() -> list[dict[str, Any]]:
    if not UI_SUPPORTED:
        return []
    return [{"app": ui_app, "url_prefix": URL_PREFIX, "name": "MiniMax Hailuo UI"}]


def plugin_views() -> list[dict[str, Any]]:
    return external_views() if UI_SUPPORTED else []


def log_support() -> None:
    if not UI_SUPPORTED:
        log.info(UNSUPPORTED_REASON.format(version=".".join(map(str, AIRFLOW_VERSION))))
