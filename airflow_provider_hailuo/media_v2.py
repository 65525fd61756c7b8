"""MiniMax-H3 media inputs (frames and reference images, videos, audios): read, measure, check (§3.5).

MiniMax fetches and measures every input only after it has accepted the request, and a refusal then
costs a failed task and a wasted wait. So every input the worker can see (a local file, bytes, an
``s3://`` object or an inline ``data:`` URL) is read here and held to the limits of contract §3.5
before anything is sent: format by the bytes' own signature, size, pixels and aspect for images and
videos, codecs and frame rate for videos, the 2-15 s clip length and the 15 s total for videos and
audios. ``http(s)`` URLs and ``mm_file://`` ids are passed on unread, as in v1: the worker's network is
not MiniMax's, and an uploaded file is MiniMax's own.

The limits differ from v1's image rules (``images.py``): 30 MB instead of 20, sides of 256-5760 px,
HEIC and HEIF accepted. The headers are read by :mod:`airflow_provider_hailuo.media_probe`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_hailuo.media_probe import PROBES, MediaError, MediaInfo
from airflow_provider_hailuo.media_sources import human_size, read_local_file, read_s3_object
from airflow_provider_hailuo.redaction import describe_url

#: Largest file of each kind. MiniMax writes "MB" without saying which; 10^6 is the safe reading.
MAX_BYTES: Mapping[str, int] = {"image": 30_000_000, "video": 50_000_000, "audio": 15_000_000}
#: The whole create body, base64 included; MiniMax advises URLs or ``mm_file://`` ids beyond it.
MAX_BODY_BYTES = 64_000_000
MIN_SIDE, MAX_SIDE = 256, 5760
MIN_ASPECT, MAX_ASPECT = 0.4, 2.5
MIN_CLIP_SECONDS, MAX_CLIP_SECONDS, MAX_TOTAL_SECONDS = 2.0, 15.0, 15.0
MIN_FPS, MAX_FPS = 23.976, 60.0
VIDEO_CODECS = {"avc1": "H.264", "avc3": "H.264", "hvc1": "H.265", "hev1": "H.265"}
AUDIO_IN_VIDEO_CODECS = {"mp4a", ".mp3", "mp3 "}
#: The MIME subtype each format is sent as inline. Only mp4 is named for video data URLs, so a MOV
#: file has to reach MiniMax by URL or ``mm_file://`` id.
DATA_URL_SUBTYPES: Mapping[str, Mapping[str, str]] = {
    "image": {"jpeg": "jpeg", "png": "png", "webp": "webp", "heic": "heic", "heif": "heif"},
    "video": {"mp4": "mp4"},
    "audio": {"wav": "wav", "mp3": "mp3"},
}
#: What a data URL may declare; ``audio/mpeg`` is sent as ``audio/mp3``, as MiniMax's own CLI does.
DECLARED_SUBTYPES: Mapping[str, tuple[str, ...]] = {
    "image": ("jpeg", "jpg", "png", "webp", "heic", "heif"),
    "video": ("mp4",),
    "audio": ("mp3", "mpeg", "wav", "x-wav", "wave"),
}
_DATA_URL = re.compile(r"^data:([A-Za-z]+)/([A-Za-z0-9.+-]+)((?:;[^,;]*)*),(.*)$", re.DOTALL)
_ACCEPTED = (
    "a local file path, bytes, an http(s):// URL, a data:{kind}/...;base64,... URL, an s3://bucket/key URL "
    "or mm_file://<file id>"
)


class CheckedMediaURL(str):
    """A wire URL this module has already read and checked, with what it measured.

    A ``str`` so it goes into the request body as is; the validation of the body sees the type and
    does not decode megabytes of base64 a second time.
    """

    info: MediaInfo | None
    label: str

    def __new__(cls, url: str, info: MediaInfo | None, label: str) -> CheckedMediaURL:
        made = super().__new__(cls, url)
        made.info = info
        made.label = label
        return made


def _describe(info: MediaInfo) -> str:
    parts = [info.format.upper() + (f" {info.width}x{info.height}" if info.width and info.height else "")]
    if info.duration is not None:
        parts.append(f"{info.duration:.2f} s")
    if info.fps:
        parts.append(f"{info.fps:.3g} fps")
    parts.append(human_size(info.size))
    return ", ".join(parts)


def _check_visual(field: str, label: str, info: MediaInfo) -> None:
    if info.width is None or info.height is None:
        return
    if not (MIN_SIDE <= info.width <= MAX_SIDE and MIN_SIDE <= info.height <= MAX_SIDE):
        raise ValueError(
            f"{field}: {label} is {info.width}x{info.height} px; each side must be {MIN_SIDE}-{MAX_SIDE} px"
        )
    aspect = info.width / info.height
    if not MIN_ASPECT <= aspect <= MAX_ASPECT:
        raise ValueError(
            f"{field}: {label} is {info.width}x{info.height} px (width/height {aspect:.2f}); width/height "
            f"must be between {MIN_ASPECT} and {MAX_ASPECT}"
        )


def _check_clip(field: str, label: str, info: MediaInfo) -> None:
    if info.duration is not None and not MIN_CLIP_SECONDS <= info.duration <= MAX_CLIP_SECONDS:
        raise ValueError(
            f"{field}: {label} lasts {info.duration:.2f} s; each clip must last "
            f"{MIN_CLIP_SECONDS:g}-{MAX_CLIP_SECONDS:g} s"
        )


def _check_video(field: str, label: str, info: MediaInfo) -> None:
    codecs = set(info.codecs)
    if not codecs & set(VIDEO_CODECS):
        found = ", ".join(sorted(c.strip() for c in codecs - AUDIO_IN_VIDEO_CODECS)) or "none"
        raise ValueError(f"{field}: {label} has video codec {found}; MiniMax takes H.264/AVC or H.265/HEVC")
    if info.has_audio and not codecs & AUDIO_IN_VIDEO_CODECS:
        raise ValueError(f"{field}: {label} has an audio track that is neither AAC nor MP3")
    if info.fps is not None and not MIN_FPS - 0.001 <= info.fps <= MAX_FPS + 0.001:
        raise ValueError(f"{field}: {label} runs at {info.fps:.3f} fps; {MIN_FPS}-{MAX_FPS:g} fps allowed")


def check_media_bytes(data: bytes, *, kind: str, field: str, label: str) -> MediaInfo:
    """Measure ``data`` as an image, video or audio and apply §3.5's per-file limits to it."""
    if not data:
        raise ValueError(f"{field}: {label} is empty")
    limit = MAX_BYTES[kind]
    if len(data) > limit:
        raise ValueError(
            f"{field}: {label} is {human_size(len(data))} ({len(data)} bytes); a {kind} may be at most "
            f"{limit} bytes ({limit // 1_000_000} MB)"
        )
    try:
        info = PROBES[kind](data)
    except MediaError as err:
        raise ValueError(f"{field}: {label} {err}") from None
    if kind in ("image", "video"):
        _check_visual(field, label, info)
    if kind == "video":
        _check_video(field, label, info)
    if kind in ("video", "audio"):
        _check_clip(field, label, info)
    return info


def _inline(data: bytes, *, kind: str, field: str, label: str) -> CheckedMediaURL:
    info = check_media_bytes(data, kind=kind, field=field, label=label)
    subtype = DATA_URL_SUBTYPES[kind].get(info.format)
    if subtype is None:
        raise ValueError(
            f"{field}: {label} is {info.format.upper()}; inline {kind}s must be "
            f"{' or '.join(s.upper() for s in DATA_URL_SUBTYPES[kind])}: give a {info.format.upper()} file "
            "as an http(s) URL or an mm_file:// id"
        )
    url = f"data:{kind}/{subtype};base64,{base64.b64encode(data).decode('ascii')}"
    return CheckedMediaURL(url, info, f"{label} ({_describe(info)})")


def _from_data_url(text: str, *, kind: str, field: str) -> CheckedMediaURL:
    match = _DATA_URL.match(text)
    allowed = "|".join(DECLARED_SUBTYPES[kind])
    if match is None or ";base64" not in match.group(3).lower():
        raise ValueError(f"{field}: malformed data URL; expected data:{kind}/<{allowed}>;base64,<data>")
    major, subtype = match.group(1).lower(), match.group(2).lower()
    if major != kind or subtype not in DECLARED_SUBTYPES[kind]:
        raise ValueError(f"{field}: data URL of type {major}/{subtype}; expected data:{kind}/<{allowed}>")
    payload = "".join(match.group(4).split())
    limit = MAX_BYTES[kind]
    if len(payload) > (limit // 3 + 1) * 4:  # said before decoding megabytes that are too many anyway
        raise ValueError(
            f"{field}: data URL holds more than {limit} bytes; a {kind} may be at most {limit // 1_000_000} MB"
        )
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{field}: data URL payload is not valid base64") from None
    return _inline(data, kind=kind, field=field, label="data URL")


def _mm_file(field: str, text: str) -> CheckedMediaURL:
    ident = text[len("mm_file://") :]
    if not ident.isdigit():
        raise ValueError(f"{field}: expected mm_file://<numeric file id>, got {describe_url(text)!r}")
    return CheckedMediaURL("mm_file://" + ident, None, f"mm_file://{ident}")


def resolve_media(
    source: object, *, kind: str, field: str, aws_conn_id: str | None = "aws_default"
) -> CheckedMediaURL:
    """Any accepted form of an H3 input as the URL to send, read and checked where the worker can.

    :param kind: ``image``, ``video`` or ``audio``.
    """
    if isinstance(source, CheckedMediaURL):
        return source
    accepted = _ACCEPTED.format(kind=kind)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _inline(bytes(source), kind=kind, field=field, label="bytes")
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str):
        raise ValueError(f"{field}: got a {type(source).__name__}; expected {accepted}")
    text = source.strip()
    if not text:
        raise ValueError(f"{field}: empty string; expected {accepted}")
    lowered = text[:16].lower()
    if lowered.startswith(("http://", "https://")):
        if not re.match(r"^https?://[^/?#\s]+", text, re.IGNORECASE):
            raise ValueError(f"{field}: URL {describe_url(text)!r} has no host")
        return CheckedMediaURL(text, None, describe_url(text))
    if lowered.startswith("mm_file://"):
        return _mm_file(field, text)
    if lowered.startswith("data:"):
        return _from_data_url(text, kind=kind, field=field)
    if lowered.startswith("s3://"):
        data, where = read_s3_object(text, field=field, aws_conn_id=aws_conn_id, max_bytes=MAX_BYTES[kind])
        return _inline(data, kind=kind, field=field, label=where)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text):
        raise ValueError(f"{field}: unsupported URL {describe_url(text)!r}; expected {accepted}")
    path = Path(text)
    data = read_local_file(path, field=field, max_bytes=MAX_BYTES[kind])
    return _inline(data, kind=kind, field=field, label=f"local file {path.expanduser()}")


#: §4.2: a base video must look exactly like an H3 768P output.
BASE_VIDEO_FPS = 24.0
BASE_VIDEO_MIN_AREA, BASE_VIDEO_MAX_AREA = 768 * 768, 768 * 1344
BASE_VIDEO_MIN_FRAMES, BASE_VIDEO_MAX_FRAMES, BASE_VIDEO_FRAME_STEP = 107, 362, 17


def check_base_video(checked: CheckedMediaURL) -> CheckedMediaURL:
    """§4.2's rules for a regeneration's ``base_video``, where the worker could read it.

    The area floor (768x768) comes from a third-party client and a compilation, the ceiling from the
    docs (conflict C9): both are enforced, so a video accepted here is accepted there.
    """
    info, label = checked.info, checked.label
    if info is None:
        return checked
    field = "base_video"
    if not info.has_audio:
        raise ValueError(f"{field}: {label} has no audio track; an H3 768P video always has one")
    if info.fps is None or abs(info.fps - BASE_VIDEO_FPS) > 0.01:
        raise ValueError(f"{field}: {label} is not 24 fps; an H3 768P video is")
    width, height = info.width or 0, info.height or 0
    if width % 32 or height % 32:
        raise ValueError(f"{field}: {label}: width and height must be multiples of 32, got {width}x{height}")
    if not BASE_VIDEO_MIN_AREA <= width * height <= BASE_VIDEO_MAX_AREA:
        raise ValueError(
            f"{field}: {label} has {width * height} px; {BASE_VIDEO_MIN_AREA}-{BASE_VIDEO_MAX_AREA} px allowed "
            "(an H3 768P frame)"
        )
    frames = info.frames
    if (
        frames is None
        or not BASE_VIDEO_MIN_FRAMES <= frames <= BASE_VIDEO_MAX_FRAMES
        or (frames - BASE_VIDEO_MIN_FRAMES) % BASE_VIDEO_FRAME_STEP
    ):
        raise ValueError(
            f"{field}: {label} has {frames} frames; {BASE_VIDEO_MIN_FRAMES}-{BASE_VIDEO_MAX_FRAMES} in steps "
            f"of {BASE_VIDEO_FRAME_STEP} allowed (an H3 768P video)"
        )
    return checked


def check_total_durations(field: str, items: Iterable[str]) -> None:
    """§3.5: reference videos, and reference audios, may last 15 s in all (each list on its own)."""
    total = sum(
        item.info.duration
        for item in items
        if isinstance(item, CheckedMediaURL) and item.info is not None and item.info.duration is not None
    )
    if total > MAX_TOTAL_SECONDS + 1e-6:
        raise ValueError(
            f"{field}: the clips last {total:.2f} s in all; at most {MAX_TOTAL_SECONDS:g} s allowed"
        )


def check_body_size(body: Mapping[str, Any]) -> None:
    """§3.5: the whole request body, inline media included, must stay under 64 MB."""
    size = len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise ValueError(
            f"content: the request body would be {human_size(size)} ({size} bytes); MiniMax takes at most "
            f"{MAX_BODY_BYTES} bytes (64 MB). Give large inputs as http(s) URLs or mm_file:// ids instead of "
            "local files, bytes or data URLs"
        )


@dataclass(frozen=True)
class MediaKind:
    """One media parameter of the H3 create call."""

    field: str
    kind: str


#: The H3 parameters that carry media, in the order they go into ``content``.
FRAME_FIELDS = (MediaKind("first_frame_image", "image"), MediaKind("last_frame_image", "image"))
REFERENCE_FIELDS = (
    MediaKind("reference_images", "image"),
    MediaKind("reference_videos", "video"),
    MediaKind("reference_audios", "audio"),
)
