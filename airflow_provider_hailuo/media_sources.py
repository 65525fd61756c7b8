"""Reading an input file from the worker's disk or from S3, bounded by the size its kind allows.

Shared by the v1 image inputs (``images.py``) and the MiniMax-H3 media inputs (``media_v2.py``): the
size is checked from the file system or the object's declared length before reading, and no more than
one byte past the limit is ever read, so an oversized object cannot fill the worker's memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: (where, size in bytes) -> the message for an input over its limit.
TooBig = Callable[[str, int], str]


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _default_too_big(field: str, max_bytes: int) -> TooBig:
    return lambda where, size: (
        f"{field}: {where} is {human_size(size)} ({size} bytes); at most {max_bytes} bytes are allowed"
    )


def read_local_file(path: Path, *, field: str, max_bytes: int, too_big: TooBig | None = None) -> bytes:
    """The bytes of a local file of at most ``max_bytes``; a ValueError naming ``field`` otherwise."""
    path = path.expanduser()
    if not path.exists():
        raise ValueError(f"{field}: local file {str(path)!r} does not exist")
    if not path.is_file():
        raise ValueError(f"{field}: {str(path)!r} is not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError((too_big or _default_too_big(field, max_bytes))(f"local file {str(path)!r}", size))
    return path.read_bytes()


def is_not_found(exc: BaseException) -> bool:
    """True for botocore's answer to a missing key or bucket."""
    response = getattr(exc, "response", None)
    if not isinstance(response, Mapping):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}


def read_s3_object(
    url: str, *, field: str, aws_conn_id: str | None, max_bytes: int, too_big: TooBig | None = None
) -> tuple[bytes, str]:
    """(bytes, ``s3://bucket/key``) of an object of at most ``max_bytes``; a ValueError naming ``field``."""
    # Split by hand: S3 keys may contain '?' and '#', which urlsplit would cut off.
    bucket, _, key = url[5:].partition("/") if url[:5].lower() == "s3://" else ("", "", "")
    if not bucket or not key:
        raise ValueError(f"{field}: {url!r} is not a valid S3 URL; expected s3://bucket/key")
    # Imported here so the provider's other modules work without touching boto3 at import time.
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    where = f"s3://{bucket}/{key}"
    message = too_big or _default_too_big(field, max_bytes)
    try:
        obj: Any = S3Hook(aws_conn_id=aws_conn_id).get_key(key, bucket)
        declared = getattr(obj, "content_length", None)
        if isinstance(declared, int) and declared > max_bytes:
            raise ValueError(message(where, declared))
        data = bytes(obj.get()["Body"].read(max_bytes + 1))
    except ValueError:
        raise
    except Exception as exc:
        if is_not_found(exc):
            raise ValueError(f"{field}: {where} does not exist ({exc})") from exc
        raise
    if len(data) > max_bytes:
        raise ValueError(message(where, len(data)))
    return data, where
