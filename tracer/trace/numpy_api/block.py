"""np.block over traced values: nested lists of blocks joined into one array.

numpy's rules: the innermost lists join along the last axis, each level out along
the axis before; every block gets leading 1s up to the larger of the nesting depth
and the largest block's rank; Python scalars are arrays of their own dtype
(np.array's, not weak); tuples and empty lists are errors, and so are nestings
of different depths, with numpy's messages.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...ir import Node
from .. import prims
from ..proxy import operand, wrap
from .shapes import concatenate as _CONCATENATE


def _index_text(index: list[int]) -> str:
    return "arrays" + "".join(f"[{i}]" for i in index)


def _walk(arrays: Any, index: list[int], leaves: list[tuple[list[int], Node | None]]) -> Any:
    """The nesting with every block as a node; leaves collects (index, node), an empty
    list as (index + [-1], None)."""
    if isinstance(arrays, tuple):
        raise TypeError(f"{_index_text(index)} is a tuple. Only lists can be used to arrange "
                        "blocks, and np.block does not allow implicit conversion from tuple "
                        "to ndarray.")
    if isinstance(arrays, list):
        if not arrays:          # numpy checks the depths first, then refuses it
            leaves.append((index + [-1], None))
            return None
        return [_walk(a, index + [i], leaves) for i, a in enumerate(arrays)]
    node = operand(arrays)[0]
    leaves.append((index, node))
    return node


def _join(nested: Any, depth: int, level: int, ndim: int, dtype: np.dtype) -> Node:
    if not isinstance(nested, list):
        node = prims.cast(nested, dtype)
        return prims.reshape(node, (1,) * (ndim - node.ndim) + node.shape)
    parts = tuple(wrap(_join(p, depth, level + 1, ndim, dtype)) for p in nested)
    return _CONCATENATE(parts, axis=-(depth - level)).node


def block(arrays: Any) -> Any:
    leaves: list[tuple[list[int], Node | None]] = []
    nested = _walk(arrays, [], leaves)
    first = leaves[0][0]
    for index, _ in leaves[1:]:
        if len(index) != len(first):
            raise ValueError(f"List depths are mismatched. First element was at depth "
                             f"{len(first)}, but there is an element at depth {len(index)} "
                             f"({_index_text([i for i in index if i >= 0])})")
    for index, node in leaves:
        if node is None:
            raise ValueError(f"List at {_index_text(index[:-1])} cannot be empty")
    depth = len(first)
    ndim = max(depth, max(node.ndim for _, node in leaves))
    dtype = np.result_type(*[node.dtype for _, node in leaves])
    return wrap(_join(nested, depth, 0, ndim, dtype))


FUNCTIONS = {np.block: block}
