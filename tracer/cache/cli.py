"""`python -m tracer cache info|clear`: look at or empty the on-disk cache."""
from __future__ import annotations

import sys

from . import usage
from .store import clear, info

USAGE = "usage: python -m tracer cache info|clear"

HELP = f"""{USAGE}

The on-disk cache of compiled C libraries, one entry per generated source, compiler and
flags; every process of the user shares it, so a new process compiles nothing.

commands:
  info    print the cache folder, its number of entries and its size, the size limit,
          and per kind of entry (module: a function's entry and link; kernel: one
          distinct kernel's object; runtime: the C runtime's object; helper: the
          Python call helper) its entries, size, hits, builds and hit rate
  clear   remove every entry (each under its lock: safe while other processes use it)

The folder is $TRACER_CACHE_DIR, else $XDG_CACHE_HOME/tracer, else ~/.cache/tracer
(tr.config.cache_dir in a running process). It must be private to the user (0700).
Its size is limited by $TRACER_CACHE_MAX_BYTES (default 2G; K, M, G suffixes; 0: no
limit): past it the least recently used entries are removed, never one that a running
process has loaded.
"""


def run(argv: list[str]) -> int:
    if len(argv) == 1 and argv[0] in ("--help", "-h", "help"):
        print(HELP, end="")
        return 0
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
    details = usage.report(stats["location"])
    limit = details["limit"]
    print(f"limit:    {_human(limit) + ' (' + str(limit) + ' bytes)' if limit else 'none'}; "
          "past it the least recently used entries go")
    rows = sorted(details["kinds"].items(), key=lambda kv: _ORDER.get(kv[0], 9))
    if rows:
        print(f"\n{'kind':10s} {'entries':>8s} {'size':>11s} {'hits':>8s} {'builds':>7s} "
              f"{'hit rate':>9s}")
    for kind, row in rows:
        looked = row["hits"] + row["builds"]
        rate = f"{100 * row['hits'] / looked:.0f}%" if looked else "-"
        print(f"{kind:10s} {row['entries']:8d} {_human(row['bytes']):>11s} {row['hits']:8d} "
              f"{row['builds']:7d} {rate:>9s}")
    if rows:
        print("\n(hits and builds: every process that used this folder and has exited)")
    return 0


_ORDER = {"module": 0, "kernel": 1, "runtime": 2, "helper": 3, "library": 4}


def _plural(count: int) -> str:
    return "entry" if count == 1 else "entries"


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
