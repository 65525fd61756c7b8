"""The generations the UI shows, read from the metadata DB by the api-server.

Nothing is stored for the UI: a generation is a task instance of a Hailuo operator, its XComs (the
small result dict and the early ``video_task_id``), its rendered template fields (prompt, model,
images as references) and, in the same DAG run, the ``HailuoToS3Operator`` result that names where
the video landed. Reading the metadata DB is the api-server's job; tasks, hooks and triggers never do.
Everything here is plain data for the templates: nothing is trusted as HTML.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from airflow_provider_hailuo.pricing import CostEstimate, PriceTable, estimate_cost, region_for_host
from airflow_provider_hailuo.redaction import redact_image_reference

#: Operators whose task instances are generations (the sensor waits for one submitted elsewhere).
GENERATION_OPERATORS = ("HailuoVideoGenerationOperator", "HailuoVideoGenerationSensor")
TRANSFER_OPERATORS = ("HailuoToS3Operator",)
HAILUO_OPERATORS = GENERATION_OPERATORS + TRANSFER_OPERATORS
IMAGE_FIELDS = ("first_frame_image", "last_frame_image", "subject_reference")
PARAMETER_FIELDS = (
    "model",
    "resolution",
    "duration",
    "prompt_optimizer",
    "fast_pretreatment",
    "aigc_watermark",
)
DEFAULT_DURATION = 6


@dataclass
class Transfer:
    task_id: str
    map_index: int
    state: str
    s3_uri: str | None
    bucket: str | None
    key: str | None
    bytes: int | None
    sha256: str | None
    aws_conn_id: str
    video_task_id: str | None
    file_id: str | None


@dataclass
class Generation:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    operator: str
    state: str
    try_number: int
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None  # how long the task took, seconds
    result: dict[str, Any] = field(default_factory=dict)
    rendered: dict[str, Any] = field(default_factory=dict)
    video_task_id: str | None = None
    transfer: Transfer | None = None
    cost: tuple[Decimal, str] | None = None  # (amount, currency)
    cost_basis: str | None = None

    @property
    def prompt(self) -> str:
        value = self.rendered.get("prompt")
        return value if isinstance(value, str) else ""

    @property
    def model(self) -> str | None:
        return _text(self.result.get("model") or self.rendered.get("model"))

    @property
    def resolution(self) -> str | None:
        return _text(self.result.get("resolution") or self.rendered.get("resolution"))

    @property
    def video_seconds(self) -> int | None:
        if self.operator not in ("HailuoVideoGenerationOperator",) and not self.result.get("duration"):
            return None
        return _int(self.result.get("duration") or self.rendered.get("duration")) or DEFAULT_DURATION

    @property
    def video_status(self) -> str | None:
        return _text(self.result.get("status"))

    @property
    def file_id(self) -> str | None:
        return _text(self.result.get("file_id")) or (self.transfer.file_id if self.transfer else None)

    @property
    def size(self) -> tuple[int, int] | None:
        w, h = _int(self.result.get("video_width")), _int(self.result.get("video_height"))
        return (w, h) if w and h else None

    @property
    def images(self) -> dict[str, str]:
        """Image fields as their references, never bytes (the operator stores them redacted; redacting
        again here covers rows written by older versions or other operators)."""
        out: dict[str, str] = {}
        for name in IMAGE_FIELDS:
            value = redact_image_reference(self.rendered.get(name))
            if value in (None, "", [], "None"):
                continue
            out[name] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return out

    @property
    def image_count(self) -> int:
        count = 0
        for name in IMAGE_FIELDS:
            value = self.rendered.get(name)
            if isinstance(value, list):
                count += len(value)
            elif value not in (None, "", "None"):
                count += 1
        return count

    @property
    def hailuo_conn_id(self) -> str:
        return _text(self.rendered.get("hailuo_conn_id")) or "hailuo_default"

    @property
    def parameters(self) -> dict[str, str]:
        out = {}
        for name in PARAMETER_FIELDS:
            value = self.rendered.get(name)
            if value not in (None, "", "None"):
                out[name] = str(value)
        extra = self.rendered.get("extra_params")
        if extra not in (None, "", {}, "None"):
            out["extra_params"] = extra if isinstance(extra, str) else json.dumps(extra, ensure_ascii=False)
        return out


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", "None") and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _xcom_value(raw: Any) -> Any:
    """XCom values as stored: JSON already decoded by SQLAlchemy, or a serialized string on some paths."""
    from airflow.models.xcom import XComModel

    class _Row:
        value = raw

    try:
        value = XComModel.deserialize_value(_Row())
    except Exception:
        value = raw
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


TIKey = tuple[str, str, str, int]


def _load_side_tables(
    session: Any, keys: Sequence[TIKey]
) -> tuple[dict[TIKey, dict[str, Any]], dict[TIKey, dict]]:
    """XComs (return_value, video_task_id) and rendered fields of the given task instances."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    xcoms: dict[TIKey, dict[str, Any]] = {}
    rendered: dict[TIKey, dict] = {}
    if not keys:
        return xcoms, rendered
    wanted = set(keys)
    dag_ids = {k[0] for k in keys}
    run_ids = {k[1] for k in keys}
    task_ids = {k[2] for k in keys}
    rows = session.execute(
        select(
            XComModel.dag_id,
            XComModel.run_id,
            XComModel.task_id,
            XComModel.map_index,
            XComModel.key,
            XComModel.value,
        )
        .where(XComModel.dag_id.in_(dag_ids))
        .where(XComModel.run_id.in_(run_ids))
        .where(XComModel.task_id.in_(task_ids))
        .where(XComModel.key.in_(("return_value", "video_task_id")))
    )
    for dag_id, run_id, task_id, map_index, key, value in rows:
        ti_key = (dag_id, run_id, task_id, map_index)
        if ti_key in wanted:
            xcoms.setdefault(ti_key, {})[key] = _xcom_value(value)
    rows = session.execute(
        select(RTIF.dag_id, RTIF.run_id, RTIF.task_id, RTIF.map_index, RTIF.rendered_fields)
        .where(RTIF.dag_id.in_(dag_ids))
        .where(RTIF.run_id.in_(run_ids))
        .where(RTIF.task_id.in_(task_ids))
    )
    for dag_id, run_id, task_id, map_index, fields in rows:
        ti_key = (dag_id, run_id, task_id, map_index)
        if ti_key in wanted and isinstance(fields, Mapping):
            rendered[ti_key] = dict(fields)
    return xcoms, rendered


def _ti_columns() -> list[Any]:
    from airflow.models.taskinstance import TaskInstance as TI

    return [
        TI.dag_id,
        TI.run_id,
        TI.task_id,
        TI.map_index,
        TI.operator,
        TI.state,
        TI.try_number,
        TI.start_date,
        TI.end_date,
        TI.duration,
    ]


def _generation(
    row: Any, xcoms: Mapping[TIKey, dict[str, Any]], rendered: Mapping[TIKey, dict]
) -> Generation:
    dag_id, run_id, task_id, map_index, operator, state, try_number, start, end, duration = row
    key = (dag_id, run_id, task_id, map_index)
    own = xcoms.get(key, {})
    result = own.get("return_value")
    early_id = own.get("video_task_id")
    result = dict(result) if isinstance(result, Mapping) else {}
    return Generation(
        dag_id=dag_id,
        run_id=run_id,
        task_id=task_id,
        map_index=map_index,
        operator=operator or "",
        state=_state(state),
        try_number=try_number or 0,
        start_date=start,
        end_date=end,
        duration=duration,
        result=result,
        rendered=rendered.get(key, {}),
        video_task_id=_text(result.get("video_task_id") or early_id),
    )


def _state(value: Any) -> str:
    return str(value.value if hasattr(value, "value") else value) if value else "none"


def _transfer(row: Any, result: Mapping[str, Any], fields: Mapping[str, Any]) -> Transfer:
    return Transfer(
        task_id=row[2],
        map_index=row[3],
        state=_state(row[5]),
        s3_uri=_text(result.get("s3_uri")),
        bucket=_text(result.get("bucket")),
        key=_text(result.get("key")),
        bytes=_int(result.get("bytes")),
        sha256=_text(result.get("sha256")),
        aws_conn_id=_text(fields.get("aws_conn_id")) or "aws_default",
        video_task_id=_text(result.get("video_task_id")),
        file_id=_text(result.get("file_id")),
    )


def _attach_transfers(session: Any, generations: Sequence[Generation]) -> None:
    """The S3 transfer of each generation: a ``HailuoToS3Operator`` of the same run with its video id."""
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import select

    runs = {(g.dag_id, g.run_id) for g in generations}
    if not runs:
        return
    rows = list(
        session.execute(
            select(*_ti_columns())
            .where(TI.operator.in_(TRANSFER_OPERATORS))
            .where(TI.dag_id.in_({r[0] for r in runs}))
            .where(TI.run_id.in_({r[1] for r in runs}))
        )
    )
    rows = [r for r in rows if (r[0], r[1]) in runs]
    keys = [(r[0], r[1], r[2], r[3]) for r in rows]
    xcoms, rendered = _load_side_tables(session, keys)
    by_video: dict[tuple[str, str, str], Transfer] = {}
    for row in rows:
        key = (row[0], row[1], row[2], row[3])
        result = xcoms.get(key, {}).get("return_value")
        if not isinstance(result, Mapping):
            continue
        transfer = _transfer(row, result, rendered.get(key, {}))
        if transfer.video_task_id:
            by_video[(row[0], row[1], transfer.video_task_id)] = transfer
    for gen in generations:
        if gen.video_task_id:
            gen.transfer = by_video.get((gen.dag_id, gen.run_id, gen.video_task_id))


class CostResolver:
    """Estimated cost of a generation: the one it recorded, else the price table for its connection."""

    def __init__(self) -> None:
        self._tables: dict[str, tuple[str, PriceTable] | None] = {}

    def _table(self, conn_id: str) -> tuple[str, PriceTable] | None:
        if conn_id not in self._tables:
            from airflow_provider_hailuo.price_config import table_for

            host: str | None = None
            extra: dict[str, Any] = {}
            try:
                from airflow.models.connection import Connection

                conn = Connection.get_connection_from_secrets(conn_id)
                host, extra = conn.host, conn.extra_dejson or {}
            except Exception:
                pass
            try:
                self._tables[conn_id] = (region_for_host(host), table_for(extra, conn_id))
            except ValueError:  # malformed user rows: no estimate rather than a broken page
                self._tables[conn_id] = None
        return self._tables[conn_id]

    def __call__(self, gen: Generation) -> None:
        recorded, currency = gen.result.get("estimated_cost"), gen.result.get("currency")
        if (
            isinstance(recorded, (int, float))
            and not isinstance(recorded, bool)
            and isinstance(currency, str)
        ):
            gen.cost = (Decimal(str(recorded)), currency)
            gen.cost_basis = _text(gen.result.get("price_basis")) or "recorded by the task"
            return
        if not gen.model or gen.video_seconds is None:
            return
        found = self._table(gen.hailuo_conn_id)
        if found is None:
            return
        region, table = found
        estimate: CostEstimate | None = estimate_cost(
            gen.model, gen.resolution, gen.video_seconds, region=region, images=gen.image_count, table=table
        )
        if estimate is not None:
            gen.cost = (estimate.amount, estimate.currency)
            gen.cost_basis = estimate.basis


@dataclass(frozen=True)
class Filters:
    dag_id: str | None = None
    state: str | None = None
    model: str | None = None
    limit: int = 200


def recent_generations(session: Any, dag_ids: Iterable[str], filters: Filters) -> list[Generation]:
    """Newest first, only in ``dag_ids`` (the DAGs the user may read), filtered."""
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import func, select

    allowed = set(dag_ids)
    if filters.dag_id is not None:
        allowed &= {filters.dag_id}
    if not allowed:
        return []
    stmt = select(*_ti_columns()).where(TI.operator.in_(GENERATION_OPERATORS)).where(TI.dag_id.in_(allowed))
    if filters.state:
        stmt = (
            stmt.where(TI.state.is_(None))
            if filters.state == "none"
            else stmt.where(TI.state == filters.state)
        )
    when = func.coalesce(TI.start_date, TI.queued_dttm)
    # Over-fetch when filtering by model (it lives in XCom/rendered fields, not in a column).
    fetch = filters.limit * (5 if filters.model else 1)
    rows = list(
        session.execute(stmt.order_by(when.desc(), TI.run_id.desc(), TI.task_id, TI.map_index).limit(fetch))
    )
    keys = [(r[0], r[1], r[2], r[3]) for r in rows]
    xcoms, rendered = _load_side_tables(session, keys)
    generations = [_generation(r, xcoms, rendered) for r in rows]
    if filters.model:
        generations = [g for g in generations if g.model == filters.model]
    generations = generations[: filters.limit]
    _attach_transfers(session, generations)
    cost = CostResolver()
    for gen in generations:
        cost(gen)
    return generations


def find_task(session: Any, dag_id: str, run_id: str, task_id: str, map_index: int) -> tuple[str, Any] | None:
    """(operator name, row) of one task instance, or None."""
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import select

    row = session.execute(
        select(*_ti_columns()).where(
            TI.dag_id == dag_id, TI.run_id == run_id, TI.task_id == task_id, TI.map_index == map_index
        )
    ).first()
    return (row[4] or "", row) if row is not None else None


def load_generation(session: Any, row: Any) -> Generation:
    xcoms, rendered = _load_side_tables(session, [(row[0], row[1], row[2], row[3])])
    gen = _generation(row, xcoms, rendered)
    _attach_transfers(session, [gen])
    CostResolver()(gen)
    return gen


def load_transfer(session: Any, row: Any) -> Transfer | None:
    """A transfer task's own result (its tab shows the object and plays it)."""
    xcoms, rendered = _load_side_tables(session, [(row[0], row[1], row[2], row[3])])
    key = (row[0], row[1], row[2], row[3])
    result = xcoms.get(key, {}).get("return_value")
    if not isinstance(result, Mapping):
        return None
    return _transfer(row, result, rendered.get(key, {}))


def totals(generations: Sequence[Generation]) -> dict[str, Any]:
    """Videos, seconds of video and estimated cost (one sum per currency) of what is shown."""
    seconds = sum(g.video_seconds or 0 for g in generations)
    cost: dict[str, Decimal] = {}
    for g in generations:
        if g.cost:
            cost[g.cost[1]] = cost.get(g.cost[1], Decimal(0)) + g.cost[0]
    unpriced = sum(1 for g in generations if g.cost is None)
    return {"videos": len(generations), "seconds": seconds, "cost": cost, "unpriced": unpriced}
