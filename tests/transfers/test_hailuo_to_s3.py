"""HailuoToS3Operator against the real sandbox server and a real moto S3 server.

Each test generates a video through the sandbox API and moves it with the operator; the bytes stored
in S3 are compared with the sandbox's own SHA-256 of what it serves, and S3 itself is inspected for
metadata, content type, leftover multipart uploads and stray objects.
"""

from __future__ import annotations

import base64
import hashlib
import json
import textwrap
import zlib
from collections import Counter
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, Asset, AssetAlias
from airflow.sdk import DAG
from airflow.sdk.execution_time.context import OutletEventAccessors

from airflow_provider_hailuo.download import HailuoDownloadError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.links.hailuo import HailuoS3ObjectLink, s3_console_url
from airflow_provider_hailuo.transfers.hailuo_to_s3 import (
    DEFAULT_TRANSFER_CONFIG_ARGS,
    HailuoToS3Operator,
    HailuoTransferIntegrityError,
    build_transfer_config,
    default_s3_key,
    sanitise_key_part,
)

from .conftest import CallLog, S3Env, Video, fail_calls

MiB = 1 << 20
RUN_ID = "manual__2026-01-02T03:04:05.678+00:00"
#: 5 MiB parts (S3's minimum) so a 12-20 MiB video is a real multipart upload in a test.
SMALL_PARTS = {"multipart_threshold": 5 * MiB, "multipart_chunksize": 5 * MiB}


class FakeTI:
    """Collects what the operator pushes to XCom."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def make_operator(**kwargs: Any) -> HailuoToS3Operator:
    with DAG("hailuo_to_s3_test", schedule=None):
        return HailuoToS3Operator(task_id="to_s3", **kwargs)


def run(op: HailuoToS3Operator, run_id: str = RUN_ID) -> tuple[dict[str, Any], FakeTI, OutletEventAccessors]:
    ti = FakeTI()
    events = OutletEventAccessors()
    context: Any = {
        "ti": ti,
        "dag_run": SimpleNamespace(run_id=run_id),
        "run_id": run_id,
        "outlet_events": events,
    }
    return op.execute(context), ti, events


def expected_key(video: Video, run_id: str = RUN_ID) -> str:
    return default_s3_key("hailuo_to_s3_test", run_id, video.video_task_id, video.file_id)


def composite_crc32(data: bytes, part_size: int) -> str:
    """S3's composite checksum of a multipart object, computed here independently of the provider."""
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)]
    joined = b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)
    return base64.b64encode(zlib.crc32(joined).to_bytes(4, "big")).decode()


# -- the happy paths -------------------------------------------------------------------------------


def test_multipart_stream_is_byte_identical(
    make_video: Callable[..., Video], s3: S3Env, s3_calls: Counter[str], capsys: pytest.CaptureFixture[str]
) -> None:
    video = make_video(20 * MiB)
    op = make_operator(
        file_id=video.file_id,
        video_task_id=video.video_task_id,
        s3_bucket=s3.bucket,
        transfer_config_args=SMALL_PARTS,
        progress_interval=0.05,
    )
    result, ti, _ = run(op)

    key = expected_key(video)
    assert result == {
        "s3_uri": f"s3://{s3.bucket}/{key}",
        "bucket": s3.bucket,
        "key": key,
        "bytes": video.size,
        "sha256": video.sha256,
        "video_task_id": video.video_task_id,
        "file_id": video.file_id,
    }
    assert hashlib.sha256(s3.read(key)).hexdigest() == video.sha256
    assert s3_calls["CreateMultipartUpload"] == 1
    assert s3_calls["UploadPart"] == 4  # 20 MiB in 5 MiB parts, straight from the stream
    assert s3_calls["CompleteMultipartUpload"] == 1
    assert s3.open_uploads() == []
    # No copy of the object: the hash goes into a tag, the file id (known up front) into metadata.
    assert s3_calls["CopyObject"] == 0
    assert s3_calls["PutObjectTagging"] == 1
    assert s3.tags(key) == {"sha256": video.sha256}
    assert s3.client.head_object(Bucket=s3.bucket, Key=key)["Metadata"] == {
        "hailuo-file-id": video.file_id,
        "hailuo-video-task-id": video.video_task_id,
    }
    # S3's checksum of the finished object is the composite CRC32 of 5 MiB parts of exactly these bytes,
    # and the operator compared it with the parts it sent.
    head = s3.client.head_object(Bucket=s3.bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"].split("-")[0] == composite_crc32(s3.read(key), 5 * MiB)
    assert ti.xcoms["s3_console_url"] == s3_console_url(s3.bucket, key, "us-east-1")
    captured = capsys.readouterr()
    text = captured.out + captured.err  # Airflow 3 task logs go through structlog to the console
    assert "CRC32 of s3://" in text and "(4 part(s)) matches the downloaded bytes" in text
    assert "(100%)" in text and "/s" in text  # progress: bytes, percent and rate
    assert "sandbox-key" not in text
    assert "expires=" not in text  # the signed URL's query is never logged


@pytest.mark.parametrize("size", [300_000, 12 * MiB], ids=["single-put", "multipart"])
def test_sha256_part_checksums_are_compared_too(
    make_video: Callable[..., Video], s3: S3Env, size: int, capsys: pytest.CaptureFixture[str]
) -> None:
    video = make_video(size)
    op = make_operator(
        file_id=video.file_id,
        s3_bucket=s3.bucket,
        checksum_algorithm="SHA256",
        transfer_config_args=SMALL_PARTS,
    )
    result, _, _ = run(op)
    head = s3.client.head_object(Bucket=s3.bucket, Key=result["key"], ChecksumMode="ENABLED")
    assert "ChecksumSHA256" in head
    captured = capsys.readouterr()
    parts = 1 if size < 5 * MiB else 3
    assert f"S3's SHA256 of s3://{s3.bucket}/{result['key']} ({parts} part(s)) matches" in captured.out


def test_small_video_is_one_put_then_its_tag(
    make_video: Callable[..., Video], s3: S3Env, s3_calls: CallLog
) -> None:
    video = make_video(300_000)
    op = make_operator(file_id=video.file_id, video_task_id=video.video_task_id, s3_bucket=s3.bucket,
                       s3_key="videos/small.mp4")  # fmt: skip
    result, _, _ = run(op)

    assert result["key"] == "videos/small.mp4"
    assert hashlib.sha256(s3.read("videos/small.mp4")).hexdigest() == video.sha256 == result["sha256"]
    assert s3_calls["PutObject"] == 1
    assert s3_calls["CreateMultipartUpload"] == 0
    assert s3_calls["CopyObject"] == 0
    head = s3.client.head_object(Bucket=s3.bucket, Key="videos/small.mp4")
    assert head["ContentType"] == "video/mp4"
    assert head["Metadata"] == {"hailuo-file-id": video.file_id, "hailuo-video-task-id": video.video_task_id}
    # The completion mark goes on after the bytes were checked, not with the PUT (which would also need
    # s3:PutObjectTagging, the one permission whose absence the operator works around).
    assert "Tagging" not in s3_calls.params["PutObject"][0]
    assert s3_calls["PutObjectTagging"] == 1
    assert s3.tags("videos/small.mp4") == {"sha256": video.sha256}


def test_generation_result_dict_as_file_id(make_video: Callable[..., Video], s3: S3Env) -> None:
    video = make_video()
    generated = {
        "video_task_id": video.video_task_id,
        "status": "Success",
        "file_id": video.file_id,
        "video_width": 1366,
        "video_height": 768,
        "model": "MiniMax-Hailuo-02",
        "resolution": "768P",
        "duration": 6,
    }
    result, _, _ = run(make_operator(file_id=generated, s3_bucket=s3.bucket))

    assert result["video_task_id"] == video.video_task_id
    assert result["file_id"] == video.file_id
    assert result["key"] == expected_key(video)
    meta = s3.client.head_object(Bucket=s3.bucket, Key=result["key"])["Metadata"]
    assert meta["hailuo-model"] == "MiniMax-Hailuo-02"
    assert meta["hailuo-video-task-id"] == video.video_task_id


@pytest.mark.parametrize("render", [str, json.dumps], ids=["python-repr", "json"])
def test_result_dict_rendered_as_text_is_accepted(render: Callable[[Any], str]) -> None:
    """``file_id="{{ ti.xcom_pull('generate') }}"`` renders the dict as text without native rendering."""
    op = make_operator(file_id=render({"video_task_id": "77", "file_id": 88, "model": "M"}), s3_bucket="b")
    video = op._resolve_video(HailuoHook())
    assert (video.file_id, video.video_task_id, video.model) == ("88", "77", "M")
    with pytest.raises(AirflowFailException, match="numeric id"):
        make_operator(file_id="{not a dict", s3_bucket="b")._resolve_video(HailuoHook())


def test_video_task_id_alone_is_looked_up(make_video: Callable[..., Video], s3: S3Env) -> None:
    video = make_video()
    result, _, _ = run(make_operator(video_task_id=video.video_task_id, s3_bucket=s3.bucket))
    assert result["file_id"] == video.file_id
    assert result["sha256"] == video.sha256
    assert result["key"].endswith(f"/{video.video_task_id}.mp4")


def test_failed_video_task_fails_clearly(make_video: Callable[..., Video], s3: S3Env, sandbox: Any) -> None:
    hook = HailuoHook()
    task_id = hook.create_video_generation_from_payload(
        {"model": "MiniMax-Hailuo-02", "prompt": "SANDBOX_FAIL"}
    )
    hook.wait_for_video_generation(task_id, poll_interval=0.05, timeout=20)
    with pytest.raises(AirflowFailException, match=f"{task_id} failed"):
        run(make_operator(video_task_id=task_id, s3_bucket=s3.bucket))
    with pytest.raises(AirflowFailException, match="failed"):
        run(
            make_operator(
                file_id={"video_task_id": task_id, "status": "Fail", "file_id": None}, s3_bucket=s3.bucket
            )
        )
    assert s3.keys() == []


def test_unfinished_video_task_fails_retryably(sandbox: Any, s3: S3Env) -> None:
    sandbox.config.processing_seconds = 60
    task_id = HailuoHook().create_video_generation_from_payload(
        {"model": "MiniMax-Hailuo-02", "prompt": "slow"}
    )
    with pytest.raises(AirflowException, match="not Success") as info:
        run(make_operator(video_task_id=task_id, s3_bucket=s3.bucket))
    assert not isinstance(info.value, AirflowFailException)  # a later Airflow retry may find it done


ARCHIVE_ARGS: dict[str, Any] = {
    "encrypt": True,
    "storage_class": "STANDARD_IA",
    "s3_extra_args": {
        "Metadata": {"team": "video"},
        "CacheControl": "max-age=60",
        "Tagging": "env=prod&owner=ml",
    },
    "transfer_config_args": SMALL_PARTS,
}


def test_encryption_storage_class_tags_and_extra_args_are_kept(
    make_video: Callable[..., Video], s3: S3Env, s3_calls: Counter[str]
) -> None:
    video = make_video(12 * MiB)
    op = make_operator(file_id=video.file_id, s3_bucket=s3.bucket, s3_key=f"s3://{s3.bucket}/archive/v.mp4",
                       **ARCHIVE_ARGS)  # fmt: skip
    result, _, _ = run(op)

    assert s3_calls["CopyObject"] == 0
    head = s3.client.head_object(Bucket=s3.bucket, Key="archive/v.mp4")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["CacheControl"] == "max-age=60"
    assert head["ContentType"] == "video/mp4"
    assert head["Metadata"] == {"team": "video", "hailuo-file-id": video.file_id}
    # The caller's tags are kept when the operator adds its own.
    assert s3.tags("archive/v.mp4") == {"env": "prod", "owner": "ml", "sha256": video.sha256}
    assert result["sha256"] == video.sha256


@pytest.mark.parametrize("size", [300_000, 12 * MiB], ids=["single-put", "multipart"])
def test_without_tagging_permission_the_hash_goes_into_metadata_by_a_copy(
    make_video: Callable[..., Video],
    s3: S3Env,
    s3_calls: CallLog,
    sandbox: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    size: int,
) -> None:
    """A role without s3:PutObjectTagging/GetObjectTagging still gets a verified, idempotent transfer."""
    video = make_video(size)
    fail_calls(monkeypatch, {"PutObjectTagging": "AccessDenied", "GetObjectTagging": "AccessDenied"})
    key = "archive/untagged.mp4"
    untagged = {**ARCHIVE_ARGS["s3_extra_args"]}
    del untagged["Tagging"]  # such a role could not tag in the upload either
    op_args = {"file_id": video.file_id, "s3_bucket": s3.bucket, "s3_key": key, **ARCHIVE_ARGS}
    op_args["s3_extra_args"] = untagged
    result, _, _ = run(make_operator(**op_args))

    uploads = s3_calls.params.get("PutObject", []) + s3_calls.params.get("CreateMultipartUpload", [])
    assert uploads and not any("Tagging" in call for call in uploads)
    assert s3_calls["CopyObject"] == 1
    head = s3.client.head_object(Bucket=s3.bucket, Key=key)
    assert head["Metadata"] == {"team": "video", "hailuo-file-id": video.file_id, "sha256": video.sha256}
    assert head["ServerSideEncryption"] == "AES256"  # the copy keeps what the upload set
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["CacheControl"] == "max-age=60"
    assert hashlib.sha256(s3.read(key)).hexdigest() == video.sha256 == result["sha256"]
    captured = capsys.readouterr()
    assert "Grant s3:PutObjectTagging" in captured.out + captured.err

    downloads = sandbox.stats()["downloads"]
    again, _, _ = run(make_operator(**op_args))
    assert again == result
    assert sandbox.stats()["downloads"] == downloads


def test_threshold_above_part_size_single_put_is_still_verified(
    make_video: Callable[..., Video], s3: S3Env, s3_calls: CallLog, capsys: pytest.CaptureFixture[str]
) -> None:
    """12 MiB under a 16 MiB threshold goes up in one PUT, though it spans three 5 MiB parts."""
    video = make_video(12 * MiB)
    config = {"multipart_threshold": 16 * MiB, "multipart_chunksize": 5 * MiB}
    result, _, _ = run(make_operator(file_id=video.file_id, s3_bucket=s3.bucket, transfer_config_args=config))
    assert s3_calls["PutObject"] == 1 and s3_calls["CreateMultipartUpload"] == 0
    assert result["sha256"] == video.sha256
    assert "matches the downloaded bytes" in capsys.readouterr().out


def test_operator_metadata_names_are_refused_before_downloading(
    make_video: Callable[..., Video], s3: S3Env, sandbox: Any
) -> None:
    video = make_video()
    downloads = sandbox.stats()["downloads"]
    for meta in ({"sha256": "0" * 64}, {"Hailuo-File-Id": "1"}):
        op = make_operator(file_id=video.file_id, s3_bucket=s3.bucket, s3_extra_args={"Metadata": meta})
        with pytest.raises(AirflowFailException, match=r"operator's own names"):
            run(op)
    assert sandbox.stats()["downloads"] == downloads and s3.keys() == []


def test_buffer_never_exceeds_the_video(make_video: Callable[..., Video], sandbox: Any) -> None:
    """boto3 asks for a whole multipart threshold to learn the size; a 300 kB video must not cost 1 GiB."""
    import tracemalloc

    from airflow_provider_hailuo.download import HailuoVideoStream
    from airflow_provider_hailuo.transfers.multipart import PartReader

    video = make_video(300_000)
    with HailuoVideoStream(HailuoHook(), video.file_id) as stream:
        reader = PartReader(stream)
        tracemalloc.start()
        try:
            data = reader.read(1 << 30)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert reader.read(1 << 30) == b""
    assert hashlib.sha256(data).hexdigest() == video.sha256
    assert peak < 4 * MiB


# -- faults ---------------------------------------------------------------------------------------


def test_cut_download_resumes_to_identical_bytes(
    make_video: Callable[..., Video], s3: S3Env, sandbox: Any, quick_resumes: None
) -> None:
    video = make_video(12 * MiB)
    sandbox.config.cut_download_after_bytes = 3 * MiB
    sandbox.config.cut_download_times = 2
    result, _, _ = run(
        make_operator(file_id=video.file_id, s3_bucket=s3.bucket, transfer_config_args=SMALL_PARTS)
    )

    stats = sandbox.stats()
    assert stats["downloads_cut"] == 2
    assert stats["downloads"] == 3
    assert result["sha256"] == video.sha256
    assert hashlib.sha256(s3.read(result["key"])).hexdigest() == video.sha256


def test_expired_url_is_refreshed(
    make_video: Callable[..., Video],
    s3: S3Env,
    sandbox: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    video = make_video(6 * MiB)
    # The first URL is minted already expired; the refresh after its 403 gets a normal one.
    sandbox.config.download_url_ttl_seconds = 0
    original = HailuoHook.retrieve_file

    def retrieve_then_heal(self: HailuoHook, file_id: str | int) -> Any:
        answer = original(self, file_id)
        sandbox.config.download_url_ttl_seconds = 3600
        return answer

    monkeypatch.setattr(HailuoHook, "retrieve_file", retrieve_then_heal)
    before = sandbox.stats()
    result, _, _ = run(make_operator(file_id=video.file_id, s3_bucket=s3.bucket))

    stats = sandbox.stats()
    assert stats["downloads_denied"] - before["downloads_denied"] == 1
    assert stats["retrieves"] - before["retrieves"] == 2
    assert result["sha256"] == video.sha256
    assert hashlib.sha256(s3.read(result["key"])).hexdigest() == video.sha256
    captured = capsys.readouterr()
    assert "expired" in captured.out + captured.err
    assert "expires=" not in captured.out + captured.err


def test_failed_download_leaves_no_parts_and_no_object(
    make_video: Callable[..., Video], s3: S3Env, sandbox: Any, s3_calls: Counter[str], quick_resumes: None
) -> None:
    video = make_video(20 * MiB)
    # Every response is cut after 2 MiB, more often than the stream may resume: it fails at ~18 MiB,
    # after three 5 MiB parts went up.
    sandbox.config.cut_download_after_bytes = 2 * MiB
    sandbox.config.cut_download_times = 1000
    op = make_operator(file_id=video.file_id, s3_bucket=s3.bucket, transfer_config_args=SMALL_PARTS)
    with pytest.raises(HailuoDownloadError, match="failed"):
        run(op)

    assert s3_calls["CreateMultipartUpload"] == 1
    assert s3_calls["UploadPart"] >= 1
    assert s3_calls["AbortMultipartUpload"] >= 1
    assert s3.open_uploads() == []
    assert s3.keys() == []


@pytest.mark.parametrize(
    "failures",
    [
        {"PutObjectTagging": "InternalError"},
        {"PutObjectTagging": "AccessDenied", "CopyObject": "InternalError"},
    ],
    ids=["tagging-fails", "fallback-copy-fails"],
)
def test_failure_after_upload_removes_the_object(
    make_video: Callable[..., Video], s3: S3Env, monkeypatch: pytest.MonkeyPatch, failures: dict[str, str]
) -> None:
    """The upload completed but storing its sha256 failed: the object without sha256 must not stay."""
    from botocore.exceptions import ClientError

    video = make_video(12 * MiB)
    fail_calls(monkeypatch, failures)
    op = make_operator(file_id=video.file_id, s3_bucket=s3.bucket, transfer_config_args=SMALL_PARTS)
    with pytest.raises(ClientError, match="InternalError"):
        run(op)
    assert s3.keys() == []
    assert s3.open_uploads() == []


@pytest.mark.parametrize("size", [300_000, 12 * MiB], ids=["single-put", "multipart"])
def test_checksum_mismatch_fails_and_leaves_nothing(
    make_video: Callable[..., Video], s3: S3Env, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """If S3's checksum of the object is not what the bytes sent give, the object is not kept."""
    from botocore.client import BaseClient

    video = make_video(size)
    original = BaseClient._make_api_call

    def tampered_head(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        answer = original(self, operation_name, api_params)
        if operation_name == "HeadObject" and "ChecksumCRC32" in answer:
            value = answer["ChecksumCRC32"]
            answer["ChecksumCRC32"] = ("AAAAAA==" if not value.startswith("AAAAAA") else "AQEBAQ==") + (
                "-3" if "-" in value else ""
            )
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", tampered_head)
    op = make_operator(file_id=video.file_id, s3_bucket=s3.bucket, transfer_config_args=SMALL_PARTS)
    with pytest.raises(HailuoTransferIntegrityError, match="S3 reports CRC32"):
        run(op)
    assert s3.keys() == []
    assert s3.open_uploads() == []


def test_missing_bucket_fails_without_retry(make_video: Callable[..., Video], s3: S3Env) -> None:
    video = make_video()
    with pytest.raises(AirflowFailException, match="NoSuchBucket"):
        run(make_operator(file_id=video.file_id, s3_bucket="hailuo-no-such-bucket"))


def test_killed_attempt_leftovers_are_cleaned_up_first(
    make_video: Callable[..., Video], s3: S3Env, s3_calls: Counter[str]
) -> None:
    """Parts of an upload whose worker was SIGKILLed are billed until aborted: the next attempt aborts them."""
    video = make_video()
    key = "left/over.mp4"
    stale = s3.client.create_multipart_upload(Bucket=s3.bucket, Key=key)["UploadId"]
    s3.client.upload_part(Bucket=s3.bucket, Key=key, UploadId=stale, PartNumber=1, Body=b"x" * 1024)
    run(make_operator(file_id=video.file_id, s3_bucket=s3.bucket, s3_key=key))
    assert s3.open_uploads() == []
    assert hashlib.sha256(s3.read(key)).hexdigest() == video.sha256


# -- idempotency and replace ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [6 * MiB, 12 * MiB], ids=["single-put", "multipart"])
def test_rerun_is_idempotent_without_downloading(
    make_video: Callable[..., Video], s3: S3Env, sandbox: Any, size: int
) -> None:
    video = make_video(size)
    op_args = {"file_id": video.file_id, "s3_bucket": s3.bucket, "transfer_config_args": SMALL_PARTS}
    first, _, _ = run(make_operator(**op_args))
    downloads = sandbox.stats()["downloads"]

    second, ti, events = run(make_operator(**op_args))

    assert second == first
    assert sandbox.stats()["downloads"] == downloads
    assert ti.xcoms["s3_console_url"]
    assert len(events[AssetAlias(name="hailuo_videos")].asset_alias_events) == 1


@pytest.mark.parametrize("mark", ["tag", "metadata"])
def test_rerun_after_minimax_forgot_the_file_succeeds_from_s3_alone(
    make_video: Callable[..., Video], s3: S3Env, sandbox: Any, monkeypatch: pytest.MonkeyPatch, mark: str
) -> None:
    """A finished transfer is recognised in S3 before MiniMax is asked: its file may be long gone there."""
    if mark == "metadata":  # a role without tagging: the sha256 went into metadata by the copy fallback
        fail_calls(monkeypatch, {"PutObjectTagging": "AccessDenied", "GetObjectTagging": "AccessDenied"})
    video = make_video(6 * MiB)
    op_args = {"file_id": video.file_id, "s3_bucket": s3.bucket, "transfer_config_args": SMALL_PARTS}
    first, _, _ = run(make_operator(**op_args))
    sandbox.config.file_retention_seconds = 0  # MiniMax no longer keeps the file
    before = sandbox.stats()

    second, _, events = run(make_operator(**op_args))

    after = sandbox.stats()
    assert second == first
    assert (after["retrieves"], after["queries"], after["downloads"]) == (
        before["retrieves"],
        before["queries"],
        before["downloads"],
    )
    assert len(events[AssetAlias(name="hailuo_videos")].asset_alias_events) == 1


def test_different_object_fails_unless_replace(make_video: Callable[..., Video], s3: S3Env) -> None:
    video = make_video()
    key = "taken.mp4"
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"someone else's video")

    with pytest.raises(AirflowFailException, match=r"different object.*replace=True"):
        run(make_operator(file_id=video.file_id, s3_bucket=s3.bucket, s3_key=key))
    assert s3.read(key) == b"someone else's video"

    result, _, _ = run(make_operator(file_id=video.file_id, s3_bucket=s3.bucket, s3_key=key, replace=True))
    assert result["sha256"] == video.sha256
    assert hashlib.sha256(s3.read(key)).hexdigest() == video.sha256


def test_same_file_without_sha256_is_an_interrupted_attempt_and_replaced(
    make_video: Callable[..., Video], s3: S3Env
) -> None:
    video = make_video()
    key = "interrupted.mp4"
    s3.client.put_object(
        Bucket=s3.bucket, Key=key, Body=b"partial", Metadata={"hailuo-file-id": video.file_id}
    )
    result, _, _ = run(make_operator(file_id=video.file_id, s3_bucket=s3.bucket, s3_key=key))
    assert s3.tags(key) == {"sha256": video.sha256} and result["sha256"] == video.sha256
    assert hashlib.sha256(s3.read(key)).hexdigest() == video.sha256


def test_multipart_object_without_its_sha256_tag_is_replaced(
    make_video: Callable[..., Video], s3: S3Env, sandbox: Any
) -> None:
    """A worker killed between the upload and the tag leaves the object untagged: the retry redoes it."""
    video = make_video(12 * MiB)
    key = "untagged.mp4"
    op_args = {
        "file_id": video.file_id,
        "s3_bucket": s3.bucket,
        "s3_key": key,
        "transfer_config_args": SMALL_PARTS,
    }
    run(make_operator(**op_args))
    s3.client.delete_object_tagging(Bucket=s3.bucket, Key=key)
    downloads = sandbox.stats()["downloads"]

    result, _, _ = run(make_operator(**op_args))
    assert sandbox.stats()["downloads"] == downloads + 1
    assert s3.tags(key) == {"sha256": video.sha256} and result["sha256"] == video.sha256


@pytest.mark.parametrize(
    ("tagging", "message"),
    [
        ("&".join(f"k{i}=v" for i in range(10)), "at most 9"),
        ("sha256=abc", "operator's own"),
    ],
)
def test_caller_tags_that_leave_no_room_fail_before_downloading(
    make_video: Callable[..., Video], s3: S3Env, sandbox: Any, tagging: str, message: str
) -> None:
    video = make_video()
    downloads = sandbox.stats()["downloads"]
    op = make_operator(file_id=video.file_id, s3_bucket=s3.bucket, s3_extra_args={"Tagging": tagging})
    with pytest.raises(AirflowFailException, match=message):
        run(op)
    assert sandbox.stats()["downloads"] == downloads
    assert s3.keys() == []


# -- Airflow integration --------------------------------------------------------------------------


def test_asset_event_lineage_and_link(
    make_video: Callable[..., Video], s3: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = make_video()
    op = make_operator(file_id=video.file_id, video_task_id=video.video_task_id, s3_bucket=s3.bucket)
    assert AssetAlias(name="hailuo_videos") in op.outlets
    assert op.get_openlineage_facets_on_complete(None).outputs == []  # nothing transferred yet

    result, ti, events = run(op)

    alias_events = events[AssetAlias(name="hailuo_videos")].asset_alias_events
    assert len(alias_events) == 1
    event = alias_events[0]
    assert event.dest_asset_key.uri == Asset(result["s3_uri"]).uri
    assert event.extra == {
        "video_task_id": video.video_task_id,
        "file_id": video.file_id,
        "bytes": video.size,
        "sha256": video.sha256,
    }
    lineage = op.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.outputs] == [(f"s3://{s3.bucket}", result["key"])]

    from airflow.providers.common.compat.sdk import XCom

    asked: dict[str, Any] = {}

    def get_value(*, ti_key: Any, key: str) -> Any:
        asked["key"] = key
        return ti.xcoms.get(key)

    monkeypatch.setattr(XCom, "get_value", get_value)
    link = HailuoS3ObjectLink()
    assert link.name == "S3 object"
    url = link.get_link(op, ti_key=SimpleNamespace())  # type: ignore[arg-type]
    assert asked["key"] == "s3_console_url"
    assert (
        url
        == f"https://s3.console.aws.amazon.com/s3/object/{s3.bucket}?region=us-east-1&prefix={result['key']}"
    )
    assert any(isinstance(x, HailuoS3ObjectLink) for x in op.operator_extra_links)


def test_no_asset_alias_means_no_event(make_video: Callable[..., Video], s3: S3Env) -> None:
    video = make_video()
    op = make_operator(file_id=video.file_id, s3_bucket=s3.bucket, asset_alias=None)
    assert not any(isinstance(o, AssetAlias) for o in op.outlets)
    _, _, events = run(op)
    assert len(events) == 0


def test_parse_time_validation() -> None:
    with pytest.raises(ValueError, match="file_id"):
        make_operator(s3_bucket="b")
    with pytest.raises(ValueError, match="NotAnArg"):
        make_operator(file_id="1", s3_bucket="b", s3_extra_args={"NotAnArg": 1})
    with pytest.raises(TypeError):
        make_operator(file_id="1", s3_bucket="b", transfer_config_args={"bogus": 1})


def test_default_key_is_s3_safe() -> None:
    key = default_s3_key("my dag", "scheduled__2026-01-01T00:00:00+00:00", "123", "456")
    assert key == "hailuo/my_dag/scheduled__2026-01-01T00_00_00_00_00/123.mp4"
    assert default_s3_key("d", "r", None, "456") == "hailuo/d/r/file-456.mp4"
    assert sanitise_key_part("..") == "_"


def test_transfer_config_defaults_bound_memory() -> None:
    config = build_transfer_config()
    assert config.multipart_chunksize == DEFAULT_TRANSFER_CONFIG_ARGS["multipart_chunksize"]
    # Parts held in memory (queued + the one being read) stay far below 64 MB.
    assert (config.max_in_memory_upload_chunks + 1) * config.multipart_chunksize <= 40 * MiB
    assert build_transfer_config({"max_in_memory_upload_chunks": 2}).max_in_memory_upload_chunks == 2


DAG_FILE = """
import datetime

from airflow.sdk import DAG

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator

with DAG("{dag_id}", schedule=None, start_date=datetime.datetime(2026, 1, 1)):
    gen = HailuoVideoGenerationOperator(
        task_id="generate", prompt="a lighthouse in a storm [Push in]", deferrable={deferrable}, poll_interval=0.1
    )
    HailuoToS3Operator(task_id="to_s3", file_id=gen.output, s3_bucket="{bucket}")
"""


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_dag_generates_and_stores_end_to_end(
    airflow_db: str, sandbox: Any, s3: S3Env, deferrable: bool, tmp_path: Any
) -> None:
    import os

    from airflow.models.asset import AssetEvent
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from tests.conftest import dagbag_for

    sandbox.config.processing_seconds = 0.5  # long enough that the deferrable run really defers
    dag_id = f"hailuo_to_s3_e2e_{'deferrable' if deferrable else 'sync'}"
    path = os.path.join(airflow_db, f"{dag_id}.py")
    with open(path, "w") as fh:
        fh.write(textwrap.dedent(DAG_FILE.format(dag_id=dag_id, deferrable=deferrable, bucket=s3.bucket)))
    try:
        dag = dagbag_for(path).get_dag(dag_id)  # type: ignore[attr-defined]
        assert dag is not None
        dag_run = dag.test()
    finally:
        os.unlink(path)

    assert dag_run.state == "success"
    with create_session() as session:
        xcoms = {
            (x.task_id, x.key): x.value
            for x in session.query(XComModel).filter(
                XComModel.dag_id == dag_id, XComModel.run_id == dag_run.run_id
            )
        }
        result = xcoms[("to_s3", "return_value")]
        generated = xcoms[("generate", "return_value")]
        events = [e for e in session.query(AssetEvent).all() if e.source_dag_id == dag_id]
        assert [(e.asset.uri, e.extra["sha256"]) for e in events if e.source_run_id == dag_run.run_id] == [
            (result["s3_uri"], result["sha256"])
        ]
    assert result["file_id"] == generated["file_id"]
    assert result["key"].startswith(f"hailuo/{dag_id}/")
    assert xcoms[("to_s3", "_link_HailuoS3ObjectLink")] == xcoms[("to_s3", "s3_console_url")]
    assert hashlib.sha256(s3.read(result["key"])).hexdigest() == result["sha256"]
    assert s3.tags(result["key"]) == {"sha256": result["sha256"]}


# -- MiniMax-H3 (v2): no file id; the URL comes from the task's query, again when it expires --------------
def _h3_video(sandbox: Any) -> tuple[dict[str, Any], str]:
    from tests.helpers import FakeStore, context, op

    generated = op(model="MiniMax-H3", resolution="768P", duration=4).execute(context(FakeStore()))
    assert generated["api_version"] == "v2" and generated["file_id"] is None
    summary = sandbox.stats()["v2"]["tasks"][generated["video_task_id"]]
    truth = requests.get(f"{sandbox.url}/sandbox/files/{summary['file_id']}/sha256", timeout=60).json()
    return generated, str(truth["sha256"])


def test_h3_generation_result_as_file_id(sandbox: Any, s3: S3Env) -> None:
    generated, sha256 = _h3_video(sandbox)
    result, _, _ = run(make_operator(file_id=generated, s3_bucket=s3.bucket))
    assert result["video_task_id"] == generated["video_task_id"]
    assert result["sha256"] == sha256
    assert hashlib.sha256(s3.read(result["key"])).hexdigest() == sha256
    meta = s3.client.head_object(Bucket=s3.bucket, Key=result["key"])["Metadata"]
    assert meta["hailuo-model"] == "MiniMax-H3"


def test_h3_expired_url_is_queried_again(sandbox: Any, s3: S3Env, monkeypatch: pytest.MonkeyPatch) -> None:
    generated, sha256 = _h3_video(sandbox)
    sandbox.config.v2_content_url_ttl_seconds = 0  # the first URL is minted already expired
    original = HailuoHook.get_video_generation

    def query_then_heal(self: HailuoHook, *args: Any, **kwargs: Any) -> Any:
        answer = original(self, *args, **kwargs)
        sandbox.config.v2_content_url_ttl_seconds = 3600
        return answer

    monkeypatch.setattr(HailuoHook, "get_video_generation", query_then_heal)
    before = sandbox.stats()
    result, _, _ = run(make_operator(file_id=generated, s3_bucket=s3.bucket))
    stats = sandbox.stats()
    assert stats["downloads_denied"] - before["downloads_denied"] == 1
    assert stats["v2"]["queries"] - before["v2"]["queries"] == 2
    assert hashlib.sha256(s3.read(result["key"])).hexdigest() == sha256
