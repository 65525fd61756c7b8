"""What each failure exits with: the exit codes, what they mean, and the translation of an exception.

Which MiniMax code or HTTP status exits with which code is declared once, in
:mod:`airflow_provider_hailuo.error_codes` (each exception carries its ``exit_code``); this module
describes the codes for ``--help``, docs/cli.md and the package docstring (checked against
:data:`EXIT_CODES` by the tests) and adds what the CLI knows on top (the ids to resume with).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from airflow_provider_hailuo.error_codes import (
    HTTP_STATUSES,
    Call,
    ExitCode,
    codes_with_exit,
    error_code_rule,
)

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


def _which(exit_code: ExitCode) -> str:
    """The MiniMax codes and HTTP statuses that end with ``exit_code``, as the help text lists them."""
    codes = [str(code) for code in codes_with_exit(exit_code)]
    statuses = [str(row.status) for row in HTTP_STATUSES if row.exit_code is exit_code]
    if statuses:
        codes.append("HTTP " + ", ".join(statuses))
    return f" ({', '.join(codes)})" if codes else ""


#: Exit code -> what it means; the single source for ``--help``, the docs test and docs/cli.md.
EXIT_CODES: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "success (status: the task has not failed)"),
    (ExitCode.ERROR, "anything else (rerun with --debug for a traceback)"),
    (
        ExitCode.USAGE,
        "usage or validation error: bad flag or invalid request, field named" + _which(ExitCode.USAGE),
    ),
    (ExitCode.AUTH, "no key/connection, bad key or wrong region" + _which(ExitCode.AUTH)),
    (ExitCode.QUOTA, "balance, quota or usage limits" + _which(ExitCode.QUOTA)),
    (ExitCode.MODERATION, "content moderation" + _which(ExitCode.MODERATION)),
    (ExitCode.RATE_LIMIT, "rate limit still hit after the retries" + _which(ExitCode.RATE_LIMIT)),
    (ExitCode.GENERATION_FAILED, "generation failed: the task ended with status Fail"),
    (ExitCode.TIMEOUT, "timeout waiting for the video (it may still finish: hailuo resume TASK_ID)"),
    (
        ExitCode.NETWORK,
        "network, gateway or server trouble, malformed answers" + _which(ExitCode.NETWORK),
    ),
    (ExitCode.DOWNLOAD, "download or S3 transfer failed (the video still exists: hailuo download FILE_ID)"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
)


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
    rule = error_code_rule(code)
    return rule.exit_code if rule is not None else ExitCode.ERROR


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

    task_id = getattr(exc, "video_task_id", None) or task_id
    api_code = exc.code if isinstance(exc, hx.HailuoAPIError) else None
    if isinstance(exc, hx.HailuoError):
        code = exc.exit_code  # from the error declaration, or the exception kind's own
    elif is_not_found(exc):
        code = ExitCode.AUTH
    else:
        code = ExitCode.ERROR
        message = f"{type(exc).__name__}: {message}"
    if file_id and code in (ExitCode.DOWNLOAD, ExitCode.NETWORK):
        message += f". The video is still available: retry with 'hailuo download {file_id}'"
    elif task_id and code is ExitCode.NETWORK and rt is not None and rt.waiting:
        message += f". The task may still finish: 'hailuo resume {task_id}'"
    return CliError(code, message, api_code=api_code, task_id=task_id, file_id=file_id)


def failure_of(status: VideoGenerationStatus) -> CliError:
    """Why a task ended in Fail, as the error to exit with.

    A code declared as a task failure (moderation) exits with its own code and advice; any other
    ending is "generation failed".
    """
    task_id = status.video_task_id
    rule = error_code_rule(status.error_code) if status.error_code else None
    if rule is not None and rule.task_failure:
        from airflow_provider_hailuo.exceptions import api_error_from_code

        err = api_error_from_code(
            rule.code, status.error_message or "", video_task_id=task_id, call=Call.TASK
        )
        return CliError(err.exit_code, str(err), api_code=rule.code, task_id=task_id)
    reason = f" ({status.error_code}: {status.error_message})" if status.error_code else ""
    return CliError(
        ExitCode.GENERATION_FAILED,
        f"video task {task_id} failed{reason}. MiniMax gave no further reason; submitting again creates a "
        "new, billed task",
        api_code=status.error_code,
        task_id=task_id,
    )
