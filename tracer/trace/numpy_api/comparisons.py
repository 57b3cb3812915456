"""Comparisons of integers as numpy 2 makes them: exact, whatever the operand types.

numpy compares int64 with uint64 in a mixed loop (no float64 round trip), and a
Python int that does not fit the other operand's dtype is compared by its value
(NEP 50: `np.arange(3, dtype=np.int8) < 1000` is all True; `+` would raise). The
IR's comparisons take one operand type, so both become compositions here:

- int64 against uint64: a negative int64 is below every uint64; otherwise both
  compare as uint64.
- a constant Python int out of the dtype's range: the answer is the same for every
  element (the int is above or below all of them): a constant.
- a traced Python int (an int64 argument) against a narrower integer array: both
  compare as int64, exactly, instead of requiring the argument to fit the array's dtype.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...ir import Node, Op
from .. import prims
from .common import broadcast_all, broadcast_shapes

U = Op
COMPARISONS = {np.equal: U.EQ, np.not_equal: U.NE, np.less: U.LT, np.less_equal: U.LE,
               np.greater: U.GT, np.greater_equal: U.GE}
_MIRROR = {U.LT: U.GT, U.LE: U.GE, U.GT: U.LT, U.GE: U.LE, U.EQ: U.EQ, U.NE: U.NE}


def fits(value: int, dtype: np.dtype) -> bool:
    info = np.iinfo(dtype)
    return int(info.min) <= value <= int(info.max)


def constant_int(node: Any, weak: bool) -> int | None:
    """The value of a weak integer constant (a Python int in the user's code), else None."""
    if isinstance(node, BigInt):
        return node.value
    if weak and node.op is Op.CONST and node.dtype.kind in "iu":
        return int(node.attrs["value"].array)
    return None


class BigInt:
    """A Python int outside int64 and uint64: numpy converts it only once the loop is
    known (to float, or an OverflowError; comparisons use its value)."""

    shape: tuple[int, ...] = ()

    def __init__(self, value: int):
        self.value = value


def _signed_unsigned(op: Op, x: Node, y: Node) -> Node:
    """op(x, y) exactly, for one int64 and one uint64 operand of one shape."""
    if x.dtype.kind == "u":
        op, x, y = _MIRROR[op], y, x
    negative = prims.bind(U.LT, [x, prims.full(x.shape, 0, x.dtype)])
    unsigned = prims.bind(op, [prims.cast(x, y.dtype), y])
    if op in (U.LT, U.LE, U.NE):
        return prims.bind(U.LOGICAL_OR, [negative, unsigned])
    return prims.bind(U.LOGICAL_AND, [prims.bind(U.LOGICAL_NOT, [negative]), unsigned])


def _out_of_range(ufunc: np.ufunc, ops: list, loop: tuple[np.dtype, ...]) -> Node | None:
    """The constant answer where a Python int operand lies outside an integer loop's range
    (against an integer array: numpy converts it to int64 against a bool one)."""
    for k, ((node, weak), dt) in enumerate(zip(ops, loop)):
        value = constant_int(node, weak)
        other = ops[1 - k][0]
        if value is None or dt.kind not in "iu" or fits(value, dt) \
                or isinstance(other, BigInt) or other.dtype.kind not in "iu":
            continue
        side = math.inf if value > 0 else -math.inf
        answer = bool(ufunc(0, side) if k == 1 else ufunc(side, 0))
        shape = broadcast_shapes([n.shape for n, _ in ops])
        return prims.full(shape, answer, np.dtype(bool))
    return None


def compare(ufunc: np.ufunc, ops: list, loop: tuple[np.dtype, ...], cast_operand) -> Node:
    """ufunc(*operands) for a comparison ufunc; `ops` are (node, weak) pairs and `loop`
    numpy's loop dtypes; `cast_operand` is the usual conversion to a loop dtype."""
    found = _out_of_range(ufunc, ops, loop)
    if found is not None:
        return found
    nodes = []
    for (node, weak), dt in zip(ops, loop):
        traced_int = (weak and not isinstance(node, BigInt) and node.op is not Op.CONST
                      and node.dtype.kind in "iu" and dt.kind in "iu")
        nodes.append(node if traced_int else cast_operand(node, weak, dt))
    x, y = broadcast_all(nodes)
    op = COMPARISONS[ufunc]
    if x.dtype != y.dtype:
        if {x.dtype.kind, y.dtype.kind} == {"i", "u"} and np.dtype(np.uint64) in (x.dtype, y.dtype):
            return _signed_unsigned(op, prims.cast(x, np.int64) if x.dtype.kind == "i" else x,
                                    prims.cast(y, np.int64) if y.dtype.kind == "i" else y)
        common = np.promote_types(x.dtype, y.dtype)
        x, y = prims.cast(x, common), prims.cast(y, common)
    return prims.bind(op, [x, y])
