"""The sandbox's MP4 files: a real, playable H.264 clip plus a deterministic padding made on the fly.

The sandbox must serve files of any size (several GB, to test streaming transfers) without holding
them in memory, tests must be able to prove byte-for-byte equality of what a client stored, and a
browser (the Airflow UI's player, the quickstart) must show a moving picture. So a file is a pure
function of (seed, width, height, duration, size, audio):

* ``ftyp``, ``moov``, then ``mdat`` holding one short H.264 loop committed in ``clips/`` (a few KB per
  output size, encoded once by ``scripts/make_sandbox_clips.py``). The sample table plays the loop
  back to back for the whole duration: every repetition is a chunk at the same ``mdat`` offset and
  starts on an IDR frame, so any duration costs a few bytes of table, not more video;
* with ``audio`` (every MiniMax-H3 output: stereo sound cannot be turned off there), a second track
  plays the committed AAC-LC stereo loop (``clips/audio.aac``, see ``aac.py``) the same way, its
  frames right after the picture's in ``mdat``, for the video's duration to the nearest AAC frame.
  v1 outputs have no sound track (their files are what they were before the audio track existed);
* a trailing ``free`` box up to ``size``, whose content is payload byte ``p`` of one 1 MiB
  pseudo-random block per seed, rotated by an amount that depends on ``p // 1 MiB`` so that blocks
  differ (a client that repeats or reorders chunks changes the checksum). Players skip ``free``
  boxes; producing a slice is a single ``bytes`` slice, i.e. a memcpy, far above network speed.

``tkhd``, the ``avc1`` sample entry and the clip's SPS all carry the size, so tools that probe
dimensions (ours, ffprobe, browsers) report the resolution the API promised.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from airflow_provider_hailuo.sandbox.aac import (
    SAMPLES_PER_FRAME,
    AudioClip,
    audio_frame_count,
    es_descriptor,
    load_audio_clip,
)
from airflow_provider_hailuo.sandbox.v2.media import iter_boxes

FPS = 24
"""All MiniMax video models output 24 frames per second."""

LOOP_FRAMES = 48
"""Frames in each committed clip (2 s): the picture repeats with this period."""

CLIP_DIR = Path(__file__).with_name("clips")

#: Seeded bytes every file carries at least, so two videos never have the same bytes.
MIN_SEED_BYTES = 32

_BLOCK = 1 << 20
_MOVIE_TIMESCALE = 1000
_MAX_U32 = 0xFFFFFFFF
_IDENTITY_MATRIX = struct.pack(">9i", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)
_NAL_IDR, _NAL_SEI, _NAL_SPS, _NAL_PPS = 5, 6, 7, 8
_HIGH_PROFILES = frozenset({100, 110, 122, 144})


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_DINF = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))


def split_annex_b(stream: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream (start codes removed)."""
    units: list[bytes] = []
    pos = stream.find(b"\x00\x00\x01")
    while pos != -1:
        start = pos + 3
        nxt = stream.find(b"\x00\x00\x01", start)
        end = len(stream) if nxt == -1 else nxt
        unit = stream[start:end]
        if nxt != -1:
            unit = unit.rstrip(b"\x00")  # the next start code's leading zero (4-byte form)
        if unit:
            units.append(unit)
        pos = nxt
    return units


@dataclass(frozen=True)
class Clip:
    """One committed loop: its parameter sets and its frames as MP4 samples (length-prefixed NALs)."""

    sps: bytes
    pps: bytes
    samples: tuple[bytes, ...]
    sync: tuple[bool, ...]


def clip_path(width: int, height: int) -> Path:
    return CLIP_DIR / f"{width}x{height}.h264"


def output_sizes() -> list[tuple[int, int]]:
    """Every size a sandbox video can have: the v1 catalogue's and the v2 sandbox's output geometry."""
    from airflow_provider_hailuo.catalogue import RESOLUTION_PIXELS
    from airflow_provider_hailuo.sandbox.v2.models import all_output_sizes

    return sorted(set(RESOLUTION_PIXELS.values()) | set(all_output_sizes()))


def clip_sizes() -> list[tuple[int, int]]:
    """The output sizes a clip exists for."""
    sizes = []
    for path in CLIP_DIR.glob("*.h264"):
        w, _, h = path.stem.partition("x")
        sizes.append((int(w), int(h)))
    return sorted(sizes)


@functools.lru_cache(maxsize=8)
def load_clip(width: int, height: int) -> Clip:
    path = clip_path(width, height)
    if not path.is_file():
        known = ", ".join(f"{w}x{h}" for w, h in clip_sizes())
        raise ValueError(f"the sandbox has no clip of {width}x{height}; it has {known}")
    sps = pps = b""
    samples: list[bytes] = []
    sync: list[bool] = []
    for unit in split_annex_b(path.read_bytes()):
        kind = unit[0] & 0x1F
        if kind == _NAL_SPS:
            sps = unit
        elif kind == _NAL_PPS:
            pps = unit
        elif kind in (1, _NAL_IDR):
            piece = struct.pack(">I", len(unit)) + unit
            if unit[1] & 0x80 or not samples:  # first_mb_in_slice == 0 (ue "1"): a new frame
                samples.append(piece)
                sync.append(kind == _NAL_IDR)
            else:  # a further slice of the same frame
                samples[-1] += piece
    if not (sps and pps and samples and sync[0]):
        raise ValueError(f"{path.name} is not an H.264 stream starting with SPS, PPS and an IDR frame")
    return Clip(sps, pps, tuple(samples), tuple(sync))


def _avcc(clip: Clip) -> bytes:
    profile = clip.sps[1]
    parts = [
        bytes([1, profile, clip.sps[2], clip.sps[3], 0xFF, 0xE1]),
        struct.pack(">H", len(clip.sps)),
        clip.sps,
        b"\x01",
        struct.pack(">H", len(clip.pps)),
        clip.pps,
    ]
    if profile in _HIGH_PROFILES:  # ISO/IEC 14496-15: 4:2:0, 8-bit, no SPS extensions
        parts.append(bytes([0xFC | 1, 0xF8, 0xF8, 0]))
    return _box(b"avcC", *parts)


def _frame_count(duration_s: float) -> int:
    return max(1, round(duration_s * FPS))


def _loop_tables(loop_sizes: list[int], count: int, payload_at: int) -> tuple[bytes, bytes, bytes]:
    """``stsc``, ``stsz`` and ``stco`` of samples 0..count-1 playing loop sample ``i % len(loop)``: one
    chunk per repetition, all at the same offset, the last one shorter when ``count`` is not a whole
    number of loops."""
    loop = len(loop_sizes)
    full, rest = divmod(count, loop)
    chunks = full + (1 if rest else 0)
    stsc_entries = [(1, loop if full else rest, 1)]
    if full and rest:
        stsc_entries.append((full + 1, rest, 1))
    sizes = [loop_sizes[i % loop] for i in range(count)]
    return (
        _full_box(
            b"stsc",
            0,
            0,
            struct.pack(">I", len(stsc_entries)),
            *(struct.pack(">III", *e) for e in stsc_entries),
        ),
        _full_box(b"stsz", 0, 0, struct.pack(">II", 0, count), struct.pack(f">{count}I", *sizes)),
        _full_box(b"stco", 0, 0, struct.pack(f">I{chunks}I", chunks, *([payload_at] * chunks))),
    )


def _sample_table(clip: Clip, width: int, height: int, frames: int, mdat_payload_at: int) -> bytes:
    """The video's samples: the clip's loop played back to back (see :func:`_loop_tables`)."""
    loop = len(clip.samples)
    sync = [i + 1 for i in range(frames) if clip.sync[i % loop]]
    avc1 = _box(
        b"avc1",
        b"\x00" * 6,
        struct.pack(">H", 1),  # data_reference_index
        b"\x00" * 16,  # pre_defined, reserved, pre_defined[3]
        struct.pack(">HH", width, height),
        struct.pack(">II", 0x00480000, 0x00480000),  # 72 dpi
        b"\x00" * 4,
        struct.pack(">H", 1),  # frame_count
        bytes([14]) + b"Hailuo sandbox".ljust(31, b"\x00"),  # compressorname, Pascal string
        struct.pack(">Hh", 0x0018, -1),
        _avcc(clip),
    )
    return _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), avc1),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, frames, 1)),
        _full_box(b"stss", 0, 0, struct.pack(f">I{len(sync)}I", len(sync), *sync)),
        *_loop_tables([len(sample) for sample in clip.samples], frames, mdat_payload_at),
    )


def _audio_trak(clip: AudioClip, duration_s: float, payload_at: int) -> tuple[bytes, int]:
    """Track 2, the stereo AAC loop for the whole duration, and its length in movie time units."""
    count = audio_frame_count(clip, duration_s)
    samples = count * SAMPLES_PER_FRAME
    track_duration = round(samples * _MOVIE_TIMESCALE / clip.sample_rate)
    tkhd = _full_box(
        b"tkhd",
        0,
        0x000003,  # enabled, in movie
        struct.pack(">IIIII", 0, 0, 2, 0, track_duration),
        b"\x00" * 8,
        struct.pack(">hhhH", 0, 0, 0x0100, 0),  # layer, alternate group, volume 1.0, reserved
        _IDENTITY_MATRIX,
        struct.pack(">II", 0, 0),
    )
    mdhd = _full_box(
        b"mdhd", 0, 0, struct.pack(">IIII", 0, 0, clip.sample_rate, samples), struct.pack(">HH", 0x55C4, 0)
    )
    hdlr = _full_box(b"hdlr", 0, 0, b"\x00" * 4, b"soun", b"\x00" * 12, b"SoundHandler\x00")
    mp4a = _box(
        b"mp4a",
        b"\x00" * 6,
        struct.pack(">H", 1),  # data_reference_index
        b"\x00" * 8,  # version, revision level, vendor
        struct.pack(">HHHH", clip.channels, 16, 0, 0),  # channels, sample size, pre_defined, reserved
        struct.pack(">I", clip.sample_rate << 16),
        _full_box(b"esds", 0, 0, es_descriptor(clip)),
    )
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), mp4a),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, count, SAMPLES_PER_FRAME)),
        *_loop_tables([len(frame) for frame in clip.frames], count, payload_at),
    )
    smhd = _full_box(b"smhd", 0, 0, b"\x00" * 4)  # balance 0 (centre), reserved
    minf = _box(b"minf", smhd, _DINF, stbl)
    return _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf)), track_duration


def _moov(
    clip: Clip,
    width: int,
    height: int,
    duration_s: float,
    mdat_payload_at: int,
    audio: AudioClip | None = None,
    audio_at: int = 0,
) -> bytes:
    """The movie: the video track, then (``audio``) the sound track whose samples sit at ``audio_at``."""
    frames = _frame_count(duration_s)
    video_duration = movie_duration = round(frames * _MOVIE_TIMESCALE / FPS)
    sound = b""
    if audio is not None:
        sound, audio_duration = _audio_trak(audio, frames / FPS, audio_at)
        movie_duration = max(video_duration, audio_duration)
    mvhd = _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, _MOVIE_TIMESCALE, movie_duration),
        struct.pack(">IH", 0x00010000, 0x0100),  # rate 1.0, volume 1.0
        b"\x00" * 10,
        _IDENTITY_MATRIX,
        b"\x00" * 24,  # pre_defined
        struct.pack(">I", 3 if audio is not None else 2),  # next_track_ID
    )
    tkhd = _full_box(
        b"tkhd",
        0,
        0x000003,  # enabled, in movie
        struct.pack(">IIIII", 0, 0, 1, 0, video_duration),
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
    minf = _box(b"minf", vmhd, _DINF, _sample_table(clip, width, height, frames, mdat_payload_at))
    mdia = _box(b"mdia", mdhd, hdlr, minf)
    return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia), sound)


_FTYP = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"avc1", b"mp41")


def _check_dimensions(width: int, height: int, duration_s: float) -> None:
    if not (0 < width <= 0xFFFF and 0 < height <= 0xFFFF):
        raise ValueError(f"width and height must be within 1..65535, got {width}x{height}")
    if duration_s <= 0:
        raise ValueError("duration_s must be positive")


@functools.lru_cache(maxsize=64)
def _video_part(width: int, height: int, duration_s: float, audio: bool = False) -> bytes:
    """``ftyp`` + ``moov`` + ``mdat``: the playable file, before the padding.

    ``mdat`` holds the picture's loop, then (``audio``) the sound's loop right after it.
    """
    _check_dimensions(width, height, duration_s)
    clip = load_clip(width, height)
    sound = load_audio_clip() if audio else None
    loop = b"".join(clip.samples)
    sound_loop = b"".join(sound.frames) if sound is not None else b""
    probe = _moov(clip, width, height, duration_s, 0, sound)  # offsets are fixed-width: same length
    mdat_payload_at = len(_FTYP) + len(probe) + 8
    moov = _moov(clip, width, height, duration_s, mdat_payload_at, sound, mdat_payload_at + len(loop))
    mdat = struct.pack(">I4s", 8 + len(loop) + len(sound_loop), b"mdat")
    return _FTYP + moov + mdat + loop + sound_loop


def _free_header_size(video: int, total_size: int) -> int:
    return 16 if total_size - video > _MAX_U32 else 8


def mp4_header_size(
    width: int, height: int, duration_s: float, total_size: int = 0, *, audio: bool = False
) -> int:
    """Bytes before the seeded padding: the video and the ``free`` box's header.

    Files whose padding exceeds 4 GiB need a 64-bit box size, 8 bytes more, hence ``total_size``.
    ``audio`` adds the stereo AAC track MiniMax-H3 outputs carry (v1 outputs have none).
    """
    video = len(_video_part(width, height, duration_s, audio))
    return video + _free_header_size(video, total_size)


def mp4_min_size(width: int, height: int, duration_s: float, *, audio: bool = False) -> int:
    """The smallest valid ``total_size``: the header and ``MIN_SEED_BYTES`` of per-video padding."""
    return mp4_header_size(width, height, duration_s, audio=audio) + MIN_SEED_BYTES


@functools.lru_cache(maxsize=64)
def build_mp4_header(
    width: int, height: int, duration_s: float, total_size: int, *, audio: bool = False
) -> bytes:
    """Everything up to and including the ``free`` box header, sized so the file is ``total_size``."""
    video = _video_part(width, height, duration_s, audio)
    minimum = mp4_min_size(width, height, duration_s, audio=audio)
    if total_size < minimum:
        raise ValueError(
            f"total_size {total_size} is smaller than the sandbox MP4's minimum ({minimum} bytes)"
        )
    free_size = total_size - len(video)
    if _free_header_size(len(video), total_size) == 16:
        return video + struct.pack(">I4sQ", 1, b"free", free_size)
    return video + struct.pack(">I4s", free_size, b"free")


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
    *,
    audio: bool = False,
) -> Iterator[bytes]:
    """Yield bytes ``[start, end)`` of the file (``end`` exclusive, default the file size).

    Chunks are at most ``chunk_size`` bytes; their boundaries are not part of the contract, only the
    concatenation is. The content at an offset does not depend on the range asked for, which is what
    makes HTTP Range requests and resumed downloads verifiable. ``audio``: with the stereo AAC track of
    a MiniMax-H3 output.
    """
    header = build_mp4_header(width, height, duration_s, total_size, audio=audio)
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


def read_mp4_dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) of the first video track, from ``tkhd``; ``data`` may be just the file's head.

    Raises ValueError when no track with a non-zero size is found (not an MP4, or moov not at the front).
    """
    for kind, start, end in iter_boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for trak_kind, trak_start, trak_end in iter_boxes(data, start, end):
            if trak_kind != b"trak":
                continue
            for sub_kind, sub_start, sub_end in iter_boxes(data, trak_start, trak_end):
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
