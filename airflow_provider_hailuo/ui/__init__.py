"""The provider's pages in the Airflow UI (Airflow 3.1+): a generations page and a video tab.

Served by the provider plugin's own FastAPI app under `URL_PREFIX` in the api-server and shown by the
Airflow UI as "external views" (iframes on the same origin). This package's ``__init__`` imports
nothing heavy: every Airflow component loads plugins, only the api-server builds the app.
"""

from __future__ import annotations

#: Where the plugin mounts the UI app (the callback receiver keeps ``/hailuo``).
URL_PREFIX = "/hailuo-ui"
VIDEOS_ROUTE = "/videos"
TASK_ROUTE = "/task"
MEDIA_ROUTE = "/media"

#: ``url_route`` of each external view: the UI's own paths (``/plugin/<url_route>``).
VIDEOS_VIEW_ROUTE = "hailuo-videos"
TASK_VIEW_ROUTE = "hailuo-video"
