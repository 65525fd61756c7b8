"""HailuoHook over real HTTP against the sandbox server, sync and async."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from typing import Any

import pytest
import requests

from airflow_provider_hailuo.error_codes import CreateOutcome
from airflow_provider_hailuo.exceptions import (
    HailuoAPIError,
    HailuoAuthenticationError,
    HailuoConfigurationError,
    HailuoError,
    HailuoHTTPError,
    HailuoInputSensitiveError,
    HailuoInsufficientBalanceError,
    HailuoInvalidAPIKeyError,
    HailuoInvalidParamsError,
    HailuoRateLimitError,
    HailuoTransportError,
)
from airflow_provider_hailuo.hooks.hailuo import (
    HailuoConnectionSettings,
    HailuoHook,
    close_shared_client_session,
    settings_from_connection,
    shared_client_session,
)
from airflow_provider_hailuo.protocol import VideoStatus
from airflow_provider_hailuo.retry import RetryPolicy, create_may_have_happened

FAST_RETRY = RetryPolicy(max_attempts=6, initial_delay=0.01, max_delay=0.05, rate_limit_min_delay=0.01)
PAYLOAD = {"model": "MiniMax-Hailuo-02", "prompt": "a panda walks in a bamboo forest [Push in]"}


def hook_for(sandbox: Any, key: str = "sandbox-key", retry: RetryPolicy = FAST_RETRY) -> HailuoHook:
    return HailuoHook(settings=HailuoConnectionSettings(key, sandbox.url, None, 10.0), retry_policy=retry)


def test_connection_from_env_json(sandbox: Any) -> None:
    hook = HailuoHook()
    assert hook.settings.base_url == sandbox.url
    assert "sandbox-key" not in repr(hook.settings)


def test_connection_without_key_is_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_NOKEY", json.dumps({"conn_type": "hailuo", "host": "api.minimax.io"})
    )
    with pytest.raises(HailuoConfigurationError, match="no API key"):
        _ = HailuoHook("hailuo_nokey").settings


def test_connection_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_X",
        json.dumps(
            {
                "conn_type": "hailuo",
                "password": "k",
                "extra": {"group_id": "g-1", "request_timeout": "12"},
            }
        ),
    )
    s = HailuoHook("hailuo_x").settings
    assert (s.base_url, s.group_id, s.timeout) == ("https://api.minimaxi.com", "g-1", 12.0)


def test_create_query_retrieve_download(sandbox: Any, tmp_path: Any) -> None:
    hook = hook_for(sandbox)
    task_id = hook.create_video_generation_from_payload({**PAYLOAD, "resolution": "1080P"})
    assert task_id.isdigit() and len(task_id) >= 15
    first = hook.get_video_generation(task_id)
    assert first.status in (VideoStatus.PREPARING, VideoStatus.QUEUEING, VideoStatus.PROCESSING)
    final = hook.wait_for_video_generation(task_id, poll_interval=0.05, timeout=20)
    assert final.status is VideoStatus.SUCCESS
    assert (final.video_width, final.video_height) == (1920, 1080)
    assert isinstance(final.file_id, str)
    f = hook.retrieve_file(final.file_id)
    assert f.file_id == final.file_id and f.bytes and f.filename == "output_aigc.mp4"
    result = hook.download_file(f.file_id, tmp_path / "v.mp4")
    expected = requests.get(f"{sandbox.url}/sandbox/files/{f.file_id}/sha256", timeout=10).json()
    assert result.sha256 == expected["sha256"] and result.bytes == expected["bytes"] == f.bytes
    assert (tmp_path / "v.mp4").stat().st_size == f.bytes
    buf = io.BytesIO()
    assert hook.download_file(f.file_id, buf).sha256 == expected["sha256"]
    assert sandbox.stats()["creates"] == 1


def test_create_validates_and_resolves_params(sandbox: Any) -> None:
    hook = hook_for(sandbox)
    with pytest.raises(ValueError, match="resolution"):
        hook.create_video_generation(model="MiniMax-Hailuo-02", prompt="x", resolution="512P")
    assert sandbox.stats()["create_calls"] == 0
    assert hook.create_video_generation(model="T2V-01-Director", prompt="镜头[推进]拍摄人物").isdigit()


def test_group_id_is_accepted(sandbox: Any) -> None:
    hook = HailuoHook(settings=HailuoConnectionSettings("sandbox-key", sandbox.url, "group-7", 10.0))
    assert hook.create_video_generation_from_payload(PAYLOAD).isdigit()


@pytest.mark.parametrize(
    ("key", "exc"),
    [("wrong-key", HailuoAuthenticationError), ("sandbox-other-region-key", HailuoInvalidAPIKeyError)],
)
def test_auth_errors_are_permanent(sandbox: Any, key: str, exc: type[Exception]) -> None:
    hook = hook_for(sandbox, key)
    with pytest.raises(exc) as info:
        hook.create_video_generation_from_payload(PAYLOAD)
    assert info.value.permanent  # type: ignore[attr-defined]
    assert key not in str(info.value)
    assert sandbox.stats()["create_calls"] == 1  # not retried


def test_business_errors(sandbox: Any) -> None:
    hook = hook_for(sandbox)
    with pytest.raises(HailuoInputSensitiveError):
        hook.create_video_generation_from_payload({**PAYLOAD, "prompt": "SANDBOX_SENSITIVE words"})
    with pytest.raises(HailuoInvalidParamsError):
        hook.create_video_generation_from_payload({**PAYLOAD, "resolution": "4K"})
    sandbox.config.balance_exhausted = True
    with pytest.raises(HailuoInsufficientBalanceError):
        hook.create_video_generation_from_payload(PAYLOAD)
    assert sandbox.stats()["creates"] == 0


def test_output_moderation_is_a_failed_status(sandbox: Any) -> None:
    hook = hook_for(sandbox)
    task_id = hook.create_video_generation_from_payload(
        {**PAYLOAD, "prompt": "SANDBOX_SENSITIVE_OUTPUT here"}
    )
    final = hook.wait_for_video_generation(task_id, poll_interval=0.05, timeout=20)
    assert final.status is VideoStatus.FAIL and final.error_code == 1027


def test_get_retries_through_gateway_pages_and_rate_limits(sandbox: Any) -> None:
    hook = hook_for(sandbox)
    task_id = hook.create_video_generation_from_payload(PAYLOAD)
    sandbox.config.gateway_error_rate = 0.3
    sandbox.config.rate_limit_error_rate = 0.2
    sandbox.config.fault_seed = 7
    for _ in range(20):
        assert hook.get_video_generation(task_id).video_task_id == task_id
    assert sum(sandbox.stats()["injected_faults"].values()) > 0


def test_create_is_retried_on_rate_limit_only_when_nothing_was_created(sandbox: Any) -> None:
    hook = hook_for(sandbox)
    sandbox.config.rate_limit_rpm = 1
    hook.create_video_generation_from_payload(PAYLOAD)
    with pytest.raises(HailuoRateLimitError):
        hook.create_video_generation_from_payload(PAYLOAD)
    stats = sandbox.stats()
    assert stats["creates"] == 1 and stats["create_calls"] == 1 + FAST_RETRY.max_attempts


def test_gateway_502_after_the_task_was_created_is_never_resubmitted(sandbox: Any) -> None:
    """A gateway can answer 502 after the backend took the POST: one POST, one task, an ambiguous error."""
    hook = hook_for(sandbox)
    sandbox.config.create_gateway_error_after_commit = True
    with pytest.raises(HailuoHTTPError) as info:
        hook.create_video_generation_from_payload(PAYLOAD)
    assert info.value.http_status == 502
    assert info.value.create_outcome is CreateOutcome.AMBIGUOUS and create_may_have_happened(info.value)
    stats = sandbox.stats()
    assert stats["create_calls"] == 1 and stats["creates"] == 1


def test_create_is_not_repeated_after_gateway_pages(sandbox: Any) -> None:
    """Even a 502 decided before the backend ran is indistinguishable from one after it: not repeated."""
    hook = hook_for(sandbox)
    sandbox.config.gateway_error_rate = 1.0
    with pytest.raises(HailuoHTTPError, match="502"):
        hook.create_video_generation_from_payload(PAYLOAD)
    assert sandbox.stats()["create_calls"] == 1


def test_read_timeout_after_create_is_not_resubmitted(sandbox: Any) -> None:
    hook = HailuoHook(
        settings=HailuoConnectionSettings("sandbox-key", sandbox.url, None, 0.5), retry_policy=FAST_RETRY
    )
    sandbox.config.create_timeout_after_commit = True
    sandbox.config.create_timeout_hang_seconds = 2.0
    with pytest.raises(HailuoTransportError) as info:
        hook.create_video_generation_from_payload(PAYLOAD)
    assert info.value.request_sent
    assert sandbox.stats()["creates"] == 1


def test_connection_refused_is_retryable_for_create() -> None:
    hook = HailuoHook(
        settings=HailuoConnectionSettings("k", "http://127.0.0.1:9", None, 2.0),
        retry_policy=RetryPolicy(max_attempts=2, initial_delay=0.0, max_delay=0.0, rate_limit_min_delay=0.0),
    )
    with pytest.raises(HailuoTransportError) as info:
        hook.create_video_generation_from_payload(PAYLOAD)
    assert not info.value.request_sent


def test_retry_warnings_go_to_the_given_logger() -> None:
    """``logger=`` is how a caller outside a task (the CLI) receives the hook's retry warnings."""
    records: list[logging.LogRecord] = []
    logger = logging.getLogger("tests.hook.retries")
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        hook = HailuoHook(
            settings=HailuoConnectionSettings("k", "http://127.0.0.1:9", None, 2.0),
            retry_policy=RetryPolicy(
                max_attempts=2, initial_delay=0.0, max_delay=0.0, rate_limit_min_delay=0.0
            ),
            logger=logger,
        )
        with pytest.raises(HailuoTransportError):
            hook.get_video_generation("1")
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage().split(",")[0] for r in records] == ["Hailuo call failed (attempt 1 of 2)"]


@pytest.mark.parametrize("pasted", ["sandbox-key\n", "  sandbox-key \r\n", "\tsandbox-key"])
async def test_key_pasted_with_whitespace_works_sync_and_async(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch, pasted: str
) -> None:
    """A key pasted from a file keeps its newline: stripped where the key is read, for both paths."""
    from airflow_provider_hailuo.hooks.hailuo import clear_connection_cache

    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_PASTED",
        json.dumps({"conn_type": "hailuo", "host": sandbox.url, "password": pasted}),
    )
    clear_connection_cache()
    hook = HailuoHook("hailuo_pasted", retry_policy=FAST_RETRY)
    task_id = hook.create_video_generation_from_payload(PAYLOAD)
    assert (await hook.aget_video_generation_once(task_id)).video_task_id == task_id  # the trigger's path
    await close_shared_client_session()
    assert HailuoConnectionSettings(pasted, sandbox.url).api_key == "sandbox-key"
    assert sandbox.stats()["creates"] == 1 and sandbox.stats()["queries"] == 1


@pytest.mark.parametrize("bad", ["sandbox\nkey", "sandbox key", "sandbox-ключ"])
def test_key_that_cannot_be_sent_fails_before_sending(sandbox: Any, bad: str) -> None:
    """A key no HTTP header can carry is a configuration error, never "a task may be billed"."""
    with pytest.raises(HailuoConfigurationError, match="API key") as info:
        hook_for(sandbox, bad).create_video_generation_from_payload(PAYLOAD)
    assert bad not in str(info.value) and "billed" not in str(info.value)
    assert sandbox.stats()["create_calls"] == 0


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_header_refused_by_the_http_library_counts_as_not_sent(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    """requests and aiohttp raise ValueError for a header they will not send: nothing left the machine."""
    from airflow_provider_hailuo.hooks import hailuo as hook_module

    def bad_headers(api_key: str, *, with_body: bool) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}\r\nX-Injected: 1"}

    monkeypatch.setattr(hook_module, "build_headers", bad_headers)
    hook = hook_for(sandbox, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(HailuoTransportError) as info:
        if api == "sync":
            hook.create_video_generation_from_payload(PAYLOAD)
        else:  # the async path (the trigger) only queries
            await hook.aget_video_generation_once("1")
    await close_shared_client_session()
    assert not info.value.request_sent and not create_may_have_happened(info.value)
    assert "sandbox-key" not in str(info.value)
    stats = sandbox.stats()
    assert stats["create_calls"] == 0 and stats["queries"] == 0


def test_test_connection(sandbox: Any) -> None:
    assert hook_for(sandbox).test_connection()[0] is True
    ok, msg = hook_for(sandbox, "bad").test_connection()
    assert not ok and "1004" in msg and "bad" not in msg
    ok, msg = hook_for(sandbox, "sandbox-other-region-key").test_connection()
    assert not ok and "region" in msg


def test_test_connection_detects_wrong_region(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_hailuo.hooks import hailuo as hook_module
    from airflow_provider_hailuo.sandbox import SandboxConfig, SandboxServer

    other = SandboxServer(
        SandboxConfig(api_keys=("sandbox-other-region-key",), other_region_keys=("sandbox-key",))
    ).start()
    try:
        monkeypatch.setitem(hook_module.REGION_COUNTERPARTS, sandbox.url, other.url)
        ok, msg = hook_for(sandbox, "sandbox-other-region-key").test_connection()
        assert not ok and "Wrong region" in msg and other.url in msg
    finally:
        other.stop()


def test_user_agent_names_provider_on_every_call(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_hailuo import __version__

    hook = hook_for(sandbox)
    sent: list[str] = []
    real = hook.session.request

    def spy(*args: Any, **kwargs: Any) -> Any:
        sent.append(kwargs["headers"]["User-Agent"])
        return real(*args, **kwargs)

    monkeypatch.setattr(hook.session, "request", spy)
    task_id = hook.create_video_generation_from_payload(PAYLOAD)
    hook.get_video_generation(task_id)
    assert sent == [f"airflow-provider-hailuo/{__version__}"] * 2


def test_sync_wait_polls_once_per_round_until_its_deadline(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway that never recovers ends the wait at its deadline, with one query per poll (no inner
    retry loop multiplying them) and a timeout that names the outage."""
    from airflow_provider_hailuo.exceptions import HailuoWaitTimeoutError

    hook = hook_for(sandbox)
    task_id = hook.create_video_generation_from_payload(PAYLOAD)
    polls = []
    real = hook.get_video_generation_once
    monkeypatch.setattr(hook, "get_video_generation_once", lambda t, **kw: polls.append(t) or real(t, **kw))
    before = sandbox.stats()["queries"]
    sandbox.config.gateway_error_rate = 1.0
    sandbox.config.fault_seed = 1
    with pytest.raises(HailuoWaitTimeoutError, match="MiniMax unreachable since"):
        hook.wait_for_video_generation(task_id, poll_interval=0.05, timeout=1)
    assert len(polls) > 10 and sandbox.stats()["queries"] - before == len(polls)


def test_download_resumes_after_cut_and_refreshes_expired_url(sandbox: Any, capsys: Any) -> None:
    hook = hook_for(sandbox)
    sandbox.config.video_bytes = 3 * 1024 * 1024
    task_id = hook.create_video_generation_from_payload(PAYLOAD)
    final = hook.wait_for_video_generation(task_id, poll_interval=0.05, timeout=20)
    assert final.file_id
    expected = requests.get(f"{sandbox.url}/sandbox/files/{final.file_id}/sha256", timeout=10).json()
    sandbox.config.cut_download_after_bytes = 1024 * 1024
    result = hook.download_file(final.file_id, io.BytesIO())
    assert result.sha256 == expected["sha256"]
    sandbox.config.cut_download_after_bytes = None
    stream = hook.open_video_stream(final.file_id)
    sandbox.config.download_url_ttl_seconds = 0.01
    stream.file = hook.retrieve_file(final.file_id)  # minted with a tiny lifetime
    sandbox.config.download_url_ttl_seconds = 3600
    import time

    time.sleep(0.05)
    data = stream.read()
    assert stream.url_refreshes == 1 and len(data) == expected["bytes"]
    out = capsys.readouterr().out
    assert "interrupted at byte 1048576" in out and "expired" in out
    assert "/sandbox/download/" not in out  # signed URLs are never logged


async def test_async_query_shares_one_session(sandbox: Any) -> None:
    task_id = hook_for(sandbox).create_video_generation_from_payload(PAYLOAD)
    s1 = shared_client_session()
    results = await asyncio.gather(*(HailuoHook().aget_video_generation_once(task_id) for _ in range(20)))
    assert all(r.video_task_id == task_id for r in results)
    assert shared_client_session() is s1
    await close_shared_client_session()


async def test_async_poll_picks_up_a_rotated_key_once_the_cached_connection_expires(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trigger's hook prepares its query once, but never past the connection cache's lifetime."""
    from airflow_provider_hailuo.hooks.hailuo import clear_connection_cache

    task_id = hook_for(sandbox).create_video_generation_from_payload(PAYLOAD)
    hook = HailuoHook()  # one hook for the whole wait, as a trigger has
    assert (await hook.aget_video_generation_once(task_id)).video_task_id == task_id

    def connection(key: str) -> None:
        monkeypatch.setenv(
            "AIRFLOW_CONN_HAILUO_DEFAULT",
            json.dumps({"conn_type": "hailuo", "host": sandbox.url, "password": key}),
        )
        clear_connection_cache()  # what the 300 s expiry does

    connection("wrong-key")
    with pytest.raises(HailuoAuthenticationError):
        await hook.aget_video_generation_once(task_id)
    connection("sandbox-key")
    assert (await hook.aget_video_generation_once(task_id)).video_task_id == task_id
    await close_shared_client_session()


async def test_async_poll_of_another_task_on_the_same_hook(sandbox: Any) -> None:
    sync = hook_for(sandbox)
    first, second = (sync.create_video_generation_from_payload(PAYLOAD) for _ in range(2))
    hook = hook_for(sandbox)
    assert (await hook.aget_video_generation_once(first)).video_task_id == first
    assert (await hook.aget_video_generation_once(second)).video_task_id == second
    assert (await hook.aget_video_generation_once(first)).video_task_id == first
    await close_shared_client_session()


async def test_async_poll_with_an_unusable_url_is_a_transport_error() -> None:
    hook = HailuoHook(settings=HailuoConnectionSettings("sandbox-key", "http://127.0.0.1:99999", None, 5.0))
    with pytest.raises(HailuoTransportError, match="GET /v1/query/video_generation"):
        await hook.aget_video_generation_once("123")
    await close_shared_client_session()


async def _scripted_api(answers: list[tuple[int, dict[str, Any]]]) -> tuple[asyncio.Server, str]:
    """A server that gives ``answers`` (HTTP status, JSON body) in order, one per request."""
    pending = list(answers)

    async def api(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        code, obj = pending.pop(0)
        body = json.dumps(obj).encode()
        head = f"HTTP/1.1 {code} X\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(api, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_async_poll_parses_a_repeated_answer_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The trigger's poll parses an answer identical to the last one that parsed only once; any other
    answer (a change of status, the same body with another HTTP status) is parsed as always."""
    from airflow_provider_hailuo.protocol import v1

    processing = {"task_id": "7", "status": "Processing", "base_resp": {"status_code": 0, "status_msg": "ok"}}
    success = {**processing, "status": "Success", "file_id": "42"}
    server, url = await _scripted_api(
        [(200, processing), (200, processing), (503, processing), (200, processing), (200, success)]
    )
    parsed: list[str] = []
    real_parse = v1.parse_query_response

    def counting_parse(raw: Any, task_id: str) -> Any:
        parsed.append(raw.body.decode())
        return real_parse(raw, task_id)

    monkeypatch.setattr(v1, "parse_query_response", counting_parse)
    hook = HailuoHook(settings=HailuoConnectionSettings("k", url, None, 5.0))
    try:
        first = await hook.aget_video_generation_once("7")
        assert first.status is VideoStatus.PROCESSING
        assert await hook.aget_video_generation_once("7") is first  # the same bytes: not parsed again
        with pytest.raises(HailuoHTTPError):  # the same bytes with a 503 are an error, as always
            await hook.aget_video_generation_once("7")
        assert await hook.aget_video_generation_once("7") is first
        done = await hook.aget_video_generation_once("7")
        assert (done.status, done.file_id) == (VideoStatus.SUCCESS, "42")
    finally:
        server.close()
        await close_shared_client_session()
    assert len(parsed) == 3  # the first answer, the 503 and the Success


async def test_shared_session_caps_concurrent_connections() -> None:
    """However many triggers poll at once, a triggerer opens at most ASYNC_CONNECTION_LIMIT connections."""
    from airflow_provider_hailuo.hooks.hailuo import ASYNC_CONNECTION_LIMIT

    open_now, peak = 0, 0
    body = json.dumps({"task_id": "1", "status": "Processing", "base_resp": {"status_code": 0}}).encode()

    async def slow_api(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal open_now, peak
        open_now += 1
        peak = max(peak, open_now)
        try:
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            await asyncio.sleep(0.2)
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            writer.write(head.encode() + body)
            await writer.drain()
        finally:
            writer.close()
            open_now -= 1

    server = await asyncio.start_server(slow_api, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    await close_shared_client_session()
    try:
        hook = HailuoHook(settings=HailuoConnectionSettings("k", url, None, 30.0))
        polls = [HailuoHook(settings=hook.settings).aget_video_generation_once("1") for _ in range(150)]
        assert all(s.status is VideoStatus.PROCESSING for s in await asyncio.gather(*polls))
    finally:
        server.close()
        await close_shared_client_session()
    assert peak == ASYNC_CONNECTION_LIMIT


async def test_async_connection_lookup(sandbox: Any) -> None:
    settings = await HailuoHook().aget_settings()
    assert settings.base_url == sandbox.url
    await close_shared_client_session()


async def test_async_lookup_reads_extras_without_touching_extra_dejson_on_the_loop(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before Airflow 3.3.2, ``extra_dejson`` on the event loop fails (sync call to the supervisor).

    The trigger used to swallow that and run without its extras (no group_id, default timeout, no
    ``api_key`` extra): here ``extra_dejson`` fails the same way whenever called on a loop thread.
    """
    import asyncio

    from airflow.providers.common.compat.connection import get_async_connection

    from airflow_provider_hailuo.hooks.hailuo import clear_connection_cache

    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_EXTRAS",
        json.dumps(
            {
                "conn_type": "hailuo",
                "extra": {
                    "api_key": "key-from-extra",
                    "base_url": sandbox.url,
                    "group_id": "g-7",
                    "request_timeout": "42",
                },
            }
        ),
    )
    conn_type = type(await get_async_connection("hailuo_extras"))
    real = conn_type.extra_dejson

    def guarded(self: Any) -> Any:
        # Only our code is held to it: Airflow's own async lookup (3.2) reads extra_dejson on the loop
        # for an environment-variable connection, which needs no supervisor call and works.
        caller = sys._getframe(1).f_globals.get("__name__", "")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return real.fget(self)  # type: ignore[attr-defined]
        if not caller.startswith("airflow_provider_hailuo"):
            return real.fget(self)  # type: ignore[attr-defined]
        raise RuntimeError("You cannot use AsyncToSync in the same thread as an async event loop")

    monkeypatch.setattr(conn_type, "extra_dejson", property(guarded))
    clear_connection_cache()
    settings = await HailuoHook("hailuo_extras").aget_settings()
    assert (settings.base_url, settings.group_id, settings.timeout) == (sandbox.url, "g-7", 42.0)
    assert settings.api_key == "key-from-extra"
    clear_connection_cache()
    await close_shared_client_session()


def test_settings_from_connection_bad_timeout() -> None:
    class Conn:
        conn_id = "c"
        password = "k"
        host = "api.minimax.io"
        port = None
        login = None
        extra_dejson = {"request_timeout": "soon"}

    with pytest.raises(HailuoConfigurationError, match="request_timeout"):
        settings_from_connection(Conn())


async def test_async_path_honours_proxy_environment(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A triggerer behind a corporate proxy must use it, as requests does on the sync path."""
    import asyncio

    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readline())
        writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await close_shared_client_session()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    from airflow_provider_hailuo.hooks.hailuo import clear_connection_cache

    clear_connection_cache()  # proxies are looked up once per base URL, like connections
    try:
        with pytest.raises(HailuoError):
            await hook_for(sandbox).aget_video_generation_once("123")
    finally:
        server.close()
        await close_shared_client_session()
    assert seen and seen[0].startswith(f"GET {sandbox.url}/v1/query/video_generation".encode())


# -- the sync wait (operator without deferral, the CLI) -------------------------------------------------
def test_sync_wait_outlasts_more_than_ten_failed_polls_in_a_row(sandbox: Any, capsys: Any) -> None:
    """With a fast backoff, ten 502s in a row used to end the wait; only the deadline may end it now."""
    hook = hook_for(sandbox)
    task_id = hook.create_video_generation_from_payload(PAYLOAD)
    sandbox.config.outage_answer = "gateway"
    sandbox.config.outage_seconds = 3.0
    final = hook.wait_for_video_generation(task_id, poll_interval=0.05, timeout=30)
    assert final.status is VideoStatus.SUCCESS
    assert sandbox.stats()["injected_faults"]["outage"] > 10
    text = capsys.readouterr().out
    assert text.count("MiniMax unreachable since") == 1 and text.count("reachable again") == 1
    assert text.count("HTTP 502") <= 2  # one line per state change, not one per failed poll


@pytest.mark.parametrize(
    ("key", "task", "code"),
    [
        ("sandbox-other-region-key", None, 2049),
        ("nope", None, 1004),
        ("sandbox-key", "100000000000001", 2013),
    ],
)
def test_sync_wait_ends_at_once_on_a_permanent_answer(
    sandbox: Any, key: str, task: str | None, code: int
) -> None:
    task_id = task or hook_for(sandbox).create_video_generation_from_payload(PAYLOAD)
    before = sandbox.stats()["queries"]
    with pytest.raises(HailuoAPIError) as info:
        hook_for(sandbox, key).wait_for_video_generation(task_id, poll_interval=0.05, timeout=30)
    assert info.value.code == code and sandbox.stats()["queries"] - before == 1
