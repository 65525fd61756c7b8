"""Render the documentation tables that come from code, so the docs cannot drift from it.

Each generated block sits in a Markdown page between two marker comments::

    <!-- BEGIN GENERATED: models -->
    ...
    <!-- END GENERATED -->

Only the text between the markers is rewritten; the prose around it is kept. Run
``python docs/gen_docs.py`` after changing the catalogue, the camera commands, the error codes
(``error_codes.py``), the retry policy or the sandbox, and ``python docs/gen_docs.py --check`` (CI
does, through ``tests/docs``) to fail when a page is out of date. The README's error and create
tables are generated too.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import tempfile
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# The exceptions import Airflow, which writes into AIRFLOW_HOME: never let that be ~/airflow here.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="hailuo-gen-docs-"))

BEGIN = re.compile(r"<!-- BEGIN GENERATED: (?P<name>[a-z0-9-]+) -->")
END = "<!-- END GENERATED -->"


def _cell(value: object) -> str:
    """A Markdown table cell: pipes escaped, newlines folded."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# -- models.md ----------------------------------------------------------------------------------------


def _modes_in_order(spec: object) -> list[object]:
    from airflow_provider_hailuo.catalogue import Mode

    return [m for m in Mode if m in spec.modes]


def render_models() -> str:
    from airflow_provider_hailuo.catalogue import DEFAULT_MODEL, MODELS

    rows = []
    for spec in MODELS.values():
        modes = _modes_in_order(spec)
        fast = [m.value for m in modes if m in spec.fast_pretreatment_modes]
        name = f"`{spec.name}`" + (" (default)" if spec.name == DEFAULT_MODEL else "")
        rows.append(
            (
                name,
                spec.api_version,
                ", ".join(m.value for m in modes),
                spec.default_resolution or "—",
                _yes(spec.camera_commands),
                ", ".join(fast) if fast else "no",
                spec.description,
            )
        )
    header = (
        "Model",
        "API",
        "Modes",
        "Default resolution",
        "Camera commands",
        "`fast_pretreatment`",
        "Description",
    )
    return _table(header, rows)


def render_models_grid() -> str:
    from airflow_provider_hailuo.catalogue import MODELS

    rows = []
    for spec in MODELS.values():
        for mode in _modes_in_order(spec):
            grid = spec.grid(mode)
            cells = "; ".join(
                f"{res}: {', '.join(str(d) for d in durations)} s" for res, durations in grid.items()
            )
            if not spec.takes_resolution_and_duration:
                cells += " (fixed: the request carries no `resolution`/`duration`)"
            rows.append((f"`{spec.name}`", mode.value, cells))
    return _table(("Model", "Mode", "Resolution: durations"), rows)


def render_models_v2() -> str:
    from airflow_provider_hailuo.catalogue import V2_MODELS

    rows = []
    for spec in V2_MODELS.values():
        rows.append(
            (
                f"`{spec.name}`",
                spec.api_version,
                ", ".join(spec.resolutions),
                spec.default_resolution,
                f"{spec.min_duration}-{spec.max_duration} s",
                _yes(spec.reference_mode)
                + (" (needs a concrete `ratio`)" if spec.references_need_concrete_ratio else ""),
                _yes(spec.prompt_expansion),
                spec.source,
                spec.description,
            )
        )
    header = (
        "Model",
        "API",
        "Resolutions",
        "Default resolution",
        "Durations",
        "Reference inputs",
        "`prompt_expansion_mode`",
        "Source",
        "Description",
    )
    return _table(header, rows)


def render_resolutions() -> str:
    from airflow_provider_hailuo.catalogue import RESOLUTION_PIXELS

    return _table(
        ("Resolution", "Output size (pixels)"),
        ((label, f"{w} × {h}") for label, (w, h) in RESOLUTION_PIXELS.items()),
    )


# -- camera.md ----------------------------------------------------------------------------------------


def render_camera() -> str:
    from airflow_provider_hailuo.camera import camera_commands_markdown

    return camera_commands_markdown()


def render_camera_models() -> str:
    from airflow_provider_hailuo.catalogue import MODELS

    rows = [(f"`{s.name}`", _yes(s.camera_commands)) for s in MODELS.values()]
    return _table(("Model", "Follows camera commands"), rows)


# -- errors.md ----------------------------------------------------------------------------------------


def _what_happens(err: object) -> str:
    from airflow_provider_hailuo.error_codes import CreateOutcome
    from airflow_provider_hailuo.retry import is_retryable, refused_for_capacity

    if refused_for_capacity(err):
        return (
            "Refused for capacity (rate limit or videos in flight): the generation operator waits for "
            "capacity without sleeping in the hook (in the triggerer when deferrable) and submits again, "
            "up to `capacity_timeout`; other callers (the CLI) retry with backoff."
        )
    if is_retryable(err, idempotent=False):
        return (
            "Retried by the hook with backoff, the create call included (this answer proves no task was "
            "created). Still failing after the last attempt: the task fails and Airflow `retries` apply."
        )
    if is_retryable(err, idempotent=True):
        if getattr(err, "create_outcome", None) is CreateOutcome.AMBIGUOUS:
            return (
                "Status and file calls are retried by the hook, then Airflow `retries` apply. On a create call "
                "it is ambiguous: never sent again, the task fails as final (see below)."
            )
        return (
            "Status and file calls are retried by the hook; a failed create call is not repeated by the "
            "hook. Still failing: the task fails and Airflow `retries` apply."
        )
    return "Not retried: the task fails at once (`AirflowFailException`), without using Airflow `retries`."


def _advice(row: object) -> str:
    """The advice per call, one text when the calls share it."""
    from airflow_provider_hailuo.error_codes import Call

    advice = row.advice  # type: ignore[attr-defined]
    texts = {call: advice.for_call(call) for call in Call}
    if len(set(texts.values())) == 1:
        return advice.default
    specific = [f"*{c.value}*: {t}" for c, t in texts.items() if t != advice.default]
    return " ".join([*specific, f"*other calls*: {advice.default}"])


def _exit(code: object) -> str:
    return f"{int(code)} ({code.name.lower()})"  # type: ignore[attr-defined]


def _outcome(outcome: object) -> str:
    from airflow_provider_hailuo.error_codes import CreateOutcome

    return {
        CreateOutcome.REFUSED: "refused: nothing was created",
        CreateOutcome.AMBIGUOUS: "**ambiguous**: a task may exist",
        CreateOutcome.CREATED: "created",
    }[outcome]  # type: ignore[index]


def render_errors() -> str:
    from airflow_provider_hailuo.error_codes import ERROR_CODES
    from airflow_provider_hailuo.exceptions import api_error_from_code

    rows = []
    for row in sorted(ERROR_CODES, key=lambda r: (r.code, r.message_contains or "")):
        err = api_error_from_code(row.code, row.message_contains or "message")
        note = f" (message mentions the {row.message_contains})" if row.message_contains else ""
        rows.append(
            (
                f"{row.code}{note}",
                row.meaning,
                f"`{row.exception}`",
                _what_happens(err),
                _outcome(row.create),
                _exit(row.exit_code),
                _advice(row),
            )
        )
    header = (
        "Code",
        "Meaning",
        "Exception",
        "What the provider does",
        "On a create call",
        "CLI exit",
        "Advice",
    )
    return _table(header, rows)


def render_http_statuses() -> str:
    from airflow_provider_hailuo.error_codes import HTTP_STATUSES, http_status_rule

    listed = [(str(row.status), row) for row in HTTP_STATUSES]
    others = [("other 4xx", http_status_rule(499)), ("other 5xx", http_status_rule(599))]
    others.append(("anything else but 200", http_status_rule(302)))
    rows = [
        (
            status,
            row.meaning,
            f"`{row.v2_error_type}`" if row.v2_error_type else "—",
            _yes(row.retryable),
            _outcome(row.create),
            _exit(row.exit_code),
        )
        for status, row in listed + others
    ]
    header = (
        "HTTP status",
        "Meaning",
        "v2 `error.type`",
        "Status and file calls retried",
        "On a create call",
        "CLI exit",
    )
    return _table(header, rows)


def _codes(rows: Iterable[object]) -> str:
    return ", ".join(str(c) for c in sorted({r.code for r in rows}))  # type: ignore[attr-defined]


def _create_cases() -> list[tuple[str, object]]:
    """Each way a create call can end, with an exception (or None: created) that the provider raises for it."""
    from airflow_provider_hailuo.error_codes import ERROR_CODES, HTTP_STATUSES, CreateOutcome
    from airflow_provider_hailuo.exceptions import (
        HailuoHTTPError,
        HailuoMalformedResponseError,
        HailuoTransportError,
        api_error_from_code,
    )

    refused = [r for r in ERROR_CODES if r.create is CreateOutcome.REFUSED]
    ambiguous = [r for r in ERROR_CODES if r.create is CreateOutcome.AMBIGUOUS]
    retried = [r for r in refused if r.retryable]
    http_capacity = [r.status for r in HTTP_STATUSES if r.capacity]
    http_retried = [
        r.status
        for r in HTTP_STATUSES
        if r.create is CreateOutcome.REFUSED and r.retryable and not r.capacity
    ]
    http_refused = [r.status for r in HTTP_STATUSES if r.create is CreateOutcome.REFUSED and not r.retryable]
    http_5xx = [r.status for r in HTTP_STATUSES if r.create is CreateOutcome.AMBIGUOUS]
    return [
        ("`base_resp.status_code` 0 and a `task_id`", None),
        (
            f"MiniMax's own error code, rate limits: {_codes(retried)}",
            api_error_from_code(retried[0].code, ""),
        ),
        (
            f"MiniMax's own error code, the others: {_codes(r for r in refused if not r.retryable)}",
            api_error_from_code(2013, ""),
        ),
        (f"MiniMax's own server-side error: {_codes(ambiguous)}", api_error_from_code(ambiguous[0].code, "")),
        (f"HTTP {' or '.join(map(str, http_capacity))}", HailuoHTTPError("", http_status=http_capacity[0])),
        (f"HTTP {' or '.join(map(str, http_retried))}", HailuoHTTPError("", http_status=http_retried[0])),
        (
            f"Any other HTTP 4xx ({', '.join(map(str, http_refused))}, ...)",
            HailuoHTTPError("", http_status=http_refused[0]),
        ),
        (
            f"HTTP 5xx, gateway pages included ({', '.join(map(str, http_5xx))}, ...)",
            HailuoHTTPError("", http_status=502),
        ),
        (
            "Nothing was sent: connection refused, DNS failure, connect timeout, a header the HTTP library "
            "refuses (a key with a line break inside)",
            HailuoTransportError("", request_sent=False),
        ),
        (
            "Connection reset or read timeout after the request was sent",
            HailuoTransportError("", request_sent=True),
        ),
        (
            "An answer that is not the API's JSON: an HTML or garbled body with HTTP 200, no `task_id`",
            HailuoMalformedResponseError(""),
        ),
    ]


def _create_action(err: object) -> str:
    from airflow_provider_hailuo.error_codes import CreateOutcome
    from airflow_provider_hailuo.retry import is_retryable, refused_for_capacity

    if err is None:
        return "The id is recorded at once (log, XCom, task state store); a retry re-attaches to it."
    if getattr(err, "create_outcome", None) is CreateOutcome.AMBIGUOUS:
        return (
            "Never sent again, by the hook or by Airflow `retries`: the task fails as final "
            "(`AirflowFailException`) naming the time, the trace id and any video id to look for in the "
            "MiniMax console. The CLI exits 9 with the same advice."
        )
    if refused_for_capacity(err):
        return (
            "Refused for capacity (rate limit or videos in flight): the generation operator waits for "
            "capacity without sleeping in the hook (in the triggerer when deferrable) and submits again, "
            "up to `capacity_timeout`; other callers (the CLI) retry with backoff."
        )
    if is_retryable(err, idempotent=False):
        return (
            "Sent again by the hook with backoff; still failing, the task fails and Airflow `retries` apply."
        )
    return "Not sent again: the task fails at once (`AirflowFailException`); nothing was billed."


def render_create_outcomes() -> str:
    from airflow_provider_hailuo.error_codes import CreateOutcome

    rows = []
    for what, err in _create_cases():
        outcome = CreateOutcome.CREATED if err is None else err.create_outcome  # type: ignore[attr-defined]
        rows.append((what, _outcome(outcome), _create_action(err)))
    return _table(("What the create call got", "Kind", "What the provider does"), rows)


#: README's short error table: one line per CLI exit group, described for a first reader.
_ERROR_GROUPS: dict[str, str] = {
    "network": "MiniMax-side errors",
    "rate_limit": "rate limits",
    "auth": "bad key, wrong region, real-name verification",
    "quota": "balance, quota, plan",
    "moderation": "moderation of the input / of the generated video",
    "usage": "invalid parameters (or callback URL check failed), invisible characters",
}


def render_error_summary() -> str:
    from airflow_provider_hailuo.error_codes import ERROR_CODES, CreateOutcome

    rows = []
    for group, label in _ERROR_GROUPS.items():
        members = [r for r in ERROR_CODES if r.exit_code.name.lower() == group]
        retryable = {r.retryable for r in members}
        outcome = {r.create for r in members}
        if len(retryable) != 1 or len(outcome) != 1:
            raise SystemExit(f"gen_docs: the codes of group {group!r} are not handled alike; split the group")
        if all(r.capacity for r in members):
            action = (
                "the generation operator waits for capacity, then submits; other calls retried with backoff"
            )
        elif retryable == {True} and outcome == {CreateOutcome.REFUSED}:
            action = "retried with backoff, the create call included, then Airflow retries"
        elif retryable == {True}:
            action = (
                "status and file calls retried, then Airflow retries; on create: final failure, not repeated"
            )
        else:
            action = "task fails at once (no retries)"
        rows.append((_codes(members), label, action))
    known = {r.exit_code.name.lower() for r in ERROR_CODES}
    if known - set(_ERROR_GROUPS):
        raise SystemExit(
            f"gen_docs: describe these exit groups in _ERROR_GROUPS: {sorted(known - set(_ERROR_GROUPS))}"
        )
    rows.append(
        ("status `Fail`", "the video failed without a reason", "Airflow retries resubmit (a new video)")
    )
    return _table(("Code", "Meaning", "What the provider does"), rows)


def render_retry_policy() -> str:
    from airflow_provider_hailuo.error_codes import ERROR_CODES, HTTP_STATUSES
    from airflow_provider_hailuo.exceptions import HailuoHTTPError
    from airflow_provider_hailuo.retry import DEFAULT_RETRY_POLICY, is_retryable

    probes = (400, 401, 403, 404, 408, 409, 429, 500, 501, 502, 503, 504)
    retried = [s for s in probes if is_retryable(HailuoHTTPError("x", http_status=s), idempotent=True)]
    create_safe = [s for s in probes if is_retryable(HailuoHTTPError("x", http_status=s), idempotent=False)]
    policy = DEFAULT_RETRY_POLICY
    rows = [
        ("Attempts per HTTP call (first try included)", str(policy.max_attempts)),
        (
            "Backoff",
            f"exponential from {policy.initial_delay:g} s, capped at {policy.max_delay:g} s, jittered",
        ),
        ("Minimum wait after a rate limit (1002 or HTTP 429)", f"{policy.rate_limit_min_delay:g} s"),
        ("`Retry-After` header", f"honoured, up to {policy.max_delay * 4:g} s"),
        ("HTTP statuses retried (status, file and download-URL calls)", ", ".join(map(str, retried))),
        ("HTTP statuses after which the create call is repeated", ", ".join(map(str, create_safe)) or "none"),
        (
            "A create refused for capacity in the generation operator (codes "
            + ", ".join(map(str, sorted({row.code for row in ERROR_CODES if row.capacity})))
            + "; HTTP "
            + ", ".join(map(str, sorted(row.status for row in HTTP_STATUSES if row.capacity)))
            + ")",
            "not retried by the hook: the task waits for capacity (triggerer or worker), up to `capacity_timeout`",
        ),
        (
            "Transient failures while waiting for a video (trigger, sensor, sync wait, CLI)",
            "tolerated until the wait's own deadline; backoff capped at the poll interval",
        ),
        (
            "Answers that end a wait before its deadline",
            "codes "
            + ", ".join(map(str, sorted({row.code for row in ERROR_CODES if row.ends_wait})))
            + "; HTTP "
            + ", ".join(map(str, sorted(row.status for row in HTTP_STATUSES if row.ends_wait))),
        ),
    ]
    return _table(("Setting", "Value"), rows)


# -- sandbox.md ---------------------------------------------------------------------------------------


def _type_name(hint: object) -> str:
    text = getattr(hint, "__name__", None) if not typing.get_args(hint) else None
    if text is None:
        text = str(hint).replace("typing.", "")
    return text.replace("NoneType", "None").replace(" | ", " or ")


def render_sandbox_config() -> str:
    from airflow_provider_hailuo.sandbox.config import ENV_PREFIX, SandboxConfig

    hints = typing.get_type_hints(SandboxConfig)
    rows = []
    for f in dataclasses.fields(SandboxConfig):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if isinstance(default, tuple):
            shown = ",".join(default)
        else:
            shown = repr(default) if isinstance(default, str) else str(default)
        rows.append(
            (
                f"`{f.name}`",
                f"`--{f.name.replace('_', '-')}`",
                f"`{ENV_PREFIX}{f.name.upper()}`",
                f"`{_type_name(hints[f.name])}`",
                f"`{shown}`",
                f.metadata.get("help", ""),
            )
        )
    return _table(("Field", "Option", "Environment variable", "Type", "Default", "What it does"), rows)


#: What each sandbox endpoint is for, by "METHOD path". gen_docs fails on a route missing here.
SANDBOX_ENDPOINTS: dict[str, str] = {
    "POST /v1/video_generation": "Create a task (checks the key, the request and the callback).",
    "GET /v1/query/video_generation": "Status of a task (`?task_id=`).",
    "GET /v1/files/retrieve": "File metadata and a fresh signed `download_url` (`?file_id=`).",
    "GET /sandbox/download/{token}": "The signed download: no auth, HTTP 403 once expired, `Range`.",
    "GET /sandbox/stats": "Counters (below), injected faults, errors by code, every task created.",
    "POST /sandbox/reset": "Forget tasks, files, URLs and counters (the config is kept).",
    "GET /sandbox/config": "The live config as JSON.",
    "POST /sandbox/config": "Change config fields on the running server (JSON object; all or nothing).",
    "GET /sandbox/files/{file_id}/sha256": "SHA-256 and size of a generated file, to verify a copy.",
    "POST /sandbox/callback_sink": "A built-in callback receiver: echoes challenges, records pushes.",
    "GET /sandbox/callback_sink": "What the built-in receiver got.",
    "GET /sandbox/health": 'Answers `{"status": "ok"}`.',
    "GET /": "Index of the endpoints.",
    "POST /v2/video_generation": "v2: create an H3 video task (content items, media limits, capacity, callback).",
    "GET /v2/query/video_generation/{task_id}": 'v2: `{"task": VideoTask}`, with a fresh `content.url` once succeeded.',
    "GET /v2/query/video_generation": "v2: list tasks (`page_num`, `page_size`, `filter.*`), `total` over the window.",
    "DELETE /v2/video_generation/{task_id}": "v2: cancel a queued task (not billed) or delete a finished one.",
    "POST /v2/h3_context_ir": "v2: Context-IR, a task whose result is an enhanced prompt.",
    "POST /v2/video_regeneration": "v2: a succeeded 768P H3 video again at 2K (`source_task_id` or `base_video`).",
    "POST /v1/files/upload": "Upload an input (`purpose=video_generation_input`) for `mm_file://{file_id}`.",
}


def render_sandbox_endpoints() -> str:
    from airflow_provider_hailuo.sandbox.server import create_app

    routes = []
    for route in create_app().router.routes():
        if route.method == "HEAD":
            continue  # aiohttp adds HEAD beside every GET
        path = route.resource.canonical if route.resource is not None else "?"
        routes.append((route.method, path))
    missing = [f"{m} {p}" for m, p in routes if f"{m} {p}" not in SANDBOX_ENDPOINTS]
    if missing:
        raise SystemExit(f"gen_docs: describe these sandbox routes in SANDBOX_ENDPOINTS: {missing}")
    rows = ((m, f"`{p}`", SANDBOX_ENDPOINTS[f"{m} {p}"]) for m, p in routes)
    return _table(("Method", "Path", "Purpose"), rows)


#: What each counter of ``GET /sandbox/stats`` counts. gen_docs fails on a counter missing here.
SANDBOX_COUNTERS: dict[str, str] = {
    "create_calls": "`POST /v1/video_generation` requests received (faulted and refused ones included).",
    "creates": "Tasks actually created: compare with the number of videos you meant to pay for.",
    "queries": "`GET /v1/query/video_generation` requests.",
    "retrieves": "`GET /v1/files/retrieve` requests.",
    "downloads": "Download responses started.",
    "download_bytes": "Video bytes sent.",
    "downloads_cut": "Downloads cut short by `cut_download_after_bytes`.",
    "downloads_denied": "Downloads refused (expired or unknown URL).",
    "callback_checks": "Challenges posted to a `callback_url`.",
    "callback_check_failures": "Challenges not echoed in time (the create call then got 2013).",
    "callbacks_sent": "Status pushes delivered (HTTP 2xx).",
    "callback_failures": "Status pushes that failed.",
    "callbacks_dropped": "Final status pushes lost on purpose by `drop_final_callback`.",
    "injected_faults": "Faults injected, by kind (`gateway_error`, `rate_limit`, `rpm_limit`, `slow`, `outage`, ...).",
    "errors_by_code": "Business errors answered, by `status_code`.",
    "creates_by_prompt": "Tasks created per prompt text: a prompt counted twice was paid twice.",
    "created_tasks": "Every created task: id, model, mode, prompt, resolution, duration.",
    "tasks": "Every known task with its current status.",
    "v2": "The v2 API's own counters (next table).",
}

#: What each counter under ``v2`` of ``GET /sandbox/stats`` counts.
SANDBOX_V2_COUNTERS: dict[str, str] = {
    "create_calls": "`POST /v2/video_generation` requests received (faulted and refused ones included).",
    "creates": "Generation tasks created.",
    "queries": "`GET /v2/query/video_generation/{task_id}` requests.",
    "lists": "`GET /v2/query/video_generation` requests.",
    "delete_calls": "`DELETE /v2/video_generation/{task_id}` requests.",
    "cancelled": "Queued tasks cancelled by DELETE (never billed).",
    "deleted": "Finished tasks deleted by DELETE.",
    "context_ir_calls": "`POST /v2/h3_context_ir` requests.",
    "context_ir_creates": "Context-IR tasks created.",
    "regeneration_calls": "`POST /v2/video_regeneration` requests.",
    "regeneration_creates": "Regeneration tasks created.",
    "uploads": "Inputs uploaded through `POST /v1/files/upload`.",
    "media_fetches": "http(s) media URLs the sandbox downloaded to check.",
    "rate_limited": "Requests refused by `v2_rate_limit_rpm`.",
    "in_flight_refusals": "Creates refused by `v2_in_flight_cap`.",
    "callback_checks": "Challenges posted to a v2 `callback_url`.",
    "callback_check_failures": "Challenges not echoed in time (the create then got 400).",
    "callbacks_sent": '`{"task": ...}` pushes delivered (HTTP 2xx).',
    "callbacks_dropped": "Final pushes lost on purpose (`drop_final_callback`), for the backstop's tests.",
    "callback_failures": "Pushes that failed.",
    "in_flight": "Video tasks queued or running now, all accounts.",
    "max_in_flight": "The most video tasks one account ever had queued or running at once.",
    "duplicate_creates": "Creates whose body (key order aside) had been created before: paid twice.",
    "creates_by_model": "Tasks created (all three kinds) per model.",
    "creates_by_body": "Per body hash: how often it was created, and the start of its prompt.",
    "errors_by_status": "Error answers by HTTP status (faults included, 502 pages excepted).",
    "errors_by_code": "Error answers by MiniMax code (the number at the end of the message).",
    "injected_faults": "Faults injected, by kind (`gateway_error`, `server_error`, `created_then_502`, ...).",
    "created_tasks": "Every created task: id, type, model, mode, prompt, resolution, duration, ratio.",
    "tasks": "Every v2 task: status, geometry (width, height, frames), `charged`, ignored fields, ...",
}


def render_sandbox_v2_counters() -> str:
    from airflow_provider_hailuo.sandbox.config import SandboxConfig
    from airflow_provider_hailuo.sandbox.state import SandboxState

    keys = list(SandboxState(SandboxConfig()).snapshot()["v2"])
    missing = [k for k in keys if k not in SANDBOX_V2_COUNTERS]
    if missing:
        raise SystemExit(f"gen_docs: describe these /sandbox/stats v2 keys in SANDBOX_V2_COUNTERS: {missing}")
    return _table(("Key under `v2`", "Meaning"), ((f"`{k}`", SANDBOX_V2_COUNTERS[k]) for k in keys))


def render_sandbox_counters() -> str:
    from airflow_provider_hailuo.sandbox.config import SandboxConfig
    from airflow_provider_hailuo.sandbox.state import SandboxState

    keys = list(SandboxState(SandboxConfig()).snapshot())
    missing = [k for k in keys if k not in SANDBOX_COUNTERS]
    if missing:
        raise SystemExit(f"gen_docs: describe these /sandbox/stats keys in SANDBOX_COUNTERS: {missing}")
    return _table(("Key", "Meaning"), ((f"`{k}`", SANDBOX_COUNTERS[k]) for k in keys))


# -- costs.md -----------------------------------------------------------------------------------------


def render_prices() -> str:
    from airflow_provider_hailuo.pricing import builtin_table, format_money

    def images(row: object) -> str:
        if row.per_image is None:
            return "—"
        return f"first {row.free_images} free, then {format_money(row.per_image, row.currency)} each"

    rows = []
    for row in builtin_table().rows:
        if row.per_second is not None:
            price = f"{format_money(row.per_second, row.currency)} / s"
        else:
            price = f"{format_money(row.per_video, row.currency)} per {row.duration} s video"
        rows.append(
            (
                f"`{row.model}`",
                row.region,
                row.resolution or "any",
                price,
                images(row),
                "output rate, whole seconds" if row.reference_video else "—",
                f"{row.source}, {row.date}",
            )
        )
    return _table(
        ("Model", "Region", "Resolution", "Price", "Reference images", "Reference video", "Source, date"),
        rows,
    )


# -- operators.md: H3 media limits -----------------------------------------------------------------------


def render_media_limits() -> str:
    """The limits ``media_v2`` holds every readable H3 input to."""
    from airflow_provider_hailuo import media_v2 as m

    def formats(kind: str) -> str:
        names = ", ".join(f.upper() for f in m.DATA_URL_SUBTYPES[kind])
        return names + (" (MOV only by URL or `mm_file://`)" if kind == "video" else "")

    def size(kind: str) -> str:
        return f"≤ {m.MAX_BYTES[kind] // 1_000_000} MB"

    pixels = f"each side {m.MIN_SIDE}-{m.MAX_SIDE} px, width/height {m.MIN_ASPECT}-{m.MAX_ASPECT}"
    clips = f"each {m.MIN_CLIP_SECONDS:g}-{m.MAX_CLIP_SECONDS:g} s, {m.MAX_TOTAL_SECONDS:g} s in all"
    codecs = " or ".join(sorted(set(m.VIDEO_CODECS.values())))
    video = f"{formats('video')}; {codecs}; AAC or MP3 sound; {m.MIN_FPS}-{m.MAX_FPS:g} fps"
    rows = [
        ("image", formats("image"), size("image"), pixels, ""),
        ("video", video, size("video"), pixels, clips),
        ("audio", formats("audio"), size("audio"), "", clips),
        ("whole request body", "", f"≤ {m.MAX_BODY_BYTES // 1_000_000} MB, inline media included", "", ""),
    ]
    return _table(("Kind", "Formats", "Size", "Pixels, aspect", "Length"), rows)


# -- driver -------------------------------------------------------------------------------------------

#: page -> block name -> renderer
PAGES: dict[str, dict[str, Callable[[], str]]] = {
    "models.md": {
        "models": render_models,
        "models-grid": render_models_grid,
        "models-v2": render_models_v2,
        "resolutions": render_resolutions,
    },
    "camera.md": {"camera": render_camera, "camera-models": render_camera_models},
    "errors.md": {
        "errors": render_errors,
        "http-statuses": render_http_statuses,
        "create-outcomes": render_create_outcomes,
        "retry-policy": render_retry_policy,
    },
    # The README's tables come from the same rows, so its claims about retries cannot drift from the code.
    "../README.md": {"create-outcomes": render_create_outcomes, "error-summary": render_error_summary},
    "costs.md": {"prices": render_prices},
    "operators.md": {"media-limits": render_media_limits},
    "sandbox.md": {
        "sandbox-config": render_sandbox_config,
        "sandbox-endpoints": render_sandbox_endpoints,
        "sandbox-counters": render_sandbox_counters,
        "sandbox-v2-counters": render_sandbox_v2_counters,
    },
}


def render_page(text: str, blocks: dict[str, Callable[[], str]], page: str) -> str:
    """Replace every known block of ``text``; every block must be present exactly once."""
    out: list[str] = []
    pos = 0
    seen: set[str] = set()
    for match in BEGIN.finditer(text):
        name = match.group("name")
        if name not in blocks:
            raise SystemExit(f"gen_docs: {page}: unknown generated block {name!r}")
        if name in seen:
            raise SystemExit(f"gen_docs: {page}: block {name!r} appears twice")
        end = text.find(END, match.end())
        if end < 0:
            raise SystemExit(f"gen_docs: {page}: block {name!r} has no {END}")
        seen.add(name)
        out.append(text[pos : match.end()])
        out.append("\n\n" + blocks[name]().rstrip("\n") + "\n\n")
        pos = end
    out.append(text[pos:])
    missing = sorted(set(blocks) - seen)
    if missing:
        raise SystemExit(f"gen_docs: {page}: missing marker(s) for {', '.join(missing)}")
    return "".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is out of date; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for page, blocks in PAGES.items():
        path = (DOCS / page).resolve()
        text = path.read_text(encoding="utf-8")
        new = render_page(text, blocks, page)
        if new == text:
            continue
        stale.append(page)
        if not args.check:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")
    if args.check and stale:
        print(
            f"out of date: {', '.join(str((DOCS / p).resolve().relative_to(ROOT)) for p in stale)}; "
            "run: python docs/gen_docs.py",
            file=sys.stderr,
        )
        return 1
    if args.check:
        print("generated docs are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
