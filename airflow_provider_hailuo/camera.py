"""Camera-movement commands written in square brackets inside a prompt.

MiniMax's director-style models read commands such as ``[Pan left]`` or ``[推进]`` from the
prompt text. MiniMax never rejects a misspelt command: it silently treats it as prose and the
paid-for video simply lacks the move. Catching typos here, before the task is created, is the
point of this module.

Decisions (the API documentation is silent on all of them):

* **Brackets.** ASCII ``[...]`` is the documented syntax. Full-width ``【...】`` (what a Chinese
  input method types for ``[``) is also recognised, so typos inside it are caught too;
  :attr:`CameraMove.fullwidth` lets callers warn that MiniMax documents only ASCII brackets.
* **Matching.** English is matched case-insensitively with all whitespace ignored
  (``[pan   LEFT]`` and ``[PanLeft]`` both mean ``Pan left``); Chinese is matched exactly,
  whitespace ignored. Commands inside one bracket are separated by ``,``, ``，`` or ``、``.
* **At most 3 commands per bracket.** MiniMax recommends no more than three combined moves;
  a fourth is far more likely a mistake than an intent, so it is an error.
* **Which brackets are command attempts (false-positive rule).** Prompts legitimately contain
  bracketed prose (``[1]``, ``【产品展示】``, ``[the camera drifts]``). A bracket is treated as an
  attempted camera command when it is on one line, non-empty, and either

  1. at least one of its comma-separated parts is an exact command - then every other part
     must be a command too; or
  2. it *starts like* a command: its first English word is the first word of a command
     (``[Zoom sideways]``, ``[Pan diagonally]``, ``[Tilt a bit]``, ``[zoom-in slowly]``), or its
     first two Chinese characters begin a command (``[推进一点]``, ``[变焦一下]``). A whole word
     is needed (``[Panorama]`` is prose), and two characters (``【推荐】`` is prose); or
  3. every part is at most 20 characters long and *close* to a command: a
     :class:`difflib.SequenceMatcher` ratio of at least 0.6 against the English or Chinese
     spelling (whitespace removed, case folded).

  Anything else is left alone as prose. A bracket judged to be an attempt that does not parse
  raises :class:`ValueError` naming the closest valid command (for rule 2, the closest of the
  commands it starts like), because sending it would waste money on a video without the
  intended move. Whether that error refuses the request or only warns is the validation's
  decision: on models without camera commands brackets are prose, so it only warns.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "CAMERA_COMMANDS",
    "MAX_COMMANDS_PER_BRACKET",
    "CameraCommand",
    "CameraMove",
    "camera_commands_help",
    "camera_commands_markdown",
    "lookup_camera_command",
    "parse_camera_commands",
]


@dataclass(frozen=True)
class CameraCommand:
    """One documented move; the English and Chinese spellings are interchangeable."""

    english: str
    chinese: str
    group: str


#: The 15 documented v1 commands, paired by the order of MiniMax's English and Chinese lists.
CAMERA_COMMANDS: tuple[CameraCommand, ...] = (
    CameraCommand("Truck left", "左移", "Truck"),
    CameraCommand("Truck right", "右移", "Truck"),
    CameraCommand("Pan left", "左摇", "Pan"),
    CameraCommand("Pan right", "右摇", "Pan"),
    CameraCommand("Push in", "推进", "Push/pull"),
    CameraCommand("Pull out", "拉远", "Push/pull"),
    CameraCommand("Pedestal up", "上升", "Pedestal"),
    CameraCommand("Pedestal down", "下降", "Pedestal"),
    CameraCommand("Tilt up", "上摇", "Tilt"),
    CameraCommand("Tilt down", "下摇", "Tilt"),
    CameraCommand("Zoom in", "变焦推近", "Zoom"),
    CameraCommand("Zoom out", "变焦拉远", "Zoom"),
    CameraCommand("Shake", "晃动", "Shake"),
    CameraCommand("Tracking shot", "跟随", "Follow"),
    CameraCommand("Static shot", "固定", "Static"),
)

MAX_COMMANDS_PER_BRACKET = 3

#: Tuning of the false-positive rule described in the module docstring.
_MAX_PART_CHARS = 20
_SIMILARITY_CUTOFF = 0.6

_SEPARATORS = re.compile(r"[,，、]")
_BRACKETS = re.compile(r"\[([^\[\]【】\n]*)\]|【([^\[\]【】\n]*)】")


def _key(text: str) -> str:
    return "".join(text.split()).casefold()


_BY_KEY: dict[str, CameraCommand] = {}
for _command in CAMERA_COMMANDS:
    _BY_KEY[_key(_command.english)] = _command
    _BY_KEY[_key(_command.chinese)] = _command
#: Chinese characters that begin a command must match this many to make an attempt (rule 2).
_CHINESE_PREFIX_CHARS = 2
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LEADING_LETTERS = re.compile(r"[a-z]+")
#: normalised key -> spelling to suggest, so a Chinese typo gets a Chinese suggestion.
_SPELLINGS: dict[str, str] = {}
for _command in CAMERA_COMMANDS:
    _SPELLINGS[_key(_command.english)] = _command.english
    _SPELLINGS[_key(_command.chinese)] = _command.chinese


@dataclass(frozen=True)
class CameraMove:
    """One bracket of the prompt; its commands run simultaneously, brackets run in order."""

    commands: tuple[CameraCommand, ...]
    text: str
    """The bracket exactly as written, brackets included."""
    start: int
    """Offset of the opening bracket in the prompt."""

    @property
    def fullwidth(self) -> bool:
        return self.text.startswith("【")

    @property
    def canonical(self) -> str:
        """The documented ASCII-bracket form, e.g. ``[Pan left,Pedestal up]``."""
        return "[" + ",".join(c.english for c in self.commands) + "]"


def lookup_camera_command(text: str) -> CameraCommand | None:
    """Return the command spelt by ``text`` (either language), or ``None``."""
    return _BY_KEY.get(_key(text))


def _similarity(key: str) -> float:
    return max(difflib.SequenceMatcher(None, key, known).ratio() for known in _SPELLINGS)


def _looks_like_command(part: str) -> bool:
    if not part or len(part) > _MAX_PART_CHARS:
        return False
    return _similarity(_key(part)) >= _SIMILARITY_CUTOFF


def _starts_like(part: str) -> list[str]:
    """The spellings of the commands ``part`` starts like (rule 2), as keys; empty for anything else."""
    key = _key(part)
    if _CJK.match(key):
        head = key[:_CHINESE_PREFIX_CHARS]
        if len(head) < _CHINESE_PREFIX_CHARS:
            return []
        return [_key(c.chinese) for c in CAMERA_COMMANDS if _key(c.chinese).startswith(head)]
    words = part.split()
    word = _LEADING_LETTERS.match(words[0].casefold()) if words else None
    if word is None or word.end() == 0:
        return []
    return [_key(c.english) for c in CAMERA_COMMANDS if c.english.split()[0].casefold() == word.group(0)]


def _closest(part: str) -> str:
    key = _key(part)
    candidates = _starts_like(part) or list(_SPELLINGS)
    best = max(candidates, key=lambda known: difflib.SequenceMatcher(None, key, known).ratio())
    return _SPELLINGS[best]


def _allowed() -> str:
    return ", ".join(f"{c.english}/{c.chinese}" for c in CAMERA_COMMANDS)


def parse_camera_commands(prompt: str) -> list[CameraMove]:
    """Find the camera moves in ``prompt``, in order.

    Raises :class:`ValueError` (starting with ``prompt:``) for a bracket that is plainly meant
    as a command but does not spell one, or that combines more than three.
    """
    moves: list[CameraMove] = []
    for match in _BRACKETS.finditer(prompt):
        content = match.group(1) if match.group(1) is not None else match.group(2)
        if not content.strip():
            continue
        parts = [p.strip() for p in _SEPARATORS.split(content)]
        found = [lookup_camera_command(p) if p else None for p in parts]
        attempted = (
            any(c is not None for c in found)
            or bool(_starts_like(parts[0]))
            or all(_looks_like_command(p) for p in parts)
        )
        if not attempted:
            continue
        bracket = match.group(0)
        for part, command in zip(parts, found, strict=True):
            if command is not None:
                continue
            if not part:
                raise ValueError(
                    f"prompt: empty camera command in {bracket!r}; separate commands with a single "
                    f"',' / '，' / '、'. Allowed: {_allowed()}"
                )
            raise ValueError(
                f"prompt: unknown camera command {part!r} in {bracket!r}; did you mean "
                f"{_closest(part)!r}? Allowed: {_allowed()}"
            )
        if len(parts) > MAX_COMMANDS_PER_BRACKET:
            raise ValueError(
                f"prompt: {bracket!r} combines {len(parts)} camera commands; at most "
                f"{MAX_COMMANDS_PER_BRACKET} can run together in one bracket. Split them into "
                "separate brackets to run them one after another"
            )
        commands = tuple(c for c in found if c is not None)
        moves.append(CameraMove(commands=commands, text=bracket, start=match.start()))
    return moves


def _width(text: str) -> int:
    # East Asian wide characters take two terminal columns; without this the table is ragged.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def camera_commands_help() -> str:
    """A plain-text table for terminals (the CLI's ``--help``-style listings)."""
    rows = [("Group", "English", "Chinese")] + [(c.group, c.english, c.chinese) for c in CAMERA_COMMANDS]
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(
        f"Write commands in square brackets inside the prompt, e.g. '[Pan left]' or '[左摇]'. Up to "
        f"{MAX_COMMANDS_PER_BRACKET} commands in one bracket run together: '[Pan left,Pedestal up]'. "
        "Brackets run in order."
    )
    return "\n".join(lines)


def camera_commands_markdown() -> str:
    """The English/Chinese table as Markdown, for generated documentation."""
    lines = ["| Group | English | Chinese |", "|---|---|---|"]
    lines.extend(f"| {c.group} | `[{c.english}]` | `[{c.chinese}]` |" for c in CAMERA_COMMANDS)
    return "\n".join(lines) + "\n"
