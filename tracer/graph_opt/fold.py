"""Constant folding: an op whose inputs are all constants becomes a constant.

The value comes from the reference backend's table (the executable spec), so a
folded graph computes exactly what the unfolded one would. Only small results
are folded (a big constant would cost memory and bandwidth a broadcast does
not), broadcasts are never materialized, and an op whose evaluation raises
(an out-of-bounds index, an integer to a negative power) is left for the run
to raise at the user's call.
"""
from __future__ import annotations

import numpy as np

from ..backends.python.impls import IMPLS  # the spec; depends only on ir/
from ..ir import Node, Op, make_const
from ..ir.ops import LEAF
from .engine import Context

MAX_FOLD_SIZE = 1024
# broadcasts stay views; a loop stays a loop (its value is a tuple)
_NEVER = frozenset({Op.BROADCAST_TO, Op.SCAN, Op.SCAN_OUT})


def fold_constants(node: Node, ctx: Context) -> Node | None:
    """op(const, ..., const) -> const, for results of at most MAX_FOLD_SIZE elements."""
    if node.op in LEAF or node.op in _NEVER or node.type.size > MAX_FOLD_SIZE:
        return None
    if not node.inputs or any(i.op is not Op.CONST for i in node.inputs):
        return None
    args = [i.attrs["value"].array for i in node.inputs]
    try:
        with np.errstate(all="ignore"):
            value = np.asarray(IMPLS[node.op](node.attrs, *args))
    except (ArithmeticError, IndexError, ValueError):
        return None
    if value.dtype != node.dtype or value.shape != node.shape:
        return None
    return make_const(value)


RULES = [fold_constants]
