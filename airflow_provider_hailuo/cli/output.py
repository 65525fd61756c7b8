"""What the command prints as its answer: the JSON documents, the fetched-file lines, the error report.

Every line goes through :func:`~airflow_provider_hailuo.redaction.sanitize`, so an error that quotes
a request or a signed URL cannot leak the key or the signature.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.cli.exit_codes import CliError
from airflow_provider_hailuo.redaction import sanitize

if TYPE_CHECKING:
    from airflow_provider_hailuo.cli.runtime import Runtime
    from airflow_provider_hailuo.protocol import VideoGenerationStatus

__all__ = ["print_fetched", "report", "status_doc"]


def status_doc(status: VideoGenerationStatus) -> dict[str, Any]:
    """A task's status as the ``--json`` document of ``status`` (and the head of ``generate``'s)."""
    from airflow_provider_hailuo.shapes import video_state

    doc: dict[str, Any] = {
        "task_id": status.video_task_id,
        **video_state(status),
        "trace_id": status.trace_id,
    }
    del doc["video_task_id"]  # the command line's own name for it, kept for scripts that read it
    if status.prompt:  # a finished Context-IR task's enhanced prompt
        doc["prompt"] = status.prompt
    return doc


def print_fetched(rt: Runtime, fetched: dict[str, Any]) -> None:
    from airflow_provider_hailuo.download import format_bytes

    if fetched["output"] != "-":
        rt.console.result(f"saved: {fetched['output']}")
    rt.console.result(f"size: {format_bytes(fetched['bytes'])} ({fetched['bytes']} bytes)")
    rt.console.result(f"sha256: {fetched['sha256']}")


def report(rt: Runtime, exc: BaseException, failure: CliError) -> None:
    """The one ``error:`` line (the traceback too with ``--debug``; a JSON document with ``--json``)."""
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
