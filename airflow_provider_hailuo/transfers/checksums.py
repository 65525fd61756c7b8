"""The checksums S3 will report for an upload, computed on our side from the bytes we hand to boto3.

Why: S3 checks each part against the checksum boto3 sends with it, but that only proves each request
arrived intact. Comparing the checksum S3 reports for the *finished object* with one computed from the
bytes that left the download proves that S3 assembled exactly those bytes, in order, with no part
missing or repeated. That check used to come from a server-side copy (S3 recomputes a full-object
SHA-256 while copying), which doubled the transfer time; this needs no request at all.

S3 reports a multipart object's checksum as *composite*: the checksum of the concatenated binary part
checksums, suffixed ``-<parts>``. So we keep one checksum per part, split where boto3 splits a
non-seekable stream: every ``part_size`` bytes.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol

#: boto3 rounds a configured part size into S3's limits (5 MiB to 5 GiB) before splitting a stream.
MIN_PART_BYTES = 5 << 20
MAX_PART_BYTES = 5 << 30


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


class _Crc32:
    """CRC32 with hashlib's interface; S3 encodes it as 4 big-endian bytes."""

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes, /) -> None:
        self._value = zlib.crc32(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


#: Algorithms whose value we can reproduce from the standard library. S3's others (CRC32C, CRC64NVME)
#: still protect every part in transit; only the end-to-end comparison is skipped for them.
ALGORITHMS: dict[str, Callable[[], _Digest]] = {
    "CRC32": _Crc32,
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
}


def effective_part_size(configured: int) -> int:
    return min(max(configured, MIN_PART_BYTES), MAX_PART_BYTES)


class PartChecksums:
    """Per-part checksums of a stream, fed in order with whatever read sizes the reader uses."""

    def __init__(self, algorithm: str, part_size: int, single_put_limit: int = 0) -> None:
        self.algorithm = algorithm.upper()
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"cannot compute {algorithm} locally; supported: {', '.join(ALGORITHMS)}")
        self._new = ALGORITHMS[self.algorithm]
        self.part_size = effective_part_size(part_size)
        self._parts: list[bytes] = []
        self._current: _Digest | None = None
        self._filled = 0
        # boto3 sends a stream shorter than the multipart threshold in one PUT, whose checksum is that
        # of the whole object; with a threshold above the part size that spans several of our parts,
        # so the whole is hashed too, but only while it can still be a single PUT.
        self._single_put_limit = single_put_limit
        self._total = 0
        self._whole: _Digest | None = self._new() if single_put_limit > self.part_size else None

    def update(self, data: bytes) -> None:
        self._total += len(data)
        if self._whole is not None:
            if self._total <= self._single_put_limit:
                self._whole.update(data)
            else:
                self._whole = None
        view = memoryview(data)
        while view:
            if self._current is None:
                self._current = self._new()
                self._filled = 0
            take = min(len(view), self.part_size - self._filled)
            self._current.update(view[:take])  # type: ignore[arg-type]
            self._filled += take
            view = view[take:]
            if self._filled == self.part_size:
                self._parts.append(self._current.digest())
                self._current = None

    @property
    def parts(self) -> int:
        return len(self._parts) + (1 if self._current is not None else 0)

    def _digests(self) -> list[bytes]:
        tail = [self._current.digest()] if self._current is not None else []
        return self._parts + tail

    def matches(self, reported: str, checksum_type: str | None = None) -> bool | None:
        """Whether S3's checksum of the finished object is the one these bytes give; None: not comparable.

        S3 answers a multipart object's checksum as composite ``<value>-<parts>`` (some S3-compatible
        stores, moto among them, drop the suffix and the type), and a single PUT's as the checksum of
        the whole object, which is part 1's. A ``FULL_OBJECT`` checksum of a multipart object (such
        uploads, copies) is not comparable: it would take one more pass over every byte.
        """
        digests = self._digests()
        combined = self._new()
        for digest in digests:
            combined.update(digest)
        composite = _b64(combined.digest())
        if self._whole is not None:
            whole: str | None = _b64(self._whole.digest())
        elif len(digests) <= 1:
            whole = _b64(digests[0] if digests else self._new().digest())
        else:
            whole = None
        if reported in (f"{composite}-{len(digests)}", composite, whole):
            return True
        if whole is None and checksum_type == "FULL_OBJECT":
            return None
        return False


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
