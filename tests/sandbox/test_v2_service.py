"""The v2 service around the tasks: the error envelope (§6), keys, faults, the RPM limit and the
in-flight cap (§8), duplicate detection, callbacks (§7), counters, and the sandbox's independence."""

from __future__ import annotations

import ast
import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests

from airflow_provider_hailuo.sandbox import SandboxConfig, SandboxServer

from .conftest import API_KEY, Receiver
from .v2_calls import (
    CONTEXT_IR,
    CREATE,
    REGENERATION,
    create,
    delete,
    error_of,
    listing,
    post,
    query,
    query_response,
    t2va,
    text,
    wait_status,
)

TOKEN_PLAN = {"Authorization": "Bearer sandbox-token-plan-key"}


# -- keys and the envelope ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {},
            "login fail: Please carry the API secret key in the 'Authorization' field of the request header (1004)",
        ),
        ({"Authorization": "Bearer wrong"}, "(1004)"),
        ({"Authorization": f"Basic {API_KEY}"}, "(1004)"),
        ({"Authorization": "Bearer sandbox-other-region-key"}, "invalid api key (2049)"),
    ],
)
def test_auth_errors_are_401_on_every_endpoint(
    sandbox: SandboxServer, headers: dict[str, str], message: str
) -> None:
    url = sandbox.url
    calls = [
        requests.post(f"{url}{CREATE}", json=t2va(), headers=headers, timeout=5),
        requests.post(f"{url}{CONTEXT_IR}", json=t2va(), headers=headers, timeout=5),
        requests.post(f"{url}{REGENERATION}", json=t2va(), headers=headers, timeout=5),
        requests.get(f"{url}/v2/query/video_generation/1", headers=headers, timeout=5),
        requests.get(f"{url}/v2/query/video_generation", headers=headers, timeout=5),
        requests.delete(f"{url}/v2/video_generation/1", headers=headers, timeout=5),
    ]
    for response in calls:
        status, kind, text_ = error_of(response)
        assert (status, kind) == (401, "authorized_error")
        assert text_.endswith(message)
    assert sandbox.stats()["v2"]["errors_by_status"] == {"401": 6}


def test_token_plan_keys_get_402_on_paid_calls_only(sandbox: SandboxServer, api: requests.Session) -> None:
    for path, body in [
        (CREATE, t2va()),
        (CONTEXT_IR, {"model": "MiniMax-H3", "content": [text()], "duration": 5, "ratio": "16:9"}),
        (REGENERATION, {"model": "MiniMax-H3", "content": [text()], "resolution": "2K"}),
    ]:
        response = requests.post(f"{sandbox.url}{path}", json=body, headers=TOKEN_PLAN, timeout=5)
        if path == REGENERATION:
            assert error_of(response)[0] == 400  # a bad body is refused before the key's plan matters
            continue
        assert error_of(response) == (402, "insufficient_balance_error", "insufficient balance (1008)")
    assert (
        requests.get(f"{sandbox.url}/v2/query/video_generation", headers=TOKEN_PLAN, timeout=5).status_code
        == 200
    )
    v1 = requests.post(
        f"{sandbox.url}/v1/video_generation",
        json={"model": "MiniMax-Hailuo-02", "prompt": "a fox"},
        headers=TOKEN_PLAN,
        timeout=5,
    ).json()
    assert v1["base_resp"]["status_code"] == 0  # Token-Plan keys are made for the v1 models
    sandbox.config.balance_exhausted = True
    assert error_of(post(api, sandbox, t2va()))[0] == 402
    assert sandbox.stats()["v2"]["creates"] == 0


@pytest.mark.parametrize(
    ("knob", "status", "kind", "message"),
    [
        ("rate_limit_error_rate", 429, "rate_limit_error", "rate limit, please retry later (1002)"),
        ("v2_server_error_rate", 500, "server_error", "internal error (1000)"),
        (
            "v2_overloaded_error_rate",
            529,
            "overloaded_error",
            "service overloaded, please retry later (1000)",
        ),
    ],
)
def test_injected_errors_create_nothing(
    sandbox: SandboxServer, api: requests.Session, knob: str, status: int, kind: str, message: str
) -> None:
    setattr(sandbox.config, knob, 1.0)
    for response in (post(api, sandbox, t2va()), query_response(api, sandbox, "1"), listing(api, sandbox)):
        assert error_of(response) == (status, kind, message)
    stats = sandbox.stats()["v2"]
    assert stats["creates"] == 0
    assert stats["errors_by_status"] == {str(status): 3}
    assert sum(stats["injected_faults"].values()) == 3


def test_gateway_502_pages(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.gateway_error_rate = 1.0
    for response in (
        post(api, sandbox, t2va()),
        query_response(api, sandbox, "1"),
        delete(api, sandbox, "1"),
    ):
        assert response.status_code == 502
        assert response.headers["Content-Type"].startswith("text/html")
        assert "<h1>502 Bad Gateway</h1>" in response.text
    stats = sandbox.stats()["v2"]
    assert (stats["creates"], stats["injected_faults"]["gateway_error"]) == (0, 3)
    assert stats["create_calls"] == 1


def test_created_then_502_leaves_a_task_to_reconcile(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.v2_create_502_after_commit_rate = 1.0
    response = post(api, sandbox, t2va())
    assert response.status_code == 502
    assert "<html>" in response.text
    listed = listing(api, sandbox).json()
    assert listed["total"] == 1
    assert sandbox.stats()["v2"]["creates"] == 1
    assert sandbox.stats()["v2"]["injected_faults"] == {"created_then_502": 1}


def test_create_timeout_after_commit_and_slow_answers(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.create_timeout_after_commit = True
    sandbox.config.create_timeout_hang_seconds = 5
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post(f"{sandbox.url}{CREATE}", json=t2va(), timeout=0.3)
    assert sandbox.config.create_timeout_after_commit is False
    assert listing(api, sandbox).json()["total"] == 1
    sandbox.config.slow_seconds = 0.3
    started = time.monotonic()
    listing(api, sandbox)
    assert time.monotonic() - started >= 0.3
    assert sandbox.stats()["v2"]["injected_faults"]["slow"] >= 1


def test_fault_seed_replays_v2_faults(api: requests.Session) -> None:
    def run() -> list[int]:
        config = SandboxConfig(gateway_error_rate=0.3, v2_server_error_rate=0.3, fault_seed=7)
        with SandboxServer(config) as server:
            return [query_response(api, server, "1").status_code for _ in range(30)]

    first = run()
    assert first == run()
    assert {400, 500, 502} <= set(first)


# -- capacity -----------------------------------------------------------------------------------------


def test_rpm_counts_every_v2_request_in_a_sliding_window(
    sandbox: SandboxServer, api: requests.Session
) -> None:
    assert sandbox.config.v2_rate_limit_rpm == 300
    sandbox.config.v2_rate_limit_rpm = 3
    sandbox.config.v2_rate_limit_window_seconds = 2.0  # outlasts the 5 calls on a loaded machine
    task_id = create(api, sandbox, t2va())
    query(api, sandbox, task_id)
    assert listing(api, sandbox).status_code == 200
    refused = post(api, sandbox, t2va())
    assert error_of(refused) == (429, "rate_limit_error", "rate limit, please retry later (1002)")
    assert error_of(query_response(api, sandbox, task_id))[0] == 429
    time.sleep(2.05)
    assert query_response(api, sandbox, task_id).status_code == 200
    stats = sandbox.stats()["v2"]
    assert (stats["creates"], stats["rate_limited"]) == (1, 2)
    # Accounts are limited separately.
    assert (
        requests.get(f"{sandbox.url}/v2/query/video_generation", headers=TOKEN_PLAN, timeout=5).status_code
        == 200
    )


def test_rpm_can_count_creates_only(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.v2_rate_limit_rpm = 1
    sandbox.config.v2_rate_limit_creates_only = True
    task_id = create(api, sandbox, t2va())
    for _ in range(5):
        query(api, sandbox, task_id)
    assert error_of(post(api, sandbox, t2va()))[0] == 429


def test_in_flight_cap(held_sandbox: SandboxServer, api: requests.Session) -> None:
    assert held_sandbox.config.v2_in_flight_cap == 30
    held_sandbox.config.v2_in_flight_cap = 3
    ids = [create(api, held_sandbox, t2va(duration=4 + i)) for i in range(3)]
    refused = post(api, held_sandbox, t2va(duration=10))
    status, kind, message = error_of(refused)
    assert (status, kind) == (429, "rate_limit_error")
    assert message == "rate limit, too many tasks in progress (queued or running), please retry later (1002)"
    # Context-IR makes no video and does not count.
    create(
        api,
        held_sandbox,
        {"model": "MiniMax-H3", "content": [text()], "duration": 5, "ratio": "16:9"},
        CONTEXT_IR,
    )
    # Another account has its own cap.
    assert (
        requests.post(f"{held_sandbox.url}{CREATE}", json=t2va(), headers=TOKEN_PLAN, timeout=5).status_code
        == 402
    )
    assert delete(api, held_sandbox, ids[0]).status_code == 200
    create(api, held_sandbox, t2va(duration=10))
    held_sandbox.config.v2_in_flight_cap_code = 1041
    assert error_of(post(api, held_sandbox, t2va()))[2].endswith("(1041)")
    stats = held_sandbox.stats()["v2"]
    assert (stats["creates"], stats["in_flight"], stats["max_in_flight"], stats["in_flight_refusals"]) == (
        4,
        3,
        3,
        2,
    )


def test_finished_tasks_free_the_cap(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.v2_in_flight_cap = 2
    first = [create(api, sandbox, t2va(duration=4 + i)) for i in range(2)]
    assert error_of(post(api, sandbox, t2va()))[0] == 429
    for task_id in first:
        wait_status(api, sandbox, task_id, "succeeded")
    create(api, sandbox, t2va(duration=12))
    create(api, sandbox, t2va(duration=13))
    assert sandbox.stats()["v2"]["max_in_flight"] == 2


def tasks(receiver: Receiver) -> list[dict[str, Any]]:
    """The VideoTasks pushed so far (each push is ``{"task": ...}``)."""
    return [body["task"] for body in receiver.pushes()]


async def acreate(session: aiohttp.ClientSession, server: SandboxServer, body: dict[str, Any]) -> int:
    async with session.post(f"{server.url}{CREATE}", json=body) as response:
        await response.read()
        return response.status


async def test_concurrent_creates_never_exceed_the_cap(
    held_sandbox: SandboxServer, receiver: Receiver
) -> None:
    """Creates waiting on their callback challenge hold a slot, so none can slip past the cap."""
    held_sandbox.config.v2_in_flight_cap = 3
    receiver.delay = 0.2
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        statuses = await asyncio.gather(
            *(
                acreate(session, held_sandbox, t2va(duration=4 + i, callback_url=receiver.url))
                for i in range(10)
            )
        )
    assert sorted(statuses) == [200] * 3 + [429] * 7
    stats = held_sandbox.stats()["v2"]
    assert (stats["creates"], stats["max_in_flight"], stats["in_flight"]) == (3, 3, 3)


def test_duplicate_creations_are_counted(sandbox: SandboxServer, api: requests.Session) -> None:
    body = t2va()
    create(api, sandbox, body)
    create(api, sandbox, dict(reversed(list(body.items()))))  # same body, other key order
    create(api, sandbox, t2va(duration=6))
    stats = sandbox.stats()["v2"]
    assert stats["duplicate_creates"] == 1
    assert sorted(e["count"] for e in stats["creates_by_body"].values()) == [1, 2]
    assert {e["prompt"] for e in stats["creates_by_body"].values()} == {"a red fox running through snow"}


# -- callbacks ----------------------------------------------------------------------------------------


async def wait_for(predicate: Any, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_callbacks_send_the_v2_body_on_every_status(sandbox: SandboxServer, receiver: Receiver) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{sandbox.url}{CREATE}", json=t2va(callback_url=receiver.url)) as response:
            task_id = (await response.json())["task_id"]
        assert "challenge" in receiver.bodies[0]
        await wait_for(lambda: len(tasks(receiver)) == 3)
        queued, running, succeeded = tasks(receiver)
        assert [queued["status"], running["status"], succeeded["status"]] == [
            "queued",
            "running",
            "succeeded",
        ]
        assert {t["id"] for t in tasks(receiver)} == {task_id}
        assert {key for body in receiver.bodies[1:] for key in body} == {"task"}
        assert queued["usage"] == {}
        assert succeeded["usage"]["output_seconds"] == 5
        async with session.get(succeeded["content"]["url"]) as video:
            assert video.status == 200
    stats = sandbox.stats()["v2"]
    assert (stats["callback_checks"], stats["callbacks_sent"]) == (1, 3)
    assert sandbox.stats()["callback_checks"] == 0  # the v1 counters are v1's


async def test_callbacks_for_failures_and_cancellation(
    held_sandbox: SandboxServer, sandbox: SandboxServer, receiver: Receiver
) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        body = t2va(content=[text("SANDBOX_SENSITIVE_OUTPUT")], callback_url=receiver.url)
        async with session.post(f"{sandbox.url}{CREATE}", json=body):
            pass
        await wait_for(lambda: len(tasks(receiver)) == 3)
        failed = tasks(receiver)[-1]
        assert (failed["status"], failed["error"]["code"]) == ("failed", "1027")
        receiver.bodies.clear()
        async with session.post(
            f"{held_sandbox.url}{CREATE}", json=t2va(callback_url=receiver.url)
        ) as response:
            task_id = (await response.json())["task_id"]
        await wait_for(lambda: len(tasks(receiver)) == 1)
        async with session.delete(f"{held_sandbox.url}/v2/video_generation/{task_id}") as response:
            assert response.status == 200
        await wait_for(lambda: len(tasks(receiver)) == 2)
        assert [t["status"] for t in tasks(receiver)] == ["queued", "cancelled"]


async def test_callback_check_failure_rejects_the_create(sandbox: SandboxServer, receiver: Receiver) -> None:
    sandbox.config.callback_timeout_seconds = 0.2
    receiver.delay = 0.5
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for url in (receiver.url, "http://127.0.0.1:9/hook"):
            async with session.post(f"{sandbox.url}{CREATE}", json=t2va(callback_url=url)) as response:
                assert response.status == 400
                body = await response.json()
                assert body["error"]["message"] == "invalid params, fail to check callback url (2013)"
    stats = sandbox.stats()["v2"]
    assert (stats["creates"], stats["callback_check_failures"], stats["in_flight"]) == (0, 2, 0)


# -- counters and reset -------------------------------------------------------------------------------


def test_per_endpoint_counters_and_reset(sandbox: SandboxServer, api: requests.Session) -> None:
    a = create(api, sandbox, t2va())
    create(api, sandbox, t2va(model="MiniMax-H3-Max", resolution="480P"))
    post(api, sandbox, t2va(duration=99))
    wait_status(api, sandbox, a, "succeeded")
    listing(api, sandbox)
    delete(api, sandbox, a)
    stats = requests.get(f"{sandbox.url}/sandbox/stats", timeout=5).json()
    v2 = stats["v2"]
    assert (v2["create_calls"], v2["creates"], v2["lists"], v2["delete_calls"], v2["deleted"]) == (
        3,
        2,
        1,
        1,
        1,
    )
    assert v2["queries"] >= 1
    assert v2["creates_by_model"] == {"MiniMax-H3": 1, "MiniMax-H3-Max": 1}
    assert v2["errors_by_code"] == {"2013": 1}
    assert [t["model"] for t in v2["created_tasks"]] == ["MiniMax-H3", "MiniMax-H3-Max"]
    assert (stats["create_calls"], stats["creates"], stats["queries"]) == (0, 0, 0)  # v1 counters untouched
    assert stats["downloads"] == 0
    requests.post(f"{sandbox.url}/sandbox/reset", timeout=5)
    v2 = sandbox.stats()["v2"]
    assert (v2["creates"], v2["tasks"], v2["max_in_flight"], v2["creates_by_body"]) == (0, {}, 0, {})


def test_config_knobs_are_settable_over_http(sandbox: SandboxServer) -> None:
    url = f"{sandbox.url}/sandbox/config"
    changed = requests.post(
        url, json={"v2_in_flight_cap": 5, "v2_rate_limit_rpm": None, "token_plan_keys": ["k"]}, timeout=5
    )
    assert changed.status_code == 200
    assert (
        sandbox.config.v2_in_flight_cap,
        sandbox.config.v2_rate_limit_rpm,
        sandbox.config.token_plan_keys,
    ) == (5, None, ("k",))
    for bad in ({"v2_in_flight_cap_code": 1003}, {"v2_server_error_rate": 2}, {"v2_in_flight_cap": -1}):
        assert requests.post(url, json=bad, timeout=5).status_code == 400


def test_v2_sandbox_imports_no_client_code() -> None:
    """A fake that shares the client's assumptions cannot catch them: v2 stays self-contained.

    It may use the sandbox's own v1 error shape and prompt markers (and the state, for typing), and
    those import nothing of the provider either.
    """
    sandbox_dir = Path(__file__).resolve().parents[2] / "airflow_provider_hailuo" / "sandbox"
    shared = {"errors", "markers", "state"}
    modules = [
        *sandbox_dir.joinpath("v2").glob("*.py"),
        sandbox_dir / "errors.py",
        sandbox_dir / "markers.py",
    ]
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level > 0 or not (node.module or "").startswith("airflow_provider_hailuo"), module
                if node.level == 2:
                    assert node.module in shared, (module.name, node.module)
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("airflow_provider_hailuo") for a in node.names), module
