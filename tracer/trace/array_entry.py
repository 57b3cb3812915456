"""numpy entry points that cannot see traced values, wrapped while a thread traces.

* np.array / np.asarray of a list: numpy converts a list to an array before any
  protocol can see what it holds, so `np.array([x, y])` of traced x, y (or
  `np.array(hs)` after a loop that appended traced rows) never reaches tracer. A
  (nested) list or tuple with a traced value in it is stacked as traced values,
  as numpy would stack arrays (promotion, one shape per level). A lone traced value
  in the user's code is itself (np.asarray) or a copy (np.array), cast to a dtype
  given; in library code (scipy's internals) it still raises the concretization error.
* np.zeros / ones / empty / full and their *_like of a numpy array (and np.eye /
  np.identity, so `np.eye(V)[traced_indices]` makes one-hot rows), called from
  the user's code: a traced constant instead of a numpy array, so that the common
  fill idiom works (`h = np.zeros((N, T, H))`, then `h[:, t, :] = traced` in a
  loop: a numpy array cannot hold a traced value). Where a concrete value of
  such a constant is needed, it is computed (constant.py); `np.empty` is zeros.
  Only a call written in the user's source gets one (the source range of the
  frame's current call must be that very call): C code calling np.empty while a
  user's frame is the innermost Python frame, other threads, and numpy's and
  tracer's own calls get numpy's functions.
* the numpy functions tracer implements, and np.r_ / np.c_, given a list that
  holds a traced value (np.mean([x, x + 2])): see traced_lists.py.
"""
from __future__ import annotations

import ast
import contextlib
import linecache
import operator
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import prims, scipy_arrays, traced_lists
from .context import _library_code, current_trace
from .numpy_api import scipy_stats
from .proxy import Proxy, _stack_nested, contains_proxy, wrap

_NAMES = ("array", "asarray", "asanyarray", "ascontiguousarray")
_ORIGINALS = {name: getattr(np, name) for name in _NAMES}


def _entry(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def convert(obj: Any, *args: Any, **kwargs: Any) -> Any:
        if current_trace() is None:
            return original(obj, *args, **kwargs)
        if isinstance(obj, Proxy) and not _library_code(sys._getframe(1).f_code):
            return _of_traced(name, obj, *args, **kwargs)
        if not isinstance(obj, (list, tuple)) or not contains_proxy(obj):
            return original(obj, *args, **kwargs)
        dtype = args[0] if args else kwargs.get("dtype")
        node = _stack_nested(obj)
        return wrap(prims.cast(node, np.dtype(dtype)) if dtype is not None else node)
    convert.__wrapped__ = original
    return convert


def _of_traced(name: str, x: Proxy, dtype: Any = None, *, copy: Any = None, ndmin: int = 0,
               order: Any = None, subok: Any = None, like: Any = None) -> Proxy:
    """np.asarray(x) of a traced x in the user's code is x itself, as numpy returns the
    same array (an in-place write through either name is seen by both); np.array(x)
    is a copy unless copy=False. A dtype casts (a new array); ndmin adds leading axes.
    Library code (scipy's, numpy's) still gets the concretization error."""
    if like is not None:
        raise TypeError(f"np.{name}: like= is not supported on traced values")
    same = dtype is None or np.dtype(dtype) == x.dtype
    if copy is False and not same:
        raise ValueError("Unable to avoid copy while creating an array as requested.")
    out = x if same and (name != "array" or copy is False) else \
        wrap(prims.cast(x.node, np.dtype(dtype) if dtype is not None else x.dtype), x.weak)
    if ndmin > out.ndim:
        out = wrap(prims.reshape(out.node, (1,) * (ndmin - out.ndim) + out.shape))
    return out


_FILLS = {"zeros": 0, "ones": 1, "empty": 0, "zeros_like": 0, "ones_like": 1,
          "empty_like": 0}


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (list, tuple)):
        return tuple(operator.index(d) for d in shape)
    return (operator.index(shape),)


def _called_here(frame: Any, name: str) -> bool:
    """Is the user's frame calling `name` itself? (C code, such as numpy.random's, calls
    np.empty without a frame of its own: it must get a numpy array.) The call being made
    is the source range of the frame's current instruction."""
    key = (frame.f_code, frame.f_lasti, name)
    known = _direct.get(key)
    if known is None:
        known = _direct[key] = _call_name(frame) == name
    return known


_direct: dict[tuple, bool] = {}


def _call_name(frame: Any) -> str | None:
    try:
        positions = list(frame.f_code.co_positions())[frame.f_lasti // 2]
        line, end, col, end_col = positions
        lines = linecache.getlines(frame.f_code.co_filename)[line - 1:end]
        if not lines or col is None or end_col is None:
            return None
        lines[-1] = lines[-1][:end_col]
        lines[0] = lines[0][col:]
        call = ast.parse("".join(lines).strip(), mode="eval").body
    except (IndexError, SyntaxError, ValueError, TypeError):
        return None
    func = call.func if isinstance(call, ast.Call) else None
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _creation(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def create(*args: Any, **kwargs: Any) -> Any:
        frame = sys._getframe(1)
        if current_trace() is None or _library_code(frame.f_code) or "like" in kwargs or \
                (name.endswith("_like") and isinstance(_first(args, kwargs), Proxy)) or \
                not _called_here(frame, name):
            return original(*args, **kwargs)
        if name in _AS_CONSTANTS:       # np.eye(V)[traced_indices]: one-hot rows
            return wrap(prims.const(original(*args, **kwargs)))
        shape, value, dtype = _filled(name, args, kwargs)
        if isinstance(value, Proxy):
            return wrap(prims.broadcast_to(prims.cast(value.node, dtype), shape))
        return wrap(prims.full(shape, np.asarray(value, dtype=dtype), dtype))
    create.__wrapped__ = original
    return create


def _first(args: tuple, kwargs: dict) -> Any:
    return args[0] if args else kwargs.get("a", kwargs.get("prototype"))


def _filled(name: str, args: tuple, kwargs: dict) -> tuple[tuple[int, ...], Any, np.dtype]:
    """(shape, fill value, dtype) of a creation call, numpy's defaults."""
    if name.endswith("_like"):
        proto = np.asarray(_first(args, kwargs))
        rest = list(args[1:])
        value = rest.pop(0) if name == "full_like" and rest else kwargs.get("fill_value")
        dtype = rest[0] if rest else kwargs.get("dtype")
        shape = kwargs.get("shape")
        return (_shape(shape) if shape is not None else proto.shape,
                _FILLS.get(name, value), np.dtype(dtype if dtype is not None else proto.dtype))
    shape = _shape(args[0] if args else kwargs["shape"])
    if name == "full":
        value = args[1] if len(args) > 1 else kwargs["fill_value"]
        dtype = args[2] if len(args) > 2 else kwargs.get("dtype")
        if dtype is None:
            dtype = value.dtype if isinstance(value, Proxy) else np.array(value).dtype
        return shape, value, np.dtype(dtype)
    dtype = args[1] if len(args) > 1 else kwargs.get("dtype", float)
    return shape, _FILLS[name], np.dtype(dtype if dtype is not None else float)


_AS_CONSTANTS = ("eye", "identity")
_CREATORS = ("zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
             "full_like") + _AS_CONSTANTS
_ORIGINALS.update({name: getattr(np, name) for name in _CREATORS})
_lock = threading.Lock()
_depth = 0
_listed: list[tuple[Any, str, Any, Any]] = []      # traced_lists' (namespace, name, numpy's, ours)
_scipy: list[Any] = []      # scipy's array-API flag as it was (scipy_arrays.py)


@contextlib.contextmanager
def patched() -> Iterator[None]:
    global _depth
    with _lock:
        if _depth == 0:
            for name in _NAMES:
                setattr(np, name, _entry(name, _ORIGINALS[name]))
            for name in _CREATORS:
                setattr(np, name, _creation(name, _ORIGINALS[name]))
            _listed[:] = traced_lists.replacements()
            for namespace, name, _, wrapper in _listed:
                setattr(namespace, name, wrapper)
            _scipy[:] = [scipy_arrays.enable()]
            scipy_stats.install()       # once scipy.stats is imported (patches its classes)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for name, fn in _ORIGINALS.items():
                    setattr(np, name, fn)
                for namespace, name, original, _ in _listed:
                    setattr(namespace, name, original)
                scipy_arrays.restore(_scipy.pop() if _scipy else None)
