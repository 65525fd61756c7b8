"""The UI app: server-rendered pages and the video redirect, behind Airflow's own auth dependencies.

Imported only when the app is built (the plugin's `LazyApp`), so it may import FastAPI and the
api-server's security module at the top.

Every route needs an authenticated Airflow user (``get_user``: 401 without a token or cookie) and read
access to the DAG it shows (``requires_access_dag`` on task instances and XComs: 403 otherwise); the
list keeps only the DAGs the auth manager says the user may read. The Airflow UI shows these pages in
a same-origin iframe, so an injection would run with the user's session: every value is escaped by
Jinja2's autoescape, and a strict Content-Security-Policy lets only this app's own nonce-tagged
script and style run. Pages carry no API key, no signed URL and no image bytes: the player's source is
`MEDIA_ROUTE`, which redirects to a URL minted for that request.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from airflow.utils.session import create_session
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader

from airflow_provider_hailuo.pricing import format_money
from airflow_provider_hailuo.ui import MEDIA_ROUTE, TASK_ROUTE, VIDEOS_ROUTE, links
from airflow_provider_hailuo.ui import data as ui_data
from airflow_provider_hailuo.ui.media import NoVideo, fresh_url, source_for

TEMPLATES = Path(__file__).with_name("templates")
STATES = ("success", "failed", "running", "deferred", "queued", "scheduled", "up_for_retry", "none")


def _jinja() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True)
    env.filters["when"] = _when
    env.filters["took"] = _took
    env.filters["money"] = lambda cost: format_money(cost[0], cost[1]) if cost else "—"
    env.filters["short"] = lambda text, n=80: text if len(text) <= n else text[: n - 1] + "…"
    env.filters["size"] = _size
    return env


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _took(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def _size(num: int | None) -> str:
    if num is None:
        return "—"
    value = float(num)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{num} B"  # pragma: no cover


def _run_id(request: Request) -> str:
    """The run id as every Airflow UI and these pages write it ("+" kept: see `links`)."""
    run_id = links.query_value(request.scope.get("query_string", b""), "run_id")
    if not run_id:
        raise HTTPException(422, "run_id is required in the query string")
    return run_id


def _links(request: Request) -> links.Links:
    return links.Links(str(request.scope.get("root_path", "")))


RunIdDep = Annotated[str, Depends(_run_id)]


def create_app() -> FastAPI:
    """Built by the plugin's `LazyApp` on the api-server's first request to ``/hailuo-ui``."""
    env = _jinja()
    app = FastAPI(title="MiniMax Hailuo UI", docs_url=None, redoc_url=None, openapi_url=None)
    read_task = [
        Depends(requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE)),
        Depends(requires_access_dag("GET", DagAccessEntity.XCOM)),
    ]

    def page(template: str, **values: Any) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        html = env.get_template(template).render(nonce=nonce, **values)
        return HTMLResponse(html, headers=_security_headers(nonce))

    def readable_dags(user: Any) -> set[str]:
        auth = get_auth_manager()
        dag_ids = set(auth.get_authorized_dag_ids(user=user, method="GET"))
        # The list shows task instances and their XComs: the user must be allowed to read both.
        return {
            d
            for d in dag_ids
            if all(
                auth.is_authorized_dag(
                    method="GET", access_entity=entity, details=DagDetails(id=d), user=user
                )
                for entity in (DagAccessEntity.TASK_INSTANCE, DagAccessEntity.XCOM)
            )
        }

    @app.get(VIDEOS_ROUTE, response_class=HTMLResponse)
    def videos(
        request: Request,
        user: GetUserDep,
        dag_id: str | None = None,
        state: str | None = None,
        model: str | None = None,
    ) -> HTMLResponse:
        allowed = readable_dags(user)
        if dag_id and dag_id not in allowed:
            raise HTTPException(403, "Forbidden")
        filters = ui_data.Filters(dag_id=dag_id or None, state=state or None, model=model or None)
        with create_session() as session:
            generations = ui_data.recent_generations(session, allowed, filters)
            # Choices for the filters come from what the user may see, not from the filtered rows.
            everything = ui_data.recent_generations(session, allowed, ui_data.Filters(limit=500))
        return page(
            "videos.html",
            urls=_links(request),
            rows=generations,
            totals=ui_data.totals(generations),
            filters=filters,
            dag_choices=sorted({g.dag_id for g in everything} | ({dag_id} if dag_id else set())),
            model_choices=sorted({g.model for g in everything if g.model}),
            state_choices=STATES,
        )

    @app.get(TASK_ROUTE + "/{dag_id}/{task_id}", response_class=HTMLResponse, dependencies=read_task)
    def task(
        request: Request, dag_id: str, task_id: str, run_id: RunIdDep, map_index: str | None = None
    ) -> HTMLResponse:
        index = links.map_index(map_index)
        urls = _links(request)
        with create_session() as session:
            found = ui_data.find_task(session, dag_id, run_id, task_id, index)
            if found is None:
                raise HTTPException(404, "No such task instance")
            operator, row = found
            if operator not in ui_data.HAILUO_OPERATORS:
                return page("not_hailuo.html", operator=operator)
            if operator in ui_data.TRANSFER_OPERATORS:
                transfer = ui_data.load_transfer(session, row)
                return page(
                    "transfer.html",
                    ti=row,
                    transfer=transfer,
                    media=urls.media(dag_id, run_id, task_id, index) if transfer else None,
                    urls=urls,
                )
            gen = ui_data.load_generation(session, row)
        playable = bool(gen.file_id or (gen.transfer and gen.transfer.key))
        return page(
            "task.html",
            gen=gen,
            media=urls.media(dag_id, run_id, task_id, index) if playable else None,
            urls=urls,
        )

    @app.get(MEDIA_ROUTE + "/{dag_id}/{task_id}", dependencies=read_task)
    def media(dag_id: str, task_id: str, run_id: RunIdDep, map_index: str | None = None) -> Response:
        index = links.map_index(map_index)
        with create_session() as session:
            found = ui_data.find_task(session, dag_id, run_id, task_id, index)
            if found is None or found[0] not in ui_data.HAILUO_OPERATORS:
                raise HTTPException(404, "No Hailuo video for this task instance")
            operator, row = found
            if operator in ui_data.TRANSFER_OPERATORS:
                gen, transfer = None, ui_data.load_transfer(session, row)
            else:
                gen, transfer = ui_data.load_generation(session, row), None
        try:
            url = fresh_url(source_for(gen, transfer))
        except NoVideo as err:
            raise HTTPException(404, str(err)) from None
        # 307 keeps the method (range GETs); nothing may cache a URL that expires.
        return RedirectResponse(
            url, status_code=307, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        )

    return app


def _security_headers(nonce: str) -> dict[str, str]:
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            f"style-src 'nonce-{nonce}'",
            "media-src 'self' http: https:",  # the player follows a redirect to S3 or MiniMax
            "img-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
        )
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
