"""``hailuo models`` and ``hailuo camera``: the catalogue and the camera commands, without Airflow.

They print the very tables validation uses, so what is listed is exactly what ``generate`` accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.catalogue import DEFAULT_MODEL, MODELS
from airflow_provider_hailuo.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from airflow_provider_hailuo.cli.runtime import Runtime

__all__ = ["cmd_camera", "cmd_models"]


def _grid_text(grid: Any) -> str:
    return ", ".join(f"{res} ({'/'.join(str(d) for d in durations)}s)" for res, durations in grid.items())


def cmd_models(rt: Runtime) -> int:
    """The catalogue validation uses, so what is listed is exactly what ``generate`` accepts."""
    if rt.args.json:
        rt.console.emit_json(
            [
                {
                    "name": spec.name,
                    "default": spec.name == DEFAULT_MODEL,
                    "api_version": spec.api_version,
                    "modes": {
                        mode.value: {res: list(durations) for res, durations in grid.items()}
                        for mode, grid in spec.grids.items()
                    },
                    "default_resolution": spec.default_resolution,
                    "camera_commands": spec.camera_commands,
                    "fast_pretreatment_modes": sorted(m.value for m in spec.fast_pretreatment_modes),
                    "description": spec.description,
                }
                for spec in MODELS.values()
            ]
        )
        return ExitCode.OK
    header = ("MODEL", "MODE", "RESOLUTIONS (DURATIONS)", "DEFAULT", "CAMERA", "FAST")
    rows: list[tuple[str, ...]] = []
    for spec in MODELS.values():
        name = spec.name + (" *" if spec.name == DEFAULT_MODEL else "")
        for index, (mode, grid) in enumerate(spec.grids.items()):
            first = index == 0
            rows.append(
                (
                    name if first else "",
                    mode.value,
                    _grid_text(grid),
                    (spec.default_resolution or "-") if first else "",
                    ("yes" if spec.camera_commands else "no") if first else "",
                    "yes" if mode in spec.fast_pretreatment_modes else "-",
                )
            )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        rt.console.result("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    rt.console.result("")
    rt.console.result(
        "* default model. FAST: accepts --fast-pretreatment. CAMERA: follows [camera commands]."
    )
    for spec in MODELS.values():
        rt.console.result(f"{spec.name}: {spec.description}")
    return ExitCode.OK


def cmd_camera(rt: Runtime) -> int:
    from airflow_provider_hailuo.camera import (
        CAMERA_COMMANDS,
        MAX_COMMANDS_PER_BRACKET,
        camera_commands_help,
    )

    models = [spec.name for spec in MODELS.values() if spec.camera_commands]
    if rt.args.json:
        rt.console.emit_json(
            {
                "commands": [
                    {"group": c.group, "english": c.english, "chinese": c.chinese} for c in CAMERA_COMMANDS
                ],
                "max_per_bracket": MAX_COMMANDS_PER_BRACKET,
                "models": models,
            }
        )
        return ExitCode.OK
    rt.console.result(camera_commands_help())
    rt.console.result(f"Models that follow camera commands: {', '.join(models)}.")
    return ExitCode.OK
