"""One invocation of ``hailuo``: its arguments, console, credentials, and where log records go.

Airflow logs to stdout, which belongs to the command's answer (``--json``, ``--output -``); the
helpers here keep it there only for the answer and turn every log record into a console line.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_provider_hailuo.cli.credentials import make_hook
from airflow_provider_hailuo.cli.progress import Console
from airflow_provider_hailuo.redaction import sanitize

if TYPE_CHECKING:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

__all__ = ["Runtime", "needs_airflow", "quiet_airflow_logging", "routed_logging"]

#: The logger the hook's retry and resume warnings go to; :func:`routed_logging` prints its records.
HOOK_LOGGER = "airflow_provider_hailuo.cli.hook"


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
            hook = make_hook(self.args, logging.getLogger(HOOK_LOGGER))
            self.secret = hook.settings.api_key
            self._hook = hook
        return self._hook

    def close(self) -> None:
        if self._hook is not None:
            self._hook.close()


def needs_airflow(args: argparse.Namespace) -> bool:
    """Whether the command will import Airflow (to call the API or read S3); listings and dry runs do not."""
    if args.command in ("models", "camera"):
        return False
    if args.command == "generate" and args.dry_run:
        images = (args.first_frame, args.last_frame, args.subject)
        return any(str(image or "").startswith("s3://") for image in images)
    return True


def quiet_airflow_logging(debug: bool) -> None:
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
def routed_logging(rt: Runtime) -> Iterator[None]:
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
