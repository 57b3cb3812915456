"""Sorting: np.sort, np.argsort, ndarray.sort (in place) and ndarray.argsort.

One op, ARGSORT (numpy's stable argsort, NaN last), computes the order; the sorted
values are a gather of x by it, so their derivative is the gather's (each output
element's gradient goes to the element it came from; ties go in the stable order,
as JAX's sort). The C backend runs ARGSORT as a numpy step (backends/c/fallback.py).

numpy's default `kind` (introsort) leaves the order of equal elements to its
algorithm; tracer's argsort is always the stable one, which is numpy's answer with
kind='stable' and one of the orders numpy's default may give. Sorted values agree
with numpy whatever the kind.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..proxy import Proxy, operand, wrap
from .common import normalize_axis


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


FUNCTIONS = {
    np.sort: sort,
    np.argsort: argsort,
}
