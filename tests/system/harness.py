"""A real Airflow on 127.0.0.1 for system tests: api-server, scheduler (LocalExecutor), dag-processor and
triggerer, plus the sandbox API and a moto S3 server, each in its own process group.

Every process is started with ``start_new_session=True`` and stopped by signalling its whole group
(TERM, then KILL after a grace period): Airflow's processes spawn workers that would otherwise outlive
the test run. Task processes put themselves in process groups of their own, so a stop also kills
whatever descendants it saw before signalling. `AirflowCluster` is built to be extended: the
production stack (tests/production/stack.py) swaps SQLite and the LocalExecutor for PostgreSQL, Redis
and Celery by overriding `airflow_env`, `start_backends` and `airflow_services`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests

BIN = Path(sys.executable).parent
API_KEY = "sandbox-system-key-7f3a9c"  # distinctive, so the leak check can grep for it
CALLBACK_TOKEN = "system-callback-token-5e8d1b2c"
#: Seconds a REST call to the api-server or the sandbox may take; generous, for a busy CI machine.
REST_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Any, timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # the service may not be up yet
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_exc!r})")


def _descendants(pid: int) -> list[Any]:
    import psutil

    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return []


def stop_together(services: list[Service], sig: int | None = None, grace: float = 15.0) -> None:
    """Stop several services at once: signal them all, then give them one shared grace period."""
    strays = [svc._signal(sig) for svc in services]
    deadline = time.monotonic() + grace
    for svc, children in zip(services, strays, strict=True):
        svc._finish(deadline, children)


@dataclass
class Service:
    """One server process, alone in a new process group.

    :param user: run as this (unprivileged) user; PostgreSQL refuses to run as root, and CI is root.
    :param stop_signal: what asks it to stop (PostgreSQL shuts down fast on SIGINT, waits on SIGTERM).
    """

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str]
    user: str | None = None
    stop_signal: int = signal.SIGTERM
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.proc = subprocess.Popen(
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
            user=self.user,
        )
        log.close()  # the child has its own copy

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int | None = None, grace: float = 15.0) -> None:
        """Signal the group, wait, then SIGKILL the group and every descendant seen before."""
        stop_together([self], sig, grace)

    def _signal(self, sig: int | None) -> list[Any]:
        """Send the stop signal to the group; return the descendants to kill if they outlive it."""
        if self.proc is None:
            return []
        strays = _descendants(self.proc.pid)  # task processes leave the group (setpgid)
        try:
            os.killpg(self.proc.pid, self.stop_signal if sig is None else sig)
        except ProcessLookupError:
            pass
        return strays

    def _finish(self, deadline: float, strays: list[Any]) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for child in strays:
            try:
                child.kill()
            except Exception:  # psutil.NoSuchProcess: already gone
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None

    def kill9(self) -> None:
        """What a crash of its host looks like: every process of the tree at once, no cleanup."""
        self.stop(signal.SIGKILL, grace=5)


@dataclass
class AirflowCluster:
    root: Path
    dag_files: Iterable[Path]
    sandbox_args: list[str] = field(default_factory=list)
    services: dict[str, Service] = field(default_factory=dict)
    #: Seconds Airflow may take to report healthy after its processes start.
    ready_timeout: float = 180.0

    def __post_init__(self) -> None:
        self.home = self.root / "airflow_home"
        self.dags = self.root / "dags"
        self.home.mkdir(parents=True, exist_ok=True)
        self.dags.mkdir(parents=True, exist_ok=True)
        for f in self.dag_files:
            shutil.copy(f, self.dags / f.name)
        self.api_port = free_port()
        self.sandbox_port = free_port()
        self.moto_port = free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.sandbox = f"http://127.0.0.1:{self.sandbox_port}"
        self.s3_endpoint = f"http://127.0.0.1:{self.moto_port}"
        self.env = self.airflow_env()

    def airflow_env(self) -> dict[str, str]:
        """The environment every process gets: Airflow's settings and the connections to the fakes."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__PARALLELISM": "8",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home}/airflow.db",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__BASE_URL": self.api,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__API_AUTH__JWT_SECRET": "hailuo-system-tests-jwt-secret-0123456789abcdef",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "False",
                "AIRFLOW_CONN_HAILUO_DEFAULT": json.dumps(
                    {"conn_type": "hailuo", "host": self.sandbox, "password": API_KEY}
                ),
                "AIRFLOW_CONN_HAILUO_BAD_KEY": json.dumps(
                    {"conn_type": "hailuo", "host": self.sandbox, "password": "not-a-valid-key"}
                ),
                "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                    {
                        "conn_type": "aws",
                        "login": "testing",
                        "password": "testing",
                        "extra": {"endpoint_url": self.s3_endpoint, "region_name": "us-east-1"},
                    }
                ),
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
                "HAILUO_EXAMPLE_BUCKET": "hailuo-videos",
                # MiniMax's pushes come back to this api-server's callbacks plugin.
                "AIRFLOW__HAILUO__CALLBACK_TOKEN": CALLBACK_TOKEN,
                "HAILUO_CALLBACK_BASE_URL": self.api,
                "HAILUO_CALLBACK_TOKEN": CALLBACK_TOKEN,
                "NO_PROXY": "127.0.0.1,localhost",
            }
        )
        return env

    # -- lifecycle ------------------------------------------------------------------------------
    def _service(self, name: str, argv: list[str], env: dict[str, str] | None = None, **kw: Any) -> Service:
        svc = Service(name, argv, self.root / f"{name}.log", {**self.env, **(env or {})}, **kw)
        self.services[name] = svc
        return svc

    def start(self) -> AirflowCluster:
        """Start everything; on any failure stop what was started, so nothing outlives the caller."""
        try:
            self.start_backends()
            subprocess.run(
                [str(BIN / "airflow"), "db", "migrate"],
                env=self.env,
                check=True,
                capture_output=True,
                timeout=300,
            )
            for name, argv, env in self.airflow_services():
                self._service(name, argv, env).start()
            self.wait_ready()
            self.prepare()
        except BaseException:
            self.stop()
            raise
        return self

    def airflow_services(self) -> list[tuple[str, list[str], dict[str, str]]]:
        """(name, argv, extra env) of each Airflow process, started in this order."""
        airflow = str(BIN / "airflow")
        return [
            ("api-server", [airflow, "api-server", "--port", str(self.api_port)], {}),
            *((name, [airflow, name], {}) for name in ("scheduler", "dag-processor", "triggerer")),
        ]

    def start_backends(self) -> None:
        """What Airflow talks to: the sandbox API and moto."""
        self._service(
            "sandbox",
            [
                str(BIN / "python"),
                "-m",
                "airflow_provider_hailuo.sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.sandbox_port),
                "--api-key",
                API_KEY,
                *self.sandbox_args,
            ],
        ).start()
        self._service(
            "moto", [str(BIN / "python"), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.moto_port)]
        ).start()

    def wait_ready(self) -> None:
        wait_until(lambda: requests.get(f"{self.sandbox}/sandbox/stats", timeout=2).ok, 60, "the sandbox")
        wait_until(lambda: requests.get(self.s3_endpoint, timeout=2).status_code < 500, 60, "moto")
        wait_until(self._healthy, self.ready_timeout, "Airflow health")

    def prepare(self) -> None:
        """What the DAGs expect to exist: the submission pool and the bucket."""
        # The batch example throttles submissions with this pool, as its docstring tells users to.
        requests.post(
            f"{self.api}/api/v2/pools",
            json={"name": "hailuo_api", "slots": 5, "include_deferred": False},
            timeout=REST_TIMEOUT,
        ).raise_for_status()
        s3_client(self).create_bucket(Bucket="hailuo-videos")

    def _healthy(self) -> bool:
        data = requests.get(f"{self.api}/api/v2/monitor/health", timeout=5).json()
        return all(
            data.get(k, {}).get("status") == "healthy" for k in ("metadatabase", "scheduler", "triggerer")
        )

    def stop(self) -> None:
        """Stop Airflow's processes together, then what they talk to, in the reverse order of starting."""
        names = self._airflow_names
        stop_together([svc for name, svc in self.services.items() if name in names])
        for name, svc in reversed(list(self.services.items())):
            if name not in names:
                svc.stop()

    @property
    def _airflow_names(self) -> set[str]:
        return {name for name, _argv, _env in self.airflow_services()}

    def restart(self, name: str) -> None:
        svc = self.services[name]
        svc.stop()
        svc.start()

    # -- sandbox --------------------------------------------------------------------------------
    def sandbox_stats(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.sandbox}/sandbox/stats", timeout=REST_TIMEOUT).json())

    def sandbox_config(self, **values: Any) -> None:
        requests.post(f"{self.sandbox}/sandbox/config", json=values, timeout=REST_TIMEOUT).raise_for_status()

    def sandbox_sha256(self, file_id: str) -> dict[str, Any]:
        return dict(requests.get(f"{self.sandbox}/sandbox/files/{file_id}/sha256", timeout=120).json())

    # -- Airflow REST -----------------------------------------------------------------------------
    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        wait_until(
            lambda: requests.get(f"{self.api}/api/v2/dags/{dag_id}", timeout=5).ok, timeout, f"DAG {dag_id}"
        )

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        self.wait_for_dag(dag_id)
        resp = requests.post(
            f"{self.api}/api/v2/dags/{dag_id}/dagRuns",
            json={"logical_date": None, "conf": conf or {}},
            timeout=REST_TIMEOUT,
        )
        resp.raise_for_status()
        return str(resp.json()["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        resp = requests.get(f"{self.api}/api/v2/dags/{dag_id}/dagRuns/{run_id}", timeout=REST_TIMEOUT)
        resp.raise_for_status()
        return str(resp.json()["state"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> str:
        return str(
            wait_until(
                lambda: (s := self.run_state(dag_id, run_id)) in ("success", "failed") and s,
                timeout,
                f"run {dag_id}/{run_id}",
                interval=1,
            )
        )

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of the run, page after page (the API caps a page at 100 rows)."""
        found: list[dict[str, Any]] = []
        while True:
            resp = requests.get(
                f"{self.api}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                params={"limit": 100, "offset": len(found)},
                timeout=REST_TIMEOUT,
            )
            resp.raise_for_status()
            data = resp.json()
            found.extend(data["task_instances"])
            if not data["task_instances"] or len(found) >= data["total_entries"]:
                return found

    def xcom(
        self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1
    ) -> Any:
        resp = requests.get(
            f"{self.api}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}",
            params={"map_index": map_index, "deserialize": True, "stringify": False},
            timeout=REST_TIMEOUT,
        )
        resp.raise_for_status()
        return resp.json()["value"]

    def task_log(
        self, dag_id: str, run_id: str, task_id: str, try_number: int = 1, map_index: int = -1
    ) -> str:
        resp = requests.get(
            f"{self.api}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            params={"map_index": map_index, "full_content": True},
            headers={"Accept": "application/json"},
            timeout=REST_TIMEOUT,
        )
        resp.raise_for_status()
        content = resp.json().get("content")
        if isinstance(content, list):  # structured log lines
            return "\n".join(
                json.dumps(line, ensure_ascii=False) if not isinstance(line, str) else line
                for line in content
            )
        return str(content)

    def all_text_under(self, *paths: Path) -> str:
        chunks = []
        for base in paths:
            for p in base.rglob("*"):
                if p.is_file() and p.suffix not in (".db", ".pyc") and p.stat().st_size < 50_000_000:
                    chunks.append(p.read_text(errors="replace"))
        return "\n".join(chunks)


# -- helpers shared by the system and production tests ------------------------------------------------


def s3_client(cluster: AirflowCluster) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=cluster.s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def fresh(cluster: AirflowCluster, **config: Any) -> None:
    requests.post(f"{cluster.sandbox}/sandbox/reset", timeout=REST_TIMEOUT).raise_for_status()
    defaults = {
        "preparing_seconds": 1,
        "queueing_seconds": 1,
        "processing_seconds": 4,
        "gateway_error_rate": 0.0,
        "gateway_error_methods": ["GET", "POST", "DELETE"],
        "rate_limit_error_rate": 0.0,
        "drop_final_callback": False,
        "api_keys": [API_KEY],
    }
    cluster.sandbox_config(**{**defaults, **config})


def failure_report(cluster: AirflowCluster, dag_id: str, run_id: str) -> str:
    """The failed tasks of a run with the end of their logs, so a red CI run says why."""
    lines = [f"{dag_id} {run_id} failed"]
    for ti in cluster.task_instances(dag_id, run_id):
        if ti["state"] != "success":
            lines.append(f"-- {ti['task_id']}[{ti['map_index']}] {ti['state']} try {ti['try_number']}")
            if ti["try_number"]:
                log = cluster.task_log(dag_id, run_id, ti["task_id"], ti["try_number"], ti["map_index"])
                lines.append(log[-3000:])
    # A task failed from outside (heartbeat timeout, executor event) says why only in the scheduler's log.
    scheduler = cluster.services.get("scheduler")
    if scheduler is not None and scheduler.log_path.exists():
        about = [
            line
            for line in scheduler.log_path.read_text(errors="replace").splitlines()
            if dag_id in line
            and any(word in line.lower() for word in ("fail", "heartbeat", "timeout", "killed"))
        ]
        lines.append("-- scheduler log about this DAG:\n" + "\n".join(line[:400] for line in about[-15:]))
    return "\n".join(lines)


def watch_runs(
    cluster: AirflowCluster, runs: list[tuple[str, str]], timeout: float, interval: float = 0.5
) -> dict[str, set[str]]:
    """Wait for every run to end, recording each task's states seen on the way; all must succeed.

    Each look lists every task instance through the REST API: with hundreds of them, keep ``interval``
    at a few seconds or the api-server spends more CPU answering than the tasks cost.
    """
    seen: dict[str, set[str]] = {}
    deadline = time.monotonic() + timeout
    pending = list(runs)
    while pending and time.monotonic() < deadline:
        for dag_id, run_id in list(pending):
            for ti in cluster.task_instances(dag_id, run_id):
                seen.setdefault(f"{dag_id}.{ti['task_id']}", set()).add(str(ti["state"]))
            state = cluster.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                assert state == "success", failure_report(cluster, dag_id, run_id)
                pending.remove((dag_id, run_id))
                # Which tries were retried, in the test output.
                for ti in cluster.task_instances(dag_id, run_id):
                    if (ti.get("try_number") or 0) > 1:
                        print(f"retried: {dag_id}.{ti['task_id']}[{ti['map_index']}] try {ti['try_number']}")
        time.sleep(interval)
    assert not pending, f"runs still going after {timeout}s: {pending}"
    return seen
