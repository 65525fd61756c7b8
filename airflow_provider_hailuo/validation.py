"""Request validation and payload building for ``POST /v1/video_generation`` (no HTTP here).

Every task MiniMax accepts is billed, and MiniMax rejects some mistakes only after queueing, or
not at all (a misspelt camera command just becomes prose). The operator, the hook and the CLI
therefore all call :func:`build_video_generation_payload` before anything is sent, so a DAG
fails at the first task try, with a message naming the field and what it may be, instead of
after a paid generation.

The model rules come from :mod:`airflow_provider_hailuo.catalogue` only. A model name that is
not in the catalogue is allowed (MiniMax ships models faster than providers are released) with
a warning, and then only the rules every v1 model shares are applied. A name that differs from
a known one only in letter case is refused: MiniMax's names are case-sensitive, so it is a typo.

Values arriving through Airflow templating are strings, so ``"6"``, ``"true"`` and ``"1080p"``
are accepted and normalised; the payload always carries proper JSON types.

Fields left as ``None`` are left out of the payload, defaults included: MiniMax applies the
same defaults we validate against, and the nodetool project reports that the 01-series models
may reject an explicit ``duration``/``resolution``. S2V-01 never gets those two fields, since
its spec has none.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import logging
import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_hailuo.camera import parse_camera_commands
from airflow_provider_hailuo.catalogue import (
    DEFAULT_MODEL,
    MODELS,
    RESOLUTION_PIXELS,
    Mode,
    ModelSpec,
    get_model,
)
from airflow_provider_hailuo.redaction import redact_callback_url, redact_image_reference

__all__ = [
    "MAX_PROMPT_CHARS",
    "NAMED_FIELDS",
    "build_video_generation_payload",
    "determine_mode",
    "validate_file_id",
    "validate_video_task_id",
]

logger = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 2000

#: Request fields with a parameter of their own; ``extra_params`` may not override them.
NAMED_FIELDS: tuple[str, ...] = (
    "model",
    "prompt",
    "duration",
    "resolution",
    "first_frame_image",
    "last_frame_image",
    "subject_reference",
    "prompt_optimizer",
    "fast_pretreatment",
    "callback_url",
    "aigc_watermark",
)

#: Rules shared by every catalogued model, applied to names the catalogue does not know.
_GENERAL_RESOLUTIONS: tuple[str, ...] = tuple(sorted(RESOLUTION_PIXELS, key=lambda r: int(r.rstrip("P"))))
_GENERAL_DURATIONS: tuple[int, ...] = tuple(
    sorted(
        {d for spec in MODELS.values() for grid in spec.grids.values() for ds in grid.values() for d in ds}
    )
)
_DEFAULT_DURATION = 6

_MODE_FIELD: Mapping[Mode, str] = {
    Mode.FIRST_FRAME: "first_frame_image",
    Mode.FIRST_LAST_FRAME: "last_frame_image",
    Mode.SUBJECT_REFERENCE: "subject_reference",
}
_IMAGE_SUBTYPES = frozenset({"jpeg", "jpg", "png", "webp"})
_DIGITS = re.compile(r"^[0-9]+$")
_RESOLUTION_NUMBER = re.compile(r"^[0-9]+$")


def _warn(message: str) -> None:
    # Both channels: warnings reach pytest and the CLI, the log reaches the Airflow task log.
    warnings.warn(message, UserWarning, stacklevel=3)
    logger.warning("%s", message)


def _join(items: Iterable[object]) -> str:
    return ", ".join(str(i) for i in items)


def _preview(value: object, limit: int = 80) -> str:
    shown = repr(redact_image_reference(value))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _modes_of(spec: ModelSpec) -> list[Mode]:
    return [m for m in Mode if m in spec.modes]


def _models_for(mode: Mode) -> list[str]:
    return [spec.name for spec in MODELS.values() if mode in spec.modes]


# --------------------------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------------------------


def _parse_bool(field: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{field}: expected true or false, got {value!r}")


def _parse_duration(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(
            f"duration: expected a whole number of seconds ({_join(_GENERAL_DURATIONS)}), got {value!r}"
        )
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError(
        f"duration: expected a whole number of seconds ({_join(_GENERAL_DURATIONS)}), got {value!r}"
    )


def _parse_resolution(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value}P"
    if isinstance(value, str):
        label = value.strip().upper()
        return f"{label}P" if _RESOLUTION_NUMBER.fullmatch(label) else label
    raise ValueError(
        f"resolution: expected a label such as 768P ({_join(_GENERAL_RESOLUTIONS)}), got {value!r}"
    )


def _check_prompt(prompt: object, mode: Mode) -> str | None:
    if prompt is None:
        text = None
    elif isinstance(prompt, str):
        text = prompt
    else:
        raise ValueError(f"prompt: expected a string, got {type(prompt).__name__}")
    if text is None or not text.strip():
        if mode is Mode.TEXT:
            raise ValueError(
                f"prompt: required for text-to-video; give a non-empty description of at most "
                f"{MAX_PROMPT_CHARS} characters"
            )
        return None
    if len(text) > MAX_PROMPT_CHARS:
        raise ValueError(f"prompt: {len(text)} characters; at most {MAX_PROMPT_CHARS} are allowed")
    return text


def _check_callback_url(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"callback_url: expected an http:// or https:// URL, got {type(value).__name__}")
    url = value.strip()
    if not url:  # what an optional templated value renders to when unset: no callback, as MiniMax reads it
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"callback_url: expected an http:// or https:// URL, got {redact_callback_url(url)!r}"
        )
    host = parts.hostname
    unreachable = host == "localhost" or host.endswith(".localhost")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        unreachable = address.is_loopback or address.is_private or address.is_link_local
    if unreachable:
        _warn(
            f"callback_url: {host} is not reachable from MiniMax's servers; MiniMax checks the callback "
            "before accepting the task and refuses it (2013 'fail to check callback url') if the check fails"
        )
    return url


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------


def _check_image_value(field: str, value: object) -> str:
    """Accept only what can go on the wire; reading files is :mod:`images`' job, not ours."""
    hint = (
        "expected an http(s) URL or a data:image/<type>;base64,... URL "
        "(use airflow_provider_hailuo.images.resolve_image for local files, bytes and s3:// URLs)"
    )
    if not isinstance(value, str):
        raise ValueError(f"{field}: {hint}, got {type(value).__name__}")
    text = value.strip()
    lowered = text[:16].lower()
    if lowered.startswith(("http://", "https://")):
        if not urlsplit(text).netloc:
            raise ValueError(f"{field}: URL {_preview(text)} has no host; {hint}")
        return text
    if lowered.startswith("data:image/") and ";base64," in text[:64].lower():
        subtype = text[len("data:image/") : text.index(";")].lower()
        if subtype not in _IMAGE_SUBTYPES:
            raise ValueError(
                f"{field}: data URL of type image/{subtype} is not accepted; use image/jpeg, image/png or image/webp"
            )
        return text
    raise ValueError(f"{field}: {hint}, got {_preview(text)}")


def _normalise_subject_reference(value: object) -> list[dict[str, Any]]:
    """Fold the shapes people write into the contract's ``[{"type": "character", "image": [url]}]``."""
    field = "subject_reference"
    item: object = value
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueError(
                f"{field}: expected exactly one subject (MiniMax supports a single character), got {len(value)}"
            )
        item = value[0]
    if isinstance(item, str):
        return [{"type": "character", "image": [_check_image_value(field, item)]}]
    if not isinstance(item, Mapping):
        raise ValueError(
            f"{field}: expected an image URL or {{'type': 'character', 'image': <url>}}, got {_preview(item)}"
        )
    unknown = sorted(str(k) for k in item if k not in ("type", "image"))
    if unknown:
        raise ValueError(f"{field}: unexpected key(s) {_join(unknown)}; allowed keys: type, image")
    kind = item.get("type", "character")
    if not isinstance(kind, str) or kind.strip().lower() != "character":
        raise ValueError(f"{field}: type must be 'character' (the only subject type), got {kind!r}")
    image = item.get("image")
    if isinstance(image, (list, tuple)):
        if len(image) != 1:
            raise ValueError(f"{field}: 'image' must hold exactly one image, got {len(image)}")
        image = image[0]
    if image is None:
        raise ValueError(f"{field}: 'image' is missing; expected one image URL or data URL")
    return [{"type": "character", "image": [_check_image_value(field, image)]}]


def determine_mode(
    *,
    first_frame_image: object = None,
    last_frame_image: object = None,
    subject_reference: object = None,
) -> Mode:
    """Which generation the image fields ask for; MiniMax has no explicit mode field."""
    if subject_reference is not None and (first_frame_image is not None or last_frame_image is not None):
        given = [
            name
            for name, v in (("first_frame_image", first_frame_image), ("last_frame_image", last_frame_image))
            if v is not None
        ]
        raise ValueError(
            f"subject_reference: cannot be combined with {' or '.join(given)}; use subject_reference "
            "(S2V-01) or frame images, not both"
        )
    if subject_reference is not None:
        return Mode.SUBJECT_REFERENCE
    if last_frame_image is not None:
        # The first+last spec requires only the last frame; the first one is optional there.
        return Mode.FIRST_LAST_FRAME
    if first_frame_image is not None:
        return Mode.FIRST_FRAME
    return Mode.TEXT


# --------------------------------------------------------------------------------------------
# Model, mode and grid
# --------------------------------------------------------------------------------------------


def _resolve_model(model: object) -> tuple[str, ModelSpec | None]:
    known = _join(MODELS)
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"model: expected a model name; known models: {known}")
    name = model.strip()
    spec = get_model(name)
    if spec is not None:
        return name, spec
    for candidate in MODELS:
        if candidate.lower() == name.lower():
            raise ValueError(
                f"model: unknown model {name!r}; model names are case-sensitive, did you mean {candidate!r}?"
            )
    close = difflib.get_close_matches(name, list(MODELS), n=1, cutoff=0.8)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    _warn(
        f"model: {name!r} is not in this provider's catalogue (known models: {known}).{hint} Sending it "
        f"anyway, checking only the prompt (at most {MAX_PROMPT_CHARS} characters); durations other than "
        f"{_join(_GENERAL_DURATIONS)} and resolutions other than {_join(_GENERAL_RESOLUTIONS)} are sent with a warning"
    )
    return name, None


def _mode_error(spec: ModelSpec, mode: Mode) -> ValueError:
    supported = _join(m.value for m in _modes_of(spec))
    if mode is Mode.TEXT:
        needed = _MODE_FIELD[_modes_of(spec)[0]]
        return ValueError(
            f"{needed}: {spec.name} needs {needed} (it supports {supported}, not text-to-video); "
            f"models for text-to-video: {_join(_models_for(Mode.TEXT))}"
        )
    field = _MODE_FIELD[mode]
    return ValueError(
        f"{field}: {spec.name} does not support {mode.value} (it supports {supported}); "
        f"models that support {mode.value}: {_join(_models_for(mode))}"
    )


def _check_resolution(spec: ModelSpec, mode: Mode, resolution: str) -> None:
    grid = spec.grid(mode)
    if resolution in grid:
        return
    allowed = _join(grid)
    if resolution not in RESOLUTION_PIXELS:
        raise ValueError(
            f"resolution: {resolution!r} is not a MiniMax resolution; allowed for {spec.name} in {mode.value}: {allowed}"
        )
    elsewhere = [m.value for m in _modes_of(spec) if resolution in spec.grid(m)]
    if len(elsewhere) == 1:
        note = f" ({resolution} is {elsewhere[0]} only)"
    elif elsewhere:
        note = f" ({resolution} is available in {_join(elsewhere)})"
    else:
        others = [s.name for s in MODELS.values() if mode in s.modes and resolution in s.grid(mode)]
        note = f" (models with {resolution} in {mode.value}: {_join(others)})" if others else ""
    raise ValueError(
        f"resolution: {resolution} is not available for {spec.name} in {mode.value}; allowed: {allowed}{note}"
    )


def _check_duration(spec: ModelSpec, mode: Mode, resolution: str, duration: int) -> None:
    allowed = spec.grid(mode)[resolution]
    if duration not in allowed:
        raise ValueError(
            f"duration: {duration} s is not available at {resolution} for {spec.name} ({mode.value}); "
            f"allowed at {resolution}: {_join(allowed)}"
        )


def _check_fixed_output(spec: ModelSpec, mode: Mode, resolution: str | None, duration: int | None) -> None:
    """For models whose spec has no resolution/duration fields, only their fixed values may be named."""
    grid = spec.grid(mode)
    fixed_resolutions = list(grid)
    fixed_durations = sorted({d for ds in grid.values() for d in ds})
    if resolution is not None and resolution not in grid:
        raise ValueError(
            f"resolution: {spec.name} has no resolution setting (its output is {_join(fixed_resolutions)}); "
            f"omit resolution or pass {_join(fixed_resolutions)}"
        )
    if duration is not None and duration not in fixed_durations:
        raise ValueError(
            f"duration: {spec.name} has no duration setting (its videos are {_join(fixed_durations)} s); "
            f"omit duration or pass {_join(fixed_durations)}"
        )


def _check_general(resolution: str | None, duration: int | None) -> None:
    """For a model the catalogue does not know: its grid is unknown too, so only warn.

    (MiniMax has accepted values outside the documented grid for older models, e.g. ``video-01`` with
    5 s; refusing them would block requests the API takes.)
    """
    if resolution is not None and resolution not in _GENERAL_RESOLUTIONS:
        _warn(
            f"resolution: {resolution!r} is not among the documented resolutions ({_join(_GENERAL_RESOLUTIONS)}); "
            "sent as given for a model the catalogue does not know"
        )
    if duration is not None and duration not in _GENERAL_DURATIONS:
        _warn(
            f"duration: {duration} s is not among the documented durations ({_join(_GENERAL_DURATIONS)}); sent as "
            "given for a model the catalogue does not know"
        )


def _check_fast_pretreatment(spec: ModelSpec, mode: Mode) -> None:
    if mode in spec.fast_pretreatment_modes:
        return
    offering = [s.name for s in MODELS.values() if mode in s.fast_pretreatment_modes]
    where = (
        f"models offering it for {mode.value}: {_join(offering)}"
        if offering
        else f"no model offers it for {mode.value}"
    )
    raise ValueError(f"fast_pretreatment: not available for {spec.name} in {mode.value}; {where}")


def _check_camera(prompt: str | None, spec: ModelSpec | None) -> None:
    if prompt is None:
        return
    if spec is None or not spec.camera_commands:
        # Brackets are prose for a model without camera commands (or one we do not know): a bracket that
        # looks like a misspelt command is worth a warning there, never a refusal.
        try:
            moves = parse_camera_commands(prompt)
        except ValueError as err:
            _warn(f"{err} (not refused: {spec.name if spec else 'this model'} may read brackets as text)")
            return
    else:
        moves = parse_camera_commands(prompt)
    if not moves:
        return
    if spec is not None and not spec.camera_commands:
        with_camera = [s.name for s in MODELS.values() if s.camera_commands]
        _warn(
            f"prompt: {spec.name} does not document camera commands, so "
            f"{_join(m.text for m in moves)} will likely be read as plain text; models with camera "
            f"commands: {_join(with_camera)}"
        )
    for move in moves:
        if move.fullwidth:
            _warn(
                f"prompt: {move.text} uses full-width brackets; MiniMax documents only ASCII brackets, "
                f"write [{move.text[1:-1]}]"
            )


def _check_extra_params(extra_params: object) -> dict[str, Any]:
    if extra_params is None:
        return {}
    if not isinstance(extra_params, Mapping):
        raise ValueError(
            f"extra_params: expected a mapping of field name to value, got {type(extra_params).__name__}"
        )
    extras: dict[str, Any] = {}
    for key, value in extra_params.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"extra_params: keys must be non-empty strings, got {key!r}")
        if key in NAMED_FIELDS:
            raise ValueError(
                f"extra_params: {key!r} has its own parameter; pass {key}=... instead of putting it in "
                f"extra_params (named fields: {_join(NAMED_FIELDS)})"
            )
        if value is None:
            continue
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"extra_params: value of {key!r} is not JSON-serialisable ({exc})") from None
        extras[key] = value
    return extras


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def build_video_generation_payload(
    *,
    model: str = DEFAULT_MODEL,
    prompt: str | None = None,
    duration: int | str | None = None,
    resolution: str | None = None,
    prompt_optimizer: bool | str | None = None,
    fast_pretreatment: bool | str | None = None,
    first_frame_image: str | None = None,
    last_frame_image: str | None = None,
    subject_reference: object = None,
    callback_url: str | None = None,
    aigc_watermark: bool | str | None = None,
    extra_params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate a request and return the JSON body for ``POST /v1/video_generation``.

    Image arguments must already be wire strings (http(s) URL or base64 data URL); see
    :func:`airflow_provider_hailuo.images.resolve_image`. Raises :class:`ValueError` whose
    message starts with the offending field; soft problems are :class:`UserWarning` plus a log
    line.
    """
    name, spec = _resolve_model(model)
    mode = determine_mode(
        first_frame_image=first_frame_image,
        last_frame_image=last_frame_image,
        subject_reference=subject_reference,
    )
    if spec is not None and mode not in spec.modes:
        raise _mode_error(spec, mode)

    first = (
        _check_image_value("first_frame_image", first_frame_image) if first_frame_image is not None else None
    )
    last = _check_image_value("last_frame_image", last_frame_image) if last_frame_image is not None else None
    subject = _normalise_subject_reference(subject_reference) if subject_reference is not None else None

    text = _check_prompt(prompt, mode)
    _check_camera(text, spec)

    res = _parse_resolution(resolution)
    dur = _parse_duration(duration)
    send_resolution_and_duration = True
    if spec is None:
        _check_general(res, dur)
    elif not spec.takes_resolution_and_duration:
        _check_fixed_output(spec, mode, res, dur)
        send_resolution_and_duration = False
    else:
        grid = spec.grid(mode)
        if res is not None:
            effective = res
        elif spec.default_resolution is not None and spec.default_resolution in grid:
            effective = spec.default_resolution
        else:
            effective = next(iter(grid))
        _check_resolution(spec, mode, effective)
        _check_duration(spec, mode, effective, _DEFAULT_DURATION if dur is None else dur)

    optimizer = _parse_bool("prompt_optimizer", prompt_optimizer)
    fast = _parse_bool("fast_pretreatment", fast_pretreatment)
    watermark = _parse_bool("aigc_watermark", aigc_watermark)
    if fast:
        if spec is not None:
            _check_fast_pretreatment(spec, mode)
        if optimizer is False:
            _warn(
                "fast_pretreatment: has no effect with prompt_optimizer=false (it speeds up prompt optimisation)"
            )

    url = _check_callback_url(callback_url)
    extras = _check_extra_params(extra_params)

    payload: dict[str, Any] = {"model": name}
    if text is not None:
        payload["prompt"] = text
    if send_resolution_and_duration:
        if dur is not None:
            payload["duration"] = dur
        if res is not None:
            payload["resolution"] = res
    optional: tuple[tuple[str, object], ...] = (
        ("first_frame_image", first),
        ("last_frame_image", last),
        ("subject_reference", subject),
        ("prompt_optimizer", optimizer),
        ("fast_pretreatment", fast),
        ("callback_url", url),
        ("aigc_watermark", watermark),
    )
    payload.update((key, value) for key, value in optional if value is not None)
    payload.update(extras)
    return payload


def _validate_numeric_id(value: object, field: str) -> str:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{field}: expected a string of digits such as '106916112212032', got {value!r}")
    text = str(value).strip()
    if not _DIGITS.fullmatch(text):
        raise ValueError(f"{field}: expected a string of digits such as '106916112212032', got {value!r}")
    return text


def validate_video_task_id(value: object, *, field: str = "task_id") -> str:
    """MiniMax task ids are digit strings; ints (from JSON or XCom) are accepted and converted."""
    return _validate_numeric_id(value, field)


def validate_file_id(value: object, *, field: str = "file_id") -> str:
    """File ids are strings in query responses but int64 in ``files/retrieve``; accept both."""
    return _validate_numeric_id(value, field)
