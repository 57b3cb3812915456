"""One transform for functions that are the same, even when they are new objects.

`hessp=lambda x, p: tr.hvp(lambda z: f(z, a), (x,), (p,))` makes a new inner function on
every call, and `jac=lambda x: tr.grad(f)(x)` a new gradient function: keyed by object
identity, each call traced again (tens of milliseconds). A Python function's behaviour is
fixed by its code, its globals, its default values and the values its closure cells hold
at the call; two functions that share all of these (the same code object, the same
objects by identity) compute the same thing, so they share one transform (and so its
traces and compiled code). A bound method is its function and its instance.

The cache holds the objects its keys name by identity (so an id is never reused while
its entry lives) and keeps the most recently used KEPT entries. As for any traced
function, what the function reads from globals or from mutable objects it closes over
is read when it is traced (README: "What you can write").
"""
from __future__ import annotations

import functools
import threading
import types
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

KEPT = 256

_lock = threading.Lock()
_entries: OrderedDict[tuple, tuple[Any, Any]] = OrderedDict()


def identity(f: Any) -> tuple[tuple, tuple] | None:
    """(key, the objects the key names by id) of what `f` computes; None for callables
    whose behaviour this cannot see (objects with __call__, builtins)."""
    if isinstance(f, types.MethodType):
        inner = identity(f.__func__)
        if inner is None:
            return None
        return ("method", inner[0], id(f.__self__)), (inner[1], f.__self__)
    if isinstance(f, functools.partial):
        inner = identity(f.func)
        if inner is None:
            return None
        kwargs = tuple(sorted(f.keywords.items()))
        return (("partial", inner[0], tuple(map(id, f.args)),
                 tuple((k, id(v)) for k, v in kwargs)), (inner[1], f.args, kwargs))
    if not isinstance(f, types.FunctionType):
        return None
    try:
        cells = tuple(cell.cell_contents for cell in f.__closure__ or ())
    except ValueError:                  # a cell not assigned yet
        return None
    defaults = f.__defaults__ or ()
    kwdefaults = tuple(sorted((f.__kwdefaults__ or {}).items()))
    held = (f.__globals__, defaults, kwdefaults, cells)
    key = ("function", f.__code__, id(f.__globals__), tuple(map(id, defaults)),
           tuple((k, id(v)) for k, v in kwdefaults), tuple(map(id, cells)))
    return key, held


def shared(f: Any, kind: tuple, make: Callable[[], Any]) -> Any:
    """The transform `make()` made for a function the same as `f` (see the module
    docstring), for `kind` (the transform and its options); made now if none is kept."""
    found = identity(f)
    if found is None:
        return make()
    key = (found[0], kind)
    with _lock:
        entry = _entries.get(key)
        if entry is not None:
            _entries.move_to_end(key)
            return entry[1]
    made = make()
    with _lock:
        entry = _entries.setdefault(key, (found[1], made))
        _entries.move_to_end(key)
        while len(_entries) > KEPT:
            _entries.popitem(last=False)
    return entry[1]
