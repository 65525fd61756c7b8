"""Fixtures for the S3 transfer tests: a real moto S3 server, real sandbox videos, an Airflow DB.

Everything talks real HTTP on 127.0.0.1: the sandbox (from ``tests/conftest.py``) serves the videos and
a threaded moto server plays S3, so boto3's managed transfer, multipart uploads, checksums and aborts
are exercised as in production rather than mocked.
"""

from __future__ import annotations

import json
import os
import threading
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import boto3
import pytest
import requests
from botocore.client import BaseClient

from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from tests.helpers import moto_s3_server

AWS_CONN_ID = "aws_default"


@dataclass(frozen=True)
class S3Env:
    client: Any
    bucket: str
    endpoint: str

    def tags(self, key: str) -> dict[str, str]:
        tag_set = self.client.get_object_tagging(Bucket=self.bucket, Key=key)["TagSet"]
        return {t["Key"]: t["Value"] for t in tag_set}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]

    def keys(self) -> list[str]:
        return [o["Key"] for o in self.client.list_objects_v2(Bucket=self.bucket).get("Contents", [])]

    def open_uploads(self) -> list[dict[str, Any]]:
        return list(self.client.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []))


@dataclass(frozen=True)
class Video:
    video_task_id: str
    file_id: str
    size: int
    sha256: str


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_s3_server() as url:
        yield url


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Env:
    """A fresh bucket per test, and ``aws_default`` pointing at moto."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {"endpoint_url": moto_endpoint, "region_name": "us-east-1"},
            }
        ),
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    bucket = f"hailuo-{uuid4().hex[:16]}"
    client.create_bucket(Bucket=bucket)
    return S3Env(client, bucket, moto_endpoint)


@pytest.fixture
def make_video(sandbox: Any) -> Callable[..., Video]:
    """Generate a finished video of a given size through the sandbox API; returns ids and true hash."""

    def make(video_bytes: int = 256 * 1024, prompt: str = "a red panda surfing") -> Video:
        sandbox.config.video_bytes = video_bytes
        hook = HailuoHook()
        task_id = hook.create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": prompt})
        status = hook.wait_for_video_generation(task_id, poll_interval=0.05, timeout=20)
        assert status.file_id, status
        truth = requests.get(f"{sandbox.url}/sandbox/files/{status.file_id}/sha256", timeout=60).json()
        return Video(task_id, status.file_id, int(truth["bytes"]), str(truth["sha256"]))

    return make


class CallLog(Counter[str]):
    """Calls per operation name, and the parameters of each call."""

    def __init__(self) -> None:
        super().__init__()
        self.params: dict[str, list[dict[str, Any]]] = {}


@pytest.fixture
def s3_calls(monkeypatch: pytest.MonkeyPatch) -> CallLog:
    """Count every AWS API call by operation name (proves multipart was used, or an abort happened)."""
    calls = CallLog()
    lock = threading.Lock()
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        with lock:
            calls[operation_name] += 1
            calls.params.setdefault(operation_name, []).append(dict(api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    return calls


def fail_calls(monkeypatch: pytest.MonkeyPatch, failures: dict[str, str]) -> None:
    """Make the named S3 operations answer the given error code (what a real S3 does without a permission)."""
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call

    def failing(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name in failures:
            code = failures[operation_name]
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", failing)


@pytest.fixture
def quick_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cap the download stream's backoff at 50 ms so fault tests stay fast (only its module is patched)."""
    import airflow_provider_hailuo.download as download

    real = time

    def sleep(seconds: float) -> None:
        real.sleep(min(seconds, 0.05))

    shim = types.SimpleNamespace(sleep=sleep, monotonic=real.monotonic, time=real.time)
    monkeypatch.setattr(download, "time", shim)


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """An initialised SQLite metadata DB in the test AIRFLOW_HOME; returns the DAGs folder."""
    from airflow.configuration import conf
    from airflow.utils import db

    db.initdb()
    dags_folder = conf.get("core", "dags_folder")
    os.makedirs(dags_folder, exist_ok=True)
    return dags_folder
