"""HailuoToS3Operator: stream a finished Hailuo video into S3, verified, in bounded memory.

MiniMax's download URLs expire after an hour, so copying the video somewhere durable is the step
every pipeline needs. The design follows from three constraints:

* **Memory and disk.** A video can be gigabytes and workers are small, so the download is never held
  whole nor written to disk: ``HailuoVideoStream`` (resume on cut connections, refresh of expired
  URLs, SHA-256 and size check) is handed straight to boto3's managed multipart upload, whose
  in-memory buffering is bounded by the tuned ``TransferConfig`` below.
* **Integrity.** S3 verifies a checksum of every part (``ChecksumAlgorithm``, CRC32 by default, as
  boto3's own default); we compute the same checksums from the bytes leaving the download and compare
  them with the checksum S3 reports for the finished object, which proves that S3 assembled exactly
  what MiniMax served (``checksums.py``). Only then is the SHA-256 of the whole stream, known only at
  its end, stored as the object's tag ``sha256`` (one small request): the mark a retry trusts goes on
  verified bytes only. Without ``s3:PutObjectTagging`` the hash goes into metadata by one server-side
  copy of the object onto itself instead (S3 fixes metadata when an upload starts): correct, but the
  copy costs as much time as the upload on S3-compatible stores that copy through their own CPU.
* **Failure leaves nothing behind.** Any failure aborts the multipart upload (boto3 does; we also list
  and abort uploads for the key, and delete an object we completed but could not finish), so there are
  no orphan parts (billed forever) and no partial object at the key. A retry is idempotent: an object
  already at the key with the same file id, size and ``sha256`` (tag or metadata) counts as done
  without a download; one without ``sha256`` was left by an attempt killed before its last step and is
  replaced.
"""

from __future__ import annotations

import ast
import io
import json
import logging
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    Asset,
    AssetAlias,
    BaseOperator,
)
from boto3.s3.transfer import S3Transfer, TransferConfig
from botocore.exceptions import ClientError

from airflow_provider_hailuo.download import HailuoVideoStream, ProgressLogger, format_bytes
from airflow_provider_hailuo.exceptions import HailuoError, HailuoMalformedResponseError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.links.hailuo import S3_CONSOLE_URL_XCOM_KEY, HailuoS3ObjectLink, s3_console_url
from airflow_provider_hailuo.outcomes import raise_for_airflow
from airflow_provider_hailuo.protocol import VideoStatus, normalise_file_id, normalise_status
from airflow_provider_hailuo.transfers.checksums import ALGORITHMS, PartChecksums

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow.providers.openlineage.extractors import OperatorLineage

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

DEFAULT_S3_KEY = "hailuo/{dag_id}/{run_id}/{video_task_id}.mp4"
DEFAULT_ASSET_ALIAS = "hailuo_videos"
#: Largest object a single CopyObject can write; larger ones are copied part by part.
MAX_SINGLE_COPY_BYTES = 5 * (1 << 30)
COPY_PART_BYTES = 512 * MiB

META_FILE_ID = "hailuo-file-id"
META_VIDEO_TASK_ID = "hailuo-video-task-id"
META_MODEL = "hailuo-model"
META_SHA256 = "sha256"
TAG_SHA256 = "sha256"
#: S3 allows 10 tags per object; the operator adds one.
MAX_USER_TAGS = 9
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
#: S3's "safe" key characters; anything else in an id (``:`` and ``+`` in run ids) becomes ``_``.
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9!_.*'()-]")


class HailuoTransferIntegrityError(HailuoError):
    """What reached S3 is not what was downloaded (size or checksum). A new attempt may succeed."""

    retryable = True


@dataclass(frozen=True)
class S3TransferResult:
    """Where a video landed and its fingerprint. ``reused``: it was already there (no download)."""

    bucket: str
    key: str
    bytes: int
    sha256: str
    file_id: str
    video_task_id: str | None = None
    reused: bool = False

    @property
    def s3_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def to_dict(self) -> dict[str, Any]:
        """Small JSON for XCom; the same for a first transfer and an idempotent re-run."""
        return {
            "s3_uri": self.s3_uri,
            "bucket": self.bucket,
            "key": self.key,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "video_task_id": self.video_task_id,
            "file_id": self.file_id,
        }


# -- helpers shared by the operator and the benchmark --------------------------------------------------


def build_transfer_config(overrides: Mapping[str, Any] | None = None) -> TransferConfig:
    """Our memory-bounded defaults, then the caller's overrides (any ``TransferConfig`` attribute)."""
    args = {**DEFAULT_TRANSFER_CONFIG_ARGS, **(overrides or {})}
    attributes = {name: args.pop(name) for name in _ATTRIBUTE_ONLY_CONFIG if name in args}
    config = TransferConfig(**args)
    for name, value in attributes.items():
        setattr(config, name, value)
    return config


def make_s3_hook(aws_conn_id: str | None, transfer_config_args: Mapping[str, Any] | None = None) -> S3Hook:
    """An S3Hook whose managed transfers use our bounded-memory config.

    The connection's ``service_config.s3.transfer_config_args`` still wins, as with any S3Hook.
    """
    args = {**DEFAULT_TRANSFER_CONFIG_ARGS, **(transfer_config_args or {})}
    attributes = {name: args.pop(name) for name in _ATTRIBUTE_ONLY_CONFIG if name in args}
    hook = S3Hook(aws_conn_id=aws_conn_id, transfer_config_args=args)
    for name, value in attributes.items():
        setattr(hook.transfer_config, name, value)
    return hook


def sanitise_key_part(value: object) -> str:
    """Make an id safe inside an S3 key (run ids hold ``:`` and ``+``, which need URL-encoding)."""
    text = _UNSAFE_KEY_CHARS.sub("_", str(value)).strip(".")
    return text or "_"


def default_s3_key(dag_id: str, run_id: str, video_task_id: str | None, file_id: str) -> str:
    """``hailuo/<dag>/<run>/<video task>.mp4``: unique per run and per video, readable in the console."""
    name = video_task_id if video_task_id else f"file-{file_id}"
    return DEFAULT_S3_KEY.format(
        dag_id=sanitise_key_part(dag_id),
        run_id=sanitise_key_part(run_id),
        video_task_id=sanitise_key_part(name),
    )


def object_metadata(file_id: str, video_task_id: str | None, model: str | None) -> dict[str, str]:
    """What we write as user metadata at upload (S3 lower-cases the names; values must be ASCII).

    Not the ``sha256``: it is known only at the end and goes on as a tag once the bytes are verified.
    """
    meta = {META_FILE_ID: file_id}
    if video_task_id:
        meta[META_VIDEO_TASK_ID] = video_task_id
    if model:
        meta[META_MODEL] = model.encode("ascii", "replace").decode("ascii")
    return meta


def user_metadata(metadata: object) -> dict[str, str]:
    """The caller's metadata, lower-cased as S3 stores it, without the names the operator relies on."""
    if not metadata:
        return {}
    if not isinstance(metadata, Mapping):
        raise AirflowFailException(f"s3_extra_args['Metadata'] must be a dict, got {type(metadata).__name__}")
    meta = {str(k).lower(): str(v) for k, v in metadata.items()}
    reserved = sorted(k for k in meta if k == META_SHA256 or k.startswith("hailuo-"))
    if reserved:
        # A caller's "sha256" would make an unverified object look finished to the next attempt.
        raise AirflowFailException(
            f"s3_extra_args['Metadata']: {', '.join(reserved)} are the operator's own names (sha256, hailuo-*)"
        )
    return meta


def user_tags(upload_args: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The caller's ``Tagging`` (URL-encoded, as boto3 takes it) as pairs, checked against S3's limit."""
    tagging = upload_args.get("Tagging")
    if not tagging:
        return []
    if not isinstance(tagging, str):
        raise AirflowFailException(
            f"s3_extra_args['Tagging'] must be a URL-encoded string like 'team=video&env=prod', got {tagging!r}"
        )
    pairs = parse_qsl(tagging, keep_blank_values=True)
    if any(k == TAG_SHA256 for k, _ in pairs):
        raise AirflowFailException(f"s3_extra_args['Tagging']: the tag {TAG_SHA256!r} is the operator's own")
    if len(pairs) > MAX_USER_TAGS:
        raise AirflowFailException(
            f"s3_extra_args['Tagging'] has {len(pairs)} tags; at most {MAX_USER_TAGS} are allowed "
            f"(S3 keeps 10 per object and the operator adds {TAG_SHA256!r})"
        )
    return pairs


class _PartReader:
    """``read(n)`` that returns exactly ``n`` bytes unless the video ends.

    boto3 turns each ``read(chunksize)`` into one part, and S3 rejects a non-final part under 5 MiB;
    a raw stream may return short reads (a resumed connection), so reads are filled here in 1 MiB
    pieces. No ``seek``/``tell``: boto3 must treat it as a non-seekable stream.
    """

    def __init__(
        self, stream: HailuoVideoStream, piece: int = MiB, checksums: PartChecksums | None = None
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


# -- the transfer -----------------------------------------------------------------------------------


def transfer_hailuo_file_to_s3(
    *,
    hailuo_hook: HailuoHook,
    s3_hook: S3Hook,
    file_id: str,
    bucket: str,
    key: str,
    video_task_id: str | None = None,
    model: str | None = None,
    replace: bool = False,
    extra_args: Mapping[str, Any] | None = None,
    checksum_algorithm: str | None = "CRC32",
    log: logging.Logger | Any = None,
    progress_interval: float = 10.0,
) -> S3TransferResult:
    """Move one generated file into ``s3://bucket/key``; the operator's core, callable on its own.

    :param extra_args: boto3 upload ``ExtraArgs`` (content type, encryption, storage class, metadata).
    :param checksum_algorithm: checksum S3 verifies for each part (``CRC32``, ``SHA256``, ...; None: off),
        and that we compare with S3's checksum of the finished object.
    """
    log = log if log is not None else logging.getLogger(__name__)
    client = s3_hook.get_conn()
    config: TransferConfig = s3_hook.transfer_config
    upload_args = dict(extra_args or {})
    if checksum_algorithm:
        upload_args.setdefault("ChecksumAlgorithm", checksum_algorithm.upper())
    user_meta = user_metadata(upload_args.pop("Metadata", None))
    tags = user_tags(upload_args)

    hailuo_file = hailuo_hook.retrieve_file(file_id)
    expected = hailuo_file.bytes
    log.info(
        "Hailuo file %s (%s) -> s3://%s/%s",
        file_id,
        format_bytes(expected) if expected else "size not reported",
        bucket,
        key,
    )

    # Idempotency, checked before any upload starts: a retry of a finished transfer costs one HEAD.
    existing = _head_or_none(client, bucket, key, upload_args)
    if existing is not None:
        meta = {str(k).lower(): str(v) for k, v in (existing.get("Metadata") or {}).items()}
        size = int(existing.get("ContentLength", -1))
        same_file = meta.get(META_FILE_ID) == file_id
        if same_file and not meta.get(META_SHA256):
            stored_sha = _sha256_tag(client, bucket, key, upload_args, log)
            if stored_sha:
                meta[META_SHA256] = stored_sha
        if same_file and meta.get(META_SHA256) and (expected is None or size == expected):
            log.info(
                "s3://%s/%s already holds file %s (%s, sha256 %s): nothing to transfer",
                bucket,
                key,
                file_id,
                format_bytes(size),
                meta[META_SHA256],
            )
            return S3TransferResult(
                bucket,
                key,
                size,
                meta[META_SHA256],
                file_id,
                video_task_id or meta.get(META_VIDEO_TASK_ID),
                True,
            )
        if same_file and not meta.get(META_SHA256):
            log.warning(
                "s3://%s/%s holds file %s without a sha256: left by an interrupted earlier attempt; replacing it",
                bucket,
                key,
                file_id,
            )
        elif not replace:
            raise AirflowFailException(
                f"s3://{bucket}/{key} already holds a different object ({size} bytes, Hailuo file id "
                f"{meta.get(META_FILE_ID) or 'none'}, sha256 {meta.get(META_SHA256) or 'none'}) than file "
                f"{file_id}; set replace=True to overwrite it, or choose another s3_key."
            )
        else:
            log.info("replace=True: overwriting the different object at s3://%s/%s", bucket, key)

    try:
        _abort_multipart_uploads(client, bucket, key, log, reason="left by an earlier, killed attempt")
    except ClientError as err:  # s3:ListBucketMultipartUploads is optional for this housekeeping
        log.warning("Could not look for unfinished uploads of s3://%s/%s (%s); continuing", bucket, key, err)

    algorithm = upload_args.get("ChecksumAlgorithm")
    checksums = (
        PartChecksums(algorithm, config.multipart_chunksize, config.multipart_threshold)
        if isinstance(algorithm, str) and algorithm.upper() in ALGORITHMS
        else None
    )
    progress = ProgressLogger(log, f"file {file_id} -> s3://{bucket}/{key}", interval=progress_interval)
    written: set[str] = set()
    started = time.monotonic()
    stream = HailuoVideoStream(hailuo_hook, file_id, file=hailuo_file, progress=progress)
    try:
        with stream:
            plan = _UploadPlan(
                upload_args,
                {**user_meta, **object_metadata(file_id, video_task_id, model)},
                tags,
                checksums,
                config,
            )
            if expected is not None and expected < config.multipart_threshold:
                _upload_small(client, stream, bucket, key, plan)
            else:
                _upload_streaming(client, stream, bucket, key, plan, log)
            sha256, size = _verify_and_mark(client, stream, bucket, key, plan, written, log)
    except BaseException:
        _cleanup_after_failure(client, bucket, key, written, log, upload_args)
        raise
    elapsed = max(time.monotonic() - started, 1e-6)
    log.info(
        "Stored s3://%s/%s: %s in %.1fs (%s/s), sha256 %s, %s resume(s), %s URL refresh(es)",
        bucket,
        key,
        format_bytes(size),
        elapsed,
        format_bytes(int(size / elapsed)),
        sha256,
        stream.resumes,
        stream.url_refreshes,
    )
    return S3TransferResult(bucket, key, size, sha256, file_id, video_task_id)


@dataclass(frozen=True)
class _UploadPlan:
    """What every upload path needs besides the stream: arguments, tags, checksums, part sizes."""

    upload_args: dict[str, Any]
    #: The caller's metadata and ours (file id, task id, model), without ``sha256``.
    metadata: dict[str, str]
    tags: list[tuple[str, str]]
    checksums: PartChecksums | None
    config: TransferConfig

    def extra_args(self) -> dict[str, Any]:
        extra = {**self.upload_args, "Metadata": self.metadata}
        if self.tags:  # only the caller's: tagging in the PUT needs s3:PutObjectTagging
            extra["Tagging"] = _tagging_string(self.tags)
        return extra


def _upload_small(client: Any, stream: HailuoVideoStream, bucket: str, key: str, plan: _UploadPlan) -> None:
    """Below the multipart threshold: buffer (no more than the video), one PUT."""
    # The size is below the threshold, so this one read reaches the end (and the stream's size check).
    data = _PartReader(stream, checksums=plan.checksums).read(plan.config.multipart_threshold)
    client.upload_fileobj(io.BytesIO(data), bucket, key, ExtraArgs=plan.extra_args(), Config=plan.config)


def _upload_streaming(
    client: Any, stream: HailuoVideoStream, bucket: str, key: str, plan: _UploadPlan, log: Any
) -> None:
    """Multipart upload straight from the download, a few parts in memory at a time."""
    config = plan.config
    parts = math.ceil((stream.expected_bytes or 0) / config.multipart_chunksize)
    log.info(
        "Streaming upload: %s parts of up to %s, %s in flight at most",
        parts or "unknown number of",
        format_bytes(config.multipart_chunksize),
        getattr(config, "max_in_memory_upload_chunks", "?"),
    )
    client.upload_fileobj(
        _PartReader(stream, checksums=plan.checksums), bucket, key, ExtraArgs=plan.extra_args(), Config=config
    )


def _verify_and_mark(
    client: Any,
    stream: HailuoVideoStream,
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


def _tagging_string(pairs: Sequence[tuple[str, str]]) -> str:
    return urlencode(list(pairs))


def _sha256_tag(client: Any, bucket: str, key: str, upload_args: Mapping[str, Any], log: Any) -> str | None:
    """The ``sha256`` tag of an existing object; None when absent or when tags cannot be read."""
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


def _head_or_none(
    client: Any, bucket: str, key: str, upload_args: Mapping[str, Any]
) -> dict[str, Any] | None:
    try:
        return client.head_object(Bucket=bucket, Key=key, **_head_args(upload_args))  # type: ignore[no-any-return]
    except ClientError as err:
        if err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return None
        raise


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


def _abort_multipart_uploads(client: Any, bucket: str, key: str, log: Any, *, reason: str) -> int:
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
        _abort_multipart_uploads(client, bucket, key, log, reason="the transfer failed")
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


# -- the operator -----------------------------------------------------------------------------------


def _as_mapping(value: Any) -> Any:
    """A result dict rendered by a Jinja template arrives as its text (JSON or Python repr): parse it back."""
    if isinstance(value, str) and value.strip().startswith("{"):
        text = value.strip()
        try:
            parsed = json.loads(text)
        except ValueError:
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return value
        if isinstance(parsed, Mapping):
            return parsed
    return value


@dataclass(frozen=True)
class _Video:
    file_id: str
    video_task_id: str | None
    model: str | None


class HailuoToS3Operator(BaseOperator):
    """Copy a finished Hailuo video to S3, streaming and verified; returns a small dict.

    Give ``file_id=gen.output`` (the generation operator's result, or a sensor's), a file id, or just
    ``video_task_id`` (its status is queried to find the file). The result
    (``s3_uri``, ``bucket``, ``key``, ``bytes``, ``sha256``, ``video_task_id``, ``file_id``) is also
    announced as an asset event on the ``asset_alias`` for data-aware scheduling.

    :param file_id: Hailuo file id, or a dict holding ``file_id`` (templated).
    :param video_task_id: Hailuo task id, or a dict holding it (templated). Alone, the task must be Success.
    :param s3_bucket: target bucket (templated); may be omitted when ``s3_key`` is a full ``s3://`` URL.
    :param s3_key: target key (templated). Default ``hailuo/{dag_id}/{run_id}/{video_task_id}.mp4``.
    :param replace: overwrite a *different* object at the key. The same video already there is always
        accepted as done (idempotent retries), whatever this flag says.
    :param encrypt: server-side encryption with S3-managed keys (SSE-S3); use ``s3_extra_args`` for KMS.
    :param storage_class: e.g. ``STANDARD_IA`` or ``INTELLIGENT_TIERING``.
    :param content_type: stored ``Content-Type`` (``video/mp4``).
    :param s3_extra_args: any other boto3 upload ``ExtraArgs`` (``ACL``, ``SSEKMSKeyId``, ``Tagging``,
        ``Metadata``...), checked against boto3's allowed list when the DAG is parsed.
    :param checksum_algorithm: checksum S3 verifies on every part and that is compared with S3's checksum
        of the finished object (default ``CRC32``, as boto3's; ``SHA256`` and ``SHA1`` are compared too,
        others only per part; None turns it off for S3-compatible stores that reject it).
    :param transfer_config_args: overrides of the memory-bounded ``TransferConfig`` defaults.
    :param asset_alias: asset alias that receives an ``s3://bucket/key`` asset event; None: no event.
    :param progress_interval: seconds between progress lines in the task log.
    """

    template_fields: Sequence[str] = (
        "file_id",
        "video_task_id",
        "s3_bucket",
        "s3_key",
        "storage_class",
        "s3_extra_args",
        "aws_conn_id",
        "hailuo_conn_id",
    )
    template_fields_renderers = {"s3_extra_args": "json"}
    operator_extra_links = (HailuoS3ObjectLink(),)
    ui_color = "#d9f0ff"

    def __init__(
        self,
        *,
        file_id: Any = None,
        video_task_id: Any = None,
        s3_bucket: str | None = None,
        s3_key: str | None = None,
        aws_conn_id: str | None = "aws_default",
        hailuo_conn_id: str = HailuoHook.default_conn_name,
        replace: bool = False,
        encrypt: bool = False,
        storage_class: str | None = None,
        content_type: str | None = "video/mp4",
        s3_extra_args: dict[str, Any] | None = None,
        checksum_algorithm: str | None = "CRC32",
        transfer_config_args: dict[str, Any] | None = None,
        asset_alias: str | None = DEFAULT_ASSET_ALIAS,
        progress_interval: float = 10.0,
        **kwargs: Any,
    ) -> None:
        if file_id is None and video_task_id is None:
            raise ValueError("HailuoToS3Operator needs file_id (or the generation result) or video_task_id")
        if s3_extra_args is not None and not isinstance(s3_extra_args, (dict, str)):
            raise TypeError(f"s3_extra_args must be a dict, got {type(s3_extra_args).__name__}")
        if isinstance(s3_extra_args, dict):
            unknown = sorted(set(s3_extra_args) - set(S3Transfer.ALLOWED_UPLOAD_ARGS))
            if unknown:
                raise ValueError(f"s3_extra_args: not boto3 upload arguments: {', '.join(unknown)}")
        build_transfer_config(transfer_config_args)  # bad names or values fail at parse time
        if asset_alias:
            outlets = kwargs.pop("outlets", None) or []
            outlets = list(outlets) if isinstance(outlets, (list, tuple)) else [outlets]
            kwargs["outlets"] = [*outlets, AssetAlias(name=asset_alias)]
        super().__init__(**kwargs)
        self.file_id = file_id
        self.video_task_id = video_task_id
        self.s3_bucket = s3_bucket
        self.s3_key = s3_key
        self.aws_conn_id = aws_conn_id
        self.hailuo_conn_id = hailuo_conn_id
        self.replace = replace
        self.encrypt = encrypt
        self.storage_class = storage_class
        self.content_type = content_type
        self.s3_extra_args = s3_extra_args
        self.checksum_algorithm = checksum_algorithm
        self.transfer_config_args = transfer_config_args
        self.asset_alias = asset_alias
        self.progress_interval = progress_interval
        self._transferred: S3TransferResult | None = None

    # -- inputs ---------------------------------------------------------------------------------
    def _resolve_video(self, hook: HailuoHook) -> _Video:
        """Turn whatever was given (ids, result dicts) into a file id, querying the task if needed."""
        given_file, given_task = _as_mapping(self.file_id), _as_mapping(self.video_task_id)
        info: dict[str, Any] = {}
        for value in (given_task, given_file):  # a dict given as file_id wins
            if isinstance(value, Mapping):
                info.update({k: v for k, v in value.items() if v not in (None, "")})
        file_id = info.get("file_id") if given_file is None or isinstance(given_file, Mapping) else given_file
        task_id = (
            info.get("video_task_id") if given_task is None or isinstance(given_task, Mapping) else given_task
        )
        task_id = str(task_id).strip() if task_id not in (None, "") else None
        model = str(info["model"]) if info.get("model") else None
        if file_id in (None, ""):
            if info.get("status"):
                try:
                    failed = normalise_status(info["status"]) is VideoStatus.FAIL
                except HailuoMalformedResponseError:  # "Submitted" (wait_for_completion=False): ask the API
                    failed = False
                if failed:
                    raise AirflowFailException(
                        f"Hailuo video task {task_id} failed: there is no video to transfer"
                    )
            if not task_id:
                raise AirflowFailException(
                    f"No Hailuo file id to transfer: file_id={self.file_id!r}, video_task_id={self.video_task_id!r}"
                )
            file_id = self._file_id_of_task(hook, task_id)
        try:
            fid = normalise_file_id(file_id)
        except HailuoMalformedResponseError as err:
            raise AirflowFailException(f"file_id: {err}") from None
        if fid is None:
            raise AirflowFailException(f"file_id: not a Hailuo file id: {file_id!r}")
        return _Video(fid, task_id, model)

    def _file_id_of_task(self, hook: HailuoHook, task_id: str) -> str:
        status = hook.get_video_generation(task_id)
        if status.status is VideoStatus.SUCCESS and status.file_id:
            return status.file_id
        if status.status is VideoStatus.FAIL:
            reason = f" ({status.error_code}: {status.error_message})" if status.error_code else ""
            raise AirflowFailException(
                f"Hailuo video task {task_id} failed{reason}: there is no video to transfer"
            )
        raise AirflowException(
            f"Hailuo video task {task_id} is {status.status.value}, not Success: nothing to transfer yet. "
            "Wait for it first (HailuoVideoGenerationSensor, or the operator with wait_for_completion=True)."
        )

    def _destination(self, context: Context, video: _Video) -> tuple[str, str]:
        key = self.s3_key
        bucket = self.s3_bucket
        if key and key.startswith("s3://"):
            parsed_bucket, key = S3Hook.parse_s3_url(key)
            if bucket and bucket != parsed_bucket:
                raise AirflowFailException(
                    f"s3_key names bucket {parsed_bucket!r} but s3_bucket is {bucket!r}"
                )
            bucket = parsed_bucket
        if not key:
            dag_run = context.get("dag_run")
            run_id = getattr(dag_run, "run_id", None) or context.get("run_id") or "manual"
            key = default_s3_key(self.dag_id, str(run_id), video.video_task_id, video.file_id)
        if not bucket:
            raise AirflowFailException("s3_bucket is required unless s3_key is a full s3:// URL")
        return bucket, key.lstrip("/")

    def _extra_args(self) -> dict[str, Any]:
        extra: Any = self.s3_extra_args or {}
        if not isinstance(extra, Mapping):
            raise AirflowFailException(f"s3_extra_args rendered to {type(extra).__name__}, expected a dict")
        args: dict[str, Any] = {}
        if self.content_type:
            args["ContentType"] = self.content_type
        if self.encrypt:
            args["ServerSideEncryption"] = "AES256"
        if self.storage_class:
            args["StorageClass"] = self.storage_class
        args.update(extra)
        return args

    # -- execution ------------------------------------------------------------------------------
    def execute(self, context: Context) -> dict[str, Any]:
        hook = HailuoHook(hailuo_conn_id=self.hailuo_conn_id)
        bucket = key = "?"
        try:
            video = self._resolve_video(hook)
            bucket, key = self._destination(context, video)
            s3_hook = make_s3_hook(self.aws_conn_id, self.transfer_config_args)
            region = getattr(s3_hook, "conn_region_name", None) or None
            # Early, so the UI link works while the (possibly long) transfer runs and after a failure.
            context["ti"].xcom_push(key=S3_CONSOLE_URL_XCOM_KEY, value=s3_console_url(bucket, key, region))
            result = transfer_hailuo_file_to_s3(
                hailuo_hook=hook,
                s3_hook=s3_hook,
                file_id=video.file_id,
                bucket=bucket,
                key=key,
                video_task_id=video.video_task_id,
                model=video.model,
                replace=self.replace,
                extra_args=self._extra_args(),
                checksum_algorithm=self.checksum_algorithm,
                log=self.log,
                progress_interval=self.progress_interval,
            )
        except HailuoError as err:
            raise_for_airflow(err)
            raise  # pragma: no cover
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code in ("403", "Forbidden", "AccessDenied"):
                raise AirflowFailException(
                    f"S3 refused access to s3://{bucket}/{key} ({code}): the AWS connection needs s3:PutObject, "
                    "s3:GetObject and s3:ListBucket on it (without ListBucket a missing key answers 403). "
                    f"{err}"
                ) from err
            if code in ("NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise AirflowFailException(f"S3 refused the transfer ({code}): {err}") from err
            raise
        finally:
            hook.close()
        self._transferred = result
        self._emit_asset_event(context, result)
        return result.to_dict()

    def _emit_asset_event(self, context: Context, result: S3TransferResult) -> None:
        if not self.asset_alias:
            return
        extra: dict[str, Any] = {
            "video_task_id": result.video_task_id,
            "file_id": result.file_id,
            "bytes": result.bytes,
            "sha256": result.sha256,
        }
        context["outlet_events"][AssetAlias(name=self.asset_alias)].add(Asset(result.s3_uri), extra=extra)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        """The S3 object as the output dataset (nothing when no transfer happened)."""
        from airflow.providers.common.compat.openlineage.facet import Dataset
        from airflow.providers.openlineage.extractors import OperatorLineage

        if self._transferred is None:
            return OperatorLineage()
        return OperatorLineage(
            outputs=[Dataset(namespace=f"s3://{self._transferred.bucket}", name=self._transferred.key)]
        )
