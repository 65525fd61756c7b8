"""Header forms the HTTP tests do not reach: MP3 with a Xing frame count, WebP's lossy and lossless
headers, JPEG behind other segments, version-1 MP4 boxes and 64-bit box sizes."""

from __future__ import annotations

import struct

import pytest

from airflow_provider_hailuo.sandbox.v2.media import MediaError, probe_audio, probe_image, probe_video

from . import media_files as mf


def test_mp3_duration_from_the_xing_frame_count() -> None:
    first = bytearray(b"\xff\xfb\x90\x00" + b"\x00" * 413)
    first[36:48] = b"Xing" + struct.pack(">II", 1, 383)  # 383 frames of 1152 samples at 44.1 kHz
    data = bytes(first) + b"\xff\xfb\x90\x00" + b"\x00" * 413  # only two frames present
    assert probe_audio(data).duration == pytest.approx(383 * 1152 / 44100)


def test_mp3_needs_two_consecutive_frames() -> None:
    with pytest.raises(MediaError):
        probe_audio(b"\x00" * 100 + b"\xff\xfb\x90\x00" + b"\x00" * 500 + b"junk" * 200)


def test_webp_lossy_and_lossless_sizes() -> None:
    lossy = b"RIFF" + b"\x00" * 4 + b"WEBPVP8 " + b"\x00" * 10 + struct.pack("<HH", 800, 600)
    assert (probe_image(lossy).width, probe_image(lossy).height) == (800, 600)
    bits = (1024 - 1) | ((512 - 1) << 14)
    lossless = b"RIFF" + b"\x00" * 4 + b"WEBPVP8L" + b"\x00" * 5 + struct.pack("<I", bits)
    assert (probe_image(lossless).width, probe_image(lossless).height) == (1024, 512)


def test_jpeg_size_after_other_segments() -> None:
    exif = b"\xff\xe1" + struct.pack(">H", 6) + b"Exif"
    data = mf.jpeg(300, 700)
    data = data[:2] + exif + data[2:]
    info = probe_image(data)
    assert (info.format, info.width, info.height) == ("jpeg", 300, 700)


def test_version_1_boxes_and_64_bit_sizes() -> None:
    data = bytearray(mf.mp4(1280, 720, 3.0, audio=False))
    moov = data.index(b"moov") - 4
    # Re-encode mvhd as version 1 (64-bit times) and wrap moov in a 64-bit size header.
    mvhd_at = data.index(b"mvhd") - 4
    size = struct.unpack_from(">I", data, mvhd_at)[0]
    old = bytes(data[mvhd_at : mvhd_at + size])
    timescale, duration = struct.unpack_from(">II", old, 20)
    new_body = b"\x01\x00\x00\x00" + struct.pack(">QQIQ", 0, 0, timescale, duration) + old[28:]
    new = struct.pack(">I", 8 + len(new_body)) + b"mvhd" + new_body
    moov_size = struct.unpack_from(">I", data, moov)[0]
    body = bytes(data[moov + 8 : moov + moov_size]).replace(old, new)
    wrapped = struct.pack(">I", 1) + b"moov" + struct.pack(">Q", 16 + len(body)) + body
    info = probe_video(bytes(data[:moov]) + wrapped + bytes(data[moov + moov_size :]))
    assert (info.width, info.height, info.has_audio) == (1280, 720, False)
    assert info.duration == pytest.approx(3.0)
    assert info.fps == pytest.approx(24.0)
