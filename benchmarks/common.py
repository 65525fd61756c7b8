"""Small helpers shared by the benchmarks: plain-text tables and a description of the machine."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> str:
    """A fixed-width text table; numbers right-aligned, text left-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    numeric = [
        all(_is_number(row[i]) for row in rows if i < len(row) and row[i] not in (None, ""))
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(widths[i]) if numeric[i] else value.ljust(widths[i]) for i, value in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    out: list[str] = []
    if title:
        out.append(title)
    out.append(line(list(headers)))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def format_mapping_rows(rows: Sequence[Mapping[str, Any]], *, title: str | None = None) -> str:
    """A table of dicts whose keys are not known in advance (results written by other tools)."""
    headers: list[str] = []
    for row in rows:
        for key in row:
            if key not in headers:
                headers.append(key)
    return format_table(headers, [[row.get(h, "") for h in headers] for row in rows], title=title)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        if abs(value) >= 0.1:
            return f"{value:.2f}"
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for raw in fh:
                if raw.lower().startswith("model name"):
                    return raw.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    """What a reader needs to judge the figures: CPU, cores, memory, OS, Python and key libraries."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "aiohttp": _version("aiohttp"),
        "apache-airflow": _version("apache-airflow"),
        "airflow-provider-hailuo": _version("airflow-provider-hailuo"),
    }
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        info["memory_gb"] = round(pages / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        info["load_avg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


def describe_machine(info: Mapping[str, Any]) -> str:
    mem = f", {info['memory_gb']} GB RAM" if "memory_gb" in info else ""
    load = f", load average at start {info['load_avg_at_start']}" if "load_avg_at_start" in info else ""
    return (
        f"{info['cpu']}, {info['cores']} cores{mem}; {info['os']}; Python {info['python']}, "
        f"aiohttp {info['aiohttp']}, Airflow {info['apache-airflow']}{load}"
    )
