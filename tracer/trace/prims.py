"""Builders for primitive nodes, with the user's location and no-op elision.

The numpy surface works on nodes through these; each returns its input
unchanged when the op would do nothing (a cast to the same dtype, ...).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..ir import IRTypeError, Node, Op, make_const, make_node
from .context import current_trace, user_loc
from .errors import at_line


def bind(op: Op, inputs: Sequence[Node], **attrs: Any) -> Node:
    loc = user_loc()
    try:
        node = make_node(op, inputs, attrs, loc)
    except IRTypeError as err:
        raise ValueError(at_line(str(err), loc)) from None
    trace = current_trace()
    if trace is not None:
        trace.record(node)
    return node


def const(value: Any, dtype: Any = None) -> Node:
    arr = np.asarray(value, dtype=dtype)
    node = make_const(arr, user_loc())
    trace = current_trace()
    if trace is not None:
        trace.record(node)
    return node


def full(shape: Sequence[int], value: Any, dtype: Any) -> Node:
    """A constant broadcast to `shape`: the scalar is stored once."""
    return broadcast_to(const(value, dtype), tuple(shape))


def cast(x: Node, dtype: Any) -> Node:
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if x.op is Op.CONST and x.type.size <= 1:
        return const(x.attrs["value"].array.astype(dtype), dtype)
    return bind(Op.CAST, [x], dtype=dtype)


def broadcast_to(x: Node, shape: Sequence[int]) -> Node:
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return bind(Op.BROADCAST_TO, [x], shape=shape)


def reshape(x: Node, shape: Sequence[int]) -> Node:
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return bind(Op.RESHAPE, [x], shape=shape)


def transpose(x: Node, perm: Sequence[int]) -> Node:
    perm = tuple(perm)
    if perm == tuple(range(x.ndim)):
        return x
    return bind(Op.TRANSPOSE, [x], perm=perm)


def slice_axes(x: Node, starts: Sequence[int], steps: Sequence[int],
               sizes: Sequence[int]) -> Node:
    if tuple(sizes) == x.shape and all(s == 1 for s in steps):
        return x
    return bind(Op.SLICE, [x], starts=tuple(starts), steps=tuple(steps), sizes=tuple(sizes))


def reduce(op: Op, x: Node, axes: Sequence[int]) -> Node:
    axes = tuple(sorted(axes))
    if not axes:
        return x
    return bind(op, [x], axes=axes)


def expand_dims(x: Node, axes: Sequence[int]) -> Node:
    """Insert size-1 axes at the given (normalized, output) positions."""
    shape = list(x.shape)
    for a in sorted(axes):
        shape.insert(a, 1)
    return reshape(x, shape)


def squeeze_axes(x: Node, axes: Sequence[int]) -> Node:
    return reshape(x, [d for i, d in enumerate(x.shape) if i not in set(axes)])


def concatenate(xs: Sequence[Node], axis: int) -> Node:
    xs = _fold_rows(list(xs), axis)
    if len(xs) == 1:
        return xs[0]
    return bind(Op.CONCATENATE, list(xs), axis=axis)


def _row_of(x: Node, axis: int) -> tuple[Node, int] | None:
    """(src, i) when x is row i of src along `axis`, shaped as that row's slice."""
    row = x
    while row.op is Op.RESHAPE:
        row = row.inputs[0]
    if row.op is not Op.SLICE or row.shape != x.shape:
        return None
    src, a = row.inputs[0], row.attrs
    if a["sizes"][axis] != 1 or any(st != 1 for st in a["steps"]) or \
            any(a["starts"][d] != 0 or a["sizes"][d] != src.shape[d]
                for d in range(src.ndim) if d != axis):
        return None
    return src, a["starts"][axis]


def _fold_rows(xs: list[Node], axis: int) -> list[Node]:
    """xs with each run of all the rows of one array, in order, replaced by that array
    (np.stack of a loop's rows: loops/fastforward.py hands them out one by one)."""
    out, p = [], 0
    while p < len(xs):
        first = _row_of(xs[p], axis)
        n = first[0].shape[axis] if first is not None and first[1] == 0 else 0
        if n and p + n <= len(xs) and all(_row_of(xs[p + i], axis) == (first[0], i)
                                          for i in range(1, n)):
            out.append(first[0])
            p += n
        else:
            out.append(xs[p])
            p += 1
    return out


def select(cond: Node, a: Node, b: Node) -> Node:
    return bind(Op.SELECT, [cond, a, b])


def dot_general(lhs: Node, rhs: Node, contract, batch=((), ())) -> Node:
    contract = (tuple(contract[0]), tuple(contract[1]))
    batch = (tuple(batch[0]), tuple(batch[1]))
    return bind(Op.DOT_GENERAL, [lhs, rhs], contract=contract, batch=batch)
