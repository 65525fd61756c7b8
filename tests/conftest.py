"""Shared test setup: an isolated AIRFLOW_HOME, and connections given as environment variables.

Airflow reads its configuration at import, so the environment is set here, before any test module
imports airflow.
"""

from __future__ import annotations

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="hailuo-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", os.path.join(_HOME, "dags"))
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
