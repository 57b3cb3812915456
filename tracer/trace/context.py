"""The tracing context: one explicit current-trace object, and where the user is.

While a function is traced, every node built is recorded here in program
order with the user's source location, so later passes (loops -> Scan) can
see the Python control flow that produced the graph.
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import os
import sys
from typing import Iterator

import numpy as np

from ..ir import Loc, Node
from ..ir.node import created_observer
from .marks import LoopMarks


class Trace:
    """The nodes one trace built, in the order the user's code built them."""

    def __init__(self, outer: Trace | None = None) -> None:
        self.recorded: list[Node] = []
        # random draws made again on every call (trace/random.py); a trace nested in
        # `outer` (a transform's, inside a compiled function) adds to outer's list
        self.draws: list = outer.draws if outer is not None else []
        # the Python loops running while nodes are made (trace/loop_marks.py), shared
        # with an outer trace like the draws
        self.marks = outer.marks if outer is not None else LoopMarks()
        # (param, dtype): a traced Python int that numpy would refuse at call time
        # if its value does not fit dtype (NEP 50: OverflowError, not wrap-around)
        self.int_bounds: list[tuple[Node, np.dtype]] = []

    def record(self, node: Node) -> None:
        self.recorded.append(node)
        self.marks.seen(node)

    def require_fits(self, param: Node, dtype: np.dtype) -> None:
        if (param, dtype) not in self.int_bounds:
            self.int_bounds.append((param, dtype))


_current: contextvars.ContextVar[Trace | None] = contextvars.ContextVar("trace", default=None)


def current_trace() -> Trace | None:
    return _current.get()


@contextlib.contextmanager
def tracing(trace: Trace) -> Iterator[Trace]:
    token = _current.set(trace)
    watch = created_observer.set(trace.marks.seen)
    try:
        yield trace
    finally:
        created_observer.reset(watch)
        _current.reset(token)


def _library_dirs() -> tuple[str, ...]:
    """Folders of the packages whose frames are never the user's line."""
    dirs = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    for name in ("numpy", "scipy", "array_api_compat"):
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            dirs.append(os.path.abspath(folder))
    return tuple(d + os.sep for d in dirs)


_LIBRARY_DIRS = _library_dirs()
# The demo lives in the package but plays the user: its lines are the ones to show.
_USER_FILES = (os.path.join(_LIBRARY_DIRS[0], "demo.py"),)
_is_library: dict[object, bool] = {}


def _library_code(code) -> bool:
    known = _is_library.get(code)
    if known is None:
        name = code.co_filename
        known = (name.startswith(_LIBRARY_DIRS) or name.startswith("<frozen")) \
            and name not in _USER_FILES
        _is_library[code] = known
    return known


def user_loc() -> Loc | None:
    """The innermost frame outside tracer, numpy and scipy: the user's line."""
    frame = sys._getframe(1)
    while frame is not None and _library_code(frame.f_code):
        frame = frame.f_back
    if frame is None:
        return None
    return Loc(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
