"""Partial derivatives of the smooth elementwise primitives.

An elementwise op's derivative is one partial per input, a node of the
output's type; the R-operator multiplies each by the input's tangent and
sums, the L-operator multiplies the cotangent by each. So both tables are
generated from this one (rules.py), and each partial is built only when the
input it belongs to carries a tangent or a cotangent.

PARTIALS[op](inputs, out, i) is d out / d inputs[i], or None for zero.
Conventions at the kinks follow JAX: d|x|/dx at 0 is 1; maximum/minimum
split the derivative 0.5/0.5 on ties; d(x**y)/dx is 0 where y == 0 and
d(x**y)/dy is 0 where x == 0.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ..ir import Node, Op
from . import build as b
from .build import bind, full_like

Partial = Callable[[Sequence[Node], Node, int], Node | None]


def _unary(fn: Callable[[Node, Node], Node | None]) -> Partial:
    return lambda ins, out, i: fn(ins[0], out)


def _recip(x: Node) -> Node:
    return bind(Op.DIV, full_like(x, 1), x)


def _inv_sqrt(x: Node) -> Node:
    return _recip(bind(Op.SQRT, x))


def _abs(x: Node, out: Node) -> Node:
    return b.select(b.cmp(Op.GE, x, 0), full_like(x, 1), full_like(x, -1))


def _erf(x: Node, out: Node) -> Node:
    gauss = bind(Op.EXP, b.neg(b.square(x)))
    return b.scale(gauss, 2 / math.sqrt(math.pi))


def _erfc(x: Node, out: Node) -> Node:
    return b.neg(_erf(x, out))


_UNARY = {
    Op.ABS: _abs,
    Op.EXP: lambda x, y: y,
    Op.EXP2: lambda x, y: b.scale(y, math.log(2)),
    Op.EXPM1: lambda x, y: b.add(y, full_like(y, 1)),
    Op.LOG: lambda x, y: _recip(x),
    Op.LOG2: lambda x, y: _recip(b.scale(x, math.log(2))),
    Op.LOG10: lambda x, y: _recip(b.scale(x, math.log(10))),
    Op.LOG1P: lambda x, y: _recip(b.add(x, full_like(x, 1))),
    Op.SQRT: lambda x, y: bind(Op.DIV, full_like(y, 0.5), y),
    Op.CBRT: lambda x, y: _recip(b.scale(b.square(y), 3)),
    Op.SIN: lambda x, y: bind(Op.COS, x),
    Op.COS: lambda x, y: b.neg(bind(Op.SIN, x)),
    Op.TAN: lambda x, y: b.add(full_like(y, 1), b.square(y)),
    Op.ARCSIN: lambda x, y: _inv_sqrt(b.sub(full_like(x, 1), b.square(x))),
    Op.ARCCOS: lambda x, y: b.neg(_inv_sqrt(b.sub(full_like(x, 1), b.square(x)))),
    Op.ARCTAN: lambda x, y: _recip(b.add(full_like(x, 1), b.square(x))),
    Op.SINH: lambda x, y: bind(Op.COSH, x),
    Op.COSH: lambda x, y: bind(Op.SINH, x),
    Op.TANH: lambda x, y: b.sub(full_like(y, 1), b.square(y)),
    Op.ARCSINH: lambda x, y: _inv_sqrt(b.add(b.square(x), full_like(x, 1))),
    Op.ARCCOSH: lambda x, y: _inv_sqrt(b.sub(b.square(x), full_like(x, 1))),
    Op.ARCTANH: lambda x, y: _recip(b.sub(full_like(x, 1), b.square(x))),
    Op.ERF: _erf,
    Op.ERFC: _erfc,
    Op.GAMMALN: lambda x, y: digamma(x),
    Op.SIGMOID: lambda x, y: b.mul(y, b.sub(full_like(y, 1), y)),
}


def digamma(x: Node) -> Node:
    """psi(x), the derivative of gammaln, composed from primitives.

    The IR has no digamma primitive; composing it keeps every backend free of
    a special function and makes it differentiable in turn (trigamma for the
    second derivative of gammaln). psi(x) = psi(x + 10) - sum 1/(x + k),
    then the asymptotic series, whose error at z >= 10 is below 1e-13; for
    x < 0.5 the reflection psi(x) = psi(1 - x) - pi / tan(pi x).
    """
    reflect = b.cmp(Op.LT, x, 0.5)
    z = b.select(reflect, b.sub(full_like(x, 1), x), x)
    shift = None
    for k in range(10):
        shift = b.add(shift, _recip(b.add(z, full_like(z, k))))
    w = b.add(z, full_like(z, 10))
    inv2 = _recip(b.square(w))
    series = None
    for coef in (-691 / 32760, 1 / 132, -1 / 240, 1 / 252, -1 / 120, 1 / 12):  # Horner
        series = b.add(full_like(w, coef), b.mul(inv2, series)) if series is not None \
            else full_like(w, coef)
    asym = b.sub(b.sub(bind(Op.LOG, w), bind(Op.DIV, full_like(w, 0.5), w)),
                 b.mul(inv2, series))
    psi = b.sub(asym, shift)
    cot = bind(Op.DIV, full_like(x, math.pi), bind(Op.TAN, b.scale(x, math.pi)))
    return b.select(reflect, b.sub(psi, cot), psi)


def _pow(ins: Sequence[Node], out: Node, i: int) -> Node | None:
    x, y = ins
    if i == 1:
        safe_x = b.select(b.cmp(Op.EQ, x, 0), full_like(x, 1), x)
        return b.mul(out, bind(Op.LOG, safe_x))
    c = b.scalar_value(y)
    if c is not None:  # constant exponent: keep the graph lean (x**2 -> 2x)
        if c == 0:
            return None
        if c == 1:
            return full_like(x, 1)
        if c == 2:
            return b.scale(x, 2)
        if c == 3:
            return b.scale(b.square(x), 3)
        return b.scale(bind(Op.POW, x, full_like(x, c - 1)), c)
    general = b.mul(y, bind(Op.POW, x, b.sub(y, full_like(y, 1))))
    return b.select(b.cmp(Op.EQ, y, 0), full_like(x, 0), general)


def _balanced(ins: Sequence[Node], out: Node, i: int) -> Node:
    """1 where inputs[i] is the result, 0.5 where both are (JAX's tie split)."""
    mine, other = ins[i], ins[1 - i]
    here = b.cmp(Op.EQ, mine, out)
    tie = b.cmp(Op.EQ, other, out)
    one = b.select(tie, full_like(out, 0.5), full_like(out, 1))
    return b.select(here, one, full_like(out, 0))


def _arctan2(ins: Sequence[Node], out: Node, i: int) -> Node:
    y, x = ins
    denom = b.add(b.square(y), b.square(x))
    return bind(Op.DIV, x, denom) if i == 0 else b.neg(bind(Op.DIV, y, denom))


def _hypot(ins: Sequence[Node], out: Node, i: int) -> Node:
    safe = b.select(b.cmp(Op.EQ, out, 0), full_like(out, 1), out)
    return bind(Op.DIV, ins[i], safe)


def _logaddexp(ins: Sequence[Node], out: Node, i: int) -> Node:
    return bind(Op.EXP, b.sub(ins[i], out))


def _logaddexp2(ins: Sequence[Node], out: Node, i: int) -> Node:
    return bind(Op.EXP2, b.sub(ins[i], out))


def _copysign(ins: Sequence[Node], out: Node, i: int) -> Node | None:
    if i == 1:
        return None
    x, y = ins
    one = full_like(x, 1)
    return b.mul(bind(Op.COPYSIGN, one, x), bind(Op.COPYSIGN, one, y))


def _mod(ins: Sequence[Node], out: Node, i: int) -> Node:
    x, y = ins
    if i == 0:
        return full_like(x, 1)
    return b.neg(bind(Op.FLOOR, bind(Op.DIV, x, y)))


def _fmod(ins: Sequence[Node], out: Node, i: int) -> Node:
    """fmod(x, y) = x - trunc(x / y) * y."""
    x, y = ins
    if i == 0:
        return full_like(x, 1)
    return b.neg(bind(Op.TRUNC, bind(Op.DIV, x, y)))


def _nextafter(ins: Sequence[Node], out: Node, i: int) -> Node | None:
    """nextafter(x, y) is x moved by one ulp: as x, and flat in y."""
    return full_like(ins[0], 1) if i == 0 else None


PARTIALS: dict[Op, Partial] = {op: _unary(fn) for op, fn in _UNARY.items()}
PARTIALS.update({
    Op.POW: _pow,
    Op.MAXIMUM: _balanced, Op.MINIMUM: _balanced, Op.FMAX: _balanced, Op.FMIN: _balanced,
    Op.ARCTAN2: _arctan2,
    Op.HYPOT: _hypot,
    Op.LOGADDEXP: _logaddexp,
    Op.LOGADDEXP2: _logaddexp2,
    Op.COPYSIGN: _copysign,
    Op.MOD: _mod,
    Op.FMOD: _fmod,
    Op.NEXTAFTER: _nextafter,
})
