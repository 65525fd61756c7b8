"""The sandbox's sound: one committed AAC-LC stereo loop, and the MP4 boxes that describe it.

MiniMax-H3 outputs always carry stereo audio (contract §3.2), and a regeneration's ``base_video`` must
have it (§4.2), so the sandbox's H3 videos need a real, decodable AAC track. ``clips/audio.aac`` holds
about two seconds of silence as an ADTS stream (a few hundred bytes, encoded once by
``scripts/make_sandbox_clips.py``); ``sandbox/mp4.py`` plays its frames back to back for the video's
whole duration, as it does with the picture. Reading ADTS needs no codec: each frame's 7-byte header
gives its length and the stream's profile, sample rate and channel count, which is everything the
``mp4a`` sample entry and its ``esds`` descriptor carry.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from pathlib import Path

AUDIO_CLIP = Path(__file__).with_name("clips") / "audio.aac"

SAMPLES_PER_FRAME = 1024
"""PCM samples per channel in one AAC-LC frame."""

_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


@dataclass(frozen=True)
class AudioClip:
    """The committed loop: its decoder configuration and its raw AAC frames (ADTS headers removed)."""

    object_type: int
    rate_index: int
    channels: int
    frames: tuple[bytes, ...]

    @property
    def sample_rate(self) -> int:
        return _RATES[self.rate_index]

    @property
    def specific_config(self) -> bytes:
        """ISO/IEC 14496-3 AudioSpecificConfig: object type, rate index, channel configuration."""
        bits = (self.object_type << 11) | (self.rate_index << 7) | (self.channels << 3)
        return struct.pack(">H", bits)


def parse_adts(stream: bytes, name: str = "ADTS stream") -> AudioClip:
    """The frames of an ADTS stream of one configuration, one raw data block per frame."""
    frames: list[bytes] = []
    config: tuple[int, int, int] | None = None
    pos = 0
    while pos < len(stream):
        head = stream[pos : pos + 7]
        if len(head) < 7 or head[0] != 0xFF or head[1] & 0xF6 != 0xF0:
            raise ValueError(f"{name}: no ADTS frame header at byte {pos}")
        header_size = 7 if head[1] & 1 else 9  # protection_absent, else a 2-byte CRC follows
        length = ((head[3] & 0x03) << 11) | (head[4] << 3) | (head[5] >> 5)
        this = ((head[2] >> 6) + 1, (head[2] >> 2) & 0x0F, ((head[2] & 1) << 2) | (head[3] >> 6))
        if head[6] & 0x03 or length <= header_size or pos + length > len(stream):
            raise ValueError(f"{name}: unsupported or truncated ADTS frame at byte {pos}")
        if config is not None and this != config:
            raise ValueError(f"{name}: the stream changes its configuration at byte {pos}")
        config = this
        frames.append(stream[pos + header_size : pos + length])
        pos += length
    if config is None or config[1] >= len(_RATES) or not 1 <= config[2] <= 7:
        raise ValueError(f"{name}: no usable AAC frames")
    return AudioClip(*config, frames=tuple(frames))


@functools.lru_cache(maxsize=1)
def load_audio_clip() -> AudioClip:
    return parse_adts(AUDIO_CLIP.read_bytes(), AUDIO_CLIP.name)


def audio_frame_count(clip: AudioClip, duration_s: float) -> int:
    """AAC frames that last ``duration_s``, to the nearest frame (within half a frame, 10.7 ms at 48 kHz)."""
    return max(1, round(duration_s * clip.sample_rate / SAMPLES_PER_FRAME))


def _descriptor(tag: int, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return bytes([tag, len(payload)]) + payload  # every descriptor here is under 128 bytes


def es_descriptor(clip: AudioClip) -> bytes:
    """The ES_Descriptor an ``esds`` box holds (ISO/IEC 14496-1): MPEG-4 audio and its decoder config."""
    bitrate = sum(map(len, clip.frames)) * 8 * clip.sample_rate // (SAMPLES_PER_FRAME * len(clip.frames))
    decoder_config = _descriptor(
        0x04,
        bytes([0x40, 0x15]),  # object type MPEG-4 audio; stream type audio (5 << 2 | reserved bit)
        max(map(len, clip.frames)).to_bytes(3, "big"),  # bufferSizeDB
        struct.pack(">II", bitrate, bitrate),  # maximum and average bit rate
        _descriptor(0x05, clip.specific_config),
    )
    return _descriptor(0x03, struct.pack(">HB", 0, 0), decoder_config, _descriptor(0x06, b"\x02"))
