"""`python -m tracer cache info|clear`: look at or empty the on-disk cache."""
from __future__ import annotations

import sys

from .store import clear, info

USAGE = "usage: python -m tracer cache info|clear"


def run(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("info", "clear"):
        print(USAGE, file=sys.stderr)
        return 2
    if argv[0] == "clear":
        location = info()["location"]
        removed = clear()
        print(f"removed {removed} {_plural(removed)} from {location}")
        return 0
    stats = info()
    print(f"location: {stats['location']}")
    print(f"entries:  {stats['entries']}")
    print(f"size:     {_human(stats['bytes'])} ({stats['bytes']} bytes)")
    return 0


def _plural(count: int) -> str:
    return "entry" if count == 1 else "entries"


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
