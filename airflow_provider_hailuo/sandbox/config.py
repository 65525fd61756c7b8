"""Sandbox server settings, and the three ways to set them (Python, environment, command line).

The settings are one mutable dataclass so a test can flip a fault knob on a running server
(``server.config.gateway_error_rate = 0.5`` or ``POST /sandbox/config``) without a restart. The
environment and command-line forms are derived from the dataclass fields, so a new knob is
automatically settable everywhere and documented by its ``help`` metadata.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "HAILUO_SANDBOX_"
"""Prefix of the environment variables read by ``python -m airflow_provider_hailuo.sandbox``."""


#: What an outage can answer ("mixed" cycles through the others), and the endpoints it can hit.
OUTAGE_ANSWERS = ("gateway", "unavailable", "rate_limit", "token_limit", "garbled", "unknown_status", "mixed")
OUTAGE_ENDPOINTS = ("create", "query", "retrieve")


class ConfigError(ValueError):
    """A setting has an unknown name, the wrong type or an out-of-range value."""


def _doc(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass
class SandboxConfig:
    """Behaviour of a sandbox server. Every field can be changed while the server runs."""

    api_keys: tuple[str, ...] = field(
        default=("sandbox-key",),
        metadata=_doc(
            "API keys accepted as `Authorization: Bearer <key>`; anything else gets 1004. Each key is "
            "its own account: tasks and files are only visible to the key that created them."
        ),
    )
    other_region_keys: tuple[str, ...] = field(
        default=("sandbox-other-region-key",),
        metadata=_doc(
            "Keys that belong to 'the other region' and get 2049 'invalid api key', the answer a real "
            "key sent to the wrong host (api.minimax.io vs api.minimaxi.com) gets."
        ),
    )
    preparing_seconds: float = field(
        default=0.2, metadata=_doc("How long a new task reports status Preparing.")
    )
    queueing_seconds: float = field(default=0.3, metadata=_doc("How long a task then reports Queueing."))
    processing_seconds: float = field(
        default=1.0,
        metadata=_doc("How long a task then reports Processing before its final Success or Fail."),
    )
    video_bytes: int = field(
        default=256 * 1024,
        metadata=_doc(
            "Size in bytes of each generated MP4 (raised to the smallest playable file, under 16 KB, if "
            "smaller); a trailing free box pads a playable H.264 clip (and, for H3, its AAC track) to it. "
            "Made on the fly, so several GB cost no memory. CLI/env accept suffixes K, M, G (binary)."
        ),
    )
    download_url_ttl_seconds: float = field(
        default=3600.0,
        metadata=_doc("Lifetime of each download_url minted by /v1/files/retrieve (MiniMax: 1 hour)."),
    )
    file_retention_seconds: float | None = field(
        default=None,
        metadata=_doc(
            "How long a generated file can be retrieved after its task finished; afterwards "
            "/v1/files/retrieve answers 2013 'file not found', as for a file MiniMax no longer keeps. "
            "None: forever; 0 forgets every finished file at once (the task's query still succeeds)."
        ),
    )
    public_base_url: str | None = field(
        default=None,
        metadata=_doc(
            "Scheme://host[:port] put in download URLs. None: derived from the Host header of the "
            "retrieve request, which is right unless a proxy rewrites it."
        ),
    )
    rate_limit_rpm: int | None = field(
        default=None,
        metadata=_doc(
            "If set, a create call gets 1002 when N create calls were let through in the last 60 s "
            "(a sliding window; MiniMax: 5 RPM free, 20 paid). None disables it."
        ),
    )
    gateway_error_rate: float = field(
        default=0.0,
        metadata=_doc(
            "Fraction (0-1) of /v1 and /v2 answers replaced by an HTTP 502 with an HTML body, as an edge proxy "
            "would send. Decided before the endpoint runs, so a faulted create creates nothing."
        ),
    )
    gateway_error_methods: tuple[str, ...] = field(
        default=("GET", "POST", "DELETE"),
        metadata=_doc(
            "HTTP methods whose /v1 and /v2 answers gateway_error_rate may replace. ('GET',) spares create calls, "
            "for tests of clients that must survive gateway pages while waiting."
        ),
    )
    rate_limit_error_rate: float = field(
        default=0.0,
        metadata=_doc(
            "Fraction (0-1) of /v1 answers replaced by HTTP 200 with base_resp 1002 (rate limit), and "
            "of /v2 answers by HTTP 429 (1002). Decided before the endpoint runs."
        ),
    )
    outage_seconds: float = field(
        default=0.0,
        metadata=_doc(
            "Length of an outage: from the first call it hits, every call to an endpoint in "
            "outage_endpoints gets outage_answer instead of its answer, for this many seconds. 0: none. "
            "Setting it (or outage_answer) again, or POST /sandbox/reset, starts a new outage."
        ),
    )
    outage_answer: str = field(
        default="gateway",
        metadata=_doc(
            "What an outage answers: gateway (HTTP 502 HTML page), unavailable (HTTP 503), rate_limit "
            "(base_resp 1002), token_limit (base_resp 1039), garbled (HTTP 200, a JSON content type and "
            "a body that is not JSON), unknown_status (a query reports status 'Unknown', as MiniMax's own "
            "CLI expects it may; other endpoints answer as usual), or mixed (each of these in turn)."
        ),
    )
    outage_endpoints: tuple[str, ...] = field(
        default=("query",),
        metadata=_doc(
            "Endpoints an outage hits: any of create, query, retrieve. A faulted create creates nothing."
        ),
    )
    fault_seed: int | None = field(
        default=None,
        metadata=_doc(
            "Seed for the random fault draws, so a faulty run can be replayed. None: unpredictable. "
            "Changing it (or POST /sandbox/reset) restarts the sequence."
        ),
    )
    slow_seconds: float = field(
        default=0.0,
        metadata=_doc("Delay added before every /v1 and /v2 answer, to exercise client timeouts."),
    )
    cut_download_after_bytes: int | None = field(
        default=None,
        metadata=_doc(
            "If set, download responses close the connection after this many body bytes, so clients "
            "see a truncated body. Applies to the first `cut_download_times` downloads of each file "
            "whose body is longer than that; later downloads complete, so retries can succeed."
        ),
    )
    cut_download_times: int = field(
        default=1,
        metadata=_doc("How many download responses per file are cut when cut_download_after_bytes is set."),
    )
    balance_exhausted: bool = field(
        default=False,
        metadata=_doc("Valid create calls get 1008 'insufficient balance' (v2: HTTP 402)."),
    )
    callback_timeout_seconds: float = field(
        default=3.0,
        metadata=_doc(
            "Time a callback_url has to echo the challenge (MiniMax: 3 s), and the timeout of each "
            "status push."
        ),
    )
    push_callbacks: bool = field(
        default=True,
        metadata=_doc(
            "POST status updates to a task's callback_url. False still checks the challenge but never "
            "pushes, to test clients that must fall back to polling."
        ),
    )
    drop_final_callback: bool = field(
        default=False,
        metadata=_doc(
            "Lose the final status push (success or failed) of every task, as when the receiver is down "
            "at that moment; the processing push still arrives. Counted as callbacks_dropped."
        ),
    )
    create_timeout_after_commit: bool = field(
        default=False,
        metadata=_doc(
            "One-shot: the next create call (v1 or v2) creates its task, then hangs for "
            "create_timeout_hang_seconds before answering, emulating a read timeout after the task "
            "exists (a client that resubmits pays twice). Resets itself to False when used."
        ),
    )
    create_timeout_hang_seconds: float = field(
        default=30.0,
        metadata=_doc("How long the create call hangs when create_timeout_after_commit fires."),
    )
    create_gateway_error_after_commit: bool = field(
        default=False,
        metadata=_doc(
            "One-shot: the next create call creates its task (counted in creates), then answers an HTTP "
            "502 HTML page instead of the task id, as a gateway that lost the backend's answer does (a "
            "client that resubmits pays twice). Resets itself to False when used."
        ),
    )
    strict_image_content: bool = field(
        default=True,
        metadata=_doc(
            "Base64 data-URL images must decode to JPEG, PNG or WebP bytes (checked by signature); v2 "
            "media must be readable files of an allowed format. False accepts any well-formed base64 "
            "(v2: unreadable media pass unmeasured)."
        ),
    )
    download_chunk_bytes: int = field(
        default=1 << 20, metadata=_doc("Write size used when streaming downloads.")
    )
    # -- v2 (MiniMax-H3). The timings, video_bytes, balance_exhausted, slow_seconds, gateway_error_rate,
    # rate_limit_error_rate, create_timeout_after_commit, strict_image_content and the callback knobs
    # above apply to /v2 too (a v2 task is queued for preparing + queueing seconds, then running).
    token_plan_keys: tuple[str, ...] = field(
        default=("sandbox-token-plan-key",),
        metadata=_doc(
            "Token-Plan keys: accepted like api_keys everywhere, but every v2 create, Context-IR and "
            "regeneration call gets 402 'insufficient balance (1008)', MiniMax's answer to keys without "
            "pay-as-you-go."
        ),
    )
    v2_rate_limit_rpm: int | None = field(
        default=300,
        metadata=_doc(
            "Per-account v2 request limit in v2_rate_limit_window_seconds (MiniMax-H3: 300 a minute); "
            "beyond it 429 'rate limit, please retry later (1002)'. None disables it."
        ),
    )
    v2_rate_limit_window_seconds: float = field(
        default=60.0, metadata=_doc("Length of the sliding window of v2_rate_limit_rpm (a minute).")
    )
    v2_rate_limit_creates_only: bool = field(
        default=False,
        metadata=_doc(
            "Count only create, Context-IR and regeneration calls towards v2_rate_limit_rpm. False counts "
            "every v2 request (queries, lists and deletes too)."
        ),
    )
    v2_in_flight_cap: int | None = field(
        default=30,
        metadata=_doc(
            "Per-account cap on v2 video tasks queued or running (MiniMax-H3: 30). A create beyond it "
            "gets 429 rate_limit_error with a message of its own and creates nothing. None disables it."
        ),
    )
    v2_in_flight_cap_code: int = field(
        default=1002,
        metadata=_doc(
            "MiniMax code at the end of the in-flight-cap message: 1002 or 1041 (open question Q7)."
        ),
    )
    v2_content_url_ttl_seconds: float = field(
        default=3600.0,
        metadata=_doc(
            "Lifetime of each task.content.url (minted afresh by every query, list item and push); "
            "HTTP 403 afterwards. MiniMax does not publish it."
        ),
    )
    v2_task_window_seconds: float = field(
        default=7 * 86400.0,
        metadata=_doc(
            "The query window (7 days): older tasks answer 'invalid task_id', and list results and "
            "totals leave them out."
        ),
    )
    v2_upload_ttl_seconds: float = field(
        default=7 * 86400.0, metadata=_doc("Lifetime of an uploaded mm_file:// input (7 days).")
    )
    v2_fetch_media_urls: bool = field(
        default=True,
        metadata=_doc(
            "Download http(s) media URLs of v2 requests and check their format and limits, as MiniMax "
            "does (unreachable URLs get 400). False accepts them unchecked, for offline DAG development."
        ),
    )
    v2_task_ids_encoding: str = field(
        default="both",
        metadata=_doc(
            "How the v2 list reads filter.task_ids, whose encoding MiniMax leaves open (conflict C8): both "
            "(repeated parameters and comma-joined values), repeated (a comma-joined value is one id, as an "
            "OpenAPI-default server reads it) or comma (only the first parameter is read, split at commas)."
        ),
    )
    v2_server_error_rate: float = field(
        default=0.0,
        metadata=_doc(
            "Fraction (0-1) of /v2 answers replaced by HTTP 500 server_error (1000), before the endpoint "
            "runs (nothing is created)."
        ),
    )
    v2_overloaded_error_rate: float = field(
        default=0.0,
        metadata=_doc(
            "Fraction (0-1) of /v2 answers replaced by HTTP 529 overloaded_error, before the endpoint runs."
        ),
    )
    v2_create_502_after_commit_rate: float = field(
        default=0.0,
        metadata=_doc(
            "Fraction (0-1) of v2 create, Context-IR and regeneration calls that create their task and "
            "then answer an HTML 502 from the gateway: the ambiguous case a client must reconcile."
        ),
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Reject values that would make the server misbehave later, far from where they were set."""
        for name in ("preparing_seconds", "queueing_seconds", "processing_seconds", "slow_seconds"):
            _require(getattr(self, name) >= 0, f"{name} must be >= 0")
        for name in ("download_url_ttl_seconds", "callback_timeout_seconds", "create_timeout_hang_seconds"):
            _require(getattr(self, name) >= 0, f"{name} must be >= 0")
        _require(
            self.file_retention_seconds is None or self.file_retention_seconds >= 0,
            "file_retention_seconds must be >= 0",
        )
        for name in (
            "gateway_error_rate",
            "rate_limit_error_rate",
            "v2_server_error_rate",
            "v2_overloaded_error_rate",
            "v2_create_502_after_commit_rate",
        ):
            _require(0.0 <= getattr(self, name) <= 1.0, f"{name} must be between 0 and 1")
        _require(self.outage_seconds >= 0, "outage_seconds must be >= 0")
        _require(
            self.outage_answer in OUTAGE_ANSWERS,
            f"outage_answer must be one of {', '.join(OUTAGE_ANSWERS)}",
        )
        _require(
            set(self.outage_endpoints) <= set(OUTAGE_ENDPOINTS),
            f"outage_endpoints must be among {', '.join(OUTAGE_ENDPOINTS)}",
        )
        _require(self.video_bytes >= 0, "video_bytes must be >= 0")
        _require(self.rate_limit_rpm is None or self.rate_limit_rpm >= 0, "rate_limit_rpm must be >= 0")
        _require(
            self.cut_download_after_bytes is None or self.cut_download_after_bytes >= 0,
            "cut_download_after_bytes must be >= 0",
        )
        _require(self.cut_download_times >= 0, "cut_download_times must be >= 0")
        _require(self.download_chunk_bytes >= 1, "download_chunk_bytes must be >= 1")
        for name in ("v2_rate_limit_rpm", "v2_in_flight_cap"):
            _require(getattr(self, name) is None or getattr(self, name) >= 0, f"{name} must be >= 0")
        for name in (
            "v2_rate_limit_window_seconds",
            "v2_content_url_ttl_seconds",
            "v2_task_window_seconds",
            "v2_upload_ttl_seconds",
        ):
            _require(getattr(self, name) >= 0, f"{name} must be >= 0")
        _require(self.v2_in_flight_cap_code in (1002, 1041), "v2_in_flight_cap_code must be 1002 or 1041")
        _require(
            self.v2_task_ids_encoding in ("both", "repeated", "comma"),
            "v2_task_ids_encoding must be both, repeated or comma",
        )

    def update(self, values: Mapping[str, Any]) -> None:
        """Apply JSON-typed values all-or-nothing, so a bad request leaves the running server untouched."""
        hints = _field_hints()
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name not in hints:
                raise ConfigError(f"unknown sandbox config field: {name!r}")
            changes[name] = _coerce_json(name, hints[name], value)
        candidate = dataclasses.replace(self, **changes)  # runs validate()
        for name in changes:
            setattr(self, name, getattr(candidate, name))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (tuples become lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def describe(cls) -> dict[str, str]:
        """Field name -> help text; feeds the CLI --help and the docs."""
        return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(cls)}

    @classmethod
    def from_env(cls, environ: Mapping[str, str], base: SandboxConfig | None = None) -> SandboxConfig:
        """Read ``HAILUO_SANDBOX_<FIELD>`` variables (e.g. ``HAILUO_SANDBOX_PROCESSING_SECONDS=5``)."""
        config = dataclasses.replace(base) if base is not None else cls()
        hints = _field_hints()
        changes: dict[str, Any] = {}
        for name, hint in hints.items():
            key = ENV_PREFIX + name.upper()
            if key in environ:
                changes[name] = parse_text(name, hint, environ[key])
        return dataclasses.replace(config, **changes)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _field_hints() -> dict[str, Any]:
    hints = typing.get_type_hints(SandboxConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(SandboxConfig)}


def _split_optional(hint: Any) -> tuple[Any, bool]:
    """``int | None`` -> (int, True); ``int`` -> (int, False)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], len(args) != len(typing.get_args(hint))
    return hint, False


def _coerce_json(name: str, hint: Any, value: Any) -> Any:
    base, optional = _split_optional(hint)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{name} may not be null")
    if base is bool:
        if isinstance(value, bool):
            return value
    elif base is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif base is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif base is str:
        if isinstance(value, str):
            return value
    elif typing.get_origin(base) is tuple:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
    raise ConfigError(f"{name} has the wrong type: {value!r}")


_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_SIZE_FACTORS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_text(name: str, hint: Any, text: str) -> Any:
    """Parse an environment or command-line string into the field's type."""
    base, optional = _split_optional(hint)
    stripped = text.strip()
    if optional and stripped.lower() in ("", "none", "null", "off"):
        return None
    try:
        if base is bool:
            lowered = stripped.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if base is int:
            match = _SIZE_RE.match(stripped)
            if match is None:
                raise ValueError(text)
            return int(match.group(1)) * _SIZE_FACTORS[match.group(2).lower()]
        if base is float:
            return float(stripped)
        if base is str:
            return stripped
        if typing.get_origin(base) is tuple:
            return tuple(part.strip() for part in stripped.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"cannot parse {name}={text!r}") from None
    raise ConfigError(f"unsupported field type for {name}")  # pragma: no cover


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one ``--field-name`` option per config field; values stay strings until `config_from_args`."""
    group = parser.add_argument_group("sandbox behaviour (also settable as HAILUO_SANDBOX_<FIELD>)")
    for name, help_text in SandboxConfig.describe().items():
        group.add_argument(
            "--" + name.replace("_", "-"),
            dest=f"cfg_{name}",
            metavar="VALUE",
            default=None,
            help=help_text.replace("%", "%%"),
        )
    group.add_argument(
        "--api-key",
        dest="cfg_api_key",
        action="append",
        default=None,
        metavar="KEY",
        help="Accepted API key; repeat for several. Replaces the default key.",
    )


def config_from_args(args: argparse.Namespace, environ: Mapping[str, str]) -> SandboxConfig:
    """Defaults, then environment, then command line: the most explicit setting wins."""
    config = SandboxConfig.from_env(environ)
    hints = _field_hints()
    changes: dict[str, Any] = {}
    for name, hint in hints.items():
        raw = getattr(args, f"cfg_{name}", None)
        if raw is not None:
            changes[name] = parse_text(name, hint, raw)
    api_key_flags: list[str] | None = getattr(args, "cfg_api_key", None)
    if api_key_flags:
        changes["api_keys"] = tuple(api_key_flags)
    return dataclasses.replace(config, **changes)
