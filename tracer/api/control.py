"""tr.ifelse: choose between two whole values on a scalar condition.

With a concrete condition the choice is made in Python and only the chosen
value is used. With a traced condition both values must have one structure,
shapes and dtypes (as jax.lax.cond asks); the result selects between them.
Both branches are computed for now: skipping the untaken branch is the lazy
VM's job (a later issue), and the values are the same either way.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..trace import Proxy, pytree


def _describe(x: Any) -> str:
    arr = x if isinstance(x, Proxy) else np.asarray(x)
    return f"{arr.dtype}{list(arr.shape)}"


def ifelse(cond: Any, then_value: Any, else_value: Any) -> Any:
    """`then_value` where the scalar `cond` is true, else `else_value` (pytrees allowed)."""
    if not isinstance(cond, Proxy):
        c = np.asarray(cond)
        if c.shape != ():
            raise ValueError(f"ifelse: cond must be a scalar, got shape {c.shape}; "
                             "use np.where for an elementwise choice")
        return then_value if bool(c) else else_value
    if cond.shape != ():
        raise ValueError(f"ifelse: cond must be a scalar, got shape {cond.shape}; "
                         "use np.where for an elementwise choice")
    then_leaves, then_tree = pytree.flatten(then_value)
    else_leaves, else_tree = pytree.flatten(else_value)
    if then_tree != else_tree:
        raise TypeError(f"ifelse: then_value has structure {then_tree}, "
                        f"else_value has {else_tree}; they must match")
    chosen = []
    for i, (a, b) in enumerate(zip(then_leaves, else_leaves)):
        if _describe(a) != _describe(b):
            raise TypeError(f"ifelse: leaf {i} is {_describe(a)} in then_value but "
                            f"{_describe(b)} in else_value; they must match")
        chosen.append(np.where(cond, a, b))
    return pytree.unflatten(then_tree, chosen)
