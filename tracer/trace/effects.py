"""Python side effects in a traced function run once, at trace time: say so.

A compiled function is traced on its first call for a signature; later calls
run the compiled graph and never execute the Python body again. So a `print`
prints once, and an assignment to a global or a closure variable happens once
(with traced values, not numbers). Where that can be seen it is warned about,
once per function: `print` calls made while tracing (builtins.print is wrapped
while any thread traces; other threads reach the original), and assignments to
globals or to enclosing functions' variables found in the function's bytecode.
"""
from __future__ import annotations

import builtins
import contextlib
import dis
import functools
import threading
import types
import warnings
from typing import Any, Iterator

from .context import current_trace, user_loc


class SideEffectWarning(UserWarning):
    """A Python side effect in a traced function runs once, at trace time."""


_warned: set[tuple[Any, str]] = set()
_ORIGINAL_PRINT = builtins.print
_lock = threading.Lock()
_depth = 0


def _warn_once(fn: Any, what: str, file: str, line: int) -> None:
    """One warning per function and kind of effect, pointing at the user's line."""
    code = getattr(fn, "__code__", fn)
    if (code, what) in _warned:
        return
    _warned.add((code, what))
    name = getattr(fn, "__qualname__", repr(fn))
    warnings.warn_explicit(
        f"tracer: {name} {what}; Python side effects run once, when the function is traced, "
        "not on every call of the compiled function (return values instead)",
        SideEffectWarning, file, line)


@functools.lru_cache(maxsize=512)
def _stores(code: types.CodeType, outside: frozenset[str]) -> dict[str, tuple[str, int]]:
    """Globals, and variables in `outside` (an enclosing function's), that the code or
    its inner functions assign: name -> (file, line) of the first assignment. Read once
    per code object (disassembling a 1000-line function took half its trace); callers
    must not change the dict."""
    found: dict[str, tuple[str, int]] = {}
    line = code.co_firstlineno
    for ins in dis.get_instructions(code):
        line = ins.positions.lineno if ins.positions and ins.positions.lineno else line
        if ins.opname in ("STORE_GLOBAL", "DELETE_GLOBAL") or (
                ins.opname == "STORE_DEREF" and ins.argval in outside):
            found.setdefault(ins.argval, (code.co_filename, line))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            for name, where in _stores(const, outside - frozenset(code.co_cellvars)).items():
                found.setdefault(name, where)
    return found


@contextlib.contextmanager
def watched(fn: Any) -> Iterator[None]:
    """Warn about `fn`'s side effects while it is traced."""
    global _depth
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is not None:
        for name, (file, line) in sorted(_stores(code, frozenset(code.co_freevars)).items()):
            _warn_once(fn, f"assigns the variable {name!r} outside itself", file, line)

    def traced_print(*args: Any, **kwargs: Any) -> None:
        loc = user_loc() if current_trace() is not None else None
        if loc is not None:
            _warn_once(fn, "calls print", loc.file, loc.line)
        _ORIGINAL_PRINT(*args, **kwargs)

    with _lock:
        if _depth == 0:
            builtins.print = traced_print
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                builtins.print = _ORIGINAL_PRINT
