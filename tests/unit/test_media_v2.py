"""MiniMax-H3 media inputs: every form read, every §3.5 limit checked before anything is sent."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_hailuo.media_v2 import CheckedMediaURL, resolve_media
from airflow_provider_hailuo.request import prepare_video_generation_payload
from tests.helpers import FakeStore, context, op
from tests.sandbox.media_files import data_url, heic, jpeg, mp3, mp4, png, wav, webp

IMG = "https://example.com/a.png"


def build(**kw: Any) -> dict[str, Any]:
    kw.setdefault("model", "MiniMax-H3")
    kw.setdefault("prompt", "a cat")
    return prepare_video_generation_payload(**kw)


def _urls(body: dict[str, Any]) -> list[str]:
    return [item[item["type"]]["url"] for item in body["content"] if item["type"] != "text"]


def test_local_files_and_bytes_are_sent_inline_as_their_real_type(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(mp4(1280, 720, 4.0))
    (tmp_path / "face.jpg").write_bytes(png(640, 640))  # a PNG named .jpg: the bytes decide
    body = build(
        reference_images=[str(tmp_path / "face.jpg"), heic(640, 480)],
        reference_videos=[tmp_path / "clip.mp4"],
        reference_audios=[wav(3.0)],
    )
    urls = _urls(body)
    assert [u.split(";")[0] for u in urls] == [
        "data:image/png",
        "data:image/heic",
        "data:video/mp4",
        "data:audio/wav",
    ]
    assert base64.b64decode(urls[2].split(",", 1)[1]) == mp4(1280, 720, 4.0)


def test_h3_images_follow_h3_limits_not_v1s() -> None:
    # 280 px: under v1's 300 px floor, inside H3's 256-5760; HEIC is refused by v1, taken by H3.
    body = build(first_frame_image=png(280, 400))
    assert _urls(body)[0].startswith("data:image/png;base64,")
    big = png(640, 640) + b"\0" * 25_000_000  # 25 MB: over v1's 20 MB, under H3's 30 MB
    assert resolve_media(big, kind="image", field="f").startswith("data:image/png;base64,")
    with pytest.raises(ValueError, match=r"first_frame_image: .*HEIC"):
        prepare_video_generation_payload(
            model="MiniMax-Hailuo-02", prompt="x", first_frame_image=heic(640, 480)
        )


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (
            {"reference_images": [png(200, 640)]},
            r"reference_images\[0\]: bytes is 200x640 px; each side must be 256-5760",
        ),
        (
            {"reference_images": [png(2600, 1000)]},
            r"reference_images\[0\]: .*width/height 2.60.*between 0.4 and 2.5",
        ),
        (
            {"reference_images": [b"GIF89a" + b"\0" * 64]},
            r"reference_images\[0\]: bytes is not a JPEG, PNG, WEBP",
        ),
        (
            {"reference_images": [png(640, 640) + b"\0" * 30_000_001]},
            r"reference_images\[0\]: .*at most 30000000 bytes",
        ),
        (
            {"reference_videos": [mp4(1280, 720, 4.0, fps=70)]},
            r"reference_videos\[0\]: .*70.000 fps; 23.976-60 fps",
        ),
        (
            {"reference_videos": [mp4(1280, 720, 4.0, codec=b"mp4v")]},
            r"reference_videos\[0\]: .*codec mp4v; .*H.264",
        ),
        ({"reference_videos": [mp4(1280, 720, 4.0, audio_codec=b"opus")]}, r"neither AAC nor MP3"),
        (
            {"reference_videos": [mp4(1280, 720, 1.0)]},
            r"reference_videos\[0\]: bytes lasts 1.00 s; each clip must last 2-15",
        ),
        ({"reference_videos": [mp4(1280, 720, 16.0)]}, r"lasts 16.00 s"),
        ({"reference_videos": [mp4(200, 720, 4.0)]}, r"reference_videos\[0\]: bytes is 200x720 px"),
        (
            {"reference_videos": [mp4(1280, 720, 8.0), mp4(1280, 720, 8.0)]},
            r"reference_videos: the clips last 16.00 s in all; at most 15",
        ),
        (
            {"reference_videos": [mp4(1280, 720, 4.0, brand=b"qt  ")]},
            r"bytes is MOV; inline videos must be MP4: give a MOV file as an http\(s\) URL",
        ),
        ({"reference_audios": [wav(1.0)]}, r"reference_audios\[0\]: bytes lasts 1.00 s"),
        ({"reference_audios": [mp3(8.0), wav(8.0)]}, r"reference_audios: the clips last 16.\d\d s in all"),
        ({"reference_audios": [png(640, 640)]}, r"reference_audios\[0\]: bytes is not a WAV or MP3 file"),
        (
            {"reference_audios": [data_url("audio/wav", mp4())]},
            r"reference_audios\[0\]: data URL is not a WAV or MP3",
        ),
        (
            {"reference_videos": [data_url("audio/wav", wav(3.0))]},
            r"reference_videos\[0\]: data URL of type audio/wav; expected data:video/<mp4>",
        ),
        (
            {"reference_videos": ["data:video/mp4;base64,@@@"]},
            r"reference_videos\[0\]: data URL payload is not valid base64",
        ),
        ({"reference_videos": ["ftp://example.com/a.mp4"]}, r"reference_videos\[0\]: unsupported URL"),
        ({"reference_audios": [b""]}, r"reference_audios\[0\]: bytes is empty"),
        ({"reference_videos": [3]}, r"reference_videos\[0\]: got a int"),
    ],
)
def test_media_limits_are_refused_naming_the_item(kw: dict[str, Any], match: str) -> None:
    if "reference_audios" in kw and "reference_images" not in kw:
        kw["reference_images"] = [IMG]
    with pytest.raises(ValueError, match=match):
        build(**kw)


def test_the_whole_body_must_stay_under_64_mb() -> None:
    big = mp4(1280, 720, 4.0, padding=24_000_000)  # 24 MB each: each allowed, 96 MB of base64 is not
    with pytest.raises(
        ValueError, match=r"content: the request body would be .*64 MB.*http\(s\) URLs or mm_file://"
    ):
        build(reference_videos=[big, big])


def test_urls_and_uploaded_files_pass_unread() -> None:
    body = build(
        reference_videos=["https://cdn.example.com/clip.mov", "mm_file://42"], reference_images=[IMG]
    )
    assert _urls(body) == [IMG, "https://cdn.example.com/clip.mov", "mm_file://42"]
    checked = resolve_media(jpeg(640, 480), kind="image", field="x")
    assert isinstance(checked, CheckedMediaURL) and checked.label.startswith("bytes (JPEG 640x480")
    assert resolve_media(checked, kind="image", field="x") is checked  # never decoded twice


def test_a_bad_input_costs_nothing(sandbox: Any, tmp_path: Path) -> None:
    clip = tmp_path / "fast.mp4"
    clip.write_bytes(mp4(1280, 720, 4.0, fps=90))
    with pytest.raises(
        AirflowFailException, match=r"reference_videos\[0\]: local file .*fast.mp4 .*90.000 fps"
    ):
        op(model="MiniMax-H3", reference_images=[IMG], reference_videos=[str(clip)]).execute(
            context(FakeStore())
        )
    assert sandbox.stats()["v2"]["create_calls"] == 0


@pytest.mark.parametrize(
    ("video", "match"),
    [
        (mp4(1344, 768, frames=124, audio=False), "has no audio track"),
        (mp4(1344, 768, frames=124, fps=30), "is not 24 fps"),
        (mp4(1350, 768, frames=124), "multiples of 32, got 1350x768"),
        (mp4(1344, 832, frames=124), "has 1118208 px; 589824-1032192"),
        (mp4(1344, 768, frames=120), "has 120 frames; 107-362 in steps of 17"),
    ],
)
def test_a_local_base_video_must_look_like_an_h3_768p_output(video: bytes, match: str) -> None:
    from airflow_provider_hailuo.request import prepare_regeneration_body

    with pytest.raises(ValueError, match=f"base_video: bytes .*{match}"):
        prepare_regeneration_body(model="MiniMax-H3", base_video=video, prompt="the final prompt")
    body = prepare_regeneration_body(model="MiniMax-H3", base_video=mp4(1344, 768, frames=124), prompt="p")
    assert body["content"][-1]["role"] == "base_video"


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("image", png(640, 480)),
        ("image", jpeg(800, 600)),
        ("image", webp(700, 500)),
        ("image", heic(640, 480)),
        ("video", mp4()),
        ("video", mp4(1280, 720, 4.0, fps=30, audio=False)),
        ("video", mp4(brand=b"qt  ")),
        ("audio", wav(3.0)),
        ("audio", mp3(5.0)),
    ],
)
def test_the_provider_reads_media_as_the_sandbox_does(kind: str, data: bytes) -> None:
    """Two readers written apart (the sandbox must not share the client's assumptions) agree."""
    from airflow_provider_hailuo import media_probe
    from airflow_provider_hailuo.sandbox.v2 import media as sandbox_media

    fields = ("format", "width", "height", "duration", "fps", "frames", "codecs", "has_audio")
    ours, theirs = media_probe.PROBES[kind](data), sandbox_media.PROBES[kind](data)
    assert {f: getattr(ours, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
