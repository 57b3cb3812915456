"""Where the user's Python loops are: which iteration of which loop made each node.

A traced function's `for` loops run in Python, once per iteration, and their
nodes land in the graph one iteration after another. tracer/loops/roll.py turns
the iterations that repeat one computation back into a single SCAN; to do so it
needs to know, for every node, the loop iterations that were running when the
node was made. This module records exactly that:

* iterating `range(...)` in a user's frame (builtins.range is wrapped while a
  thread traces, other threads get the real range), or a traced array
  (`for row in X`), marks each step of the loop; `zip`, `enumerate` and
  `reversed(range(...))` of these mark too, and only a `for` statement's own
  iteration counts (`list(range(n))` does not);
* every node made while loops run is tagged with the stack of (run, step) of
  the loops around it (ir.node's creation observer), in the order made.

A *run* is one execution of one `for` statement, from its first step to its end
(StopIteration; a loop left by `break` or an exception ends when its enclosing
loop moves on or the trace ends).
"""
from __future__ import annotations

import builtins
import dis
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .context import _library_code, current_trace

_FOR_ITER = dis.opmap["FOR_ITER"]
# loops/fastforward.at_step, once tracer.loops is imported: ends a long loop early
fast_forward_hook: Callable[..., bool] | None = None


def _loop_key(frame: Any) -> tuple | None:
    """(frame id, offset) when `frame` is a user's frame running a `for` statement."""
    if frame is None or _library_code(frame.f_code):
        return None
    lasti = frame.f_lasti
    code = frame.f_code.co_code
    if lasti < 0 or lasti >= len(code) or code[lasti] != _FOR_ITER:
        return None
    return (id(frame), lasti)


class MarkingIterator:
    """Yields `item(i)` for i in `indices`, marking each step of the `for` loop over it."""

    __slots__ = ("_item", "_indices", "_i", "_key", "_last", "_before")

    def __init__(self, item: Callable[[int], Any], indices: Any):
        self._item = item
        self._indices = iter(indices)
        self._i = 0
        self._key: tuple | None = None
        self._last: Any = None              # the item of the step that ran last
        self._before: dict | None = None    # the frame's variables a step ago

    def __iter__(self) -> MarkingIterator:
        return self

    def __next__(self) -> Any:
        trace = current_trace()
        marks = trace.marks if trace is not None else None
        if marks is not None and self._i == 0:
            self._key = _loop_key(sys._getframe(1))
        elif marks is not None and self._key is not None and fast_forward_hook is not None \
                and fast_forward_hook(self, sys._getframe(1), marks):
            marks.stop(self._key)           # the rest of the loop is one SCAN already
            raise StopIteration
        try:
            index = next(self._indices)
        except StopIteration:
            if marks is not None and self._key is not None:
                marks.stop(self._key)
            raise
        if marks is not None and self._key is not None:
            marks.step(self._key, self._i)
        self._i += 1
        self._last = self._item(index)
        return self._last


# -- range while tracing ------------------------------------------------------------------------
_range = builtins.range


class TracedRange:
    """A range made in a user's frame while tracing: the real one, whose iteration marks."""

    __slots__ = ("_r",)

    def __init__(self, *args: Any):
        self._r = _range(*args)

    def __iter__(self) -> Iterator[int]:
        return MarkingIterator(lambda i: i, self._r)

    def __reversed__(self) -> Iterator[int]:
        return MarkingIterator(lambda i: i, reversed(self._r))

    def __len__(self) -> int:
        return len(self._r)

    def __getitem__(self, key: Any) -> Any:
        return self._r[key]

    def __contains__(self, value: Any) -> bool:
        return value in self._r

    def __eq__(self, other: Any) -> bool:
        return self._r == (other._r if isinstance(other, TracedRange) else other)

    def __hash__(self) -> int:
        return hash(self._r)

    def __bool__(self) -> bool:
        return bool(self._r)

    def __repr__(self) -> str:
        return repr(self._r)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.arange(self._r.start, self._r.stop, self._r.step, dtype=dtype)

    def __getattr__(self, name: str) -> Any:          # start, stop, step, index, count
        return getattr(self._r, name)


class _RangeType(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, (_range, TracedRange))

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, (_range, TracedRange))


class _TracingRange(metaclass=_RangeType):
    """What `range` is while some thread traces: the real range, except in a user's frame
    of a tracing thread."""

    def __new__(cls, *args: Any) -> Any:
        if current_trace() is not None and not _library_code(sys._getframe(1).f_code):
            return TracedRange(*args)
        return _range(*args)


_lock = threading.Lock()
_depth = 0


class marking_range:  # noqa: N801 (a context manager used like a function)
    """Context manager: builtins.range marks loops while this thread traces."""

    def __enter__(self) -> None:
        global _depth
        with _lock:
            if _depth == 0:
                builtins.range = _TracingRange      # type: ignore[misc]
            _depth += 1

    def __exit__(self, *exc: Any) -> None:
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0:
                builtins.range = _range
