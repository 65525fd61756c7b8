"""Airflow in its production shape on 127.0.0.1: PostgreSQL, Redis, CeleryExecutor, several of everything.

`ProductionStack` extends the system tests' `AirflowCluster` (same sandbox, moto, free ports, process
groups and REST helpers) and replaces SQLite + LocalExecutor with:

* PostgreSQL (Debian's server binaries, a throw-away cluster from ``initdb`` in a temp folder, a free
  port, its unix socket in that folder, run as the ``postgres`` user when we are root: ``initdb`` and
  ``postgres`` refuse to run as root, and CI is root), with ``pg_stat_statements`` loaded;
* Redis (``redis-server``, no persistence) as the Celery broker;
* ``CeleryExecutor`` with two Celery workers, a scheduler, a DAG processor, two triggerers and an
  api-server with two worker processes.

Every process runs in its own process group and `stop` takes the whole tree down, PostgreSQL last,
then deletes its folder. Timeouts that decide how fast a dead triggerer's or worker's work moves
elsewhere are shortened so the failure tests finish in seconds.

Run it by hand with ``scripts/stack`` (``python -m tests.production.stack``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.system.harness import BIN, AirflowCluster, free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
PROBE_DIR = Path(__file__).resolve().parent / "plugins"
DAG_FILES = sorted((Path(__file__).resolve().parent / "dags").glob("*.py"))
CELERY_CONFIG = "hailuo_stack_celery.CELERY_CONFIG"
DB_USER = "airflow"
DB_NAME = "airflow"


def pg_bin_dir() -> Path:
    """``$HAILUO_PG_BIN``, else the newest /usr/lib/postgresql/<N>/bin (Debian), else ``initdb`` on PATH."""
    if os.environ.get("HAILUO_PG_BIN"):
        return Path(os.environ["HAILUO_PG_BIN"])
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: apt-get install postgresql, or set HAILUO_PG_BIN"
    )


def _unprivileged_user() -> str | None:
    """Who runs PostgreSQL: ourselves, unless we are root (then ``postgres``, else ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no postgres/nobody user to run PostgreSQL as")


@dataclass
class ProductionStack(AirflowCluster):
    workers: int = 2
    triggerers: int = 2
    api_workers: int = 2
    worker_concurrency: int = 4
    triggerer_capacity: int = 1000
    #: Seconds without a heartbeat after which a triggerer's waits go to another (Airflow: 30). Short
    #: so the failover test is quick, long enough that a busy machine does not fail a live one.
    triggerer_health_check_threshold: float = 15.0
    #: Seconds without a heartbeat after which a running task is failed (and retried) (Airflow: 300).
    #: Heartbeats come every few seconds; on a loaded 2-core machine they were seen 15 s late.
    task_heartbeat_timeout: float = 60.0
    #: Eleven Airflow processes start at once; on a busy 2-core machine that takes minutes.
    ready_timeout: float = 420.0

    def __post_init__(self) -> None:
        self.pg_port = free_port()
        self.redis_port = free_port()
        self.pg_user = _unprivileged_user()
        # Outside `root`: pytest's folders are private to root, and PostgreSQL runs as another user.
        self.pg_dir = Path(tempfile.mkdtemp(prefix="hailuo-pg-"))
        self.plugins = PROBE_DIR
        super().__post_init__()

    # -- configuration ---------------------------------------------------------------------------
    @property
    def db_url(self) -> str:
        return f"postgresql+psycopg2://{DB_USER}@127.0.0.1:{self.pg_port}/{DB_NAME}"

    def airflow_env(self) -> dict[str, str]:
        env = super().airflow_env()
        env.update(
            {
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.db_url,
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                # psycopg2 named: SQLAlchemy 2.1's default PostgreSQL driver is psycopg 3.
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{self.db_url}",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
                "AIRFLOW__CORE__PARALLELISM": "128",
                "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "128",
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
                "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": str(
                    self.triggerer_health_check_threshold
                ),
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(int(self.task_heartbeat_timeout)),
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(self.plugins),
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "hailuo_stack_probe.hostname",
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(self.plugins), str(REPO), os.environ.get("PYTHONPATH", "")) if p
                ),
            }
        )
        return env

    def airflow_services(self) -> list[tuple[str, list[str], dict[str, str]]]:
        airflow = str(BIN / "airflow")
        services: list[tuple[str, list[str], dict[str, str]]] = [
            (
                "api-server",
                [airflow, "api-server", "--port", str(self.api_port), "--workers", str(self.api_workers)],
                {},
            ),
            ("scheduler", [airflow, "scheduler"], {}),
            ("dag-processor", [airflow, "dag-processor"], {}),
        ]
        for i in range(1, self.triggerers + 1):
            name = f"triggerer-{i}"
            argv = [airflow, "triggerer", "--capacity", str(self.triggerer_capacity), "--skip-serve-logs"]
            services.append((name, argv, {"HAILUO_STACK_HOSTNAME": name}))
        for i in range(1, self.workers + 1):
            name = f"worker-{i}"
            argv = [
                airflow,
                "celery",
                "worker",
                "--concurrency",
                str(self.worker_concurrency),
                "--celery-hostname",
                f"{name}@127.0.0.1",
                "--skip-serve-logs",
            ]
            # Airflow's Celery settings plus a preload of the task runner and the provider before the
            # worker forks (test speed only; see hailuo_stack_celery.py). Only the workers import it.
            env = {"HAILUO_STACK_HOSTNAME": name, "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CELERY_CONFIG}
            services.append((name, argv, env))
        return services

    # -- PostgreSQL and Redis ------------------------------------------------------------------------
    def start_backends(self) -> None:
        self._start_postgres()
        self._service(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
        ).start()
        super().start_backends()
        wait_until(self._redis_ping, 30, "Redis")

    def _start_postgres(self) -> None:
        bin_dir = pg_bin_dir()
        data = self.pg_dir / "data"
        if self.pg_user:
            shutil.chown(self.pg_dir, self.pg_user)
        self.pg_dir.chmod(0o700)
        subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                DB_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            user=self.pg_user,
            cwd=self.pg_dir,
        )
        self._service(
            "postgres",
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.pg_port),
                "-k",
                str(self.pg_dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "shared_preload_libraries=pg_stat_statements",
                "-c",
                "pg_stat_statements.track=all",
                "-c",
                "max_connections=300",
                "-c",
                "log_lock_waits=on",  # a claim or a scheduler query stuck behind a lock says so
                # A test cluster: durability buys nothing and costs the shared disk.
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],
            user=self.pg_user,
            stop_signal=signal.SIGINT,  # "fast" shutdown: SIGTERM would wait for every client to leave
        ).start()
        wait_until(lambda: self.sql("SELECT 1", db="postgres"), 60, "PostgreSQL")
        self.sql(f"CREATE DATABASE {DB_NAME}", db="postgres")
        self.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def _redis_ping(self) -> bool:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=2).ping())

    def sql(self, query: str, params: Sequence[Any] = (), db: str = DB_NAME) -> list[tuple[Any, ...]]:
        """Run one statement on the stack's PostgreSQL (autocommit) and return its rows, if any."""
        import psycopg2

        conn = psycopg2.connect(
            host="127.0.0.1", port=self.pg_port, user=DB_USER, dbname=db, connect_timeout=5
        )
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(query, tuple(params))
                return list(cur.fetchall()) if cur.description else [(True,)]
        finally:
            conn.close()

    # -- readiness -----------------------------------------------------------------------------------
    def wait_ready(self) -> None:
        super().wait_ready()
        wait_until(
            lambda: len(self.live_triggerers()) >= self.triggerers, self.ready_timeout, "every triggerer"
        )
        for i in range(1, self.workers + 1):
            self.wait_worker_ready(f"worker-{i}")
        self.warm_up_api_workers()

    def wait_worker_ready(self, name: str, times: int = 1) -> None:
        """Until the Celery worker's log says "ready." ``times`` times (a restart appends to the log)."""
        log = self.root / f"{name}.log"
        wait_until(
            lambda: log.read_text(errors="replace").count(" ready.") >= times,
            self.ready_timeout,
            f"{name} ready",
        )

    def api_worker_pids(self) -> list[int]:
        """The api-server's worker processes (children of its supervisor)."""
        import psutil

        return [
            p.pid
            for p in psutil.Process(self.services["api-server"].pid).children()
            if "multiprocessing.resource_tracker" not in " ".join(p.cmdline())
        ]

    def kill_api_worker(self, pid: int) -> None:
        """SIGKILL one api-server worker; uvicorn's supervisor starts a new one."""
        if pid not in self.api_worker_pids():
            raise ValueError(f"{pid} is not an api-server worker")
        os.kill(pid, signal.SIGKILL)

    def warm_up_api_workers(self) -> None:
        """Send requests until every api-server worker has answered one.

        A worker's first execution-API call builds that app and its DB engine; on a busy machine that
        took longer than a task's first call may wait, and the task failed.
        """
        seen: set[str] = set()

        def answered_by_all() -> bool:
            for path in ("/execution/health", "/api/v2/version"):
                with requests.Session() as fresh_connection:
                    resp = fresh_connection.get(f"{self.api}{path}", timeout=60)
                resp.raise_for_status()
                seen.add(resp.headers.get("x-stack-worker-pid", ""))
            return len(seen - {""}) >= self.api_workers

        wait_until(answered_by_all, self.ready_timeout, "every api-server worker", interval=0.1)

    def live_triggerers(self) -> dict[int, str]:
        """Job id -> hostname of the triggerers whose heartbeat is fresh."""
        rows = self.sql(
            "SELECT id, hostname FROM job WHERE job_type = 'TriggererJob' AND state = 'running' "
            "AND latest_heartbeat > now() - make_interval(secs => %s)",
            (self.triggerer_health_check_threshold,),
        )
        return {int(r[0]): str(r[1]) for r in rows}

    def trigger_holders(self) -> dict[int, str | None]:
        """Trigger id -> hostname of the triggerer holding it (None: not assigned)."""
        rows = self.sql(
            "SELECT t.id, j.hostname FROM trigger t LEFT JOIN job j ON j.id = t.triggerer_id ORDER BY t.id"
        )
        return {int(r[0]): (str(r[1]) if r[1] is not None else None) for r in rows}

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            shutil.rmtree(self.pg_dir, ignore_errors=True)

    def describe(self) -> str:
        return "\n".join(
            [
                f"api-server   {self.api}  ({self.api_workers} workers; UI and REST, no login)",
                f"PostgreSQL   {self.db_url}  (socket in {self.pg_dir})",
                f"Redis        redis://127.0.0.1:{self.redis_port}/0",
                f"sandbox      {self.sandbox}  (API key in AIRFLOW_CONN_HAILUO_DEFAULT)",
                f"moto S3      {self.s3_endpoint}",
                f"logs         {self.root}",
            ]
        )


@contextlib.contextmanager
def running_stack(root: Path, **kwargs: Any) -> Iterator[ProductionStack]:
    stack = ProductionStack(root, DAG_FILES, **kwargs)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _env_file(stack: ProductionStack, path: Path) -> None:
    """The environment to point an ``airflow`` command at the stack (``set -a; . file``)."""
    lines = [
        f"{k}={v!r}" if re.search(r"[^\w@%+=:,./-]", v) else f"{k}={v}"
        for k, v in sorted(stack.env.items())
        if k.startswith(("AIRFLOW", "HAILUO", "AWS_", "PYTHONPATH"))
    ]
    path.write_text("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/stack",
        description="Start PostgreSQL, Redis, Celery workers, scheduler, DAG processor, triggerers, a "
        "multi-worker api-server, the sandbox API and moto on 127.0.0.1; stop all of it on Ctrl-C, "
        "SIGTERM, or when COMMAND ends.",
    )
    parser.add_argument("--root", type=Path, help="folder for logs and AIRFLOW_HOME (default: a temp folder)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--triggerers", type=int, default=2)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=4)
    parser.add_argument("--triggerer-capacity", type=int, default=1000)
    parser.add_argument(
        "--processing-seconds", type=float, default=20.0, help="how long sandbox videos stay Processing"
    )
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, help="run this with the stack's environment, then stop"
    )
    args = parser.parse_args(argv)
    root = args.root or Path(tempfile.mkdtemp(prefix="hailuo-stack-"))
    root.mkdir(parents=True, exist_ok=True)

    def on_signal(signum: int, frame: object) -> None:
        # Unwinds whatever is running (start-up included) into running_stack's cleanup; a second
        # signal must not interrupt that cleanup.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.monotonic()
    try:
        with running_stack(
            root,
            workers=args.workers,
            triggerers=args.triggerers,
            api_workers=args.api_workers,
            worker_concurrency=args.worker_concurrency,
            triggerer_capacity=args.triggerer_capacity,
            sandbox_args=["--processing-seconds", str(args.processing_seconds)],
        ) as stack:
            env_path = root / "stack.env"
            _env_file(stack, env_path)
            print(stack.describe(), flush=True)
            print(f"environment  {env_path}  (set -a; . {env_path}; set +a)", flush=True)
            print(f"up after {time.monotonic() - started:.0f}s", flush=True)
            command = [c for c in args.command if c != "--"]
            if command:
                return subprocess.run(command, env=stack.env).returncode
            print("Ctrl-C stops everything.", flush=True)
            while True:
                time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
