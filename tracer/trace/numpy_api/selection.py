"""Choosing and picking elements: where select choose compress extract clip take
take_along_axis triu tril diag diagonal trace round nan_to_num isclose allclose
count_nonzero.

Everything static (triangle masks, diagonal positions, in-bounds index arrays)
is computed with numpy at trace time and enters the graph as a constant;
elementwise steps go through call_ufunc so dtypes follow numpy (NEP 50).
Functions whose result shape depends on the data (nonzero, argwhere, unique)
raise a TypeError that names the fix.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy._core import umath as _umath

from ...ir import Node, Op
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import Proxy, concrete_value, operand, wrap
from . import reductions
from .common import broadcast_shapes, normalize_axis, out_none, result_dtype
from .ufuncs import call_ufunc, resolve_loop

_NO_VALUE = np._NoValue  # numpy's own "argument not given" marker


def _fail(exc: type[Exception], msg: str) -> Exception:
    """numpy's exception type and wording, plus the user's line."""
    return exc(at_line(msg, user_loc()))


def _node(x: Any) -> Node:
    return operand(x)[0]


# -- where / select ---------------------------------------------------------

def where(condition, *args):
    """np.where(cond, x, y); the one-argument form has a data-dependent shape."""
    if len(args) == 0:
        raise TypeError(at_line(
            "np.where(condition) with one argument returns the indices of the True "
            "elements, so its shape depends on the data and cannot be traced; use "
            "np.where(condition, x, fill) to keep the shape, or pass the condition as a "
            "static argument (static_argnums)", user_loc()))
    if len(args) != 2:
        raise _fail(ValueError, "either both or neither of x and y should be given")
    x, y = (_strong_if_sequence(v) for v in args)
    dtype = result_dtype(x, y)
    cond = prims.cast(_node(condition), bool)
    a, b = _as_dtype(x, dtype), _as_dtype(y, dtype)
    shape = broadcast_shapes([cond.shape, a.shape, b.shape])
    return wrap(prims.select(*(prims.broadcast_to(n, shape) for n in (cond, a, b))))


def _as_dtype(x: Any, dtype: np.dtype) -> Node:
    """x as a node of dtype; a Python int beyond int64 and uint64 only as a float."""
    if type(x) is int and not -(2**63) <= x < 2**64:
        if dtype.kind != "f":
            raise _fail(OverflowError, "Python int too large to convert to C long")
        return prims.const(np.asarray(float(x), dtype))
    return prims.cast(_node(x), dtype)


def _strong_if_sequence(x: Any) -> Any:
    """A list or tuple (maybe holding proxies) as one array, like numpy's asarray."""
    return wrap(_node(x)) if isinstance(x, (list, tuple)) else x


def _is_python_number(x: Any) -> bool:
    return type(x) in (int, float)


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, else default (numpy's precedence)."""
    if len(condlist) != len(choicelist):
        raise _fail(ValueError, "list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise _fail(ValueError, "select with an empty condition list is not possible")
    choices = [c if _is_python_number(c) or isinstance(c, Proxy) else wrap(_node(c))
               for c in list(choicelist) + [default]]
    dtype = result_dtype(*choices)
    conds = [_node(c) for c in condlist]
    for i, c in enumerate(conds):
        if c.dtype != np.bool_:
            raise _fail(TypeError, f"invalid entry {i} in condlist: should be boolean ndarray")
    nodes = [prims.cast(_node(c), dtype) for c in choices]
    shape = broadcast_shapes([n.shape for n in conds + nodes])
    result = prims.broadcast_to(nodes[-1], shape)
    for cond, choice in zip(reversed(conds), reversed(nodes[:-1])):
        result = prims.select(prims.broadcast_to(cond, shape),
                              prims.broadcast_to(choice, shape), result)
    return wrap(result)


def choose(a, choices, out=None, mode="raise"):
    """choices[a[i]][i] as a chain of selects (the choices are few and static)."""
    out_none(out, "choose")
    if mode not in ("raise", "clip", "wrap"):
        raise _fail(ValueError, f"clipmode must be one of 'clip', 'raise', or 'wrap' "
                                f"(got '{mode}')")
    n = len(choices)
    index, _ = operand(_strong_if_sequence(a))
    if index.dtype.kind not in "biu":
        raise _fail(TypeError, f"Cannot cast array data from dtype('{index.dtype}') to "
                               "dtype('int64') according to the rule 'safe'")
    value = concrete_value(index)
    if value is not None:  # numpy's own range check and clip/wrap on the concrete index
        index = prims.const(np.choose(value, np.arange(n), mode=mode).astype(np.int64))
    else:
        index = _index_node(wrap(index), n, 0, mode) if mode != "raise" else \
            prims.cast(index, np.int64)
    opts = [c if _is_python_number(c) or isinstance(c, Proxy) else wrap(_node(c))
            for c in choices]
    dtype = result_dtype(*opts)
    nodes = [prims.cast(_node(c), dtype) for c in opts]
    shape = broadcast_shapes([index.shape] + [c.shape for c in nodes])
    index = prims.broadcast_to(index, shape)
    result = prims.broadcast_to(nodes[0], shape)
    for i, choice in enumerate(nodes[1:], start=1):
        hit = prims.bind(Op.EQ, [index, prims.full(shape, i, np.int64)])
        result = prims.select(hit, prims.broadcast_to(choice, shape), result)
    return wrap(result)


def _static_positions(fn, condition: Any, n: int, what: str):
    """numpy's own fn applied to an iota: the kept positions (and numpy's errors)."""
    if isinstance(condition, Proxy) or (isinstance(condition, (list, tuple))
                                        and any(isinstance(c, Proxy) for c in condition)):
        raise _fail(TypeError, f"np.{what} with a traced condition has a result shape that "
                               "depends on the data; use np.where(cond, x, fill) to keep "
                               "the shape, or pass the condition as a static argument "
                               "(static_argnums)")
    return prims.const(np.asarray(fn(np.arange(n, dtype=np.int64)), np.int64))


def compress(condition, a, axis=None, out=None):
    out_none(out, "compress")
    x = _node(a)
    if axis is None:
        x, axis = prims.reshape(x, (x.type.size,)), 0
    ax = normalize_axis(axis, x.ndim)
    keep = _static_positions(lambda i: np.compress(condition, i), condition, x.shape[ax],
                             "compress")
    return wrap(prims.bind(Op.GATHER, [x, keep], axis=ax))


def extract(condition, arr):
    x = _node(arr)
    x = prims.reshape(x, (x.type.size,))
    keep = _static_positions(lambda i: np.take(i, np.nonzero(np.ravel(condition))[0]),
                             condition, x.shape[0], "extract")
    return wrap(prims.bind(Op.GATHER, [x, keep], axis=0))


# -- clip ---------------------------------------------------------------------

def clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE, out=None, *, min=_NO_VALUE, max=_NO_VALUE,
         **kwargs):
    """numpy's clip: min(max(a, lo), hi), NaN-propagating, with numpy's argument rules."""
    out_none(out, "clip")
    if kwargs:
        raise _fail(TypeError, f"clip: arguments {sorted(kwargs)} are not supported on "
                               "traced values")
    if a_min is _NO_VALUE and a_max is _NO_VALUE:
        a_min = None if min is _NO_VALUE else min
        a_max = None if max is _NO_VALUE else max
    elif a_min is _NO_VALUE:
        raise _fail(TypeError, "clip() missing 1 required positional argument: 'a_min'")
    elif a_max is _NO_VALUE:
        raise _fail(TypeError, "clip() missing 1 required positional argument: 'a_max'")
    elif min is not _NO_VALUE or max is not _NO_VALUE:
        raise _fail(ValueError, "Passing `min` or `max` keyword argument when `a_min` and "
                                "`a_max` are provided is forbidden.")
    x, weak = operand(a)
    if x.dtype.kind in "iu":  # numpy drops Python-int bounds beyond the dtype's range
        info = np.iinfo(x.dtype)
        if type(a_min) is int and a_min <= info.min:
            a_min = None
        if type(a_max) is int and a_max >= info.max:
            a_max = None
    arr = wrap(x, weak)
    if a_min is None and a_max is None:
        return call_ufunc(np.positive, (arr,))
    if a_min is None:
        return call_ufunc(np.minimum, (arr, a_max))
    if a_max is None:
        return call_ufunc(np.maximum, (arr, a_min))
    return _clip_both(arr, a_min, a_max)


def _weak_key(x: Any) -> Any:
    node, weak = operand(x)
    if not weak or node.dtype.kind == "b":
        return node.dtype
    return float if node.dtype.kind == "f" else int


def _cast_weak(x: Any, dtype: np.dtype) -> Node:
    """Cast to the loop dtype; a Python int that does not fit raises, as in numpy."""
    node, weak = operand(x)
    value = concrete_value(node)
    if weak and value is not None and node.dtype.kind in "iu" and dtype.kind in "iu":
        if not np.iinfo(dtype).min <= value.item() <= np.iinfo(dtype).max:
            raise _fail(OverflowError, f"Python integer {value.item()} out of bounds for {dtype}")
    return prims.cast(node, dtype)


def _clip_both(a: Proxy, lo: Any, hi: Any) -> Proxy:
    loop = resolve_loop(_umath.clip, tuple(_weak_key(v) for v in (a, lo, hi)))
    nodes = [_cast_weak(v, dt) for v, dt in zip((a, lo, hi), loop)]
    shape = broadcast_shapes([n.shape for n in nodes])
    x, lo_n, hi_n = (prims.broadcast_to(n, shape) for n in nodes)
    if nodes[1].ndim == 0 and nodes[2].ndim == 0:
        # numpy's loop for scalar bounds keeps x where it equals a bound (-0.0 stays
        # -0.0 at a bound of 0); with array bounds it takes the bound (ufunc maximum's
        # tie rule: the second operand)
        r = prims.bind(Op.MINIMUM, [hi_n, prims.bind(Op.MAXIMUM, [lo_n, x])])
    else:
        r = prims.bind(Op.MINIMUM, [prims.bind(Op.MAXIMUM, [x, lo_n]), hi_n])
    return wrap(prims.cast(r, loop[3]))


# -- take -----------------------------------------------------------------------

def _index_node(indices: Any, size: int, axis: int, mode: str) -> Node:
    """Indices as an int64 node in [-size, size), per numpy's mode."""
    if mode not in ("raise", "clip", "wrap"):
        raise _fail(ValueError, f"clipmode must be one of 'clip', 'raise', or 'wrap' "
                                f"(got '{mode}')")
    if isinstance(indices, (list, tuple)) and not isinstance(indices, Proxy):
        indices = np.asarray(indices).astype(np.int64)  # numpy converts lists item by item
    node = _node(indices)
    if node.dtype.kind not in "iub":
        raise _fail(TypeError, f"Cannot cast array data from dtype('{node.dtype}') to "
                               "dtype('int64') according to the rule 'same_kind'")
    node = prims.cast(node, np.int64)
    value = concrete_value(node)
    if value is not None:
        if size == 0 and value.size:
            raise _fail(IndexError, "cannot do a non-empty take from an empty axes.")
        if mode == "clip":
            value = np.clip(value, 0, max(size - 1, 0))
        elif mode == "wrap" and size:
            value = np.mod(value, size)
        bad = value[(value < -size) | (value >= size)]
        if bad.size:
            raise IndexError(at_line(f"index {bad.flat[0]} is out of bounds for axis {axis} "
                                     f"with size {size}", user_loc()))
        return prims.const(np.asarray(value, np.int64))
    if mode == "clip":
        node = prims.bind(Op.MAXIMUM, [node, prims.full(node.shape, 0, np.int64)])
        return prims.bind(Op.MINIMUM, [node, prims.full(node.shape, max(size - 1, 0), np.int64)])
    if mode == "wrap":
        return prims.bind(Op.MOD, [node, prims.full(node.shape, max(size, 1), np.int64)])
    return node  # traced indices: the caller promises they are in range


def take(a, indices, axis=None, out=None, mode="raise"):
    out_none(out, "take")
    x = _node(a)
    if axis is None or x.ndim == 0:  # numpy takes from a 0-d array as from a 1-d one
        x = prims.reshape(x, (x.type.size,))
        axis = 0 if axis is None else axis
    ax = normalize_axis(axis, x.ndim)
    if mode == "raise" and x.shape[ax] and math.prod(x.shape[:ax]) == 0:
        # nothing to copy: numpy checks the indices only while it copies
        idx = _index_node(indices, x.shape[ax], ax, "clip")
        return wrap(prims.full(x.shape[:ax] + idx.shape + x.shape[ax + 1:], 0, x.dtype))
    idx = _index_node(indices, x.shape[ax], ax, mode)
    return wrap(prims.bind(Op.GATHER, [x, idx], axis=ax))


def take_along_axis(arr, indices, axis=-1):
    x, idx = _node(arr), _node(indices)
    if idx.dtype.kind not in "iu":
        raise _fail(IndexError, "`indices` must be an integer array")
    if axis is None:
        if idx.ndim != 1:
            raise _fail(ValueError, "when axis=None, `indices` must have a single dimension.")
        x, axis = prims.reshape(x, (x.type.size,)), 0
    if idx.ndim != x.ndim:
        raise _fail(ValueError, "`indices` and `arr` must have the same number of dimensions")
    ax = normalize_axis(axis, x.ndim)
    rest = broadcast_shapes([tuple(1 if i == ax else d for i, d in enumerate(s))
                             for s in (x.shape, idx.shape)])
    x = prims.broadcast_to(x, rest[:ax] + (x.shape[ax],) + rest[ax + 1:])
    out_shape = rest[:ax] + (idx.shape[ax],) + rest[ax + 1:]
    idx = _index_node(wrap(prims.broadcast_to(idx, out_shape)), x.shape[ax], ax, "raise")
    grids = np.indices(out_shape, dtype=np.int64, sparse=True)
    index_nodes = [idx if i == ax else prims.broadcast_to(prims.const(g), out_shape)
                   for i, g in enumerate(grids)]
    return wrap(prims.bind(Op.GATHER, [x, *index_nodes], axis=0))


# -- triangles and diagonals ----------------------------------------------------------

def _triangle(m: Any, keep: np.ndarray) -> Proxy:
    x = _node(m)
    shape = broadcast_shapes([x.shape, keep.shape])
    zero = prims.full(shape, 0, x.dtype)
    mask = prims.broadcast_to(prims.const(keep), shape)
    return wrap(prims.select(mask, prims.broadcast_to(x, shape), zero))


def tril(m, k=0):
    x = _node(m)
    return _triangle(m, np.tri(*x.shape[-2:], k=k, dtype=bool))


def triu(m, k=0):
    x = _node(m)
    return _triangle(m, ~np.tri(*x.shape[-2:], k=k - 1, dtype=bool))


def diagonal(a, offset=0, axis1=0, axis2=1):
    x = _node(a)
    if x.ndim < 2:
        raise _fail(ValueError, "diag requires an array of at least two dimensions")
    i, j = normalize_axis(axis1, x.ndim, "axis1"), normalize_axis(axis2, x.ndim, "axis2")
    if i == j:
        raise _fail(ValueError, "axis1 and axis2 cannot be the same")
    offset = int(offset)
    rest = [d for d in range(x.ndim) if d not in (i, j)]
    x = prims.transpose(x, rest + [i, j])
    n1, n2 = x.shape[-2:]
    rows = np.arange(max(0, -offset), n1, dtype=np.int64)
    cols = np.arange(max(0, offset), n2, dtype=np.int64)
    size = min(len(rows), len(cols))
    rows, cols = prims.const(rows[:size]), prims.const(cols[:size])
    return wrap(prims.bind(Op.GATHER, [x, rows, cols], axis=x.ndim - 2))


def diag(v, k=0):
    x = _node(v)
    if x.ndim == 2:
        return diagonal(v, k)
    if x.ndim != 1:
        raise _fail(ValueError, "Input must be 1- or 2-d.")
    k = int(k)
    n = x.shape[0] + abs(k)
    # gather from [v..., 0]: the diagonal reads v, everything else the zero
    pos = np.full((n, n), x.shape[0], dtype=np.int64)
    pos[np.eye(n, k=k, dtype=bool)] = np.arange(x.shape[0])
    padded = prims.concatenate([x, prims.full((1,), 0, x.dtype)], 0)
    return wrap(prims.bind(Op.GATHER, [padded, prims.const(pos)], axis=0))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    out_none(out, "trace")
    return reductions.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


# -- rounding and cleaning --------------------------------------------------------------

def round(a, decimals=0, out=None):
    """numpy's rounding: rint(a * 10**d) / 10**d (half to even), ints in float64."""
    out_none(out, "round")
    x = _node(a)
    decimals = int(decimals)
    if x.dtype.kind == "b":
        # numpy rounds a bool in its float16 loop: 0.0 and 1.0, already whole
        if decimals:
            raise _fail(TypeError, "Cannot cast ufunc 'multiply' output from dtype('float64') "
                                   "to dtype('bool') with casting rule 'same_kind'")
        return wrap(prims.cast(x, np.float16))
    if x.dtype.kind in "iu" and decimals >= 0:
        return wrap(x)
    work = np.float64 if x.dtype.kind in "iu" else x.dtype
    scale_first, undo = (Op.MUL, Op.DIV) if decimals >= 0 else (Op.DIV, Op.MUL)
    with np.errstate(over="ignore"):  # numpy's power of ten is a C double: inf past 1e308
        factor = prims.full(x.shape, np.float64(10.0) ** abs(decimals), work)
    y = prims.bind(scale_first, [prims.cast(x, work), factor])
    y = prims.bind(undo, [prims.bind(Op.RINT, [y]), factor])
    return wrap(prims.cast(y, x.dtype))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    node = _node(x)
    if node.dtype.kind != "f":
        return wrap(node)
    info = np.finfo(node.dtype)
    fills = ((Op.ISNAN, nan, None), (Op.ISINF, posinf, info.max), (Op.ISINF, neginf, info.min))
    result = node
    zero = prims.full(node.shape, 0, node.dtype)
    for (op, value, fallback), sign in zip(fills, (None, Op.GT, Op.LT)):
        test = prims.bind(op, [node])
        if sign is not None:
            test = prims.bind(Op.LOGICAL_AND, [test, prims.bind(sign, [node, zero])])
        value = fallback if value is None else value
        if isinstance(value, Proxy):
            fill = prims.broadcast_to(prims.cast(value.node, node.dtype), node.shape)
        else:
            with np.errstate(over="ignore"):
                fill = prims.full(node.shape, np.asarray(value, node.dtype), node.dtype)
        result = prims.select(test, fill, result)
    return wrap(result)


# -- closeness --------------------------------------------------------------------------------

def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """numpy's formula: |a - b| <= atol + rtol * |b|, b made inexact first."""
    y = float(b) if isinstance(b, int) else b  # Python bools and ints too, like numpy
    if not _is_python_number(y):
        node, weak = operand(b)
        dt = np.float64 if weak else np.result_type(node.dtype, 1.0)
        y = wrap(prims.cast(node, dt), weak)
    u = call_ufunc
    diff = u(np.absolute, (u(np.subtract, (a, y)),))
    bound = u(np.add, (atol, u(np.multiply, (rtol, u(np.absolute, (y,))))))
    close = u(np.logical_and, (u(np.less_equal, (diff, bound)), u(np.isfinite, (y,))))
    result = u(np.logical_or, (close, u(np.equal, (a, y))))
    if equal_nan:
        both = u(np.logical_and, (u(np.isnan, (a,)), u(np.isnan, (y,))))
        result = u(np.logical_or, (result, both))
    return wrap(result.node)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """A traced 0-d bool (numpy returns a Python bool, which needs concrete data)."""
    return reductions.all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


# -- counting ---------------------------------------------------------------------------------

def count_nonzero(a, axis=None, *, keepdims=False):
    x = prims.cast(prims.cast(_node(a), bool), np.int64)
    if x.ndim == 0 and isinstance(axis, (int, np.integer)) and axis in (0, -1):
        axis = None  # numpy's reductions accept axis 0 and -1 on a 0-d array
    return reductions.sum(wrap(x), axis=axis, keepdims=keepdims)


def _data_dependent(name: str, fix: str):
    def refuse(*args, **kwargs):
        raise TypeError(at_line(
            f"np.{name} on a traced value has a result shape that depends on the data, "
            f"which a compiled function cannot have; {fix}, or pass the array as a "
            "static argument (static_argnums)", user_loc()))
    refuse.__name__ = name
    return refuse


_MASK_FIX = "use np.where(cond, x, fill) to keep the shape (or a masked reduction)"

FUNCTIONS = {
    np.where: where,
    np.select: select,
    np.choose: choose,
    np.compress: compress,
    np.extract: extract,
    np.clip: clip,
    np.take: take,
    np.take_along_axis: take_along_axis,
    np.tril: tril,
    np.triu: triu,
    np.diag: diag,
    np.diagonal: diagonal,
    np.trace: trace,
    np.round: round,
    np.around: round,
    np.nan_to_num: nan_to_num,
    np.isclose: isclose,
    np.allclose: allclose,
    np.count_nonzero: count_nonzero,
    np.nonzero: _data_dependent("nonzero", _MASK_FIX),
    np.flatnonzero: _data_dependent("flatnonzero", _MASK_FIX),
    np.argwhere: _data_dependent("argwhere", _MASK_FIX),
    np.unique: _data_dependent("unique", "compute what you need over the whole array "
                               "instead (e.g. counts of known values with np.sum(x == v))"),
}
