"""The sandbox MP4s must play (decoded by FFmpeg through PyAV), be exactly sized, distinct per video,
range-consistent and fast."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import time

import av
import av.logging
import pytest

from airflow_provider_hailuo.catalogue import RESOLUTION_PIXELS
from airflow_provider_hailuo.sandbox.mp4 import (
    LOOP_FRAMES,
    MIN_SEED_BYTES,
    build_mp4_header,
    clip_path,
    clip_sizes,
    iter_video_bytes,
    load_clip,
    mp4_header_size,
    mp4_min_size,
    output_sizes,
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
    """Decode an SPS (baseline to high profile, 4:2:0, no scaling lists) the way a decoder does."""
    rbsp = sps_nal[1:].replace(b"\x00\x00\x03", b"\x00\x00")
    r = _BitReader(rbsp)
    profile = r.u(8)
    r.u(16)  # constraint flags, level
    r.ue()  # sps id
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128):
        assert r.ue() == 1  # chroma_format_idc 4:2:0
        r.ue()  # bit_depth_luma_minus8
        r.ue()  # bit_depth_chroma_minus8
        r.u(1)  # qpprime_y_zero_transform_bypass
        assert r.u(1) == 0  # no scaling matrices
    r.ue()  # log2_max_frame_num_minus4
    poc_type = r.ue()
    if poc_type == 0:
        r.ue()
    assert poc_type != 1
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


def _table(data: bytes, kind: bytes, fmt: str) -> list[tuple[int, ...]]:
    """The entries of a sample-table box (entry count after version/flags; stsz has sample_size first)."""
    at, _ = _find(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", kind])
    offset = at + 12 + (4 if kind == b"stsz" else 0)
    (count,) = struct.unpack_from(">I", data, offset)
    size = struct.calcsize(fmt)
    return [struct.unpack_from(fmt, data, offset + 4 + i * size) for i in range(count)]


def test_every_output_size_of_the_sandbox_has_a_clip() -> None:
    assert set(RESOLUTION_PIXELS.values()) <= set(output_sizes())
    assert (2560, 1440) in output_sizes() and (768, 1344) in output_sizes()  # v2: 2K, 768P 9:16
    assert clip_sizes() == output_sizes()
    for width, height in clip_sizes():
        clip = load_clip(width, height)
        assert len(clip.samples) == LOOP_FRAMES
        assert clip.sync[0] and not any(clip.sync[1:])  # one IDR, so a loop restarts cleanly
        assert _sps_dimensions(clip.sps) == (width, height)
        assert clip_path(width, height).stat().st_size < 16 * 1024


@pytest.mark.parametrize("resolution", sorted(RESOLUTION_PIXELS))
@pytest.mark.parametrize("duration", [6, 10])
def test_header_structure_and_dimensions(resolution: str, duration: int) -> None:
    width, height = RESOLUTION_PIXELS[resolution]
    total = 300_000
    header = build_mp4_header(width, height, duration, total)
    assert len(header) == mp4_header_size(width, height, duration, total)
    assert read_mp4_dimensions(header) == (width, height)

    top = _boxes(header + b"\x00" * (total - len(header)))
    assert [kind for kind, _, _ in top] == [b"ftyp", b"moov", b"mdat", b"free"]
    assert sum(size for _, _, size in top) == total
    assert header[4:12] == b"ftypisom"

    # avc1 sample entry carries the size, and so does the SPS a decoder would read.
    avc1_at, _ = _find(header, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1"])
    assert struct.unpack_from(">HH", header, avc1_at + 8 + 24) == (width, height)
    avcc_at, _ = _find(header, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1", b"avcC"])
    (sps_len,) = struct.unpack_from(">H", header, avcc_at + 8 + 6)
    sps = header[avcc_at + 16 : avcc_at + 16 + sps_len]
    assert _sps_dimensions(sps) == (width, height)

    # The loop plays back to back: every frame a sample, a sync sample at each repetition, every
    # chunk at the mdat payload, and the samples' sizes are exactly that payload.
    frames = duration * 24
    sizes = [s for (s,) in _table(header, b"stsz", ">I")]
    assert len(sizes) == frames
    assert [s for (s,) in _table(header, b"stss", ">I")] == list(range(1, frames + 1, LOOP_FRAMES))
    _, mdat_at, mdat_size = top[2]
    chunks = _table(header, b"stco", ">I")
    assert chunks == [(mdat_at + 8,)] * (frames // LOOP_FRAMES)
    assert sum(sizes[:LOOP_FRAMES]) == mdat_size - 8
    assert _table(header, b"stts", ">II") == [(frames, 1)]

    mvhd_at, _ = _find(header, [b"moov", b"mvhd"])
    timescale, movie_duration = struct.unpack_from(">II", header, mvhd_at + 20)
    assert movie_duration / timescale == duration


def _decode(data: bytes, size: tuple[int, int]) -> list[bytes]:
    """The luma plane of every frame as FFmpeg (PyAV) decodes it, failing on any decoder complaint."""
    level = av.logging.get_level()
    av.logging.set_level(av.logging.WARNING)  # PyAV forwards nothing by default
    try:
        with av.logging.Capture(local=False) as logs, av.open(io.BytesIO(data)) as container:
            frames = []
            for frame in container.decode(video=0):
                assert (frame.width, frame.height) == size
                frames.append(bytes(frame.planes[0]))
    finally:
        av.logging.set_level(level)
    problems = [entry for entry in logs if entry[0] <= av.logging.WARNING]
    assert not problems, problems[:5]
    return frames


@pytest.mark.parametrize("size", [*sorted(set(RESOLUTION_PIXELS.values())), (768, 1344), (2912, 1248)])
def test_the_file_decodes_to_a_moving_picture(size: tuple[int, int]) -> None:
    width, height = size
    data = b"".join(iter_video_bytes("play", width, height, 6, 400_000))
    frames = _decode(data, (width, height))
    assert len(frames) == 6 * 24
    assert len(set(frames[:LOOP_FRAMES])) > LOOP_FRAMES // 4, "the picture must move"
    assert frames[0] == frames[LOOP_FRAMES] == frames[2 * LOOP_FRAMES], "each repetition starts afresh"


def test_an_odd_duration_ends_with_a_partial_loop() -> None:
    data = b"".join(iter_video_bytes("odd", 912, 512, 7.5, 100_000))
    assert _table(data, b"stsc", ">III") == [(1, LOOP_FRAMES, 1), (4, 36, 1)]
    assert len(_decode(data, (912, 512))) == 180


def test_videos_differ_in_bytes_but_not_in_picture() -> None:
    a = b"".join(iter_video_bytes("a", 1280, 720, 6, mp4_min_size(1280, 720, 6)))
    b = b"".join(iter_video_bytes("b", 1280, 720, 6, mp4_min_size(1280, 720, 6)))
    assert a != b and len(a) == len(b)
    assert _decode(a, (1280, 720)) == _decode(b, (1280, 720))


def test_minimum_size_and_too_small() -> None:
    minimum = mp4_min_size(1280, 720, 6)
    assert minimum == mp4_header_size(1280, 720, 6) + MIN_SEED_BYTES
    assert minimum < 8 * 1024
    header = build_mp4_header(1280, 720, 6, minimum)
    whole = b"".join(iter_video_bytes("s", 1280, 720, 6, minimum))
    assert whole.startswith(header) and len(whole) == minimum
    with pytest.raises(ValueError, match="minimum"):
        build_mp4_header(1280, 720, 6, minimum - 1)
    with pytest.raises(ValueError):
        list(iter_video_bytes("s", 1280, 720, 6, minimum - 1))


def test_a_size_without_a_clip_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"no clip of 700x500.*1280x720"):
        build_mp4_header(700, 500, 6, 100_000)


def test_files_over_4_gib_use_a_64_bit_free_box() -> None:
    total = 5 * (1 << 30) + 123
    header = build_mp4_header(1920, 1080, 6, total)
    assert header[-16:-8] == struct.pack(">I4s", 1, b"free")
    (free_size,) = struct.unpack_from(">Q", header, len(header) - 8)
    assert len(header) - 16 + free_size == total
    assert read_mp4_dimensions(header) == (1920, 1080)


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
