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
from ..ir.ops import ELEMENTWISE
from .engine import Context
from .match import is_const, scalar_of


def pow_two(node: Node, ctx: Context) -> Node | None:
    """pow(x, 2) -> x * x (real values: numpy's complex z**2 is its own product)."""
    if node.op is Op.POW and is_const(node.inputs[1], 2) and node.dtype.kind != "c":
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


def _produced(node: Node) -> bool:
    """node is elementwise work (seen through reshapes), not an input or a constant."""
    while node.op is Op.RESHAPE:
        node = node.inputs[0]
    return node.op in ELEMENTWISE


def dot_of_elementwise(node: Node, ctx: Context) -> Node | None:
    """dot_general(a, b) over one axis of k, every other axis of size 1 (a vector dot),
    with a or b elementwise work -> sum(reshape(a, k) * reshape(b, k)): one pass over
    the operands (the C backend computes the products inside the sum), not BLAS's."""
    if node.op is not Op.DOT_GENERAL or node.dtype.kind != "f" or node.type.size != 1:
        return None
    (lc, _), (lb, _) = node.attrs["contract"], node.attrs["batch"]
    a, b = node.inputs
    if lb or len(lc) != 1 or not (_produced(a) or _produced(b)):
        return None
    k = a.shape[lc[0]]
    if a.type.size != k or b.type.size != k or k < 2:
        return None
    flat = [make_node(Op.RESHAPE, [x], {"shape": (k,)}) for x in (a, b)]
    total = make_node(Op.REDUCE_SUM, [make_node(Op.MUL, flat)], {"axes": (0,)})
    return make_node(Op.RESHAPE, [total], {"shape": node.shape})


RULES = [pow_two, gemm_accumulate, dot_of_elementwise]
