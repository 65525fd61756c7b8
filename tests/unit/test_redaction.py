"""The one redaction module: keys, bearer tokens, signed URLs, callback tokens, base64 images."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airflow_provider_hailuo.redaction import (
    describe_url,
    redact_callback_url,
    redact_url,
    sanitize,
    scrub,
)

PACKAGE = Path(__file__).resolve().parents[2] / "airflow_provider_hailuo"


def test_scrub_removes_key_and_bearer_tokens() -> None:
    text = scrub("Authorization: Bearer abc.def-123 and sk-verysecret", "sk-verysecret")
    assert "abc.def-123" not in text and "sk-verysecret" not in text


def test_scrub_takes_several_secrets_and_ignores_tiny_ones() -> None:
    assert scrub("k1-secret and k2-secret and a", "k1-secret", "k2-secret", "a", None) == "*** and *** and a"


def test_sanitize_removes_secrets() -> None:
    text = sanitize(
        "GET https://cdn.example.com/v/1.mp4?Expires=1&Signature=abc failed with url: /x/y?token=zz "
        "Bearer sk-123456 key sk-secret-1 data:image/png;base64,iVBORw0KGgo=",
        "sk-secret-1",
    )
    assert text == (
        "GET https://cdn.example.com/v/1.mp4?<redacted> failed with url: /x/y?<redacted> "
        "Bearer *** key *** data:image/png;base64,<redacted>"
    )


def test_redact_url() -> None:
    assert redact_url("https://a.b/c?X-Amz-Signature=abc") == "https://a.b/c?<signature redacted>"
    assert redact_url("https://a.b/c") == "https://a.b/c"
    assert redact_url("not a url") == "<url>"


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2-pass@cdn.example.com/v.mp4",
        "https://user:hunter2-pass@cdn.example.com:8443/v.mp4",
    ],
)
def test_redact_url_drops_userinfo(url: str) -> None:
    shown = redact_url(url)
    assert "hunter2" not in shown and "user" not in shown
    assert shown.startswith("https://cdn.example.com") and shown.endswith("/v.mp4")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://airflow.example.com/hailuo/callback/Zx9k2LmQp7Rt4Vw8Yb3Nc6",
            "https://airflow.example.com/hailuo/callback/<token>",
        ),
        (
            "https://hooks.example.com/minimax?token=s3cr3t-value",
            "https://hooks.example.com/minimax?<redacted>",
        ),
        ("https://bot:pa55word@hooks.example.com:8443/in", "https://hooks.example.com:8443/in"),
        ("https://hooks.example.com/in", "https://hooks.example.com/in"),
    ],
)
def test_callback_url_token_is_masked(url: str, expected: str) -> None:
    assert redact_callback_url(url) == expected


def test_callback_url_none_and_empty_pass_through() -> None:
    assert redact_callback_url(None) is None
    assert redact_callback_url("") == ""


def test_describe_url_is_short_and_signature_free() -> None:
    shown = describe_url("https://u:p@bucket.s3.amazonaws.com/" + "k" * 200 + "?X-Amz-Signature=secret")
    assert "secret" not in shown and "u:p" not in shown
    assert len(shown) <= 85 and shown.endswith("…?…")


def test_one_bearer_rule_in_the_package() -> None:
    """Redaction lives in one module: no other module grows its own bearer or query-string regex."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "redaction.py" or "sandbox" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        if (
            re.search(r"re\.compile\([^)]*[Bb]earer", source)
            or "def scrub(" in source
            or "def sanitize(" in source
        ):
            offenders.append(str(path.relative_to(PACKAGE)))
        if "def redact_url(" in source or "def redact_image_reference(" in source:
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []
