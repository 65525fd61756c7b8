"""PNG plots for docs/performance.md. matplotlib is optional: without it the helpers return None.

``plot_memory_vs_video_size`` is meant for the transfer benchmark (``benchmarks/transfer_memory.py``):
pass one series per strategy as ``{label: [(video_bytes, peak_memory_bytes), ...]}``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

MiB = 1024 * 1024


def _pyplot() -> Any | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def matplotlib_available() -> bool:
    return _pyplot() is not None


def _save(fig: Any, path: str) -> str:
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def _plain_log_ticks(ax: Any, xticks: Sequence[float]) -> None:
    """Log axes labelled 8, 32, 512 (x at the measured sizes; y at 1-2-5 steps) rather than 8x10^0."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fmt = FuncFormatter(lambda value, _pos: f"{value:g}")
    ax.set_xticks(sorted(set(xticks)))
    ax.xaxis.set_major_formatter(fmt)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(fmt)
    ax.yaxis.set_minor_formatter(NullFormatter())


def plot_cpu_per_polls(
    results: Sequence[Mapping[str, Any]],
    path: str,
    *,
    labels: Mapping[str, str] | None = None,
    annotate: Sequence[str] = ("hailuo", "naive"),
    title: str = "Triggerer CPU per 1000 polls vs trigger count",
) -> str | None:
    """Net CPU seconds per 1000 polls against N, one line per implementation (``impl`` key).

    Rows with ``cpu_s_per_1000_polls_min``/``_max`` (several rounds) get error bars over that range;
    the values of the ``annotate`` implementations are written next to their points.
    """
    plt = _pyplot()
    if plt is None:
        return None
    by_impl: dict[str, list[tuple[int, float, float, float]]] = {}
    for row in results:
        value = row.get("cpu_s_per_1000_polls")
        if value is None:
            continue
        lo = row.get("cpu_s_per_1000_polls_min", value)
        hi = row.get("cpu_s_per_1000_polls_max", value)
        by_impl.setdefault(str(row["impl"]), []).append(
            (
                int(row["n"]),
                float(value),
                float(lo if lo is not None else value),
                float(hi if hi is not None else value),
            )
        )
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    for impl, points in by_impl.items():
        points.sort()
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        err = [[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=(labels or {}).get(impl, impl))
        if impl in annotate:
            for x, y in zip(xs, ys, strict=True):
                ax.annotate(
                    f"{y:.2f}", (x, y), textcoords="offset points", xytext=(8, 4), ha="left", fontsize=8
                )
    ax.set_xscale("log")
    counts = sorted({p[0] for points in by_impl.values() for p in points})
    ax.set_xticks(counts)
    ax.set_xticklabels([str(n) for n in counts])
    ax.minorticks_off()
    ax.set_xlabel("concurrent triggers on one event loop (N)")
    ax.set_ylabel("CPU seconds per 1000 polls (net of idle loop)")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False)
    result = _save(fig, path)
    plt.close(fig)
    return result


def plot_memory_vs_video_size(
    series: Mapping[str, Sequence[tuple[float, float]]],
    path: str,
    *,
    title: str = "Peak memory vs video size",
    ylabel: str = "peak memory (MiB)",
    reference_line: bool = True,
) -> str | None:
    """Peak memory against video size, both in bytes, drawn in MiB on log-log axes.

    :param series: ``{label: [(video_bytes, peak_memory_bytes), ...]}``, e.g. one per transfer strategy.
    :param reference_line: also draw ``memory = video size``, the cost of buffering the whole file.
    """
    plt = _pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2))
    all_sizes: list[float] = []
    for label, points in series.items():
        ordered = sorted((float(x), float(y)) for x, y in points)
        if not ordered:
            continue
        all_sizes.extend(p[0] for p in ordered)
        ax.plot([p[0] / MiB for p in ordered], [p[1] / MiB for p in ordered], marker="o", label=label)
    if reference_line and all_sizes:
        lo, hi = min(all_sizes) / MiB, max(all_sizes) / MiB
        ax.plot([lo, hi], [lo, hi], linestyle="--", color="grey", label="= video size (whole file in memory)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax, [x / MiB for x in all_sizes])
    ax.set_xlabel("video size (MiB)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    result = _save(fig, path)
    plt.close(fig)
    return result
