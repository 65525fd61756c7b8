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
DAGS_DIR = os.path.join(os.environ["AIRFLOW_HOME"], "dags")
os.makedirs(DAGS_DIR, exist_ok=True)
# dag.test() syncs the DAG from its bundle, so a DAG under test must be a file in the dags folder.
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = DAGS_DIR
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")

import json  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Hypothesis checks properties, not speed: its per-example deadline fails at random on a loaded machine.
settings.register_profile("hailuo", deadline=None)
settings.load_profile("hailuo")

FAST_TIMINGS = {"preparing_seconds": 0.05, "queueing_seconds": 0.05, "processing_seconds": 0.3}
API_KEY = "sandbox-key"


@pytest.fixture(scope="session", autouse=True)
def _one_in_process_execution_api() -> None:
    """Give dag.test() on Airflow < 3.3 the one in-process Execution API that 3.3 keeps.

    Before 3.3, ``dag.test()`` builds a new in-process Execution API for every task it runs (Cadwyn's
    versioned routers, a thread with its own event loop): several CPU seconds each, most of the time of
    a 3.1/3.2 quick suite, and a thread left behind each time. 3.3 wraps the same factory in
    ``functools.lru_cache(maxsize=1)``; this does exactly that on older versions, changing nothing else.
    """
    import functools

    try:
        from airflow.sdk.execution_time import supervisor
    except ImportError:  # pragma: no cover - every supported Airflow has it
        return
    factory = getattr(supervisor, "in_process_api_server", None)
    if factory is not None and not hasattr(factory, "cache_info"):
        supervisor.in_process_api_server = functools.lru_cache(maxsize=1)(factory)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[object]:
    from airflow_provider_hailuo.sandbox import SandboxConfig, SandboxServer

    server = SandboxServer(SandboxConfig(**FAST_TIMINGS)).start()  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(sandbox_server: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A clean sandbox (counters, tasks, fault knobs) with the default Hailuo connection pointing at it."""
    from airflow_provider_hailuo.hooks.hailuo import clear_connection_cache
    from airflow_provider_hailuo.sandbox import SandboxConfig

    server = sandbox_server
    server.config = SandboxConfig(**FAST_TIMINGS)  # type: ignore[attr-defined,arg-type]
    server.reset()  # type: ignore[attr-defined]
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_DEFAULT",
        json.dumps({"conn_type": "hailuo", "host": server.url, "password": API_KEY}),  # type: ignore[attr-defined]
    )
    clear_connection_cache()
    yield server
    clear_connection_cache()


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated SQLite metadata DB in the test AIRFLOW_HOME (dag.test() needs one)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )


def load_dag_file(source: str, dag_id: str) -> object:
    """Copy a DAG file (and the non-Python files beside it) into the dags folder; return its DAG."""
    import glob
    import importlib.util
    import shutil

    target = os.path.join(DAGS_DIR, os.path.basename(source))
    shutil.copyfile(source, target)
    for data_file in glob.glob(os.path.join(os.path.dirname(source), "*.txt")):
        shutil.copyfile(data_file, os.path.join(DAGS_DIR, os.path.basename(data_file)))
    name = f"_hailuo_test_dag_{os.path.splitext(os.path.basename(source))[0]}"
    spec = importlib.util.spec_from_file_location(name, target)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from airflow.sdk import DAG

    for value in vars(module).values():
        if isinstance(value, DAG) and value.dag_id == dag_id:
            return value
    raise LookupError(f"no DAG {dag_id} in {source}")


def dagbag_for(path: str, **kwargs: object) -> object:
    """A DagBag of one file or folder, whichever module this Airflow keeps it in."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow < 3.2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
    return DagBag(dag_folder=path, **kwargs)


def sync_dagbag_to_db(bag: object, bundle_name: str = "dags-folder") -> None:
    """Write a DagBag's DAGs to the metadata DB (the API moved between Airflow 3.0 and 3.3)."""
    try:
        from airflow.dag_processing.dagbag import sync_bag_to_db
    except ImportError:
        try:  # Airflow 3.1
            from airflow.models.dagbag import sync_bag_to_db  # type: ignore[no-redef]
        except ImportError:  # Airflow 3.0
            bag.sync_to_db(bundle_name, None)  # type: ignore[attr-defined]
            return
    sync_bag_to_db(bag, bundle_name, None)
