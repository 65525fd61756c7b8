"""The commands that call the API: ``generate``, ``resume``, ``status``, ``download``, ``test-connection``.

Each is a function of the :class:`~airflow_provider_hailuo.cli.runtime.Runtime` returning an exit code;
failures are raised as :class:`~airflow_provider_hailuo.cli.exit_codes.CliError` (or any exception,
classified by the entry point).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.cli.credentials import billing_target
from airflow_provider_hailuo.cli.destinations import Destination, check_destination, destination
from airflow_provider_hailuo.cli.exit_codes import CliError, ExitCode, failure_of
from airflow_provider_hailuo.cli.fetch import fetch
from airflow_provider_hailuo.cli.output import print_fetched, status_doc
from airflow_provider_hailuo.cli.progress import StatusLine, format_elapsed
from airflow_provider_hailuo.redaction import sanitize

if TYPE_CHECKING:
    from airflow_provider_hailuo.cli.runtime import Runtime
    from airflow_provider_hailuo.protocol import VideoGenerationStatus

__all__ = ["cmd_download", "cmd_generate", "cmd_resume", "cmd_status", "cmd_test_connection"]


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
            ratio=args.ratio,
            reference_images=args.reference_images,
            reference_videos=args.reference_videos,
            reference_audios=args.reference_audios,
            prompt_expansion_mode=args.prompt_expansion_mode,
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


def watch(
    rt: Runtime, task_id: str, *, started: float, api_version: str, kind: str, then: str
) -> tuple[VideoGenerationStatus, float]:
    """Poll until the task ends, on one live status line: the wait every waiting command shares.

    Returns the final status and the seconds since ``started``. A timeout exits 8 with ``then`` (how to
    pick the task up: it keeps running at MiniMax); an id MiniMax does not know exits 2.
    """
    from airflow_provider_hailuo.exceptions import HailuoInvalidParamsError, HailuoWaitTimeoutError
    from airflow_provider_hailuo.protocol import task_ref

    args = rt.args
    rt.waiting = True
    ref = task_ref(task_id, api_version)
    line = StatusLine(rt.console, ref, started=started)
    try:
        with line:
            final = rt.hook().wait_for_video_generation(
                task_id,
                poll_interval=args.poll_interval,
                timeout=args.timeout,
                on_status=lambda status, _elapsed: line.update(status.status.value),
                api_version=api_version,
            )
    except HailuoWaitTimeoutError as err:
        raise CliError(
            ExitCode.TIMEOUT,
            f"{kind} {ref} was not ready after {format_elapsed(line.elapsed)} (last status "
            f"{line.status or 'unknown'}). It keeps running at MiniMax and may still finish: {then}",
            task_id=ref,
        ) from err
    except HailuoInvalidParamsError as err:
        raise _unknown_task(rt, ref, err) from err
    return final, line.elapsed


def _wait_and_fetch(
    rt: Runtime,
    task_id: str,
    dest: Destination,
    *,
    started: float,
    model: str | None = None,
    extra: dict[str, Any] | None = None,
    api_version: str = "v1",
) -> int:
    """Wait with a live status line, then download; the part ``generate`` and ``resume`` share."""
    from airflow_provider_hailuo.protocol import VideoStatus, task_ref

    args = rt.args
    ref = task_ref(task_id, api_version)
    final, elapsed = watch(
        rt,
        task_id,
        started=started,
        api_version=api_version,
        kind="video task",
        then=f"wait for it with 'hailuo resume {ref}' instead of submitting again",
    )
    if final.status is VideoStatus.FAIL:
        raise failure_of(final)
    # A v2 video has no file id: it is fetched by its task (the URL from a fresh query).
    file_id = final.file_id or (ref if api_version == "v2" else "")
    size = f", {final.video_width}x{final.video_height}" if final.video_width else ""
    rt.console.result(f"video ready: file id {file_id}{size} after {format_elapsed(elapsed)}")
    fetched = fetch(rt, file_id, dest, f"hailuo-{task_id}.mp4", task_id=task_id, model=model)
    if args.json:
        rt.console.emit_json(
            {**status_doc(final), **(extra or {}), **fetched, "elapsed_seconds": round(elapsed, 3)}
        )
    else:
        print_fetched(rt, fetched)
    return ExitCode.OK


def _estimate(args: argparse.Namespace, payload: dict[str, Any]) -> Any:
    """The request's cost estimate in the region of the host it would go to (no key needed)."""
    from airflow_provider_hailuo.price_config import table_for
    from airflow_provider_hailuo.pricing import PricingConfigError, estimate_request, region_for_host

    host, extra = billing_target(args)
    try:
        return estimate_request(payload, region=region_for_host(host), table=table_for(extra, args.conn_id))
    except PricingConfigError as err:
        raise CliError(ExitCode.USAGE, f"price table: {err}") from err


def cmd_generate(rt: Runtime) -> int:
    """Validate, submit, report the task id at once, then (unless --no-wait) wait and download."""
    from airflow_provider_hailuo.redaction import redact_image_reference

    args = rt.args
    payload = _payload(args)
    summary: dict[str, Any] = {k: payload.get(k) for k in ("model", "resolution", "duration") if k in payload}
    if args.dry_run:
        shown = {k: redact_image_reference(v) for k, v in payload.items()}
        estimate = _estimate(args, payload)
        if args.json:
            cost = estimate.as_dict() if estimate else {"estimated_cost": None, "currency": None}
            rt.console.emit_json({"dry_run": True, "payload": shown, **cost})
        else:
            rt.console.result("the request is valid; nothing was submitted (--dry-run). Payload:")
            rt.console.result(json.dumps(shown, indent=2, ensure_ascii=False))
            rt.console.result(
                f"estimated cost: {estimate}"
                if estimate
                else f"estimated cost: unknown (no price for {payload.get('model')}; add one with "
                "[hailuo] price_table, see docs/costs.md)"
            )
        return ExitCode.OK
    dest = destination(args)
    if dest.kind == "stdout":
        rt.console.reserve_stdout()
    if not args.no_wait:
        check_destination(rt, dest, None)
    hook = rt.hook()
    from airflow_provider_hailuo.catalogue import api_version_for
    from airflow_provider_hailuo.exceptions import HailuoError
    from airflow_provider_hailuo.protocol import task_ref
    from airflow_provider_hailuo.reconcile import UnresolvedCreateError, adopt_ambiguous_create
    from airflow_provider_hailuo.retry import create_may_have_happened

    started = time.monotonic()
    sent_at = time.time()
    rt.submitting = True
    try:
        task_id = hook.create_video_generation_from_payload(payload)
    except HailuoError as err:
        rt.submitting = False  # answered: the error below says what it means
        # The same rule the operator applies: an ambiguous failure (a 5xx or gateway page, a timeout after
        # sending, a garbled answer) may hide a created, billed task; never suggest simply running it again.
        if not create_may_have_happened(err):
            raise
        # v2 finds the task in its list (exactly one match is adopted); otherwise exit 9 with what to check.
        try:
            task_id = adopt_ambiguous_create(
                hook, payload, err, sent_at=sent_at, then="run 'hailuo generate' again"
            )
        except UnresolvedCreateError as unresolved:
            raise CliError(ExitCode.NETWORK, str(unresolved)) from err
    # Cleared only once MiniMax answered: Ctrl-C (not an Exception) keeps it set for the report.
    rt.submitting = False
    api_version = api_version_for(payload.get("model"))
    ref = task_ref(task_id, api_version)
    rt.task_id = ref
    rt.console.result(f"task id: {ref}")
    if args.no_wait:
        if args.json:
            rt.console.emit_json({"task_id": ref, "status": "Submitted", **summary})
        else:
            rt.console.note(f"check it with 'hailuo status {ref}', fetch it with 'hailuo resume {ref}'")
        return ExitCode.OK
    return _wait_and_fetch(
        rt,
        task_id,
        dest,
        started=started,
        model=str(payload.get("model")),
        extra=summary,
        api_version=api_version,
    )


def task_arg(value: str) -> tuple[str, str]:
    """``TASK_ID`` as ``(task id, API version)``: digits for a v1 task, ``v2:<digits>`` for MiniMax-H3."""
    from airflow_provider_hailuo.protocol import split_task_ref
    from airflow_provider_hailuo.validation import validate_video_task_id

    task_id, api_version = split_task_ref(value)
    try:
        return validate_video_task_id(task_id, field="TASK_ID"), api_version
    except ValueError as err:
        raise CliError(ExitCode.USAGE, f"{err} (v2:<digits> for a MiniMax-H3 task)") from err


def cmd_resume(rt: Runtime) -> int:
    """Pick up a task submitted earlier (``--no-wait``, a timeout, Ctrl-C, a DAG): wait, then download."""
    task_id, api_version = task_arg(rt.args.task_id)
    rt.task_id = rt.args.task_id.strip()
    dest = destination(rt.args)
    if dest.kind == "stdout":
        rt.console.reserve_stdout()
    check_destination(rt, dest, f"hailuo-{task_id}.mp4")
    rt.hook()
    return _wait_and_fetch(rt, task_id, dest, started=time.monotonic(), api_version=api_version)


def cmd_status(rt: Runtime) -> int:
    """One query. Exit 0 while the task is alive or done, 7 (or 5 for moderation) when it failed."""
    from airflow_provider_hailuo.exceptions import HailuoInvalidParamsError
    from airflow_provider_hailuo.protocol import VideoStatus

    task_id, api_version = task_arg(rt.args.task_id)
    ref = rt.task_id = rt.args.task_id.strip()
    try:
        status = rt.hook().get_video_generation(task_id, api_version=api_version)
    except HailuoInvalidParamsError as err:
        raise _unknown_task(rt, ref, err) from err
    doc = status_doc(status)
    if rt.args.json:
        rt.console.emit_json(doc)
    else:
        shown = f"{status.status.value} ({status.raw_status})" if status.raw_status else status.status.value
        rt.console.result(f"task {ref}: {shown}")
        if status.file_id:
            size = f" ({status.video_width}x{status.video_height})" if status.video_width else ""
            rt.console.result(f"file id: {status.file_id}{size}")
            rt.console.note(f"download it with 'hailuo download {status.file_id}'")
        elif status.video_url:
            rt.console.note(f"download it with 'hailuo download {ref}'")
        if status.error_code:
            rt.console.result(f"reason: {status.error_code} {status.error_message or ''}".rstrip())
        if status.prompt:  # a finished Context-IR task: what 'hailuo enhance' would have printed
            rt.console.result(f"prompt: {status.prompt}")
    if status.status is VideoStatus.FAIL:
        return failure_of(status).exit_code
    return ExitCode.OK


def cmd_download(rt: Runtime) -> int:
    from airflow_provider_hailuo.protocol import split_task_ref
    from airflow_provider_hailuo.validation import validate_file_id

    if split_task_ref(rt.args.file_id)[1] == "v2":  # a MiniMax-H3 video, fetched by its task
        file_id = "v2:" + task_arg(rt.args.file_id)[0]
    else:
        try:
            file_id = validate_file_id(rt.args.file_id, field="FILE_ID")
        except ValueError as err:
            raise CliError(ExitCode.USAGE, str(err)) from err
    rt.file_id = file_id
    dest = destination(rt.args)
    if dest.kind == "stdout":
        rt.console.reserve_stdout()
    default_name = f"hailuo-{file_id.replace(':', '-')}.mp4"
    check_destination(rt, dest, default_name, file_id=file_id)
    fetched = fetch(rt, file_id, dest, default_name)
    if rt.args.json:
        rt.console.emit_json(fetched)
    else:
        print_fetched(rt, fetched)
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
