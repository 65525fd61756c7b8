"""Where a video goes (a file, stdout or S3) and the checks made before a paid video is submitted.

The S3 preflight HEADs the bucket (or the target object) first, so missing credentials, a wrong bucket
or an object that would be clobbered fail before any money is spent.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.cli.exit_codes import CliError, ExitCode

if TYPE_CHECKING:
    from airflow_provider_hailuo.cli.runtime import Runtime

__all__ = ["Destination", "check_destination", "destination", "s3_hook"]


@dataclass(frozen=True)
class Destination:
    """Where a video goes: a local file (or directory), stdout (``-``) or an S3 key (or prefix ``/``)."""

    kind: str  # "file" | "stdout" | "s3"
    path: str | None = None
    bucket: str | None = None
    key: str | None = None

    def file_path(self, default_name: str) -> Path:
        if self.path is None:
            return Path(default_name)
        path = Path(self.path).expanduser()
        if self.path.endswith(("/", os.sep)) or path.is_dir():
            return path / default_name
        return path

    def s3_key(self, default_name: str) -> str:
        key = (self.key or "").lstrip("/")
        return key + default_name if not key or key.endswith("/") else key

    @property
    def names_target(self) -> bool:
        """True when the final name is known before the task id is (a full path or S3 key)."""
        if self.kind == "file":
            return self.path is not None and not self.path.endswith(("/", os.sep))
        return self.kind == "s3" and bool(self.key) and not str(self.key).endswith("/")


def destination(args: argparse.Namespace) -> Destination:
    """The destination named by ``--output`` / ``--s3`` (a file in the current directory by default)."""
    if getattr(args, "s3", None):
        uri = args.s3
        if not uri.startswith("s3://"):
            raise CliError(ExitCode.USAGE, f"--s3: expected s3://bucket/key, got {uri!r}")
        bucket, _, key = uri[5:].partition("/")
        if not bucket:
            raise CliError(ExitCode.USAGE, f"--s3: no bucket in {uri!r}; expected s3://bucket/key")
        return Destination("s3", bucket=bucket, key=key)
    output = getattr(args, "output", None)
    if output == "-":
        if args.json:
            raise CliError(
                ExitCode.USAGE, "--output - writes the video to stdout: it cannot be combined with --json"
            )
        return Destination("stdout")
    return Destination("file", path=output)


def check_destination(
    rt: Runtime, dest: Destination, default_name: str | None, file_id: str | None = None
) -> None:
    """Refuse a clobbering or impossible destination *before* a paid video is submitted."""
    force = bool(getattr(rt.args, "force", False))
    if dest.kind == "file":
        if default_name is None and not dest.names_target:
            if dest.path is not None and not Path(dest.path).expanduser().is_dir():
                raise CliError(ExitCode.USAGE, f"--output: directory {dest.path!r} does not exist")
            return
        target = dest.file_path(default_name or "")
        parent = target.parent if str(target.parent) else Path(".")
        if not parent.is_dir():
            raise CliError(ExitCode.USAGE, f"--output: directory {str(parent)!r} does not exist")
        if target.exists() and not force:
            raise CliError(
                ExitCode.USAGE, f"--output: {str(target)!r} already exists; pass --force to overwrite it"
            )
    elif dest.kind == "s3":
        if default_name is None and not dest.names_target:
            _s3_head(rt, dest.bucket or "", None)
            return
        key = dest.s3_key(default_name or "")
        head = _s3_head(rt, dest.bucket or "", key)
        if head is None or force:
            return
        meta = {str(k).lower(): str(v) for k, v in (head.get("Metadata") or {}).items()}
        if file_id is not None and meta.get("hailuo-file-id") == file_id:
            return  # the same video: the transfer recognises it and skips the download
        raise CliError(
            ExitCode.USAGE, f"--s3: s3://{dest.bucket}/{key} already exists; pass --force to replace it"
        )


def s3_hook(rt: Runtime) -> Any:
    """The S3 transfer's memory-bounded S3Hook, for the chosen AWS connection (or boto3's chain)."""
    from airflow_provider_hailuo.transfers.s3_transfer import make_s3_hook

    return make_s3_hook(rt.args.aws_conn_id)


def _s3_head(rt: Runtime, bucket: str, key: str | None) -> dict[str, Any] | None:
    """HEAD the target object (None: absent), or only the bucket when the key is not known yet.

    Run before submitting, so missing credentials or a wrong bucket fail before a video is paid for.
    """
    from botocore.exceptions import ClientError

    where = f"s3://{bucket}/{key or ''}"
    try:
        client = s3_hook(rt).get_conn()
        if key is None:
            client.head_bucket(Bucket=bucket)
            return None
        return dict(client.head_object(Bucket=bucket, Key=key))
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", ""))
        if key is not None and code in ("404", "NoSuchKey", "NotFound"):
            return None
        raise CliError(ExitCode.DOWNLOAD, f"--s3: cannot use {where}: {err}") from err
    except Exception as err:
        raise CliError(ExitCode.DOWNLOAD, f"--s3: cannot use {where}: {type(err).__name__}: {err}") from err
