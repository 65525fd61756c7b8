"""``python -m airflow_provider_hailuo.cli``: the ``hailuo`` command without the console script."""

from __future__ import annotations

import sys

from airflow_provider_hailuo.cli.app import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
