"""The step ``generate``, ``resume`` and ``download`` share: the video to a file, stdout or S3.

Every failure here is translated to exit 10 with the command that fetches the video again, since the
video itself still exists at MiniMax.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.cli.destinations import Destination, s3_hook
from airflow_provider_hailuo.cli.exit_codes import CliError, ExitCode
from airflow_provider_hailuo.cli.progress import TransferProgress
from airflow_provider_hailuo.redaction import sanitize

if TYPE_CHECKING:
    from airflow_provider_hailuo.cli.runtime import Runtime

__all__ = ["fetch"]


class _TransferLog:
    """The ``log`` handed to the S3 transfer: its progress lines become our live line, the rest notes."""

    def __init__(self, rt: Runtime, progress_label: str) -> None:
        self.rt = rt
        self.progress_label = progress_label

    def _format(self, msg: str, args: tuple[Any, ...]) -> str:
        try:
            text = msg % args if args else msg
        except (TypeError, ValueError):
            text = " ".join([msg, *map(str, args)])
        return sanitize(text, self.rt.secret)

    def info(self, msg: str, *args: Any, **_: Any) -> None:
        if args and args[0] == self.progress_label:
            self.rt.console.live("upload " + self._format(msg, args)[len(self.progress_label) + 2 :])
            return
        self.rt.console.note(self._format(msg, args))

    def debug(self, msg: str, *args: Any, **_: Any) -> None:
        if self.rt.args.debug:
            self.rt.console.note(self._format(msg, args))

    def warning(self, msg: str, *args: Any, **_: Any) -> None:
        self.rt.console.warn(self._format(msg, args))

    def error(self, msg: str, *args: Any, **_: Any) -> None:
        self.rt.console.warn(self._format(msg, args))

    exception = error


def fetch(
    rt: Runtime,
    file_id: str,
    dest: Destination,
    default_name: str,
    *,
    task_id: str | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Download ``file_id`` to ``dest`` with progress; returns where it landed, its size and SHA-256."""
    from airflow_provider_hailuo import exceptions as hx

    rt.file_id = file_id
    hook = rt.hook()
    try:
        if dest.kind == "s3":
            return _fetch_to_s3(rt, file_id, dest, default_name, task_id=task_id, model=model)
        progress = TransferProgress(rt.console, "download")
        if dest.kind == "stdout":
            sink = getattr(rt.console.stdout, "buffer", rt.console.stdout)
            result = hook.download_file(file_id, sink, progress=progress)
            sink.flush()
            output = "-"
        else:
            path = dest.file_path(default_name)
            result = hook.download_file(file_id, str(path), progress=progress)
            output = str(path.resolve())
        progress.finish()
    except CliError:
        raise
    except (hx.HailuoAPIError, hx.HailuoHTTPError, hx.HailuoTransportError, hx.HailuoMalformedResponseError):
        raise  # the API refused or could not be reached: classified like any other call
    except Exception as err:
        what = str(err) if isinstance(err, hx.HailuoError) else f"{type(err).__name__}: {err}"
        raise CliError(
            ExitCode.DOWNLOAD,
            f"download of file {file_id} failed: {what}. The video is still available: retry with "
            f"'hailuo download {file_id}'",
            file_id=file_id,
            task_id=task_id,
        ) from err
    return {
        "file_id": file_id,
        "output": output,
        "bytes": result.bytes,
        "sha256": result.sha256,
        "filename": result.filename,
    }


def _fetch_to_s3(
    rt: Runtime,
    file_id: str,
    dest: Destination,
    default_name: str,
    *,
    task_id: str | None,
    model: str | None,
) -> dict[str, Any]:
    from airflow_provider_hailuo.transfers.s3_transfer import transfer_hailuo_file_to_s3

    bucket = dest.bucket or ""
    key = dest.s3_key(default_name)
    label = f"file {file_id} -> s3://{bucket}/{key}"
    log = _TransferLog(rt, label)
    try:
        result = transfer_hailuo_file_to_s3(
            hailuo_hook=rt.hook(),
            s3_hook=s3_hook(rt),
            file_id=file_id,
            bucket=bucket,
            key=key,
            video_task_id=task_id,
            model=model,
            replace=bool(rt.args.force),
            log=log,
            progress_interval=0.2 if rt.console.tty else 5.0,
        )
    finally:
        rt.console.end_live()
    if result.reused:
        rt.console.note(f"s3://{bucket}/{key} already holds this video: nothing was downloaded")
    return {
        "file_id": file_id,
        "output": result.s3_uri,
        "bytes": result.bytes,
        "sha256": result.sha256,
        "reused": result.reused,
    }
