"""Sorting and searching: np.sort, np.argsort, ndarray.sort (in place) and .argsort,
np.searchsorted, and np.interp built on it.

One op, ARGSORT (numpy's stable argsort, NaN last), computes the order; the sorted
values are a gather of x by it, so their derivative is the gather's (each output
element's gradient goes to the element it came from; ties go in the stable order,
as JAX's sort). The C backend runs ARGSORT as a numpy step (backends/c/fallback.py).

numpy's default `kind` (introsort) leaves the order of equal elements to its
algorithm; tracer's argsort is always the stable one, which is numpy's answer with
kind='stable' and one of the orders numpy's default may give. Sorted values agree
with numpy whatever the kind.

np.partition and np.argpartition return the sorted order, one of the orders numpy's
introselect may leave (each kth in place, nothing larger before it, nothing smaller
after); their derivatives are sort's.

SEARCHSORTED is numpy's binary search as a numpy step too (O(m log n), NaN last as numpy
sorts). np.interp follows numpy's C loop case by case (NaN x, left/right, x on a sample
point, the NaN retry from the right end of the interval), so its values are numpy's bit
for bit; its derivatives (in x, xp and fp) are those of the chosen linear piece.
"""
from __future__ import annotations

from operator import index as operator_index
from typing import Any

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import Proxy, contains_proxy, operand, wrap
from .common import normalize_axis, result_dtype


def _check_kind(kind: Any, order: Any, stable: Any) -> None:
    """numpy's own errors for a bad kind, order or stable (raised on a tiny array)."""
    np.argsort(np.zeros(1), kind=kind, order=order, stable=stable)


def _order(a: Any, axis: Any, zero_d_as_1d: bool = False) -> tuple[Node, int, Node | None]:
    """(x, axis, the argsort node) with axis=None flattening x; None when the axis has
    at most one element (nothing to move)."""
    x = operand(a)[0]
    if axis is not None and x.ndim == 0 and zero_d_as_1d:     # numpy's argsort does so
        x = prims.reshape(x, (1,))
    if axis is None:
        x, axis = prims.reshape(x, (x.type.size,)), 0
    ax = normalize_axis(axis, x.ndim)
    if x.shape[ax] <= 1:
        return x, ax, None
    return x, ax, prims.bind(Op.ARGSORT, [x], axis=ax)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    _check_kind(kind, order, stable)
    x, ax, idx = _order(a, axis, zero_d_as_1d=True)
    if idx is None:
        return wrap(prims.full(x.shape, 0, np.int64))
    return wrap(idx)


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    _check_kind(kind, order, stable)
    x, ax, idx = _order(a, axis)
    if idx is None:
        return wrap(x)      # a new proxy: the caller's array is not aliased
    grids = np.indices(x.shape, dtype=np.int64, sparse=True)
    index = [idx if i == ax else prims.broadcast_to(prims.const(g), x.shape)
             for i, g in enumerate(grids)]
    return wrap(prims.bind(Op.GATHER, [x, *index], axis=0))


def sort_in_place(self: Proxy, axis=-1, kind=None, order=None, *, stable=None) -> None:
    """ndarray.sort: sorts self (and the base it is a view of) and returns None."""
    self.node = sort(self, axis, kind, order, stable=stable).node


def searchsorted(a, v, side="left", sorter=None):
    np.searchsorted(np.zeros(1), 0, side=side)      # numpy's own error for a bad side
    x = operand(a)[0]
    if x.ndim != 1:
        raise ValueError(at_line("object too deep for desired array", user_loc()))
    if sorter is not None:
        x = operand(np.take(wrap(x), sorter))[0]
    common = result_dtype(a if isinstance(a, Proxy) else x.dtype, v)
    if common.kind == "c":
        raise TypeError(at_line("np.searchsorted of complex values is not traced yet",
                                user_loc()))
    values = operand(v)[0]
    return wrap(prims.bind(Op.SEARCHSORTED, [prims.cast(x, common), prims.cast(values, common)],
                           side=side))


def _float64(x: Any) -> Proxy:
    node = operand(x)[0]
    if node.dtype.kind == "c":
        raise TypeError(at_line("np.interp of complex values is not traced yet", user_loc()))
    return wrap(prims.cast(node, np.float64))


def interp(x, xp, fp, left=None, right=None, period=None):
    x, xp, fp = _float64(x), _float64(xp), _float64(fp)
    if xp.ndim != 1 or fp.ndim != 1:
        raise ValueError(at_line("object too deep for desired array", user_loc()))
    if fp.shape[0] != xp.shape[0]:
        raise ValueError(at_line("fp and xp are not of the same length.", user_loc()))
    if xp.shape[0] == 0:
        raise ValueError(at_line("array of sample points is empty", user_loc()))
    if period is not None:          # numpy's wrapping, in numpy's own steps
        if period == 0:
            raise ValueError(at_line("period must be a non-zero value", user_loc()))
        period = abs(period)
        left = right = None
        x, xp = x % period, xp % period
        order = np.argsort(xp)
        xp, fp = xp[order], fp[order]
        xp = np.concatenate((xp[-1:] - period, xp, xp[0:1] + period))
        fp = np.concatenate((fp[-1:], fp, fp[0:1]))
    n = xp.shape[0]
    lval = fp[0] if left is None else _float64(left)
    rval = fp[-1] if right is None else _float64(right)
    if n == 1:                      # numpy's loop for one sample point (NaN x gives fp[0])
        return np.where(x < xp[0], lval, np.where(x > xp[0], rval, fp[0]))
    j = np.searchsorted(xp, x, side="right") - 1        # xp[j] <= x < xp[j + 1]
    k = np.clip(j, 0, n - 2)
    x0, x1, y0, y1 = xp[k], xp[k + 1], fp[k], fp[k + 1]
    slope = (y1 - y0) / (x1 - x0)
    ahead = slope * (x - x0) + y0
    back = slope * (x - x1) + y1                        # numpy's retry when ahead is NaN
    inside = np.where(np.isnan(ahead),
                      np.where(np.isnan(back) & (y0 == y1), y0, back), ahead)
    inside = np.where(x0 == x, y0, inside)
    out = np.where(j >= n - 1, np.where(x > xp[-1], rval, fp[-1]), inside)
    out = np.where(j < 0, lval, out)
    return np.where(np.isnan(x), x, out)


def _check_kth(x: Node, kth: Any, axis: Any) -> None:
    if isinstance(kth, Proxy):
        raise TypeError(at_line("np.partition needs a concrete kth", user_loc()))
    n = x.type.size if axis is None else x.shape[normalize_axis(axis, x.ndim)]
    for k in np.atleast_1d(kth):
        if not -n <= int(k) < n:
            raise ValueError(at_line(f"kth(={int(k)}) out of bounds ({n})", user_loc()))


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """The sorted array: every kth is in its place, smaller ones before it and larger after
    (numpy leaves the order inside each side to its algorithm; this is one such order)."""
    _check_kth(operand(a)[0], kth, axis)
    return sort(a, axis=axis, order=order)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    _check_kth(operand(a)[0], kth, axis)
    return argsort(a, axis=axis, kind="stable", order=order)


def real_if_close(a, tol=100):
    x = operand(a)[0]
    if x.dtype.kind != "c":
        return wrap(x)
    raise TypeError(at_line(
        "np.real_if_close of a traced complex value has a dtype that depends on the data; "
        "use np.real(a) where you know the imaginary parts are negligible", user_loc()))




# -- histogram ----------------------------------------------------------------------

def _outer_edges(x: Any, range_: Any) -> tuple[Any, Any]:
    """numpy's _get_outer_edges; a data-given range is traced (its finiteness unchecked)."""
    if range_ is not None:
        first, last = range_
        if isinstance(first, Proxy) or isinstance(last, Proxy):
            raise TypeError(at_line("np.histogram needs a concrete range", user_loc()))
        if first > last:
            raise ValueError(at_line("max must be larger than min in range parameter.",
                                     user_loc()))
        if not (np.isfinite(first) and np.isfinite(last)):
            raise ValueError(at_line(f"supplied range of [{first}, {last}] is not finite",
                                     user_loc()))
        if first == last:
            first, last = first - 0.5, last + 0.5
        return first, last
    if x.size == 0:
        return 0, 1
    first, last = np.min(x), np.max(x)
    same = first == last
    return np.where(same, first - 0.5, first), np.where(same, last + 0.5, last)


def histogram(a, bins=10, range=None, density=None, weights=None):
    """numpy's histogram: the equal-bins path (bins an int) with numpy's index arithmetic
    and corrections at the edges, or given edges by sorting and searching."""
    x = wrap(prims.reshape(operand(a)[0], (operand(a)[0].type.size,)))
    w = None
    if weights is not None:
        w = wrap(operand(weights)[0])
        if w.shape != operand(a)[0].shape:
            raise ValueError(at_line("weights should have the same shape as a.", user_loc()))
        w = w.reshape(-1)
    ntype = np.dtype(np.intp) if w is None else w.dtype
    if isinstance(bins, str):
        raise TypeError(at_line(f"np.histogram with bins={bins!r} has a number of bins that "
                                "depends on the data; give a number of bins", user_loc()))
    if np.ndim(bins) == 0:
        n_bins = operator_index(bins)
        if n_bins < 1:
            raise ValueError(at_line("`bins` must be positive, when an integer", user_loc()))
        first, last = _outer_edges(x, range)
        parts = [first, last, x] if x.size else [first, last]
        bin_type = result_dtype(*parts)
        if bin_type.kind in "iub":
            bin_type = np.dtype(np.float64)
        edges = wrap(operand(np.linspace(first, last, n_bins + 1, endpoint=True,
                                         dtype=bin_type))[0])     # traced even for a range
        if x.size == 0:
            return wrap(prims.full((n_bins,), 0, ntype)), edges
        keep = (x >= first) & (x <= last)
        xs = np.where(keep, x, first).astype(bin_type)
        index = (((xs - first) / (last - first)) * n_bins).astype(np.intp)
        index = np.where(index == n_bins, index - 1, index)
        index = np.where(xs < edges[index], index - 1, index)
        index = np.where((xs >= edges[index + 1]) & (index != n_bins - 1), index + 1, index)
        counts = keep.astype(ntype) if w is None else np.where(keep, w, 0).astype(ntype)
        hist = wrap(prims.full((n_bins,), 0, ntype))
        np.add.at(hist, index, counts)
    else:
        edges = wrap(operand(bins)[0])
        if edges.ndim != 1:
            raise ValueError(at_line("`bins` must be 1d, when an array", user_loc()))
        concrete = np.asarray(bins) if not contains_proxy([bins]) else None
        if concrete is not None and np.any(concrete[:-1] > concrete[1:]):
            raise ValueError(at_line("`bins` must increase monotonically, when an array",
                                     user_loc()))
        order = np.argsort(x)
        sx = x[order]
        where_ = np.concatenate((np.searchsorted(sx, edges[:-1], "left"),
                                 np.searchsorted(sx, edges[-1:], "right")))
        if w is None:
            hist = np.diff(where_).astype(ntype)
        else:
            cw = np.concatenate((np.zeros(1, ntype), np.cumsum(w[order])))
            hist = np.diff(cw[where_])
    if density:
        widths = np.diff(edges).astype(np.float64)
        return hist / widths / hist.sum(), edges
    return hist, edges


FUNCTIONS = {
    np.sort: sort,
    np.argsort: argsort,
    np.searchsorted: searchsorted,
    np.interp: interp,
    np.partition: partition,
    np.argpartition: argpartition,
    np.real_if_close: real_if_close,
    np.histogram: histogram,
}
