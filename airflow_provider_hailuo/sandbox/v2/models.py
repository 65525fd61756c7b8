"""The sandbox's own copy of the v2 model matrix (contract §3.2, §3.3) and output geometry.

Deliberately not read from the provider's catalogue: a fake that shares the client's table cannot
catch a mistake in it. Where the contract's sources disagree, the side built here is named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

T2VA, I2VA, R2VA = "t2va", "i2va", "r2va"

CONCRETE_RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
RATIOS = ("adaptive", *CONCRETE_RATIOS)

PROMPT_EXPANSION_MODES = ("disabled", "balanced", "quality")


@dataclass(frozen=True)
class V2Model:
    name: str
    resolutions: tuple[str, ...]
    min_duration: int
    max_duration: int
    modes: tuple[str, ...] = (T2VA, I2VA, R2VA)
    accepts_extra: bool = False
    r2va_needs_concrete_ratio: bool = False
    regeneration_source: bool = False
    """Only MiniMax-H3 is accepted by Context-IR and regeneration (§3.2)."""


MODELS: dict[str, V2Model] = {
    m.name: m
    for m in (
        # C4: the docs' 768P and 2K, not the official CLI's "2K only". C5: 4 s minimum.
        V2Model("MiniMax-H3", ("768P", "2K"), 4, 15, regeneration_source=True),
        # C1: the newer CN page's reference mode (r2va) is built, not the EN page's "no r2va".
        # The "default 768P" is not: `resolution` is required by the schema, so it stays required.
        V2Model("MiniMax-H3-Max", ("480P", "768P"), 5, 15, accepts_extra=True),
        # Only a third-party client (C-hoobnn) documents these two; Lite per C12.
        V2Model("MiniMax-H3-Highspeed", ("768P",), 4, 15),
        V2Model("MiniMax-H3-Lite", ("480P", "768P"), 4, 15, r2va_needs_concrete_ratio=True),
    )
}

FPS = 24
MIN_FRAMES, MAX_FRAMES, FRAME_STEP = 107, 362, 17


def frame_count(duration_s: float) -> int:
    """Frames on the ``17n+5`` grid, rounding the requested duration up (C10: up, not nearest)."""
    wanted = duration_s * FPS
    n = max(0, math.ceil((wanted - 5) / FRAME_STEP - 1e-9))
    return max(MIN_FRAMES, 17 * n + 5)


def on_frame_grid(frames: int) -> bool:
    return MIN_FRAMES <= frames <= MAX_FRAMES and (frames - MIN_FRAMES) % FRAME_STEP == 0


# Output sizes. 2K 16:9 = 2560x1440 and 768P 16:9 = 1344x768 come from the contract (OBS); the other
# ratios are ours: sides divisible by 32 and, at 768P, an area inside the base_video window of
# regeneration (589,824-1,032,192 px), so a sandbox 768P video is always a valid base_video.
_GEOMETRY: dict[str, dict[str, tuple[int, int]]] = {
    "480P": {"21:9": (1120, 480), "16:9": (864, 480), "4:3": (640, 480), "1:1": (640, 640)},
    "768P": {"21:9": (1504, 640), "16:9": (1344, 768), "4:3": (1152, 864), "1:1": (992, 992)},
    "2K": {"21:9": (2912, 1248), "16:9": (2560, 1440), "4:3": (2208, 1664), "1:1": (1920, 1920)},
}
for _sizes in _GEOMETRY.values():
    for _landscape, _portrait in (("16:9", "9:16"), ("4:3", "3:4")):
        _w, _h = _sizes[_landscape]
        _sizes[_portrait] = (_h, _w)


def _ratio_value(ratio: str) -> float:
    w, h = ratio.split(":")
    return int(w) / int(h)


def nearest_ratio(width: int, height: int) -> str:
    """The concrete ratio closest (in log scale) to an input's aspect: what ``adaptive`` turns into."""
    aspect = math.log(width / height)
    return min(CONCRETE_RATIOS, key=lambda r: abs(math.log(_ratio_value(r)) - aspect))


def output_size(resolution: str, ratio: str) -> tuple[int, int]:
    return _GEOMETRY[resolution][ratio]


def all_output_sizes() -> set[tuple[int, int]]:
    """Every output size (the sandbox ships a playable clip for each)."""
    return {size for sizes in _GEOMETRY.values() for size in sizes.values()}


def ratio_of_size(resolution: str, width: int, height: int) -> str:
    """The table ratio of an output size (exact match first, else the nearest aspect)."""
    for ratio, size in _GEOMETRY[resolution].items():
        if size == (width, height):
            return ratio
    return nearest_ratio(width, height)
