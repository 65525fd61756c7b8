"""Small, real media files for the v2 sandbox tests: the headers the sandbox reads are genuine.

PNG and WAV are complete files; JPEG, WebP, HEIC, MP3 and MP4 carry real headers (and, for MP4,
a real box tree) around placeholder payloads, which is all a header-reading server can look at.
"""

from __future__ import annotations

import base64
import io
import math
import struct
import wave
import zlib


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def png(width: int = 512, height: int = 512) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\x00" * (width * 3) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int = 640, height: int = 480) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp(width: int = 640, height: int = 480) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, *parts: bytes) -> bytes:
    return _box(kind, b"\x00\x00\x00\x00", *parts)


def heic(width: int = 640, height: int = 480) -> bytes:
    ispe = _full(b"ispe", struct.pack(">II", width, height))
    meta = _full(b"meta", _box(b"iprp", _box(b"ipco", ispe)))
    return _box(b"ftyp", b"heic", b"\x00\x00\x00\x00", b"mif1", b"heic") + meta


def wav(seconds: float, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(b"\x80" * int(seconds * rate))
    return out.getvalue()


def mp3(seconds: float) -> bytes:
    """MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, behind an ID3v2 tag: 417-byte frames of silence."""
    frames = math.ceil(seconds * 44100 / 1152)
    frame = b"\xff\xfb\x90\x00" + b"\x00" * 413
    return b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + frame * frames


def mp4(
    width: int = 1344,
    height: int = 768,
    seconds: float = 5.0,
    *,
    fps: float = 24.0,
    frames: int | None = None,
    audio: bool = True,
    codec: bytes = b"avc1",
    audio_codec: bytes = b"mp4a",
    brand: bytes = b"isom",
    padding: int = 0,
) -> bytes:
    """An MP4 (or MOV with ``brand=b"qt  "``) box tree: ftyp, moov with mvhd and one or two tracks."""
    count = frames if frames is not None else round(seconds * fps)
    timescale = 1000
    video_duration = round(count / fps * timescale)
    mvhd = _full(b"mvhd", struct.pack(">IIII", 0, 0, timescale, video_duration), b"\x00" * 80)

    def track(handler: bytes, sample_entry: bytes, samples: int, w: int = 0, h: int = 0) -> bytes:
        tkhd = _full(
            b"tkhd",
            b"\x00" * 20,
            b"\x00" * 8,
            b"\x00" * 8,
            b"\x00" * 36,
            struct.pack(">II", w << 16, h << 16),
        )
        mdhd = _full(b"mdhd", struct.pack(">IIII", 0, 0, timescale, video_duration), b"\x00" * 4)
        hdlr = _full(b"hdlr", b"\x00" * 4, handler, b"\x00" * 12, b"handler\x00")
        stsd = _full(b"stsd", struct.pack(">I", 1), _box(sample_entry, b"\x00" * 8))
        stts = _full(b"stts", struct.pack(">III", 1, samples, 1))
        stbl = _box(b"stbl", stsd, stts)
        return _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, _box(b"minf", stbl)))

    tracks = track(b"vide", codec, count, width, height)
    if audio:
        tracks += track(b"soun", audio_codec, max(1, round(count / fps * 44100 / 1024)))
    ftyp = _box(b"ftyp", brand, b"\x00\x00\x02\x00", brand, b"mp41")
    return ftyp + _box(b"moov", mvhd, tracks) + _box(b"mdat", b"\x00" * padding)
