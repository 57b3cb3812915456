"""Reductions of x[mask] (a traced mask) as numpy's `where=` reductions of the full array.

reductions.py implements `where=`: the elements left out become the reduction's
identity by a SELECT before anything else, so their inf or NaN stays out of the
result and of its derivatives. The one difference from `where=`: max and min of
a selection take their identity (-inf, the smallest integer, ...) as `initial`,
where numpy would raise for an empty selection; a compiled function cannot raise
on data.
"""
from __future__ import annotations

import numpy as np

from ...ir import Node
from ..proxy import wrap
from . import reductions

NO_VALUE = np._NoValue


def identity(kind: str, dtype: np.dtype) -> object:
    """The value max or min ignores: -inf, the smallest integer, False (max)."""
    if dtype.kind == "f":
        return -np.inf if kind == "max" else np.inf
    if dtype.kind == "b":
        return kind == "min"
    info = np.iinfo(dtype)
    return info.min if kind == "max" else info.max


def where_reduce(kind: str, x: Node, where: Node, axes: tuple[int, ...], dtype=None,
                 initial=NO_VALUE) -> Node:
    """np.<kind>(x, axis=axes, where=where, initial=initial) for sum prod max min any all."""
    kwargs = {} if dtype is None else {"dtype": dtype}
    if kind in ("max", "min") and initial is NO_VALUE:
        initial = identity(kind, x.dtype)
    if initial is not NO_VALUE:
        kwargs["initial"] = initial
    return getattr(reductions, kind)(wrap(x), axis=axes, where=wrap(where), **kwargs).node


def where_mean(x: Node, where: Node, axes: tuple[int, ...], dtype=None) -> Node:
    """np.mean(x, axis=axes, where=where): NaN where nothing is selected, as numpy."""
    return reductions.mean(wrap(x), axis=axes, dtype=dtype, where=wrap(where)).node


def where_var(x: Node, where: Node, axes: tuple[int, ...], dtype=None, ddof=0) -> Node:
    return reductions.var(wrap(x), axis=axes, dtype=dtype, ddof=ddof, where=wrap(where)).node


def where_std(x: Node, where: Node, axes: tuple[int, ...], dtype=None, ddof=0) -> Node:
    return reductions.std(wrap(x), axis=axes, dtype=dtype, ddof=ddof, where=wrap(where)).node
