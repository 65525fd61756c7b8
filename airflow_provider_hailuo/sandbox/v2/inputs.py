"""Loading and measuring the media of a v2 request, then the limits of contract §3.5 and §4.2.

A media URL is a data URI, an ``mm_file://`` id uploaded by the same account, or an http(s) URL that
the sandbox downloads (on loopback in tests), as MiniMax downloads it: the bytes decide the format,
never the URL or the declared type.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .errors import bad_request
from .media import PROBES, MediaError, MediaInfo
from .models import MAX_FRAMES, MIN_FRAMES, on_frame_grid
from .validation import Content, MediaItem

MB = 1024 * 1024
MAX_BYTES = {"image": 30 * MB, "video": 50 * MB, "audio": 15 * MB}
DATA_URL_TYPES = {
    "image": ("jpeg", "jpg", "png", "webp", "heic", "heif"),
    "video": ("mp4",),  # only mp4 is named for video data URIs
    # C-cli rewrites audio/mpeg to audio/mp3 before sending; the tokens the docs use are mp3 and wav.
    "audio": ("mp3", "wav"),
}
IMAGE_FORMATS = {"jpeg", "png", "webp", "heic", "heif"}
VIDEO_CODECS = {"avc1", "avc3", "hvc1", "hev1"}
AUDIO_IN_VIDEO_CODECS = {"mp4a", ".mp3", "mp3 "}
MIN_SIDE, MAX_SIDE = 256, 5760
MIN_ASPECT, MAX_ASPECT = 0.4, 2.5
MIN_CLIP_SECONDS, MAX_CLIP_SECONDS, MAX_TOTAL_SECONDS = 2.0, 15.0, 15.0
MIN_FPS, MAX_FPS = 23.976, 60.0
BASE_VIDEO_MAX_AREA = 768 * 1344
BASE_VIDEO_MIN_AREA = 768 * 768
"""C9: the docs give only the ceiling; a third-party client and a compilation add this floor. Both built."""

_DATA_URL = re.compile(r"^data:([a-z]+)/([a-z0-9.+-]+);base64,(.*)$", re.DOTALL)
_MM_FILE = re.compile(r"^mm_file://(\d+)$")

Fetch = Callable[[str, int], Awaitable[bytes]]
"""(url, byte limit) -> body; raises `MediaError` when the URL cannot be downloaded."""


@dataclass
class Measured:
    """What the usage and the output geometry need from the inputs."""

    image_count: int = 0
    video_seconds: float = 0.0
    audio_seconds: float | None = None
    first_visual: tuple[int, int] | None = None
    base_video: MediaInfo | None = None
    infos: list[MediaInfo | None] = field(default_factory=list)


class MediaLoader:
    """Resolves each URL form to bytes; one per request (it knows the caller's account)."""

    def __init__(
        self, *, upload: Callable[[int], bytes | None], fetch: Fetch | None, strict_content: bool
    ) -> None:
        self._upload = upload
        self._fetch = fetch
        self._strict = strict_content

    async def _bytes(self, item: MediaItem) -> bytes | None:
        limit = MAX_BYTES[item.kind]
        if item.url.startswith("data:"):
            match = _DATA_URL.match(item.url)
            allowed = DATA_URL_TYPES[item.kind]
            if match is None or match.group(1) != item.kind or match.group(2) not in allowed:
                raise bad_request(
                    f"{item.where} data URI must be data:{item.kind}/<{'|'.join(allowed)}>;base64,... "
                    "(lowercase)"
                )
            if len(match.group(3)) > math.ceil(limit / 3) * 4 + 4:
                raise bad_request(f"{item.where} is larger than {limit // MB}MB")
            try:
                return base64.b64decode(match.group(3), validate=True)
            except (binascii.Error, ValueError):
                raise bad_request(f"{item.where} is not valid base64") from None
        mm_file = _MM_FILE.match(item.url)
        if mm_file is not None:
            data = self._upload(int(mm_file.group(1)))
            if data is None:
                raise bad_request(f"{item.where}: file {mm_file.group(1)} not found (or expired)")
            return data
        if re.match(r"^https?://[^/?#]+", item.url) is None:
            raise bad_request(f"{item.where} must be an http(s) URL, an mm_file:// id or a data URI")
        if self._fetch is None:
            return None
        try:
            return await self._fetch(item.url, limit)
        except MediaError as exc:
            raise bad_request(f"{item.where}: {exc}") from None

    async def load(self, item: MediaItem) -> MediaInfo | None:
        """The measured file, or None when it was not fetched or (non-strict) cannot be read."""
        data = await self._bytes(item)
        if data is None:
            return None
        if not data:
            raise bad_request(f"{item.where} is empty")
        if len(data) > MAX_BYTES[item.kind]:
            raise bad_request(f"{item.where} is larger than {MAX_BYTES[item.kind] // MB}MB")
        try:
            return PROBES[item.kind](data)
        except MediaError as exc:
            if self._strict:
                raise bad_request(f"{item.where} {exc}") from None
            return None


def _check_visual(where: str, info: MediaInfo) -> None:
    if info.width is None or info.height is None:
        return
    if not (MIN_SIDE <= info.width <= MAX_SIDE and MIN_SIDE <= info.height <= MAX_SIDE):
        raise bad_request(
            f"{where} is {info.width}x{info.height}; each side must be {MIN_SIDE}-{MAX_SIDE} px"
        )
    if not MIN_ASPECT <= info.width / info.height <= MAX_ASPECT:
        raise bad_request(f"{where} has aspect {info.width}:{info.height}; width/height must be 0.4-2.5")


def _check_clip(where: str, info: MediaInfo) -> None:
    if info.duration is not None and not MIN_CLIP_SECONDS <= info.duration <= MAX_CLIP_SECONDS:
        raise bad_request(f"{where} lasts {info.duration:.2f} s; each clip must last 2-15 s")


def _check_video(where: str, info: MediaInfo) -> None:
    codecs = set(info.codecs)
    if not codecs & VIDEO_CODECS:
        raise bad_request(f"{where} video must be H.264/AVC or H.265/HEVC, got {sorted(codecs)}")
    if info.has_audio and not codecs & AUDIO_IN_VIDEO_CODECS:
        raise bad_request(f"{where} audio must be AAC or MP3")
    if info.fps is not None and not MIN_FPS - 0.001 <= info.fps <= MAX_FPS + 0.001:
        raise bad_request(f"{where} runs at {info.fps:.3f} fps; 23.976-60 fps allowed")


def _check_base_video(where: str, info: MediaInfo) -> None:
    """§4.2: the base video must look exactly like an H3 768P output."""
    if not info.has_audio:
        raise bad_request(f"{where} (base_video) must have an audio track")
    if info.fps is None or abs(info.fps - 24) > 0.01:
        raise bad_request(f"{where} (base_video) must be 24 fps")
    w, h = info.width or 0, info.height or 0
    if w % 32 or h % 32:
        raise bad_request(f"{where} (base_video) is {w}x{h}; width and height must be multiples of 32")
    if not BASE_VIDEO_MIN_AREA <= w * h <= BASE_VIDEO_MAX_AREA:
        raise bad_request(
            f"{where} (base_video) has {w * h} px; {BASE_VIDEO_MIN_AREA}-{BASE_VIDEO_MAX_AREA} allowed"
        )
    if info.frames is None or not on_frame_grid(info.frames):
        raise bad_request(
            f"{where} (base_video) has {info.frames} frames; {MIN_FRAMES}-{MAX_FRAMES} in steps of 17 allowed"
        )


async def measure(content: Content, loader: MediaLoader) -> Measured:
    """Load every media item, apply the per-item and total limits, and sum what usage reports."""
    out = Measured()
    video_total = 0.0
    audio_total: float | None = None
    for item in content.media:
        info = await loader.load(item)
        out.infos.append(info)
        if item.kind == "image":
            out.image_count += 1
        if info is None:
            continue
        if item.kind == "image" and info.format not in IMAGE_FORMATS:  # pragma: no cover - probe's job
            raise bad_request(f"{item.where} format {info.format} is not allowed")
        if item.kind in ("image", "video"):
            _check_visual(item.where, info)
            if out.first_visual is None and info.width and info.height:
                out.first_visual = (info.width, info.height)
        if item.role == "base_video":
            _check_base_video(item.where, info)
            out.base_video = info
            continue
        if item.kind == "video":
            _check_video(item.where, info)
            _check_clip(item.where, info)
            video_total += info.duration or 0.0
        elif item.kind == "audio":
            _check_clip(item.where, info)
            audio_total = (audio_total or 0.0) + (info.duration or 0.0)
    if video_total > MAX_TOTAL_SECONDS + 1e-6:
        raise bad_request(f"reference videos last {video_total:.2f} s in all; at most 15 s allowed")
    if audio_total is not None and audio_total > MAX_TOTAL_SECONDS + 1e-6:
        raise bad_request(f"reference audios last {audio_total:.2f} s in all; at most 15 s allowed")
    if content.with_role("reference_audio") and audio_total is None:
        audio_total = 0.0
    out.video_seconds = video_total
    out.audio_seconds = audio_total
    return out
