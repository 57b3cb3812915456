"""Helpers shared by the numpy surface: axes, broadcasting, promotion."""
from __future__ import annotations

import functools
import operator
from typing import Any, Sequence

import numpy as np

from ...ir import Node
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import Proxy, contains_proxy, none_operand_error, operand, wrap

_broadcast_cache: dict[tuple, tuple[int, ...]] = {}


def broadcast_shapes(shapes: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
    """numpy's broadcasting; its error names the shapes and the user's line."""
    key = tuple(shapes)
    out = _broadcast_cache.get(key)
    if out is None:
        try:
            out = np.broadcast_shapes(*shapes)
        except ValueError:
            listed = " ".join(shape_text(s) for s in shapes)
            msg = f"operands could not be broadcast together with shapes {listed} "
            raise ValueError(at_line(msg, user_loc())) from None
        _broadcast_cache[key] = out
    return out


def shape_text(shape: Sequence[int]) -> str:
    """A shape as numpy's messages print it: (2,3), (4,), ()."""
    inner = ",".join(str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def strong_dtype(*args: Any) -> np.dtype:
    """np.result_type for functions that convert operands with np.asarray first
    (concatenate, stack, dot): there Python scalars are not weak (NEP 50)."""
    return np.result_type(*[a.dtype if isinstance(a, Proxy) else operand(a)[0].dtype
                            if contains_proxy(a) else _concrete_dtype(a) for a in args])


def _concrete_dtype(a: Any) -> np.dtype:
    """numpy's dtype for a concrete operand; None is not numpy's object dtype here but an
    error naming the argument that was None."""
    if a is None:
        raise none_operand_error()
    return np.asarray(a).dtype


def broadcast_all(nodes: Sequence[Node]) -> list[Node]:
    shape = broadcast_shapes([n.shape for n in nodes])
    return [prims.broadcast_to(n, shape) for n in nodes]


def normalize_axis(axis: Any, ndim: int, name: str = "axis") -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """None -> all axes; an int or a tuple -> sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, ndim) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError("duplicate value in 'axis'")
        return tuple(sorted(axes))
    return (normalize_axis(axis, ndim),)


def result_dtype(*args: Any) -> np.dtype:
    """np.result_type over operands, with Python scalars and weak proxies weak."""
    parts = []
    for a in args:
        if isinstance(a, Proxy):
            parts.append(weak_marker(a.dtype) if a.weak else a.dtype)
        elif isinstance(a, (bool, int, float, complex)) and not isinstance(a, np.generic):
            parts.append(a)
        elif isinstance(a, np.dtype):
            parts.append(a)
        elif isinstance(a, (list, tuple)) and contains_proxy(a):
            parts.append(operand(a)[0].dtype)  # np.array([p, q]) promotes like numpy
        else:
            parts.append(_concrete_dtype(a))
    return np.result_type(*parts)


def weak_marker(dtype: np.dtype) -> Any:
    """What numpy's promotion treats like a Python scalar of this kind."""
    if dtype.kind == "c":
        return 0j
    if dtype.kind == "f":
        return 0.0
    if dtype.kind in "iu":
        return 0
    return False


def nodes_of(*args: Any, dtype: Any = None) -> list[Node]:
    """Operands as nodes promoted to one dtype (not broadcast)."""
    dtype = result_dtype(*args) if dtype is None else np.dtype(dtype)
    return [prims.cast(operand(a)[0], dtype) for a in args]


def out_none(out: Any, name: str) -> None:
    if out is not None:
        raise TypeError(f"{name}: out= is not supported on traced values; "
                        "use the returned array instead")


__all__ = ["broadcast_shapes", "shape_text", "strong_dtype", "broadcast_all", "normalize_axis", "normalize_axes",
           "result_dtype", "weak_marker", "nodes_of", "out_none", "wrap", "operand"]


def traced_or_original(original: Any, traced: Any) -> Any:
    """A stand-in for a library function or method that computes with `traced` when an
    argument holds a traced value and is `original` otherwise (scipy's functions that
    start with np.asarray: scipy_linalg, scipy_special, scipy_stats install these)."""
    @functools.wraps(original)
    def either(*args: Any, **kwargs: Any) -> Any:
        if contains_proxy(list(args)) or contains_proxy(list(kwargs.values())):
            return traced(*args, **kwargs)
        return original(*args, **kwargs)
    either.__tracer_original__ = original
    return either


def install_wrappers(module: Any, traced: dict[str, Any]) -> None:
    """Replace module.<name> (and the same function in the module that defines it, which
    scipy's own code calls) by traced_or_original(it, traced[name]); once."""
    import sys
    for name, function in traced.items():
        current = getattr(module, name, None)
        if current is None or hasattr(current, "__tracer_original__"):
            continue
        wrapped = traced_or_original(current, function)
        setattr(module, name, wrapped)
        home = sys.modules.get(getattr(current, "__module__", "") or "")
        if home is not None and getattr(home, name, None) is current:
            setattr(home, name, wrapped)
