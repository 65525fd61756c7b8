"""Streaming download of a generated video, in bounded memory, with resume and URL refresh.

``HailuoVideoStream`` is a readable binary file object: the S3 transfer hands it to boto3's managed
upload and the CLI copies it to a file, so both share one implementation of the hard parts. A cut
connection resumes with an HTTP ``Range`` request from the byte reached; an expired signed URL (403)
is replaced by a fresh one from ``files/retrieve``; a SHA-256 is computed while the bytes pass, and
the byte count is checked against the size the API reported.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import requests

from airflow_provider_hailuo.error_codes import ExitCode
from airflow_provider_hailuo.exceptions import HailuoError, HailuoTransportError
from airflow_provider_hailuo.protocol import HailuoFile
from airflow_provider_hailuo.redaction import redact_url

if TYPE_CHECKING:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

ProgressCallback = Callable[[int, "int | None"], None]

MAX_RESUMES = 8
MAX_URL_REFRESHES = 3


@dataclass(frozen=True)
class DownloadResult:
    file_id: str
    bytes: int
    sha256: str
    filename: str | None = None
    path: str | None = None


class HailuoDownloadError(HailuoError):
    """The download could not be completed or its size did not match what the API reported."""

    retryable = True
    exit_code = ExitCode.DOWNLOAD


class HailuoVideoStream(io.RawIOBase):
    def __init__(
        self,
        hook: HailuoHook,
        file_id: str,
        *,
        chunk_size: int = 1 << 20,
        progress: ProgressCallback | None = None,
        max_resumes: int = MAX_RESUMES,
        file: HailuoFile | None = None,
    ) -> None:
        super().__init__()
        self.hook = hook
        self.file_id = file_id
        self.chunk_size = chunk_size
        self.progress = progress
        self.max_resumes = max_resumes
        self.file = file or hook.retrieve_file(file_id)
        self.expected_bytes: int | None = self.file.bytes or None
        self.position = 0
        self.resumes = 0
        self.url_refreshes = 0
        self._hash = hashlib.sha256()
        self._response: requests.Response | None = None
        self._finished = False

    # -- file object protocol -------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._finished or len(view) == 0:
            return 0
        while True:
            if self._response is None:
                self._open()  # may leave no response after a refresh or a failed connect: loop again
                if self._response is None:
                    continue
            try:
                data = self._response.raw.read(len(view))
            except (requests.RequestException, OSError, Exception) as err:  # urllib3 errors vary by version
                if isinstance(err, HailuoError):
                    raise
                self._resume(f"{type(err).__name__}")
                continue
            if not data:
                if self.expected_bytes is not None and self.position < self.expected_bytes:
                    self._resume("connection closed early")
                    continue
                self._close_response()
                self._finished = True
                self._check_complete()
                return 0
            n = len(data)
            view[:n] = data
            self.position += n
            self._hash.update(data)
            if self.expected_bytes is not None and self.position > self.expected_bytes:
                raise HailuoDownloadError(
                    f"file {self.file_id}: received more bytes ({self.position}) than the API reported "
                    f"({self.expected_bytes})"
                )
            if self.progress is not None:
                self.progress(self.position, self.expected_bytes)
            return n

    def close(self) -> None:
        self._close_response()
        super().close()

    # -- internals ------------------------------------------------------------------------------
    def _close_response(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None

    def _open(self) -> None:
        headers = {"User-Agent": "airflow-provider-hailuo", "Accept-Encoding": "identity"}
        if self.position:
            headers["Range"] = f"bytes={self.position}-"
        url = self.file.download_url
        try:
            resp = self.hook.session.get(url, headers=headers, stream=True, timeout=(10, 60))
        except requests.RequestException as err:
            self._resume(f"{type(err).__name__} connecting to {redact_url(url)}", opened=False)
            return
        if resp.status_code in (401, 403, 404, 410):
            resp.close()
            self._refresh_url(resp.status_code)
            return
        if resp.status_code >= 500 or resp.status_code == 429:
            resp.close()
            self._resume(f"HTTP {resp.status_code}", opened=False)
            return
        if self.position and resp.status_code == 200:
            # The server ignored Range: skip what we already have (hash already covers it).
            self._skip(resp, self.position)
        elif self.position and resp.status_code == 206:
            start = _content_range_start(resp.headers.get("Content-Range"))
            if start != self.position:
                resp.close()
                raise HailuoDownloadError(
                    f"file {self.file_id}: asked to resume at byte {self.position}, server answered from {start}"
                )
        elif resp.status_code not in (200, 206):
            resp.close()
            raise HailuoDownloadError(
                f"file {self.file_id}: download answered HTTP {resp.status_code} ({redact_url(url)})"
            )
        if self.expected_bytes is None and resp.status_code == 200:
            length = resp.headers.get("Content-Length")
            if length and length.isdigit():
                self.expected_bytes = int(length)
        self._response = resp

    def _skip(self, resp: requests.Response, count: int) -> None:
        remaining = count
        while remaining:
            data = resp.raw.read(min(remaining, self.chunk_size))
            if not data:
                raise HailuoDownloadError(f"file {self.file_id}: restarted download ended early")
            remaining -= len(data)

    def _resume(self, reason: str, *, opened: bool = True) -> None:
        self._close_response()
        self.resumes += 1
        if self.resumes > self.max_resumes:
            raise HailuoDownloadError(
                f"file {self.file_id}: download failed {self.resumes} times ({reason}) at byte {self.position}"
            )
        self.hook.log.warning(
            "Download of file %s interrupted at byte %s (%s); resuming (%s of %s)",
            self.file_id,
            self.position,
            reason,
            self.resumes,
            self.max_resumes,
        )
        time.sleep(min(2.0, 0.1 * 2**self.resumes))

    def _refresh_url(self, status: int) -> None:
        self.url_refreshes += 1
        if self.url_refreshes > MAX_URL_REFRESHES:
            raise HailuoDownloadError(
                f"file {self.file_id}: download URL refused (HTTP {status}) even after {MAX_URL_REFRESHES} "
                "refreshes from files/retrieve"
            )
        self.hook.log.info(
            "Download URL for file %s answered HTTP %s (expired); fetching a fresh one", self.file_id, status
        )
        self.file = self.hook.retrieve_file(self.file_id)

    def _check_complete(self) -> None:
        if self.expected_bytes is not None and self.position != self.expected_bytes:
            raise HailuoDownloadError(
                f"file {self.file_id}: got {self.position} bytes, the API reported {self.expected_bytes}"
            )


def _content_range_start(value: str | None) -> int | None:
    # "bytes 100-199/1000"
    if not value or not value.startswith("bytes "):
        return None
    try:
        return int(value[6:].split("-", 1)[0])
    except ValueError:
        return None


def download_to(
    stream: HailuoVideoStream, destination: str | os.PathLike[str] | IO[bytes], *, chunk_size: int = 1 << 20
) -> DownloadResult:
    """Copy the stream to a path (written to a temporary name, then renamed) or to a binary file object."""
    buf = bytearray(chunk_size)
    if isinstance(destination, (str, os.PathLike)):
        path = os.fspath(destination)
        tmp = f"{path}.part"
        try:
            with open(tmp, "wb") as fh:
                _copy(stream, fh, buf)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return DownloadResult(stream.file_id, stream.position, stream.sha256, stream.file.filename, path)
    _copy(stream, destination, buf)
    return DownloadResult(stream.file_id, stream.position, stream.sha256, stream.file.filename, None)


def _copy(stream: HailuoVideoStream, out: IO[bytes], buf: bytearray) -> None:
    view = memoryview(buf)
    while True:
        n = stream.readinto(view)
        if not n:
            break
        out.write(view[:n])


class ProgressLogger:
    """Log bytes moved, percent and rate at most every ``interval`` seconds (and at the end)."""

    def __init__(self, log: Any, label: str, *, interval: float = 10.0) -> None:
        self.log = log
        self.label = label
        self.interval = interval
        self.started = time.monotonic()
        self.last = self.started
        self.done = False

    def __call__(self, position: int, total: int | None) -> None:
        now = time.monotonic()
        finished = total is not None and position >= total
        if not finished and now - self.last < self.interval:
            return
        if finished and self.done:
            return
        self.last = now
        self.done = finished
        rate = position / max(now - self.started, 1e-6)
        pct = f" ({100 * position / total:.0f}%)" if total else ""
        total_txt = f" of {format_bytes(total)}" if total else ""
        self.log.info(
            "%s: %s%s%s at %s/s", self.label, format_bytes(position), total_txt, pct, format_bytes(int(rate))
        )


def format_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover


__all__ = [
    "DownloadResult",
    "HailuoDownloadError",
    "HailuoTransportError",
    "HailuoVideoStream",
    "ProgressLogger",
    "download_to",
    "format_bytes",
]
