"""Reductions and scans: sum mean prod max min any all argmax argmin std var cumsum cumprod.

Accumulation dtypes are numpy's own, read off numpy by running the same
reduction on a one-element array of the input dtype (cached). numpy's `where=`
(a mask, traced or not) fills the elements it leaves out with the reduction's
identity by a SELECT before anything else: a derivative reaching them is dropped
by the select, never multiplied by 0, so an inf or NaN there stays out of the
gradient (x[mask].sum() with a traced mask is one of these, numpy_api/masked.py).
"""
from __future__ import annotations

import builtins
import math
from functools import cache
from typing import Any

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..proxy import Proxy, operand, wrap
from .common import normalize_axes, normalize_axis, out_none, shape_text

_NO_VALUE = np._NoValue  # numpy's own "argument not given" marker


@cache
def _numpy_dtype(fn_name: str, dtype: np.dtype, requested: Any) -> np.dtype:
    probe = np.ones(1, dtype=dtype)
    return np.dtype(getattr(np, fn_name)(probe, dtype=requested).dtype)


def _ufunc_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """ufunc.reduce's axes: a 0-d array also takes the int axis 0 or -1 (no axis)."""
    if ndim == 0 and not isinstance(axis, (tuple, list)) and axis is not None \
            and normalize_axis(axis, 1) == 0:
        return ()
    return normalize_axes(axis, ndim)


def _keep(result: Node, x: Node, axes: tuple[int, ...], keepdims: bool) -> Node:
    if not keepdims:
        return result
    return prims.reshape(result, [1 if i in axes else d for i, d in enumerate(x.shape)])


def _where(where: Any, x: Node) -> Node | None:
    """numpy's where= as a bool mask of x's shape; None for where=True."""
    if where is True or where is _NO_VALUE:
        return None
    mask = operand(where)[0]
    if mask.dtype.kind != "b":
        raise TypeError(f"Cannot cast array data from dtype('{mask.dtype}') to dtype('bool') "
                        "according to the rule 'safe'")
    if len(mask.shape) > len(x.shape):
        raise ValueError("input operand has more dimensions than allowed by the axis remapping")
    try:
        fits = np.broadcast_shapes(mask.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"operands could not be broadcast together with remapped shapes "
                         f"[original->remapped]: {shape_text(x.shape)} {shape_text(mask.shape)} ")
    return prims.broadcast_to(mask, x.shape)


def _fill(x: Node, mask: Node | None, value: Any) -> Node:
    """x where the mask holds, `value` elsewhere."""
    return x if mask is None else prims.select(mask, x, prims.full(x.shape, value, x.dtype))


def _accumulating(op: Op, name: str, a, axis, dtype, out, keepdims, initial, where) -> Proxy:
    out_none(out, name)
    x = operand(a)[0]
    mask = _where(where, x)
    acc = _numpy_dtype(name, x.dtype, None if dtype is None else np.dtype(dtype))
    axes = _ufunc_axes(axis, x.ndim)
    r = prims.reduce(op, _fill(prims.cast(x, acc), mask, 0 if op is Op.REDUCE_SUM else 1), axes)
    if initial is not _NO_VALUE and initial is not None:
        combine = Op.ADD if op is Op.REDUCE_SUM else Op.MUL
        r = prims.bind(combine, [r, prims.full(r.shape, initial, acc)])
    return wrap(_keep(r, x, axes, keepdims))


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    return _accumulating(Op.REDUCE_SUM, "sum", a, axis, dtype, out, keepdims, initial, where)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    return _accumulating(Op.REDUCE_PROD, "prod", a, axis, dtype, out, keepdims, initial, where)


def _extreme(op: Op, name: str, a, axis, out, keepdims, initial, where) -> Proxy:
    out_none(out, name)
    x = operand(a)[0]
    mask = _where(where, x)
    axes = _ufunc_axes(axis, x.ndim)
    if mask is not None and initial is _NO_VALUE:
        raise ValueError(f"reduction operation '{'maximum' if op is Op.REDUCE_MAX else 'minimum'}' "
                         "does not have an identity, so to use a where mask one has to specify "
                         "'initial'")
    x = _fill(x, mask, initial)
    empty = builtins.any(x.shape[i] == 0 for i in axes)
    if empty and initial is _NO_VALUE:
        raise ValueError(f"zero-size array to reduction operation {'maximum' if op is Op.REDUCE_MAX else 'minimum'} which has no identity")
    if empty:
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
        return wrap(_keep(prims.full(shape, initial, x.dtype), x, axes, keepdims))
    r = prims.reduce(op, x, axes)
    if initial is not _NO_VALUE:
        combine = Op.MAXIMUM if op is Op.REDUCE_MAX else Op.MINIMUM
        r = prims.bind(combine, [r, prims.full(r.shape, initial, x.dtype)])
    return wrap(_keep(r, x, axes, keepdims))


def max(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    return _extreme(Op.REDUCE_MAX, "max", a, axis, out, keepdims, initial, where)


def min(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
    return _extreme(Op.REDUCE_MIN, "min", a, axis, out, keepdims, initial, where)


def _logical_reduce(op: Op, identity: bool, a, axis, out, keepdims, where) -> Proxy:
    out_none(out, "any/all")
    x = prims.cast(operand(a)[0], bool)
    x = _fill(x, _where(where, x), identity)
    axes = _ufunc_axes(axis, x.ndim)
    if builtins.any(x.shape[i] == 0 for i in axes):
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
        return wrap(_keep(prims.full(shape, identity, bool), x, axes, keepdims))
    return wrap(_keep(prims.reduce(op, x, axes), x, axes, keepdims))


def any(a, axis=None, out=None, keepdims=False, *, where=True):
    return _logical_reduce(Op.REDUCE_MAX, False, a, axis, out, keepdims, where)


def all(a, axis=None, out=None, keepdims=False, *, where=True):
    return _logical_reduce(Op.REDUCE_MIN, True, a, axis, out, keepdims, where)


def _count(x: Node, axes: tuple[int, ...], mask: Node | None = None) -> int | Node:
    """How many elements each result reduces: numpy's count of the mask where given."""
    if mask is None:
        return math.prod(x.shape[i] for i in axes)
    return prims.reduce(Op.REDUCE_SUM, prims.cast(mask, np.int64), axes)


def _divide(total: Node, count: int | Node) -> Node:
    """numpy's true_divide(total, count, out=total, casting='unsafe'): an integer
    accumulator (mean(..., dtype=int64)) is divided in float64 and truncated."""
    dtype = total.dtype
    if isinstance(count, Node):     # a where= count: an intp array, numpy's promotion
        wide = np.result_type(dtype, np.int64) if dtype.kind in "fc" else np.dtype(np.float64)
        ratio = prims.bind(Op.DIV, [prims.cast(total, wide), prims.cast(count, wide)])
        return prims.cast(ratio, dtype)
    quotient = prims.cast(total, np.float64) if dtype.kind not in "fc" else total
    quotient = prims.bind(Op.DIV, [quotient, prims.full(total.shape, count, quotient.dtype)])
    return prims.cast(quotient, dtype)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    out_none(out, "mean")
    x = operand(a)[0]
    mask = _where(where, x)
    acc = _numpy_dtype("mean", x.dtype, None if dtype is None else np.dtype(dtype))
    axes = normalize_axes(axis, x.ndim)
    total = prims.reduce(Op.REDUCE_SUM, _fill(prims.cast(x, acc), mask, 0), axes)
    return wrap(_keep(_divide(total, _count(x, axes, mask)), x, axes, keepdims))


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
        mean=None, correction=_NO_VALUE):
    out_none(out, "var")
    if correction is not _NO_VALUE:
        ddof = correction
    # numpy's _var step by step: its dtypes decide the intermediate precisions
    x = operand(a)[0]
    mask = _where(where, x)
    x = _fill(x, mask, 0)
    acc = _numpy_dtype("var", x.dtype, None if dtype is None else np.dtype(dtype))
    axes = normalize_axes(axis, x.ndim)
    n = _count(x, axes, mask)
    if x.dtype.kind == "c":     # the mean of complex values is complex
        acc = np.result_type(x.dtype, *([] if dtype is None else [dtype]))
    mu = _divide(prims.reduce(Op.REDUCE_SUM, prims.cast(x, acc), axes), n)
    diff_dtype = np.result_type(x.dtype, acc)  # arr - arrmean
    mu = prims.broadcast_to(_keep(prims.cast(mu, diff_dtype), x, axes, True), x.shape)
    d = prims.bind(Op.SUB, [prims.cast(x, diff_dtype), mu])
    if d.dtype.kind == "c":     # numpy: re * re + im * im, a real sum
        re, im = prims.bind(Op.REAL, [d]), prims.bind(Op.IMAG, [d])
        sq = prims.bind(Op.ADD, [prims.bind(Op.MUL, [re, re]), prims.bind(Op.MUL, [im, im])])
        ss = prims.reduce(Op.REDUCE_SUM, _fill(sq, mask, 0), axes)
        return wrap(_keep(_divide(ss, _dof(n, ddof)), x, axes, keepdims))
    ss = prims.reduce(Op.REDUCE_SUM, _fill(prims.cast(prims.bind(Op.MUL, [d, d]), acc), mask, 0),
                      axes)
    return wrap(_keep(_divide(ss, _dof(n, ddof)), x, axes, keepdims))


def _dof(n: int | Node, ddof: Any) -> int | Node:
    """numpy's max(count - ddof, 0)."""
    if not isinstance(n, Node):
        return builtins.max(n - ddof, 0)
    if not float(ddof).is_integer():
        n = prims.cast(n, np.float64)
    less = prims.bind(Op.SUB, [n, prims.full(n.shape, ddof, n.dtype)])
    return prims.bind(Op.MAXIMUM, [less, prims.full(n.shape, 0, n.dtype)])


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
        mean=None, correction=_NO_VALUE):
    v = var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction).node
    if v.dtype.kind == "f":
        return wrap(prims.bind(Op.SQRT, [v]))
    # an integer dtype=: numpy truncates a scalar's root, and refuses an array's
    if v.ndim:
        raise TypeError(f"Cannot cast ufunc 'sqrt' output from dtype('float64') to "
                        f"dtype('{v.dtype}') with casting rule 'same_kind'")
    return wrap(prims.cast(prims.bind(Op.SQRT, [prims.cast(v, np.float64)]), v.dtype))


def _arg(op: Op, a, axis, out, keepdims) -> Proxy:
    out_none(out, "argmax/argmin")
    x = operand(a)[0]
    if axis is None or (x.ndim == 0 and normalize_axis(axis, 1) == 0):    # 0-d: as 1-d
        flat = prims.reshape(x, [x.type.size])
        r = prims.bind(op, [flat], axis=0)
        return wrap(prims.reshape(r, [1] * x.ndim) if keepdims else r)
    ax = normalize_axis(axis, x.ndim)
    r = prims.bind(op, [x], axis=ax)
    return wrap(_keep(r, x, (ax,), keepdims))


def argmax(a, axis=None, out=None, *, keepdims=False):
    return _arg(Op.ARGMAX, a, axis, out, keepdims)


def argmin(a, axis=None, out=None, *, keepdims=False):
    return _arg(Op.ARGMIN, a, axis, out, keepdims)


def _cumulative(op: Op, name: str, a, axis, dtype, out) -> Proxy:
    out_none(out, name)
    x = operand(a)[0]
    acc = _numpy_dtype(name, x.dtype, None if dtype is None else np.dtype(dtype))
    if axis is None or x.ndim == 0:         # numpy scans a 0-d array as a 1-d one
        x = prims.reshape(x, [x.type.size])
        axis = 0 if axis is None else axis
    ax = normalize_axis(axis, x.ndim)
    x = prims.cast(x, acc)
    if x.shape[ax] <= 1:
        return wrap(x)
    return wrap(prims.bind(op, [x], axis=ax))


def cumsum(a, axis=None, dtype=None, out=None):
    return _cumulative(Op.CUMSUM, "cumsum", a, axis, dtype, out)


def cumprod(a, axis=None, dtype=None, out=None):
    return _cumulative(Op.CUMPROD, "cumprod", a, axis, dtype, out)


amax = max
amin = min


FUNCTIONS = {
    np.sum: sum,
    np.prod: prod,
    np.mean: mean,
    np.max: max,
    np.min: min,
    np.amax: max,
    np.amin: min,
    np.any: any,
    np.all: all,
    np.argmax: argmax,
    np.argmin: argmin,
    np.std: std,
    np.var: var,
    np.cumsum: cumsum,
    np.cumprod: cumprod,
}
