"""v2 (MiniMax-H3) request rules, checked before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_hailuo.catalogue import THIRD_PARTY, V2_MODELS, api_version_for
from airflow_provider_hailuo.request import prepare_video_generation_payload
from tests.sandbox.media_files import data_url, mp3

IMG = "https://example.com/a.png"
VID = "https://example.com/a.mp4"
AUD = "https://example.com/a.mp3"


def build(**kw: Any) -> dict[str, Any]:
    kw.setdefault("model", "MiniMax-H3")
    kw.setdefault("prompt", "a cat")
    return prepare_video_generation_payload(**kw)


def refused(match: str, **kw: Any) -> None:
    with pytest.raises(ValueError, match=match):
        build(**kw)


def test_catalogue_decides_the_api() -> None:
    assert api_version_for("MiniMax-H3") == "v2"
    assert api_version_for("MiniMax-H3-Future") == "v2"
    assert api_version_for("MiniMax-Hailuo-02") == "v1"
    assert V2_MODELS["MiniMax-H3-Lite"].source == THIRD_PARTY
    assert V2_MODELS["MiniMax-H3-Highspeed"].source == THIRD_PARTY
    assert V2_MODELS["MiniMax-H3"].source == "documented"


def test_text_to_video_body() -> None:
    body = build(duration="8", resolution="2k", ratio="9:16", aigc_watermark="true")
    assert body == {
        "model": "MiniMax-H3",
        "content": [{"type": "text", "text": "a cat"}],
        "resolution": "2K",
        "duration": 8,
        "ratio": "9:16",
        "aigc_watermark": True,
    }


def test_text_only_needs_a_concrete_ratio() -> None:
    refused("ratio: text-to-video needs a concrete ratio", ratio="adaptive")
    assert build()["ratio"] == "16:9"  # what MiniMax's clients send by default


def test_frames_map_to_content_items() -> None:
    body = build(first_frame_image=IMG, last_frame_image="mm_file://123")
    assert body["content"][1:] == [
        {"type": "image_url", "image_url": {"url": IMG}, "role": "first_frame"},
        {"type": "image_url", "image_url": {"url": "mm_file://123"}, "role": "last_frame"},
    ]
    assert "ratio" not in body


def test_references_map_to_content_items() -> None:
    body = build(
        reference_images=[IMG], reference_videos=[VID], reference_audios=[data_url("audio/mpeg", mp3(3.0))]
    )
    roles = [(c["type"], c.get("role")) for c in body["content"]]
    assert roles == [
        ("text", None),
        ("image_url", "reference_image"),
        ("video_url", "reference_video"),
        ("audio_url", "reference_audio"),
    ]
    assert body["content"][3]["audio_url"]["url"].startswith("data:audio/mp3;base64,")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"resolution": "1080P"}, "resolution: 1080P is not allowed for MiniMax-H3; allowed: 768P, 2K"),
        ({"model": "MiniMax-H3-Max", "resolution": "2K"}, "allowed: 480P, 768P"),
        (
            {"model": "MiniMax-H3-Max", "duration": 4},
            "duration: 4 s is not allowed for MiniMax-H3-Max; allowed: 5 to 15",
        ),
        ({"duration": 16}, "allowed: 4 to 15"),
        ({"model": "MiniMax-H3-Highspeed", "resolution": "480P"}, "allowed: 768P"),
        ({"first_frame_image": IMG, "reference_images": [IMG]}, "cannot be combined with first_frame_image"),
        ({"reference_images": [IMG] * 10}, "reference_images: 10 given; at most 9"),
        ({"reference_videos": [VID] * 4, "reference_images": [IMG]}, "reference_videos: 4 given; at most 3"),
        ({"reference_audios": [AUD] * 4, "reference_images": [IMG]}, "reference_audios: 4 given; at most 3"),
        (
            {"reference_images": [IMG] * 9, "reference_videos": [VID] * 3, "reference_audios": [AUD]},
            "13 references in all; at most 12",
        ),
        (
            {"reference_audios": [AUD]},
            "reference_audios: audio needs at least one reference_images or reference_videos",
        ),
        ({"prompt": "x" * 7001}, "prompt: 7001 characters; at most 7000"),
        ({"prompt": ""}, "prompt: required"),
        ({"prompt_expansion_mode": "quality"}, "prompt_expansion_mode: only MiniMax-H3-Max accepts it"),
        (
            {"model": "MiniMax-H3-Max", "prompt_expansion_mode": "balance"},
            "expected one of disabled, balanced, quality",
        ),
        ({"model": "MiniMax-H3-Lite", "reference_images": [IMG]}, "MiniMax-H3-Lite needs a concrete ratio"),
        ({"ratio": "2:1"}, "ratio: expected one of adaptive"),
        (
            {"reference_videos": ["/nonexistent/clip.mp4"], "reference_images": [IMG]},
            r"reference_videos\[0\]: local file '/nonexistent/clip.mp4' does not exist",
        ),
        ({"first_frame_image": "mm_file://abc"}, "first_frame_image: expected mm_file://<numeric file id>"),
        ({"extra_params": {"content": []}}, "extra_params: content has its own parameter"),
    ],
)
def test_rules_refused_before_any_request(kw: dict[str, Any], match: str) -> None:
    refused(match, **kw)


def test_prompt_expansion_on_max() -> None:
    body = build(model="MiniMax-H3-Max", prompt_expansion_mode="quality", resolution="480P", duration=5)
    assert body["extra"] == {"prompt_expansion_mode": "quality"}


def test_lite_references_with_concrete_ratio() -> None:
    assert build(model="MiniMax-H3-Lite", reference_images=[IMG], ratio="1:1")["ratio"] == "1:1"


@pytest.mark.parametrize("field", ["prompt_optimizer", "fast_pretreatment", "subject_reference"])
def test_v1_only_parameters_refused_on_v2_model(field: str) -> None:
    refused(
        f"{field}: not accepted by MiniMax-H3, a v2 model",
        **{field: True if field != "subject_reference" else IMG},
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ratio", "16:9"),
        ("reference_images", [IMG]),
        ("reference_videos", [VID]),
        ("reference_audios", [AUD]),
        ("prompt_expansion_mode", "quality"),
    ],
)
def test_v2_only_parameters_refused_on_v1_model(field: str, value: object) -> None:
    refused(
        f"{field}: not accepted by MiniMax-Hailuo-02, a v1 model", model="MiniMax-Hailuo-02", **{field: value}
    )
