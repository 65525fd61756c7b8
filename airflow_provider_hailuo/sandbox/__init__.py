"""Offline fake of MiniMax's video API (v1, and v2 for MiniMax-H3), for developing DAGs and testing without
a key or a bill.

Start one in-process with ``SandboxServer().start()`` (or as a context manager), or from a shell
with ``python -m airflow_provider_hailuo.sandbox --port 8089``.
"""

from .config import ConfigError, SandboxConfig
from .server import SandboxServer, create_app

__all__ = ["ConfigError", "SandboxConfig", "SandboxServer", "create_app"]
