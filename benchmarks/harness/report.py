"""Markdown tables: one row per (case, system), medians and speedups over numpy."""
from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
from collections.abc import Callable
from typing import Any

from .systems import PEERS, describe_machine, load, version


def fmt(value: float) -> str:
    """A number with about three significant digits, thousands separated."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def display(row: dict[str, Any], to_unit: Callable[[float], float]) -> tuple[str, str]:
    """(median in the case's unit, spread as +-% of the median)."""
    med = statistics.median(row["samples"])
    lo, hi = min(row["samples"]), max(row["samples"])
    spread = (hi - lo) / 2 / med * 100 if med > 0 else 0.0
    return fmt(to_unit(med)), f"±{spread:.0f}%"


def speedup(row: dict[str, Any], numpy_row: dict[str, Any] | None) -> str:
    if numpy_row is None or numpy_row["status"] != "ok" or row["status"] != "ok":
        return ""
    t = statistics.median(row["samples"])
    return ratio(statistics.median(numpy_row["samples"]) / t) if t > 0 else ""


def ratio(r: float) -> str:
    """A speedup: 1.23x, 12.3x, 0.045x, 0.00063x."""
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"


def case_label(row: dict[str, Any]) -> str:
    return row["case"] + (f" ({row['threads']} thr)" if row.get("threads") else "")


def table(rows: list[dict[str, Any]], units: dict[str, Callable[[float], float]]) -> str:
    """The group's table; `units` maps case name -> seconds-per-call to displayed unit."""
    lines = ["| case | system | median | unit | spread | speedup vs numpy | note |",
             "|---|---|---:|---|---:|---:|---|"]
    numpy_rows = {case_label(r): r for r in rows if r["system"] == "numpy"}
    for row in rows:
        label = case_label(row)
        if row["status"] == "ok":
            value, spread = display(row, units[row["case"]])
        else:
            value, spread = row["status"], ""
        unit = row["unit"] + (" ↑" if row["higher_is_better"] else " ↓")
        note = row["note"].replace("|", "/")
        lines.append(f"| {label} | {row['system']} | {value} | {unit} | {spread} | "
                     f"{speedup(row, numpy_rows.get(label))} | {note} |")
    return "\n".join(lines)


def header(backend: str, quick: bool) -> str:
    """Date, machine, versions and settings of this run."""
    machine = describe_machine()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    vers = ", ".join(f"{name} {version(name)}" for name in PEERS if load(name)[0] is not None)
    absent = [name for name in PEERS if load(name)[0] is None]
    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "TRACER_NUM_THREADS")
               if k in os.environ}
    loadavg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"Run of {now} on {machine['cpu']}, {machine['cores']} cores, "
             f"Python {platform.python_version()}; load average at start {loadavg}.",
             f"tracer backend: `{backend}`{' (quick mode: few samples)' if quick else ''}; "
             f"threads: {threads or 'library defaults'}.",
             f"Installed: {vers}.",
             f"Skipped (not installed): {', '.join(absent) if absent else 'none'}.",
             "Speedup = t_numpy / t (higher is better); ↑/↓: higher/lower value is better; "
             "spread = half the min-max range of the samples."]
    return "\n".join(lines)
