"""The two rule tables, keyed by op: JVP_RULES (R-operator), VJP_RULES (L-operator).

    JVP_RULES[op](node, tangents) -> tangent of node, or None (symbolic zero)
        tangents[i] is the tangent of node.inputs[i], None for zero; at least
        one is not None.
    VJP_RULES[op](node, ct) -> one cotangent per input, None for none
        ct has node's type.

Every op of the catalog is here or in NON_DIFFERENTIABLE (or is a leaf);
tests/autodiff/test_rule_coverage.py walks the catalog to keep it so.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..ir import Node, Op
from ..ir.ops import LEAF, NON_DIFFERENTIABLE
from ..trace import prims
from . import build as b
from . import complex_rules, indexing, linalg, special
from . import structural as s
from .build import MaybeNode, materialize
from .elementwise import PARTIALS

JvpRule = Callable[[Node, Sequence[MaybeNode]], MaybeNode]
VjpRule = Callable[[Node, Node], Sequence[MaybeNode]]


def is_differentiable(node: Node) -> bool:
    """Whether a node's value can carry a tangent: a float output of a smooth op."""
    if node.op is Op.SCAN:      # a tuple: each SCAN_OUT says whether it is a float
        return True
    return node.dtype.kind in "fc" and node.op not in NON_DIFFERENTIABLE and node.op not in LEAF


# -- elementwise, from the partials -------------------------------------------
def _elementwise_jvp(op: Op) -> JvpRule:
    partial = PARTIALS[op]

    def rule(node: Node, tangents: Sequence[MaybeNode]) -> MaybeNode:
        return b.add_all([b.mul(t, partial(node.inputs, node, i))
                          for i, t in enumerate(tangents) if t is not None])
    return rule


def _elementwise_vjp(op: Op) -> VjpRule:
    partial = PARTIALS[op]

    def rule(node: Node, ct: Node) -> list[MaybeNode]:
        return [b.mul(ct, partial(node.inputs, node, i)) if x.dtype.kind in "fc" else None
                for i, x in enumerate(node.inputs)]
    return rule


JVP_RULES: dict[Op, JvpRule] = {op: _elementwise_jvp(op) for op in PARTIALS}
VJP_RULES: dict[Op, VjpRule] = {op: _elementwise_vjp(op) for op in PARTIALS}


def _on_complex(real_rule, complex_rule):
    """A rule that differs for a complex operand (abs: not holomorphic)."""
    return lambda node, arg: (complex_rule if node.inputs[0].dtype.kind == "c"
                              else real_rule)(node, arg)


JVP_RULES[Op.ABS] = _on_complex(JVP_RULES[Op.ABS], complex_rules.abs_jvp)
VJP_RULES[Op.ABS] = _on_complex(VJP_RULES[Op.ABS], complex_rules.abs_vjp)
JVP_RULES.update(complex_rules.JVP_RULES)
VJP_RULES.update(complex_rules.VJP_RULES)


# -- linear and bilinear arithmetic -------------------------------------------
def _div_jvp(node, ts):
    tx, ty = ts
    return b.div(b.sub(tx, b.mul(node, ty)), node.inputs[1])


def _div_vjp(node, ct):
    y = node.inputs[1]
    return [b.div(ct, y), b.neg(b.div(b.mul(ct, node), y))]


JVP_RULES.update({
    Op.NEG: lambda node, ts: b.neg(ts[0]),
    Op.ADD: lambda node, ts: b.add(ts[0], ts[1]),
    Op.SUB: lambda node, ts: b.sub(ts[0], ts[1]),
    Op.MUL: lambda node, ts: b.add(b.mul(ts[0], node.inputs[1]), b.mul(node.inputs[0], ts[1])),
    Op.DIV: _div_jvp,
    Op.SELECT: lambda node, ts: b.select(node.inputs[0], ts[1], ts[2]),
    Op.CAST: lambda node, ts: prims.cast(ts[0], node.dtype),
})
VJP_RULES.update({
    Op.NEG: lambda node, ct: [b.neg(ct)],
    Op.ADD: lambda node, ct: [ct, ct],
    Op.SUB: lambda node, ct: [ct, b.neg(ct)],
    Op.MUL: lambda node, ct: [b.mul(ct, node.inputs[1]), b.mul(node.inputs[0], ct)],
    Op.DIV: _div_vjp,
    Op.SELECT: lambda node, ct: [None, b.select(node.inputs[0], ct, None),
                                 b.select(node.inputs[0], None, ct)],
    Op.CAST: lambda node, ct: [prims.cast(ct, node.inputs[0].dtype)
                               if node.inputs[0].dtype.kind in "fc" else None],
})


# -- reductions and scans -------------------------------------------------------
def _axes(node: Node) -> tuple[int, ...]:
    return tuple(node.attrs["axes"])


def _weighted_sum_jvp(weights: Callable[[Node], Node]) -> JvpRule:
    def rule(node, ts):
        return b.sum_axes(b.mul(ts[0], weights(node)), _axes(node))
    return rule


def _weighted_sum_vjp(weights: Callable[[Node], Node]) -> VjpRule:
    def rule(node, ct):
        x = node.inputs[0]
        return [b.mul(b.unreduce(ct, _axes(node), x.shape), weights(node))]
    return rule


def _prod_weights(node: Node) -> Node:
    return s.prod_others(node.inputs[0], _axes(node))


def _max_weights(node: Node) -> Node:
    return s.max_weights(node.inputs[0], node, _axes(node))


def _cumsum_vjp(node, ct):
    axis = node.attrs["axis"]
    return [b.reverse(b.bind(Op.CUMSUM, b.reverse(ct, axis), axis=axis), axis)]


JVP_RULES.update({
    Op.REDUCE_SUM: lambda node, ts: b.sum_axes(ts[0], _axes(node)),
    Op.REDUCE_PROD: _weighted_sum_jvp(_prod_weights),
    Op.REDUCE_MAX: _weighted_sum_jvp(_max_weights),
    Op.REDUCE_MIN: _weighted_sum_jvp(_max_weights),
    Op.CUMSUM: lambda node, ts: b.bind(Op.CUMSUM, ts[0], axis=node.attrs["axis"]),
    Op.CUMPROD: lambda node, ts: s.cumprod_jvp(node.inputs[0], ts[0], node.attrs["axis"]),
})
VJP_RULES.update({
    Op.REDUCE_SUM: lambda node, ct: [b.unreduce(ct, _axes(node), node.inputs[0].shape)],
    Op.REDUCE_PROD: _weighted_sum_vjp(_prod_weights),
    Op.REDUCE_MAX: _weighted_sum_vjp(_max_weights),
    Op.REDUCE_MIN: _weighted_sum_vjp(_max_weights),
    Op.CUMSUM: _cumsum_vjp,
    Op.CUMPROD: lambda node, ct: [s.cumprod_vjp(node.inputs[0], ct, node.attrs["axis"])],
})


# -- layout ---------------------------------------------------------------------
def _same_op_jvp(node: Node, ts: Sequence[MaybeNode]) -> Node:
    """Linear in its (only) differentiable input: apply the op to the tangent."""
    return prims.bind(node.op, [ts[0]], **dict(node.attrs))


def _slice_vjp(node, ct):
    a = node.attrs
    return [s.unslice(ct, node.inputs[0].shape, a["starts"], a["steps"], a["sizes"])]


def _update_slice_jvp(node, ts):
    x, v = node.inputs
    return prims.bind(Op.UPDATE_SLICE, [materialize(ts[0], x), materialize(ts[1], v)],
                      **dict(node.attrs))


def _update_slice_vjp(node, ct):
    """x gets ct but where v was written; v gets what the box of ct holds."""
    x, v = node.inputs
    a = node.attrs
    kept = prims.bind(Op.UPDATE_SLICE, [ct, b.zeros_like(v)], **dict(a))
    return [kept if x.dtype.kind in "fc" else None,
            prims.slice_axes(ct, a["starts"], a["steps"], v.shape)]


def _concatenate_jvp(node, ts):
    return prims.concatenate([materialize(t, x) for t, x in zip(ts, node.inputs)],
                             node.attrs["axis"])


def _concatenate_vjp(node, ct):
    axis, start, parts = node.attrs["axis"], 0, []
    for x in node.inputs:
        size = x.shape[axis]
        parts.append(b.slice_along(ct, axis, start, size) if x.dtype.kind in "fc" else None)
        start += size
    return parts


for _op in (Op.RESHAPE, Op.TRANSPOSE, Op.BROADCAST_TO, Op.SLICE):
    JVP_RULES[_op] = _same_op_jvp
JVP_RULES[Op.CONCATENATE] = _concatenate_jvp
JVP_RULES[Op.UPDATE_SLICE] = _update_slice_jvp
VJP_RULES[Op.UPDATE_SLICE] = _update_slice_vjp
VJP_RULES.update({
    Op.RESHAPE: lambda node, ct: [prims.reshape(ct, node.inputs[0].shape)],
    Op.TRANSPOSE: lambda node, ct: [prims.transpose(
        ct, [int(a) for a in np.argsort(node.attrs["perm"])])],
    Op.BROADCAST_TO: lambda node, ct: [b.unbroadcast(ct, node.inputs[0].shape)],
    Op.SLICE: _slice_vjp,
    Op.CONCATENATE: _concatenate_vjp,
})


# -- indexing and contraction -----------------------------------------------------
def _dot(lhs: MaybeNode, rhs: MaybeNode, node: Node) -> MaybeNode:
    if lhs is None or rhs is None:
        return None
    return prims.dot_general(lhs, rhs, node.attrs["contract"], node.attrs["batch"])


def _dot_jvp(node, ts):
    lhs, rhs = node.inputs
    return b.add(_dot(ts[0], rhs, node), _dot(lhs, ts[1], node))


def _dot_vjp(node, ct):
    lhs, rhs = node.inputs
    contract, batch = node.attrs["contract"], node.attrs["batch"]
    return [s.dot_transpose_lhs(ct, lhs, rhs, contract, batch),
            s.dot_transpose_rhs(ct, lhs, rhs, contract, batch)]


JVP_RULES.update({**indexing.JVP_RULES, Op.DOT_GENERAL: _dot_jvp})
VJP_RULES.update({**indexing.VJP_RULES, Op.DOT_GENERAL: _dot_vjp})
JVP_RULES.update(linalg.JVP_RULES)
VJP_RULES.update(linalg.VJP_RULES)
JVP_RULES[Op.SPECIAL], VJP_RULES[Op.SPECIAL] = special.jvp, special.vjp


# -- control ----------------------------------------------------------------------
def _ifelse_jvp(node, ts):
    """The tangent takes the same branch; a zero branch tangent becomes zeros."""
    cond, then, other = node.inputs
    return prims.bind(Op.IFELSE, [cond, materialize(ts[1], then), materialize(ts[2], other)])


def _ifelse_vjp(node, ct):
    """The taken branch gets the cotangent, the other zeros; cond gets none."""
    cond, then, other = node.inputs
    zeros = b.zeros_like(ct)
    return [None, prims.bind(Op.IFELSE, [cond, ct, zeros]),
            prims.bind(Op.IFELSE, [cond, zeros, ct])]


JVP_RULES[Op.IFELSE] = _ifelse_jvp
VJP_RULES[Op.IFELSE] = _ifelse_vjp

# -- loops: their rules transform the body graph, so they use the transforms themselves;
# imported last, when the tables above exist for the transforms to read
from . import scan  # noqa: E402

JVP_RULES.update(scan.JVP_RULES)
VJP_RULES.update(scan.VJP_RULES)
