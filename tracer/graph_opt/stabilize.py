"""Stabilizing rewrites: the naive formula -> one that neither overflows nor cancels.

Each rule changes a value only where numpy's formula overflows, underflows or
cancels (log(1 + exp(1000)) is inf, log(1 + 1e-20) is 0); elsewhere the result
is numpy's to a few ulps, NaN and inf stay where numpy gives them, and so does
the sign of a zero (log1p(-0.0) is -0.0 but log(1 + -0.0) is +0.0, hence the
`+ 0.0` some rules add). The stable forms are trace/stable.py's, which
scipy.special.logsumexp and expit build too. Rules see nodes bottom-up, so an
inner rewrite (1/(1+exp(-x)) -> sigmoid) is done before an outer rule looks
(log(sigmoid(x)) -> -softplus(-x)).

The pass runs twice: in the pipeline, and on a function's traced outputs before
tracer differentiates them (api/transforms.py), so derivatives are taken of the
stable form: d/dx log(1 + exp(x)) at 1000 is 1, not inf/inf.
"""
from __future__ import annotations

from ..ir import Node, Op
from ..trace import stable
from ..trace.stable import graph_bind as bind
from .engine import Context
from .match import is_const

_SUM, _MAX = Op.REDUCE_SUM, Op.REDUCE_MAX


def _plus_zero(x: Node) -> Node:
    """x + 0.0: x itself except that -0.0 becomes +0.0 (as the naive formula gives)."""
    return bind(Op.ADD, [x, stable.full(bind, 0.0, x)])


def _one_plus(node: Node) -> Node | None:
    """x when node is 1 + x or x + 1, else None."""
    if node.op is Op.ADD:
        a, b = node.inputs
        if is_const(a, 1):
            return b
        if is_const(b, 1):
            return a
    return None


def _floats(node: Node) -> bool:
    """Real floats only: for complex values these identities do not hold (sqrt(z*z) is
    not |z|, log(exp(z)) wraps the phase) or numpy's bits differ (log1p)."""
    return node.dtype.kind == "f"


def softplus(node: Node, ctx: Context) -> Node | None:
    """log(1 + exp(x)), log(exp(x) + 1), log1p(exp(x)) -> logaddexp(0, x)."""
    if node.op is Op.LOG:
        inner = _one_plus(node.inputs[0])
    elif node.op is Op.LOG1P:
        inner = node.inputs[0]
    else:
        return None
    if inner is None or inner.op is not Op.EXP or not _floats(node):
        return None
    return stable.softplus(bind, inner.inputs[0])


def _one_minus(node: Node) -> Node | None:
    """x when node is 1 - x, else None."""
    if node.op is Op.SUB and is_const(node.inputs[0], 1):
        return node.inputs[1]
    return None


def log_sigmoid(node: Node, ctx: Context) -> Node | None:
    """log(sigmoid(x)) -> 0 - softplus(-x); log(1 - sigmoid(x)), log1p(-sigmoid(x))
    -> 0 - softplus(x)."""
    if node.op is Op.LOG:
        x = node.inputs[0]
        if x.op is Op.SIGMOID:
            return stable.log_sigmoid(bind, x.inputs[0])
        s = _one_minus(x)
    elif node.op is Op.LOG1P and node.inputs[0].op is Op.NEG:
        s = node.inputs[0].inputs[0]
    else:
        return None
    if s is None or s.op is not Op.SIGMOID:
        return None
    return stable.log_sigmoid(bind, bind(Op.NEG, [s.inputs[0]]))


def log1p(node: Node, ctx: Context) -> Node | None:
    """log(1 + x), log(x + 1) -> log1p(x) + 0.0."""
    if node.op is not Op.LOG or not _floats(node):
        return None
    x = _one_plus(node.inputs[0])
    return None if x is None else _plus_zero(bind(Op.LOG1P, [x]))


def expm1(node: Node, ctx: Context) -> Node | None:
    """exp(x) - 1, exp(x) + (-1), (-1) + exp(x) -> expm1(x) + 0.0."""
    if node.op is Op.SUB and node.inputs[0].op is Op.EXP and is_const(node.inputs[1], 1):
        e = node.inputs[0]
    elif node.op is Op.ADD:
        a, b = node.inputs
        e = a if a.op is Op.EXP and is_const(b, -1) else \
            b if b.op is Op.EXP and is_const(a, -1) else None
    else:
        return None
    if e is None or not _floats(node):
        return None
    return _plus_zero(bind(Op.EXPM1, [e.inputs[0]]))


def sigmoid(node: Node, ctx: Context) -> Node | None:
    """1 / (1 + exp(-x)) -> sigmoid(x); 1 / (1 + exp(x)) -> sigmoid(-x);
    exp(x) / (1 + exp(x)) -> sigmoid(x)."""
    if node.op is not Op.DIV or not _floats(node):
        return None
    top, bottom = node.inputs
    e = _one_plus(bottom)
    if e is None or e.op is not Op.EXP:
        return None
    x = e.inputs[0]
    if top is e:
        return bind(Op.SIGMOID, [x])
    if not is_const(top, 1):
        return None
    return bind(Op.SIGMOID, [x.inputs[0] if x.op is Op.NEG else bind(Op.NEG, [x])])


def log_exp(node: Node, ctx: Context) -> Node | None:
    """log(exp(x)) -> x + 0.0."""
    if node.op is Op.LOG and node.inputs[0].op is Op.EXP and _floats(node):
        return _plus_zero(node.inputs[0].inputs[0])
    return None


def sqrt_square(node: Node, ctx: Context) -> Node | None:
    """sqrt(x * x), sqrt(x ** 2) -> abs(x)."""
    if node.op is not Op.SQRT or not _floats(node):
        return None
    x = node.inputs[0]
    square = (x.op is Op.MUL and x.inputs[0] is x.inputs[1]) or \
        (x.op is Op.POW and is_const(x.inputs[1], 2))
    return bind(Op.ABS, [x.inputs[0]]) if square else None


# -- reductions -------------------------------------------------------------------
def _spreads(node: Node, value: Node, red: Node) -> bool:
    """node broadcasts `value` (of red's type) back over the axes red reduced: as
    keepdims and a broadcast trace it, or a plain broadcast when the axes lead."""
    x, axes = red.inputs[0], red.attrs["axes"]
    if node.op is not Op.BROADCAST_TO or node.shape != x.shape or value.type != red.type:
        return False
    src = node.inputs[0]
    if src is value:
        return axes == tuple(range(len(axes)))
    return src.op is Op.RESHAPE and src.inputs[0] is value and (
        src.shape == stable.kept_shape(x.shape, axes) or red.type.size == 1)


def _spread_value(node: Node) -> Node | None:
    """What the BROADCAST_TO node spreads (through one reshape), else None."""
    if node.op is not Op.BROADCAST_TO:
        return None
    src = node.inputs[0]
    return src.inputs[0] if src.op is Op.RESHAPE else src


def reduction_of(node: Node, op: Op) -> Node | None:
    """The reduction `op` that node is or broadcasts back over its reduced axes
    (x.sum(axis, keepdims=True) as an operand of x's shape); else None."""
    if node.op is op:
        return node
    red = _spread_value(node)
    return red if red is not None and red.op is op and _spreads(node, red, red) else None


def _max_shift_of(node: Node) -> Node | None:
    """The REDUCE_MAX that node broadcasts back, plainly or as stable.shift builds it."""
    found = reduction_of(node, _MAX)
    if found is not None:
        return found
    sel = _spread_value(node)
    if sel is None or sel.op is not Op.SELECT:
        return None
    test, red, _ = sel.inputs
    if red.op is _MAX and test.op is Op.ISFINITE and test.inputs[0] is red \
            and _spreads(node, sel, red):
        return red
    return None


def is_shifted(y: Node, axes: tuple[int, ...]) -> bool:
    """y is x - max(x, axes) broadcast back (as a user or stable.shifted writes it)."""
    if y.op is not Op.SUB:
        return False
    red = _max_shift_of(y.inputs[1])
    return red is not None and red.inputs[0] is y.inputs[0] and red.attrs["axes"] == axes


def _sum_of_exp(node: Node) -> tuple[Node, tuple[int, ...]] | None:
    """(x, axes) when node is sum(exp(x), axes) (or its reshape keeping dims)."""
    red = node.inputs[0] if node.op is Op.RESHAPE else node
    if red.op is not _SUM or red.inputs[0].op is not Op.EXP or not _floats(red):
        return None
    axes = red.attrs["axes"]
    x = red.inputs[0].inputs[0]
    if node is not red and node.shape != stable.kept_shape(x.shape, axes):
        return None
    return x, axes


def logsumexp(node: Node, ctx: Context) -> Node | None:
    """log(sum(exp(x), axes)) -> log(sum(exp(x - s), axes)) + s, s = max(x, axes) where
    finite (keepdims too; not when x is already shifted or an axis is empty)."""
    if node.op is not Op.LOG:
        return None
    found = _sum_of_exp(node.inputs[0])
    if found is None:
        return None
    x, axes = found
    if is_shifted(x, axes) or not stable.can_shift(x, axes):
        return None
    out = stable.logsumexp(bind, x, axes)
    return out if out.shape == node.shape else bind(Op.RESHAPE, [out], shape=node.shape)


def _softmax_parts(node: Node) -> tuple[Node, tuple[int, ...]] | None:
    """(y, axes) when node is exp(y) / sum(exp(y), axes) broadcast back."""
    if node.op is not Op.DIV:
        return None
    e, den = node.inputs
    red = reduction_of(den, _SUM)
    if e.op is not Op.EXP or red is None or red.inputs[0] is not e or not _floats(node):
        return None
    return e.inputs[0], red.attrs["axes"]


def softmax(node: Node, ctx: Context) -> Node | None:
    """exp(x) / sum(exp(x), axes) -> exp(x - s) / sum(exp(x - s), axes)."""
    found = _softmax_parts(node)
    if found is None:
        return None
    x, axes = found
    if is_shifted(x, axes) or not stable.can_shift(x, axes):
        return None
    return stable.softmax_of_shifted(bind, stable.shifted(bind, x, axes)[0], axes)


def log_softmax(node: Node, ctx: Context) -> Node | None:
    """log(exp(y) / sum(exp(y), axes)) -> y - log(sum(exp(y), axes)) for a shifted y
    (an unshifted one is shifted first)."""
    if node.op is not Op.LOG:
        return None
    found = _softmax_parts(node.inputs[0])
    if found is None:
        return None
    y, axes = found
    if not is_shifted(y, axes):
        if not stable.can_shift(y, axes):
            return None
        y = stable.shifted(bind, y, axes)[0]
    return stable.log_softmax_of_shifted(bind, y, axes)


RULES = [softplus, log_sigmoid, log_softmax, logsumexp, softmax, log1p, expm1, sigmoid,
         log_exp, sqrt_square]
