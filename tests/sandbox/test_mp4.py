"""The synthetic MP4s must be structurally valid, exactly sized, range-consistent and fast."""

from __future__ import annotations

import hashlib
import random
import struct
import time

import pytest

from airflow_provider_hailuo.catalogue import RESOLUTION_PIXELS
from airflow_provider_hailuo.sandbox.mp4 import (
    build_mp4_header,
    iter_video_bytes,
    mp4_header_size,
    read_mp4_dimensions,
)


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """(type, box start, box size) of the boxes in ``data[start:end]``, trusting declared sizes."""
    end = len(data) if end is None else end
    out = []
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
        out.append((kind, pos, size))
        pos += size
    return out


def _find(data: bytes, path: list[bytes]) -> tuple[int, int]:
    """Offset and size of the box at ``path`` (e.g. [b"moov", b"trak", b"tkhd"])."""
    start, end = 0, len(data)
    found = (0, 0)
    for depth, kind in enumerate(path):
        header = 8
        for box_kind, box_start, box_size in _boxes(data, start, end):
            if box_kind == kind:
                found = (box_start, box_size)
                break
        else:
            raise AssertionError(f"{kind!r} not found at depth {depth}")
        start, end = found[0] + header, found[0] + found[1]
        if kind == b"stsd":
            start += 8  # version/flags + entry_count
        if kind == b"avc1":
            start += 78
    return found


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.bits = "".join(f"{b:08b}" for b in data)
        self.pos = 0

    def u(self, n: int) -> int:
        value = int(self.bits[self.pos : self.pos + n], 2)
        self.pos += n
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bits[self.pos] == "0":
            zeros += 1
            self.pos += 1
        return self.u(zeros + 1) - 1


def _sps_dimensions(sps_nal: bytes) -> tuple[int, int]:
    """Decode a baseline-profile SPS the way a decoder does, crop included."""
    rbsp = sps_nal[1:].replace(b"\x00\x00\x03", b"\x00\x00")
    r = _BitReader(rbsp)
    assert r.u(8) == 66
    r.u(8)
    r.u(8)
    r.ue()  # sps id
    r.ue()  # log2_max_frame_num_minus4
    assert r.ue() == 2  # poc type
    r.ue()  # max refs
    r.u(1)
    mbs_w = r.ue() + 1
    mbs_h = r.ue() + 1
    assert r.u(1) == 1  # frame_mbs_only
    r.u(1)
    left = right = top = bottom = 0
    if r.u(1):
        left, right, top, bottom = r.ue(), r.ue(), r.ue(), r.ue()
    return mbs_w * 16 - 2 * (left + right), mbs_h * 16 - 2 * (top + bottom)


@pytest.mark.parametrize("resolution", sorted(RESOLUTION_PIXELS))
@pytest.mark.parametrize("duration", [6, 10])
def test_header_structure_and_dimensions(resolution: str, duration: int) -> None:
    width, height = RESOLUTION_PIXELS[resolution]
    total = 300_000
    header = build_mp4_header(width, height, duration, total)
    assert len(header) == mp4_header_size(width, height, duration, total)
    assert read_mp4_dimensions(header) == (width, height)

    top = _boxes(header + b"\x00" * (total - len(header)))
    assert [kind for kind, _, _ in top] == [b"ftyp", b"moov", b"mdat"]
    assert sum(size for _, _, size in top) == total
    assert header[4:12] == b"ftypisom"

    # avc1 sample entry carries the size, and so does the SPS a decoder would read.
    avc1_at, _ = _find(header, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1"])
    assert struct.unpack_from(">HH", header, avc1_at + 8 + 24) == (width, height)
    avcc_at, _ = _find(header, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1", b"avcC"])
    (sps_len,) = struct.unpack_from(">H", header, avcc_at + 8 + 6)
    sps = header[avcc_at + 16 : avcc_at + 16 + sps_len]
    assert _sps_dimensions(sps) == (width, height)

    # Sample table: sizes cover the whole mdat payload, which starts right after the header.
    stsz_at, _ = _find(header, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsz"])
    _, count = struct.unpack_from(">II", header, stsz_at + 12)
    assert count == duration * 24
    sizes = struct.unpack_from(f">{count}I", header, stsz_at + 20)
    assert sum(sizes) == total - len(header)
    stco_at, _ = _find(header, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stco"])
    assert struct.unpack_from(">II", header, stco_at + 12) == (1, len(header))

    mvhd_at, _ = _find(header, [b"moov", b"mvhd"])
    timescale, movie_duration = struct.unpack_from(">II", header, mvhd_at + 20)
    assert movie_duration / timescale == duration


def test_minimum_size_and_too_small() -> None:
    minimum = mp4_header_size(1280, 720, 6)
    header = build_mp4_header(1280, 720, 6, minimum)
    assert len(header) == minimum
    assert b"".join(iter_video_bytes("s", 1280, 720, 6, minimum)) == header
    with pytest.raises(ValueError):
        build_mp4_header(1280, 720, 6, minimum - 1)
    with pytest.raises(ValueError):
        list(iter_video_bytes("s", 1280, 720, 6, minimum - 1))


def test_files_over_4_gib_use_a_64_bit_mdat_size() -> None:
    total = 5 * (1 << 30) + 123
    header = build_mp4_header(1920, 1080, 6, total)
    assert header[-16:-8] == struct.pack(">I4s", 1, b"mdat")
    moov_end = _find(header, [b"moov"])[0] + _find(header, [b"moov"])[1]
    (mdat_size,) = struct.unpack_from(">Q", header, len(header) - 8)
    assert moov_end + mdat_size == total
    assert read_mp4_dimensions(header) == (1920, 1080)
    stco_at, _ = _find(header, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stco"])
    assert struct.unpack_from(">I", header, stco_at + 16)[0] == len(header)


def test_ranges_match_the_whole_file() -> None:
    total = 3 * (1 << 20) + 4567  # spans several payload blocks
    whole = b"".join(iter_video_bytes("seed-1", 1366, 768, 6, total))
    assert len(whole) == total
    rng = random.Random(7)
    for _ in range(40):
        start = rng.randrange(0, total)
        end = rng.randrange(start, total + 1)
        chunk_size = rng.choice([1, 7, 4096, 1 << 20, 3 << 20])
        if chunk_size == 1 and end - start > 5000:
            end = start + 5000
        pieces = list(iter_video_bytes("seed-1", 1366, 768, 6, total, start, end, chunk_size=chunk_size))
        assert all(len(p) <= chunk_size for p in pieces)
        assert b"".join(pieces) == whole[start:end]
    assert b"".join(iter_video_bytes("seed-1", 1366, 768, 6, total, total, total)) == b""


def test_content_is_deterministic_per_seed_and_blocks_differ() -> None:
    total = 4 << 20
    a = b"".join(iter_video_bytes("a", 1280, 720, 6, total))
    assert a == b"".join(iter_video_bytes("a", 1280, 720, 6, total))
    b = b"".join(iter_video_bytes("b", 1280, 720, 6, total))
    assert a != b
    block = 1 << 20
    assert len({hashlib.sha256(a[i : i + block]).digest() for i in range(block, total, block)}) == 3


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        list(iter_video_bytes("s", 1280, 720, 6, 10_000, 10, 5))
    with pytest.raises(ValueError):
        list(iter_video_bytes("s", 1280, 720, 6, 10_000, 0, 10_001))
    with pytest.raises(ValueError):
        build_mp4_header(0, 720, 6, 10_000)
    with pytest.raises(ValueError):
        read_mp4_dimensions(b"not an mp4 at all")


def test_generation_is_fast() -> None:
    total = 1 << 30
    started = time.perf_counter()
    produced = sum(len(c) for c in iter_video_bytes("fast", 1920, 1080, 6, total))
    elapsed = time.perf_counter() - started
    assert produced == total
    assert total / elapsed > 500e6, f"{total / elapsed / 1e6:.0f} MB/s"
