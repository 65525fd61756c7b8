"""The streaming S3 engine: a non-seekable source into one S3 object, verified, marked, or nothing left.

Knows nothing of MiniMax: it takes any :class:`SourceStream` (the download's ``HailuoVideoStream`` in
production, an in-memory stream in its tests) and an S3 client, and guarantees three things:

* **Bounded memory.** boto3's managed multipart upload reads the stream part by part through
  :class:`PartReader`, with at most ``max_in_memory_upload_chunks`` parts buffered (see
  :data:`DEFAULT_TRANSFER_CONFIG_ARGS`); a video below the threshold is one PUT of no more than its size.
* **Verified before marked.** S3 checks a checksum of every part (``ChecksumAlgorithm``); the same
  checksums computed here from the bytes that left the stream are compared with S3's checksum of the
  finished object (``checksums.py``). Only then does the object get its ``sha256`` tag, the mark a
  retry trusts without downloading again. A role that may not tag gets the mark in metadata by a
  server-side copy of the object onto itself instead (S3 fixes metadata when an upload starts).
* **Nothing half-written.** Any failure aborts the key's multipart uploads and deletes an object this
  attempt completed (recognised by its ETag, so a concurrent writer's object is never touched).
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from airflow.providers.common.compat.sdk import AirflowFailException
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from airflow_provider_hailuo.download import format_bytes
from airflow_provider_hailuo.exceptions import HailuoError
from airflow_provider_hailuo.transfers.checksums import ALGORITHMS, PartChecksums

__all__ = [
    "DEFAULT_TRANSFER_CONFIG_ARGS",
    "META_SHA256",
    "TAG_SHA256",
    "HailuoTransferIntegrityError",
    "PartReader",
    "SourceStream",
    "abort_multipart_uploads",
    "build_transfer_config",
    "head_or_none",
    "split_transfer_config_args",
    "store_stream",
    "stored_sha256",
]

MiB = 1 << 20

#: Chosen by measurement (``benchmarks/transfer_memory.py``): boto3 keeps up to
#: ``max_in_memory_upload_chunks`` parts of a non-seekable stream in memory (default 10, i.e. 80 MiB at
#: 8 MiB parts, plus one part being read), so it is lowered together with the concurrency. 8 MiB parts
#: allow objects up to 78 GiB (10 000 parts) and keep the peak well under 64 MB above baseline.
DEFAULT_TRANSFER_CONFIG_ARGS: dict[str, Any] = {
    "multipart_threshold": 8 * MiB,
    "multipart_chunksize": 8 * MiB,
    "max_concurrency": 3,
    "max_in_memory_upload_chunks": 3,
    "use_threads": True,
}
#: Not an argument of boto3's ``TransferConfig`` constructor, only an attribute of it.
_ATTRIBUTE_ONLY_CONFIG = (
    "max_in_memory_upload_chunks",
    "max_request_queue_size",
    "max_submission_queue_size",
)

#: Largest object a single CopyObject can write; larger ones are copied part by part.
MAX_SINGLE_COPY_BYTES = 5 * (1 << 30)
COPY_PART_BYTES = 512 * MiB

#: The mark of a verified object: a tag, or (for roles that may not tag) a metadata entry.
TAG_SHA256 = "sha256"
META_SHA256 = "sha256"
#: Error codes meaning "this store or this role cannot tag": the hash then goes into metadata by a copy.
_TAGGING_UNAVAILABLE = frozenset({"AccessDenied", "403", "NotImplemented", "501", "MethodNotAllowed", "405"})

#: Upload arguments that must be given again when the metadata copy replaces the object.
_COPY_ARGS = frozenset(
    {
        "ACL",
        "CacheControl",
        "ContentDisposition",
        "ContentEncoding",
        "ContentLanguage",
        "ContentType",
        "ExpectedBucketOwner",
        "Expires",
        "GrantFullControl",
        "GrantRead",
        "GrantReadACP",
        "GrantWriteACP",
        "ObjectLockLegalHoldStatus",
        "ObjectLockMode",
        "ObjectLockRetainUntilDate",
        "RequestPayer",
        "ServerSideEncryption",
        "SSECustomerAlgorithm",
        "SSECustomerKey",
        "SSECustomerKeyMD5",
        "SSEKMSEncryptionContext",
        "SSEKMSKeyId",
        "StorageClass",
        "WebsiteRedirectLocation",
    }
)


class HailuoTransferIntegrityError(HailuoError):
    """What reached S3 is not what was downloaded (size or checksum). A new attempt may succeed."""

    retryable = True


class SourceStream(Protocol):
    """What the engine reads: a raw stream that knows its expected size and hashes what it returned.

    ``readinto`` must raise when the source ends short of ``expected_bytes`` (the download does), so a
    truncated video never completes an upload.
    """

    expected_bytes: int | None
    position: int

    @property
    def sha256(self) -> str: ...

    def readinto(self, buffer: Any) -> int: ...


# -- configuration ------------------------------------------------------------------------------------


def split_transfer_config_args(overrides: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Our defaults plus the overrides, as (constructor arguments, attributes to set afterwards)."""
    args = {**DEFAULT_TRANSFER_CONFIG_ARGS, **(overrides or {})}
    attributes = {name: args.pop(name) for name in _ATTRIBUTE_ONLY_CONFIG if name in args}
    return args, attributes


def build_transfer_config(overrides: Mapping[str, Any] | None = None) -> TransferConfig:
    """Our memory-bounded defaults, then the caller's overrides (any ``TransferConfig`` attribute)."""
    args, attributes = split_transfer_config_args(overrides)
    config = TransferConfig(**args)
    for name, value in attributes.items():
        setattr(config, name, value)
    return config


# -- reading ----------------------------------------------------------------------------------------


class PartReader:
    """``read(n)`` that returns exactly ``n`` bytes unless the source ends.

    boto3 turns each ``read(chunksize)`` into one part, and S3 rejects a non-final part under 5 MiB;
    a raw stream may return short reads (a resumed connection), so reads are filled here in 1 MiB
    pieces. No ``seek``/``tell``: boto3 must treat it as a non-seekable stream.
    """

    def __init__(
        self, stream: SourceStream, piece: int = MiB, checksums: PartChecksums | None = None
    ) -> None:
        self._stream = stream
        self._piece = piece
        self._checksums = checksums

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(self._piece), b""))
        if size == 0:
            return b""
        # The part is filled in place inside a BytesIO sized once, and getvalue() then hands its buffer
        # over without copying (CPython), as boto3's own BytesIO(part) does: one copy of each part in
        # memory instead of two (bytearray -> bytes). Measured: about 8 MiB less peak per upload.
        expected = self._stream.expected_bytes
        if expected is not None:
            # Never allocate more than the rest of the video (+1 byte, so the loop sees the end and the
            # stream checks the size): boto3 asks for a whole threshold just to learn the size.
            size = min(size, max(expected - self._stream.position, 0) + 1)
        part = io.BytesIO()
        part.seek(size - 1)
        part.write(b"\0")
        view = part.getbuffer()
        filled = 0
        try:
            while filled < size:
                n = self._stream.readinto(view[filled : min(size, filled + self._piece)])
                if not n:
                    break
                filled += n
        finally:
            view.release()
        part.truncate(filled)
        data = part.getvalue()
        if self._checksums is not None:
            self._checksums.update(data)
        return data


# -- storing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UploadPlan:
    """What every upload path needs besides the stream: arguments, tags, checksums, part sizes."""

    upload_args: dict[str, Any]
    #: The caller's metadata and the transfer's own, without ``sha256``.
    metadata: dict[str, str]
    tags: list[tuple[str, str]]
    checksums: PartChecksums | None
    config: TransferConfig

    def extra_args(self) -> dict[str, Any]:
        extra = {**self.upload_args, "Metadata": self.metadata}
        if self.tags:  # only the caller's: tagging in the PUT needs s3:PutObjectTagging
            extra["Tagging"] = urlencode(list(self.tags))
        return extra


def store_stream(
    client: Any,
    config: TransferConfig,
    stream: SourceStream,
    bucket: str,
    key: str,
    *,
    upload_args: Mapping[str, Any],
    metadata: Mapping[str, str],
    tags: Sequence[tuple[str, str]] = (),
    log: logging.Logger | Any,
) -> tuple[str, int]:
    """Upload ``stream`` to ``s3://bucket/key``, verify it, mark it; returns its SHA-256 and size.

    :param upload_args: boto3 upload ``ExtraArgs`` (with ``ChecksumAlgorithm`` for the per-part and
        whole-object checks); ``Metadata`` and ``Tagging`` are given separately.
    :param metadata: user metadata written at upload (without ``sha256``: the mark comes last).
    :param tags: the caller's tags; the engine adds ``sha256``.

    Leftover multipart uploads of the key (an attempt killed earlier) are aborted first. On any failure
    nothing of this attempt stays at the key, and the original error is raised.
    """
    upload_args = dict(upload_args)
    try:
        abort_multipart_uploads(client, bucket, key, log, reason="left by an earlier, killed attempt")
    except ClientError as err:  # s3:ListBucketMultipartUploads is optional for this housekeeping
        log.warning("Could not look for unfinished uploads of s3://%s/%s (%s); continuing", bucket, key, err)
    algorithm = upload_args.get("ChecksumAlgorithm")
    checksums = (
        PartChecksums(algorithm, config.multipart_chunksize, config.multipart_threshold)
        if isinstance(algorithm, str) and algorithm.upper() in ALGORITHMS
        else None
    )
    plan = _UploadPlan(upload_args, dict(metadata), list(tags), checksums, config)
    written: set[str] = set()
    try:
        expected = stream.expected_bytes
        if expected is not None and expected < config.multipart_threshold:
            _upload_small(client, stream, bucket, key, plan)
        else:
            _upload_streaming(client, stream, bucket, key, plan, log)
        return _verify_and_mark(client, stream, bucket, key, plan, written, log)
    except BaseException:
        _cleanup_after_failure(client, bucket, key, written, log, upload_args)
        raise


def _upload_small(client: Any, stream: SourceStream, bucket: str, key: str, plan: _UploadPlan) -> None:
    """Below the multipart threshold: buffer (no more than the video), one PUT."""
    # The size is below the threshold, so this one read reaches the end (and the stream's size check).
    data = PartReader(stream, checksums=plan.checksums).read(plan.config.multipart_threshold)
    client.upload_fileobj(io.BytesIO(data), bucket, key, ExtraArgs=plan.extra_args(), Config=plan.config)


def _upload_streaming(
    client: Any, stream: SourceStream, bucket: str, key: str, plan: _UploadPlan, log: Any
) -> None:
    """Multipart upload straight from the stream, a few parts in memory at a time."""
    config = plan.config
    parts = math.ceil((stream.expected_bytes or 0) / config.multipart_chunksize)
    log.info(
        "Streaming upload: %s parts of up to %s, %s in flight at most",
        parts or "unknown number of",
        format_bytes(config.multipart_chunksize),
        getattr(config, "max_in_memory_upload_chunks", "?"),
    )
    client.upload_fileobj(
        PartReader(stream, checksums=plan.checksums), bucket, key, ExtraArgs=plan.extra_args(), Config=config
    )


def _verify_and_mark(
    client: Any,
    stream: SourceStream,
    bucket: str,
    key: str,
    plan: _UploadPlan,
    written: set[str],
    log: Any,
) -> tuple[str, int]:
    """Check what S3 holds, then mark it complete with its ``sha256``: the mark only goes on verified bytes.

    The mark is what a retry trusts (no download, no check), so it is written last: as the tag
    ``sha256``, or, for a role that may not tag, as metadata by a server-side copy onto the object.
    """
    sha256, size = stream.sha256, stream.position
    head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED", **_head_args(plan.upload_args))
    written.add(head["ETag"])
    _check_stored(head, size, plan, bucket, key, log)
    try:
        client.put_object_tagging(
            Bucket=bucket,
            Key=key,
            Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in [*plan.tags, (TAG_SHA256, sha256)]]},
            **_owner_args(plan.upload_args),
        )
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code"))
        if code not in _TAGGING_UNAVAILABLE:
            raise
        log.warning(
            "Could not tag s3://%s/%s (%s): storing its sha256 as metadata by a server-side copy instead. "
            "Grant s3:PutObjectTagging and s3:GetObjectTagging to skip that copy.",
            bucket,
            key,
            code,
        )
        final_meta = {**plan.metadata, META_SHA256: sha256}
        _store_sha256_by_copy(client, bucket, key, head["ETag"], size, final_meta, plan, written)
    return sha256, size


def _store_sha256_by_copy(
    client: Any,
    bucket: str,
    key: str,
    etag: str,
    size: int,
    final_meta: dict[str, str],
    plan: _UploadPlan,
    written: set[str],
) -> None:
    """Copy the object onto itself with the full metadata; ``CopySourceIfMatch`` guards a concurrent write."""
    upload_args = plan.upload_args
    copy_args = {k: v for k, v in upload_args.items() if k in _COPY_ARGS}
    if "SSECustomerKey" in upload_args:
        for name in ("SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5"):
            if name in upload_args:
                copy_args[f"CopySource{name}"] = upload_args[name]
    source = {"Bucket": bucket, "Key": key}
    try:
        if size <= MAX_SINGLE_COPY_BYTES:
            if "ChecksumAlgorithm" in upload_args:
                # The copy gets a fresh full-object checksum (moto would otherwise keep the composite
                # value of the source, which no longer describes the object and fails every read).
                copy_args["ChecksumAlgorithm"] = upload_args["ChecksumAlgorithm"]
            answer = client.copy_object(
                Bucket=bucket,
                Key=key,
                CopySource=source,
                CopySourceIfMatch=etag,
                MetadataDirective="REPLACE",
                Metadata=final_meta,
                **copy_args,
            )
            result = answer.get("CopyObjectResult") or {}
            if result.get("ETag"):
                written.add(result["ETag"])
        else:
            big_copy = TransferConfig(
                multipart_threshold=MAX_SINGLE_COPY_BYTES,
                multipart_chunksize=COPY_PART_BYTES,
                max_concurrency=4,
            )
            client.copy(
                source,
                bucket,
                key,
                ExtraArgs={
                    **copy_args,
                    "CopySourceIfMatch": etag,
                    "MetadataDirective": "REPLACE",
                    "Metadata": final_meta,
                },
                Config=big_copy,
            )
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
            raise AirflowFailException(
                f"s3://{bucket}/{key} was overwritten by someone else while this transfer ran; not touching it"
            ) from err
        raise
    # The source was verified before the copy, and CopySourceIfMatch pinned it: the size suffices here.
    head = client.head_object(Bucket=bucket, Key=key, **_head_args(upload_args))
    written.add(head["ETag"])
    if int(head["ContentLength"]) != size:
        raise HailuoTransferIntegrityError(
            f"s3://{bucket}/{key} holds {head['ContentLength']} bytes after the metadata copy, {size} before"
        )


def _check_stored(
    head: Mapping[str, Any], size: int, plan: _UploadPlan, bucket: str, key: str, log: Any
) -> None:
    """Compare what S3 reports for the stored object with what went through the stream."""
    if int(head.get("ContentLength", -1)) != size:
        raise HailuoTransferIntegrityError(
            f"s3://{bucket}/{key} holds {head.get('ContentLength')} bytes, {size} were downloaded"
        )
    checksums = plan.checksums
    if checksums is None:
        return
    reported = head.get(f"Checksum{checksums.algorithm}")
    if not isinstance(reported, str) or not reported:
        log.info(
            "S3 reported no %s for s3://%s/%s; only its size (%s) was compared",
            checksums.algorithm,
            bucket,
            key,
            format_bytes(size),
        )
        return
    kind = head.get("ChecksumType")
    verdict = checksums.matches(reported, kind if isinstance(kind, str) else None)
    if verdict is None:
        log.info(
            "S3's %s of s3://%s/%s is not comparable with the parts sent", checksums.algorithm, bucket, key
        )
        return
    if not verdict:
        raise HailuoTransferIntegrityError(
            f"s3://{bucket}/{key}: S3 reports {checksums.algorithm} {reported}, which the {checksums.parts} "
            "part(s) downloaded and sent do not give"
        )
    log.info(
        "S3's %s of s3://%s/%s (%s part(s)) matches the downloaded bytes",
        checksums.algorithm,
        bucket,
        key,
        checksums.parts,
    )


# -- reading back -----------------------------------------------------------------------------------


def head_or_none(client: Any, bucket: str, key: str, upload_args: Mapping[str, Any]) -> dict[str, Any] | None:
    """The object's HEAD (with the SSE-C key when there is one), or None when there is no object."""
    try:
        return client.head_object(Bucket=bucket, Key=key, **_head_args(upload_args))  # type: ignore[no-any-return]
    except ClientError as err:
        if err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return None
        raise


def stored_sha256(
    client: Any, bucket: str, key: str, head: Mapping[str, Any], upload_args: Mapping[str, Any], log: Any
) -> str | None:
    """The mark of a verified object: its ``sha256`` metadata (copy fallback) or tag; None: unfinished."""
    meta = {str(k).lower(): str(v) for k, v in (head.get("Metadata") or {}).items()}
    if meta.get(META_SHA256):
        return meta[META_SHA256]
    try:
        answer = client.get_object_tagging(Bucket=bucket, Key=key, **_owner_args(upload_args))
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code"))
        if code not in _TAGGING_UNAVAILABLE:
            raise
        log.warning("Could not read the tags of s3://%s/%s (%s)", bucket, key, code)
        return None
    for tag in answer.get("TagSet") or ():
        if tag.get("Key") == TAG_SHA256 and isinstance(tag.get("Value"), str):
            return str(tag["Value"])
    return None


def _head_args(upload_args: Mapping[str, Any]) -> dict[str, Any]:
    # Reading an SSE-C object back needs the key again.
    names = (
        "SSECustomerAlgorithm",
        "SSECustomerKey",
        "SSECustomerKeyMD5",
        "RequestPayer",
        "ExpectedBucketOwner",
    )
    return {k: upload_args[k] for k in names if k in upload_args}


def _owner_args(upload_args: Mapping[str, Any]) -> dict[str, Any]:
    # The tagging calls take only these of the upload's arguments.
    return {k: upload_args[k] for k in ("RequestPayer", "ExpectedBucketOwner") if k in upload_args}


# -- cleanup ----------------------------------------------------------------------------------------


def abort_multipart_uploads(client: Any, bucket: str, key: str, log: Any, *, reason: str) -> int:
    """Abort every unfinished multipart upload of exactly ``key`` (their parts are billed until then)."""
    aborted = 0
    paginator = client.get_paginator("list_multipart_uploads")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        for upload in page.get("Uploads") or ():
            if upload.get("Key") != key:
                continue
            try:
                client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") == "NoSuchUpload":
                    continue  # boto3's own cleanup got there first
                raise
            aborted += 1
    if aborted:
        log.warning(
            "Aborted %s unfinished multipart upload(s) of s3://%s/%s (%s)", aborted, bucket, key, reason
        )
    return aborted


def _cleanup_after_failure(
    client: Any, bucket: str, key: str, written: Iterable[str], log: Any, upload_args: Mapping[str, Any]
) -> None:
    """Leave no parts and no object of ours behind; never mask the original error."""
    try:
        abort_multipart_uploads(client, bucket, key, log, reason="the transfer failed")
    except Exception as err:
        log.error("Could not list/abort multipart uploads of s3://%s/%s: %s", bucket, key, err)
    ours = set(written)
    if not ours:
        return
    try:
        head = client.head_object(Bucket=bucket, Key=key, **_head_args(upload_args))  # SSE-C needs its key
    except ClientError as err:
        if err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
            log.error("Could not check s3://%s/%s after the failure: %s", bucket, key, err)
        return
    except Exception as err:
        log.error("Could not check s3://%s/%s after the failure: %s", bucket, key, err)
        return
    if head.get("ETag") in ours:
        try:
            client.delete_object(Bucket=bucket, Key=key, **_owner_args(upload_args))
            log.warning("Deleted the unfinished object s3://%s/%s written by this attempt", bucket, key)
        except Exception as err:
            log.error("Could not delete the unfinished object s3://%s/%s: %s", bucket, key, err)
