"""The streaming S3 engine on its own: an in-memory source into a real moto S3 server.

No MiniMax here: the source is a local stream that returns short reads (as a resumed download does) and
can fail part-way, so what is tested is the engine's own promise: exact parts, the ``sha256`` mark only
on verified bytes (tag, or metadata by a copy), and nothing of a failed attempt left at the key.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from airflow_provider_hailuo.transfers.checksums import PartChecksums
from airflow_provider_hailuo.transfers.multipart import (
    HailuoTransferIntegrityError,
    PartReader,
    abort_multipart_uploads,
    build_transfer_config,
    head_or_none,
    store_stream,
    stored_sha256,
)

from .conftest import CallLog, S3Env, fail_calls

MiB = 1 << 20
LOG = logging.getLogger("tests.multipart")
#: 5 MiB parts (S3's minimum), so 12 MiB is a real multipart upload.
CONFIG = build_transfer_config({"multipart_threshold": 5 * MiB, "multipart_chunksize": 5 * MiB})
ARGS = {"ContentType": "video/mp4", "ChecksumAlgorithm": "CRC32"}


class MemoryStream:
    """A source with short reads (at most ``chunk`` bytes each) that may fail after ``fail_after`` bytes."""

    def __init__(self, data: bytes, *, chunk: int = 100_000, fail_after: int | None = None) -> None:
        self.data = data
        self.chunk = chunk
        self.fail_after = fail_after
        self.expected_bytes: int | None = len(data)
        self.position = 0
        self._hash = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def readinto(self, buffer: Any) -> int:
        if self.fail_after is not None and self.position >= self.fail_after:
            raise OSError("source cut")
        view = memoryview(buffer).cast("B")
        piece = self.data[self.position : self.position + min(len(view), self.chunk)]
        view[: len(piece)] = piece
        self.position += len(piece)
        self._hash.update(piece)
        return len(piece)


def store(s3: S3Env, stream: MemoryStream, key: str = "v.mp4", **kwargs: Any) -> tuple[str, int]:
    return store_stream(
        s3.client,
        CONFIG,
        stream,
        s3.bucket,
        key,
        upload_args=kwargs.pop("upload_args", ARGS),
        metadata=kwargs.pop("metadata", {"hailuo-file-id": "42"}),
        log=LOG,
        **kwargs,
    )


def test_part_reader_fills_every_part_despite_short_reads() -> None:
    part = 5 * MiB  # S3's smallest non-final part
    data = os.urandom(3 * part + 123)
    checksums = PartChecksums("CRC32", part, part)
    reader = PartReader(MemoryStream(data, chunk=70_000), checksums=checksums)
    parts = list(iter(lambda: reader.read(part), b""))
    assert [len(p) for p in parts] == [part, part, part, 123]
    assert b"".join(parts) == data
    assert checksums.parts == 4


def test_multipart_store_is_exact_tagged_and_copy_free(s3: S3Env, s3_calls: CallLog) -> None:
    data = os.urandom(12 * MiB + 7)
    sha256, size = store(s3, MemoryStream(data), tags=[("team", "video")])
    assert (sha256, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert s3.read("v.mp4") == data
    assert s3_calls["UploadPart"] == 3 and s3_calls["CopyObject"] == 0
    assert s3.tags("v.mp4") == {"team": "video", "sha256": sha256}
    head = s3.client.head_object(Bucket=s3.bucket, Key="v.mp4")
    assert head["Metadata"] == {"hailuo-file-id": "42"} and head["ContentType"] == "video/mp4"
    assert stored_sha256(s3.client, s3.bucket, "v.mp4", head, ARGS, LOG) == sha256


def test_small_source_is_one_put(s3: S3Env, s3_calls: CallLog) -> None:
    data = os.urandom(300_000)
    sha256, _ = store(s3, MemoryStream(data))
    assert s3_calls["PutObject"] == 1 and s3_calls["CreateMultipartUpload"] == 0
    assert s3.tags("v.mp4") == {"sha256": sha256}


def test_without_tagging_the_mark_goes_into_metadata(
    s3: S3Env, s3_calls: CallLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(6 * MiB)
    fail_calls(monkeypatch, {"PutObjectTagging": "AccessDenied", "GetObjectTagging": "AccessDenied"})
    sha256, _ = store(s3, MemoryStream(data))
    head = head_or_none(s3.client, s3.bucket, "v.mp4", ARGS)
    assert head is not None
    assert head["Metadata"] == {"hailuo-file-id": "42", "sha256": sha256}
    assert head["ContentType"] == "video/mp4"  # the copy keeps the upload's arguments
    assert stored_sha256(s3.client, s3.bucket, "v.mp4", head, ARGS, LOG) == sha256
    assert s3.read("v.mp4") == data


def test_unmarked_object_reads_as_unfinished(s3: S3Env) -> None:
    s3.client.put_object(Bucket=s3.bucket, Key="v.mp4", Body=b"x", Metadata={"hailuo-file-id": "42"})
    head = head_or_none(s3.client, s3.bucket, "v.mp4", ARGS)
    assert head is not None
    assert stored_sha256(s3.client, s3.bucket, "v.mp4", head, ARGS, LOG) is None
    assert head_or_none(s3.client, s3.bucket, "absent.mp4", ARGS) is None


def test_source_failing_mid_upload_leaves_no_parts_and_no_object(s3: S3Env) -> None:
    with pytest.raises(OSError, match="source cut"):
        store(s3, MemoryStream(os.urandom(16 * MiB), fail_after=11 * MiB))
    assert s3.open_uploads() == [] and s3.keys() == []


def test_failure_after_completion_deletes_only_our_object(s3: S3Env, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, {"PutObjectTagging": "InternalError"})
    with pytest.raises(ClientError, match="InternalError"):
        store(s3, MemoryStream(os.urandom(6 * MiB)))
    assert s3.keys() == []


def test_a_concurrent_writers_object_is_never_deleted(s3: S3Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between our upload and its mark someone else writes the key: cleanup must leave their object."""
    original = BaseClient._make_api_call

    def racing(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == "PutObjectTagging":
            original(self, "PutObject", {"Bucket": s3.bucket, "Key": "v.mp4", "Body": b"theirs"})
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", racing)
    with pytest.raises(ClientError):
        store(s3, MemoryStream(os.urandom(6 * MiB)))
    monkeypatch.undo()
    assert s3.read("v.mp4") == b"theirs"


def test_size_mismatch_is_an_integrity_error_and_leaves_nothing(s3: S3Env) -> None:
    """A source that ends early without noticing it (expected size unknown) still cannot get the mark."""

    class Lying(MemoryStream):
        @property
        def sha256(self) -> str:
            self.position += 1  # claims one byte more than it delivered
            return super().sha256

    stream = Lying(os.urandom(300_000))
    stream.expected_bytes = None
    with pytest.raises(HailuoTransferIntegrityError, match="bytes"):
        store(s3, stream)
    assert s3.keys() == []


def test_leftover_uploads_of_the_key_are_aborted_first(s3: S3Env) -> None:
    s3.client.create_multipart_upload(Bucket=s3.bucket, Key="v.mp4")
    s3.client.create_multipart_upload(Bucket=s3.bucket, Key="v.mp4.other")  # another key: kept
    store(s3, MemoryStream(os.urandom(300_000)))
    assert [u["Key"] for u in s3.open_uploads()] == ["v.mp4.other"]
    assert abort_multipart_uploads(s3.client, s3.bucket, "v.mp4.other", LOG, reason="test") == 1
