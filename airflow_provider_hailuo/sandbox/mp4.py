"""Synthetic MP4 files: a real, parseable header plus a deterministic payload made on the fly.

The sandbox must serve files of any size (several GB, to test streaming transfers) without holding
them in memory, and tests must be able to prove byte-for-byte equality of what a client stored.
So a file is a pure function of (seed, width, height, duration, size): the header is built from the
parameters, and payload byte ``p`` comes from one 1 MiB pseudo-random block per seed, rotated by an
amount that depends on ``p // 1 MiB`` so that blocks differ (a client that repeats or reorders
chunks changes the checksum). Producing a slice is a single ``bytes`` slice, i.e. a memcpy, which
keeps generation far above network speed.

The header is a "fast start" layout (``ftyp``, ``moov``, then ``mdat``) with one H.264 video track
whose ``tkhd``, ``avc1`` sample entry and SPS all carry the requested width and height, so tools
that probe dimensions (ours, ffprobe, mediainfo) report the resolution the API promised. The frames
themselves are noise and do not decode.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Iterator

FPS = 24
"""All MiniMax video models output 24 frames per second."""

_BLOCK = 1 << 20
_MOVIE_TIMESCALE = 1000
_MAX_U32 = 0xFFFFFFFF
_IDENTITY_MATRIX = struct.pack(">9i", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


class _BitWriter:
    """Big-endian bit packer for the H.264 parameter sets (Exp-Golomb fields)."""

    def __init__(self) -> None:
        self._bits: list[int] = []

    def u(self, width: int, value: int) -> None:
        self._bits.extend((value >> (width - 1 - i)) & 1 for i in range(width))

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(code.bit_length() * 2 - 1, code)

    def rbsp(self) -> bytes:
        bits = [*self._bits, 1]  # rbsp_stop_one_bit
        bits.extend([0] * (-len(bits) % 8))
        raw = bytes(int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8))
        return _emulation_prevention(raw)


def _emulation_prevention(raw: bytes) -> bytes:
    out = bytearray()
    zeros = 0
    for byte in raw:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


_PROFILE_BASELINE = 66
_CONSTRAINTS = 0xC0  # constrained baseline
_LEVEL = 40


def _sps(width: int, height: int) -> bytes:
    mbs_w = (width + 15) // 16
    mbs_h = (height + 15) // 16
    crop_right = (mbs_w * 16 - width) // 2  # 4:2:0 crops in units of 2 pixels
    crop_bottom = (mbs_h * 16 - height) // 2
    w = _BitWriter()
    w.u(8, _PROFILE_BASELINE)
    w.u(8, _CONSTRAINTS)
    w.u(8, _LEVEL)
    w.ue(0)  # seq_parameter_set_id
    w.ue(0)  # log2_max_frame_num_minus4
    w.ue(2)  # pic_order_cnt_type
    w.ue(1)  # max_num_ref_frames
    w.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    w.ue(mbs_w - 1)
    w.ue(mbs_h - 1)
    w.u(1, 1)  # frame_mbs_only_flag
    w.u(1, 1)  # direct_8x8_inference_flag
    cropping = crop_right > 0 or crop_bottom > 0
    w.u(1, int(cropping))
    if cropping:
        w.ue(0)
        w.ue(crop_right)
        w.ue(0)
        w.ue(crop_bottom)
    w.u(1, 0)  # vui_parameters_present_flag
    return b"\x67" + w.rbsp()


def _pps() -> bytes:
    w = _BitWriter()
    w.ue(0)  # pic_parameter_set_id
    w.ue(0)  # seq_parameter_set_id
    w.u(1, 0)  # entropy_coding_mode_flag (CAVLC)
    w.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    w.ue(0)  # num_slice_groups_minus1
    w.ue(0)  # num_ref_idx_l0_default_active_minus1
    w.ue(0)  # num_ref_idx_l1_default_active_minus1
    w.u(1, 0)  # weighted_pred_flag
    w.u(2, 0)  # weighted_bipred_idc
    w.ue(0)  # pic_init_qp_minus26 (se 0)
    w.ue(0)  # pic_init_qs_minus26 (se 0)
    w.ue(0)  # chroma_qp_index_offset (se 0)
    w.u(1, 1)  # deblocking_filter_control_present_flag
    w.u(1, 0)  # constrained_intra_pred_flag
    w.u(1, 0)  # redundant_pic_cnt_present_flag
    return b"\x68" + w.rbsp()


def _avcc(width: int, height: int) -> bytes:
    sps, pps = _sps(width, height), _pps()
    return _box(
        b"avcC",
        bytes([1, _PROFILE_BASELINE, _CONSTRAINTS, _LEVEL, 0xFF, 0xE1]),
        struct.pack(">H", len(sps)),
        sps,
        b"\x01",
        struct.pack(">H", len(pps)),
        pps,
    )


def _frame_count(duration_s: float) -> int:
    return max(1, round(duration_s * FPS))


def _sample_sizes(payload: int, frames: int) -> list[int]:
    base, rest = divmod(payload, frames)
    sizes = [base] * frames
    sizes[-1] += rest
    if sizes[-1] > _MAX_U32:
        raise ValueError("file too large for the synthetic sample table")
    return sizes


def _moov(width: int, height: int, duration_s: float, payload: int, data_offset: int) -> bytes:
    frames = _frame_count(duration_s)
    movie_duration = round(duration_s * _MOVIE_TIMESCALE)
    mvhd = _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, _MOVIE_TIMESCALE, movie_duration),
        struct.pack(">IH", 0x00010000, 0x0100),  # rate 1.0, volume 1.0
        b"\x00" * 10,
        _IDENTITY_MATRIX,
        b"\x00" * 24,  # pre_defined
        struct.pack(">I", 2),  # next_track_ID
    )
    tkhd = _full_box(
        b"tkhd",
        0,
        0x000003,  # enabled, in movie
        struct.pack(">IIIII", 0, 0, 1, 0, movie_duration),
        b"\x00" * 8,
        struct.pack(">hhhH", 0, 0, 0, 0),  # layer, alternate group, volume (0 for video), reserved
        _IDENTITY_MATRIX,
        struct.pack(">II", width << 16, height << 16),
    )
    mdhd = _full_box(
        b"mdhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, FPS, frames),
        struct.pack(">HH", 0x55C4, 0),  # language "und"
    )
    hdlr = _full_box(b"hdlr", 0, 0, b"\x00" * 4, b"vide", b"\x00" * 12, b"VideoHandler\x00")
    vmhd = _full_box(b"vmhd", 0, 1, b"\x00" * 8)
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))
    avc1 = _box(
        b"avc1",
        b"\x00" * 6,
        struct.pack(">H", 1),  # data_reference_index
        b"\x00" * 16,  # pre_defined, reserved, pre_defined[3]
        struct.pack(">HH", width, height),
        struct.pack(">II", 0x00480000, 0x00480000),  # 72 dpi
        b"\x00" * 4,
        struct.pack(">H", 1),  # frame_count
        bytes([16]) + b"Hailuo sandbox".ljust(31, b"\x00"),  # compressorname, Pascal string
        struct.pack(">Hh", 0x0018, -1),
        _avcc(width, height),
    )
    stsd = _full_box(b"stsd", 0, 0, struct.pack(">I", 1), avc1)
    stts = _full_box(b"stts", 0, 0, struct.pack(">III", 1, frames, 1))
    stsc = _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, frames, 1))
    sizes = _sample_sizes(payload, frames)
    stsz = _full_box(b"stsz", 0, 0, struct.pack(">II", 0, frames), struct.pack(f">{frames}I", *sizes))
    stco = _full_box(b"stco", 0, 0, struct.pack(">II", 1, data_offset))
    stbl = _box(b"stbl", stsd, stts, stsc, stsz, stco)
    minf = _box(b"minf", vmhd, dinf, stbl)
    mdia = _box(b"mdia", mdhd, hdlr, minf)
    trak = _box(b"trak", tkhd, mdia)
    return _box(b"moov", mvhd, trak)


_FTYP = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"avc1", b"mp41")


def _check_dimensions(width: int, height: int, duration_s: float) -> None:
    if not (0 < width <= 0xFFFF and 0 < height <= 0xFFFF):
        raise ValueError(f"width and height must be within 1..65535, got {width}x{height}")
    if duration_s <= 0:
        raise ValueError("duration_s must be positive")


def mp4_header_size(width: int, height: int, duration_s: float, total_size: int = 0) -> int:
    """Bytes before the payload; also the smallest valid ``total_size``.

    Files whose ``mdat`` exceeds 4 GiB need a 64-bit box size, 8 bytes more, hence ``total_size``.
    """
    _check_dimensions(width, height, duration_s)
    fixed = len(_FTYP) + len(_moov(width, height, duration_s, 0, 0))
    return fixed + (16 if total_size - fixed > _MAX_U32 else 8)


@functools.lru_cache(maxsize=64)
def build_mp4_header(width: int, height: int, duration_s: float, total_size: int) -> bytes:
    """Everything up to and including the ``mdat`` box header, sized so the file is ``total_size``."""
    header_size = mp4_header_size(width, height, duration_s, total_size)
    if total_size < header_size:
        raise ValueError(f"total_size {total_size} is smaller than the MP4 header ({header_size} bytes)")
    payload = total_size - header_size
    moov = _moov(width, height, duration_s, payload, header_size)
    mdat_box_size = total_size - len(_FTYP) - len(moov)
    if header_size - len(_FTYP) - len(moov) == 16:
        mdat = struct.pack(">I4sQ", 1, b"mdat", mdat_box_size)
    else:
        mdat = struct.pack(">I4s", mdat_box_size, b"mdat")
    header = _FTYP + moov + mdat
    assert len(header) == header_size
    return header


@functools.lru_cache(maxsize=16)
def _doubled_block(file_seed: str) -> bytes:
    block = hashlib.shake_256(b"hailuo-sandbox:" + file_seed.encode()).digest(_BLOCK)
    return block + block


def _rotation(block_index: int) -> int:
    return ((block_index + 1) * 2654435761) % _BLOCK


def _payload_slices(file_seed: str, start: int, end: int, chunk_size: int) -> Iterator[bytes]:
    doubled = _doubled_block(file_seed)
    pos = start
    while pos < end:
        block_index, offset = divmod(pos, _BLOCK)
        n = min(end - pos, _BLOCK - offset, chunk_size)
        origin = offset + _rotation(block_index)
        yield doubled[origin : origin + n]
        pos += n


def iter_video_bytes(
    file_seed: str,
    width: int,
    height: int,
    duration_s: float,
    total_size: int,
    start: int = 0,
    end: int | None = None,
    chunk_size: int = 1 << 20,
) -> Iterator[bytes]:
    """Yield bytes ``[start, end)`` of the file (``end`` exclusive, default the file size).

    Chunks are at most ``chunk_size`` bytes; their boundaries are not part of the contract, only the
    concatenation is. The content at an offset does not depend on the range asked for, which is what
    makes HTTP Range requests and resumed downloads verifiable.
    """
    header = build_mp4_header(width, height, duration_s, total_size)
    stop = total_size if end is None else end
    if not 0 <= start <= stop <= total_size:
        raise ValueError(f"invalid byte range [{start}, {stop}) for a file of {total_size} bytes")
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    pos = start
    while pos < min(stop, len(header)):
        n = min(stop, len(header)) - pos
        n = min(n, chunk_size)
        yield header[pos : pos + n]
        pos += n
    if pos < stop:
        yield from _payload_slices(file_seed, pos, stop, chunk_size)


def _iter_boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in ``data[start:end]``; stops at truncation."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            raise ValueError(f"corrupt MP4 box {kind!r} at offset {pos}")
        yield kind, pos + header, min(pos + size, end)
        pos += size


def read_mp4_dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) of the first video track, from ``tkhd``; ``data`` may be just the file's head.

    Raises ValueError when no track with a non-zero size is found (not an MP4, or moov not at the front).
    """
    for kind, start, end in _iter_boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for trak_kind, trak_start, trak_end in _iter_boxes(data, start, end):
            if trak_kind != b"trak":
                continue
            for sub_kind, sub_start, sub_end in _iter_boxes(data, trak_start, trak_end):
                if sub_kind != b"tkhd":
                    continue
                version = data[sub_start]
                # version/flags, times, track id, reserved, duration, reserved, layer..volume, matrix
                offset = sub_start + 4 + (32 if version == 1 else 20) + 8 + 8 + 36
                if offset + 8 > sub_end:
                    raise ValueError("truncated tkhd box")
                width, height = struct.unpack_from(">II", data, offset)
                if width and height:
                    return width >> 16, height >> 16
    raise ValueError("no video track dimensions found (is this an MP4 with moov before mdat?)")
