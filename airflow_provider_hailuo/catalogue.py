"""The model catalogue, as data.

Validation, the sandbox server and the generated documentation table all read this one table, so a
model's rules cannot drift between what we check, what the sandbox enforces and what the docs say.
The API version is recorded per model so v2 models (MiniMax-H3) can be added without a rewrite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType


class Mode(str, Enum):
    """Which kind of generation a request is; decided by which image fields are present."""

    TEXT = "text-to-video"
    FIRST_FRAME = "image-to-video"
    FIRST_LAST_FRAME = "first-last-frame"
    SUBJECT_REFERENCE = "subject-reference"


#: Resolution label -> output size in pixels (16:9 when the output does not follow an input image).
RESOLUTION_PIXELS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "512P": (912, 512),
        "720P": (1280, 720),
        "768P": (1366, 768),
        "1080P": (1920, 1080),
    }
)

Grid = Mapping[str, tuple[int, ...]]
"""Resolution -> allowed durations in seconds."""


@dataclass(frozen=True)
class ModelSpec:
    """What one model accepts. ``grids`` maps each supported mode to its resolution x duration grid."""

    name: str
    api_version: str
    grids: Mapping[Mode, Grid]
    default_resolution: str | None
    camera_commands: bool
    fast_pretreatment_modes: frozenset[Mode] = field(default_factory=frozenset)
    #: S2V-01's spec has no resolution/duration fields at all; we then omit them from the payload.
    takes_resolution_and_duration: bool = True
    description: str = ""

    @property
    def modes(self) -> frozenset[Mode]:
        return frozenset(self.grids)

    def grid(self, mode: Mode) -> Grid:
        return self.grids[mode]

    @property
    def resolutions(self) -> tuple[str, ...]:
        seen: list[str] = []
        for grid in self.grids.values():
            for res in grid:
                if res not in seen:
                    seen.append(res)
        return tuple(sorted(seen, key=lambda r: int(r.rstrip("P"))))


_HAILUO_GRID_768_1080: Grid = MappingProxyType({"768P": (6, 10), "1080P": (6,)})
_HAILUO_02_I2V: Grid = MappingProxyType({"512P": (6, 10), "768P": (6, 10), "1080P": (6,)})
_ONLY_720: Grid = MappingProxyType({"720P": (6,)})

_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="MiniMax-Hailuo-2.3",
        api_version="v1",
        grids=MappingProxyType({Mode.TEXT: _HAILUO_GRID_768_1080, Mode.FIRST_FRAME: _HAILUO_GRID_768_1080}),
        default_resolution="768P",
        camera_commands=True,
        fast_pretreatment_modes=frozenset({Mode.TEXT, Mode.FIRST_FRAME}),
        description="Current Hailuo model: text and image to video, 768P/1080P.",
    ),
    ModelSpec(
        name="MiniMax-Hailuo-2.3-Fast",
        api_version="v1",
        grids=MappingProxyType({Mode.FIRST_FRAME: _HAILUO_GRID_768_1080}),
        default_resolution="768P",
        camera_commands=True,
        fast_pretreatment_modes=frozenset({Mode.FIRST_FRAME}),
        description="Faster image-to-video variant of Hailuo 2.3 (no text-to-video).",
    ),
    ModelSpec(
        name="MiniMax-Hailuo-02",
        api_version="v1",
        grids=MappingProxyType(
            {
                Mode.TEXT: _HAILUO_GRID_768_1080,
                Mode.FIRST_FRAME: _HAILUO_02_I2V,
                Mode.FIRST_LAST_FRAME: _HAILUO_GRID_768_1080,
            }
        ),
        default_resolution="768P",
        camera_commands=True,
        fast_pretreatment_modes=frozenset({Mode.TEXT, Mode.FIRST_FRAME}),
        description="Precise instruction following; the only model for first+last frame; 512P for image-to-video.",
    ),
    ModelSpec(
        name="T2V-01-Director",
        api_version="v1",
        grids=MappingProxyType({Mode.TEXT: _ONLY_720}),
        default_resolution="720P",
        camera_commands=True,
        description="Text-to-video, director edition: full camera-command control.",
    ),
    ModelSpec(
        name="T2V-01",
        api_version="v1",
        grids=MappingProxyType({Mode.TEXT: _ONLY_720}),
        default_resolution="720P",
        camera_commands=False,
        description="Original text-to-video model.",
    ),
    ModelSpec(
        name="I2V-01-Director",
        api_version="v1",
        grids=MappingProxyType({Mode.FIRST_FRAME: _ONLY_720}),
        default_resolution="720P",
        camera_commands=True,
        description="Image-to-video, director edition: full camera-command control.",
    ),
    ModelSpec(
        name="I2V-01-live",
        api_version="v1",
        grids=MappingProxyType({Mode.FIRST_FRAME: _ONLY_720}),
        default_resolution="720P",
        camera_commands=False,
        description="Image-to-video tuned for cartoon, comic and hand-drawn styles.",
    ),
    ModelSpec(
        name="I2V-01",
        api_version="v1",
        grids=MappingProxyType({Mode.FIRST_FRAME: _ONLY_720}),
        default_resolution="720P",
        camera_commands=False,
        description="Original image-to-video model.",
    ),
    ModelSpec(
        name="S2V-01",
        api_version="v1",
        grids=MappingProxyType({Mode.SUBJECT_REFERENCE: _ONLY_720}),
        default_resolution="720P",
        camera_commands=False,
        takes_resolution_and_duration=False,
        description="Subject reference: keeps one character's face consistent (720P, 6 s).",
    ),
)

MODELS: Mapping[str, ModelSpec] = MappingProxyType({m.name: m for m in _MODELS})

DEFAULT_MODEL = "MiniMax-Hailuo-02"


def get_model(name: str) -> ModelSpec | None:
    """Return the spec of a known model, or ``None`` for a name MiniMax may have shipped since."""
    return MODELS.get(name)


# --------------------------------------------------------------------------------------------
# v2 (MiniMax-H3 family): another request shape, so another spec; the same one table per model name.
# --------------------------------------------------------------------------------------------

#: Values of ``ratio`` the v2 API accepts; ``adaptive`` takes the aspect from the input image(s).
V2_RATIOS: tuple[str, ...] = ("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
#: Values of ``extra.prompt_expansion_mode`` (MiniMax-H3-Max only).
V2_PROMPT_EXPANSION_MODES: tuple[str, ...] = ("disabled", "balanced", "quality")


@dataclass(frozen=True)
class V2ModelSpec:
    """What one v2 model accepts. ``source`` tells a documented model from one only clients report."""

    name: str
    resolutions: tuple[str, ...]
    min_duration: int
    max_duration: int
    default_resolution: str
    reference_mode: bool = True
    prompt_expansion: bool = False
    #: MiniMax-H3-Lite: reference-to-video needs a concrete ratio (``adaptive`` is refused).
    references_need_concrete_ratio: bool = False
    source: str = "documented"
    description: str = ""
    api_version: str = "v2"

    @property
    def durations(self) -> tuple[int, ...]:
        return tuple(range(self.min_duration, self.max_duration + 1))


#: Said of the models that no MiniMax page names, only third-party clients (contract v2 §0, §3.2).
THIRD_PARTY = "reported by third-party clients"

_V2_MODELS: tuple[V2ModelSpec, ...] = (
    V2ModelSpec(
        name="MiniMax-H3",
        resolutions=("768P", "2K"),
        min_duration=4,
        max_duration=15,
        default_resolution="2K",
        description="H3: 2K, 4-15 s, native stereo audio; text, first/last frame or reference images, "
        "videos and audio.",
    ),
    V2ModelSpec(
        name="MiniMax-H3-Max",
        resolutions=("480P", "768P"),
        min_duration=5,
        max_duration=15,
        default_resolution="768P",
        prompt_expansion=True,
        description="Fast generation, 480P/768P, 5-15 s; takes prompt_expansion_mode.",
    ),
    V2ModelSpec(
        name="MiniMax-H3-Highspeed",
        resolutions=("768P",),
        min_duration=4,
        max_duration=15,
        default_resolution="768P",
        source=THIRD_PARTY,
        description="768P only, 4-15 s.",
    ),
    V2ModelSpec(
        name="MiniMax-H3-Lite",
        resolutions=("480P", "768P"),
        min_duration=4,
        max_duration=15,
        default_resolution="768P",
        references_need_concrete_ratio=True,
        source=THIRD_PARTY,
        description="480P/768P, 4-15 s; reference-to-video needs a concrete ratio.",
    ),
)

V2_MODELS: Mapping[str, V2ModelSpec] = MappingProxyType({m.name: m for m in _V2_MODELS})


def get_v2_model(name: str) -> V2ModelSpec | None:
    return V2_MODELS.get(name)


def api_version_for(model: object) -> str:
    """``"v2"`` for a MiniMax-H3 model, else ``"v1"``: the one place that decides which API a request uses.

    An uncatalogued ``MiniMax-H3…`` name is taken as v2 (the H3 family lives only there); every other
    unknown name stays on v1, as before.
    """
    name = str(model or "")
    spec = V2_MODELS.get(name) or MODELS.get(name)
    if spec is not None:
        return spec.api_version
    return "v2" if name.startswith("MiniMax-H3") else "v1"
