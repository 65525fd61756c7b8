"""PartChecksums: the checksums S3 reports for an upload, reproduced from the bytes sent.

The reference values are computed here from first principles (S3's documented composite rule: the
checksum of the concatenated binary part checksums, suffixed with the part count), independently of the
module under test; the transfer tests check the same values against a real (moto) S3.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_hailuo.transfers.checksums import MIN_PART_BYTES, PartChecksums, effective_part_size

PART = MIN_PART_BYTES


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def crc(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def composite(data: bytes, part: int, digest: object) -> str:
    parts = [data[i : i + part] for i in range(0, len(data), part)]
    return f"{b64(digest(b''.join(digest(p) for p in parts)))}-{len(parts)}"  # type: ignore[operator]


DATA = os.urandom(2 * PART + 12345)


def fed(algorithm: str, data: bytes, reads: list[int]) -> PartChecksums:
    sums = PartChecksums(algorithm, PART)
    pos = 0
    for n in reads:
        sums.update(data[pos : pos + n])
        pos += n
    sums.update(data[pos:])
    return sums


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("CRC32", crc),
        ("SHA256", lambda d: hashlib.sha256(d).digest()),
        ("sha1", lambda d: hashlib.sha1(d).digest()),
    ],
)
def test_composite_matches_s3s_rule_whatever_the_read_sizes(algorithm: str, digest: object) -> None:
    expected = composite(DATA, PART, digest)
    for reads in ([len(DATA)], [PART], [1 << 20] * 11, [PART - 1, 2, PART - 1, 7]):
        sums = fed(algorithm, DATA, reads)
        assert sums.parts == 3
        assert sums.matches(expected) is True
        assert sums.matches(expected.split("-")[0]) is True  # moto and some stores drop the suffix
        assert sums.matches(expected.split("-")[0] + "-4") is False


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA256"])
def test_full_object_checksum_of_a_multipart_object_is_not_comparable(algorithm: str) -> None:
    sums = fed(algorithm, DATA, [])
    assert sums.matches(b64(crc(DATA)), "FULL_OBJECT") is None
    assert sums.matches(b64(hashlib.sha256(DATA).digest()), "FULL_OBJECT") is None
    # Without a type (moto and some stores), an unsuffixed value is a composite one: a mismatch is real.
    assert sums.matches(b64(crc(DATA))) is False
    assert sums.matches(b64(crc(DATA)), "COMPOSITE") is False


def test_single_put_is_compared_with_the_whole_object() -> None:
    single = fed("CRC32", DATA[:1000], [])
    assert single.matches(b64(crc(DATA[:1000]))) is True
    assert single.matches(b64(crc(DATA[:999]))) is False
    single = fed("SHA256", DATA[:1000], [])
    assert single.matches(b64(hashlib.sha256(DATA[:1000]).digest())) is True
    assert single.matches(b64(hashlib.sha256(b"other").digest())) is False


def test_empty_stream_and_part_size_limits() -> None:
    empty = PartChecksums("CRC32", PART)
    assert empty.matches(b64(crc(b""))) is True
    assert effective_part_size(1) == MIN_PART_BYTES
    assert effective_part_size(8 << 20) == 8 << 20
    assert effective_part_size(10 << 30) == 5 << 30


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match=r"CRC64NVME.*supported: CRC32, SHA1, SHA256"):
        PartChecksums("CRC64NVME", PART)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(min_value=1, max_value=700), max_size=8))
def test_read_boundaries_never_change_the_result(data: bytes, reads: list[int]) -> None:
    sums = PartChecksums("CRC32", PART)
    sums.part_size = 256  # small parts so that short inputs span several (the split rule is the same)
    pos = 0
    for n in reads:
        sums.update(data[pos : pos + n])
        pos += n
    sums.update(data[pos:])
    assert sums.matches(composite(data, 256, crc)) is True
    if len(data) <= 256:
        assert sums.matches(b64(crc(data))) is True


def test_single_put_above_the_part_size_is_compared_with_the_whole() -> None:
    """A multipart threshold above the part size sends up to that many bytes in one PUT."""
    sums = PartChecksums("CRC32", PART, single_put_limit=3 * PART)
    sums.update(DATA)
    assert sums.matches(b64(crc(DATA))) is True
    assert sums.matches(composite(DATA, PART, crc)) is True
    past = PartChecksums("CRC32", PART, single_put_limit=PART + 1)
    past.update(DATA)  # longer than the limit: it cannot have been one PUT
    assert past.matches(b64(crc(DATA)), "FULL_OBJECT") is None
