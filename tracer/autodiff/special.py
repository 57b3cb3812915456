"""Derivatives of scipy.special's functions (Op.SPECIAL nodes), keyed by function name.

PARTIALS[name](inputs, out, i) is d out / d inputs[i], built from other scipy.special
functions and primitives (psi' is polygamma(1, .), a Bessel function's derivative its
neighbours of order v - 1 and v + 1). Where scipy has no closed form (the order v of
iv, ive, kv, jv, yv; the first argument of gammainc and gammaincc) the partial is NaN:
a gradient that needs it is visibly NaN, while an order given as a constant costs
nothing (its cotangent is never used).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ..ir import Node, Op
from . import build as b
from .build import bind, full_like

Partial = Callable[[Sequence[Node], Node, int], Node]


def call(name: str, *xs: Node) -> Node:
    """scipy.special.<name>(*xs) (its dtype: ir.ops.special_dtype)."""
    return bind(Op.SPECIAL, *xs, name=name)


def _nan(x: Node) -> Node:
    return full_like(x, math.nan)


def _at_zero(x: Node, value: float, elsewhere: Node) -> Node:
    """elsewhere, but `value` where x == 0 (the removable singularity of I1(x)/x ...)."""
    return b.select(b.cmp(Op.EQ, x, 0), full_like(x, value), elsewhere)


def _unary(fn: Callable[[Node, Node], Node]) -> Partial:
    return lambda ins, out, i: fn(ins[0], out)


def _order_recurrence(name: str, sign: float, minus_self: bool = False) -> Partial:
    """d/dx f_v(x) = (f_{v-1}(x) + sign f_{v+1}(x)) / 2 (ive also minus sign(x) f)."""
    def partial(ins: Sequence[Node], out: Node, i: int) -> Node:
        v, x = ins
        if i == 0:
            return _nan(out)
        one = full_like(v, 1)
        lower = call(name, bind(Op.SUB, v, one), x)
        upper = call(name, bind(Op.ADD, v, one), x)
        d = b.scale(bind(Op.ADD if sign > 0 else Op.SUB, lower, upper), 0.5)
        return bind(Op.SUB, d, bind(Op.MUL, bind(Op.SIGN, x), out)) if minus_self else d
    return partial


def _psi(x: Node, out: Node) -> Node:
    return call("polygamma", full_like(x, 1), x)


def _polygamma(ins: Sequence[Node], out: Node, i: int) -> Node:
    n, x = ins
    return _nan(out) if i == 0 else call("polygamma", bind(Op.ADD, n, full_like(n, 1)), x)


def _beta(log: bool) -> Partial:
    def partial(ins: Sequence[Node], out: Node, i: int) -> Node:
        both = call("psi", bind(Op.ADD, *ins))
        d = bind(Op.SUB, call("psi", ins[i]), both)
        return d if log else bind(Op.MUL, out, d)
    return partial


def _gammainc(sign: float) -> Partial:
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a); Q = 1 - P."""
    def partial(ins: Sequence[Node], out: Node, i: int) -> Node:
        a, x = ins
        if i == 0:
            return _nan(out)
        log_density = bind(Op.SUB, bind(Op.SUB, bind(Op.MUL, bind(Op.SUB, a, full_like(a, 1)),
                                                     bind(Op.LOG, x)), x),
                           bind(Op.GAMMALN, a))
        return b.scale(bind(Op.EXP, log_density), sign)
    return partial


def _rel_entr(ins: Sequence[Node], out: Node, i: int) -> Node:
    x, y = ins
    if i == 0:
        return bind(Op.ADD, bind(Op.LOG, bind(Op.DIV, x, y)), full_like(x, 1))
    return b.neg(bind(Op.DIV, x, y))


def _yn(ins: Sequence[Node], out: Node, i: int) -> Node:
    n, x = ins
    if i == 0:
        return _nan(out)
    one = full_like(n, 1)
    return b.scale(bind(Op.SUB, call("yn", bind(Op.SUB, n, one), x),
                        call("yn", bind(Op.ADD, n, one), x)), 0.5)


_HALF_SQRT_PI = math.sqrt(math.pi) / 2
_SQRT_2PI = math.sqrt(2 * math.pi)


def _normal_density(x: Node) -> Node:
    return b.scale(bind(Op.EXP, b.scale(bind(Op.MUL, x, x), -0.5)), 1 / _SQRT_2PI)


def _log_t_density(df: Node, x: Node, out: Node) -> Node:
    """log of Student's t density (scipy's t._logpdf: poch for the gamma ratio)."""
    half = full_like(df, 0.5)
    head = bind(Op.LOG, call("poch", bind(Op.MUL, half, df), half))
    norm = b.scale(bind(Op.ADD, bind(Op.LOG, df), full_like(df, math.log(math.pi))), 0.5)
    tail = bind(Op.MUL, b.scale(bind(Op.ADD, df, full_like(df, 1)), 0.5),
                bind(Op.LOG1P, bind(Op.DIV, bind(Op.MUL, x, x), df)))
    return bind(Op.SUB, bind(Op.SUB, head, norm), tail)


def _stdtr(ins: Sequence[Node], out: Node, i: int) -> Node:
    df, x = ins
    return _nan(out) if i == 0 else bind(Op.EXP, _log_t_density(df, x, out))


def _betainc(ins: Sequence[Node], out: Node, i: int) -> Node:
    a, b_, x = ins
    if i < 2:
        return _nan(out)
    one = full_like(x, 1)
    log_density = bind(Op.SUB, bind(Op.ADD, bind(Op.MUL, bind(Op.SUB, b_, one),
                                                 bind(Op.LOG1P, b.neg(x))),
                                    bind(Op.MUL, bind(Op.SUB, a, one), bind(Op.LOG, x))),
                       call("betaln", a, b_))
    return bind(Op.EXP, log_density)


def _pdtr(ins: Sequence[Node], out: Node, i: int) -> Node:
    """d/dmu P(K <= k; mu) = -pmf(k; mu)."""
    k, mu = ins
    if i == 0:
        return _nan(out)
    log_pmf = bind(Op.SUB, bind(Op.SUB, bind(Op.MUL, k, bind(Op.LOG, mu)),
                                bind(Op.GAMMALN, bind(Op.ADD, k, full_like(k, 1)))), mu)
    return b.neg(bind(Op.EXP, log_pmf))


def _poch(ins: Sequence[Node], out: Node, i: int) -> Node:
    """poch(z, m) = Gamma(z + m) / Gamma(z)."""
    z, m = ins
    upper = call("psi", bind(Op.ADD, z, m))
    d = upper if i == 1 else bind(Op.SUB, upper, call("psi", z))
    return bind(Op.MUL, out, d)


PARTIALS: dict[str, Partial] = {
    "stdtr": _stdtr,
    "betainc": _betainc,
    "pdtr": _pdtr,
    "poch": _poch,
    "gamma": _unary(lambda x, out: bind(Op.MUL, out, call("psi", x))),
    "rgamma": _unary(lambda x, out: b.neg(bind(Op.MUL, out, call("psi", x)))),
    "psi": _unary(_psi),
    "polygamma": _polygamma,
    "erfinv": _unary(lambda x, out: b.scale(bind(Op.EXP, bind(Op.MUL, out, out)),
                                            _HALF_SQRT_PI)),
    "erfcinv": _unary(lambda x, out: b.scale(bind(Op.EXP, bind(Op.MUL, out, out)),
                                             -_HALF_SQRT_PI)),
    "ndtr": _unary(lambda x, out: _normal_density(x)),
    "ndtri": _unary(lambda x, out: b.scale(bind(Op.EXP, b.scale(bind(Op.MUL, out, out), 0.5)),
                                           _SQRT_2PI)),
    "log_ndtr": _unary(lambda x, out: bind(Op.EXP, bind(Op.SUB, b.scale(
        bind(Op.MUL, x, x), -0.5), bind(Op.ADD, out, full_like(x, math.log(_SQRT_2PI)))))),
    "i0": _unary(lambda x, out: call("i1", x)),
    "i1": _unary(lambda x, out: _at_zero(x, 0.5, bind(Op.SUB, call("i0", x),
                                                      bind(Op.DIV, out, x)))),
    "i0e": _unary(lambda x, out: bind(Op.SUB, call("i1e", x),
                                      bind(Op.MUL, bind(Op.SIGN, x), out))),
    "i1e": _unary(lambda x, out: _at_zero(x, 0.5, bind(Op.SUB, call("i0e", x), bind(
        Op.MUL, out, bind(Op.ADD, bind(Op.DIV, full_like(x, 1), x), bind(Op.SIGN, x)))))),
    "j0": _unary(lambda x, out: b.neg(call("j1", x))),
    "j1": _unary(lambda x, out: _at_zero(x, 0.5, bind(Op.SUB, call("j0", x),
                                                      bind(Op.DIV, out, x)))),
    "y0": _unary(lambda x, out: b.neg(call("y1", x))),
    "y1": _unary(lambda x, out: bind(Op.SUB, call("y0", x), bind(Op.DIV, out, x))),
    "iv": _order_recurrence("iv", +1),
    "ive": _order_recurrence("ive", +1, minus_self=True),
    "kv": lambda ins, out, i: b.neg(_order_recurrence("kv", +1)(ins, out, i)) if i else _nan(out),
    "jv": _order_recurrence("jv", -1),
    "yv": _order_recurrence("yv", -1),
    "yn": _yn,
    "entr": _unary(lambda x, out: b.neg(bind(Op.ADD, bind(Op.LOG, x), full_like(x, 1)))),
    "rel_entr": _rel_entr,
    "beta": _beta(log=False),
    "betaln": _beta(log=True),
    "gammainc": _gammainc(+1.0),
    "gammaincc": _gammainc(-1.0),
}


def jvp(node: Node, tangents: Sequence[b.MaybeNode]) -> b.MaybeNode:
    partial = PARTIALS[node.attrs["name"]]
    return b.add_all([b.mul(t, partial(node.inputs, node, i))
                      for i, t in enumerate(tangents) if t is not None])


def vjp(node: Node, ct: Node) -> list[b.MaybeNode]:
    partial = PARTIALS[node.attrs["name"]]
    return [b.mul(ct, partial(node.inputs, node, i)) if x.dtype.kind == "f" else None
            for i, x in enumerate(node.inputs)]
