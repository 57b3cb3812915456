"""Rewrites that trade an op for a cheaper equivalent one.

`pow(x, 2) -> x * x` is exact (the square is one correctly rounded product, as
numpy's own `x ** 2`). The gemm rewrite folds an SGD-style update
`c ± alpha * dot_general(a, b)` into one GEMM_ACC: BLAS copies c into the
output and accumulates alpha * a @ b into it (beta = 1), so the product is
never materialized and the update costs no extra pass over memory.
"""
from __future__ import annotations

import numpy as np

from ..ir import Node, Op, make_const, make_node
from .engine import Context
from .match import is_const, scalar_of


def pow_two(node: Node, ctx: Context) -> Node | None:
    """pow(x, 2) -> x * x."""
    if node.op is Op.POW and is_const(node.inputs[1], 2):
        x = node.inputs[0]
        return make_node(Op.MUL, [x, x])
    return None


def _scaled_dot(node: Node, ctx: Context) -> tuple[Node, Node | None] | None:
    """(dot, alpha or None for 1) when node is dot, alpha*dot or dot*alpha with a
    scalar alpha and a dot read only here; else None."""
    if node.op is Op.DOT_GENERAL:
        return (node, None) if ctx.used_once(node) else None
    if node.op is not Op.MUL:
        return None
    for dot, other in (node.inputs, node.inputs[::-1]):
        alpha = scalar_of(other)
        if dot.op is Op.DOT_GENERAL and alpha is not None and ctx.used_once(dot) \
                and ctx.used_once(node):
            return dot, alpha
    return None


def gemm_accumulate(node: Node, ctx: Context) -> Node | None:
    """c + alpha*dot(a, b), alpha*dot(a, b) + c, c - alpha*dot(a, b), c ± dot(a, b)
    -> gemm_acc(c, ±alpha, a, b), for float c of the dot's type."""
    if node.op not in (Op.ADD, Op.SUB) or node.dtype.kind != "f" or node.dtype.itemsize < 4:
        return None
    orders = [node.inputs] if node.op is Op.SUB else [node.inputs, node.inputs[::-1]]
    for c, term in orders:
        found = _scaled_dot(term, ctx)
        if found is None:
            continue
        dot, alpha = found
        if alpha is None:
            alpha = make_const(np.ones((), node.dtype))
        if node.op is Op.SUB:
            alpha = make_node(Op.NEG, [alpha])
        return make_node(Op.GEMM_ACC, [c, alpha, *dot.inputs], dot.attrs)
    return None


RULES = [pow_two, gemm_accumulate]
