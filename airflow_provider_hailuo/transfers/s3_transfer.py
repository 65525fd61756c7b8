"""One Hailuo file into one S3 key: the core of ``HailuoToS3Operator`` and of ``hailuo download --s3``.

MiniMax's download URLs expire after an hour, so copying the video somewhere durable is the step every
pipeline needs. This module decides *whether* to transfer and names the object; the streaming,
verification, marking and cleanup are the engine's (:mod:`.multipart`).

A finished transfer is recognised from S3 alone, before MiniMax is asked anything: an object at the
key with the same ``hailuo-file-id`` and the ``sha256`` mark (a tag, or metadata for roles that may
not tag) was verified when it was written, so a rerun costs one HEAD and one tag read, and still
succeeds after MiniMax has forgotten the file. An object of the same file without the mark was left by
an attempt killed before its last step and is replaced; a different object is replaced only with
``replace=True``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_hailuo.download import HailuoVideoStream, ProgressLogger, format_bytes
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.transfers.multipart import (
    META_SHA256,
    TAG_SHA256,
    head_or_none,
    split_transfer_config_args,
    store_stream,
    stored_sha256,
)

__all__ = [
    "DEFAULT_S3_KEY",
    "META_FILE_ID",
    "META_MODEL",
    "META_VIDEO_TASK_ID",
    "S3TransferResult",
    "default_s3_key",
    "make_s3_hook",
    "object_metadata",
    "sanitise_key_part",
    "transfer_hailuo_file_to_s3",
    "user_metadata",
    "user_tags",
]

DEFAULT_S3_KEY = "hailuo/{dag_id}/{run_id}/{video_task_id}.mp4"

META_FILE_ID = "hailuo-file-id"
META_VIDEO_TASK_ID = "hailuo-video-task-id"
META_MODEL = "hailuo-model"
#: S3 allows 10 tags per object; the transfer adds one.
MAX_USER_TAGS = 9
#: S3's "safe" key characters; anything else in an id (``:`` and ``+`` in run ids) becomes ``_``.
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9!_.*'()-]")


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


def make_s3_hook(aws_conn_id: str | None, transfer_config_args: Mapping[str, Any] | None = None) -> S3Hook:
    """An S3Hook whose managed transfers use the engine's bounded-memory config.

    The connection's ``service_config.s3.transfer_config_args`` still wins, as with any S3Hook.
    """
    args, attributes = split_transfer_config_args(transfer_config_args)
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
    upload_args = dict(extra_args or {})
    if checksum_algorithm:
        upload_args.setdefault("ChecksumAlgorithm", checksum_algorithm.upper())
    user_meta = user_metadata(upload_args.pop("Metadata", None))
    tags = user_tags(upload_args)

    # S3 first: a verified object of this file is done, whatever MiniMax still keeps (its files expire).
    existing = head_or_none(client, bucket, key, upload_args)
    if existing is not None:
        meta = {str(k).lower(): str(v) for k, v in (existing.get("Metadata") or {}).items()}
        size = int(existing.get("ContentLength", -1))
        same_file = meta.get(META_FILE_ID) == file_id
        sha = stored_sha256(client, bucket, key, existing, upload_args, log) if same_file else None
        if sha:
            # The mark is written only after S3's checksum matched the bytes MiniMax served.
            log.info(
                "s3://%s/%s already holds file %s (%s, sha256 %s): nothing to transfer",
                bucket,
                key,
                file_id,
                format_bytes(size),
                sha,
            )
            return S3TransferResult(
                bucket, key, size, sha, file_id, video_task_id or meta.get(META_VIDEO_TASK_ID), True
            )
        if same_file:
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

    hailuo_file = hailuo_hook.retrieve_file(file_id)
    expected = hailuo_file.bytes
    log.info(
        "Hailuo file %s (%s) -> s3://%s/%s",
        file_id,
        format_bytes(expected) if expected else "size not reported",
        bucket,
        key,
    )
    progress = ProgressLogger(log, f"file {file_id} -> s3://{bucket}/{key}", interval=progress_interval)
    started = time.monotonic()
    with HailuoVideoStream(hailuo_hook, file_id, file=hailuo_file, progress=progress) as stream:
        sha256, size = store_stream(
            client,
            s3_hook.transfer_config,
            stream,
            bucket,
            key,
            upload_args=upload_args,
            metadata={**user_meta, **object_metadata(file_id, video_task_id, model)},
            tags=tags,
            log=log,
        )
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
