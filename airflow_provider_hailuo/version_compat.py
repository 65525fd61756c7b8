"""Which Airflow features are available, decided once at import."""

from __future__ import annotations

from importlib.metadata import version

from packaging.version import Version


def _airflow_version() -> tuple[int, int, int]:
    base = Version(
        version("apache-airflow-core") if _has("apache-airflow-core") else version("apache-airflow")
    )
    return base.major, base.minor, base.micro


def _has(dist: str) -> bool:
    try:
        version(dist)
    except Exception:
        return False
    return True


AIRFLOW_VERSION = _airflow_version()
#: The task state store (durable re-attach across retries) arrived in Airflow 3.3.
AIRFLOW_V_3_3_PLUS = AIRFLOW_VERSION >= (3, 3, 0)
