"""HTTP helpers for the v2 sandbox tests: plain requests, no client code of the provider."""

from __future__ import annotations

import time
from typing import Any

import requests

from airflow_provider_hailuo.sandbox import SandboxServer

CREATE = "/v2/video_generation"
LIST = "/v2/query/video_generation"
CONTEXT_IR = "/v2/h3_context_ir"
REGENERATION = "/v2/video_regeneration"
PROMPT = "a red fox running through snow"


def text(prompt: str = PROMPT) -> dict[str, Any]:
    return {"type": "text", "text": prompt}


def image(url: str, role: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    if role is not None:
        item["role"] = role
    return item


def video(url: str, role: str | None = "reference_video") -> dict[str, Any]:
    item: dict[str, Any] = {"type": "video_url", "video_url": {"url": url}}
    if role is not None:
        item["role"] = role
    return item


def audio(url: str, role: str | None = "reference_audio") -> dict[str, Any]:
    item: dict[str, Any] = {"type": "audio_url", "audio_url": {"url": url}}
    if role is not None:
        item["role"] = role
    return item


def t2va(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "MiniMax-H3",
        "content": [text()],
        "resolution": "768P",
        "duration": 5,
        "ratio": "16:9",
    }
    body.update(overrides)
    return body


def post(api: requests.Session, server: SandboxServer, body: Any, path: str = CREATE) -> requests.Response:
    return api.post(f"{server.url}{path}", json=body, timeout=15)


def create(api: requests.Session, server: SandboxServer, body: Any, path: str = CREATE) -> str:
    response = post(api, server, body, path)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"task_id"}
    task_id: str = response.json()["task_id"]
    return task_id


def query_response(api: requests.Session, server: SandboxServer, task_id: str) -> requests.Response:
    return api.get(f"{server.url}/v2/query/video_generation/{task_id}", timeout=10)


def query(api: requests.Session, server: SandboxServer, task_id: str) -> dict[str, Any]:
    response = query_response(api, server, task_id)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()["task"]
    return task


def listing(api: requests.Session, server: SandboxServer, params: Any = None) -> requests.Response:
    return api.get(f"{server.url}{LIST}", params=params, timeout=10)


def delete(api: requests.Session, server: SandboxServer, task_id: str) -> requests.Response:
    return api.delete(f"{server.url}/v2/video_generation/{task_id}", timeout=10)


def wait_status(
    api: requests.Session, server: SandboxServer, task_id: str, *statuses: str, timeout: float = 10
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task = query(api, server, task_id)
        if task["status"] in statuses:
            return task
        assert time.monotonic() < deadline, f"still {task['status']}, wanted {statuses}"
        time.sleep(0.02)


def error_of(response: requests.Response) -> tuple[int, str, str]:
    """(HTTP status, error.type, message) after checking the whole §6.1 envelope."""
    body = response.json()
    assert set(body) == {"type", "error", "request_id"}, body
    assert body["type"] == "error"
    assert len(body["request_id"]) == 32
    int(body["request_id"], 16)
    error = body["error"]
    assert set(error) == {"type", "message", "http_code"}
    assert error["http_code"] == str(response.status_code)
    return response.status_code, error["type"], error["message"]
