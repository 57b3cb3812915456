"""Canonicalizing rewrites: drop no-ops, merge chains of layout ops, lift broadcasts.

Each rule is exact: the rewritten graph computes bit-identical values, NaN,
infinities and signed zeros included (hence `x + 0.0` is *not* here: -0.0 + 0.0
is +0.0; `x + (-0.0)` and `x - 0.0` are).
"""
from __future__ import annotations

from ..ir import Node, Op, make_node
from ..ir.ops import ELEMENTWISE
from .engine import Context
from .match import is_const, uniform_source

_SAME_TYPE_NOOPS = (Op.RESHAPE, Op.BROADCAST_TO, Op.TRANSPOSE, Op.CAST)


def same_type_noop(node: Node, ctx: Context) -> Node | None:
    """reshape / broadcast_to / transpose / cast of x to x's own type -> x."""
    if node.op in _SAME_TYPE_NOOPS and node.inputs[0].type == node.type:
        if node.op is not Op.TRANSPOSE or node.attrs["perm"] == tuple(range(node.ndim)):
            return node.inputs[0]
    return None


def reshape_reshape(node: Node, ctx: Context) -> Node | None:
    """reshape(reshape(x)) -> reshape(x)."""
    if node.op is Op.RESHAPE and node.inputs[0].op is Op.RESHAPE:
        return make_node(Op.RESHAPE, node.inputs[0].inputs, {"shape": node.shape})
    return None


def transpose_transpose(node: Node, ctx: Context) -> Node | None:
    """transpose(transpose(x, p), q) -> transpose(x, p[q])."""
    if node.op is Op.TRANSPOSE and node.inputs[0].op is Op.TRANSPOSE:
        inner = node.inputs[0]
        perm = tuple(inner.attrs["perm"][q] for q in node.attrs["perm"])
        return make_node(Op.TRANSPOSE, inner.inputs, {"perm": perm})
    return None


def broadcast_broadcast(node: Node, ctx: Context) -> Node | None:
    """broadcast_to(broadcast_to(x, s1), s2) -> broadcast_to(x, s2)."""
    if node.op is Op.BROADCAST_TO and node.inputs[0].op is Op.BROADCAST_TO:
        return make_node(Op.BROADCAST_TO, node.inputs[0].inputs, {"shape": node.shape})
    return None


def broadcast_of_size1(node: Node, ctx: Context) -> Node | None:
    """broadcast_to(x1) or reshape(broadcast_to(x1)) where x1 has one element
    -> broadcast_to(x0) with x0 the 0-d value: one form for a scalar filling a shape."""
    if node.op is Op.BROADCAST_TO:
        if node.inputs[0].ndim == 0:
            return None
    elif node.op is not Op.RESHAPE or node.type.size <= 1:
        return None
    src = uniform_source(node.inputs[0])
    if src.type.size != 1:
        return None
    if src.ndim:
        src = make_node(Op.RESHAPE, [src], {"shape": ()})
    return make_node(Op.BROADCAST_TO, [src], {"shape": node.shape})


def lift_broadcast(node: Node, ctx: Context) -> Node | None:
    """op(broadcast_to(a, s), broadcast_to(b, s)) -> broadcast_to(op(a, b), s)
    when a and b have one shape: the op runs once per source element."""
    if node.op not in ELEMENTWISE or not node.inputs:
        return None
    srcs = []
    for inp in node.inputs:
        if inp.op is not Op.BROADCAST_TO:
            return None
        srcs.append(inp.inputs[0])
    if any(s.shape != srcs[0].shape for s in srcs) or srcs[0].type.size >= node.type.size:
        return None
    inner = make_node(node.op, srcs, node.attrs)
    return make_node(Op.BROADCAST_TO, [inner], {"shape": node.shape})


def neg_neg(node: Node, ctx: Context) -> Node | None:
    """neg(neg(x)) -> x."""
    if node.op is Op.NEG and node.inputs[0].op is Op.NEG:
        return node.inputs[0].inputs[0]
    return None


def mul_one(node: Node, ctx: Context) -> Node | None:
    """x * 1 -> x, 1 * x -> x, x / 1 -> x (exact for every real value, NaN included; not
    for complex, where numpy's (inf+infj) * 1 has a NaN part)."""
    if node.dtype.kind == "c":
        return None
    if node.op is Op.MUL:
        x, y = node.inputs
        if is_const(y, 1):
            return x
        if is_const(x, 1):
            return y
    if node.op is Op.DIV and is_const(node.inputs[1], 1):
        return node.inputs[0]
    return None


def add_zero(node: Node, ctx: Context) -> Node | None:
    """x + (-0.0) -> x, x - 0.0 -> x; for integers x + 0 -> x, 0 + x -> x, x - 0 -> x."""
    if node.op not in (Op.ADD, Op.SUB) or node.dtype.kind not in "fiu":
        return None
    x, y = node.inputs
    floating = node.dtype.kind == "f"
    if node.op is Op.SUB:
        return x if is_const(y, 0.0) else None
    zero = -0.0 if floating else 0
    if is_const(y, zero):
        return x
    if is_const(x, zero):
        return y
    return None


def select_same(node: Node, ctx: Context) -> Node | None:
    """select(c, x, x) -> x."""
    if node.op is Op.SELECT and node.inputs[1] is node.inputs[2]:
        return node.inputs[1]
    return None


RULES = [same_type_noop, reshape_reshape, transpose_transpose, broadcast_broadcast,
         broadcast_of_size1, lift_broadcast, neg_neg, mul_one, add_zero, select_same]
