"""How the UI's URLs address a task instance, written and read in one place.

A run id travels in the query string (it may hold "/", which a path segment could not carry through
routing). Three writers fill it in: Airflow 3.2+'s UI percent-encodes it (``encodeURIComponent``),
Airflow 3.1's UI inserts it as it is, and these pages' own links quote it. Every scheduled and manual
run id holds a "+" (``+00:00``); form decoding would read that as a space and find no run on 3.1. So
the query is percent-decoded only, and this module's own links write a space as ``%20``, never "+".
Imports nothing but the standard library: the plugin's registration uses it in every component.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlencode

from airflow_provider_hailuo.ui import MEDIA_ROUTE, TASK_ROUTE, URL_PREFIX, VIDEOS_ROUTE

#: The task-instance tab's URL below the app's root, with the placeholders the Airflow UI fills in.
#: ``{MAP_INDEX}`` stays literal for an unmapped task (read as -1).
TASK_VIEW_TEMPLATE = TASK_ROUTE + "/{DAG_ID}/{TASK_ID}?run_id={RUN_ID}&map_index={MAP_INDEX}"


def query_value(query: str | bytes, name: str) -> str | None:
    """The first value of ``name`` in a raw query string, percent-decoded with "+" kept as "+"."""
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    for pair in text.split("&"):
        key, _, value = pair.partition("=")
        if unquote(key) == name:
            return unquote(value)
    return None


def map_index(raw: str | None) -> int:
    """The UI sends ``{MAP_INDEX}`` literally for unmapped tasks: anything but an integer is -1."""
    try:
        return int(raw) if raw is not None else -1
    except ValueError:
        return -1


class Links:
    """Links the pages write, all under the app's root path (base URL path + `URL_PREFIX`)."""

    def __init__(self, app_root: str) -> None:
        self.app_root = app_root.rstrip("/")
        self.ui_root = self.app_root.removesuffix(URL_PREFIX)

    def videos(self, **query: str) -> str:
        clean = {k: v for k, v in query.items() if v}
        return self.app_root + VIDEOS_ROUTE + (f"?{urlencode(clean, quote_via=quote)}" if clean else "")

    def _ti(self, route: str, dag_id: str, run_id: str, task_id: str, index: int) -> str:
        path = f"{route}/{quote(dag_id, safe='')}/{quote(task_id, safe='')}"
        query = urlencode({"run_id": run_id, "map_index": index}, quote_via=quote)
        return f"{self.app_root}{path}?{query}"

    def task(self, dag_id: str, run_id: str, task_id: str, index: int) -> str:
        return self._ti(TASK_ROUTE, dag_id, run_id, task_id, index)

    def media(self, dag_id: str, run_id: str, task_id: str, index: int) -> str:
        return self._ti(MEDIA_ROUTE, dag_id, run_id, task_id, index)

    def airflow_ti(self, dag_id: str, run_id: str, task_id: str, index: int) -> str:
        """The task instance's page in the Airflow UI (opened in the top window)."""
        path = f"/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}/tasks/{quote(task_id, safe='')}"
        if index >= 0:
            path += f"/mapped/{index}"
        return self.ui_root + path

    def airflow_dag(self, dag_id: str) -> str:
        return f"{self.ui_root}/dags/{quote(dag_id, safe='')}"
