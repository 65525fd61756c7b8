"""The entry point of the ``hailuo`` console script: parse, run one command, exit with its code.

Every failure, including Ctrl-C, ends in one sanitized ``error:`` line and the exit code of its kind;
an interruption says how to pick up a video that is already being paid for.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from airflow_provider_hailuo.cli.exit_codes import CliError, ExitCode, classify
from airflow_provider_hailuo.cli.output import report
from airflow_provider_hailuo.cli.parser import build_parser
from airflow_provider_hailuo.cli.progress import Console
from airflow_provider_hailuo.cli.runtime import Runtime, needs_airflow, quiet_airflow_logging, routed_logging

__all__ = ["main"]


def _interrupted(rt: Runtime) -> CliError:
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
    return CliError(ExitCode.INTERRUPTED, message, task_id=rt.task_id, file_id=rt.file_id)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (the console script passes it to ``sys.exit``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else ExitCode.USAGE)
    quiet_airflow_logging(args.debug)
    console = Console(sys.stdout, sys.stderr, quiet=args.quiet, json_mode=args.json)
    rt = Runtime(args, console)
    try:
        if needs_airflow(args):
            # Importing Airflow configures logging; done first so our routing below is not replaced.
            import airflow_provider_hailuo.hooks.hailuo  # noqa: F401
        with routed_logging(rt):
            return int(args.handler(rt))
    except KeyboardInterrupt:
        console.end_live()
        failure = _interrupted(rt)
        report(rt, failure, failure)
        return ExitCode.INTERRUPTED
    except Exception as exc:
        failure = classify(exc, rt)
        report(rt, exc, failure)
        return failure.exit_code
    finally:
        rt.close()
