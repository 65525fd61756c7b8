"""v2 create bodies over HTTP (contract §3): every content, model and media rule, and what passes."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_hailuo.sandbox import SandboxServer

from . import media_files as mf
from .conftest import MediaServer
from .v2_calls import (
    CREATE,
    audio,
    create,
    error_of,
    image,
    post,
    query,
    t2va,
    text,
    video,
)

PNG = mf.data_url("image/png", mf.png(512, 512))
WAV3 = mf.data_url("audio/wav", mf.wav(3))
MP4 = mf.data_url("video/mp4", mf.mp4(1344, 768, 3.0))


def refs(images: int = 0, videos: int = 0, audios: int = 0) -> list[dict[str, Any]]:
    return (
        [image(PNG, "reference_image")] * images
        + [video(mf.data_url("video/mp4", mf.mp4(1344, 768, 2.0)))] * videos
        + [audio(mf.data_url("audio/wav", mf.wav(2)))] * audios
    )


def body_with(content: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    return t2va(content=[text(), *content], **overrides)


BAD_BODIES: list[tuple[str, Any, str]] = [
    ("not an object", [1], "request body must be a JSON object"),
    ("no model", {k: v for k, v in t2va().items() if k != "model"}, "model must be one of MiniMax-H3, "),
    ("v1 model", t2va(model="MiniMax-Hailuo-02"), "model must be one of"),
    ("no content", t2va(content=None), "content must be a non-empty array"),
    ("empty content", t2va(content=[]), "content must be a non-empty array"),
    ("item not object", t2va(content=["hi"]), "content[0] must be an object"),
    ("bad item type", t2va(content=[text(), {"type": "file_url"}]), "content[1].type must be one of"),
    ("text not string", t2va(content=[{"type": "text", "text": 5}]), "content[0].text must be a string"),
    (
        "no text",
        t2va(content=[image(PNG)]),
        "content must include a non-empty text item (prompt is required)",
    ),
    ("blank text", t2va(content=[text("  ")]), "content must include a non-empty text item"),
    ("text too long", t2va(content=[text("x" * 7001)]), "content[0].text is longer than 7000 characters"),
    ("two texts", t2va(content=[text(), text()]), "exactly one text item"),
    (
        "image without url",
        body_with([{"type": "image_url", "image_url": {}}]),
        'content[1].image_url must be an object with a non-empty "url"',
    ),
    (
        "image as video role",
        body_with([image(PNG, "reference_video")]),
        "content[1].role must be one of first_frame, last_frame, reference_image for image_url",
    ),
    ("middle_frame", body_with([image(PNG, "middle_frame")]), "content[1].role must be one of"),
    (
        "video without role",
        body_with([video(MP4, None)]),
        "content[1].role must be one of reference_video for video_url",
    ),
    (
        "base_video on create",
        body_with([video(MP4, "base_video")]),
        "content[1].role must be one of reference_video",
    ),
    (
        "audio wrong role",
        body_with([image(PNG, "reference_image"), audio(WAV3, "reference_video")]),
        "content[2].role must be one of reference_audio",
    ),
    (
        "two role-less images",
        body_with([image(PNG), image(PNG)]),
        "content[1].image_url needs a role when content has more than one image",
    ),
    ("role-less beside a frame", body_with([image(PNG), image(PNG, "last_frame")]), "needs a role"),
    ("two first frames", body_with([image(PNG, "first_frame")] * 2), "at most 1 first_frame"),
    ("two last frames", body_with([image(PNG, "last_frame")] * 2), "at most 1 last_frame"),
    ("ten reference images", body_with(refs(images=10)), "at most 9 reference_image"),
    ("four reference videos", body_with(refs(images=1, videos=4)), "at most 3 reference_video"),
    ("four reference audios", body_with(refs(images=1, audios=4)), "at most 3 reference_audio"),
    (
        "frames and references",
        body_with([image(PNG, "first_frame"), image(PNG, "reference_image")]),
        "first_frame/last_frame cannot be combined with reference_* items",
    ),
    (
        "thirteen references",
        body_with(refs(images=9, videos=3, audios=1)),
        "at most 12 reference items allowed in all, got 13",
    ),
    (
        "audio alone",
        body_with(refs(audios=1)),
        "reference_audio needs at least one reference_image or reference_video",
    ),
    (
        "no resolution",
        {k: v for k, v in t2va().items() if k != "resolution"},
        "resolution is required; MiniMax-H3 accepts 768P, 2K",
    ),
    ("1080P", t2va(resolution="1080P"), "MiniMax-H3 accepts 768P, 2K, got '1080P'"),
    ("lowercase 2k", t2va(resolution="2k"), "accepts 768P, 2K"),
    ("H3 at 480P", t2va(resolution="480P"), "MiniMax-H3 accepts 768P, 2K"),
    ("Max at 2K", t2va(model="MiniMax-H3-Max", resolution="2K"), "MiniMax-H3-Max accepts 480P, 768P"),
    (
        "Highspeed at 480P",
        t2va(model="MiniMax-H3-Highspeed", resolution="480P"),
        "MiniMax-H3-Highspeed accepts 768P,",
    ),
    ("Lite at 2K", t2va(model="MiniMax-H3-Lite", resolution="2K"), "MiniMax-H3-Lite accepts 480P, 768P"),
    (
        "no duration",
        {k: v for k, v in t2va().items() if k != "duration"},
        "duration is required and must be an integer",
    ),
    ("float duration", t2va(duration=5.0), "duration is required and must be an integer"),
    ("string duration", t2va(duration="5"), "must be an integer"),
    ("bool duration", t2va(duration=True), "must be an integer"),
    ("3 s", t2va(duration=3), "duration 3 is not supported by MiniMax-H3 (allowed: 4-15)"),
    ("16 s", t2va(duration=16), "(allowed: 4-15)"),
    (
        "Max at 4 s",
        t2va(model="MiniMax-H3-Max", resolution="768P", duration=4),
        "MiniMax-H3-Max (allowed: 5-15)",
    ),
    ("ratio 2:1", t2va(ratio="2:1"), "ratio must be one of adaptive, 21:9, 16:9, 4:3, 1:1, 3:4, 9:16"),
    ("t2va without ratio", t2va(ratio=None), "ratio is required for text-only content"),
    ("t2va adaptive", t2va(ratio="adaptive"), "ratio is required for text-only content"),
    ("bad ratio on i2va", body_with([image(PNG)], ratio="5:4"), "ratio must be one of"),
    (
        "Lite r2va without ratio",
        body_with(refs(images=1), model="MiniMax-H3-Lite", ratio=None),
        "MiniMax-H3-Lite reference mode needs a concrete ratio",
    ),
    (
        "Lite r2va adaptive",
        body_with(refs(images=1), model="MiniMax-H3-Lite", ratio="adaptive"),
        "needs a concrete ratio",
    ),
    (
        "extra on H3",
        t2va(extra={"prompt_expansion_mode": "quality"}),
        "extra is only supported by MiniMax-H3-Max, not MiniMax-H3",
    ),
    ("extra on Lite", t2va(model="MiniMax-H3-Lite", extra={}), "extra is only supported by MiniMax-H3-Max"),
    ("extra not object", t2va(model="MiniMax-H3-Max", extra="quality"), "extra must be an object"),
    (
        "extra unknown key",
        t2va(model="MiniMax-H3-Max", extra={"prompt_expansion_mode": "quality", "seed": 1}),
        "extra accepts only prompt_expansion_mode, got seed",
    ),
    (
        "expansion 'balance'",
        t2va(model="MiniMax-H3-Max", extra={"prompt_expansion_mode": "balance"}),
        "extra.prompt_expansion_mode must be one of disabled, balanced, quality, got 'balance'",
    ),
    (
        "expansion empty",
        t2va(model="MiniMax-H3-Max", extra={"prompt_expansion_mode": ""}),
        "prompt_expansion_mode must be one of",
    ),
    (
        "expansion boolean",
        t2va(model="MiniMax-H3-Max", extra={"prompt_expansion_mode": True}),
        "prompt_expansion_mode must be one of",
    ),
    ("watermark string", t2va(aigc_watermark="yes"), "aigc_watermark must be a boolean"),
    ("callback ftp", t2va(callback_url="ftp://example.com/hook"), "callback_url must be an http(s) URL"),
    ("callback number", t2va(callback_url=5), "callback_url must be a string"),
]


@pytest.mark.parametrize(
    ("body", "message"), [(b, m) for _, b, m in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES]
)
def test_bad_create_bodies_are_400_2013(
    sandbox: SandboxServer, api: requests.Session, body: Any, message: str
) -> None:
    status, kind, text_ = error_of(post(api, sandbox, body))
    assert (status, kind) == (400, "bad_request_error")
    assert text_.startswith("invalid params, ")
    assert text_.endswith(" (2013)")
    assert message in text_
    stats = sandbox.stats()["v2"]
    assert stats["creates"] == 0
    assert stats["errors_by_code"] == {"2013": 1}


def test_content_type_and_json_are_required(sandbox: SandboxServer, api: requests.Session) -> None:
    response = api.post(
        f"{sandbox.url}{CREATE}",
        data='{"model": "MiniMax-H3"}',
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )
    assert "Content-Type must be application/json" in error_of(response)[2]
    response = api.post(
        f"{sandbox.url}{CREATE}", data="{not json", headers={"Content-Type": "application/json"}, timeout=5
    )
    assert "request body must be a JSON object (2013)" in error_of(response)[2]


@pytest.mark.parametrize(
    ("body", "mode", "ratio"),
    [
        (t2va(duration=4), "t2va", "16:9"),
        (t2va(resolution="2K", duration=15, ratio="9:16"), "t2va", "9:16"),
        (t2va(model="MiniMax-H3-Max", resolution="480P", duration=5, ratio="1:1"), "t2va", "1:1"),
        (t2va(model="MiniMax-H3-Highspeed", ratio="21:9"), "t2va", "21:9"),
        (t2va(model="MiniMax-H3-Lite", resolution="480P", ratio="4:3"), "t2va", "4:3"),
        # A single role-less image is the first frame; i2va ignores any valid ratio (reports adaptive).
        (body_with([image(PNG)], ratio="1:1"), "i2va", "adaptive"),
        (body_with([image(PNG, "last_frame")], ratio=None), "i2va", "adaptive"),  # C6: a lone last frame
        (body_with([image(PNG, "first_frame"), image(PNG, "last_frame")]), "i2va", "adaptive"),
        (body_with(refs(images=9, videos=2, audios=1), ratio=None), "r2va", "adaptive"),
        (body_with(refs(videos=1, audios=3), ratio="3:4"), "r2va", "3:4"),
        (body_with(refs(images=1), model="MiniMax-H3-Max", ratio=None), "r2va", "adaptive"),  # C1
        (body_with(refs(images=1), model="MiniMax-H3-Lite", ratio="9:16"), "r2va", "9:16"),
    ],
)
def test_valid_bodies_create_tasks(
    sandbox: SandboxServer, api: requests.Session, body: dict[str, Any], mode: str, ratio: str
) -> None:
    task_id = create(api, sandbox, {k: v for k, v in body.items() if v is not None})
    assert len(task_id) == 15
    assert task_id.isdigit()
    task = query(api, sandbox, task_id)
    assert task["ratio"] == ratio
    assert (task["model"], task["resolution"], task["duration"]) == (
        body["model"],
        body["resolution"],
        body["duration"],
    )
    assert sandbox.stats()["v2"]["tasks"][task_id]["mode"] == mode


def test_max_extra_watermark_and_ignored_fields_are_recorded(
    sandbox: SandboxServer, api: requests.Session
) -> None:
    for mode in ("disabled", "balanced", "quality"):
        body = t2va(model="MiniMax-H3-Max", resolution="768P", extra={"prompt_expansion_mode": mode})
        task_id = create(api, sandbox, body)
        assert sandbox.stats()["v2"]["tasks"][task_id]["prompt_expansion_mode"] == mode
    # C2: aigc_watermark accepted on create; no additionalProperties:false, so unknown fields are ignored.
    task_id = create(api, sandbox, t2va(aigc_watermark=True, seed=7, prompt="v1 field", callback_url=""))
    summary = sandbox.stats()["v2"]["tasks"][task_id]
    assert summary["aigc_watermark"] is True
    assert summary["ignored_fields"] == ["prompt", "seed"]
    assert summary["callback_url"] is None
    assert sandbox.stats()["v2"]["callback_checks"] == 0


def test_whole_body_limit_is_64_mb(sandbox: SandboxServer, api: requests.Session) -> None:
    padding = "x" * (64 * 1024 * 1024)
    body = '{"model": "MiniMax-H3", "content": [{"type": "text", "text": "' + padding + '"}]}'
    response = api.post(
        f"{sandbox.url}{CREATE}", data=body, headers={"Content-Type": "application/json"}, timeout=60
    )
    assert error_of(response)[2] == "invalid params, request body is larger than 64MB (2013)"


def test_text_limit_counts_characters(sandbox: SandboxServer, api: requests.Session) -> None:
    create(api, sandbox, t2va(content=[text("熊" * 7000)]))
    assert error_of(post(api, sandbox, t2va(content=[text("熊" * 7001)])))[0] == 400


# -- media --------------------------------------------------------------------------------------------

BAD_MEDIA: list[tuple[str, list[dict[str, Any]], str]] = [
    (
        "uppercase data type",
        [image(mf.data_url("image/PNG", mf.png()))],
        "content[1].image_url data URI must be data:image/<jpeg|jpg|png|webp|heic|heif>;base64,... (lowercase)",
    ),
    ("gif", [image(mf.data_url("image/gif", b"GIF89a"))], "data URI must be data:image/"),
    (
        "image bytes in a video item",
        [image(PNG, "reference_image"), video(PNG)],
        "content[2].video_url data URI must be data:video/<mp4>",
    ),
    (
        "quicktime data URI",
        [video(mf.data_url("video/quicktime", mf.mp4(brand=b"qt  ")))],
        "data:video/<mp4>",
    ),
    (
        "audio/mpeg",
        [image(PNG, "reference_image"), audio(mf.data_url("audio/mpeg", mf.mp3(3)))],
        "data:audio/<mp3|wav>",
    ),
    ("bad base64", [image("data:image/png;base64,@@@")], "content[1].image_url is not valid base64"),
    ("empty image", [image("data:image/png;base64,")], "content[1].image_url is empty"),
    (
        "not an image",
        [image(mf.data_url("image/png", b"hello world, not a picture"))],
        "is not a JPEG, PNG, WEBP, HEIC or HEIF image",
    ),
    (
        "PNG without IHDR",
        [image(mf.data_url("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32))],
        "PNG whose pixel size cannot be read",
    ),
    (
        "narrow image",
        [image(mf.data_url("image/png", mf.png(255, 400)))],
        "is 255x400; each side must be 256-5760 px",
    ),
    ("huge image", [image(mf.data_url("image/jpeg", mf.jpeg(5761, 4000)))], "each side must be 256-5760 px"),
    ("wide image", [image(mf.data_url("image/jpeg", mf.jpeg(1400, 512)))], "width/height must be 0.4-2.5"),
    ("tall image", [image(mf.data_url("image/webp", mf.webp(256, 700)))], "width/height must be 0.4-2.5"),
    (
        "not an mp4",
        [video(mf.data_url("video/mp4", b"\x00" * 64))],
        "content[1].video_url is not an MP4 or MOV file",
    ),
    ("mp4 without moov", [video(mf.data_url("video/mp4", mf.mp4()[:28]))], "has no moov box"),
    (
        "short video",
        [video(mf.data_url("video/mp4", mf.mp4(seconds=1.5)))],
        "lasts 1.50 s; each clip must last 2-15 s",
    ),
    ("long video", [video(mf.data_url("video/mp4", mf.mp4(seconds=15.5)))], "each clip must last 2-15 s"),
    (
        "videos over 15 s",
        [video(mf.data_url("video/mp4", mf.mp4(seconds=8)))] * 2,
        "reference videos last 16.00 s in all; at most 15 s",
    ),
    (
        "slow video",
        [video(mf.data_url("video/mp4", mf.mp4(fps=20)))],
        "runs at 20.000 fps; 23.976-60 fps allowed",
    ),
    ("fast video", [video(mf.data_url("video/mp4", mf.mp4(fps=61)))], "23.976-60 fps"),
    (
        "mpeg-4 part 2",
        [video(mf.data_url("video/mp4", mf.mp4(codec=b"mp4v")))],
        "video must be H.264/AVC or H.265/HEVC",
    ),
    (
        "opus audio",
        [video(mf.data_url("video/mp4", mf.mp4(audio_codec=b"Opus")))],
        "audio must be AAC or MP3",
    ),
    ("small video", [video(mf.data_url("video/mp4", mf.mp4(240, 320)))], "each side must be 256-5760"),
    (
        "not audio",
        [image(PNG, "reference_image"), audio(mf.data_url("audio/wav", b"RIFF\x00\x00\x00\x00WAVE"))],
        "is a WAV file whose duration cannot be read",
    ),
    (
        "not mp3",
        [image(PNG, "reference_image"), audio(mf.data_url("audio/mp3", b"\x00" * 2000))],
        "is not a WAV or MP3 file",
    ),
    (
        "short audio",
        [image(PNG, "reference_image"), audio(mf.data_url("audio/wav", mf.wav(1.5)))],
        "lasts 1.50 s; each clip must last 2-15 s",
    ),
    (
        "audios over 15 s",
        [image(PNG, "reference_image")] + [audio(mf.data_url("audio/mp3", mf.mp3(8)))] * 2,
        "reference audios last",
    ),
    ("ftp url", [image("ftp://example.com/a.png")], "must be an http(s) URL, an mm_file:// id or a data URI"),
    (
        "unknown mm_file",
        [image("mm_file://123456789012345")],
        "content[1].image_url: file 123456789012345 not found (or expired)",
    ),
]


@pytest.mark.parametrize(
    ("content", "message"), [(c, m) for _, c, m in BAD_MEDIA], ids=[n for n, _, _ in BAD_MEDIA]
)
def test_bad_media_is_400(
    sandbox: SandboxServer, api: requests.Session, content: list[dict[str, Any]], message: str
) -> None:
    status, _, text_ = error_of(post(api, sandbox, body_with(content, ratio=None)))
    assert status == 400
    assert message in text_
    assert sandbox.stats()["v2"]["creates"] == 0


@pytest.mark.parametrize(
    "content",
    [
        [image(mf.data_url("image/jpeg", mf.jpeg(640, 480)))],
        [image(mf.data_url("image/jpg", mf.jpeg(256, 640)))],
        [image(mf.data_url("image/webp", mf.webp(5760, 2304)))],
        [image(mf.data_url("image/heic", mf.heic(1024, 768)))],
        [image(mf.data_url("image/heif", mf.heic(768, 1024)))],
        [video(mf.data_url("video/mp4", mf.mp4(codec=b"hvc1", fps=23.976, seconds=2)))],
        [video(mf.data_url("video/mp4", mf.mp4(768, 1344, fps=60, seconds=15, audio=False)))],
        [video(mf.data_url("video/mp4", mf.mp4(brand=b"qt  ", audio_codec=b".mp3")))],
        [image(PNG, "reference_image"), audio(mf.data_url("audio/mp3", mf.mp3(15)))],
        [image(PNG, "reference_image")] + [audio(mf.data_url("audio/wav", mf.wav(5)))] * 3,
    ],
)
def test_media_within_limits_pass(
    sandbox: SandboxServer, api: requests.Session, content: list[dict[str, Any]]
) -> None:
    create(api, sandbox, body_with(content, ratio=None))


def test_http_media_is_downloaded_and_checked(
    sandbox: SandboxServer, api: requests.Session, media_server: MediaServer
) -> None:
    good = media_server.add("/frame.png", mf.png(640, 360))
    task_id = create(api, sandbox, body_with([image(good)], ratio=None))
    assert media_server.requests == ["/frame.png"]
    assert sandbox.stats()["v2"]["tasks"][task_id]["width"] == 1344  # adaptive: the frame's 16:9
    bad = media_server.add("/tiny.png", mf.png(100, 100))
    assert "is 100x100" in error_of(post(api, sandbox, body_with([image(bad)], ratio=None)))[2]
    missing = media_server.url + "/missing.png"
    assert (
        "content[1].image_url: could not be downloaded (HTTP 404)"
        in error_of(post(api, sandbox, body_with([image(missing)], ratio=None)))[2]
    )
    unreachable = "http://127.0.0.1:9/frame.png"
    assert (
        "could not be downloaded (2013)"
        in error_of(post(api, sandbox, body_with([image(unreachable)], ratio=None)))[2]
    )
    # Over the size limit: the sandbox stops reading after the limit instead of taking it all in.
    big = media_server.add("/long.wav", mf.wav(0.1) + b"\x00" * (15 * 1024 * 1024))
    response = post(api, sandbox, body_with([image(good, "reference_image"), audio(big)], ratio=None))
    assert "content[2].audio_url is larger than 15MB" in error_of(response)[2]
    assert sandbox.stats()["v2"]["media_fetches"] == 6


def test_http_media_unchecked_when_fetching_is_off(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.v2_fetch_media_urls = False
    task_id = create(
        api, sandbox, body_with([image("https://example.invalid/a.png", "reference_image")], ratio=None)
    )
    summary = sandbox.stats()["v2"]["tasks"][task_id]
    assert (summary["width"], summary["height"]) == (1344, 768)  # nothing measured: 16:9
    assert sandbox.stats()["v2"]["media_fetches"] == 0
    assert query(api, sandbox, task_id)["status"] in ("queued", "running", "succeeded")


def test_unreadable_media_pass_when_not_strict(sandbox: SandboxServer, api: requests.Session) -> None:
    garbage = [image(mf.data_url("image/png", b"not a png at all"))]
    assert error_of(post(api, sandbox, body_with(garbage, ratio=None)))[0] == 400
    sandbox.config.strict_image_content = False
    create(api, sandbox, body_with(garbage, ratio=None))


def test_adaptive_ratio_follows_the_first_visual_input(sandbox: SandboxServer, api: requests.Session) -> None:
    cases = [
        (mf.png(720, 1280), "768P", (768, 1344)),
        (mf.png(800, 800), "768P", (992, 992)),
        (mf.png(1200, 900), "2K", (2208, 1664)),
        (mf.png(2100, 900), "2K", (2912, 1248)),
    ]
    for frame, resolution, size in cases:
        task_id = create(
            api, sandbox, body_with([image(mf.data_url("image/png", frame))], resolution=resolution)
        )
        summary = sandbox.stats()["v2"]["tasks"][task_id]
        assert (summary["width"], summary["height"]) == size


# -- uploads (mm_file://) -----------------------------------------------------------------------------


def upload(
    api: requests.Session, server: SandboxServer, data: bytes, purpose: str = "video_generation_input"
) -> requests.Response:
    return api.post(
        f"{server.url}/v1/files/upload",
        data={"purpose": purpose},
        files={"file": ("clip.mp4", data, "application/octet-stream")},
        timeout=10,
    )


def test_upload_gives_mm_file_ids_for_the_same_account(sandbox: SandboxServer, api: requests.Session) -> None:
    clip = mf.mp4(seconds=4)
    answer = upload(api, sandbox, clip).json()
    assert answer["base_resp"] == {"status_code": 0, "status_msg": "success"}
    file = answer["file"]
    assert isinstance(file["file_id"], int)
    assert (file["bytes"], file["filename"], file["purpose"]) == (
        len(clip),
        "clip.mp4",
        "video_generation_input",
    )
    ref = f"mm_file://{file['file_id']}"
    task_id = create(api, sandbox, body_with([video(ref)], ratio=None))
    assert query(api, sandbox, task_id)["model"] == "MiniMax-H3"
    # Another account cannot use it.
    other = requests.post(
        f"{sandbox.url}{CREATE}",
        json=body_with([video(ref)], ratio=None),
        headers={"Authorization": "Bearer sandbox-token-plan-key"},
        timeout=10,
    )
    assert "not found (or expired)" in error_of(other)[2]
    # An uploaded file is measured like any other: a 1 s clip is refused.
    short = upload(api, sandbox, mf.mp4(seconds=1)).json()["file"]["file_id"]
    assert (
        "each clip must last 2-15 s"
        in error_of(post(api, sandbox, body_with([video(f"mm_file://{short}")], ratio=None)))[2]
    )
    assert sandbox.stats()["v2"]["uploads"] == 2


def test_uploads_expire(sandbox: SandboxServer, api: requests.Session) -> None:
    sandbox.config.v2_upload_ttl_seconds = 0
    file_id = upload(api, sandbox, mf.png()).json()["file"]["file_id"]
    assert (
        "not found (or expired)"
        in error_of(post(api, sandbox, body_with([image(f"mm_file://{file_id}")], ratio=None)))[2]
    )


def test_upload_errors_are_v1_shaped(sandbox: SandboxServer, api: requests.Session) -> None:
    answer = upload(api, sandbox, mf.png(), purpose="voice_clone").json()
    assert answer["base_resp"]["status_code"] == 2013
    assert "purpose must be video_generation_input" in answer["base_resp"]["status_msg"]
    response = requests.post(
        f"{sandbox.url}/v1/files/upload",
        data={"purpose": "video_generation_input"},
        files={"file": ("a", b"x")},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["base_resp"]["status_code"] == 1004
    empty = api.post(
        f"{sandbox.url}/v1/files/upload",
        data={"purpose": "video_generation_input"},
        files={"file": ("a", b"")},
        timeout=5,
    )
    assert empty.json()["base_resp"]["status_code"] == 2013
    not_multipart = api.post(
        f"{sandbox.url}/v1/files/upload", json={"purpose": "video_generation_input"}, timeout=5
    )
    assert "multipart/form-data" in not_multipart.json()["base_resp"]["status_msg"]
    assert sandbox.stats()["v2"]["uploads"] == 0
