"""The value of a traced expression that depends on no input: constants are concrete.

Inside a traced function, `np.zeros(...)` and friends give traced constants (so
that a loop can fill them with traced values, see array_entry.py). Where Python
or numpy needs a concrete value of such a constant (`if`, `float()`, an index, a
shape, `np.asarray`), it is computed here with the reference implementations
(the spec, as graph_opt/fold.py uses them) instead of raising: a value that
depends on no argument is known at trace time.
"""
from __future__ import annotations

import weakref

import numpy as np

from ..backends.python.impls import IMPLS  # the spec; depends only on ir/
from ..ir import Node, Op, toposort

_known: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
MAX_ELEMENTS = 1 << 24


def constant_value(node: Node) -> np.ndarray | None:
    """node's value when it depends on no param (and is not huge), else None."""
    if node.op is Op.CONST:
        return node.attrs["value"].array
    found = _known.get(node)
    if found is not None:
        return found[0]
    value = _evaluate(node)
    _known[node] = (value,)
    return value


def _evaluate(node: Node) -> np.ndarray | None:
    order = toposort([node])
    if any(n.op is Op.PARAM for n in order) or any(n.type.size > MAX_ELEMENTS for n in order):
        return None
    values: dict[Node, object] = {}
    with np.errstate(all="ignore"):
        for n in order:
            if n.op is Op.CONST:
                values[n] = n.attrs["value"].array
            else:
                try:
                    values[n] = IMPLS[n.op](n.attrs, *[values[i] for i in n.inputs])
                except (ArithmeticError, IndexError, ValueError, KeyError):
                    return None
    out = np.asarray(values[node])
    return out if (out.dtype, out.shape) == (node.dtype, node.shape) else None
