"""The README's first command, as a new user sees it: the quickstart's flow and everything it prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.system, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]


def test_quickstart_announces_the_video_and_prints_no_warning() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "quickstart.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=800,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Matches what the API served: yes" in output
    # The asset event exists in Airflow (read from its models by the quickstart), through the alias.
    assert re.search(r"^Asset event: through hailuo_videos ", output, re.MULTILINE), output
    # Nothing a user would stop at: Airflow's "not found; cannot create asset event" included.
    assert not re.search(r"warning|error|traceback|not found", output, re.IGNORECASE), output
