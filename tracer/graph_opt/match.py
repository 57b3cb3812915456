"""Small pattern helpers shared by the rewrites: constants seen through views."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node, Op


def const_array(node: Node) -> np.ndarray | None:
    """The value of a CONST node, else None."""
    if node.op is Op.CONST:
        return node.attrs["value"].array
    return None


def uniform_source(node: Node) -> Node:
    """The 0-d or size-1 node that `node` broadcasts or reshapes, else `node`."""
    while node.op in (Op.BROADCAST_TO, Op.RESHAPE) and node.inputs[0].type.size == 1:
        node = node.inputs[0]
    return node


def scalar_const(node: Node) -> Any:
    """The one value of a constant whose elements are all equal (seen through
    broadcasts and reshapes), as a numpy scalar of its dtype; else None."""
    arr = const_array(uniform_source(node))
    if arr is None or arr.size == 0:
        return None
    first = arr.reshape(-1)[0]
    if arr.size > 1 and not np.array_equal(arr, np.full_like(arr, first), equal_nan=False):
        return None
    return first


def is_const(node: Node, value: float) -> bool:
    """`node` is a constant equal to `value` everywhere, with `value`'s sign for zeros."""
    v = scalar_const(node)
    if v is None or v != value:
        return False
    if value == 0 and node.dtype.kind == "f":
        return bool(np.signbit(v)) == bool(np.signbit(value))
    return True


def scalar_of(node: Node) -> Node | None:
    """The 0-d node that `node` is a broadcast of (or `node` itself when 0-d), else None."""
    if node.ndim == 0:
        return node
    src = uniform_source(node)
    return src if src.ndim == 0 else None
