"""Payload validation: every rule, every catalogued model on every mode, the guide's examples."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_hailuo.catalogue import DEFAULT_MODEL, MODELS, RESOLUTION_PIXELS, Mode, ModelSpec
from airflow_provider_hailuo.validation import (
    MAX_PROMPT_CHARS,
    NAMED_FIELDS,
    build_video_generation_payload,
    determine_mode,
    validate_file_id,
    validate_video_task_id,
)

URL = "https://example.com/frame.jpg"
LAST_URL = "https://example.com/last.png"
DATA_URL = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD"
PROMPT = "A panda walks through a bamboo forest"


def images_for(mode: Mode) -> dict[str, Any]:
    return {
        Mode.TEXT: {},
        Mode.FIRST_FRAME: {"first_frame_image": URL},
        Mode.FIRST_LAST_FRAME: {"first_frame_image": URL, "last_frame_image": LAST_URL},
        Mode.SUBJECT_REFERENCE: {"subject_reference": URL},
    }[mode]


def grid_points() -> Iterator[tuple[str, Mode, str, int]]:
    for spec in MODELS.values():
        for mode in spec.modes:
            for resolution, durations in spec.grid(mode).items():
                for duration in durations:
                    yield spec.name, mode, resolution, duration


GRID_POINTS = list(grid_points())
MODEL_MODES = [(spec, mode) for spec in MODELS.values() for mode in Mode]


def build(**kwargs: Any) -> dict[str, Any]:
    return build_video_generation_payload(**kwargs)


def error(**kwargs: Any) -> str:
    with pytest.raises(ValueError) as info:
        build_video_generation_payload(**kwargs)
    return str(info.value)


# --------------------------------------------------------------------------------------------
# The guide's own examples
# --------------------------------------------------------------------------------------------


def test_guide_text_to_video_example() -> None:
    payload = build(
        model="MiniMax-Hailuo-02",
        prompt="一只可爱的熊猫在竹林中悠闲散步，阳光透过竹叶洒下斑驳的光影",
        duration=6,
        resolution="1080P",
    )
    assert payload == {
        "model": "MiniMax-Hailuo-02",
        "prompt": "一只可爱的熊猫在竹林中悠闲散步，阳光透过竹叶洒下斑驳的光影",
        "duration": 6,
        "resolution": "1080P",
    }


def test_guide_image_to_video_example() -> None:
    payload = build(
        model="I2V-01-Director",
        prompt="让图片中的风景动起来，[右移]展示更多景色",
        duration=6,
        first_frame_image=DATA_URL,
    )
    assert payload == {
        "model": "I2V-01-Director",
        "prompt": "让图片中的风景动起来，[右移]展示更多景色",
        "duration": 6,
        "first_frame_image": DATA_URL,
    }


def test_guide_subject_reference_example() -> None:
    person = "data:image/jpeg;base64,/9j/PERSON"
    payload = build(
        model="S2V-01",
        prompt="保持人物特征一致，展示不同角度的微笑",
        duration=6,
        subject_reference=[{"type": "character", "image": person}],
    )
    assert payload == {
        "model": "S2V-01",
        "prompt": "保持人物特征一致，展示不同角度的微笑",
        "subject_reference": [{"type": "character", "image": [person]}],
    }


def test_guide_director_ballet_example() -> None:
    advanced_prompt = """
一个优雅的芭蕾舞者在舞台上表演[上升]，
镜头[推进]聚焦舞者的表情，
然后[右摇]展示整个舞台，
最后[拉远]俯瞰全景，
展现优美的舞蹈姿态
"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        payload = build(model="T2V-01-Director", prompt=advanced_prompt, duration=6)
    assert payload == {"model": "T2V-01-Director", "prompt": advanced_prompt, "duration": 6}


def test_guide_full_example_with_camera_command() -> None:
    payload = build(
        model="MiniMax-Hailuo-02",
        prompt="一只可爱的熊猫在竹林中悠闲散步[跟随]，阳光透过竹叶洒下斑驳的光影",
        duration=6,
        resolution="1080P",
    )
    assert payload["resolution"] == "1080P"


# --------------------------------------------------------------------------------------------
# Every model on every mode, from the catalogue itself
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec, mode", MODEL_MODES, ids=[f"{s.name}-{m.name}" for s, m in MODEL_MODES])
def test_each_model_on_each_mode(spec: ModelSpec, mode: Mode) -> None:
    kwargs = {"model": spec.name, "prompt": PROMPT, **images_for(mode)}
    if mode in spec.modes:
        payload = build(**kwargs)
        assert payload["model"] == spec.name
        assert determine_mode(**images_for(mode)) is mode
        return
    message = error(**kwargs)
    supporting = [s.name for s in MODELS.values() if mode in s.modes]
    if mode is Mode.TEXT:
        # The message starts with the field the model needs and lists the text-to-video models.
        assert message.split(":")[0] in ("first_frame_image", "last_frame_image", "subject_reference")
        assert f"needs {message.split(':')[0]}" in message
    else:
        field = {
            Mode.FIRST_FRAME: "first_frame_image",
            Mode.FIRST_LAST_FRAME: "last_frame_image",
            Mode.SUBJECT_REFERENCE: "subject_reference",
        }[mode]
        assert message.startswith(f"{field}: {spec.name} does not support {mode.value}")
    for name in supporting:
        assert name in message


@pytest.mark.parametrize("point", GRID_POINTS, ids=["-".join(map(str, p)) for p in GRID_POINTS])
def test_every_grid_point_validates(point: tuple[str, Mode, str, int]) -> None:
    name, mode, resolution, duration = point
    spec = MODELS[name]
    payload = build(model=name, prompt=PROMPT, resolution=resolution, duration=duration, **images_for(mode))
    if spec.takes_resolution_and_duration:
        assert payload["resolution"] == resolution
        assert payload["duration"] == duration
    else:
        assert "resolution" not in payload and "duration" not in payload


@pytest.mark.parametrize("spec, mode", [(s, m) for s in MODELS.values() for m in s.modes])
def test_resolutions_off_the_grid_are_refused(spec: ModelSpec, mode: Mode) -> None:
    grid = spec.grid(mode)
    for resolution in RESOLUTION_PIXELS:
        if resolution in grid:
            continue
        message = error(model=spec.name, prompt=PROMPT, resolution=resolution, **images_for(mode))
        assert message.startswith("resolution: ")
        for allowed in grid:
            assert allowed in message


@pytest.mark.parametrize("spec, mode", [(s, m) for s in MODELS.values() for m in s.modes])
def test_durations_off_the_grid_are_refused(spec: ModelSpec, mode: Mode) -> None:
    for resolution, durations in spec.grid(mode).items():
        for duration in (5, 6, 8, 10, 15):
            if duration in durations:
                continue
            message = error(
                model=spec.name, prompt=PROMPT, resolution=resolution, duration=duration, **images_for(mode)
            )
            assert message.startswith("duration: ")
            for allowed in durations:
                assert str(allowed) in message


# --------------------------------------------------------------------------------------------
# Mode rules
# --------------------------------------------------------------------------------------------


def test_text_model_with_first_frame_lists_image_to_video_models() -> None:
    message = error(model="T2V-01", prompt=PROMPT, first_frame_image=URL)
    assert message.startswith("first_frame_image: T2V-01 does not support image-to-video")
    for name in (
        "MiniMax-Hailuo-2.3",
        "MiniMax-Hailuo-2.3-Fast",
        "MiniMax-Hailuo-02",
        "I2V-01-Director",
        "I2V-01",
    ):
        assert name in message


def test_fast_model_without_image() -> None:
    message = error(model="MiniMax-Hailuo-2.3-Fast", prompt=PROMPT)
    assert message.startswith("first_frame_image: MiniMax-Hailuo-2.3-Fast needs first_frame_image")
    assert (
        "models for text-to-video: MiniMax-Hailuo-2.3, MiniMax-Hailuo-02, T2V-01-Director, T2V-01" in message
    )


def test_subject_model_without_subject() -> None:
    message = error(model="S2V-01", prompt=PROMPT)
    assert message.startswith("subject_reference: S2V-01 needs subject_reference")


def test_last_frame_only_with_hailuo_02() -> None:
    payload = build(model="MiniMax-Hailuo-02", first_frame_image=URL, last_frame_image=LAST_URL)
    assert payload == {"model": "MiniMax-Hailuo-02", "first_frame_image": URL, "last_frame_image": LAST_URL}
    # The first+last spec makes only the last frame required.
    assert build(model="MiniMax-Hailuo-02", last_frame_image=LAST_URL)["last_frame_image"] == LAST_URL
    message = error(model="MiniMax-Hailuo-2.3", first_frame_image=URL, last_frame_image=LAST_URL)
    assert message.startswith("last_frame_image: MiniMax-Hailuo-2.3 does not support first-last-frame")
    assert "models that support first-last-frame: MiniMax-Hailuo-02" in message


@pytest.mark.parametrize("frame", ["first_frame_image", "last_frame_image"])
def test_subject_reference_cannot_be_combined_with_frames(frame: str) -> None:
    message = error(model="S2V-01", subject_reference=URL, **{frame: URL})
    assert message.startswith(f"subject_reference: cannot be combined with {frame}")


def test_determine_mode() -> None:
    assert determine_mode() is Mode.TEXT
    assert determine_mode(first_frame_image=URL) is Mode.FIRST_FRAME
    assert determine_mode(first_frame_image=URL, last_frame_image=URL) is Mode.FIRST_LAST_FRAME
    assert determine_mode(last_frame_image=URL) is Mode.FIRST_LAST_FRAME
    assert determine_mode(subject_reference=URL) is Mode.SUBJECT_REFERENCE
    with pytest.raises(
        ValueError, match="subject_reference: cannot be combined with first_frame_image or last_frame_image"
    ):
        determine_mode(first_frame_image=URL, last_frame_image=URL, subject_reference=URL)


# --------------------------------------------------------------------------------------------
# Model name
# --------------------------------------------------------------------------------------------


def test_default_model() -> None:
    assert build(prompt=PROMPT)["model"] == DEFAULT_MODEL


def test_unknown_model_warns_and_applies_general_rules(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING),
        pytest.warns(UserWarning, match="'MiniMax-Hailuo-03' is not in") as record,
    ):
        payload = build(model="MiniMax-Hailuo-03", prompt=PROMPT, resolution="1080p", duration="10")
    assert payload == {"model": "MiniMax-Hailuo-03", "prompt": PROMPT, "duration": 10, "resolution": "1080P"}
    message = str(record[0].message)
    assert message.startswith("model: ")
    for name in MODELS:
        assert name in message
    assert "Did you mean 'MiniMax-Hailuo-02'?" in message
    assert any("MiniMax-Hailuo-03" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_unknown_model_general_rules_refuse() -> None:
    with pytest.warns(UserWarning):
        message = error(model="video-02")
    assert message.startswith("prompt: required for text-to-video")


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"resolution": "4K"}, "resolution: '4K' is not among the documented resolutions"),
        ({"duration": 5}, "duration: 5 s is not among the documented durations (6, 10)"),
    ],
)
def test_unknown_model_outside_the_documented_grid_is_sent_with_a_warning(
    kwargs: dict[str, Any], fragment: str
) -> None:
    """MiniMax has accepted e.g. video-01 with 5 s: the grid of a model we do not know is not ours to enforce."""
    with pytest.warns(UserWarning) as record:
        payload = build(model="video-01", prompt=PROMPT, **kwargs)
    messages = [str(w.message) for w in record]
    assert any("'video-01' is not in this provider's catalogue" in m for m in messages)
    assert any(m.startswith(fragment) for m in messages), messages
    assert {k: payload[k] for k in kwargs} == kwargs


def test_brackets_are_prose_for_models_without_camera_commands() -> None:
    with pytest.warns(UserWarning, match="unknown camera command 'Shake hands'.*not refused"):
        payload = build(model="T2V-01", prompt="A man waves [Shake hands]")
    assert payload["prompt"] == "A man waves [Shake hands]"
    with pytest.raises(ValueError, match="Shake hands"):  # a model that reads commands still refuses it
        build(model="T2V-01-Director", prompt="A man waves [Shake hands]")


@pytest.mark.parametrize("bracket", ["[Zoom sideways]", "[Pan diagonally]", "[Tilt a bit]", "[推进一点点]"])
def test_a_bracket_starting_like_a_command_is_refused_only_where_commands_are_read(bracket: str) -> None:
    prompt = f"A harbour at dawn {bracket}"
    with pytest.raises(ValueError, match=r"^prompt: unknown camera command .*did you mean"):
        build(model="MiniMax-Hailuo-02", prompt=prompt)
    with pytest.warns(UserWarning, match="not refused"):  # prose on a model without camera commands
        assert build(model="T2V-01", prompt=prompt)["prompt"] == prompt


def test_empty_callback_url_means_no_callback() -> None:
    assert "callback_url" not in build(prompt=PROMPT, callback_url="  ")


def test_unknown_model_has_no_mode_or_camera_restrictions() -> None:
    with pytest.warns(UserWarning):
        payload = build(
            model="video-02", first_frame_image=URL, last_frame_image=LAST_URL, fast_pretreatment=True
        )
    assert payload["fast_pretreatment"] is True


def test_model_name_differing_only_in_case_is_refused() -> None:
    message = error(model="minimax-hailuo-02", prompt=PROMPT)
    assert message == (
        "model: unknown model 'minimax-hailuo-02'; model names are case-sensitive, did you mean 'MiniMax-Hailuo-02'?"
    )


@pytest.mark.parametrize("model", ["", "   ", None, 2])
def test_model_must_be_a_non_empty_string(model: object) -> None:
    message = error(model=model, prompt=PROMPT)
    assert message.startswith("model: expected a model name; known models: ")
    assert "S2V-01" in message


# --------------------------------------------------------------------------------------------
# Resolution and duration
# --------------------------------------------------------------------------------------------


def test_the_briefs_duration_message() -> None:
    assert error(model="MiniMax-Hailuo-02", prompt=PROMPT, resolution="1080P", duration=10) == (
        "duration: 10 s is not available at 1080P for MiniMax-Hailuo-02 (text-to-video); allowed at 1080P: 6"
    )


def test_the_briefs_resolution_message() -> None:
    assert error(model="MiniMax-Hailuo-02", prompt=PROMPT, resolution="512P") == (
        "resolution: 512P is not available for MiniMax-Hailuo-02 in text-to-video; allowed: 768P, 1080P "
        "(512P is image-to-video only)"
    )


def test_resolution_message_names_other_models_when_this_one_never_has_it() -> None:
    message = error(model="T2V-01", prompt=PROMPT, resolution="1080P")
    assert message.startswith("resolution: 1080P is not available for T2V-01 in text-to-video; allowed: 720P")
    assert "models with 1080P in text-to-video: MiniMax-Hailuo-2.3, MiniMax-Hailuo-02" in message


def test_duration_checked_against_the_default_resolution() -> None:
    assert build(model="MiniMax-Hailuo-02", prompt=PROMPT, duration=10)["duration"] == 10
    message = error(model="T2V-01", prompt=PROMPT, duration=10)
    assert message == "duration: 10 s is not available at 720P for T2V-01 (text-to-video); allowed at 720P: 6"


@pytest.mark.parametrize(
    "value, expected", [("1080p", "1080P"), (" 768p ", "768P"), ("1080", "1080P"), (768, "768P")]
)
def test_resolution_is_normalised(value: object, expected: str) -> None:
    assert build(prompt=PROMPT, resolution=value)["resolution"] == expected


@pytest.mark.parametrize("value", ["4K", "720", "HD", "", "1080i"])
def test_unknown_resolutions_list_the_allowed_ones(value: str) -> None:
    message = error(model="MiniMax-Hailuo-02", prompt=PROMPT, resolution=value)
    assert message.startswith("resolution: ")
    assert "allowed" in message and "768P, 1080P" in message


@pytest.mark.parametrize("value", [True, 7.5, ["768P"]])
def test_resolution_of_the_wrong_type(value: object) -> None:
    message = error(prompt=PROMPT, resolution=value)
    assert message.startswith("resolution: expected a label such as 768P (512P, 720P, 768P, 1080P)")


@pytest.mark.parametrize("value, expected", [(6, 6), (10, 10), ("6", 6), (" 10 ", 10)])
def test_duration_accepts_ints_and_numeric_strings(value: object, expected: int) -> None:
    payload = build(prompt=PROMPT, duration=value)
    assert payload["duration"] == expected
    assert type(payload["duration"]) is int


@pytest.mark.parametrize("value", [True, False, 6.0, "6.0", "six", "", [6]])
def test_duration_of_the_wrong_type(value: object) -> None:
    message = error(prompt=PROMPT, duration=value)
    assert message.startswith("duration: expected a whole number of seconds (6, 10)")


def test_s2v_omits_resolution_and_duration() -> None:
    payload = build(model="S2V-01", subject_reference=URL, resolution="720p", duration="6")
    assert payload == {"model": "S2V-01", "subject_reference": [{"type": "character", "image": [URL]}]}


def test_s2v_refuses_other_resolution_and_duration() -> None:
    assert error(model="S2V-01", subject_reference=URL, resolution="1080P") == (
        "resolution: S2V-01 has no resolution setting (its output is 720P); omit resolution or pass 720P"
    )
    assert error(model="S2V-01", subject_reference=URL, duration=10) == (
        "duration: S2V-01 has no duration setting (its videos are 6 s); omit duration or pass 6"
    )


# --------------------------------------------------------------------------------------------
# Prompt and camera commands
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", [None, "", "   \n"])
def test_prompt_required_for_text_to_video(prompt: str | None) -> None:
    assert error(prompt=prompt) == (
        "prompt: required for text-to-video; give a non-empty description of at most 2000 characters"
    )


@pytest.mark.parametrize("prompt", [None, "", "  "])
def test_prompt_optional_with_an_image(prompt: str | None) -> None:
    assert build(first_frame_image=URL, prompt=prompt) == {"model": DEFAULT_MODEL, "first_frame_image": URL}


def test_prompt_length_counts_characters() -> None:
    assert MAX_PROMPT_CHARS == 2000
    build(prompt="熊" * 2000)
    assert error(prompt="熊" * 2001) == "prompt: 2001 characters; at most 2000 are allowed"


def test_prompt_must_be_a_string() -> None:
    assert error(prompt=123) == "prompt: expected a string, got int"


def test_camera_typo_is_an_error_before_sending() -> None:
    message = error(model="T2V-01-Director", prompt="A city [Pan lft]")
    assert message.startswith(
        "prompt: unknown camera command 'Pan lft' in '[Pan lft]'; did you mean 'Pan left'?"
    )


def test_camera_commands_on_a_model_without_them_warn(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING),
        pytest.warns(UserWarning, match="prompt: T2V-01 does not document camera"),
    ):
        payload = build(model="T2V-01", prompt="A city [Pan left]")
    assert payload["prompt"] == "A city [Pan left]"
    assert "MiniMax-Hailuo-02" in caplog.text


def test_camera_commands_on_a_director_model_are_silent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build(model="T2V-01-Director", prompt="A city [Pan left,上升] then [Zoom out]")


def test_full_width_brackets_warn() -> None:
    with pytest.warns(UserWarning, match=r"prompt: 【推进】 uses full-width brackets.*write \[推进\]"):
        build(model="MiniMax-Hailuo-02", prompt="镜头【推进】拍摄")


def test_four_commands_in_a_bracket() -> None:
    assert error(prompt="[Pan left,Tilt up,Zoom in,Shake]").startswith("prompt: ")


# --------------------------------------------------------------------------------------------
# Booleans
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["prompt_optimizer", "fast_pretreatment", "aigc_watermark"])
@pytest.mark.parametrize(
    "value, expected", [(True, True), (False, False), ("true", True), ("FALSE", False), (" True ", True)]
)
def test_booleans_accept_bools_and_their_strings(field: str, value: object, expected: bool) -> None:
    payload = build(prompt=PROMPT, **{field: value})
    assert payload[field] is expected


@pytest.mark.parametrize("field", ["prompt_optimizer", "fast_pretreatment", "aigc_watermark"])
@pytest.mark.parametrize("value", ["yes", 1, 0, "1", "", "none"])
def test_booleans_refuse_anything_else(field: str, value: object) -> None:
    assert error(prompt=PROMPT, **{field: value}) == f"{field}: expected true or false, got {value!r}"


def test_the_briefs_boolean_message() -> None:
    assert (
        error(prompt=PROMPT, prompt_optimizer="yes") == "prompt_optimizer: expected true or false, got 'yes'"
    )


@pytest.mark.parametrize("spec, mode", [(s, m) for s in MODELS.values() for m in s.modes])
def test_fast_pretreatment_per_model_and_mode(spec: ModelSpec, mode: Mode) -> None:
    kwargs = {"model": spec.name, "prompt": PROMPT, "fast_pretreatment": True, **images_for(mode)}
    assert build(**{**kwargs, "fast_pretreatment": False})["fast_pretreatment"] is False
    if mode in spec.fast_pretreatment_modes:
        assert build(**kwargs)["fast_pretreatment"] is True
        return
    message = error(**kwargs)
    assert message.startswith(f"fast_pretreatment: not available for {spec.name} in {mode.value}; ")
    offering = [s.name for s in MODELS.values() if mode in s.fast_pretreatment_modes]
    if offering:
        assert f"models offering it for {mode.value}: {', '.join(offering)}" in message
    else:
        assert f"no model offers it for {mode.value}" in message


def test_fast_pretreatment_without_prompt_optimizer_warns() -> None:
    with pytest.warns(UserWarning, match="fast_pretreatment: has no effect with prompt_optimizer=false"):
        build(prompt=PROMPT, fast_pretreatment=True, prompt_optimizer=False)


# --------------------------------------------------------------------------------------------
# Callback URL and extra params
# --------------------------------------------------------------------------------------------


def test_callback_url() -> None:
    assert build(prompt=PROMPT, callback_url="https://hooks.example.com/x")["callback_url"] == (
        "https://hooks.example.com/x"
    )
    for bad in ("ftp://example.com/cb", "example.com/cb", "https://"):
        assert error(prompt=PROMPT, callback_url=bad).startswith(
            "callback_url: expected an http:// or https:// URL"
        )
    assert (
        error(prompt=PROMPT, callback_url=5) == "callback_url: expected an http:// or https:// URL, got int"
    )


@pytest.mark.parametrize("url", ["http://localhost:8080/cb", "http://127.0.0.1/cb", "http://10.0.0.5/cb"])
def test_callback_url_that_minimax_cannot_reach_warns(url: str) -> None:
    with pytest.warns(UserWarning, match="callback_url: .* is not reachable from MiniMax"):
        build(prompt=PROMPT, callback_url=url)


def test_extra_params_are_merged_last() -> None:
    payload = build(prompt=PROMPT, extra_params={"aspect_ratio": "16:9", "seed": 7, "skip": None})
    assert list(payload) == ["model", "prompt", "aspect_ratio", "seed"]
    assert payload["seed"] == 7


@pytest.mark.parametrize("key", NAMED_FIELDS)
def test_extra_params_cannot_override_named_fields(key: str) -> None:
    message = error(prompt=PROMPT, extra_params={key: "x"})
    assert message.startswith(f"extra_params: {key!r} has its own parameter; pass {key}=... instead")


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["a"], "extra_params: expected a mapping"),
        ({1: "a"}, "extra_params: keys must be non-empty strings"),
        ({"": "a"}, "extra_params: keys must be non-empty strings"),
        ({"blob": object()}, "extra_params: value of 'blob' is not JSON-serialisable"),
    ],
)
def test_bad_extra_params(extra: object, fragment: str) -> None:
    assert error(prompt=PROMPT, extra_params=extra).startswith(fragment)


# --------------------------------------------------------------------------------------------
# Images as wire strings, subject_reference shapes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["first_frame_image", "last_frame_image"])
@pytest.mark.parametrize(
    "value, fragment",
    [
        ("/tmp/frame.png", "use airflow_provider_hailuo.images.resolve_image"),
        ("s3://bucket/key.png", "use airflow_provider_hailuo.images.resolve_image"),
        ("", "expected an http(s) URL or a data:image/<type>;base64,... URL"),
        (b"\x89PNG", "got bytes"),
        ("https:///x.png", "has no host"),
        ("data:image/gif;base64,R0lGOD", "data URL of type image/gif is not accepted"),
    ],
)
def test_frame_images_must_be_wire_strings(field: str, value: object, fragment: str) -> None:
    kwargs = {"first_frame_image": URL} if field == "last_frame_image" else {}
    message = error(model="MiniMax-Hailuo-02", **kwargs, **{field: value})
    assert message.startswith(f"{field}: ")
    assert fragment in message


def test_long_data_urls_are_redacted_in_errors() -> None:
    blob = "data:image/tiff;base64," + "A" * 10_000
    message = error(first_frame_image=blob)
    assert "A" * 100 not in message
    assert len(message) < 400


EXPECTED_SUBJECT = [{"type": "character", "image": [URL]}]


@pytest.mark.parametrize(
    "value",
    [
        URL,
        [URL],
        (URL,),
        {"type": "character", "image": URL},
        {"image": URL},
        {"type": "Character", "image": [URL]},
        [{"type": "character", "image": URL}],
        [{"type": "character", "image": [URL]}],
    ],
)
def test_subject_reference_shapes_are_normalised(value: object) -> None:
    assert build(model="S2V-01", subject_reference=value)["subject_reference"] == EXPECTED_SUBJECT


@pytest.mark.parametrize(
    "value, fragment",
    [
        ([], "expected exactly one subject (MiniMax supports a single character), got 0"),
        ([URL, URL], "expected exactly one subject (MiniMax supports a single character), got 2"),
        ({"type": "object", "image": URL}, "type must be 'character'"),
        ({"type": "character", "image": [URL, URL]}, "'image' must hold exactly one image, got 2"),
        ({"type": "character"}, "'image' is missing"),
        (
            {"type": "character", "image": URL, "weight": 1},
            "unexpected key(s) weight; allowed keys: type, image",
        ),
        ({"type": "character", "image": "/tmp/face.png"}, "resolve_image"),
        (42, "expected an image URL or {'type': 'character', 'image': <url>}"),
    ],
)
def test_bad_subject_references(value: object, fragment: str) -> None:
    message = error(model="S2V-01", subject_reference=value)
    assert message.startswith("subject_reference: ")
    assert fragment in message


# --------------------------------------------------------------------------------------------
# Payload shape
# --------------------------------------------------------------------------------------------


def test_payload_has_model_and_prompt_first_and_omits_unset_fields() -> None:
    payload = build(
        aigc_watermark=False,
        callback_url="https://cb.example.com/",
        first_frame_image=URL,
        prompt=PROMPT,
        model="MiniMax-Hailuo-02",
        resolution="512p",
        duration=10,
    )
    assert list(payload)[:2] == ["model", "prompt"]
    assert payload == {
        "model": "MiniMax-Hailuo-02",
        "prompt": PROMPT,
        "duration": 10,
        "resolution": "512P",
        "first_frame_image": URL,
        "callback_url": "https://cb.example.com/",
        "aigc_watermark": False,
    }
    assert build(prompt=PROMPT) == {"model": DEFAULT_MODEL, "prompt": PROMPT}


# --------------------------------------------------------------------------------------------
# Task and file ids
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "validator, field", [(validate_video_task_id, "task_id"), (validate_file_id, "file_id")]
)
def test_ids(validator: Any, field: str) -> None:
    assert validator("106916112212032") == "106916112212032"
    assert validator(176844028768320) == "176844028768320"
    assert validator(" 42 ") == "42"
    for bad in ("", "abc", "12a", "-5", -5, 1.0, True, None, "１２", "²"):
        with pytest.raises(ValueError) as info:
            validator(bad)
        assert str(info.value).startswith(f"{field}: expected a string of digits")
    with pytest.raises(ValueError, match=r"^my_id: "):
        validator("x", field="my_id")


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

optional_bools = st.sampled_from([None, True, False, "true", "False"])


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(GRID_POINTS),
    st.sampled_from([str.upper, str.lower, str]),
    st.booleans(),
    optional_bools,
    optional_bools,
    st.sampled_from([None, "https://cb.example.com/hook"]),
)
def test_any_grid_point_of_any_model_validates_and_is_idempotent(
    point: tuple[str, Mode, str, int],
    case: Any,
    duration_as_text: bool,
    optimizer: object,
    watermark: object,
    callback: str | None,
) -> None:
    name, mode, resolution, duration = point
    kwargs: dict[str, Any] = {
        "model": name,
        "prompt": PROMPT,
        "resolution": case(resolution),
        "duration": str(duration) if duration_as_text else duration,
        "prompt_optimizer": optimizer,
        "aigc_watermark": watermark,
        "callback_url": callback,
        **images_for(mode),
    }
    payload = build(**kwargs)
    assert build(**payload) == payload
    assert next(iter(payload)) == "model"


@given(st.one_of(st.text(max_size=12), st.integers(), st.none(), st.floats(), st.binary(max_size=4)))
def test_random_resolutions_raise_only_value_error(value: object) -> None:
    for model in ("MiniMax-Hailuo-02", "T2V-01", "S2V-01"):
        kwargs = {"subject_reference": URL} if model == "S2V-01" else {"prompt": PROMPT}
        try:
            payload = build(model=model, resolution=value, **kwargs)
        except ValueError as exc:
            assert str(exc).startswith("resolution: ")
        else:
            assert payload.get("resolution", "720P") in RESOLUTION_PIXELS


@given(st.one_of(st.text(max_size=6), st.integers(), st.none(), st.booleans(), st.floats()))
def test_random_durations_raise_only_value_error(value: object) -> None:
    try:
        payload = build(prompt=PROMPT, duration=value)
    except ValueError as exc:
        assert str(exc).startswith("duration: ")
    else:
        assert payload.get("duration", 6) in (6, 10)


@given(
    st.sampled_from([spec for spec in MODELS.values()]),
    st.sampled_from(list(Mode)),
    st.text(max_size=40),
    st.sampled_from([None, "6", 10, "768p", "1080P"]),
)
def test_build_either_succeeds_idempotently_or_raises_value_error(
    spec: ModelSpec, mode: Mode, prompt: str, value: object
) -> None:
    kwargs: dict[str, Any] = {"model": spec.name, "prompt": prompt, "duration": value, **images_for(mode)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            payload = build(**kwargs)
        except ValueError:
            return
        assert build(**payload) == payload
