"""Reductions and scans: sum mean prod max min any all argmax argmin std var cumsum cumprod.

Accumulation dtypes are numpy's own, read off numpy by running the same
reduction on a one-element array of the input dtype (cached).
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
from .common import normalize_axes, normalize_axis, out_none

_NO_VALUE = np._NoValue  # numpy's own "argument not given" marker


@cache
def _numpy_dtype(fn_name: str, dtype: np.dtype, requested: Any) -> np.dtype:
    probe = np.ones(1, dtype=dtype)
    return np.dtype(getattr(np, fn_name)(probe, dtype=requested).dtype)


def _keep(result: Node, x: Node, axes: tuple[int, ...], keepdims: bool) -> Node:
    if not keepdims:
        return result
    return prims.reshape(result, [1 if i in axes else d for i, d in enumerate(x.shape)])


def _check_where(where: Any, name: str) -> None:
    if where is not True and where is not _NO_VALUE:
        raise TypeError(f"{name}: where= is not supported on traced values; use np.where first")


def _accumulating(op: Op, name: str, a, axis, dtype, out, keepdims, initial, where) -> Proxy:
    out_none(out, name)
    _check_where(where, name)
    x = operand(a)[0]
    acc = _numpy_dtype(name, x.dtype, None if dtype is None else np.dtype(dtype))
    axes = normalize_axes(axis, x.ndim)
    r = prims.reduce(op, prims.cast(x, acc), axes)
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
    _check_where(where, name)
    x = operand(a)[0]
    axes = normalize_axes(axis, x.ndim)
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
    _check_where(where, "any/all")
    x = prims.cast(operand(a)[0], bool)
    axes = normalize_axes(axis, x.ndim)
    if builtins.any(x.shape[i] == 0 for i in axes):
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
        return wrap(_keep(prims.full(shape, identity, bool), x, axes, keepdims))
    return wrap(_keep(prims.reduce(op, x, axes), x, axes, keepdims))


def any(a, axis=None, out=None, keepdims=False, *, where=True):
    return _logical_reduce(Op.REDUCE_MAX, False, a, axis, out, keepdims, where)


def all(a, axis=None, out=None, keepdims=False, *, where=True):
    return _logical_reduce(Op.REDUCE_MIN, True, a, axis, out, keepdims, where)


def _count(x: Node, axes: tuple[int, ...]) -> int:
    return math.prod(x.shape[i] for i in axes)


def _divide(total: Node, count: int) -> Node:
    """numpy's true_divide(total, count, out=total, casting='unsafe'): an integer
    accumulator (mean(..., dtype=int64)) is divided in float64 and truncated."""
    dtype = total.dtype
    quotient = prims.cast(total, np.float64) if dtype.kind != "f" else total
    quotient = prims.bind(Op.DIV, [quotient, prims.full(total.shape, count, quotient.dtype)])
    return prims.cast(quotient, dtype)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    out_none(out, "mean")
    _check_where(where, "mean")
    x = operand(a)[0]
    acc = _numpy_dtype("mean", x.dtype, None if dtype is None else np.dtype(dtype))
    axes = normalize_axes(axis, x.ndim)
    total = prims.reduce(Op.REDUCE_SUM, prims.cast(x, acc), axes)
    return wrap(_keep(_divide(total, _count(x, axes)), x, axes, keepdims))


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
        mean=None, correction=_NO_VALUE):
    out_none(out, "var")
    _check_where(where, "var")
    if correction is not _NO_VALUE:
        ddof = correction
    # numpy's _var step by step: its dtypes decide the intermediate precisions
    x = operand(a)[0]
    acc = _numpy_dtype("var", x.dtype, None if dtype is None else np.dtype(dtype))
    axes = normalize_axes(axis, x.ndim)
    n = _count(x, axes)
    mu = _divide(prims.reduce(Op.REDUCE_SUM, prims.cast(x, acc), axes), n)
    diff_dtype = np.result_type(x.dtype, acc)  # arr - arrmean
    mu = prims.broadcast_to(_keep(prims.cast(mu, diff_dtype), x, axes, True), x.shape)
    d = prims.bind(Op.SUB, [prims.cast(x, diff_dtype), mu])
    ss = prims.reduce(Op.REDUCE_SUM, prims.cast(prims.bind(Op.MUL, [d, d]), acc), axes)
    return wrap(_keep(_divide(ss, builtins.max(n - ddof, 0)), x, axes, keepdims))


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
    if axis is None:
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
    if axis is None:
        x = prims.reshape(x, [x.type.size])
        axis = 0
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
