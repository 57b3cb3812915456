"""The number of OpenMP threads generated code may use: TRACER_NUM_THREADS, else all cores.

Held in a one-element list that every executable reads at call time, so
`set_num_threads` takes effect for functions already compiled.
"""
from __future__ import annotations

import os

THREADS = [0]


def _default() -> int:
    raw = os.environ.get("TRACER_NUM_THREADS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return os.cpu_count() or 1


def set_num_threads(n: int) -> None:
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"num_threads: expected a positive int, got {n!r}")
    THREADS[0] = n


def get_num_threads() -> int:
    return THREADS[0]


THREADS[0] = _default()
