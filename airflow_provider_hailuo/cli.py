"""``hailuo``: generate, inspect and download MiniMax Hailuo videos from a shell.

The command is a thin shell over the provider's own parts, so a video made from the terminal obeys
exactly the rules a DAG does: requests are validated by
:func:`~airflow_provider_hailuo.request.prepare_video_generation_payload` (same checks, same messages
as ``HailuoVideoGenerationOperator``, before any money is spent), calls go through
:class:`~airflow_provider_hailuo.hooks.hailuo.HailuoHook` (retries, error mapping, resumable
verified downloads) and ``--s3`` uses the ``HailuoToS3Operator``'s transfer function.

Commands::

    hailuo generate --prompt TEXT [options]   submit, wait with a live status line, download
    hailuo resume TASK_ID                     wait for an already submitted task, then download
    hailuo status TASK_ID                     one status query
    hailuo download FILE_ID                   download a generated file (or --s3)
    hailuo models                             the model catalogue
    hailuo camera                             the 15 camera commands
    hailuo test-connection                    check the key and the region

Credentials: ``MINIMAX_API_KEY`` (another variable with ``--api-key-env``) and the host from
``--host`` / ``--region`` / ``MINIMAX_API_HOST`` (default ``https://api.minimaxi.com``), or
``--conn-id ID`` for an Airflow connection (``AIRFLOW_CONN_<ID>`` works without a database). There is
deliberately no ``--api-key`` flag: command lines end up in shell history and ``ps``.

Exit codes (one per kind of failure, so scripts can react without parsing text)::

    0    success (status: the task has not failed)
    1    anything else (rerun with --debug for a traceback)
    2    usage or validation error: bad flag or invalid request (field named); MiniMax 2013, 1042
    3    authentication or configuration: no key/connection, bad key or wrong region (1004, 2049, 2038)
    4    balance, quota or usage limits (1008, 1028, 1030, 2056, 2061)
    5    content moderation (1026, 1027)
    6    rate limit still hit after the retries (1002, 1039, 1041, 2045, HTTP 429)
    7    generation failed: the task ended with status Fail
    8    timeout waiting for the video (it may still finish: hailuo resume TASK_ID)
    9    network, gateway or server trouble, malformed answers (1000, 1001, 1013, 1024, 1033)
    10   download or S3 transfer failed (the video still exists: hailuo download FILE_ID)
    130  interrupted (Ctrl-C)

Errors are one ``error: ...`` line on stderr (with ``--json`` also a JSON document on stdout); the
API key, signed download URLs and base64 images never reach the output. Airflow is imported only by
commands that call the API, so ``hailuo --help``, ``models`` and ``camera`` stay fast.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import textwrap
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo import __version__
from airflow_provider_hailuo.catalogue import DEFAULT_MODEL, MODELS
from airflow_provider_hailuo.cli_progress import Console, StatusLine, TransferProgress, format_elapsed
from airflow_provider_hailuo.get_provider_info import DEFAULT_HOST, INTERNATIONAL_HOST
from airflow_provider_hailuo.redaction import sanitize

if TYPE_CHECKING:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook
    from airflow_provider_hailuo.protocol import VideoGenerationStatus

__all__ = ["EXIT_CODES", "CliError", "ExitCode", "build_parser", "main"]

API_KEY_ENV = "MINIMAX_API_KEY"
HOST_ENV = "MINIMAX_API_HOST"
GROUP_ID_ENV = "MINIMAX_GROUP_ID"
REGIONS = {"cn": DEFAULT_HOST, "intl": INTERNATIONAL_HOST}
DEFAULT_POLL_INTERVAL = 10.0
DEFAULT_TIMEOUT = 3600.0


class ExitCode(IntEnum):
    """The process exit status for each kind of failure (see the module docstring)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH = 3
    QUOTA = 4
    MODERATION = 5
    RATE_LIMIT = 6
    GENERATION_FAILED = 7
    TIMEOUT = 8
    NETWORK = 9
    DOWNLOAD = 10
    INTERRUPTED = 130


#: Exit code -> what it means; the single source for ``--help``, the docs test and docs/cli.md.
EXIT_CODES: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "success (status: the task has not failed)"),
    (ExitCode.ERROR, "anything else (rerun with --debug for a traceback)"),
    (
        ExitCode.USAGE,
        "usage or validation error: bad flag or invalid request, field named (MiniMax 2013, 1042)",
    ),
    (ExitCode.AUTH, "no key/connection, bad key or wrong region (1004, 2049, 2038)"),
    (ExitCode.QUOTA, "balance, quota or usage limits (1008, 1028, 1030, 2056, 2061)"),
    (ExitCode.MODERATION, "content moderation (1026, 1027)"),
    (ExitCode.RATE_LIMIT, "rate limit still hit after the retries (1002, 1039, 1041, 2045, HTTP 429)"),
    (ExitCode.GENERATION_FAILED, "generation failed: the task ended with status Fail"),
    (ExitCode.TIMEOUT, "timeout waiting for the video (it may still finish: hailuo resume TASK_ID)"),
    (
        ExitCode.NETWORK,
        "network, gateway or server trouble, malformed answers (1000, 1001, 1013, 1024, 1033)",
    ),
    (ExitCode.DOWNLOAD, "download or S3 transfer failed (the video still exists: hailuo download FILE_ID)"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
)

# MiniMax business codes grouped by what the user has to do about them.
_AUTH_CODES = frozenset({1004, 2049, 2038})
_QUOTA_CODES = frozenset({1008, 1028, 1030, 2056, 2061})
_MODERATION_CODES = frozenset({1026, 1027})
_RATE_LIMIT_CODES = frozenset({1002, 1039, 1041, 2045})
_INPUT_CODES = frozenset({2013, 1042})
_SERVICE_CODES = frozenset({1000, 1001, 1013, 1024, 1033})


class CliError(Exception):
    """A failure already translated for the user: its exit code, one message, and the ids to resume with."""

    def __init__(
        self,
        exit_code: ExitCode,
        message: str,
        *,
        api_code: int | None = None,
        task_id: str | None = None,
        file_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message
        self.api_code = api_code
        self.task_id = task_id
        self.file_id = file_id


# -- runtime -----------------------------------------------------------------------------------------


@dataclass
class Runtime:
    """One invocation: parsed arguments, the console, and what an error report needs to know."""

    args: argparse.Namespace
    console: Console
    secret: str | None = None
    task_id: str | None = None
    file_id: str | None = None
    #: True once we wait for a task that exists at MiniMax: failures then say how to pick it up again.
    waiting: bool = False
    #: True while the create call is in flight: an interruption then may leave a billed task unseen.
    submitting: bool = False
    _hook: HailuoHook | None = field(default=None, repr=False)

    def hook(self) -> HailuoHook:
        """The hook for the chosen credentials, built once; configuration problems exit with 3."""
        if self._hook is None:
            self._hook = _make_hook(self)
        return self._hook

    def close(self) -> None:
        if self._hook is not None:
            self._hook.close()


def _make_hook(rt: Runtime) -> HailuoHook:
    args = rt.args
    if args.conn_id and (args.host or args.region):
        raise CliError(ExitCode.USAGE, "--conn-id takes the host from the connection: drop --host/--region")
    if args.host and args.region:
        raise CliError(ExitCode.USAGE, "give either --host or --region, not both")
    from airflow_provider_hailuo.hooks.hailuo import HailuoConnectionSettings, HailuoHook
    from airflow_provider_hailuo.protocol import normalise_base_url
    from airflow_provider_hailuo.retry import RetryPolicy

    policy = RetryPolicy(max_attempts=args.retries)
    if args.conn_id:
        hook = HailuoHook(args.conn_id, retry_policy=policy)
        try:
            settings = hook.settings
        except Exception as err:
            if _is_not_found(err):
                raise CliError(
                    ExitCode.AUTH,
                    f"Airflow connection {args.conn_id!r} is not defined: set AIRFLOW_CONN_"
                    f'{args.conn_id.upper()} (e.g. \'{{"conn_type": "hailuo", "password": "<key>", '
                    f'"host": "{DEFAULT_HOST}"}}\') or use {API_KEY_ENV}',
                ) from err
            raise
    else:
        key = os.environ.get(args.api_key_env, "").strip()
        if not key:
            raise CliError(
                ExitCode.AUTH,
                f"no API key: set the {args.api_key_env} environment variable, or use --conn-id ID for an "
                "Airflow connection",
            )
        host = args.host or (REGIONS[args.region] if args.region else None) or os.environ.get(HOST_ENV)
        try:
            base_url = normalise_base_url(host, DEFAULT_HOST)
        except ValueError as err:
            raise CliError(ExitCode.USAGE, f"--host: {err}") from err
        group_id = args.group_id or os.environ.get(GROUP_ID_ENV) or None
        settings = HailuoConnectionSettings(key, base_url, group_id, args.request_timeout)
        hook = HailuoHook(settings=settings, retry_policy=policy)
    rt.secret = settings.api_key
    # Retry and resume warnings come to our stderr lines instead of Airflow's stdout log format.
    hook._log = logging.getLogger("airflow_provider_hailuo.cli.hook")  # type: ignore[assignment]
    return hook


def _is_not_found(err: BaseException) -> bool:
    return any(cls.__name__ == "AirflowNotFoundException" for cls in type(err).__mro__)


def _needs_airflow(args: argparse.Namespace) -> bool:
    """Whether the command will import Airflow (to call the API or read S3); listings and dry runs do not."""
    if args.command in ("models", "camera"):
        return False
    if args.command == "generate" and args.dry_run:
        images = (args.first_frame, args.last_frame, args.subject)
        return any(str(image or "").startswith("s3://") for image in images)
    return True


def _quiet_airflow_logging(debug: bool) -> None:
    """Airflow logs to stdout, which belongs to the CLI's answer: keep it to errors unless ``--debug``.

    Only effective before Airflow is first imported (a real ``hailuo`` process), never in a host process
    that already configured it.
    """
    if "airflow" not in sys.modules:
        os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "DEBUG" if debug else "ERROR"


class _ConsoleLogHandler(logging.Handler):
    """Provider log records (validation warnings, retries, resumed downloads) as console lines."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__()
        self.rt = rt

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = sanitize(record.getMessage(), self.rt.secret)
        except Exception:  # pragma: no cover - a bad log call must not end the command
            return
        if record.levelno >= logging.WARNING:
            self.rt.console.warn(message)
        else:
            self.rt.console.note(message)


@contextlib.contextmanager
def _routed_logging(rt: Runtime) -> Iterator[None]:
    """Send every stdlib log record to the console (stderr) for the command's duration.

    Airflow's logging writes to stdout, which belongs to the answer (``--json``, ``--output -``), and
    libraries such as botocore log chatty INFO lines. So the root handlers are replaced by one that
    prints ``warning: ...`` lines (everything with ``--debug``), and ``sys.stdout`` points at stderr
    for anything else that writes there (Airflow's structlog loggers); the console keeps the real
    stdout. Everything is put back afterwards, which keeps an in-process caller's setup intact.
    """
    root = logging.getLogger()
    handler = _ConsoleLogHandler(rt)
    level = logging.DEBUG if rt.args.debug else logging.WARNING
    handler.setLevel(level)
    saved = (root.handlers[:], root.level)
    root.handlers = [handler]
    root.setLevel(level)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(rt.console.stderr):
            # Validation warns through both `warnings` and logging; the log record is the one shown.
            warnings.simplefilter("default" if rt.args.debug else "ignore")
            yield
    finally:
        root.handlers = saved[0]
        root.setLevel(saved[1])


# -- error classification ----------------------------------------------------------------------------


def _exit_for_api_code(code: int) -> ExitCode:
    if code in _AUTH_CODES:
        return ExitCode.AUTH
    if code in _QUOTA_CODES:
        return ExitCode.QUOTA
    if code in _MODERATION_CODES:
        return ExitCode.MODERATION
    if code in _RATE_LIMIT_CODES:
        return ExitCode.RATE_LIMIT
    if code in _INPUT_CODES:
        return ExitCode.USAGE
    if code in _SERVICE_CODES:
        return ExitCode.NETWORK
    return ExitCode.ERROR


def classify(exc: BaseException, rt: Runtime | None = None) -> CliError:
    """Translate any exception into the exit code and message the user sees."""
    if isinstance(exc, CliError):
        return exc
    task_id = rt.task_id if rt else None
    file_id = rt.file_id if rt else None
    message = str(exc).strip() or type(exc).__name__
    if "airflow_provider_hailuo.exceptions" not in sys.modules:
        return CliError(ExitCode.ERROR, f"{type(exc).__name__}: {message}", task_id=task_id, file_id=file_id)
    from airflow_provider_hailuo import exceptions as hx
    from airflow_provider_hailuo.download import HailuoDownloadError

    task_id = getattr(exc, "video_task_id", None) or task_id
    api_code: int | None = None
    if isinstance(exc, hx.HailuoAPIError):
        api_code = exc.code
        code = _exit_for_api_code(exc.code)
    elif isinstance(exc, hx.HailuoConfigurationError):
        code = ExitCode.AUTH
    elif isinstance(exc, hx.HailuoWaitTimeoutError):
        code = ExitCode.TIMEOUT
    elif isinstance(exc, hx.HailuoVideoGenerationFailedError):
        code = ExitCode.GENERATION_FAILED
    elif isinstance(exc, HailuoDownloadError):
        code = ExitCode.DOWNLOAD
    elif isinstance(exc, hx.HailuoHTTPError):
        code = {429: ExitCode.RATE_LIMIT, 401: ExitCode.AUTH}.get(exc.http_status, ExitCode.NETWORK)
    elif isinstance(exc, (hx.HailuoTransportError, hx.HailuoMalformedResponseError)):
        code = ExitCode.NETWORK
    elif _is_not_found(exc):
        code = ExitCode.AUTH
    else:
        code = ExitCode.ERROR
        if not isinstance(exc, hx.HailuoError):
            message = f"{type(exc).__name__}: {message}"
    if file_id and code in (ExitCode.DOWNLOAD, ExitCode.NETWORK):
        message += f". The video is still available: retry with 'hailuo download {file_id}'"
    elif task_id and code is ExitCode.NETWORK and rt is not None and rt.waiting:
        message += f". The task may still finish: 'hailuo resume {task_id}'"
    return CliError(code, message, api_code=api_code, task_id=task_id, file_id=file_id)


def _report(rt: Runtime, exc: BaseException, failure: CliError) -> None:
    message = " ".join(sanitize(failure.message, rt.secret).split())
    if rt.args.debug:
        original = exc.__cause__ if exc is failure and exc.__cause__ is not None else exc
        text = "".join(traceback.format_exception(type(original), original, original.__traceback__))
        rt.console.end_live()
        rt.console.stderr.write(sanitize(text, rt.secret))
    rt.console.error(message)
    if rt.args.json:
        rt.console.emit_json(
            {
                "error": {
                    "exit_code": int(failure.exit_code),
                    "kind": failure.exit_code.name.lower(),
                    "message": message,
                    "api_code": failure.api_code,
                    "task_id": failure.task_id or rt.task_id,
                    "file_id": failure.file_id or rt.file_id,
                }
            }
        )


# -- argument types ----------------------------------------------------------------------------------

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def _seconds(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``1h``: waits are minutes long, so let people write minutes."""
    match = _DURATION_RE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected seconds such as 30, 90s, 15m or 1h, got {text!r}")
    unit = match.group(2).lower() if match.group(2) else None
    value = float(match.group(1)) * _UNIT_SECONDS[unit]
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
    return value


def _timeout(text: str) -> float | None:
    if text.strip().lower() in ("none", "never", "0"):
        return None
    return _seconds(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _key_value(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as JSON when it parses (``n=3``, ``flag=true``), else as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


# -- destinations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    """Where a video goes: a local file (or directory), stdout (``-``) or an S3 key (or prefix ``/``)."""

    kind: str  # "file" | "stdout" | "s3"
    path: str | None = None
    bucket: str | None = None
    key: str | None = None

    def file_path(self, default_name: str) -> Path:
        if self.path is None:
            return Path(default_name)
        path = Path(self.path).expanduser()
        if self.path.endswith(("/", os.sep)) or path.is_dir():
            return path / default_name
        return path

    def s3_key(self, default_name: str) -> str:
        key = (self.key or "").lstrip("/")
        return key + default_name if not key or key.endswith("/") else key

    @property
    def names_target(self) -> bool:
        """True when the final name is known before the task id is (a full path or S3 key)."""
        if self.kind == "file":
            return self.path is not None and not self.path.endswith(("/", os.sep))
        return self.kind == "s3" and bool(self.key) and not str(self.key).endswith("/")


def _destination(args: argparse.Namespace) -> Destination:
    if getattr(args, "s3", None):
        uri = args.s3
        if not uri.startswith("s3://"):
            raise CliError(ExitCode.USAGE, f"--s3: expected s3://bucket/key, got {uri!r}")
        bucket, _, key = uri[5:].partition("/")
        if not bucket:
            raise CliError(ExitCode.USAGE, f"--s3: no bucket in {uri!r}; expected s3://bucket/key")
        return Destination("s3", bucket=bucket, key=key)
    output = getattr(args, "output", None)
    if output == "-":
        if args.json:
            raise CliError(
                ExitCode.USAGE, "--output - writes the video to stdout: it cannot be combined with --json"
            )
        return Destination("stdout")
    return Destination("file", path=output)


def _check_destination(
    rt: Runtime, dest: Destination, default_name: str | None, file_id: str | None = None
) -> None:
    """Refuse a clobbering or impossible destination *before* a paid video is submitted."""
    force = bool(getattr(rt.args, "force", False))
    if dest.kind == "file":
        if default_name is None and not dest.names_target:
            if dest.path is not None and not Path(dest.path).expanduser().is_dir():
                raise CliError(ExitCode.USAGE, f"--output: directory {dest.path!r} does not exist")
            return
        target = dest.file_path(default_name or "")
        parent = target.parent if str(target.parent) else Path(".")
        if not parent.is_dir():
            raise CliError(ExitCode.USAGE, f"--output: directory {str(parent)!r} does not exist")
        if target.exists() and not force:
            raise CliError(
                ExitCode.USAGE, f"--output: {str(target)!r} already exists; pass --force to overwrite it"
            )
    elif dest.kind == "s3":
        if default_name is None and not dest.names_target:
            _s3_head(rt, dest.bucket or "", None)
            return
        key = dest.s3_key(default_name or "")
        head = _s3_head(rt, dest.bucket or "", key)
        if head is None or force:
            return
        meta = {str(k).lower(): str(v) for k, v in (head.get("Metadata") or {}).items()}
        if file_id is not None and meta.get("hailuo-file-id") == file_id:
            return  # the same video: the transfer recognises it and skips the download
        raise CliError(
            ExitCode.USAGE, f"--s3: s3://{dest.bucket}/{key} already exists; pass --force to replace it"
        )


def _s3_hook(rt: Runtime) -> Any:
    """The S3 transfer's memory-bounded S3Hook, for the chosen AWS connection (or boto3's chain)."""
    from airflow_provider_hailuo.transfers.hailuo_to_s3 import make_s3_hook

    return make_s3_hook(rt.args.aws_conn_id)


def _s3_head(rt: Runtime, bucket: str, key: str | None) -> dict[str, Any] | None:
    """HEAD the target object (None: absent), or only the bucket when the key is not known yet.

    Run before submitting, so missing credentials or a wrong bucket fail before a video is paid for.
    """
    from botocore.exceptions import ClientError

    where = f"s3://{bucket}/{key or ''}"
    try:
        client = _s3_hook(rt).get_conn()
        if key is None:
            client.head_bucket(Bucket=bucket)
            return None
        return dict(client.head_object(Bucket=bucket, Key=key))
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", ""))
        if key is not None and code in ("404", "NoSuchKey", "NotFound"):
            return None
        raise CliError(ExitCode.DOWNLOAD, f"--s3: cannot use {where}: {err}") from err
    except Exception as err:
        raise CliError(ExitCode.DOWNLOAD, f"--s3: cannot use {where}: {type(err).__name__}: {err}") from err


# -- the fetch step shared by generate, resume and download -------------------------------------------


class _TransferLog:
    """The ``log`` handed to the S3 transfer: its progress lines become our live line, the rest notes."""

    def __init__(self, rt: Runtime, progress_label: str) -> None:
        self.rt = rt
        self.progress_label = progress_label

    def _format(self, msg: str, args: tuple[Any, ...]) -> str:
        try:
            text = msg % args if args else msg
        except (TypeError, ValueError):
            text = " ".join([msg, *map(str, args)])
        return sanitize(text, self.rt.secret)

    def info(self, msg: str, *args: Any, **_: Any) -> None:
        if args and args[0] == self.progress_label:
            self.rt.console.live("upload " + self._format(msg, args)[len(self.progress_label) + 2 :])
            return
        self.rt.console.note(self._format(msg, args))

    def debug(self, msg: str, *args: Any, **_: Any) -> None:
        if self.rt.args.debug:
            self.rt.console.note(self._format(msg, args))

    def warning(self, msg: str, *args: Any, **_: Any) -> None:
        self.rt.console.warn(self._format(msg, args))

    def error(self, msg: str, *args: Any, **_: Any) -> None:
        self.rt.console.warn(self._format(msg, args))

    exception = error


def _fetch(
    rt: Runtime,
    file_id: str,
    dest: Destination,
    default_name: str,
    *,
    task_id: str | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Download ``file_id`` to ``dest`` with progress; returns where it landed, its size and SHA-256."""
    from airflow_provider_hailuo import exceptions as hx

    rt.file_id = file_id
    hook = rt.hook()
    try:
        if dest.kind == "s3":
            return _fetch_to_s3(rt, file_id, dest, default_name, task_id=task_id, model=model)
        progress = TransferProgress(rt.console, "download")
        if dest.kind == "stdout":
            sink = getattr(rt.console.stdout, "buffer", rt.console.stdout)
            result = hook.download_file(file_id, sink, progress=progress)
            sink.flush()
            output = "-"
        else:
            path = dest.file_path(default_name)
            result = hook.download_file(file_id, str(path), progress=progress)
            output = str(path.resolve())
        progress.finish()
    except CliError:
        raise
    except (hx.HailuoAPIError, hx.HailuoHTTPError, hx.HailuoTransportError, hx.HailuoMalformedResponseError):
        raise  # the API refused or could not be reached: classified like any other call
    except Exception as err:
        what = str(err) if isinstance(err, hx.HailuoError) else f"{type(err).__name__}: {err}"
        raise CliError(
            ExitCode.DOWNLOAD,
            f"download of file {file_id} failed: {what}. The video is still available: retry with "
            f"'hailuo download {file_id}'",
            file_id=file_id,
            task_id=task_id,
        ) from err
    return {
        "file_id": file_id,
        "output": output,
        "bytes": result.bytes,
        "sha256": result.sha256,
        "filename": result.filename,
    }


def _fetch_to_s3(
    rt: Runtime,
    file_id: str,
    dest: Destination,
    default_name: str,
    *,
    task_id: str | None,
    model: str | None,
) -> dict[str, Any]:
    from airflow_provider_hailuo.transfers.hailuo_to_s3 import transfer_hailuo_file_to_s3

    bucket = dest.bucket or ""
    key = dest.s3_key(default_name)
    label = f"file {file_id} -> s3://{bucket}/{key}"
    log = _TransferLog(rt, label)
    try:
        result = transfer_hailuo_file_to_s3(
            hailuo_hook=rt.hook(),
            s3_hook=_s3_hook(rt),
            file_id=file_id,
            bucket=bucket,
            key=key,
            video_task_id=task_id,
            model=model,
            replace=bool(rt.args.force),
            log=log,
            progress_interval=0.2 if rt.console.tty else 5.0,
        )
    finally:
        rt.console.end_live()
    if result.reused:
        rt.console.note(f"s3://{bucket}/{key} already holds this video: nothing was downloaded")
    return {
        "file_id": file_id,
        "output": result.s3_uri,
        "bytes": result.bytes,
        "sha256": result.sha256,
        "reused": result.reused,
    }


def _print_fetched(rt: Runtime, fetched: dict[str, Any]) -> None:
    from airflow_provider_hailuo.download import format_bytes

    if fetched["output"] != "-":
        rt.console.result(f"saved: {fetched['output']}")
    rt.console.result(f"size: {format_bytes(fetched['bytes'])} ({fetched['bytes']} bytes)")
    rt.console.result(f"sha256: {fetched['sha256']}")


# -- commands ----------------------------------------------------------------------------------------


def _prompt(args: argparse.Namespace) -> str | None:
    if args.prompt_file is None:
        return args.prompt  # type: ignore[no-any-return]
    try:
        if args.prompt_file == "-":
            text = sys.stdin.read()
        else:
            text = Path(args.prompt_file).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CliError(ExitCode.USAGE, f"--prompt-file: cannot read {args.prompt_file!r}: {err}") from err
    return text.strip()


def _payload(args: argparse.Namespace) -> dict[str, Any]:
    """Validate exactly as the operator does; bad input exits 2 before anything is sent."""
    from airflow_provider_hailuo.request import prepare_video_generation_payload

    extra = dict(args.extra or [])
    try:
        return prepare_video_generation_payload(
            model=args.model,
            prompt=_prompt(args),
            duration=args.duration,
            resolution=args.resolution,
            prompt_optimizer=args.prompt_optimizer,
            fast_pretreatment=args.fast_pretreatment,
            first_frame_image=args.first_frame,
            last_frame_image=args.last_frame,
            subject_reference=args.subject,
            callback_url=args.callback_url,
            aigc_watermark=args.watermark,
            extra_params=extra or None,
            aws_conn_id=args.aws_conn_id,
        )
    except ValueError as err:
        raise CliError(ExitCode.USAGE, f"invalid request: {err}") from err
    except CliError:
        raise
    except Exception as err:  # reading an s3:// image failed (credentials, network)
        raise CliError(
            ExitCode.DOWNLOAD, f"could not read an input image: {type(err).__name__}: {err}"
        ) from err


def _status_doc(status: VideoGenerationStatus) -> dict[str, Any]:
    return {
        "task_id": status.video_task_id,
        "status": status.status.value,
        "file_id": status.file_id,
        "video_width": status.video_width,
        "video_height": status.video_height,
        "error_code": status.error_code,
        "error_message": status.error_message,
        "trace_id": status.trace_id,
    }


def _unknown_task(rt: Runtime, task_id: str, err: BaseException) -> CliError:
    """A query answered 2013: its only parameter is the task id, so say that rather than "check the model"."""
    base_url = rt.hook().settings.base_url
    detail = getattr(err, "status_msg", "") or str(err)
    return CliError(
        ExitCode.USAGE,
        f"MiniMax knows no video task {task_id} at {base_url} ({detail}): check the id, and that this key "
        "and region created it",
        api_code=2013,
        task_id=task_id,
    )


def _failure_of(status: VideoGenerationStatus) -> CliError:
    """Why a task ended in Fail, as the error to exit with (moderation gets its own code)."""
    task_id = status.video_task_id
    if status.error_code in _MODERATION_CODES:
        from airflow_provider_hailuo.exceptions import api_error_from_code

        err = api_error_from_code(status.error_code or 0, status.error_message or "", video_task_id=task_id)
        return CliError(ExitCode.MODERATION, str(err), api_code=status.error_code, task_id=task_id)
    reason = f" ({status.error_code}: {status.error_message})" if status.error_code else ""
    return CliError(
        ExitCode.GENERATION_FAILED,
        f"video task {task_id} failed{reason}. MiniMax gave no further reason; submitting again creates a "
        "new, billed task",
        api_code=status.error_code,
        task_id=task_id,
    )


def _wait_and_fetch(
    rt: Runtime,
    task_id: str,
    dest: Destination,
    *,
    started: float,
    model: str | None = None,
    extra: dict[str, Any] | None = None,
) -> int:
    """Wait with a live status line, then download; the part ``generate`` and ``resume`` share."""
    from airflow_provider_hailuo.exceptions import HailuoInvalidParamsError, HailuoWaitTimeoutError
    from airflow_provider_hailuo.protocol import VideoStatus

    args = rt.args
    hook = rt.hook()
    rt.waiting = True
    line = StatusLine(rt.console, task_id, started=started)
    try:
        with line:
            final = hook.wait_for_video_generation(
                task_id,
                poll_interval=args.poll_interval,
                timeout=args.timeout,
                on_status=lambda status, _elapsed: line.update(status.status.value),
            )
    except HailuoWaitTimeoutError as err:
        raise CliError(
            ExitCode.TIMEOUT,
            f"video task {task_id} was not ready after {format_elapsed(line.elapsed)} (last status "
            f"{line.status or 'unknown'}). It keeps running at MiniMax and may still finish: wait for it "
            f"with 'hailuo resume {task_id}' instead of submitting again",
            task_id=task_id,
        ) from err
    except HailuoInvalidParamsError as err:
        raise _unknown_task(rt, task_id, err) from err
    if final.status is VideoStatus.FAIL:
        raise _failure_of(final)
    file_id = final.file_id or ""
    size = f", {final.video_width}x{final.video_height}" if final.video_width else ""
    rt.console.result(f"video ready: file id {file_id}{size} after {format_elapsed(line.elapsed)}")
    fetched = _fetch(rt, file_id, dest, f"hailuo-{task_id}.mp4", task_id=task_id, model=model)
    if args.json:
        rt.console.emit_json(
            {**_status_doc(final), **(extra or {}), **fetched, "elapsed_seconds": round(line.elapsed, 3)}
        )
    else:
        _print_fetched(rt, fetched)
    return ExitCode.OK


def cmd_generate(rt: Runtime) -> int:
    """Validate, submit, report the task id at once, then (unless --no-wait) wait and download."""
    from airflow_provider_hailuo.redaction import redact_image_reference

    args = rt.args
    payload = _payload(args)
    summary: dict[str, Any] = {k: payload.get(k) for k in ("model", "resolution", "duration") if k in payload}
    if args.dry_run:
        shown = {k: redact_image_reference(v) for k, v in payload.items()}
        if args.json:
            rt.console.emit_json({"dry_run": True, "payload": shown})
        else:
            rt.console.result("the request is valid; nothing was submitted (--dry-run). Payload:")
            rt.console.result(json.dumps(shown, indent=2, ensure_ascii=False))
        return ExitCode.OK
    dest = _destination(args)
    if dest.kind == "stdout":
        rt.console.reserve_stdout()
    if not args.no_wait:
        _check_destination(rt, dest, None)
    hook = rt.hook()
    from airflow_provider_hailuo.exceptions import HailuoError
    from airflow_provider_hailuo.retry import create_may_have_happened

    started = time.monotonic()
    rt.submitting = True
    try:
        task_id = hook.create_video_generation_from_payload(payload)
    except HailuoError as err:
        rt.submitting = False  # answered: the error below says what it means
        # The same rule the operator applies: a timeout, a 500/504 or a garbled answer after the request
        # went out may hide a created, billed task; never suggest simply running the command again.
        if create_may_have_happened(err):
            raise CliError(
                ExitCode.NETWORK,
                f"the create call failed after the request was sent ({err}). A video task may exist and be "
                "billed: check the MiniMax console before submitting again",
            ) from err
        raise
    # Cleared only once MiniMax answered: Ctrl-C (not an Exception) keeps it set for the report.
    rt.submitting = False
    rt.task_id = task_id
    rt.console.result(f"task id: {task_id}")
    if args.no_wait:
        if args.json:
            rt.console.emit_json({"task_id": task_id, "status": "Submitted", **summary})
        else:
            rt.console.note(
                f"check it with 'hailuo status {task_id}', fetch it with 'hailuo resume {task_id}'"
            )
        return ExitCode.OK
    return _wait_and_fetch(rt, task_id, dest, started=started, model=str(payload.get("model")), extra=summary)


def _task_id_arg(value: str) -> str:
    from airflow_provider_hailuo.validation import validate_video_task_id

    try:
        return validate_video_task_id(value, field="TASK_ID")
    except ValueError as err:
        raise CliError(ExitCode.USAGE, str(err)) from err


def cmd_resume(rt: Runtime) -> int:
    """Pick up a task submitted earlier (``--no-wait``, a timeout, Ctrl-C, a DAG): wait, then download."""
    task_id = _task_id_arg(rt.args.task_id)
    rt.task_id = task_id
    dest = _destination(rt.args)
    if dest.kind == "stdout":
        rt.console.reserve_stdout()
    _check_destination(rt, dest, f"hailuo-{task_id}.mp4")
    rt.hook()
    return _wait_and_fetch(rt, task_id, dest, started=time.monotonic())


def cmd_status(rt: Runtime) -> int:
    """One query. Exit 0 while the task is alive or done, 7 (or 5 for moderation) when it failed."""
    from airflow_provider_hailuo.exceptions import HailuoInvalidParamsError
    from airflow_provider_hailuo.protocol import VideoStatus

    task_id = _task_id_arg(rt.args.task_id)
    rt.task_id = task_id
    try:
        status = rt.hook().get_video_generation(task_id)
    except HailuoInvalidParamsError as err:
        raise _unknown_task(rt, task_id, err) from err
    doc = _status_doc(status)
    if rt.args.json:
        rt.console.emit_json(doc)
    else:
        rt.console.result(f"task {task_id}: {status.status.value}")
        if status.file_id:
            size = f" ({status.video_width}x{status.video_height})" if status.video_width else ""
            rt.console.result(f"file id: {status.file_id}{size}")
            rt.console.note(f"download it with 'hailuo download {status.file_id}'")
        if status.error_code:
            rt.console.result(f"reason: {status.error_code} {status.error_message or ''}".rstrip())
    if status.status is VideoStatus.FAIL:
        return _failure_of(status).exit_code
    return ExitCode.OK


def cmd_download(rt: Runtime) -> int:
    from airflow_provider_hailuo.validation import validate_file_id

    try:
        file_id = validate_file_id(rt.args.file_id, field="FILE_ID")
    except ValueError as err:
        raise CliError(ExitCode.USAGE, str(err)) from err
    rt.file_id = file_id
    dest = _destination(rt.args)
    if dest.kind == "stdout":
        rt.console.reserve_stdout()
    default_name = f"hailuo-{file_id}.mp4"
    _check_destination(rt, dest, default_name, file_id=file_id)
    fetched = _fetch(rt, file_id, dest, default_name)
    if rt.args.json:
        rt.console.emit_json(fetched)
    else:
        _print_fetched(rt, fetched)
    return ExitCode.OK


def cmd_test_connection(rt: Runtime) -> int:
    hook = rt.hook()
    ok, message = hook.test_connection()
    message = sanitize(message, rt.secret)
    if not ok:
        if any(s in message for s in ("(1004)", "(2049)", "Wrong region", "no API key")):
            code = ExitCode.AUTH
        elif message.startswith("Could not reach"):
            code = ExitCode.NETWORK
        else:
            code = ExitCode.ERROR
        raise CliError(code, message)
    if rt.args.json:
        rt.console.emit_json({"ok": True, "base_url": hook.settings.base_url, "message": message})
    else:
        rt.console.result(message)
    return ExitCode.OK


def _grid_text(grid: Any) -> str:
    return ", ".join(f"{res} ({'/'.join(str(d) for d in durations)}s)" for res, durations in grid.items())


def cmd_models(rt: Runtime) -> int:
    """The catalogue validation uses, so what is listed is exactly what ``generate`` accepts."""
    if rt.args.json:
        rt.console.emit_json(
            [
                {
                    "name": spec.name,
                    "default": spec.name == DEFAULT_MODEL,
                    "api_version": spec.api_version,
                    "modes": {
                        mode.value: {res: list(durations) for res, durations in grid.items()}
                        for mode, grid in spec.grids.items()
                    },
                    "default_resolution": spec.default_resolution,
                    "camera_commands": spec.camera_commands,
                    "fast_pretreatment_modes": sorted(m.value for m in spec.fast_pretreatment_modes),
                    "description": spec.description,
                }
                for spec in MODELS.values()
            ]
        )
        return ExitCode.OK
    header = ("MODEL", "MODE", "RESOLUTIONS (DURATIONS)", "DEFAULT", "CAMERA", "FAST")
    rows: list[tuple[str, ...]] = []
    for spec in MODELS.values():
        name = spec.name + (" *" if spec.name == DEFAULT_MODEL else "")
        for index, (mode, grid) in enumerate(spec.grids.items()):
            first = index == 0
            rows.append(
                (
                    name if first else "",
                    mode.value,
                    _grid_text(grid),
                    (spec.default_resolution or "-") if first else "",
                    ("yes" if spec.camera_commands else "no") if first else "",
                    "yes" if mode in spec.fast_pretreatment_modes else "-",
                )
            )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        rt.console.result("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    rt.console.result("")
    rt.console.result(
        "* default model. FAST: accepts --fast-pretreatment. CAMERA: follows [camera commands]."
    )
    for spec in MODELS.values():
        rt.console.result(f"{spec.name}: {spec.description}")
    return ExitCode.OK


def cmd_camera(rt: Runtime) -> int:
    from airflow_provider_hailuo.camera import (
        CAMERA_COMMANDS,
        MAX_COMMANDS_PER_BRACKET,
        camera_commands_help,
    )

    models = [spec.name for spec in MODELS.values() if spec.camera_commands]
    if rt.args.json:
        rt.console.emit_json(
            {
                "commands": [
                    {"group": c.group, "english": c.english, "chinese": c.chinese} for c in CAMERA_COMMANDS
                ],
                "max_per_bracket": MAX_COMMANDS_PER_BRACKET,
                "models": models,
            }
        )
        return ExitCode.OK
    rt.console.result(camera_commands_help())
    rt.console.result(f"Models that follow camera commands: {', '.join(models)}.")
    return ExitCode.OK


# -- parser ------------------------------------------------------------------------------------------

_CREDENTIAL_HELP: tuple[tuple[str, str], ...] = (
    (API_KEY_ENV, "the API key (another variable: --api-key-env NAME)"),
    (HOST_ENV, f"the API host (default {DEFAULT_HOST}; --region intl = {INTERNATIONAL_HOST})"),
    (GROUP_ID_ENV, "optional GroupId, for older accounts"),
    ("--conn-id ID", "use an Airflow connection instead (AIRFLOW_CONN_<ID> works without a database)"),
)

_EPILOG = (
    "credentials:\n"
    + "".join(f"  {name:<18} {text}\n" for name, text in _CREDENTIAL_HELP)
    + "\nexit codes:\n"
    + "".join(f"  {int(code):<4} {text}\n" for code, text in EXIT_CODES)
    + "\nexamples:\n"
    '  hailuo generate --prompt "A panda strolls through a bamboo forest [Tracking shot]" --resolution 1080P\n'
    '  hailuo generate --model I2V-01-Director --first-frame landscape.jpg --prompt "[Truck right] more scenery"\n'
    "  hailuo status 106916112212032 --json\n"
    "  hailuo download 205258526306433 --s3 s3://my-bucket/videos/\n"
    "\nMore: docs/cli.md. Global options may also be given after the command."
)


def _add_common_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options every command takes; on subcommands they default to SUPPRESS so either position works."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("connection and output options")
    group.add_argument(
        "--host",
        default=default(None),
        metavar="URL",
        help=f"API host (env {HOST_ENV}; default {DEFAULT_HOST})",
    )
    group.add_argument(
        "--region",
        choices=sorted(REGIONS),
        default=default(None),
        help=f"shortcut for the host: cn = {DEFAULT_HOST}, intl = {INTERNATIONAL_HOST}",
    )
    group.add_argument(
        "--conn-id",
        default=default(None),
        metavar="ID",
        help="use this Airflow connection (type hailuo) instead",
    )
    group.add_argument(
        "--api-key-env",
        default=default(API_KEY_ENV),
        metavar="NAME",
        help=f"environment variable holding the API key (default {API_KEY_ENV})",
    )
    group.add_argument(
        "--group-id",
        default=default(None),
        metavar="ID",
        help=f"GroupId sent with each call (env {GROUP_ID_ENV})",
    )
    group.add_argument(
        "--request-timeout",
        type=_seconds,
        default=default(30.0),
        metavar="S",
        help="timeout of each HTTP request (default 30s; --conn-id: the connection's)",
    )
    group.add_argument(
        "--retries",
        type=_positive_int,
        default=default(5),
        metavar="N",
        help="attempts per API call on transient errors such as rate limits (default 5)",
    )
    group.add_argument(
        "--json", action="store_true", default=default(False), help="print one JSON document on stdout"
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", default=default(False), help="no status line or progress bar"
    )
    group.add_argument(
        "--debug", action="store_true", default=default(False), help="tracebacks and debug logs on stderr"
    )


def _add_destination_options(parser: argparse.ArgumentParser, default_name: str) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help=f"file or existing directory to write to ('-' for stdout; default ./{default_name})",
    )
    where.add_argument(
        "--s3",
        metavar="URI",
        help="stream into S3 instead: s3://bucket/key, or s3://bucket/prefix/ for the default name",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file or S3 object")
    parser.add_argument(
        "--aws-conn-id",
        metavar="ID",
        default=None,
        help="Airflow AWS connection for --s3 and s3:// images (default: boto3's credential chain)",
    )


def _add_wait_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--poll-interval",
        type=_seconds,
        default=DEFAULT_POLL_INTERVAL,
        metavar="S",
        help="seconds between status checks (default 10; accepts 30s, 1m)",
    )
    parser.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help="give up waiting after this long (default 1h; 'none' waits forever). The task keeps running",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; building it imports nothing from Airflow."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="hailuo",
        description="Generate videos with MiniMax Hailuo from the command line.",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _add_common_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(
        name: str, handler: Callable[[Runtime], int], help_text: str, description: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(
            name,
            help=help_text,
            description=textwrap.fill(description, 100),
            parents=[common],
            formatter_class=formatter,
        )
        command.set_defaults(handler=handler)
        return command

    gen = add(
        "generate",
        cmd_generate,
        "submit a video, wait for it and download it",
        "Validate the request (exactly as the Airflow operator does), submit it, print the task id, wait with "
        "a live status line, then download the video and print its path, size and SHA-256.",
    )
    prompt = gen.add_mutually_exclusive_group()
    prompt.add_argument(
        "-p", "--prompt", help="what the video shows; may hold camera commands like [Pan left]"
    )
    prompt.add_argument(
        "--prompt-file", metavar="FILE", help="read the prompt from a UTF-8 file ('-' for stdin)"
    )
    gen.add_argument(
        "-m",
        "--model",
        default=DEFAULT_MODEL,
        help=f"model name (default {DEFAULT_MODEL}; see 'hailuo models')",
    )
    gen.add_argument(
        "-d", "--duration", metavar="SECONDS", help="6 or 10 where the model allows it (default 6)"
    )
    gen.add_argument(
        "-r", "--resolution", metavar="RES", help="512P, 720P, 768P or 1080P (default: the model's)"
    )
    gen.add_argument(
        "--first-frame", metavar="IMAGE", help="first frame: local path, http(s) URL, data URL or s3://"
    )
    gen.add_argument(
        "--last-frame", metavar="IMAGE", help="last frame (MiniMax-Hailuo-02, with --first-frame)"
    )
    gen.add_argument(
        "--subject", metavar="IMAGE", help="subject reference image (S2V-01): one character's face"
    )
    gen.add_argument(
        "--no-prompt-optimizer",
        dest="prompt_optimizer",
        action="store_const",
        const=False,
        default=None,
        help="send the prompt as written (MiniMax otherwise rewrites it)",
    )
    gen.add_argument(
        "--fast-pretreatment",
        action="store_const",
        const=True,
        default=None,
        help="faster prompt optimisation (Hailuo models)",
    )
    gen.add_argument(
        "--watermark", action="store_const", const=True, default=None, help="add the AIGC watermark"
    )
    gen.add_argument("--callback-url", metavar="URL", help="MiniMax posts status changes to this URL")
    gen.add_argument(
        "--extra",
        action="append",
        type=_key_value,
        metavar="KEY=VALUE",
        help="extra request field (VALUE parsed as JSON when possible); repeatable",
    )
    _add_wait_options(gen)
    gen.add_argument("--no-wait", action="store_true", help="print the task id and exit")
    gen.add_argument("--dry-run", action="store_true", help="validate and show the request; submit nothing")
    _add_destination_options(gen, "hailuo-<task_id>.mp4")

    resume = add(
        "resume",
        cmd_resume,
        "wait for a submitted task, then download it",
        "Wait for a task submitted earlier (generate --no-wait, a timeout, Ctrl-C, a DAG) and download it.",
    )
    resume.add_argument("task_id", metavar="TASK_ID")
    _add_wait_options(resume)
    _add_destination_options(resume, "hailuo-<task_id>.mp4")

    status = add(
        "status",
        cmd_status,
        "show a task's status",
        "Query a task once. Exit 0 while it runs or when it succeeded, 7 when it failed (5: moderation).",
    )
    status.add_argument("task_id", metavar="TASK_ID")

    download = add(
        "download",
        cmd_download,
        "download a generated file",
        "Download a generated file (resumes cut connections, refreshes expired URLs, checks the size) to a "
        "file, stdout or S3, and print its SHA-256.",
    )
    download.add_argument("file_id", metavar="FILE_ID")
    _add_destination_options(download, "hailuo-<file_id>.mp4")

    add(
        "models",
        cmd_models,
        "list the models and what each accepts",
        "The model catalogue used by validation.",
    )
    add(
        "camera",
        cmd_camera,
        "list the 15 camera commands",
        "Camera commands to write in [brackets] in a prompt.",
    )
    add(
        "test-connection",
        cmd_test_connection,
        "check the API key and the region",
        "One cheap authenticated call that tells a valid key, a bad key and a key for the other region apart.",
    )
    return parser


# -- entry point -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (the console script passes it to ``sys.exit``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else ExitCode.USAGE)
    _quiet_airflow_logging(args.debug)
    console = Console(sys.stdout, sys.stderr, quiet=args.quiet, json_mode=args.json)
    rt = Runtime(args, console)
    try:
        if _needs_airflow(args):
            # Importing Airflow configures logging; done first so our routing below is not replaced.
            import airflow_provider_hailuo.hooks.hailuo  # noqa: F401
        with _routed_logging(rt):
            return int(args.handler(rt))
    except KeyboardInterrupt:
        console.end_live()
        if rt.task_id and not rt.file_id:
            message = (
                f"interrupted. Video task {rt.task_id} keeps running at MiniMax (and is billed): pick it up "
                f"with 'hailuo resume {rt.task_id}'"
            )
        elif rt.file_id:
            message = f"interrupted. Download it later with 'hailuo download {rt.file_id}'"
        elif rt.submitting:
            message = (
                "interrupted while submitting: a video task may exist and be billed: check the MiniMax console "
                "before submitting again"
            )
        else:
            message = "interrupted"
        failure = CliError(ExitCode.INTERRUPTED, message, task_id=rt.task_id, file_id=rt.file_id)
        _report(rt, failure, failure)
        return ExitCode.INTERRUPTED
    except Exception as exc:
        failure = classify(exc, rt)
        _report(rt, exc, failure)
        return failure.exit_code
    finally:
        rt.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
