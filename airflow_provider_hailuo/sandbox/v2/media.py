"""Just enough parsing of images, MP4/MOV and WAV/MP3 to apply the v2 media limits (contract §3.5).

MiniMax checks formats, sizes, pixels, aspect, durations and frame rates of every input; the sandbox
reads the same facts from the bytes' own headers (never from the file name or the declared MIME type)
so a client that sends the wrong thing is refused here as it would be there. No decoding happens:
PNG/JPEG/WebP/HEIF headers, ISO-BMFF boxes, the WAV ``fmt``/``data`` chunks and MP3 frame headers.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field


class MediaError(ValueError):
    """The bytes are not a readable file of the expected kind; the message says what is wrong."""


@dataclass(frozen=True)
class MediaInfo:
    kind: str
    format: str
    size: int
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    fps: float | None = None
    frames: int | None = None
    codecs: tuple[str, ...] = field(default_factory=tuple)
    has_audio: bool = False


# -- ISO base media (MP4, MOV, HEIF) ------------------------------------------------------------------


def iter_boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) for each box in ``data[start:end]``; stops at truncation.

    Also the v1 sandbox's reader of its own clips (``sandbox/mp4.py``): one box walker for both."""
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
            raise MediaError(f"corrupt {kind!r} box")
        yield kind, pos + header, min(pos + size, end)
        pos += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for k, s, e in iter_boxes(data, start, end):
        if k == kind:
            return s, e
    return None


def _path(data: bytes, start: int, end: int, *kinds: bytes) -> tuple[int, int] | None:
    span: tuple[int, int] | None = (start, end)
    for kind in kinds:
        if span is None:
            return None
        span = _child(data, span[0], span[1], kind)
    return span


def _brands(data: bytes) -> set[bytes]:
    if len(data) < 12 or data[4:8] != b"ftyp":
        return set()
    size = struct.unpack_from(">I", data, 0)[0]
    body = data[8 : min(size, len(data))]
    return {body[i : i + 4] for i in range(0, len(body) - 3, 4) if i != 4}


def _time_fields(data: bytes, start: int) -> tuple[int, int]:
    """(timescale, duration) of an ``mvhd`` or ``mdhd`` payload, versions 0 and 1."""
    if data[start] == 1:
        return struct.unpack_from(">IQ", data, start + 20)
    return struct.unpack_from(">II", data, start + 12)


@dataclass
class _Track:
    handler: bytes = b""
    width: int | None = None
    height: int | None = None
    timescale: int = 0
    duration: int = 0
    codec: str | None = None
    samples: int | None = None


def _track(data: bytes, start: int, end: int) -> _Track:
    track = _Track()
    tkhd = _child(data, start, end, b"tkhd")
    if tkhd is not None:
        offset = tkhd[0] + 4 + (32 if data[tkhd[0]] == 1 else 20) + 8 + 8 + 36
        if offset + 8 <= tkhd[1]:
            w, h = struct.unpack_from(">II", data, offset)
            track.width, track.height = w >> 16, h >> 16
    hdlr = _path(data, start, end, b"mdia", b"hdlr")
    if hdlr is not None:
        track.handler = data[hdlr[0] + 8 : hdlr[0] + 12]
    mdhd = _path(data, start, end, b"mdia", b"mdhd")
    if mdhd is not None:
        track.timescale, track.duration = _time_fields(data, mdhd[0])
    stbl = _path(data, start, end, b"mdia", b"minf", b"stbl")
    if stbl is not None:
        stsd = _child(data, stbl[0], stbl[1], b"stsd")
        if stsd is not None and stsd[0] + 16 <= stsd[1]:
            track.codec = data[stsd[0] + 12 : stsd[0] + 16].decode("latin-1")
        stts = _child(data, stbl[0], stbl[1], b"stts")
        if stts is not None:
            (entries,) = struct.unpack_from(">I", data, stts[0] + 4)
            track.samples = sum(
                struct.unpack_from(">I", data, stts[0] + 8 + 8 * i)[0]
                for i in range(entries)
                if stts[0] + 16 + 8 * i <= stts[1]
            )
    return track


def probe_video(data: bytes) -> MediaInfo:
    """MP4 or MOV: container, duration, video size, frame rate, codecs, audio presence."""
    brands = _brands(data)
    if not brands:
        raise MediaError("is not an MP4 or MOV file")
    fmt = "mov" if b"qt  " in brands else "mp4"
    try:
        moov = _child(data, 0, len(data), b"moov")
        if moov is None:
            raise MediaError("has no moov box (truncated, or not a finished MP4/MOV)")
        mvhd = _child(data, moov[0], moov[1], b"mvhd")
        if mvhd is None:
            raise MediaError("has no mvhd box")
        timescale, duration = _time_fields(data, mvhd[0])
        tracks = [_track(data, s, e) for k, s, e in iter_boxes(data, moov[0], moov[1]) if k == b"trak"]
    except struct.error:
        raise MediaError("has truncated MP4 boxes") from None
    video = next((t for t in tracks if t.handler == b"vide"), None)
    if video is None:
        raise MediaError("has no video track")
    fps = None
    if video.samples and video.duration and video.timescale:
        fps = video.samples / (video.duration / video.timescale)
    return MediaInfo(
        kind="video",
        format=fmt,
        size=len(data),
        width=video.width,
        height=video.height,
        duration=duration / timescale if timescale else None,
        fps=fps,
        frames=video.samples,
        codecs=tuple(t.codec for t in tracks if t.codec is not None),
        has_audio=any(t.handler == b"soun" for t in tracks),
    )


# -- images -------------------------------------------------------------------------------------------

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"heif"}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xDA)):
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return width, height
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack_from("<HH", data, 26)
        return w & 0x3FFF, h & 0x3FFF
    return None


def _heif_size(data: bytes) -> tuple[int, int] | None:
    meta = _child(data, 0, len(data), b"meta")
    if meta is None:
        return None
    ipco = _path(data, meta[0] + 4, meta[1], b"iprp", b"ipco")  # meta is a full box: skip version/flags
    if ipco is None:
        return None
    sizes = [struct.unpack_from(">II", data, s + 4) for k, s, e in iter_boxes(data, *ipco) if k == b"ispe"]
    return max(sizes, key=lambda wh: wh[0] * wh[1]) if sizes else None


def probe_image(data: bytes) -> MediaInfo:
    """JPEG, PNG, WebP, HEIC or HEIF, by signature; pixel size from the header."""
    size: tuple[int, int] | None
    try:
        if data.startswith(b"\xff\xd8\xff"):
            fmt, size = "jpeg", _jpeg_size(data)
        elif data.startswith(b"\x89PNG\r\n\x1a\n"):
            fmt = "png"
            size = struct.unpack_from(">II", data, 16) if data[12:16] == b"IHDR" else None
        elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            fmt, size = "webp", _webp_size(data)
        elif _brands(data) & _HEIC_BRANDS:
            fmt, size = "heic", _heif_size(data)
        elif _brands(data) & _HEIF_BRANDS:
            fmt, size = "heif", _heif_size(data)
        else:
            raise MediaError("is not a JPEG, PNG, WEBP, HEIC or HEIF image")
    except struct.error:
        raise MediaError("has a truncated image header") from None
    if size is None or not all(size):
        raise MediaError(f"is a {fmt.upper()} whose pixel size cannot be read")
    return MediaInfo(kind="image", format=fmt, size=len(data), width=size[0], height=size[1])


# -- audio --------------------------------------------------------------------------------------------

_MP3_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_header(data: bytes, pos: int) -> tuple[int, int, int, int] | None:
    """(frame length, bitrate bps, sample rate, samples per frame) of a Layer III header, or None."""
    if pos + 4 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xE0 != 0xE0:
        return None
    version = (data[pos + 1] >> 3) & 3
    layer = (data[pos + 1] >> 1) & 3
    bitrate_index = data[pos + 2] >> 4
    rate_index = (data[pos + 2] >> 2) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _MP3_BITRATES[1 if version == 3 else 2][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    samples = 1152 if version == 3 else 576
    padding = (data[pos + 2] >> 1) & 1
    return samples // 8 * bitrate // rate + padding, bitrate, rate, samples


def _mp3_duration(data: bytes) -> float | None:
    pos = 0
    if data.startswith(b"ID3") and len(data) >= 10:
        tag = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        pos = 10 + tag + (10 if data[5] & 0x10 else 0)
    limit = min(len(data), pos + 65536)
    while pos < limit:
        header = _mp3_header(data, pos)
        if header is not None and (
            pos + header[0] >= len(data) or _mp3_header(data, pos + header[0]) is not None
        ):
            _, bitrate, rate, samples = header
            for xing in (b"Xing", b"Info"):
                at = data.find(xing, pos, pos + 64)
                if at > 0 and data[at + 7] & 1:
                    (frames,) = struct.unpack_from(">I", data, at + 8)
                    return frames * samples / rate
            return (len(data) - pos) * 8 / bitrate
        pos += 1
    return None


def _wav_duration(data: bytes) -> float | None:
    byte_rate = None
    for kind, start, end in _riff_chunks(data):
        if kind == b"fmt " and end - start >= 12:
            (byte_rate,) = struct.unpack_from("<I", data, start + 8)
        elif kind == b"data" and byte_rate:
            return (end - start) / byte_rate
    return None


def _riff_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    pos = 12
    while pos + 8 <= len(data):
        kind, size = struct.unpack_from("<4sI", data, pos)
        yield kind, pos + 8, min(pos + 8 + size, len(data))
        pos += 8 + size + (size & 1)


def probe_audio(data: bytes) -> MediaInfo:
    """WAV or MP3, by signature; duration from the headers."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        fmt, duration = "wav", _wav_duration(data)
    else:
        fmt, duration = "mp3", _mp3_duration(data)
        if duration is None:
            raise MediaError("is not a WAV or MP3 file")
    if duration is None:
        raise MediaError("is a WAV file whose duration cannot be read")
    return MediaInfo(kind="audio", format=fmt, size=len(data), duration=duration)


PROBES = {"image": probe_image, "video": probe_video, "audio": probe_audio}
