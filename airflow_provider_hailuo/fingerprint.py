"""The fingerprint of a video request: what a retry compares before re-attaching to an earlier video.

MiniMax has no idempotency key, so a retry that finds an earlier try's task id must decide whether
that video answers the current request. The fingerprint holds what decides the video and nothing
that changes between tries without changing it: an image URL counts by scheme, host and path (a
presigned URL's query string is signed anew at every try), an ``s3://`` image by bucket and key, raw
bytes by their hash, a local path as written. No image is read, so a retry re-attaches even when an
input was cleaned up since the first try.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit


def reference_identity(value: str) -> str:
    """What in an image reference decides the video: a URL without its query string or credentials."""
    try:
        parts = urlsplit(value.strip())
        scheme = parts.scheme.lower()
        if scheme in ("http", "https") and parts.hostname:
            port = f":{parts.port}" if parts.port else ""
            return f"{scheme}://{parts.hostname.lower()}{port}{parts.path}"
        if scheme == "s3" and parts.hostname:
            return f"s3://{parts.hostname}{parts.path}"
    except ValueError:  # not a URL after all (a bad port, say): as written
        pass
    return value


def _stable(value: Any, *, image: bool) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, Mapping):
        return {str(k): _stable(v, image=image) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_stable(v, image=image) for v in value]
    if isinstance(value, str):
        return reference_identity(value) if image else value
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return repr(value)


def request_fingerprint(fields: Mapping[str, Any], *, image_fields: Collection[str]) -> str:
    """A SHA-256 over the request's fields, images by identity (see the module docstring)."""
    request = {name: _stable(value, image=name in image_fields) for name, value in fields.items()}
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=repr).encode()).hexdigest()
