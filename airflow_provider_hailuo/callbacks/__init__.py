"""MiniMax callback pushes received by Airflow's api-server and turned into asset events.

DAG authors need two things from here: `HAILUO_VIDEO_ASSET` to schedule on, and `callback_url_for` to
build the ``callback_url`` given to ``HailuoVideoGenerationOperator``. The FastAPI app
(`airflow_provider_hailuo.callbacks.app`) and the DB sink (`airflow_provider_hailuo.callbacks.sink`)
are only imported by the api-server plugin, so workers importing this package load neither FastAPI
nor the metadata-DB models.
"""

from __future__ import annotations

from .assets import HAILUO_VIDEO_ASSET, HAILUO_VIDEO_ASSET_NAME, HAILUO_VIDEO_ASSET_URI
from .tokens import CALLBACK_PATH, callback_url_for

__all__ = [
    "CALLBACK_PATH",
    "HAILUO_VIDEO_ASSET",
    "HAILUO_VIDEO_ASSET_NAME",
    "HAILUO_VIDEO_ASSET_URI",
    "callback_url_for",
]
