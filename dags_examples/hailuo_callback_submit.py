"""Submit Hailuo videos with a callback URL and finish at once: MiniMax tells Airflow when each is done.

The first half of the callback pattern (the second is ``hailuo_callback_to_s3.py``). Each mapped task
submits one video with ``callback_url`` and ``wait_for_completion=False``, so no worker slot and no
triggerer poll is spent waiting: when a video finishes, MiniMax POSTs to the api-server, the
``hailuo_callback`` plugin records an event on ``HAILUO_VIDEO_ASSET`` and the downstream DAG runs.

Where the callback URL comes from (first match wins), rendered on the worker at run time:

1. ``callback_url`` in the run's conf (handy for a one-off; visible to anyone who can see the run);
2. the environment: ``HAILUO_CALLBACK_BASE_URL`` + ``HAILUO_CALLBACK_TOKEN``;
3. Airflow Variables ``hailuo_callback_base_url`` + ``hailuo_callback_token``.

The base URL is the api-server's public URL as MiniMax reaches it (``https://airflow.example.com``); the
token is the one configured on the api-server (``[hailuo] callback_token``). The operator masks the
token in its rendered fields (``.../hailuo/callback/<token>``), and it is registered with Airflow's
secrets masker before the URL is built, so no log line shows it either. Submissions run in the pool HAILUO_EXAMPLE_POOL (default ``hailuo_api``) to
stay under MiniMax's requests-per-minute limit. Trigger with e.g. ``{"prompts": ["A red fox in fresh snow [Truck left]"]}``,
and ``"model": "MiniMax-H3"`` for MiniMax-H3 videos (768P, 6 s, 16:9).

The backstop: MiniMax pushes each status once, without retries, so a final push that meets a stopped
api-server or a 503 is lost. Beside each submission a deferred ``HailuoCallbackBackstopOperator``
checks the video every HAILUO_EXAMPLE_BACKSTOP_POLL_INTERVAL seconds (default 900: one query per
video every 15 minutes, in the triggerer) and, once it is final, delivers its final status to the same
URL. The receiver keeps one event per task and status, so a video whose push arrived is not moved
twice; one whose push was lost is moved once, by the same downstream DAG. Workers must reach the URL
(for a private api-server address give the backstop its own ``callback_url`` with the same path).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, Variable, task

try:
    from airflow.sdk.log import mask_secret
except ImportError:  # Airflow before 3.0.6
    from airflow.sdk.execution_time.secrets_masker import mask_secret

from airflow_provider_hailuo.callbacks import callback_url_for
from airflow_provider_hailuo.callbacks.backstop import HailuoCallbackBackstopOperator
from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator

POOL = os.environ.get("HAILUO_EXAMPLE_POOL", "hailuo_api")
BACKSTOP_POLL_INTERVAL = float(os.environ.get("HAILUO_EXAMPLE_BACKSTOP_POLL_INTERVAL", "900"))
BACKSTOP_RETRY_DELAY = float(os.environ.get("HAILUO_EXAMPLE_BACKSTOP_RETRY_DELAY", "300"))
DEFAULT_PROMPTS = [
    "A panda strolls through a bamboo forest, sunlight dappling through the leaves [Tracking shot]",
    "Waves roll onto a black sand beach at dusk [Pull out]",
]


def hailuo_callback_url(dag_run_conf: Mapping[str, Any] | None = None) -> str:
    """The callback URL for this run (macro ``hailuo_callback_url``); see the module docstring for the order."""
    given = (dag_run_conf or {}).get("callback_url")
    if given:
        url = str(given)
        mask_secret(url.rstrip("/").rsplit("/", 1)[-1])
        return url
    base = os.environ.get("HAILUO_CALLBACK_BASE_URL") or Variable.get(
        "hailuo_callback_base_url", default=None
    )
    token = os.environ.get("HAILUO_CALLBACK_TOKEN") or Variable.get("hailuo_callback_token", default=None)
    if not base or not token:
        raise ValueError(
            "No Hailuo callback URL: pass callback_url in the run conf, or set HAILUO_CALLBACK_BASE_URL and "
            "HAILUO_CALLBACK_TOKEN, or the Variables hailuo_callback_base_url and hailuo_callback_token"
        )
    mask_secret(str(token))
    return callback_url_for(str(base), str(token))


with DAG(
    dag_id="hailuo_callback_submit",
    description="Submit Hailuo videos; MiniMax's callbacks trigger hailuo_callback_to_s3 when they finish",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "prompts": Param(DEFAULT_PROMPTS, type="array", items={"type": "string"}, minItems=1),
        # MiniMax-H3 (v2 API) pushes its own body; the receiver and the backstop speak both.
        "model": Param("MiniMax-Hailuo-02", enum=["MiniMax-Hailuo-02", "MiniMax-H3"]),
    },
    user_defined_macros={"hailuo_callback_url": hailuo_callback_url},
    tags=["hailuo", "callbacks"],
) as dag:

    @task
    def prompts_to_submit(params: dict[str, Any] | None = None) -> list[str]:
        """One mapped submission per prompt."""
        return [str(p) for p in (params or {}).get("prompts") or DEFAULT_PROMPTS]

    submitted = HailuoVideoGenerationOperator.partial(
        task_id="submit_video",
        model="{{ params.model }}",
        resolution="768P",
        duration=6,
        pool=POOL,
        callback_url="{{ hailuo_callback_url(dag_run.conf) }}",
        # Submit and finish: the callback, not this task, reports the result.
        wait_for_completion=False,
    ).expand(prompt=prompts_to_submit())

    # Finishes videos whose final push was lost; a duplicate (nothing happens) when it arrived.
    HailuoCallbackBackstopOperator.partial(
        task_id="backstop",
        callback_url="{{ hailuo_callback_url(dag_run.conf) }}",
        poll_interval=BACKSTOP_POLL_INTERVAL,
        retries=3,
        retry_delay=timedelta(seconds=BACKSTOP_RETRY_DELAY),
    ).expand(video_task_id=submitted.output)
