"""``hailuo list`` and ``hailuo cancel``: what only MiniMax's v2 API (MiniMax-H3) can do with tasks.

v1 has neither a list nor a cancel endpoint. Calls go through the hook's v2 task calls
(:mod:`airflow_provider_hailuo.hooks.v2_tasks`), so the CLI and the operator list and cancel alike.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.cli.exit_codes import CliError, ExitCode

if TYPE_CHECKING:
    from airflow_provider_hailuo.cli.runtime import Runtime
    from airflow_provider_hailuo.protocol.v2 import ListedTask

__all__ = ["cmd_cancel", "cmd_list"]


def _listed_doc(task: ListedTask) -> dict[str, Any]:
    from airflow_provider_hailuo.protocol import task_ref

    status = task.status
    return {
        "task_id": task_ref(task.video_task_id, "v2"),
        "status": status.raw_status,
        "model": task.model,
        "resolution": task.resolution,
        "duration": task.duration,
        "created_at": task.created_at,
        "error_code": status.error_code,
        "error_message": status.error_message,
    }


def _created(epoch: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch)) if epoch is not None else "-"


def cmd_list(rt: Runtime) -> int:
    """One page of the account's MiniMax-H3 tasks of the last 7 days (newest first, as MiniMax lists them)."""
    args = rt.args
    items, total = rt.hook().list_video_generations(
        page_num=args.page, page_size=args.page_size, status=args.status, model=args.model
    )
    docs = [_listed_doc(t) for t in items]
    if args.json:
        rt.console.emit_json({"items": docs, "total": total, "page": args.page, "page_size": args.page_size})
        return ExitCode.OK
    for doc in docs:
        rt.console.result(
            f"{doc['task_id']}  {doc['status']:<9}  {doc['model'] or '-'}  {doc['resolution'] or '-'}  "
            f"{doc['duration'] or '-'}s  {_created(doc['created_at'])} UTC"
        )
    shown = (args.page - 1) * args.page_size + len(docs)
    more = " (--page for more)" if shown < total else ""
    rt.console.note(f"{len(docs)} shown, {total} in all over the last 7 days{more}")
    return ExitCode.OK


def cmd_cancel(rt: Runtime) -> int:
    """Cancel a MiniMax-H3 task that is still queued (MiniMax does not bill it); refuse anything else.

    DELETE also erases a finished task's record, which this command never asks for: it queries first
    and sends the DELETE only for a queued task.
    """
    from airflow_provider_hailuo.cli.commands import task_arg
    from airflow_provider_hailuo.exceptions import HailuoError
    from airflow_provider_hailuo.protocol import task_ref

    task_id, _api_version = task_arg(rt.args.task_id)  # a bare id too: only v2 tasks can be cancelled
    ref = rt.task_id = task_ref(task_id, "v2")
    hook = rt.hook()
    seen = hook.get_video_generation(task_id, api_version="v2").raw_status
    if seen == "queued":
        try:
            seen = hook.cancel_video_generation(task_id)
        except HailuoError as err:  # it started running meanwhile
            raise CliError(
                ExitCode.ERROR, f"task {ref} could not be cancelled ({err}); it may have started running"
            ) from err
    if seen == "cancelled":
        if rt.args.json:
            rt.console.emit_json({"task_id": ref, "status": seen})
        else:
            rt.console.result(f"task {ref}: cancelled while still queued; MiniMax does not bill it")
        return ExitCode.OK
    if seen == "running":
        message = f"task {ref} is already running and cannot be cancelled: it will finish and be billed"
    else:
        message = f"task {ref} is {seen}: there is nothing left to cancel"
    raise CliError(ExitCode.ERROR, message, task_id=ref)
