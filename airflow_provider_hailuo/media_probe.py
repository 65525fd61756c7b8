"""Reading what MiniMax-H3's media limits need from a file's own headers, without decoding it.

The worker never needs a picture or a sound, only facts: the format by signature, the pixel size, the
duration, the frame rate, the codecs and whether a video has a sound track. JPEG, PNG and WebP come from
:mod:`airflow_provider_hailuo.images` (v1's reader); HEIC/HEIF and MP4/MOV from their ISO-BMFF boxes; WAV
from the standard library's :mod:`wave` (its ``fmt``/``data`` chunks when it is not PCM); MP3 from its
frame headers (a Xing/Info frame count when there is one, else the constant bit rate).

The sandbox has its own reader on purpose: a fake server that shared the client's reading of a file
could not catch a mistake in it.
"""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass

from airflow_provider_hailuo.images import inspect_image


class MediaError(ValueError):
    """The bytes are not a readable file of the expected kind; the message completes ``<label> ...``."""


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
    codecs: tuple[str, ...] = ()
    has_audio: bool = False


# -- ISO base media file format ----------------------------------------------------------------------

Span = tuple[int, int]


def _boxes(data: bytes, span: Span) -> Iterator[tuple[bytes, Span]]:
    """(type, payload span) of each box in ``span``; a box running past the end is cut to it."""
    pos, end = span
    while end - pos >= 8:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and end - pos >= 16:
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header:
            raise MediaError(f"has a corrupt {kind.decode('latin-1')!r} box")
        yield kind, (pos + header, min(pos + size, end))
        pos += size


def _box(data: bytes, span: Span | None, *path: bytes) -> Span | None:
    """The payload span at the end of ``path`` (first match at each level), or None."""
    for kind in path:
        if span is None:
            return None
        span = next((inner for found, inner in _boxes(data, span) if found == kind), None)
    return span


def _brands(data: bytes) -> set[bytes]:
    ftyp = next((span for kind, span in _boxes(data, (0, min(len(data), 4096))) if kind == b"ftyp"), None)
    if ftyp is None:
        return set()
    start, end = ftyp
    brands = {data[start : start + 4]}  # the major brand, then the compatible ones after the version
    brands.update(data[i : i + 4] for i in range(start + 8, end - 3, 4))
    return brands


def _timing(data: bytes, start: int) -> tuple[int, int]:
    """(timescale, duration) from an ``mvhd``/``mdhd`` payload of version 0 or 1."""
    return (
        struct.unpack_from(">IQ", data, start + 20)
        if data[start] == 1
        else struct.unpack_from(">II", data, start + 12)
    )


@dataclass
class _Track:
    handler: bytes
    codec: str | None
    width: int | None
    height: int | None
    seconds: float | None
    samples: int | None


def _read_track(data: bytes, trak: Span) -> _Track:
    hdlr = _box(data, trak, b"mdia", b"hdlr")
    mdhd = _box(data, trak, b"mdia", b"mdhd")
    stbl = _box(data, trak, b"mdia", b"minf", b"stbl")
    tkhd = _box(data, trak, b"tkhd")
    width = height = None
    if tkhd is not None:
        # version/flags, times (4+4+4+4+4 or 8+8+4+4+8), reserved 8, layer..volume 8, matrix 36
        at = tkhd[0] + (36 if data[tkhd[0]] == 1 else 24) + 52
        if at + 8 <= tkhd[1]:
            width, height = (v >> 16 for v in struct.unpack_from(">II", data, at))
    seconds = None
    if mdhd is not None:
        scale, length = _timing(data, mdhd[0])
        seconds = length / scale if scale else None
    codec = samples = None
    if stbl is not None:
        stsd = _box(data, stbl, b"stsd")
        if stsd is not None and stsd[1] - stsd[0] >= 16:
            codec = data[stsd[0] + 12 : stsd[0] + 16].decode("latin-1")
        stts = _box(data, stbl, b"stts")
        if stts is not None:
            (entries,) = struct.unpack_from(">I", data, stts[0] + 4)
            rows = range(stts[0] + 8, min(stts[1], stts[0] + 8 + 8 * entries) - 7, 8)
            samples = sum(struct.unpack_from(">I", data, row)[0] for row in rows)
    return _Track(
        handler=data[hdlr[0] + 8 : hdlr[0] + 12] if hdlr is not None else b"",
        codec=codec,
        width=width,
        height=height,
        seconds=seconds,
        samples=samples,
    )


def probe_video(data: bytes) -> MediaInfo:
    """MP4 or MOV: container, duration, frame size and rate, codecs, and whether there is sound."""
    brands = _brands(data)
    if not brands:
        raise MediaError("is not an MP4 or MOV file")
    try:
        moov = _box(data, (0, len(data)), b"moov")
        mvhd = _box(data, moov, b"mvhd")
        if moov is None or mvhd is None:
            raise MediaError("has no movie header (a truncated or unfinished MP4/MOV)")
        scale, length = _timing(data, mvhd[0])
        tracks = [_read_track(data, span) for kind, span in _boxes(data, moov) if kind == b"trak"]
    except struct.error:
        raise MediaError("has truncated MP4 boxes") from None
    video = next((t for t in tracks if t.handler == b"vide"), None)
    if video is None:
        raise MediaError("has no video track")
    fps = video.samples / video.seconds if video.samples and video.seconds else None
    return MediaInfo(
        kind="video",
        format="mov" if b"qt  " in brands else "mp4",
        size=len(data),
        width=video.width,
        height=video.height,
        duration=length / scale if scale else video.seconds,
        fps=fps,
        frames=video.samples,
        codecs=tuple(t.codec for t in tracks if t.codec),
        has_audio=any(t.handler == b"soun" for t in tracks),
    )


# -- images -------------------------------------------------------------------------------------------

_HEIF_BRANDS = {b"heic": "heic", b"heix": "heic", b"hevc": "heic", b"heim": "heic", b"heis": "heic"}


def _heif_size(data: bytes) -> tuple[int, int] | None:
    meta = _box(data, (0, len(data)), b"meta")
    if meta is None:
        return None
    ipco = _box(data, (meta[0] + 4, meta[1]), b"iprp", b"ipco")  # meta has version and flags first
    if ipco is None:
        return None
    sizes = [
        struct.unpack_from(">II", data, span[0] + 4) for kind, span in _boxes(data, ipco) if kind == b"ispe"
    ]
    return max(sizes, key=lambda size: size[0] * size[1]) if sizes else None


def probe_image(data: bytes) -> MediaInfo:
    """JPEG, PNG or WebP (read as for v1), or HEIC/HEIF, which only MiniMax-H3 takes."""
    brands = _brands(data) if data[4:8] == b"ftyp" else set()
    if brands & (set(_HEIF_BRANDS) | {b"mif1", b"msf1", b"heif"}):
        fmt = next((_HEIF_BRANDS[b] for b in brands if b in _HEIF_BRANDS), "heif")
        try:
            size = _heif_size(data)
        except struct.error:
            size = None
        if size is None or not all(size):
            raise MediaError(f"is a {fmt.upper()} whose pixel size cannot be read")
        return MediaInfo(kind="image", format=fmt, size=len(data), width=size[0], height=size[1])
    try:
        info = inspect_image(data)
    except ValueError as err:
        raise MediaError(f"is not a JPEG, PNG, WEBP, HEIC or HEIF image ({err})") from None
    return MediaInfo(
        kind="image", format=info.format.lower(), size=info.size, width=info.width, height=info.height
    )


# -- audio --------------------------------------------------------------------------------------------

#: kbit/s by bitrate index for MPEG-1 and for MPEG-2/2.5, Layer III.
_KBPS = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


@dataclass(frozen=True)
class _Mp3Frame:
    length: int
    bitrate: int
    rate: int
    samples: int


def _mp3_frame(data: bytes, at: int) -> _Mp3Frame | None:
    if at + 4 > len(data) or data[at] != 0xFF or data[at + 1] & 0xE0 != 0xE0:
        return None
    version, layer = (data[at + 1] >> 3) & 3, (data[at + 1] >> 1) & 3
    bitrate_index, rate_index = data[at + 2] >> 4, (data[at + 2] >> 2) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or not Layer III
    bitrate = _KBPS[1 if version == 3 else 2][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version][rate_index]
    samples = 1152 if version == 3 else 576
    return _Mp3Frame(samples // 8 * bitrate // rate + ((data[at + 2] >> 1) & 1), bitrate, rate, samples)


def _mp3_seconds(data: bytes) -> float | None:
    at = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        syncsafe = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        at = 10 + syncsafe + (10 if data[5] & 0x10 else 0)
    for start in range(at, min(len(data), at + 65536)):
        frame = _mp3_frame(data, start)
        # A real frame is followed by another (or by the end): one check against stray 0xFF bytes.
        if frame is None or (
            start + frame.length < len(data) and _mp3_frame(data, start + frame.length) is None
        ):
            continue
        for tag in (b"Xing", b"Info"):
            found = data.find(tag, start, start + 64)
            if found > 0 and data[found + 7] & 1:  # the frame-count flag
                return int(struct.unpack_from(">I", data, found + 8)[0]) * frame.samples / frame.rate
        return (len(data) - start) * 8 / frame.bitrate
    return None


def _wav_seconds(data: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(data)) as reader:
            return reader.getnframes() / reader.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError):
        pass
    # Not PCM (wave reads only PCM): the data chunk's length over the fmt chunk's byte rate.
    byte_rate, pos = None, 12
    while pos + 8 <= len(data):
        kind, size = struct.unpack_from("<4sI", data, pos)
        if kind == b"fmt " and size >= 12:
            (byte_rate,) = struct.unpack_from("<I", data, pos + 16)
        elif kind == b"data" and byte_rate:
            return min(size, len(data) - pos - 8) / byte_rate
        pos += 8 + size + (size & 1)
    return None


def probe_audio(data: bytes) -> MediaInfo:
    """WAV or MP3 by signature, with its duration."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        seconds = _wav_seconds(data)
        if seconds is None:
            raise MediaError("is a WAV file whose duration cannot be read")
        return MediaInfo(kind="audio", format="wav", size=len(data), duration=seconds)
    seconds = _mp3_seconds(data)
    if seconds is None:
        raise MediaError("is not a WAV or MP3 file")
    return MediaInfo(kind="audio", format="mp3", size=len(data), duration=seconds)


PROBES = {"image": probe_image, "video": probe_video, "audio": probe_audio}
