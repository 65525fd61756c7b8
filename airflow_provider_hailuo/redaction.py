"""Everything that must never be shown, and the one set of rules that hides it.

What leaks: the API key (and any ``Bearer`` token) in exception text and CLI output; the query
string of a signed download URL or a presigned image URL (the signature is a credential for an
hour); a ``callback_url``'s token (the only thing a forged callback cannot know); base64 images,
which are megabytes of noise and may be private. Exceptions, log lines, rendered template fields,
trigger events and the CLI all go through the functions here, so a new leak is fixed once.

Pure functions on strings and plain containers, importing nothing heavy: the CLI uses them before
Airflow is imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = [
    "describe_url",
    "redact_callback_url",
    "redact_image_reference",
    "redact_url",
    "sanitize",
    "scrub",
]

#: Shorter "secrets" are not replaced: masking every "a" or "ab" in a message would make it unreadable.
_MIN_SECRET_LENGTH = 4

_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-+/=]+")
_DATA_URL_IN_TEXT = re.compile(r"data:[\w/+.-]*(?:;[\w=.-]+)*,[A-Za-z0-9+/=_-]*")
_LONG_BASE64_IN_TEXT = re.compile(r"[A-Za-z0-9+/=_-]{200,}")
# A path followed by a query string: signed download URLs carry their signature there.
_QUERY_IN_TEXT = re.compile(r"((?:https?://[^\s/?'\"<>]+)?/[^\s?'\"<>]*)\?[^\s'\"<>)]+")
_BASE64_VALUE = re.compile(r"^[A-Za-z0-9+/\s]+={0,2}\s*$")
#: A bare base64 string this long is an inline image, not a path or a name.
_BASE64_VALUE_MIN_CHARS = 256
#: A path segment this long made of token characters is treated as a secret (``/hailuo/callback/<token>``).
_TOKEN_SEGMENT = re.compile(r"^[A-Za-z0-9_\-.~%]{16,}$")


def scrub(text: str, *secrets: str | None) -> str:
    """Remove the given secrets (the API key) and anything that looks like a bearer token."""
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET_LENGTH:
            text = text.replace(secret, "***")
    return _BEARER.sub(r"\1***", text)


def sanitize(text: str, *secrets: str | None) -> str:
    """``scrub`` plus URL query strings, data URLs and long base64 runs: for free text shown to a user.

    Used where the text may quote a whole request or URL (CLI output, tracebacks), unlike exception
    messages, which are built from parts already redacted.
    """
    text = scrub(text, *secrets)
    text = _DATA_URL_IN_TEXT.sub(lambda m: m.group(0).split(",", 1)[0] + ",<redacted>", text)
    text = _LONG_BASE64_IN_TEXT.sub(lambda m: f"<{len(m.group(0))} chars redacted>", text)
    return _QUERY_IN_TEXT.sub(r"\1?<redacted>", text)


def _host(parts: object) -> str:
    """``host[:port]`` without ``user:password@``: credentials in a URL are credentials in a log."""
    hostname = getattr(parts, "hostname", None) or ""
    port = getattr(parts, "port", None) if hostname else None
    if ":" in hostname:  # an IPv6 literal
        hostname = f"[{hostname}]"
    return f"{hostname}:{port}" if port else hostname


def _split(url: str) -> tuple[str, str, str, bool] | None:
    try:
        parts = urlsplit(url)
        host = _host(parts)
    except ValueError:  # an invalid port or bracket: nothing of it is safe to show
        return None
    if not parts.netloc:
        return None
    return parts.scheme, host, parts.path, bool(parts.query or parts.fragment)


def redact_url(url: str) -> str:
    """Scheme, host and path only: the query string of a signed URL is a credential."""
    split = _split(url)
    if split is None:
        return "<url>"
    scheme, host, path, has_query = split
    return f"{scheme}://{host}{path}" + ("?<signature redacted>" if has_query else "")


def redact_callback_url(url: str | None) -> str | None:
    """A ``callback_url`` as it may be shown: its token masked, wherever the user put it.

    The provider's own receiver takes the token as the last path segment (``/hailuo/callback/<token>``);
    other receivers often take it in the query string (``?token=...``) or as ``user:password@``. All
    three are hidden; the host and the rest of the path stay, so a wrong URL can still be recognised.
    """
    if url is None or not isinstance(url, str) or not url.strip():
        return url
    split = _split(url.strip())
    if split is None:
        return "<url>"
    scheme, host, path, has_query = split
    segments = ["<token>" if _TOKEN_SEGMENT.match(seg) else seg for seg in path.split("/")]
    return f"{scheme}://{host}{'/'.join(segments)}" + ("?<redacted>" if has_query else "")


def describe_url(url: str, *, max_chars: int = 80) -> str:
    """A short, log-safe name for a URL: no credentials, no query string, at most ``max_chars``."""
    split = _split(url)
    if split is None:
        return "<url>"
    scheme, host, path, has_query = split
    shown = f"{scheme}://{host}{path}"
    if len(shown) > max_chars:
        shown = shown[: max_chars - 1] + "…"
    return shown + ("?…" if has_query else "")


def _redact_text(value: str) -> str:
    if value[:5].lower() == "data:" and "," in value:
        header, payload = value.split(",", 1)
        return f"{header},<{len(payload)} bytes redacted>"
    if len(value) >= _BASE64_VALUE_MIN_CHARS and _BASE64_VALUE.match(value):
        return f"<base64: {len(value)} bytes redacted>"
    if value[:8].lower().startswith(("http://", "https://")) and ("?" in value or "@" in value):
        # A presigned image URL's query string is a credential; rendered fields are stored and shown.
        return redact_url(value)
    return value


def redact_image_reference(value: object) -> object:
    """A log-sized stand-in for an image argument; walks subject_reference lists and dicts."""
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<bytes: {len(bytes(value))}>"
    if isinstance(value, Mapping):
        return {k: redact_image_reference(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_image_reference(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_image_reference(v) for v in value)
    return value
