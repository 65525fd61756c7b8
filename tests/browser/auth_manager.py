"""A SimpleAuthManager that keeps named users out of named DAGs, for the browser tests.

Airflow's SimpleAuthManager grants DAG access by role only; real deployments (FAB, Keycloak) restrict
it per DAG. This subclass adds that, from ``HAILUO_TEST_DENIED_DAGS`` (``user:dag_id,...``), so the
tests can prove the UI pages ask the auth manager about each DAG.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager


def _denied() -> set[tuple[str, str]]:
    pairs = (
        item.split(":", 1) for item in os.environ.get("HAILUO_TEST_DENIED_DAGS", "").split(",") if ":" in item
    )
    return {(user, dag) for user, dag in pairs}


class DagDenyingAuthManager(SimpleAuthManager):
    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        if details is not None and (user.get_name(), details.id) in _denied():
            return False
        return super().is_authorized_dag(
            method=method, user=user, access_entity=access_entity, details=details
        )

    def filter_authorized_dag_ids(self, *, dag_ids: set[str], user: Any, **kwargs: Any) -> set[str]:
        allowed = super().filter_authorized_dag_ids(dag_ids=dag_ids, user=user, **kwargs)
        return {d for d in allowed if (user.get_name(), d) not in _denied()}
