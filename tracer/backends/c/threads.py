"""The number of OpenMP threads generated code may use: TRACER_NUM_THREADS, else all cores.

Held in a one-element list that every executable reads at call time, so
`set_num_threads` takes effect for functions already compiled. Each call then runs on
that many threads or on one, whichever its executable has measured to be faster
(prelude.py, tr_threads_pick: on a machine whose cores other work keeps busy, a
parallel region can lose to serial); TRACER_ADAPT_THREADS=0 makes every call use
exactly the number set, which the list then holds negated.
"""
from __future__ import annotations

import os

THREADS = [0]


def _default() -> int:
    raw = os.environ.get("TRACER_NUM_THREADS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return os.cpu_count() or 1


def _adapting() -> bool:
    return os.environ.get("TRACER_ADAPT_THREADS", "1").strip().lower() not in (
        "0", "false", "no", "off")


def set_num_threads(n: int) -> None:
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"num_threads: expected a positive int, got {n!r}")
    THREADS[0] = n if _adapting() else -n


def get_num_threads() -> int:
    return abs(THREADS[0])


set_num_threads(_default())
