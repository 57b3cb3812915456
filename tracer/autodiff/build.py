"""Node arithmetic for derivative rules: symbolic zeros and no-op elision.

Rules are written with these instead of raw `prims.bind` so that they read
like math and so that the graphs they build stay lean without an optimizer:
`None` is a symbolic zero (adding it is free, multiplying by it gives
None), and multiplying by a constant one is skipped. Every helper keeps the
dtype and shape of its operands (the IR has no implicit broadcasting).
"""
from __future__ import annotations

from collections.abc import Sequence

from ..ir import Node, Op
from ..trace import prims

MaybeNode = Node | None


def full_like(x: Node, value: float) -> Node:
    return prims.full(x.shape, value, x.dtype)


def zeros_like(x: Node) -> Node:
    return full_like(x, 0)


def scalar_value(x: Node) -> float | complex | None:
    """The value of a one-element constant seen through reshapes and broadcasts; else None."""
    while x.op in (Op.BROADCAST_TO, Op.RESHAPE):
        x = x.inputs[0]
    if x.op is not Op.CONST or x.type.size != 1:
        return None
    value = x.attrs["value"].array.flat[0]
    return complex(value) if x.dtype.kind == "c" else float(value)


def materialize(t: MaybeNode, like: Node) -> Node:
    """A symbolic zero made concrete with `like`'s type."""
    return zeros_like(like) if t is None else t


def bind(op: Op, *inputs: Node, **attrs) -> Node:
    return prims.bind(op, list(inputs), **attrs)


def add(a: MaybeNode, b: MaybeNode) -> MaybeNode:
    if a is None:
        return b
    if b is None:
        return a
    if b.op is Op.NEG:  # a + -b -> a - b
        return bind(Op.SUB, a, b.inputs[0])
    if a.op is Op.NEG:  # -a + b -> b - a
        return bind(Op.SUB, b, a.inputs[0])
    return bind(Op.ADD, a, b)


def add_all(terms: Sequence[MaybeNode]) -> MaybeNode:
    total = None
    for t in terms:
        total = add(total, t)
    return total


def sub(a: MaybeNode, b: MaybeNode) -> MaybeNode:
    if b is None:
        return a
    if a is None:
        return neg(b)
    if b.op is Op.NEG:  # a - -b -> a + b
        return bind(Op.ADD, a, b.inputs[0])
    return bind(Op.SUB, a, b)


def neg(a: MaybeNode) -> MaybeNode:
    if a is None:
        return None
    if a.op is Op.NEG:
        return a.inputs[0]
    value = scalar_value(a)
    if value is not None:
        return full_like(a, -value)
    rest, factor = _const_factor(a)
    if rest is not None:  # -(x * c) -> x * -c
        return bind(Op.MUL, rest, full_like(rest, -factor))
    return bind(Op.NEG, a)


def _const_factor(x: Node) -> tuple[Node | None, float]:
    """(y, c) when x is y * c for a scalar constant c, else (None, 0)."""
    if x.op is Op.MUL:
        for mine, other in ((0, 1), (1, 0)):
            c = scalar_value(x.inputs[mine])
            if c is not None:
                return x.inputs[other], c
    return None, 0.0


def mul(a: MaybeNode, b: MaybeNode) -> MaybeNode:
    if a is None or b is None:
        return None
    va, vb = scalar_value(a), scalar_value(b)
    if va is not None and vb is not None:  # fold: derivative seeds are often constants
        return full_like(a, va * vb)
    if va == 1.0:
        return b
    if vb == 1.0:
        return a
    for c, other in ((va, b), (vb, a)):
        if c is not None and other.op is Op.NEG:  # (-y) * c -> y * -c
            return mul(other.inputs[0], full_like(other, -c))
        rest, factor = _const_factor(other) if c is not None else (None, 0.0)
        if rest is not None:  # (y * d) * c -> y * (c d): one pass over the data, not two
            return mul(rest, full_like(rest, c * factor))
    return bind(Op.MUL, a, b)


def div(a: MaybeNode, b: Node) -> MaybeNode:
    if a is None:
        return None
    return bind(Op.DIV, a, b)


def scale(a: MaybeNode, factor: float) -> MaybeNode:
    """a * factor with the factor as a constant of a's dtype."""
    if a is None or factor == 1.0:
        return a
    if factor == -1.0:
        return neg(a)
    return mul(a, full_like(a, factor))


def square(a: Node) -> Node:
    return bind(Op.MUL, a, a)


def select(cond: Node, a: MaybeNode, b: MaybeNode) -> MaybeNode:
    if a is None and b is None:
        return None
    like = a if a is not None else b
    return prims.select(cond, materialize(a, like), materialize(b, like))


def cmp(op: Op, a: Node, value: float | Node) -> Node:
    other = value if isinstance(value, Node) else full_like(a, value)
    return bind(op, a, other)


def sum_axes(x: Node, axes: Sequence[int]) -> Node:
    return prims.reduce(Op.REDUCE_SUM, x, axes)


def unreduce(ct: Node, axes: Sequence[int], shape: Sequence[int]) -> Node:
    """Broadcast a reduction's result (axes dropped) back to the input `shape`."""
    return prims.broadcast_to(prims.expand_dims(ct, axes), tuple(shape))


def unbroadcast(ct: Node, shape: Sequence[int]) -> Node:
    """Sum `ct` down to `shape`, the transpose of broadcasting `shape` to ct.shape."""
    shape = tuple(shape)
    lead = ct.ndim - len(shape)
    axes = list(range(lead)) + [lead + i for i, d in enumerate(shape)
                                if d == 1 and ct.shape[lead + i] != 1]
    return prims.reshape(sum_axes(ct, axes), shape)


def reverse(x: Node, axis: int) -> Node:
    """x[..., ::-1, ...] along `axis`."""
    n = x.shape[axis]
    if n <= 1:
        return x
    starts = [0] * x.ndim
    steps = [1] * x.ndim
    starts[axis], steps[axis] = n - 1, -1
    return prims.slice_axes(x, starts, steps, x.shape)


def slice_along(x: Node, axis: int, start: int, size: int, step: int = 1) -> Node:
    starts, steps, sizes = [0] * x.ndim, [1] * x.ndim, list(x.shape)
    starts[axis], steps[axis], sizes[axis] = start, step, size
    return prims.slice_axes(x, starts, steps, sizes)


def zeros_shape(shape: Sequence[int], dtype) -> Node:
    return prims.full(tuple(shape), 0, dtype)


def pad_axis(x: Node, axis: int, before: int, after: int) -> Node:
    """x with `before` and `after` zeros added along `axis`."""
    parts = []
    for count in (before, None, after):
        if count is None:
            parts.append(x)
        elif count > 0:
            shape = list(x.shape)
            shape[axis] = count
            parts.append(zeros_shape(shape, x.dtype))
    return prims.concatenate(parts, axis)


class TupleCotangent(dict):
    """Cotangents of some outputs of one SCAN (a tuple), by SCAN_OUT index; the reverse
    transform adds them up per scan (autodiff/scan.py)."""

    def plus(self, other: TupleCotangent) -> TupleCotangent:
        merged = TupleCotangent(self)
        for k, ct in other.items():
            merged[k] = add(merged.get(k), ct)
        return merged
