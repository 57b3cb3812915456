"""Numerically stable forms (softplus, log-sum-exp, softmax) as node builders.

The stabilizing rewrites (graph_opt/stabilize.py) put these where a user wrote the
naive formula, and the numpy surface builds them for scipy.special.logsumexp, so
both give the same nodes. Each builder takes `bind(op, inputs, **attrs)`: the
tracer's own (prims.bind, which records the user's line) or the optimizer's.

Every form computes what the naive formula computes wherever that one neither
overflows nor cancels (to a few ulps of the result, or, for log-sum-exp, of the
largest element), keeps NaN and inf where the naive one gives them, and has a
finite derivative wherever the mathematical one is finite:

    softplus(x)     = logaddexp(0, x)            numpy's own stable log(1 + exp(x))
    log_sigmoid(x)  = 0 - softplus(-x)           (0 - y keeps log(1)'s +0.0)
    logsumexp(x, a) = log(sum(exp(x - s), a)) + s,  s = max(x, a) where finite, else 0
    log_softmax     = (x - s) - log(sum(exp(x - s), a))
    softmax         = exp(x - s) / sum(exp(x - s), a)

The shift s is 0 where the maximum is inf, -inf or NaN, so those rows compute the
naive formula and give its inf, -inf or NaN (scipy's rule).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..ir import Node, Op, make_const, make_node

Bind = Callable[..., Node]


def graph_bind(op: Op, inputs: Sequence[Node], **attrs) -> Node:
    """The optimizer's bind: a plain interned node (the engine copies the location)."""
    return make_node(op, inputs, attrs)


def full(bind: Bind, value: float, like: Node) -> Node:
    """`value` in like's dtype, broadcast to like's shape."""
    scalar = make_const(np.array(value, like.dtype))
    return scalar if like.ndim == 0 else bind(Op.BROADCAST_TO, [scalar], shape=like.shape)


def kept_shape(shape: Sequence[int], axes: Sequence[int]) -> tuple[int, ...]:
    """`shape` with the reduced axes kept as 1 (numpy's keepdims)."""
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def expand(bind: Bind, row: Node, axes: Sequence[int], shape: Sequence[int]) -> Node:
    """A reduction's result (axes dropped) broadcast back over the reduced axes."""
    keep = kept_shape(shape, axes)
    if row.ndim and row.shape != keep:
        row = bind(Op.RESHAPE, [row], shape=keep)
    return row if row.shape == tuple(shape) else bind(Op.BROADCAST_TO, [row], shape=tuple(shape))


def softplus(bind: Bind, x: Node) -> Node:
    """log(1 + exp(x)), right at both ends: numpy's logaddexp(0, x)."""
    return bind(Op.LOGADDEXP, [full(bind, 0.0, x), x])


def log_sigmoid(bind: Bind, x: Node) -> Node:
    """log(1 / (1 + exp(-x))) = -softplus(-x)."""
    return bind(Op.SUB, [full(bind, 0.0, x), softplus(bind, bind(Op.NEG, [x]))])


def shift(bind: Bind, x: Node, axes: Sequence[int]) -> Node:
    """max(x, axes) where it is finite, else 0 (axes dropped)."""
    m = bind(Op.REDUCE_MAX, [x], axes=tuple(axes))
    return bind(Op.SELECT, [bind(Op.ISFINITE, [m]), m, full(bind, 0.0, m)])


def shifted(bind: Bind, x: Node, axes: Sequence[int]) -> tuple[Node, Node]:
    """(x - s broadcast, s) with s = shift(x, axes)."""
    s = shift(bind, x, axes)
    return bind(Op.SUB, [x, expand(bind, s, axes, x.shape)]), s


def can_shift(x: Node, axes: Sequence[int]) -> bool:
    """A float x whose reduced axes are not empty (a maximum needs an element)."""
    return x.dtype.kind == "f" and all(x.shape[a] > 0 for a in axes)


def logsumexp(bind: Bind, x: Node, axes: Sequence[int]) -> Node:
    """log(sum(exp(x), axes)) with the max shift (axes dropped)."""
    axes = tuple(sorted(axes))
    y, s = shifted(bind, x, axes)
    total = bind(Op.REDUCE_SUM, [bind(Op.EXP, [y])], axes=axes)
    return bind(Op.ADD, [bind(Op.LOG, [total]), s])


def log_softmax_of_shifted(bind: Bind, y: Node, axes: Sequence[int]) -> Node:
    """y - log(sum(exp(y), axes)) for an already shifted y."""
    total = bind(Op.REDUCE_SUM, [bind(Op.EXP, [y])], axes=tuple(axes))
    return bind(Op.SUB, [y, expand(bind, bind(Op.LOG, [total]), axes, y.shape)])


def softmax_of_shifted(bind: Bind, y: Node, axes: Sequence[int]) -> Node:
    """exp(y) / sum(exp(y), axes) for an already shifted y."""
    e = bind(Op.EXP, [y])
    total = bind(Op.REDUCE_SUM, [e], axes=tuple(axes))
    return bind(Op.DIV, [e, expand(bind, total, axes, y.shape)])
