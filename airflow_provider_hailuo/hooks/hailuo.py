"""HailuoHook: the connection, credentials and every call to the MiniMax video API.

Sync methods (``requests``, one pooled session per hook) serve operators, the sensor, the transfer and
the CLI. Async methods (``aiohttp``) serve the trigger: the connection is fetched asynchronously and
cached briefly, and one ``ClientSession`` per event loop is shared by all triggers of a triggerer, so
5000 waiting videos do not mean 5000 TLS handshakes per poll round. Both paths build requests and
parse answers through :mod:`airflow_provider_hailuo.protocol` and retry through
:mod:`airflow_provider_hailuo.retry`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

import aiohttp
import requests
from airflow.providers.common.compat.sdk import BaseHook
from multidict import CIMultiDict, CIMultiDictProxy
from requests.adapters import HTTPAdapter
from yarl import URL

from airflow_provider_hailuo.capacity import DEFAULT_LIMITS, CapacityLimits, limits_from_extra
from airflow_provider_hailuo.catalogue import api_version_for
from airflow_provider_hailuo.exceptions import (
    HailuoAPIError,
    HailuoConfigurationError,
    HailuoError,
    HailuoInvalidAPIKeyError,
    HailuoTransportError,
    scrub,
)

# The shared session's names that callers import from here (the hook's module, before the split).
from airflow_provider_hailuo.hooks.shared_session import ASYNC_CONNECTION_LIMIT as ASYNC_CONNECTION_LIMIT
from airflow_provider_hailuo.hooks.shared_session import (
    ASYNC_SETTINGS_TTL,
    clear_proxy_cache,
    env_proxy,
    shared_client_session,
)
from airflow_provider_hailuo.hooks.shared_session import (
    close_shared_client_session as close_shared_client_session,
)
from airflow_provider_hailuo.hooks.shared_session import shared_session_lease as shared_session_lease
from airflow_provider_hailuo.hooks.v2_tasks import V2TaskCalls
from airflow_provider_hailuo.protocol import (
    ApiRequest,
    HailuoFile,
    RawResponse,
    VideoGenerationStatus,
    build_headers,
    for_version,
    normalise_base_url,
    parse_query_response,
    parse_retrieve_response,
    query_request,
    retrieve_request,
    task_ref,
)
from airflow_provider_hailuo.regions import DEFAULT_HOST, REGION_COUNTERPARTS
from airflow_provider_hailuo.retry import DEFAULT_RETRY_POLICY, RetryPolicy

if TYPE_CHECKING:
    from types import ModuleType

    from airflow_provider_hailuo.download import DownloadResult, HailuoVideoStream

DEFAULT_TIMEOUT = 30.0


def _clean_api_key(value: str) -> str:
    """The key as it can be sent: pasted keys keep a newline or spaces, which are dropped here.

    What is left must fit in an ``Authorization`` header; otherwise the HTTP library refuses the
    header, and that is a configuration error to report before any call, not a failed request.
    """
    key = value.strip()
    if not key:
        raise HailuoConfigurationError("the API key is empty: put the MiniMax API key in the password field")
    for position, char in enumerate(key, 1):
        if not ("!" <= char <= "~"):
            what = "whitespace or a line break" if char.isspace() else "a character outside printable ASCII"
            raise HailuoConfigurationError(
                f"the API key has {what} at character {position} of {len(key)}: MiniMax keys are printable "
                "ASCII; paste the key again (password field, or the variable the CLI reads)"
            )
    return key


@dataclass(frozen=True)
class HailuoConnectionSettings:
    """What a call needs from the connection. ``repr`` hides the key so it never reaches a log.

    Every path (the sync hook, the trigger's async lookup, the CLI) builds one of these, so the key is
    cleaned here, once.
    """

    api_key: str
    base_url: str
    group_id: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    #: The account's limits the generation operator waits within (:mod:`airflow_provider_hailuo.capacity`).
    capacity: CapacityLimits = DEFAULT_LIMITS

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_key", _clean_api_key(str(self.api_key)))

    def __repr__(self) -> str:
        return (
            f"HailuoConnectionSettings(base_url={self.base_url!r}, group_id={self.group_id!r}, api_key=***)"
        )

    # The async path reuses these for every request made with one settings object (the trigger's cache
    # keeps it 300 s) instead of building them on each poll: at thousands of polls a second that
    # rebuilding was a measurable share of a poll (benchmarks/triggerer_scale.py).
    @cached_property
    def aiohttp_timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=self.timeout, sock_connect=min(10.0, self.timeout))

    @cached_property
    def aiohttp_headers(self) -> CIMultiDictProxy[str]:
        """Headers of a request without a body; read-only, so every trigger can share one copy, and in
        aiohttp's own type, so the session does not convert them on every request."""
        return CIMultiDictProxy(CIMultiDict(build_headers(self.api_key, with_body=False)))


async def _async_extra(conn: Any) -> Mapping[str, Any]:
    """The connection's extras without blocking the loop or calling the supervisor from it."""
    try:
        from airflow.providers.common.compat.connection import get_async_extra_dejson
    except ImportError:  # pragma: no cover - older common.compat: the same thing by hand
        from asgiref.sync import sync_to_async

        return dict(await sync_to_async(lambda: conn.extra_dejson)() or {})
    return dict(await get_async_extra_dejson(conn) or {})


def settings_from_connection(conn: Any, extra: Mapping[str, Any] | None = None) -> HailuoConnectionSettings:
    """Settings from a connection; ``extra`` is given by async callers, which must not read ``extra_dejson``.

    (On an event loop, ``extra_dejson`` masks secrets with a synchronous call to the supervisor, which
    fails there on Airflow before 3.3.2; swallowing that failure silently dropped every extra.)
    """
    if extra is None:
        extra = conn.extra_dejson or {}
    api_key = conn.password or extra.get("api_key") or ""
    if not api_key:
        raise HailuoConfigurationError(
            f"connection {conn.conn_id!r} has no API key: put the MiniMax API key in the password field"
        )
    try:
        base_url = normalise_base_url(conn.host or extra.get("base_url"), DEFAULT_HOST)
    except ValueError as err:
        raise HailuoConfigurationError(f"connection {conn.conn_id!r}: {err}") from None
    if conn.port and base_url.count(":") == 1:
        base_url = f"{base_url}:{conn.port}"
    group_id = extra.get("group_id") or conn.login or None
    raw_timeout = extra.get("request_timeout", extra.get("timeout"))
    try:
        timeout = float(raw_timeout) if raw_timeout not in (None, "") else DEFAULT_TIMEOUT
    except (TypeError, ValueError):
        raise HailuoConfigurationError(
            f"connection {conn.conn_id!r}: request_timeout must be a number of seconds, got {raw_timeout!r}"
        ) from None
    if timeout <= 0:
        raise HailuoConfigurationError(f"connection {conn.conn_id!r}: request_timeout must be positive")
    try:
        group = str(group_id) if group_id else None
        return HailuoConnectionSettings(str(api_key), base_url, group, timeout, limits_from_extra(extra))
    except ValueError as err:
        raise HailuoConfigurationError(f"connection {conn.conn_id!r}: {err}") from None
    except HailuoConfigurationError as err:
        raise HailuoConfigurationError(f"connection {conn.conn_id!r}: {err}") from None


def _requests_error(err: Exception, what: str, secret: str) -> HailuoTransportError:
    # A refused or unresolvable connection proves the request never reached MiniMax; so does a ValueError
    # (an invalid header value or URL), raised while the request is built, before a byte is sent.
    text = repr(err)
    not_sent = isinstance(err, (requests.ConnectTimeout, ValueError)) or (
        isinstance(err, requests.ConnectionError)
        and any(s in text for s in ("NewConnectionError", "Connection refused", "NameResolutionError"))
    )
    return HailuoTransportError(
        scrub(f"{what} failed: {type(err).__name__}: {err}", secret)[:500], request_sent=not not_sent
    )


def _aiohttp_error(err: BaseException, what: str, secret: str) -> HailuoTransportError:
    # aiohttp raises ValueError for a header it will not send, before sending anything.
    not_sent = isinstance(err, (aiohttp.ClientConnectorError, ValueError))
    kind = "timed out" if isinstance(err, asyncio.TimeoutError) else f"failed: {type(err).__name__}: {err}"
    return HailuoTransportError(scrub(f"{what} {kind}", secret)[:500], request_sent=not not_sent)


_ASYNC_SETTINGS: dict[str, tuple[float, HailuoConnectionSettings]] = {}


def clear_connection_cache() -> None:
    _ASYNC_SETTINGS.clear()
    clear_proxy_cache()


class HailuoHook(V2TaskCalls, BaseHook):
    """Interact with the MiniMax Hailuo video API.

    :param hailuo_conn_id: Airflow connection of type ``hailuo`` (API key in the password field).
    :param retry_policy: backoff and attempt bound for transient failures.
    :param settings: connection settings given directly (no Airflow connection is looked up).
    :param logger: where retry and resume warnings go instead of Airflow's task log (the ``hailuo``
        command prints them as its own stderr lines).
    """

    conn_name_attr = "hailuo_conn_id"
    default_conn_name = "hailuo_default"
    conn_type = "hailuo"
    hook_name = "MiniMax Hailuo"

    def __init__(
        self,
        hailuo_conn_id: str = default_conn_name,
        *,
        retry_policy: RetryPolicy | None = None,
        settings: HailuoConnectionSettings | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__()
        self.hailuo_conn_id = hailuo_conn_id
        self.retry_policy = retry_policy or DEFAULT_RETRY_POLICY
        self._given_settings = settings
        #: The trigger's query, prepared for the settings it was built with (see aget_video_generation_once).
        self._aquery: tuple[HailuoConnectionSettings, str, str, ModuleType, ApiRequest, URL] | None = None
        self._alast: tuple[bytes, VideoGenerationStatus] | None = None  # the last answer that parsed
        if logger is not None:
            # LoggingMixin's own slot, which `self.log` returns; typed for structlog, a stdlib logger fits.
            self._log = logger  # type: ignore[assignment]

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Fallback for UIs that still ask the hook; the same data is in ``get_provider_info``."""
        from airflow_provider_hailuo.get_provider_info import get_provider_info

        return dict(get_provider_info()["connection-types"][0]["ui-field-behaviour"])

    # -- settings -------------------------------------------------------------------------------
    @cached_property
    def settings(self) -> HailuoConnectionSettings:
        if self._given_settings is not None:
            return self._given_settings
        return settings_from_connection(self.get_connection(self.hailuo_conn_id))

    async def aget_settings(self) -> HailuoConnectionSettings:
        """Connection lookup that never blocks the event loop, cached for ``ASYNC_SETTINGS_TTL``."""
        if self._given_settings is not None:
            return self._given_settings
        cached = _ASYNC_SETTINGS.get(self.hailuo_conn_id)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        try:
            from airflow.providers.common.compat.connection import get_async_connection

            conn = await get_async_connection(self.hailuo_conn_id)
        except ImportError:  # pragma: no cover - common.compat always ships with the amazon provider
            conn = await BaseHook.aget_connection(self.hailuo_conn_id)
        settings = settings_from_connection(conn, await _async_extra(conn))
        _ASYNC_SETTINGS[self.hailuo_conn_id] = (now + ASYNC_SETTINGS_TTL, settings)
        return settings

    # -- sync transport -------------------------------------------------------------------------
    @cached_property
    def session(self) -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def close(self) -> None:
        if "session" in self.__dict__:
            self.session.close()
            del self.__dict__["session"]

    def _send(self, call: ApiRequest, settings: HailuoConnectionSettings) -> RawResponse:
        headers = build_headers(settings.api_key, with_body=call.json_body is not None)
        try:
            resp = self.session.request(
                call.method,
                call.url(settings.base_url),
                headers=headers,
                json=call.json_body,
                timeout=(min(10.0, settings.timeout), settings.timeout),
            )
        except (requests.RequestException, ValueError) as err:
            raise _requests_error(err, f"{call.method} {call.path}", settings.api_key) from None
        return RawResponse(resp.status_code, dict(resp.headers), resp.content)

    def _log_retry(self, retry_state: Any) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        self.log.warning(
            "Hailuo call failed (attempt %s of %s), retrying in %.1fs: %s",
            retry_state.attempt_number,
            self.retry_policy.max_attempts,
            retry_state.next_action.sleep if retry_state.next_action else 0.0,
            exc,
        )

    def _call(self, call: ApiRequest, parse: Callable[[RawResponse], Any]) -> Any:
        settings = self.settings
        for attempt in self.retry_policy.retrying(idempotent=call.idempotent, before_sleep=self._log_retry):
            with attempt:
                return parse(self._send(call, settings))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- sync API ---------------------------------------------------------------------------------
    def create_video_generation_from_payload(self, payload: Mapping[str, Any]) -> str:
        """Submit an already validated payload to the API its model lives on; returns the task id."""
        proto = for_version(api_version_for(payload.get("model")))
        return str(
            self._call(
                proto.create_request(payload, group_id=self.settings.group_id), proto.parse_create_response
            )
        )

    def create_video_generation(self, **params: Any) -> str:
        """Validate ``params`` (the operator's parameter names) and submit; returns the Hailuo task id.

        Images may be paths, bytes, URLs, data URLs or ``s3://`` URIs (``aws_conn_id`` picks the S3
        connection). Validation happens before any HTTP call, so bad input never costs money.
        """
        from airflow_provider_hailuo.request import prepare_video_generation_payload

        payload = prepare_video_generation_payload(**params)
        return self.create_video_generation_from_payload(payload)

    def get_video_generation(self, video_task_id: str, *, api_version: str = "v1") -> VideoGenerationStatus:
        """The task's status; ``api_version`` is the API it was created on (``v2`` for MiniMax-H3)."""
        task_id = str(video_task_id)
        proto = for_version(api_version)
        call = proto.query_request(task_id, group_id=self.settings.group_id)
        return self._call(call, lambda raw: proto.parse_query_response(raw, task_id))  # type: ignore[no-any-return]

    def get_video_generation_once(
        self, video_task_id: str, *, api_version: str = "v1"
    ) -> VideoGenerationStatus:
        """A single query with no retry loop, for callers that apply their own tolerance across polls."""
        task_id = str(video_task_id)
        settings = self.settings
        proto = for_version(api_version)
        return proto.parse_query_response(  # type: ignore[no-any-return]
            self._send(proto.query_request(task_id, group_id=settings.group_id), settings), task_id
        )

    def retrieve_file(self, file_id: str | int) -> HailuoFile:
        """A file's download URL; for a v2 video (``v2:<task id>``) the URL its task's query gives."""
        fid = str(file_id)
        from airflow_provider_hailuo.protocol import v2

        v2_task = v2.task_id_of_ref(fid)
        if v2_task is not None:
            status = self.get_video_generation(v2_task, api_version="v2")
            if status.video_url is None:
                raise HailuoError(
                    f"MiniMax-H3 video task {v2_task} is {status.raw_status or status.status.value}: no video to fetch",
                    video_task_id=v2_task,
                )
            return HailuoFile(file_id=fid, download_url=status.video_url)
        call = retrieve_request(fid, group_id=self.settings.group_id)
        return self._call(call, lambda raw: parse_retrieve_response(raw, fid))  # type: ignore[no-any-return]

    def open_video_stream(
        self,
        file_id: str | int,
        *,
        chunk_size: int = 1 << 20,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> HailuoVideoStream:
        """A readable binary stream of a generated file that resumes cut downloads and refreshes expired URLs."""
        from airflow_provider_hailuo.download import HailuoVideoStream

        return HailuoVideoStream(self, str(file_id), chunk_size=chunk_size, progress=progress)

    def download_file(
        self,
        file_id: str | int,
        destination: str | Any | IO[bytes],
        *,
        chunk_size: int = 1 << 20,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> DownloadResult:
        """Stream a file to a path or a writable binary file object in bounded memory."""
        from airflow_provider_hailuo.download import download_to

        with self.open_video_stream(file_id, chunk_size=chunk_size, progress=progress) as stream:
            return download_to(stream, destination, chunk_size=chunk_size)

    def wait_for_video_generation(
        self,
        video_task_id: str,
        *,
        poll_interval: float = 10.0,
        timeout: float | None = None,
        on_status: Callable[[VideoGenerationStatus, float], None] | None = None,
        api_version: str = "v1",
    ) -> VideoGenerationStatus:
        """Poll until Success or Fail (returned, not raised) or the deadline (``HailuoWaitTimeoutError``).

        Outages are sat out until the deadline (:mod:`airflow_provider_hailuo.waiting`); only an answer
        waiting cannot change (a bad key, moderation, an unknown task) is raised before it. Status
        changes and outages are logged once each; ``on_status`` is called on each status change.
        """
        from airflow_provider_hailuo.waiting import StatusWatcher

        watcher = StatusWatcher(
            task_ref(video_task_id, api_version),
            poll_interval=poll_interval,
            timeout=timeout,
            retry_policy=self.retry_policy,
        )
        while True:
            try:
                # One attempt per poll: the watcher is the retry loop here, as in the trigger, so only the
                # deadline ends a wait through an outage, and the deadline is checked between polls.
                status = self.get_video_generation_once(video_task_id, api_version=api_version)
            except HailuoError as err:
                line = watcher.record_failure(err)
                if line:
                    self.log.warning("%s", line)
                watcher.check_deadline()
                time.sleep(watcher.next_delay(err))
                continue
            changed = status.status != watcher.last_status
            line = watcher.record(status)
            if line:
                self.log.info("%s", line)
            if changed and on_status is not None:
                on_status(status, watcher.elapsed)
            if status.is_terminal:
                return status
            watcher.check_deadline()
            time.sleep(watcher.next_delay())

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated call (a query for task id 0) that tells OK, bad key and wrong region apart."""
        try:
            settings = self.settings
        except HailuoError as err:
            return False, str(err)
        try:
            self._send_probe(settings)
        except HailuoInvalidAPIKeyError:
            other = REGION_COUNTERPARTS.get(settings.base_url)
            if other:
                try:
                    self._send_probe(
                        HailuoConnectionSettings(settings.api_key, other, settings.group_id, settings.timeout)
                    )
                    return False, (
                        f"Wrong region: this API key belongs to {other}, not {settings.base_url}. "
                        f"Set the connection's host to {other}."
                    )
                except HailuoError:
                    pass
            return False, (
                f"Invalid API key for {settings.base_url} (2049). Check the key, and that it was issued for "
                "this host's region (mainland api.minimaxi.com, international api.minimax.io)."
            )
        except HailuoAPIError as err:
            if err.code == 1004:
                return False, f"Authentication failed at {settings.base_url} (1004): check the API key."
            return False, str(err)
        except HailuoError as err:
            return False, f"Could not reach {settings.base_url}: {err}"
        return True, f"Connected to {settings.base_url}: the API key is valid."

    def _send_probe(self, settings: HailuoConnectionSettings) -> None:
        raw = self._send(query_request("0", group_id=settings.group_id), settings)
        try:
            parse_query_response(raw, "0")
        except HailuoAPIError as err:
            if err.code not in (2013, 1000):  # "no such task" proves the key was accepted
                raise
        except HailuoError as err:
            if getattr(err, "retryable", False) or raw.status != 200:
                raise

    # -- async API (trigger) --------------------------------------------------------------------
    async def _asend(
        self, call: ApiRequest, settings: HailuoConnectionSettings, url: URL | None = None
    ) -> RawResponse:
        session = shared_client_session()
        proxy, proxy_auth = env_proxy(settings.base_url)
        headers: Mapping[str, str] = (
            settings.aiohttp_headers
            if call.json_body is None
            else build_headers(settings.api_key, with_body=True)
        )
        try:
            async with session.request(
                call.method,
                url if url is not None else call.url(settings.base_url),
                headers=headers,
                json=call.json_body,
                proxy=proxy,
                proxy_auth=proxy_auth,
                timeout=settings.aiohttp_timeout,
            ) as resp:
                body = await resp.read()
                # aiohttp's headers are already read-only and case-insensitive: kept, not copied.
                return RawResponse(resp.status, resp.headers, body)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as err:
            raise _aiohttp_error(err, f"{call.method} {call.path}", settings.api_key) from None

    async def aget_video_generation_once(
        self, video_task_id: str, *, api_version: str = "v1"
    ) -> VideoGenerationStatus:
        """A single query with no retry loop: the trigger applies its own tolerance across polls."""
        task_id = str(video_task_id)
        settings = await self.aget_settings()
        query = self._aquery
        if query is None or query[0] is not settings or query[1] != task_id or query[2] != api_version:
            # Built once per (settings, task) instead of per poll: a trigger polls one task with one
            # cached settings object for minutes, and a parsed URL spares aiohttp parsing it each time.
            proto = for_version(api_version)
            call = proto.query_request(task_id, group_id=settings.group_id)
            try:
                url = URL(call.url(settings.base_url))
            except ValueError as err:  # as aiohttp would have reported it (an invalid port, say)
                raise _aiohttp_error(err, f"{call.method} {call.path}", settings.api_key) from None
            query = self._aquery = (settings, task_id, api_version, proto, call, url)
            self._alast = None
        raw = await self._asend(query[4], settings, query[5])
        # A task in progress answers the same bytes poll after poll: an answer identical to the last one
        # that parsed is that same status again (only its trace id, a header, may be older), not parsed.
        last = self._alast
        if last is not None and raw.body == last[0] and raw.status == 200:
            return last[1]
        status: VideoGenerationStatus = query[3].parse_query_response(raw, task_id)
        self._alast = (raw.body, status) if raw.status == 200 else None
        return status
