"""numpy ufuncs (and scipy.special's) on traced values.

numpy picks the loop: `ufunc.resolve_dtypes` gives the exact NEP 50 input and
output dtypes, Python scalars and weak proxies included. Operands are cast to
the loop dtypes, broadcast, and handed to a primitive or a small composition.
"""
from __future__ import annotations

import math
import sys
from typing import Any, Callable

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..context import current_trace, user_loc
from ..errors import at_line
from ..proxy import operand, wrap
from .common import broadcast_all

U = Op


def _b(op: Op) -> Callable[..., Node]:
    return lambda *xs: prims.bind(op, list(xs))


def _k(x: Node, value: float) -> Node:
    return prims.full(x.shape, value, x.dtype)


def _as_bool(*xs: Node) -> list[Node]:
    return [prims.cast(x, bool) for x in xs]


def _logical(op: Op) -> Callable[..., Node]:
    return lambda *xs: prims.bind(op, _as_bool(*xs))


def _reciprocal(x: Node) -> Node:
    if x.dtype.kind == "f":
        return prims.bind(U.DIV, [_k(x, 1), x])
    # integer reciprocal: C's 1 / x, which is x for |x| == 1 and 0 otherwise
    one = prims.bind(U.EQ, [prims.bind(U.ABS, [x]), _k(x, 1)])
    return prims.select(one, x, _k(x, 0))


def _heaviside(x: Node, h: Node) -> Node:
    zero = _k(x, 0)
    pos = prims.select(prims.bind(U.GT, [x, zero]), _k(x, 1), x)
    mid = prims.select(prims.bind(U.EQ, [x, zero]), h, pos)
    return prims.select(prims.bind(U.LT, [x, zero]), zero, mid)


def _xlogy(log_op: Op) -> Callable[[Node, Node], Node]:
    def build(x: Node, y: Node) -> Node:
        zero = _k(x, 0)
        x_is_zero = prims.bind(U.EQ, [x, zero])
        y_ok = prims.bind(U.LOGICAL_NOT, [prims.bind(U.ISNAN, [y])])
        prod = prims.bind(U.MUL, [x, prims.bind(log_op, [y])])
        return prims.select(prims.bind(U.LOGICAL_AND, [x_is_zero, y_ok]), zero, prod)
    return build


def _expit(x: Node) -> Node:
    denom = prims.bind(U.ADD, [_k(x, 1), prims.bind(U.EXP, [prims.bind(U.NEG, [x])])])
    return prims.bind(U.DIV, [_k(x, 1), denom])


def _logit(x: Node) -> Node:
    return prims.bind(U.LOG, [prims.bind(U.DIV, [x, prims.bind(U.SUB, [_k(x, 1), x])])])


def _nan_ignoring(op: Op, plain: Op) -> Callable[[Node, Node], Node]:
    """fmax/fmin: without NaN (ints, bools) they are maximum/minimum."""
    return lambda x, y: prims.bind(op if x.dtype.kind == "f" else plain, [x, y])


def _modf(x: Node) -> tuple[Node, Node]:
    whole = prims.bind(U.TRUNC, [x])
    return prims.bind(U.SUB, [x, whole]), whole


def _divmod(x: Node, y: Node) -> tuple[Node, Node]:
    return prims.bind(U.FLOORDIV, [x, y]), prims.bind(U.MOD, [x, y])


def _scale(factor: float) -> Callable[[Node], Node]:
    return lambda x: prims.bind(U.MUL, [x, _k(x, factor)])


_DIRECT = {
    np.negative: U.NEG, np.absolute: U.ABS, np.fabs: U.ABS, np.sign: U.SIGN,
    np.exp: U.EXP, np.exp2: U.EXP2, np.expm1: U.EXPM1, np.log: U.LOG, np.log2: U.LOG2,
    np.log10: U.LOG10, np.log1p: U.LOG1P, np.sqrt: U.SQRT, np.cbrt: U.CBRT,
    np.sin: U.SIN, np.cos: U.COS, np.tan: U.TAN, np.arcsin: U.ARCSIN,
    np.arccos: U.ARCCOS, np.arctan: U.ARCTAN, np.sinh: U.SINH, np.cosh: U.COSH,
    np.tanh: U.TANH, np.arcsinh: U.ARCSINH, np.arccosh: U.ARCCOSH,
    np.arctanh: U.ARCTANH, np.floor: U.FLOOR, np.ceil: U.CEIL, np.trunc: U.TRUNC,
    np.rint: U.RINT, np.invert: U.INVERT, np.isnan: U.ISNAN, np.isinf: U.ISINF,
    np.isfinite: U.ISFINITE,
    np.add: U.ADD, np.subtract: U.SUB, np.multiply: U.MUL, np.true_divide: U.DIV,
    np.floor_divide: U.FLOORDIV, np.remainder: U.MOD, np.power: U.POW,
    np.float_power: U.POW, np.maximum: U.MAXIMUM, np.minimum: U.MINIMUM,
    np.fmax: U.FMAX, np.fmin: U.FMIN, np.arctan2: U.ARCTAN2, np.hypot: U.HYPOT,
    np.logaddexp: U.LOGADDEXP, np.logaddexp2: U.LOGADDEXP2, np.copysign: U.COPYSIGN,
    np.equal: U.EQ, np.not_equal: U.NE, np.less: U.LT, np.less_equal: U.LE,
    np.greater: U.GT, np.greater_equal: U.GE, np.bitwise_and: U.BITWISE_AND,
    np.bitwise_or: U.BITWISE_OR, np.bitwise_xor: U.BITWISE_XOR,
    np.left_shift: U.LEFT_SHIFT, np.right_shift: U.RIGHT_SHIFT,
}

UFUNC_BUILDERS: dict[Any, Callable[..., Any]] = {uf: _b(op) for uf, op in _DIRECT.items()}
UFUNC_BUILDERS.update({
    np.positive: lambda x: x,
    np.conjugate: lambda x: x,
    np.square: lambda x: prims.bind(U.MUL, [x, x]),
    np.reciprocal: _reciprocal,
    np.deg2rad: _scale(math.pi / 180),
    np.radians: _scale(math.pi / 180),
    np.rad2deg: _scale(180 / math.pi),
    np.degrees: _scale(180 / math.pi),
    np.logical_not: _logical(U.LOGICAL_NOT),
    np.logical_and: _logical(U.LOGICAL_AND),
    np.logical_or: _logical(U.LOGICAL_OR),
    np.logical_xor: _logical(U.LOGICAL_XOR),
    np.heaviside: _heaviside,
    np.fmax: _nan_ignoring(U.FMAX, U.MAXIMUM),
    np.fmin: _nan_ignoring(U.FMIN, U.MINIMUM),
    np.modf: _modf,
    np.divmod: _divmod,
})

# scipy.special ufuncs, matched by name once scipy.special is imported
SCIPY_BUILDERS: dict[str, Callable[..., Any]] = {
    "erf": _b(U.ERF), "erfc": _b(U.ERFC), "gammaln": _b(U.GAMMALN),
    "expit": _expit, "logit": _logit,
    "xlogy": _xlogy(U.LOG), "xlog1py": _xlogy(U.LOG1P),
}


def builder_for(ufunc: np.ufunc) -> Callable[..., Any] | None:
    found = UFUNC_BUILDERS.get(ufunc)
    if found is not None:
        return found
    special = sys.modules.get("scipy.special")
    name = getattr(ufunc, "__name__", "")
    if special is not None and getattr(special, name, None) is ufunc:
        return SCIPY_BUILDERS.get(name)
    return None


_loops: dict[tuple, tuple[np.dtype, ...]] = {}


def _weak_key(node: Node, weak: bool) -> Any:
    if not weak or node.dtype.kind == "b":
        return node.dtype
    return float if node.dtype.kind == "f" else int


def resolve_loop(ufunc: np.ufunc, keys: tuple, dtype: Any = None) -> tuple[np.dtype, ...]:
    """numpy's loop dtypes (inputs then outputs) for these operand dtypes."""
    cache_key = (ufunc, keys, dtype)
    loop = _loops.get(cache_key)
    if loop is None:
        # numpy's `dtype=` fixes the loop's outputs (signature), not an out array's dtype
        operands = keys + (None,) * ufunc.nout
        if dtype is None:
            loop = ufunc.resolve_dtypes(operands)
        else:
            outs = (np.dtype(dtype),) * ufunc.nout
            loop = ufunc.resolve_dtypes(operands, signature=(None,) * ufunc.nin + outs)
        _loops[cache_key] = loop
    return loop


def _cast_operand(node: Node, weak: bool, dtype: np.dtype) -> Node:
    """A Python int that does not fit the loop's integer dtype is numpy's OverflowError:
    now for a constant, at call time for a traced argument."""
    if weak and node.dtype.kind in "iu" and dtype.kind in "iu" and node.dtype != dtype:
        if node.op is Op.CONST:
            value = node.attrs["value"].array
            if value.astype(dtype) != value:
                raise OverflowError(f"Python integer {value} out of bounds for {dtype}")
        elif node.op is Op.PARAM and current_trace() is not None:
            current_trace().require_fits(node, dtype)
    return prims.cast(node, dtype)


def call_ufunc(ufunc: np.ufunc, args: tuple, dtype: Any = None,
               python_operator: bool = False) -> Any:
    """ufunc(*args) on traced values; a tuple for ufuncs with two outputs.

    The result is weak (promotes like a Python scalar, NEP 50) only for a Python
    operator whose operands are all weak: `s * 2` on Python floats is a Python
    float, but `np.exp(s)` is a numpy scalar, which is strong.
    """
    build = builder_for(ufunc)
    if build is None:
        raise TypeError(at_line(f"tracer does not support the ufunc np.{ufunc.__name__} yet",
                                user_loc()))
    if len(args) != ufunc.nin:
        raise TypeError(f"{ufunc.__name__}() takes {ufunc.nin} positional arguments "
                        f"but {len(args)} were given")
    ops = [operand(a) for a in args]
    keys = tuple(_weak_key(n, w) for n, w in ops)
    loop = resolve_loop(ufunc, keys, dtype)
    nodes = [_cast_operand(n, w, dt) for (n, w), dt in zip(ops, loop)]
    result = build(*broadcast_all(nodes))
    weak = python_operator and all(w for _, w in ops)
    if isinstance(result, tuple):
        return tuple(wrap(prims.cast(r, dt), weak) for r, dt in zip(result, loop[ufunc.nin:]))
    return wrap(prims.cast(result, loop[ufunc.nin]), weak)
