"""``[celery] celery_config_options`` of the production stack: Airflow's defaults, plus a preload.

The Celery worker's main process imports the Task SDK's runner and the modules the test DAGs use
before it forks its pool, so each task's process inherits them instead of importing them again (about
a second of CPU per task; the suite runs 150 tasks on 2 cores). The DAG file itself is still parsed
by every task, as in any deployment.
"""

from __future__ import annotations

import airflow.sdk.execution_time.task_runner  # noqa: F401
from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

import airflow_provider_hailuo.operators.hailuo
import airflow_provider_hailuo.transfers.hailuo_to_s3  # noqa: F401

CELERY_CONFIG = dict(DEFAULT_CELERY_CONFIG)
