"""What each failure exits with: the exit codes, MiniMax's codes grouped by them, and the translation.

Kept in one module so scripts can rely on one table: ``--help``, docs/cli.md and the package docstring
are checked against :data:`EXIT_CODES` by the tests.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_hailuo.cli.runtime import Runtime
    from airflow_provider_hailuo.protocol import VideoGenerationStatus

__all__ = [
    "EXIT_CODES",
    "CliError",
    "ExitCode",
    "classify",
    "exit_for_api_code",
    "failure_of",
    "is_not_found",
]


class ExitCode(IntEnum):
    """The process exit status for each kind of failure (see the package docstring)."""

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


def is_not_found(err: BaseException) -> bool:
    """Airflow's "connection not defined", recognised without importing Airflow."""
    return any(cls.__name__ == "AirflowNotFoundException" for cls in type(err).__mro__)


def exit_for_api_code(code: int) -> ExitCode:
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
        code = exit_for_api_code(exc.code)
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
    elif is_not_found(exc):
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


def failure_of(status: VideoGenerationStatus) -> CliError:
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
