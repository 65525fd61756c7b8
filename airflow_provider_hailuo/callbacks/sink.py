"""The event sink used inside the api-server: one Airflow asset event per Hailuo task and final status.

Events go through Airflow's own ``AssetManager.register_asset_change`` (what the REST endpoint
``POST /api/v2/assets/events`` uses), so DAGs scheduled on `HAILUO_VIDEO_ASSET` are queued exactly as
for any other asset event, and listeners fire.

MiniMax documents no delivery guarantee, so a push may repeat; a duplicate must not run the downstream
DAG twice. Before creating an event the sink looks for an existing event of the asset whose extra has
the same ``video_task_id`` and ``status``. The check and the insert happen under a process-level lock
(concurrent pushes in one api-server worker) and, on PostgreSQL and MySQL, with the asset's row locked
``FOR UPDATE`` (pushes handled by different workers wait for each other's commit). SQLite ignores row
locks; it is a single-process setup anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .assets import HAILUO_VIDEO_ASSET

if TYPE_CHECKING:
    from airflow.models.asset import AssetModel
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_PROCESS_LOCK = threading.Lock()

#: Pushes for a task arrive within hours of its creation; looking further back only costs time.
DEFAULT_DEDUPE_WINDOW = timedelta(days=30)
#: How many recent events of the asset a duplicate check reads; pushes for one task arrive minutes apart.
DEDUPE_SCAN_LIMIT = 5000


class AirflowAssetEventSink:
    """Record final statuses as asset events in Airflow's metadata DB (for use in the api-server).

    :param asset: the asset to update; `HAILUO_VIDEO_ASSET` unless you run several pipelines apart.
    :param dedupe_window: how far back to look for an identical event; None looks at all of them.
    """

    def __init__(
        self, asset: Any = HAILUO_VIDEO_ASSET, dedupe_window: timedelta | None = DEFAULT_DEDUPE_WINDOW
    ):
        self.asset = asset
        self.dedupe_window = dedupe_window

    def record(self, extra: Mapping[str, Any]) -> bool:
        """Create the event unless an identical one exists; True if created. Commits before returning."""
        from airflow.utils.session import create_session

        with _PROCESS_LOCK, create_session() as session:
            return self.record_in_session(extra, session=session)

    def record_in_session(self, extra: Mapping[str, Any], *, session: Session) -> bool:
        """The same, in the caller's session and transaction (the caller commits and serialises)."""
        from airflow.assets.manager import asset_manager
        from airflow.models.asset import AssetModel
        from sqlalchemy import select

        task_id = extra.get("video_task_id")
        status = extra.get("status")
        if not isinstance(task_id, str) or not task_id or not isinstance(status, str) or not status:
            raise ValueError("an event needs a video_task_id and a status")

        asset_model = self._asset_model(session)
        # Serialises writers in other api-server workers on PostgreSQL/MySQL until our commit.
        session.execute(select(AssetModel.id).where(AssetModel.id == asset_model.id).with_for_update())
        if self._already_recorded(session, asset_model.id, task_id, status):
            return False
        event = asset_manager.register_asset_change(asset=asset_model, extra=dict(extra), session=session)
        if event is None:
            raise RuntimeError(f"Airflow did not record an event for asset {self.asset.uri}")
        return True

    def _asset_model(self, session: Session) -> AssetModel:
        """The asset's row, created if no DAG has declared the asset yet (so events are not lost).

        Airflow's DAG processor reuses a row with the same name and URI when a DAG declares the asset
        later, and the scheduler activates it then; until then Airflow logs that the asset is inactive.
        """
        from airflow.models.asset import AssetModel
        from sqlalchemy import select
        from sqlalchemy.exc import IntegrityError

        query = select(AssetModel).where(AssetModel.name == self.asset.name, AssetModel.uri == self.asset.uri)
        model = session.scalar(query)
        if model is not None:
            return model
        log.warning(
            "No DAG declares asset %s (%s) yet: creating it so Hailuo callbacks are recorded. Deploy a DAG "
            "scheduled on HAILUO_VIDEO_ASSET to act on them.",
            self.asset.name,
            self.asset.uri,
        )
        try:
            with session.begin_nested():
                session.add(
                    AssetModel(
                        name=self.asset.name,
                        uri=self.asset.uri,
                        group=getattr(self.asset, "group", None) or "asset",
                        extra=dict(getattr(self.asset, "extra", None) or {}),
                    )
                )
        except IntegrityError:  # another worker created it first
            pass
        model = session.scalar(query)
        if model is None:  # pragma: no cover - only if the row vanished in between
            raise RuntimeError(f"could not create asset {self.asset.uri}")
        return model

    def _already_recorded(self, session: Session, asset_id: int, task_id: str, status: str) -> bool:
        from airflow.models.asset import AssetEvent
        from sqlalchemy import select

        # The extra is matched in Python, not SQL: Airflow 3.0 stores it in a JSONField that has no
        # JSON path operators, and the window bounds how many rows are read.
        query = select(AssetEvent.extra).where(AssetEvent.asset_id == asset_id)
        if self.dedupe_window is not None:
            query = query.where(AssetEvent.timestamp >= datetime.now(timezone.utc) - self.dedupe_window)
        for extra in session.scalars(query.order_by(AssetEvent.id.desc()).limit(DEDUPE_SCAN_LIMIT)):
            if (
                isinstance(extra, dict)
                and str(extra.get("video_task_id")) == task_id
                and extra.get("status") == status
            ):
                return True
        return False
