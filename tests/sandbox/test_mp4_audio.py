"""The sandbox MP4's stereo AAC track (MiniMax-H3 outputs always carry one, contract §3.2): FFmpeg finds and
decodes it, it lasts as long as the picture, both media readers see it, and v1 files are unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from airflow_provider_hailuo import media_probe
from airflow_provider_hailuo.media_v2 import CheckedMediaURL, check_base_video
from airflow_provider_hailuo.sandbox.mp4 import (
    build_mp4_header,
    iter_video_bytes,
    mp4_header_size,
    mp4_min_size,
)
from airflow_provider_hailuo.sandbox.v2 import media as sandbox_media

from .ffmpeg_tools import decode_errors, streams

AAC_FRAME_SECONDS = 1024 / 48000

#: SHA-256 of v1 files computed by main's code before the audio track existed (commit 1746296):
#: a v1 output must stay video-only and byte-identical.
V1_FILES = [
    (("v1-seed", 1280, 720, 6, 300_000), "e62f48f7f40cc9b0204981096030637803944e1ac3d430ea5b56d661701ab85c"),
    (("v1-seed", 1920, 1080, 10, 6640), "c1ee38d9edfc4aeea6807f7da84285a34f3785928460b8d5c366227e411bee92"),
    (("v1-seed", 1366, 768, 6, 1 << 21), "ca89275d17215cd57edeb8a49c45647a63fcc6705acf033396c947716149e6d0"),
]


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "out.mp4"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("args", "sha256"), V1_FILES)
def test_v1_files_are_byte_identical_to_before_the_audio_track(args: tuple, sha256: str) -> None:
    assert hashlib.sha256(b"".join(iter_video_bytes(*args))).hexdigest() == sha256


@pytest.mark.parametrize(
    ("width", "height", "frames"),
    [(1344, 768, 124), (864, 480, 107), (768, 1344, 362), (640, 640, 24)],
)
def test_ffmpeg_finds_and_decodes_a_stereo_aac_track_as_long_as_the_picture(
    tmp_path: Path, width: int, height: int, frames: int
) -> None:
    duration = frames / 24
    size = mp4_min_size(width, height, duration, audio=True) + 1000
    path = _file(tmp_path, b"".join(iter_video_bytes("sound", width, height, duration, size, audio=True)))
    found = streams(path)
    video, audio = found["video"], found["audio"]
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", width, height)
    assert (int(video["nb_read_packets"]), video["r_frame_rate"]) == (frames, "24/1")
    assert float(video["duration"]) == pytest.approx(duration, abs=1e-3)
    assert (audio["codec_name"], audio["profile"], audio["channels"]) == ("aac", "LC", 2)
    assert (audio["channel_layout"], audio["sample_rate"]) == ("stereo", "48000")
    assert abs(float(audio["duration"]) - duration) <= AAC_FRAME_SECONDS
    assert int(audio["nb_read_packets"]) == round(duration / AAC_FRAME_SECONDS)
    assert decode_errors(path) == ""


def test_a_video_only_file_has_no_audio_stream(tmp_path: Path) -> None:
    path = _file(tmp_path, b"".join(iter_video_bytes("mute", 1344, 768, 124 / 24, 200_000)))
    assert set(streams(path)) == {"video"}


@pytest.mark.parametrize("total", [300_000, 5 << 30])
def test_sizes_header_and_ranges_agree_with_the_audio_track(total: int) -> None:
    duration = 124 / 24
    header = build_mp4_header(1344, 768, duration, total, audio=True)
    assert len(header) == mp4_header_size(1344, 768, duration, total, audio=True)
    assert len(header) > mp4_header_size(1344, 768, duration, total)  # the audio samples are in mdat
    assert mp4_min_size(1344, 768, duration, audio=True) < total
    if total > 1 << 30:
        return
    whole = b"".join(iter_video_bytes("r", 1344, 768, duration, total, audio=True))
    assert len(whole) == total and whole.startswith(header)
    for start, end in [(0, 1), (100, len(header) + 10), (len(header) - 3, total), (total - 5, total)]:
        piece = b"".join(iter_video_bytes("r", 1344, 768, duration, total, start, end, 7, audio=True))
        assert piece == whole[start:end]
    assert whole == b"".join(iter_video_bytes("r", 1344, 768, duration, total, audio=True))
    other = b"".join(iter_video_bytes("s", 1344, 768, duration, total, audio=True))
    assert other[: len(header)] == header and other != whole


@pytest.mark.parametrize(
    "probe", [media_probe.probe_video, sandbox_media.probe_video], ids=["provider", "sandbox"]
)
def test_both_media_readers_report_the_audio_track(probe: object) -> None:
    with_audio = b"".join(iter_video_bytes("a", 1344, 768, 124 / 24, 100_000, audio=True))
    info = probe(with_audio)  # type: ignore[operator]
    assert (info.has_audio, info.codecs, info.frames) == (True, ("avc1", "mp4a"), 124)
    assert info.fps == pytest.approx(24) and (info.width, info.height) == (1344, 768)
    silent = probe(b"".join(iter_video_bytes("a", 1344, 768, 124 / 24, 100_000)))  # type: ignore[operator]
    assert (silent.has_audio, silent.codecs) == (False, ("avc1",))


def test_a_sandbox_768p_output_passes_the_providers_base_video_check() -> None:
    data = b"".join(iter_video_bytes("b", 1344, 768, 124 / 24, 100_000, audio=True))
    checked = CheckedMediaURL("data:video/mp4;base64,", media_probe.probe_video(data), "draft")
    assert check_base_video(checked) is checked
    mute = CheckedMediaURL(
        "x", media_probe.probe_video(b"".join(iter_video_bytes("b", 1344, 768, 124 / 24, 100_000))), "draft"
    )
    with pytest.raises(ValueError, match="has no audio track"):
        check_base_video(mute)
