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
    hailuo status TASK_ID                     one status query (v2:<id> for a MiniMax-H3 task)
    hailuo list                               MiniMax-H3 tasks of the last 7 days (v2 API)
    hailuo cancel TASK_ID                     cancel a queued MiniMax-H3 task (not billed)
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
    2    usage or validation error: bad flag or invalid request (field named); MiniMax 1042, 2013, HTTP 400
    3    authentication or configuration: no key/connection, bad key or wrong region (1004, 2038, 2049,
         HTTP 401)
    4    balance, quota or usage limits (1008, 1028, 1030, 2056, 2061, HTTP 402)
    5    content moderation (1026, 1027, HTTP 422)
    6    rate limit still hit after the retries (1002, 1039, 1041, 2045, HTTP 429)
    7    generation failed: the task ended with status Fail
    8    timeout waiting for the video (it may still finish: hailuo resume TASK_ID)
    9    network, gateway or server trouble, malformed answers (1000, 1001, 1013, 1024, 1033, other
         HTTP statuses)
    10   download or S3 transfer failed (the video still exists: hailuo download FILE_ID)
    130  interrupted (Ctrl-C)

Errors are one ``error: ...`` line on stderr (with ``--json`` also a JSON document on stdout); the
API key, signed download URLs and base64 images never reach the output. Airflow is imported only by
commands that call the API, so ``hailuo --help``, ``models`` and ``camera`` stay fast.

The package, one module per concern: :mod:`.app` (the entry point), :mod:`.parser` (arguments),
:mod:`.credentials` (key, host, connection -> hook), :mod:`.exit_codes` (what each failure exits with),
:mod:`.runtime` (one invocation and its logging), :mod:`.destinations` (files, stdout, the S3 preflight), :mod:`.fetch` (download and S3 transfer),
:mod:`.commands` and :mod:`.listings` (the subcommands), :mod:`.output` (JSON documents and the error
report), :mod:`.progress` (the terminal: status line and progress bar).
"""

from __future__ import annotations

from airflow_provider_hailuo.cli.app import main
from airflow_provider_hailuo.cli.exit_codes import EXIT_CODES, CliError, ExitCode
from airflow_provider_hailuo.cli.parser import build_parser

__all__ = ["EXIT_CODES", "CliError", "ExitCode", "build_parser", "main"]
