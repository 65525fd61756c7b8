"""``hailuo enhance`` and ``hailuo regenerate``: MiniMax-H3's prompt enhancement and 768P -> 2K regeneration.

The same bodies, checks and never-pay-twice rule as the operators: the request is validated by
:mod:`airflow_provider_hailuo.request` before anything is sent, a regeneration source is checked in the
task list first, and an ambiguous create is looked up in the list (by task type) instead of being sent
again. ``regenerate`` then waits and downloads the 2K video like ``generate``; ``enhance`` prints the
enhanced prompt (stdout, or ``--json``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.cli.exit_codes import CliError, ExitCode

if TYPE_CHECKING:
    from airflow_provider_hailuo.cli.runtime import Runtime

__all__ = ["add_h3_task_commands", "cmd_enhance", "cmd_regenerate"]

#: The content options both commands take (dest, flag, help).
_MEDIA_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("first_frame", "--first-frame", "first frame: local path, http(s) URL, data URL, s3:// or mm_file://"),
    ("last_frame", "--last-frame", "last frame (same forms)"),
)
_REFERENCE_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("reference_images", "--reference-image", "a reference image; up to 9, repeatable"),
    (
        "reference_videos",
        "--reference-video",
        "a reference video (http(s), mm_file://, mp4 data URL); up to 3",
    ),
    (
        "reference_audios",
        "--reference-audio",
        "a reference audio (http(s), mm_file://, mp3/wav data URL); up to 3",
    ),
)


def _content_options(parser: argparse.ArgumentParser, *, aws_conn_id: bool) -> None:
    parser.add_argument("-p", "--prompt", help="the prompt (regenerate: the 768P video's final prompt)")
    for dest, flag, text in _MEDIA_OPTIONS:
        parser.add_argument(flag, dest=dest, metavar="IMAGE", help=text)
    for dest, flag, text in _REFERENCE_OPTIONS:
        parser.add_argument(flag, dest=dest, action="append", metavar="MEDIA", help=text)
    parser.add_argument("--callback-url", metavar="URL", help="MiniMax posts status changes to this URL")
    if aws_conn_id:  # regenerate has it from the destination options
        parser.add_argument(
            "--aws-conn-id", metavar="ID", default=None, help="Airflow AWS connection for s3:// media"
        )


def add_h3_task_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``enhance`` and ``regenerate`` through the parser's ``add`` (imports nothing from Airflow)."""
    from airflow_provider_hailuo.cli.parser import _add_destination_options, _add_wait_options

    enhance = add(
        "enhance",
        cmd_enhance,
        "enhance a MiniMax-H3 prompt (Context-IR)",
        "Run MiniMax-H3's prompt enhancement (Context-IR, billed in tokens, no video) and print the enhanced "
        "prompt. Give the duration and ratio of the video it is for.",
    )
    _content_options(enhance, aws_conn_id=True)
    enhance.add_argument("-d", "--duration", metavar="SECONDS", help="4 to 15 (default 6)")
    enhance.add_argument(
        "--ratio", help="21:9, 16:9, 4:3, 1:1, 3:4, 9:16 or adaptive (text only: default 16:9)"
    )
    _add_wait_options(enhance)

    regen = add(
        "regenerate",
        cmd_regenerate,
        "remake a 768P MiniMax-H3 video at 2K, then download it",
        "Remake a finished 768P MiniMax-H3 video at 2K: by SOURCE (its task id, checked in the task list "
        "before anything is paid), or by --base-video with the 768P video's exact inputs (--prompt and its "
        "frames or references). Waits and downloads like generate.",
    )
    regen.add_argument("source", nargs="?", metavar="SOURCE", help="the 768P task: digits or v2:<digits>")
    regen.add_argument("--base-video", metavar="VIDEO", help="the 768P video: URL, mm_file://, path or s3://")
    _content_options(regen, aws_conn_id=False)
    regen.add_argument("--watermark", action="store_const", const=True, default=None, help="AIGC watermark")
    _add_wait_options(regen)
    regen.add_argument("--no-wait", action="store_true", help="print the task id and exit")
    _add_destination_options(regen, "hailuo-<task_id>.mp4")


def _media(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "prompt": args.prompt,
        "first_frame_image": args.first_frame,
        "last_frame_image": args.last_frame,
        **{dest: getattr(args, dest) for dest, _flag, _text in _REFERENCE_OPTIONS},
    }


def _validated(build: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
    """Validate exactly as the operators do; bad input exits 2 before anything is sent."""
    try:
        return build(**params)
    except (ValueError, TypeError) as err:
        raise CliError(ExitCode.USAGE, f"invalid request: {err}") from err
    except CliError:
        raise
    except Exception as err:  # reading s3:// media failed (credentials, network)
        raise CliError(ExitCode.DOWNLOAD, f"could not read an input: {type(err).__name__}: {err}") from err


def _submit(rt: Runtime, task_type: str, body: Mapping[str, Any], match: Mapping[str, Any], then: str) -> str:
    """POST once; an ambiguous answer is looked up in the task list, never sent again (exit 9 if unresolved)."""
    from airflow_provider_hailuo.exceptions import HailuoError
    from airflow_provider_hailuo.protocol import task_ref
    from airflow_provider_hailuo.reconcile import UnresolvedCreateError, adopt_ambiguous_create
    from airflow_provider_hailuo.retry import create_may_have_happened

    hook = rt.hook()
    sent_at = time.time()
    rt.submitting = True
    try:
        task_id = hook.submit_v2_task(task_type, body)
    except HailuoError as err:
        rt.submitting = False
        if not create_may_have_happened(err):
            raise
        try:
            task_id = adopt_ambiguous_create(hook, match, err, sent_at=sent_at, then=then)
        except UnresolvedCreateError as unresolved:
            raise CliError(ExitCode.NETWORK, str(unresolved)) from err
    rt.submitting = False
    rt.task_id = task_ref(task_id, "v2")
    rt.console.result(f"task id: {rt.task_id}")
    return task_id


def cmd_enhance(rt: Runtime) -> int:
    """Validate, submit, wait, then print the enhanced prompt."""
    from airflow_provider_hailuo.cli.commands import watch
    from airflow_provider_hailuo.protocol import VideoStatus
    from airflow_provider_hailuo.request import prepare_context_ir_body

    args = rt.args
    body = _validated(
        prepare_context_ir_body,
        duration=args.duration,
        ratio=args.ratio,
        callback_url=args.callback_url,
        aws_conn_id=args.aws_conn_id,
        **_media(args),
    )
    match = {"model": body["model"], "task_type": "h3_context_ir", "duration": body["duration"]}
    task_id = _submit(rt, "h3_context_ir", body, match, "run 'hailuo enhance' again")
    final, _elapsed = watch(
        rt,
        task_id,
        started=time.monotonic(),
        api_version="v2",
        kind="Context-IR task",
        then=f"read its prompt later with 'hailuo status {rt.task_id}' instead of paying again",
    )
    if final.status is not VideoStatus.SUCCESS:
        from airflow_provider_hailuo.cli.exit_codes import failure_of

        raise failure_of(final)
    if not final.prompt:  # the trigger-free sync wait saw the prompt; a parse without it is malformed
        raise CliError(ExitCode.NETWORK, f"Context-IR task {rt.task_id} succeeded without a content.prompt")
    if args.json:
        usage = dict(final.usage) if final.usage else None
        rt.console.emit_json(
            {"task_id": rt.task_id, "status": "Success", "prompt": final.prompt, "usage": usage}
        )
    else:
        rt.console.result(final.prompt)
    return ExitCode.OK


def cmd_regenerate(rt: Runtime) -> int:
    """Validate (and check the source), submit, then wait and download the 2K video like ``generate``."""
    from airflow_provider_hailuo.cli.commands import _wait_and_fetch
    from airflow_provider_hailuo.cli.destinations import check_destination, destination
    from airflow_provider_hailuo.request import prepare_regeneration_body

    args = rt.args
    body = _validated(
        prepare_regeneration_body,
        source_task_id=args.source,
        base_video=args.base_video,
        callback_url=args.callback_url,
        aigc_watermark=args.watermark,
        aws_conn_id=args.aws_conn_id,
        **{k: v for k, v in _media(args).items() if v not in (None, [])},
    )
    match: dict[str, Any] = {"model": body["model"], "task_type": "regeneration", "resolution": "2K"}
    if "source_task_id" in body:
        try:
            match["duration"] = rt.hook().regeneration_source(body["source_task_id"]).duration
        except ValueError as err:
            raise CliError(ExitCode.USAGE, f"invalid request: {err}") from err
    dest = destination(args)
    if dest.kind == "stdout":
        rt.console.reserve_stdout()
    if not args.no_wait:
        check_destination(rt, dest, None)
    started = time.monotonic()
    task_id = _submit(rt, "regeneration", body, match, "run 'hailuo regenerate' again")
    if args.no_wait:
        if args.json:
            rt.console.emit_json({"task_id": rt.task_id, "status": "Submitted", "resolution": "2K"})
        return ExitCode.OK
    summary = {"model": body["model"], "resolution": "2K", "duration": match.get("duration")}
    return _wait_and_fetch(
        rt, task_id, dest, started=started, model=body["model"], extra=summary, api_version="v2"
    )
