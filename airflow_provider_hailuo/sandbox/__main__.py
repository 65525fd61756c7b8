"""``python -m airflow_provider_hailuo.sandbox``: run the fake MiniMax API until interrupted.

The first stdout line is the base URL and nothing else, so scripts and CI can start the server on
``--port 0`` and read where it listens. Settings come from defaults, then ``HAILUO_SANDBOX_<FIELD>``
environment variables, then ``--field-name VALUE`` options.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .config import ENV_PREFIX, ConfigError, SandboxConfig, add_config_arguments, config_from_args
from .server import SandboxServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_hailuo.sandbox",
        description="Offline fake of the MiniMax (Hailuo) v1 and v2 video-generation APIs.",
        epilog=f"Every option can also be set as an environment variable {ENV_PREFIX}<FIELD>, "
        f"e.g. {ENV_PREFIX}PROCESSING_SECONDS=5.",
    )
    parser.add_argument(
        "--host",
        default=os.environ.get(ENV_PREFIX + "HOST", "127.0.0.1"),
        help="Interface to bind (default 127.0.0.1; env HAILUO_SANDBOX_HOST).",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get(ENV_PREFIX + "PORT", "8089")),
        help="Port to bind; 0 picks a free one (default 8089; env HAILUO_SANDBOX_PORT).",
    )
    add_config_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args, os.environ)
    except ConfigError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server = SandboxServer(config, host=args.host, port=args.port).start()
    try:
        print(server.url, flush=True)
        # Keys are secrets even here: a custom key may be a copy of a real one, so say how many, not which.
        default = config.api_keys == SandboxConfig().api_keys
        keys = (
            f"the default key {config.api_keys[0]!r}"
            if default
            else f"{len(config.api_keys)} configured key(s)"
        )
        print(f"hailuo sandbox: accepting {keys}; Ctrl-C to stop", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
