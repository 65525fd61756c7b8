"""A fresh URL for a video, made on each request because every kind expires.

The S3 copy (when the task's DAG moved it there) gets a presigned GET through the transfer task's
AWS connection, valid for `PRESIGN_SECONDS`; otherwise MiniMax's ``files/retrieve`` mints a new
download URL (valid about an hour) through the generation's Hailuo connection. The URL only ever
goes to the browser as a redirect: never into a page, a log line or an error message.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_hailuo.ui.data import Generation, Transfer

#: Long enough to start playing and seek; a reload asks for a new one anyway.
PRESIGN_SECONDS = 900


class NoVideo(LookupError):
    """Nothing playable yet (or any more); the message is safe to show."""


@dataclass(frozen=True)
class VideoSource:
    kind: str  # "s3" or "minimax"
    bucket: str | None = None
    key: str | None = None
    aws_conn_id: str | None = None
    file_id: str | None = None
    hailuo_conn_id: str | None = None


def source_for(gen: Generation | None, transfer: Transfer | None) -> VideoSource:
    """Where to play from: the S3 object if there is one, else MiniMax's file."""
    transfer = transfer or (gen.transfer if gen else None)
    if transfer and transfer.bucket and transfer.key:
        return VideoSource("s3", bucket=transfer.bucket, key=transfer.key, aws_conn_id=transfer.aws_conn_id)
    file_id = (gen.file_id if gen else None) or (transfer.file_id if transfer else None)
    if file_id:
        conn_id = gen.hailuo_conn_id if gen else "hailuo_default"
        return VideoSource("minimax", file_id=file_id, hailuo_conn_id=conn_id)
    raise NoVideo("this task has no finished video")


def fresh_url(source: VideoSource) -> str:
    if source.kind == "s3":
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        s3 = S3Hook(aws_conn_id=source.aws_conn_id)
        url = s3.generate_presigned_url(
            client_method="get_object",
            params={"Bucket": source.bucket, "Key": source.key},
            expires_in=PRESIGN_SECONDS,
        )
        if not url:
            raise NoVideo("S3 did not sign a URL for the object (see the api-server log)")
        return str(url)
    from airflow_provider_hailuo.exceptions import HailuoError
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    hook = HailuoHook(hailuo_conn_id=source.hailuo_conn_id or HailuoHook.default_conn_name)
    try:
        return hook.retrieve_file(str(source.file_id)).download_url
    except HailuoError as err:
        raise NoVideo(f"MiniMax did not give a download URL: {type(err).__name__}") from None
    finally:
        hook.close()
