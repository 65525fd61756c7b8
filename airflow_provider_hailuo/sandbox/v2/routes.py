"""The v2 HTTP surface: create, Context-IR, regeneration, query, list, delete (contract §2), and the
input upload that ``mm_file://`` ids come from.

Every v2 handler goes through `_endpoint`, which counts the call, injects the configured faults before
the endpoint runs (so a faulted create creates nothing) and turns `V2Error` into the §6.1 envelope.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from ..errors import GATEWAY_HTML, ApiError, StatusCode, base_resp, invalid_params
from ..markers import SENSITIVE_INPUT_MARKER, prompt_has_marker
from . import errors as e
from .callbacks import Runtime, echo_ok, push, push_timeline
from .errors import V2Error, bad_request, invalid_task_id, new_request_id
from .inputs import Measured, MediaLoader, measure
from .media import MediaError
from .state import (
    CANCELLED,
    EXPIRED,
    FAILED,
    QUEUED,
    RUNNING,
    STATUSES,
    SUCCEEDED,
    TASK_TYPES,
    Upload,
    V2Task,
)
from .tasks import build_task
from .validation import VideoRequest, parse_context_ir, parse_create, parse_regeneration

if TYPE_CHECKING:
    from ..state import SandboxState

CREATE_PATH = "/v2/video_generation"
TASK_PATH = "/v2/video_generation/{task_id}"
QUERY_PATH = "/v2/query/video_generation/{task_id}"
LIST_PATH = "/v2/query/video_generation"
CONTEXT_IR_PATH = "/v2/h3_context_ir"
REGENERATION_PATH = "/v2/video_regeneration"
UPLOAD_PATH = "/v1/files/upload"

UPLOAD_PURPOSE = "video_generation_input"
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
MEDIA_FETCH_TIMEOUT_SECONDS = 10.0
MAX_PAGE_SIZE = 100
"""No documented maximum (Q12); C-hoobnn caps page_size at 1-100 and C-newapi filter.task_ids at 100:
the sandbox refuses beyond, so no client comes to rely on more."""
DEFAULT_PAGE_SIZE = 20


@dataclass
class V2Context:
    state: SandboxState
    runtime: Runtime


V2_KEY = web.AppKey("hailuo_sandbox_v2", V2Context)

Handler = Callable[[web.Request, V2Context], Awaitable[web.StreamResponse]]


def _gateway_502() -> web.Response:
    return web.Response(status=502, text=GATEWAY_HTML, content_type="text/html")


def _endpoint(counter: str) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def run(request: web.Request) -> web.StreamResponse:
            ctx = request.app[V2_KEY]
            state, v2, config = ctx.state, ctx.state.v2, ctx.state.config
            v2.counters[counter] += 1
            if config.slow_seconds > 0:
                v2.injected_faults["slow"] += 1
                await asyncio.sleep(config.slow_seconds)
            if request.method in config.gateway_error_methods and state.draw_fault(config.gateway_error_rate):
                v2.injected_faults["gateway_error"] += 1
                return _gateway_502()
            try:
                for rate, kind, error in (
                    (config.rate_limit_error_rate, "rate_limit", e.rate_limited),
                    (config.v2_server_error_rate, "server_error", e.server_error),
                    (config.v2_overloaded_error_rate, "overloaded", e.overloaded),
                ):
                    if state.draw_fault(rate):
                        v2.injected_faults[kind] += 1
                        raise error()
                return await handler(request, ctx)
            except V2Error as exc:
                v2.errors_by_status[exc.status] += 1
                v2.errors_by_code[exc.code] += 1
                return exc.response(new_request_id())

        return run

    return wrap


def _bearer(request: web.Request) -> str:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _account(request: web.Request, ctx: V2Context, *, creates: bool) -> str:
    """The caller's key (tasks are scoped to it), then the per-account request rate."""
    config, v2 = ctx.state.config, ctx.state.v2
    key = _bearer(request)
    if key and key in config.other_region_keys:
        raise e.other_region_key()
    if not key or (key not in config.api_keys and key not in config.token_plan_keys):
        raise e.auth_failed()
    if creates or not config.v2_rate_limit_creates_only:
        window = config.v2_rate_limit_window_seconds
        if not v2.capacity.admit(key, config.v2_rate_limit_rpm, window, time.monotonic()):
            v2.counters["rate_limited"] += 1
            raise e.rate_limited()
    return key


async def _json_body(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise bad_request("Content-Type must be application/json")
    try:
        return await request.json()
    except web.HTTPRequestEntityTooLarge:
        raise bad_request("request body is larger than 64MB") from None
    except ValueError:
        raise bad_request("request body must be a JSON object") from None


def _base_url(request: web.Request, ctx: V2Context) -> str:
    public = ctx.state.config.public_base_url
    return public.rstrip("/") if public else f"{request.scheme}://{request.host}"


def _content_url(ctx: V2Context, base_url: str, task: V2Task) -> str | None:
    """A fresh signed URL on every read, served by the same download endpoint as v1's files."""
    if task.file_id is None or task.file_id not in ctx.state.files:
        return None
    grant = ctx.state.mint_grant(task.file_id, ctx.state.config.v2_content_url_ttl_seconds)
    return f"{base_url}/sandbox/download/{grant.token}?expires={int(grant.expires_at)}"


def _task_view(ctx: V2Context, base_url: str, task: V2Task, *, modality: bool = True) -> dict[str, Any]:
    url = _content_url(ctx, base_url, task) if task.status() == SUCCEEDED else None
    return task.view(url, modality=modality)


# -- creating tasks -----------------------------------------------------------------------------------


def _loader(ctx: V2Context, owner: str) -> MediaLoader:
    state = ctx.state
    v2, config = state.v2, state.config

    def upload(file_id: int) -> bytes | None:
        found = v2.uploads.get(file_id)
        if (
            found is None
            or found.owner != owner
            or time.time() - found.created_at > config.v2_upload_ttl_seconds
        ):
            return None
        return found.data

    async def fetch(url: str, limit: int) -> bytes:
        v2.counters["media_fetches"] += 1
        timeout = aiohttp.ClientTimeout(total=MEDIA_FETCH_TIMEOUT_SECONDS)
        try:
            async with ctx.runtime.client().get(url, timeout=timeout) as resp:
                if resp.status != 200:
                    raise MediaError(f"could not be downloaded (HTTP {resp.status})")
                chunks, size = [], 0
                async for chunk in resp.content.iter_chunked(1 << 16):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > limit:
                        break
                return b"".join(chunks)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            raise MediaError("could not be downloaded") from None

    return MediaLoader(
        upload=upload,
        fetch=fetch if config.v2_fetch_media_urls else None,
        strict_content=config.strict_image_content,
    )


def _regeneration_source(ctx: V2Context, owner: str, task_id: str) -> V2Task:
    """§4.2 form A: the account's own succeeded 768P MiniMax-H3 generation, inside the window."""
    source = ctx.state.v2.visible(task_id, owner, ctx.state.config.v2_task_window_seconds)
    if source is None:
        raise bad_request(f"source_task_id {task_id}: invalid task_id")
    if source.task_type != "generation" or source.model != "MiniMax-H3":
        raise bad_request(f"source_task_id {task_id} is not a MiniMax-H3 video generation task")
    if source.status() != SUCCEEDED:
        raise bad_request(f"source_task_id {task_id} has status {source.status()}, not succeeded")
    if source.resolution != "768P":
        raise bad_request(
            f"source_task_id {task_id} is {source.resolution}; only 768P videos can be regenerated"
        )
    return source


def _new_task_id(ctx: V2Context) -> str:
    tasks = ctx.state.v2.tasks
    return str(ctx.state.unique_id(lambda n: str(n) in tasks))


async def _submit(request: web.Request, ctx: V2Context, parse: Callable[[Any], VideoRequest]) -> web.Response:
    """Shared by create, Context-IR and regeneration: validate, charge, admit, challenge, commit."""
    state, v2, config = ctx.state, ctx.state.v2, ctx.state.config
    owner = _account(request, ctx, creates=True)
    body = await _json_body(request)
    video_request = parse(body)
    measured = Measured()
    if video_request.content is not None:
        measured = await measure(video_request.content, _loader(ctx, owner))
    source = None
    if video_request.source_task_id is not None:
        source = _regeneration_source(ctx, owner, video_request.source_task_id)
    if owner in config.token_plan_keys or config.balance_exhausted:
        if config.balance_exhausted:
            v2.injected_faults["balance_exhausted"] += 1
        raise e.insufficient_balance()
    if video_request.content is not None and prompt_has_marker(
        video_request.content.text, SENSITIVE_INPUT_MARKER
    ):
        raise e.sensitive_input()
    is_video = video_request.task_type != "h3_context_ir"
    if is_video:
        cap = config.v2_in_flight_cap
        if cap is not None and v2.capacity.count(owner, v2.in_flight) >= cap:
            v2.counters["in_flight_refusals"] += 1
            raise e.in_flight_cap_error(config.v2_in_flight_cap_code)
        v2.capacity.reserve(owner)
    try:
        if video_request.callback_url is not None:
            v2.counters["callback_checks"] += 1
            if not await echo_ok(
                ctx.runtime.client(), video_request.callback_url, config.callback_timeout_seconds
            ):
                v2.counters["callback_check_failures"] += 1
                raise bad_request("fail to check callback url")
        task = build_task(state, _new_task_id(ctx), owner, video_request, measured, source)
    except BaseException:
        if is_video:
            v2.capacity.release(owner)
        raise
    v2.tasks[task.task_id] = task
    if is_video:
        v2.capacity.commit(owner, task.task_id, v2.in_flight)
    v2.record_create(task, body)
    if task.callback_url is not None:
        _spawn_pushes(ctx, task, _base_url(request, ctx))
    return await _answer_created(ctx, task)


async def _answer_created(ctx: V2Context, task: V2Task) -> web.Response:
    """The task exists now; the configured post-commit faults decide what the caller sees of it."""
    config, v2 = ctx.state.config, ctx.state.v2
    if ctx.state.draw_fault(config.v2_create_502_after_commit_rate):
        v2.injected_faults["created_then_502"] += 1
        return _gateway_502()
    answer = web.json_response({"task_id": task.task_id})
    if config.create_timeout_after_commit:
        config.create_timeout_after_commit = False
        v2.injected_faults["create_timeout"] += 1
        await asyncio.sleep(config.create_timeout_hang_seconds)
    return answer


def _spawn_pushes(ctx: V2Context, task: V2Task, base_url: str) -> None:
    config = ctx.state.config
    url = task.callback_url
    assert url is not None
    ctx.runtime.spawn(
        push_timeline(
            ctx.state.v2,
            ctx.runtime,
            task,
            url,
            body_for=lambda t, status: {
                "task": t.view(_content_url(ctx, base_url, t) if status == SUCCEEDED else None, status=status)
            },
            enabled=lambda: config.push_callbacks,
            timeout=lambda: config.callback_timeout_seconds,
            drop_final=lambda: config.drop_final_callback,
        )
    )


@_endpoint("create_calls")
async def _create(request: web.Request, ctx: V2Context) -> web.Response:
    return await _submit(request, ctx, parse_create)


@_endpoint("context_ir_calls")
async def _context_ir(request: web.Request, ctx: V2Context) -> web.Response:
    return await _submit(request, ctx, parse_context_ir)


@_endpoint("regeneration_calls")
async def _regeneration(request: web.Request, ctx: V2Context) -> web.Response:
    return await _submit(request, ctx, parse_regeneration)


# -- reading and deleting tasks -----------------------------------------------------------------------


@_endpoint("queries")
async def _query(request: web.Request, ctx: V2Context) -> web.Response:
    owner = _account(request, ctx, creates=False)
    task = ctx.state.v2.visible(request.match_info["task_id"], owner, ctx.state.config.v2_task_window_seconds)
    if task is None:
        raise invalid_task_id()
    return web.json_response({"task": _task_view(ctx, _base_url(request, ctx), task)})


def _one(request: web.Request, name: str, allowed: tuple[str, ...] | None = None) -> str | None:
    values = request.query.getall(name, [])
    if not values:
        return None
    if len(values) > 1:
        raise bad_request(f"{name} takes one value")
    if allowed is not None and values[0] not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(allowed)}, got {values[0]!r}")
    return values[0]


def _int_param(request: web.Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = _one(request, name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        limit = f"1-{maximum}" if maximum is not None else ">= 1"
        raise bad_request(f"{name} must be an integer {limit}, got {raw!r}")
    return int(raw)


def _task_ids(request: web.Request, encoding: str) -> set[str] | None:
    """C8: by default both encodings at once, repeated (``a&filter.task_ids=b``) and comma-joined
    (``a,b``); ``v2_task_ids_encoding`` plays a server that knows only one of them."""
    values = request.query.getall("filter.task_ids", [])
    if not values:
        return None
    if encoding == "comma":
        values = values[:1]
    parts = values if encoding == "repeated" else [part for value in values for part in value.split(",")]
    ids = {part.strip() for part in parts if part.strip()}
    if len(ids) > MAX_PAGE_SIZE:
        raise bad_request(f"filter.task_ids takes at most {MAX_PAGE_SIZE} ids, got {len(ids)}")
    return ids


@_endpoint("lists")
async def _list(request: web.Request, ctx: V2Context) -> web.Response:
    """§5.3: newest first (Q12 is open; it is what the examples suggest), ``total`` over the window."""
    owner = _account(request, ctx, creates=False)
    page_num = _int_param(request, "page_num", 1)
    page_size = _int_param(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    status = _one(request, "filter.status", STATUSES)
    model = _one(request, "filter.model")
    task_type = _one(request, "filter.task_type", TASK_TYPES)
    ids = _task_ids(request, ctx.state.config.v2_task_ids_encoding)
    window = ctx.state.config.v2_task_window_seconds
    now, now_mono = time.time(), time.monotonic()
    matches = [
        task
        for task in ctx.state.v2.tasks.values()
        if task.owner == owner
        and now - task.created_at <= window
        and (ids is None or task.task_id in ids)
        and (model is None or task.model == model)
        and (task_type is None or task.task_type == task_type)
        and (status is None or task.status(now_mono) == status)
    ]
    matches.sort(key=lambda t: (t.created_mono, t.task_id), reverse=True)
    page = matches[(page_num - 1) * page_size : page_num * page_size]
    base_url = _base_url(request, ctx)
    items = [_task_view(ctx, base_url, task, modality=False) for task in page]
    return web.json_response({"items": items, "total": len(matches)})


@_endpoint("delete_calls")
async def _delete(request: web.Request, ctx: V2Context) -> web.Response:
    """§5.4: queued -> cancelled (never billed); finished -> record deleted; running/cancelled -> 400.

    Q9 leaves the error's status and code open; 400 / 2013 is the contract's own guess (INF).
    The video of a deleted task goes too: its earlier content URLs answer 403 from then on.
    """
    owner = _account(request, ctx, creates=False)
    v2 = ctx.state.v2
    task = v2.visible(request.match_info["task_id"], owner, ctx.state.config.v2_task_window_seconds)
    if task is None:
        raise invalid_task_id()
    status = task.status()
    if status in (RUNNING, CANCELLED):
        raise bad_request(f"task {task.task_id} is {status} and cannot be cancelled or deleted")
    if status == QUEUED:
        task.cancelled_after = task.elapsed()
        v2.counters["cancelled"] += 1
        action = result = CANCELLED
        if task.callback_url is not None and ctx.state.config.push_callbacks:
            config = ctx.state.config
            ctx.runtime.spawn(
                push(
                    v2,
                    ctx.runtime.client(),
                    task.callback_url,
                    {"task": task.view()},
                    config.callback_timeout_seconds,
                )
            )
    else:
        assert status in (SUCCEEDED, FAILED, EXPIRED)
        del v2.tasks[task.task_id]
        v2.counters["deleted"] += 1
        action, result = "deleted", "deleted"
    if task.file_id is not None:
        ctx.state.files.pop(task.file_id, None)
    return web.json_response({"task_id": task.task_id, "action": action, "status": result})


# -- input upload (a /v1 file API: base_resp errors, v1 faults) ---------------------------------------


async def _upload(request: web.Request) -> web.Response:
    """``POST /v1/files/upload`` (multipart ``purpose`` + ``file``) -> ``file.file_id`` for ``mm_file://``."""
    ctx = request.app[V2_KEY]
    state, config = ctx.state, ctx.state.config
    key = _bearer(request)
    if key and key in config.other_region_keys:
        raise ApiError(StatusCode.INVALID_API_KEY)
    if not key or (key not in config.api_keys and key not in config.token_plan_keys):
        raise ApiError(StatusCode.AUTH_FAILED)
    if not request.content_type.startswith("multipart/"):
        raise invalid_params("upload must be multipart/form-data with fields purpose and file")
    purpose, data, filename = None, None, "upload"
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, aiohttp.BodyPartReader):
            continue
        if part.name == "purpose":
            purpose = (await part.text()).strip()
        elif part.name == "file":
            filename = part.filename or filename
            chunks, size = [], 0
            while chunk := await part.read_chunk(1 << 20):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise invalid_params("file is larger than 64MB")
            data = b"".join(chunks)
    if purpose != UPLOAD_PURPOSE:
        raise invalid_params(f"purpose must be {UPLOAD_PURPOSE}, got {purpose!r}")
    if not data:
        raise invalid_params("file is required and must not be empty")
    file_id = state.unique_id(lambda n: n in state.v2.uploads or n in state.files)
    upload = Upload(file_id=file_id, owner=key, data=data, filename=filename, created_at=time.time())
    state.v2.uploads[file_id] = upload
    state.v2.counters["uploads"] += 1
    return web.json_response(
        {
            "file": {
                "file_id": file_id,
                "bytes": len(data),
                "created_at": int(upload.created_at),
                "filename": filename,
                "purpose": UPLOAD_PURPOSE,
            },
            "base_resp": base_resp(),
        }
    )


def add_v2_routes(app: web.Application, state: SandboxState, runtime: Runtime) -> None:
    """Register the v2 API (and the input upload) on the sandbox application."""
    app[V2_KEY] = V2Context(state=state, runtime=runtime)
    app.router.add_post(CREATE_PATH, _create)
    app.router.add_get(QUERY_PATH, _query)
    app.router.add_get(LIST_PATH, _list)
    app.router.add_delete(TASK_PATH, _delete)
    app.router.add_post(CONTEXT_IR_PATH, _context_ir)
    app.router.add_post(REGENERATION_PATH, _regeneration)
    app.router.add_post(UPLOAD_PATH, _upload)
