"""A batch of MiniMax-H3 prompts under the account's in-flight cap, each video streamed into S3.

MiniMax allows 30 MiniMax-H3 videos in flight and 300 requests a minute per account. Map as many
prompts as you like: a create that MiniMax refuses for capacity created nothing, so the task waits in
the triggerer (holding no worker slot) until the account has room, then submits, instead of failing.
The waits of one triggerer share one look at the account's videos in flight, so waiting does not eat
the rate limit. ``capacity_timeout`` bounds a task's wait for room; the connection's extra may set
``max_in_flight`` and ``requests_per_minute`` for your account (docs/connection.md).

Prompts come from ``dag_run.conf["prompts"]``, else the list below. Set HAILUO_EXAMPLE_BUCKET (default
``hailuo-videos``) and use a pay-as-you-go API key (MiniMax refuses H3 to Token-Plan keys with 402).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

BUCKET = os.environ.get("HAILUO_EXAMPLE_BUCKET", "hailuo-videos")
POLL_INTERVAL = float(os.environ.get("HAILUO_EXAMPLE_POLL_INTERVAL", "10"))
PROMPTS = [
    "A paper boat drifts down a rain-filled gutter, city lights reflected in the water",
    "A hummingbird hovers at a red flower in slow motion, wings a blur",
    "Snow falls on an empty night market, lanterns swaying",
    "A lighthouse beam sweeps over a stormy sea",
]

with DAG(
    dag_id="hailuo_h3_batch_under_cap",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["hailuo", "example", "minimax-h3"],
) as dag:

    @task
    def load_prompts(**context: object) -> list[str]:
        """Prompts from the run's conf, else the list above."""
        conf = getattr(context.get("dag_run"), "conf", None) or {}
        prompts = conf.get("prompts") if isinstance(conf, dict) else None
        return [str(p) for p in (prompts or PROMPTS)]

    videos = HailuoVideoGenerationOperator.partial(
        task_id="generate_video",
        model="MiniMax-H3",
        ratio="16:9",
        resolution="768P",
        duration=5,
        deferrable=True,
        capacity_timeout=timedelta(hours=6),
        poll_interval=POLL_INTERVAL,
    ).expand(prompt=load_prompts())

    HailuoToS3Operator.partial(task_id="video_to_s3", s3_bucket=BUCKET).expand(file_id=videos.output)
