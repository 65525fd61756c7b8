"""Image inputs (first frame, last frame, subject reference): resolve, check, describe.

MiniMax rejects a bad image only after the task has been queued, so every local, S3 or inline
image is checked here against the documented limits first (API contract §7):

* format JPEG, PNG or WebP, judged by magic bytes (a ``.jpg`` that is really a HEIC is common);
* smaller than 20 MB. MiniMax does not say whether a MB is 10^6 or 2^20 bytes; we take the
  smaller (20,000,000 bytes) so an image we accept is never too big for them;
* short side **over** 300 px. The Chinese guide says ``>= 300``; the API reference says ``> 300``
  and the reference wins, so exactly 300 px is refused;
* long side / short side at most 5:2 (so between 2:5 and 5:2, both inclusive).

Width and height come from the file header (PNG IHDR, JPEG SOFn, WebP VP8/VP8L/VP8X) so the
provider needs no imaging library. ``http(s)`` URLs are passed through untouched: downloading
them would fetch from the worker's network, which is not necessarily what MiniMax sees.

Base64 never reaches a log line: :attr:`ResolvedImage.source` and
:func:`~airflow_provider_hailuo.redaction.redact_image_reference` give short descriptions instead,
because one inline image is megabytes of noise in a task log.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from airflow_provider_hailuo.media_sources import human_size, read_local_file, read_s3_object
from airflow_provider_hailuo.redaction import describe_url

__all__ = [
    "MAX_ASPECT_RATIO",
    "MAX_IMAGE_BYTES",
    "MIN_SHORT_SIDE_EXCLUSIVE",
    "ImageInfo",
    "ResolvedImage",
    "check_image_limits",
    "inspect_image",
    "resolve_image",
]

MAX_IMAGE_BYTES = 20_000_000
"""Images must be strictly smaller than this many bytes."""
MIN_SHORT_SIDE_EXCLUSIVE = 300
"""The short side must be strictly larger than this many pixels."""
MAX_ASPECT_RATIO = (5, 2)
"""Long side : short side may be at most 5:2."""

_FORMAT_SUBTYPES = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}

_ACCEPTED_FORMS = (
    "a local file path (str or pathlib.Path), raw bytes, an http(s):// URL, "
    "a data:image/...;base64,... URL, a bare base64 string or an s3://bucket/key URL"
)


@dataclass(frozen=True)
class ImageInfo:
    """What the header says; ``format`` is ``JPEG``, ``PNG`` or ``WEBP``, ``size`` is in bytes."""

    format: str
    width: int
    height: int
    size: int

    @property
    def mime_type(self) -> str:
        return f"image/{_FORMAT_SUBTYPES[self.format]}"

    def describe(self) -> str:
        return f"{self.format} {self.width}x{self.height}, {_human_size(self.size)}"


@dataclass(frozen=True)
class ResolvedImage:
    """An image ready for the request: ``value`` goes into the JSON, ``source`` into logs."""

    value: str
    info: ImageInfo | None
    """``None`` for http(s) URLs, which are not downloaded."""
    source: str


_human_size = human_size


# --------------------------------------------------------------------------------------------
# Header parsing
# --------------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: JPEG SOFn markers carrying the frame size (C4 = DHT, C8 = JPG extension, CC = DAC are not).
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
#: Markers without a length field.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _other_format(data: bytes) -> str | None:
    """Name formats people often mistake for accepted ones, to make the error actionable."""
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:2] == b"BM":
        return "BMP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
        return "HEIC/HEIF"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "AVIF"
    return None


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ValueError("PNG header is truncated or has no IHDR chunk")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    length = len(data)
    while pos < length:
        if data[pos] != 0xFF:
            raise ValueError(f"JPEG segment marker expected at byte {pos}")
        while pos < length and data[pos] == 0xFF:  # fill bytes may precede a marker
            pos += 1
        if pos >= length:
            break
        marker = data[pos]
        pos += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (0xD9, 0xDA):  # EOI or start of scan before any frame header
            break
        if pos + 2 > length:
            break
        (segment_length,) = struct.unpack(">H", data[pos : pos + 2])
        if segment_length < 2:
            raise ValueError(f"JPEG segment at byte {pos} has an invalid length")
        if marker in _JPEG_SOF:
            if pos + 7 > length:
                break
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            if height == 0:
                raise ValueError("JPEG height is deferred to a DNL marker, which is not supported")
            return width, height
        pos += segment_length
    raise ValueError("JPEG has no frame header (SOFn) before the image data")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        if len(data) < 30 or data[23:26] != b"\x9d\x01\x2a":
            raise ValueError("WebP VP8 frame header is truncated or lacks its start code")
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        if len(data) < 25 or data[20] != 0x2F:
            raise ValueError("WebP VP8L header is truncated or lacks its signature")
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        if len(data) < 30:
            raise ValueError("WebP VP8X header is truncated")
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    raise ValueError(f"WebP has an unknown first chunk {chunk!r}")


def _sniff(data: bytes) -> str | None:
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def inspect_image(data: bytes) -> ImageInfo:
    """Read the format and pixel size from the header; :class:`ValueError` if it cannot."""
    data = bytes(data)
    fmt = _sniff(data)
    if fmt == "PNG":
        width, height = _png_size(data)
    elif fmt == "JPEG":
        width, height = _jpeg_size(data)
    elif fmt == "WEBP":
        width, height = _webp_size(data)
    else:
        other = _other_format(data)
        if other:
            raise ValueError(f"image format {other} is not accepted; use JPEG, PNG or WebP")
        raise ValueError("not a JPEG, PNG or WebP image (unrecognised leading bytes)")
    if width <= 0 or height <= 0:
        raise ValueError(f"{fmt} header gives an empty size {width}x{height}")
    return ImageInfo(format=fmt, width=width, height=height, size=len(data))


def check_image_limits(info: ImageInfo, *, field: str) -> None:
    """Raise :class:`ValueError` (prefixed with ``field``) if MiniMax would refuse the image."""
    if info.size >= MAX_IMAGE_BYTES:
        raise ValueError(
            f"{field}: image is {_human_size(info.size)} ({info.size} bytes); it must be smaller than "
            f"{MAX_IMAGE_BYTES} bytes (20 MB)"
        )
    short, long = sorted((info.width, info.height))
    if short <= MIN_SHORT_SIDE_EXCLUSIVE:
        raise ValueError(
            f"{field}: image is {info.width}x{info.height} px; the short side must be over "
            f"{MIN_SHORT_SIDE_EXCLUSIVE} px"
        )
    num, den = MAX_ASPECT_RATIO
    if long * den > short * num:
        raise ValueError(
            f"{field}: image is {info.width}x{info.height} px (aspect ratio {long / short:.2f}:1); "
            f"the aspect ratio must be between {den}:{num} and {num}:{den}"
        )


# --------------------------------------------------------------------------------------------
# Resolution of the accepted input forms
# --------------------------------------------------------------------------------------------

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_DATA_URL = re.compile(r"^data:([^,;]*)((?:;[^,;]*)*),(.*)$", re.DOTALL)
_BARE_BASE64_MIN_CHARS = 64
_BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/\s]+={0,2}\s*$")


def _checked(data: bytes, *, field: str, where: str) -> ImageInfo:
    try:
        info = inspect_image(data)
    except ValueError as exc:
        raise ValueError(f"{field}: {where}: {exc}") from None
    check_image_limits(info, field=field)
    return info


def _data_url(info: ImageInfo, data: bytes) -> str:
    return f"data:{info.mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def _decode_base64(text: str) -> bytes:
    return base64.b64decode("".join(text.split()), validate=True)


def _from_bytes(data: bytes, *, field: str, label: str) -> ResolvedImage:
    if len(data) >= MAX_IMAGE_BYTES:
        # Say so before parsing: the size is the real problem, whatever the header says.
        raise ValueError(
            f"{field}: {label} is {_human_size(len(data))} ({len(data)} bytes); it must be smaller than "
            f"{MAX_IMAGE_BYTES} bytes (20 MB)"
        )
    info = _checked(data, field=field, where=label)
    return ResolvedImage(_data_url(info, data), info, f"{label} ({info.describe()})")


def _too_big(field: str) -> Callable[[str, int], str]:
    return lambda where, size: (
        f"{field}: {where} is {_human_size(size)} ({size} bytes); it must be smaller than "
        f"{MAX_IMAGE_BYTES} bytes (20 MB)"
    )


def _from_file(path: Path, *, field: str) -> ResolvedImage:
    data = read_local_file(path, field=field, max_bytes=MAX_IMAGE_BYTES - 1, too_big=_too_big(field))
    return _from_bytes(data, field=field, label=f"local file {path.expanduser()}")


def _from_data_url(url: str, *, field: str) -> ResolvedImage:
    match = _DATA_URL.match(url)
    if not match:
        raise ValueError(f"{field}: malformed data URL; expected data:image/<type>;base64,<data>")
    mime, params, payload = match.groups()
    if not mime.strip().lower().startswith("image/"):
        raise ValueError(
            f"{field}: data URL has media type {mime!r}; expected image/jpeg, image/png or image/webp"
        )
    if ";base64" not in params.lower():
        raise ValueError(f"{field}: data URL must be base64-encoded (data:image/<type>;base64,<data>)")
    try:
        data = _decode_base64(payload)
    except (binascii.Error, ValueError):
        raise ValueError(f"{field}: data URL payload is not valid base64") from None
    return _from_bytes(data, field=field, label="data URL")


def _from_s3(url: str, *, field: str, aws_conn_id: str | None) -> ResolvedImage:
    data, where = read_s3_object(
        url, field=field, aws_conn_id=aws_conn_id, max_bytes=MAX_IMAGE_BYTES - 1, too_big=_too_big(field)
    )
    return _from_bytes(data, field=field, label=where)


def _looks_like_bare_base64(text: str) -> bool:
    """True for base64 of an image pasted without its ``data:`` prefix (as the guide's helper makes)."""
    if len(text) < _BARE_BASE64_MIN_CHARS or not _BASE64_TEXT.match(text):
        return False
    try:
        head = _decode_base64("".join(text.split())[:64])
    except (binascii.Error, ValueError):
        return False
    return _sniff(head) is not None or _other_format(head) is not None


def resolve_image(source: object, *, field: str, aws_conn_id: str | None = "aws_default") -> ResolvedImage:
    """Turn any accepted image form into the string MiniMax expects, checking it on the way.

    ``http(s)`` URLs are returned unchanged and unchecked; everything else is read, validated
    and returned as a ``data:image/<type>;base64,`` URL whose type follows the magic bytes.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(source), field=field, label="bytes")
    if isinstance(source, os.PathLike):
        return _from_file(Path(os.fspath(source)), field=field)
    if not isinstance(source, str):
        raise ValueError(f"{field}: got a {type(source).__name__}; expected {_ACCEPTED_FORMS}")
    text = source.strip()
    if not text:
        raise ValueError(f"{field}: empty string; expected {_ACCEPTED_FORMS}")
    scheme_match = _SCHEME.match(text)
    scheme = scheme_match.group(1).lower() if scheme_match else ""
    if scheme in ("http", "https"):
        if not urlsplit(text).netloc:
            raise ValueError(f"{field}: URL {describe_url(text)!r} has no host")
        return ResolvedImage(text, None, describe_url(text))
    if scheme == "data":
        return _from_data_url(text, field=field)
    if scheme == "s3":
        return _from_s3(text, field=field, aws_conn_id=aws_conn_id)
    if scheme_match and text[len(scheme) + 1 : len(scheme) + 3] == "//":
        raise ValueError(
            f"{field}: unsupported URL scheme {scheme!r} in {describe_url(text)!r}; expected {_ACCEPTED_FORMS}"
        )
    if _looks_like_bare_base64(text):
        try:
            data = _decode_base64(text)
        except (binascii.Error, ValueError):
            raise ValueError(f"{field}: base64 string is not valid base64") from None
        return _from_bytes(data, field=field, label="base64 string")
    return _from_file(Path(text), field=field)
