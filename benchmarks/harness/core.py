"""What a workload declares: a Group of Cases, each with one builder per system.

A builder takes (inputs, ctx) and returns a zero-argument callable (or a Bench), or None
when that system cannot run the case; it may raise Skip("why") for a known gap. Building
includes any compilation: it is never timed.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class Skip(Exception):
    """A system can't run this case for a known reason (shown in the table)."""


@dataclass(frozen=True)
class Reported:
    """A timed call that measured itself (e.g. a child process): seconds per call."""

    seconds: float
    value: Any = None


@dataclass
class Bench:
    """A timed callable plus, optionally, a separate callable whose result is checked."""

    fn: Callable[[], Any]
    check: Callable[[], Any] | None = None


@dataclass
class Context:
    """What builders may read: options of this run."""

    backend: str | None = None        # tracer backend, None = tracer's default
    quick: bool = False
    threads: int | None = None        # set when this process runs with a fixed thread count
    scratch: str = "/tmp"             # a private temporary folder of this run


@dataclass
class Case:
    """One row group of the table: a computation every system runs on the same inputs.

    `to_unit` turns seconds per call into the displayed value; speedups are always
    t_numpy / t. `setup()` makes the inputs once, shared by all builders.
    """

    name: str
    description: str
    unit: str
    to_unit: Callable[[float], float]
    setup: Callable[[], Any]
    builders: dict[str, Callable[[Any, Context], Any]]
    higher_is_better: bool = False
    rtol: float = 1e-7
    repeat: int | None = None         # default sample count for this case
    warmup: bool = True               # one untimed call before each sample
    threads: tuple[int, ...] | None = None   # run in child processes, once per count
    min_sample_s: float = 0.05        # a sample loops calls until it lasts this long


@dataclass
class Group:
    """One workload module: a name for --only, and its cases (built lazily)."""

    name: str
    description: str
    cases: Callable[[Context], list[Case]]
    report: Callable[[list[dict], Context], str] | None = None
    default_repeat: int = 7
    tags: tuple[str, ...] = field(default_factory=tuple)


def spin(seconds: float, settle_max_s: float = 1.0) -> None:
    """Busy-wait `seconds`, then on until no other thread of this process has used the
    CPU for a while (at most `settle_max_s` more): the previous system's BLAS/OpenMP
    workers keep spinning after its call (numpy's OpenBLAS for ~0.1-0.3 s) and would
    otherwise steal a core from the next system's sample."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
    deadline = time.perf_counter() + settle_max_s
    last, quiet_since = _other_threads_cpu(), time.perf_counter()
    while time.perf_counter() < deadline and last is not None:
        now_cpu = _other_threads_cpu()
        now = time.perf_counter()
        if now_cpu != last:
            last, quiet_since = now_cpu, now
        elif now - quiet_since >= SETTLE_QUIET_S:
            return


SETTLE_QUIET_S = 0.03   # three clock ticks with no CPU time in any other thread


def _other_threads_cpu() -> int | None:
    """Clock ticks (user + system) used so far by this process's threads other than the
    calling one (Linux /proc; None elsewhere)."""
    me = threading.get_native_id()
    total = 0
    try:
        for tid in os.listdir("/proc/self/task"):
            if int(tid) == me:
                continue
            try:
                with open(f"/proc/self/task/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:          # the thread ended meanwhile
                continue
            total += int(fields[11]) + int(fields[12])
    except OSError:
        return None
    return total
