"""The ``hailuo`` command line: its commands, options, argument types and ``--help`` text.

Building the parser imports nothing from Airflow, so ``hailuo --help``, ``models`` and ``camera`` start
instantly.
"""

from __future__ import annotations

import argparse
import json
import re
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo import __version__
from airflow_provider_hailuo.catalogue import DEFAULT_MODEL
from airflow_provider_hailuo.cli.commands import (
    cmd_download,
    cmd_generate,
    cmd_resume,
    cmd_status,
    cmd_test_connection,
)
from airflow_provider_hailuo.cli.credentials import (
    API_KEY_ENV,
    CREDENTIAL_HELP,
    GROUP_ID_ENV,
    HOST_ENV,
    REGIONS,
)
from airflow_provider_hailuo.cli.exit_codes import EXIT_CODES
from airflow_provider_hailuo.cli.h3_tasks import add_h3_task_commands
from airflow_provider_hailuo.cli.listings import cmd_camera, cmd_models
from airflow_provider_hailuo.cli.v2_tasks import cmd_cancel, cmd_list
from airflow_provider_hailuo.regions import DEFAULT_HOST, INTERNATIONAL_HOST

if TYPE_CHECKING:
    from airflow_provider_hailuo.cli.runtime import Runtime

__all__ = ["build_parser"]

DEFAULT_POLL_INTERVAL = 10.0
DEFAULT_TIMEOUT = 3600.0

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


_EPILOG = (
    "credentials:\n"
    + "".join(f"  {name:<18} {text}\n" for name, text in CREDENTIAL_HELP)
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
    gen.add_argument(
        "--ratio", help="MiniMax-H3: 21:9, 16:9, 4:3, 1:1, 3:4, 9:16 or adaptive (text only: default 16:9)"
    )
    gen.add_argument(
        "--reference-image",
        dest="reference_images",
        action="append",
        metavar="IMAGE",
        help="MiniMax-H3: a reference image (path, URL, data URL, s3:// or mm_file://); up to 9, repeatable",
    )
    gen.add_argument(
        "--reference-video",
        dest="reference_videos",
        action="append",
        metavar="VIDEO",
        help="MiniMax-H3: a reference video (MP4: path, URL, data URL, s3:// or mm_file://); up to 3, repeatable",
    )
    gen.add_argument(
        "--reference-audio",
        dest="reference_audios",
        action="append",
        metavar="AUDIO",
        help="MiniMax-H3: a reference audio (WAV/MP3: path, URL, data URL, s3:// or mm_file://), beside a "
        "visual reference; up to 3, repeatable",
    )
    gen.add_argument(
        "--prompt-expansion",
        dest="prompt_expansion_mode",
        choices=("disabled", "balanced", "quality"),
        help="MiniMax-H3-Max: how far MiniMax expands the prompt",
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
    resume.add_argument("task_id", metavar="TASK_ID", help="digits, or v2:<digits> for a MiniMax-H3 task")
    _add_wait_options(resume)
    _add_destination_options(resume, "hailuo-<task_id>.mp4")

    status = add(
        "status",
        cmd_status,
        "show a task's status",
        "Query a task once. Exit 0 while it runs or when it succeeded, 7 when it failed (5: moderation).",
    )
    status.add_argument("task_id", metavar="TASK_ID", help="digits, or v2:<digits> for a MiniMax-H3 task")

    listing = add(
        "list",
        cmd_list,
        "list MiniMax-H3 tasks (v2 API)",
        "One page of the account's MiniMax-H3 tasks of the last 7 days, newest first (v1 has no list).",
    )
    listing.add_argument(
        "--status",
        choices=("queued", "running", "succeeded", "failed", "cancelled", "expired"),
        help="only tasks with this status",
    )
    listing.add_argument("--model", help="only tasks of this model (e.g. MiniMax-H3-Max)")
    listing.add_argument("--page", type=_positive_int, default=1, metavar="N", help="page number (default 1)")
    listing.add_argument(
        "--page-size", type=_positive_int, default=20, metavar="N", help="tasks per page (default 20)"
    )

    cancel = add(
        "cancel",
        cmd_cancel,
        "cancel a queued MiniMax-H3 task (not billed)",
        "Cancel a MiniMax-H3 task that is still queued: MiniMax does not bill it. A running task cannot be "
        "cancelled (exit 1; it will be billed); a finished one is left alone.",
    )
    cancel.add_argument("task_id", metavar="TASK_ID", help="v2:<digits> (or the bare digits)")
    add_h3_task_commands(add)

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
