"""Where the ``hailuo`` command gets its key and host: environment variables or an Airflow connection.

There is deliberately no ``--api-key`` flag: command lines end up in shell history and ``ps``.
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.cli.exit_codes import CliError, ExitCode, is_not_found
from airflow_provider_hailuo.regions import DEFAULT_HOST, INTERNATIONAL_HOST

if TYPE_CHECKING:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

__all__ = ["API_KEY_ENV", "CREDENTIAL_HELP", "GROUP_ID_ENV", "HOST_ENV", "REGIONS", "make_hook"]

API_KEY_ENV = "MINIMAX_API_KEY"
HOST_ENV = "MINIMAX_API_HOST"
GROUP_ID_ENV = "MINIMAX_GROUP_ID"
REGIONS = {"cn": DEFAULT_HOST, "intl": INTERNATIONAL_HOST}

#: The ``credentials:`` section of ``hailuo --help``.
CREDENTIAL_HELP: tuple[tuple[str, str], ...] = (
    (API_KEY_ENV, "the API key (another variable: --api-key-env NAME)"),
    (HOST_ENV, f"the API host (default {DEFAULT_HOST}; --region intl = {INTERNATIONAL_HOST})"),
    (GROUP_ID_ENV, "optional GroupId, for older accounts"),
    ("--conn-id ID", "use an Airflow connection instead (AIRFLOW_CONN_<ID> works without a database)"),
)


def make_hook(args: argparse.Namespace, logger: logging.Logger) -> HailuoHook:
    """The hook for the chosen credentials; configuration problems exit with 3 (usage ones with 2).

    ``logger`` receives the hook's retry and resume warnings, which the command prints as its own
    stderr lines instead of Airflow's log format on stdout.
    """
    if args.conn_id and (args.host or args.region):
        raise CliError(ExitCode.USAGE, "--conn-id takes the host from the connection: drop --host/--region")
    if args.host and args.region:
        raise CliError(ExitCode.USAGE, "give either --host or --region, not both")
    from airflow_provider_hailuo.hooks.hailuo import HailuoConnectionSettings, HailuoHook
    from airflow_provider_hailuo.protocol import normalise_base_url
    from airflow_provider_hailuo.retry import RetryPolicy

    policy = RetryPolicy(max_attempts=args.retries)
    if args.conn_id:
        hook = HailuoHook(args.conn_id, retry_policy=policy, logger=logger)
        try:
            hook.settings  # noqa: B018 - read now, so a missing connection is reported as such
        except Exception as err:
            if is_not_found(err):
                raise CliError(
                    ExitCode.AUTH,
                    f"Airflow connection {args.conn_id!r} is not defined: set AIRFLOW_CONN_"
                    f'{args.conn_id.upper()} (e.g. \'{{"conn_type": "hailuo", "password": "<key>", '
                    f'"host": "{DEFAULT_HOST}"}}\') or use {API_KEY_ENV}',
                ) from err
            raise
        return hook
    key = os.environ.get(args.api_key_env, "").strip()
    if not key:
        raise CliError(
            ExitCode.AUTH,
            f"no API key: set the {args.api_key_env} environment variable, or use --conn-id ID for an "
            "Airflow connection",
        )
    host = _chosen_host(args)
    try:
        base_url = normalise_base_url(host, DEFAULT_HOST)
    except ValueError as err:
        raise CliError(ExitCode.USAGE, f"--host: {err}") from err
    group_id = args.group_id or os.environ.get(GROUP_ID_ENV) or None
    settings = HailuoConnectionSettings(key, base_url, group_id, args.request_timeout)
    return HailuoHook(settings=settings, retry_policy=policy, logger=logger)


def _chosen_host(args: argparse.Namespace) -> str | None:
    return args.host or (REGIONS[args.region] if args.region else None) or os.environ.get(HOST_ENV)


def billing_target(args: argparse.Namespace) -> tuple[str | None, dict[str, Any]]:
    """The host a request would go to and the connection's extra (for its ``price_table``), without the
    key: ``generate --dry-run`` prices a request with no credentials at hand."""
    if not args.conn_id:
        return _chosen_host(args) or DEFAULT_HOST, {}
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    try:
        conn = HailuoHook(args.conn_id).get_connection(args.conn_id)
    except Exception as err:
        if is_not_found(err):
            raise CliError(ExitCode.AUTH, f"Airflow connection {args.conn_id!r} is not defined") from err
        raise
    return conn.host or DEFAULT_HOST, dict(conn.extra_dejson or {})
