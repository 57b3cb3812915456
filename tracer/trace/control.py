"""tr.ifelse: choose between two whole values on a scalar condition, lazily.

With a concrete condition the choice is made in Python and only the chosen
value is used. With a traced condition both values must have one structure,
shapes and dtypes (as jax.lax.cond asks); each leaf becomes one IFELSE node,
all sharing one cond node, so a backend evaluates the condition once and then
computes only the nodes the taken branch needs (tracer/vm/branches.py).
The condition follows numpy truthiness: a 0-d number is true when nonzero.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Op
from . import prims, pytree
from .proxy import Proxy, concrete_value, operand, wrap


def _describe(x: Any) -> str:
    arr = x if isinstance(x, Proxy) else np.asarray(x)
    return f"{arr.dtype}{list(arr.shape)}"


def _scalar_cond(shape: tuple[int, ...]) -> None:
    if shape != ():
        raise ValueError(f"ifelse: cond must be a scalar, got shape {shape}; "
                         "use np.where for an elementwise choice")


def ifelse(cond: Any, then_value: Any, else_value: Any) -> Any:
    """`then_value` if the scalar `cond` is true, else `else_value` (pytrees allowed).

    Under a trace with a traced `cond`, only the taken branch's work runs."""
    known = concrete_value(cond.node) if isinstance(cond, Proxy) else np.asarray(cond)
    if known is not None:          # a constant condition chooses now: no node
        _scalar_cond(known.shape)
        return then_value if bool(known) else else_value
    _scalar_cond(cond.shape)
    then_leaves, then_tree = pytree.flatten(then_value)
    else_leaves, else_tree = pytree.flatten(else_value)
    if then_tree != else_tree:
        raise TypeError(f"ifelse: then_value has structure {then_tree}, "
                        f"else_value has {else_tree}; they must match")
    for i, (a, b) in enumerate(zip(then_leaves, else_leaves)):
        if _describe(a) != _describe(b):
            raise TypeError(f"ifelse: leaf {i} is {_describe(a)} in then_value but "
                            f"{_describe(b)} in else_value; they must match")
    truth = prims.cast(cond.node, np.bool_)
    chosen = []
    for a, b in zip(then_leaves, else_leaves):
        (na, weak_a), (nb, weak_b) = operand(a), operand(b)
        node = na if na is nb else prims.bind(Op.IFELSE, [truth, na, nb])
        chosen.append(wrap(node, weak_a and weak_b))
    return pytree.unflatten(then_tree, chosen)
