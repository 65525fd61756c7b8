"""Fixtures for the sandbox tests: a fresh, fast server per test (starting one takes milliseconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from airflow_provider_hailuo.sandbox import SandboxConfig, SandboxServer

API_KEY = "sandbox-key"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(preparing_seconds=0.05, queueing_seconds=0.05, processing_seconds=0.1)
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def api() -> Iterator[requests.Session]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {API_KEY}"
    session.trust_env = False  # never route loopback calls through a proxy from the environment
    yield session
    session.close()
