"""A real Airflow (api-server under a base path, scheduler, DAG processor, triggerer) with the provider
plugin, the sandbox and moto, with users who log in, and headless Debian Chromium driven by selenium.

Selected with ``-m browser``. Nothing is downloaded: selenium is pointed at ``/usr/bin/chromium`` and
``/usr/bin/chromedriver`` (Debian's ``chromium`` and ``chromium-driver``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.system import harness
from tests.system.harness import AirflowCluster

REPO = Path(__file__).resolve().parents[2]
BASE_PATH = "/airflow"
CHROMIUM = os.environ.get("HAILUO_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HAILUO_CHROMEDRIVER", "/usr/bin/chromedriver")
USERS = {"admin": ("admin", "admin-pw-3f9c"), "alice": ("viewer", "alice-pw-7d21")}
XSS_PROMPT = "<img src=x onerror=alert(1)> a cat <b>bold</b> on a sofa"
PRICE_ROWS = [
    {
        "model": "MiniMax-Hailuo-02",
        "resolution": "768P",
        "duration": 6,
        "per_video": 0.28,
        "source": "browser-test price row",
        "date": "2026-11-01",
    },
    {"model": "T2V-01-Director", "per_second": 0.07, "source": "browser-test price row"},
]


class _AuthedRequests:
    """What the harness calls as ``requests``: the same functions, with a bearer token once one exists.

    The harness drives Airflow's REST API as an anonymous admin; here the api-server has real users,
    so its calls log in as ``admin`` first (the health check stays anonymous, as Airflow serves it).
    """

    def __init__(self, cluster: BrowserCluster) -> None:
        self.cluster = cluster

    def _headers(self, url: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        if url.startswith(self.cluster.api) and "/monitor/health" not in url:
            kwargs.setdefault("headers", {})["Authorization"] = f"Bearer {self.cluster.token('admin')}"
        return kwargs

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return requests.get(url, **self._headers(url, kwargs))

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return requests.post(url, **self._headers(url, kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)


@dataclass
class BrowserCluster(AirflowCluster):
    runs: dict[str, str] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.origin = self.api
        self.api = self.origin + BASE_PATH  # every Airflow URL, REST included, lives under the base path
        passwords = self.root / "passwords.json"
        passwords.write_text(json.dumps({name: pw for name, (_, pw) in USERS.items()}))
        self.env.update(
            {
                "AIRFLOW__API__BASE_URL": self.api,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(
                    f"{n}:{r}" for n, (r, _) in USERS.items()
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                "AIRFLOW__CORE__AUTH_MANAGER": "tests.browser.auth_manager.DagDenyingAuthManager",
                "HAILUO_TEST_DENIED_DAGS": "alice:hailuo_ui_private",
                "AIRFLOW__HAILUO__PRICE_TABLE": json.dumps(PRICE_ROWS),
                "HAILUO_CALLBACK_BASE_URL": self.api,
                "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
            }
        )

    def token(self, user: str) -> str:
        if user not in self._tokens:
            resp = requests.post(
                f"{self.api}/auth/token",
                json={"username": user, "password": USERS[user][1]},
                timeout=30,
            )
            resp.raise_for_status()
            self._tokens[user] = resp.json()["access_token"]
        return self._tokens[user]

    def ui(self, path: str) -> str:
        return self.api + path


@pytest.fixture(scope="session")
def ui_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserCluster]:
    root = tmp_path_factory.mktemp("airflow-browser")
    c = BrowserCluster(
        root,
        sorted((REPO / "tests/browser/dags").glob("*.py")),
        sandbox_args=["--preparing-seconds", "0.5", "--queueing-seconds", "0.5", "--processing-seconds", "1"],
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(harness, "requests", _AuthedRequests(c))
        try:
            c.start()
            c.runs["gallery"] = c.trigger("hailuo_ui_gallery")
            c.runs["xss"] = c.trigger("hailuo_ui_gallery", {"prompt": XSS_PROMPT})
            c.runs["private"] = c.trigger("hailuo_ui_private")
            for name, run_id in c.runs.items():
                dag_id = "hailuo_ui_private" if name == "private" else "hailuo_ui_gallery"
                assert c.wait_for_run(dag_id, run_id, timeout=240) == "success", (name, run_id)
            yield c
        finally:
            c.stop()
            if os.environ.get("HAILUO_SYSTEM_KEEP_LOGS"):
                print(f"browser test files kept under {root}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail(
            f"the browser tests need Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); "
            "install them with: apt-get install -y chromium chromium-driver"
        )
    profile = tempfile.mkdtemp(prefix="hailuo-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
