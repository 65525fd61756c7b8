"""Words in a prompt that make the sandbox misbehave on purpose, for v1 and v2 alike.

Markers, not knobs, because they pick the outcome of one task among many in the same run
(one moderated video in a batch), which a server-wide setting cannot.
"""

from __future__ import annotations

import re

SENSITIVE_INPUT_MARKER = "SANDBOX_SENSITIVE"
"""A prompt containing this word is refused (v1: 1026; v2: HTTP 422 / 1026) and no task is created."""
SENSITIVE_OUTPUT_MARKER = "SANDBOX_SENSITIVE_OUTPUT"
"""A prompt containing this word yields a task that fails with code 1027 (output moderated)."""
FAIL_MARKER = "SANDBOX_FAIL"
"""A prompt containing this word yields a task that fails (v1: base_resp 0; v2: error code 1000)."""
EXPIRED_MARKER = "SANDBOX_EXPIRED"
"""v2 only: the task stays queued, then reports ``expired`` (contract C3)."""


def prompt_has_marker(prompt: str, marker: str) -> bool:
    """Whole-word match, so SANDBOX_SENSITIVE_OUTPUT does not also count as SANDBOX_SENSITIVE."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(marker)}(?![A-Za-z0-9_])", prompt) is not None
