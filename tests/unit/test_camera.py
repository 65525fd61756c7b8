"""Camera-command parsing: both spellings, combinations, typo suggestions, the prose rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_hailuo.camera import (
    CAMERA_COMMANDS,
    MAX_COMMANDS_PER_BRACKET,
    CameraCommand,
    camera_commands_help,
    camera_commands_markdown,
    lookup_camera_command,
    parse_camera_commands,
)

#: The pairing as stated independently in the brief, to catch a data-entry slip in the module.
EXPECTED_PAIRS = {
    "左移": "Truck left",
    "右移": "Truck right",
    "左摇": "Pan left",
    "右摇": "Pan right",
    "推进": "Push in",
    "拉远": "Pull out",
    "上升": "Pedestal up",
    "下降": "Pedestal down",
    "上摇": "Tilt up",
    "下摇": "Tilt down",
    "变焦推近": "Zoom in",
    "变焦拉远": "Zoom out",
    "晃动": "Shake",
    "跟随": "Tracking shot",
    "固定": "Static shot",
}


def english(prompt: str) -> list[list[str]]:
    return [[c.english for c in move.commands] for move in parse_camera_commands(prompt)]


def test_the_fifteen_commands_pair_as_documented() -> None:
    assert len(CAMERA_COMMANDS) == 15
    assert {c.chinese: c.english for c in CAMERA_COMMANDS} == EXPECTED_PAIRS
    assert len({c.group for c in CAMERA_COMMANDS}) == 9


@pytest.mark.parametrize("command", CAMERA_COMMANDS, ids=lambda c: c.english)
def test_each_command_parses_in_both_languages(command: CameraCommand) -> None:
    assert english(f"a[{command.english}]b") == [[command.english]]
    assert english(f"a[{command.chinese}]b") == [[command.english]]
    assert lookup_camera_command(command.chinese) is command


@pytest.mark.parametrize(
    "bracket",
    ["[pan   LEFT]", "[PanLeft]", "[ Pan left ]", "[PAN\tleft]", "[ 左 摇 ]", "[pan left]"],
)
def test_english_matching_ignores_case_and_whitespace(bracket: str) -> None:
    assert english(bracket) == [["Pan left"]]


@pytest.mark.parametrize(
    "bracket",
    [
        "[Pan left,Pedestal up]",
        "[Pan left, Pedestal up]",
        "[Pan left，上升]",
        "[左摇、上升]",
        "[左摇 , Pedestal up]",
    ],
)
def test_combined_commands_with_every_separator(bracket: str) -> None:
    assert english(bracket) == [["Pan left", "Pedestal up"]]


def test_moves_come_back_in_prompt_order_with_positions() -> None:
    prompt = "镜头[推进]拍摄人物，然后[左摇]展示周围环境 then [Zoom out, Shake]"
    moves = parse_camera_commands(prompt)
    assert [[c.english for c in m.commands] for m in moves] == [
        ["Push in"],
        ["Pan left"],
        ["Zoom out", "Shake"],
    ]
    for move in moves:
        assert prompt[move.start : move.start + len(move.text)] == move.text
    assert moves[2].canonical == "[Zoom out,Shake]"
    assert not moves[0].fullwidth


@pytest.mark.parametrize(
    "prompt, expected",
    [
        ("男子拿起一本书[上升]，然后阅读[固定]", [["Pedestal up"], ["Static shot"]]),
        ("镜头[推进]拍摄人物，然后[左摇]展示周围环境", [["Push in"], ["Pan left"]]),
        ("先[上升]俯瞰全景，然后[右移]展示城市风光", [["Pedestal up"], ["Truck right"]]),
        ("让图片中的风景动起来，[右移]展示更多景色", [["Truck right"]]),
        ("一只可爱的熊猫在竹林中悠闲散步[跟随]，阳光透过竹叶洒下斑驳的光影", [["Tracking shot"]]),
        (
            "一个优雅的芭蕾舞者在舞台上表演[上升]，\n镜头[推进]聚焦舞者的表情，\n然后[右摇]展示整个舞台，\n最后[拉远]俯瞰全景",
            [["Pedestal up"], ["Push in"], ["Pan right"], ["Pull out"]],
        ),
    ],
)
def test_the_guides_examples(prompt: str, expected: list[list[str]]) -> None:
    assert english(prompt) == expected


def test_three_commands_in_one_bracket_are_allowed() -> None:
    assert english("[Truck Left , pedestal UP、跟随]") == [["Truck left", "Pedestal up", "Tracking shot"]]
    assert MAX_COMMANDS_PER_BRACKET == 3


def test_four_commands_in_one_bracket_are_refused() -> None:
    with pytest.raises(ValueError) as info:
        parse_camera_commands("x [Pan left, Pedestal up, Zoom in, Shake] y")
    message = str(info.value)
    assert message.startswith("prompt: ")
    assert "4 camera commands" in message
    assert "at most 3" in message


def test_a_typo_names_the_bad_text_and_the_closest_command() -> None:
    with pytest.raises(ValueError) as info:
        parse_camera_commands("A boat [Pan lft] at dusk")
    message = str(info.value)
    assert message.startswith(
        "prompt: unknown camera command 'Pan lft' in '[Pan lft]'; did you mean 'Pan left'? Allowed: "
    )
    for command in CAMERA_COMMANDS:
        assert command.english in message
        assert command.chinese in message


@pytest.mark.parametrize(
    "bracket, suggestion",
    [
        ("[左移动]", "左移"),
        ("[推]", "推进"),
        ("[Zoom]", "Zoom in"),
        ("[pan]", "Pan left"),
        ("[Tracking]", "Tracking shot"),
        ("[Static]", "Static shot"),
        ("[slow pan left]", "Pan left"),
        ("[Pedestl down]", "Pedestal down"),
        ("【推进拉】", "推进"),
    ],
)
def test_near_misses_are_attempts_with_a_suggestion_in_the_same_language(
    bracket: str, suggestion: str
) -> None:
    with pytest.raises(ValueError, match=f"did you mean '{suggestion}'"):
        parse_camera_commands(f"text {bracket} text")


@pytest.mark.parametrize(
    "bracket, family",
    [
        ("[Zoom sideways]", ("Zoom in", "Zoom out")),
        ("[Pan diagonally]", ("Pan left", "Pan right")),
        ("[Tilt a bit]", ("Tilt up", "Tilt down")),
        ("[zoom-in slowly]", ("Zoom in",)),
        ("[Push the door open]", ("Push in",)),
        ("[Truck along the road]", ("Truck left", "Truck right")),
        ("[Pedestal]", ("Pedestal up", "Pedestal down")),
        ("[推进一点]", ("推进",)),
        ("[推进一点点]", ("推进",)),
        ("[左摇一下镜头]", ("左摇",)),
        ("[变焦一下]", ("变焦推近", "变焦拉远")),
        ("【拉远一些】", ("拉远",)),
    ],
)
def test_a_bracket_that_starts_like_a_command_is_an_attempt(bracket: str, family: tuple[str, ...]) -> None:
    """Its first word (English) or leading characters (Chinese) begin a command: the move was meant."""
    with pytest.raises(ValueError) as info:
        parse_camera_commands(f"A harbour at dawn {bracket} with gulls")
    message = str(info.value)
    assert message.startswith(
        f"prompt: unknown camera command '{bracket[1:-1]}' in '{bracket}'; did you mean "
    )
    suggestion = message.split("did you mean '", 1)[1].split("'", 1)[0]
    assert suggestion in family


def test_a_valid_command_makes_the_whole_bracket_an_attempt() -> None:
    with pytest.raises(ValueError, match="unknown camera command 'the sky' in '\\[Pan left, the sky\\]'"):
        parse_camera_commands("[Pan left, the sky]")


def test_an_empty_part_next_to_a_command_is_refused() -> None:
    with pytest.raises(ValueError, match="prompt: empty camera command in '\\[Pan left,\\]'"):
        parse_camera_commands("[Pan left,]")


@pytest.mark.parametrize(
    "prompt",
    [
        "See note [1] and [2].",
        "【产品展示】一只猫在沙发上睡觉",
        "A [click here](https://example.com) link",
        "[the camera drifts slowly over the hills]",
        "[citation needed]",
        "[wide shot] of a beach",
        "[Close-up] of a face",
        "[Slow motion]",
        "[]",
        "[   ]",
        "[Pan left\n]",
        "[注]",
        "[up]",
        "[x]",
        "[Sunset, beach, waves]",
        "【推荐】【热门】",
        "[Panorama of the bay]",
        "[Pancakes]",
        "[Tiltrotor aircraft landing]",
        "[Statically charged hair]",
        "[上海外滩的夜景]",
        "[左边的房子]",
        "[变化]",
    ],
)
def test_plain_prose_in_brackets_is_left_alone(prompt: str) -> None:
    assert parse_camera_commands(prompt) == []


def test_full_width_brackets_are_recognised_and_flagged() -> None:
    (move,) = parse_camera_commands("镜头【推进】拍摄")
    assert move.fullwidth
    assert move.text == "【推进】"
    assert move.commands[0].english == "Push in"


def test_mismatched_brackets_are_not_commands() -> None:
    assert parse_camera_commands("[推进】 and 【推进]") == []


def test_help_lists_every_command() -> None:
    text = camera_commands_help()
    for command in CAMERA_COMMANDS:
        assert command.english in text
        assert command.chinese in text
    assert "Up to 3" in text


def test_help_columns_line_up_in_a_terminal() -> None:
    lines = camera_commands_help().splitlines()
    header = lines[0]
    chinese_column = header.index("Chinese")
    for line in lines[2:17]:
        # Everything before the Chinese column is ASCII, so str index == terminal column.
        assert line[:chinese_column].isascii()
        assert not line[chinese_column - 1].strip()


def test_markdown_table_has_one_row_per_command() -> None:
    table = camera_commands_markdown()
    rows = table.strip().splitlines()
    assert rows[0] == "| Group | English | Chinese |"
    assert len(rows) == 2 + len(CAMERA_COMMANDS)
    assert "| Truck | `[Truck left]` | `[左移]` |" in rows


# --- properties ------------------------------------------------------------------------------

spellings = st.sampled_from(CAMERA_COMMANDS).flatmap(
    lambda c: st.tuples(
        st.just(c),
        st.sampled_from(
            [c.english, c.english.upper(), c.english.lower(), c.english.replace(" ", "  "), c.chinese]
        ),
    )
)


@given(st.lists(spellings, min_size=1, max_size=3), st.sampled_from([",", "，", "、", ", ", " ， "]))
def test_any_one_to_three_commands_parse_back(
    picked: list[tuple[CameraCommand, str]], separator: str
) -> None:
    prompt = "scene [" + separator.join(text for _, text in picked) + "] end"
    (move,) = parse_camera_commands(prompt)
    assert move.commands == tuple(command for command, _ in picked)


@given(st.text())
def test_random_prompts_raise_nothing_but_value_error(prompt: str) -> None:
    try:
        parse_camera_commands(prompt)
    except ValueError as exc:
        assert str(exc).startswith("prompt: ")


@given(st.text(alphabet=st.characters(blacklist_characters="[]【】")))
def test_text_without_brackets_has_no_moves(prompt: str) -> None:
    assert parse_camera_commands(prompt) == []
