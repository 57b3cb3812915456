"""What a workload declares: a Group of Cases, each with one builder per system.

A builder takes (inputs, ctx) and returns a zero-argument callable (or a Bench), or None
when that system cannot run the case; it may raise Skip("why") for a known gap. Building
includes any compilation: it is never timed.
"""
from __future__ import annotations

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


def spin(seconds: float) -> None:
    """Busy-wait: lets other libraries' spinning worker threads go idle before a sample."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
