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
from .comparisons import COMPARISONS, BigInt, compare

U = Op


def _b(op: Op) -> Callable[..., Node]:
    return lambda *xs: prims.bind(op, list(xs))


def _k(x: Node, value: float) -> Node:
    return prims.full(x.shape, value, x.dtype)


def _as_bool(*xs: Node) -> list[Node]:
    return [prims.cast(x, bool) for x in xs]


def _logical(op: Op) -> Callable[..., Node]:
    return lambda *xs: prims.bind(op, _as_bool(*xs))


def _conjugate(x: Node) -> Node:
    return prims.bind(U.CONJ, [x]) if x.dtype.kind == "c" else x


def _reciprocal(x: Node) -> Node:
    if x.dtype.kind in "fc":
        return prims.bind(U.DIV, [_k(x, 1), x])
    # numpy's integer loop is `out = 1.0 / x` converted back: x for |x| == 1, 0 for
    # other x, and for x == 0 the conversion of inf (INT_MIN for int32 and int64 on x86)
    wide = prims.cast(x, np.float64)
    return prims.cast(prims.bind(U.DIV, [_k(wide, 1), wide]), x.dtype)


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
    """scipy's expit, 1 / (1 + exp(-x)): the node the optimizer makes of that formula."""
    return prims.bind(U.SIGMOID, [x])


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


def _angle(numerator: float, denominator: float) -> Callable[[Node], Node]:
    """rad2deg/deg2rad: x * (180 / pi) with numpy's constant for the dtype, a float
    quotient for float32 and float16 (whose loop computes in float32, then rounds)."""
    def build(x: Node) -> Node:
        if x.dtype == np.float64:
            return prims.bind(U.MUL, [x, _k(x, numerator / denominator)])
        factor = np.float32(numerator) / np.float32(denominator)
        wide = prims.cast(x, np.float32)
        return prims.cast(prims.bind(U.MUL, [wide, _k(wide, factor)]), x.dtype)
    return build


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
    np.left_shift: U.LEFT_SHIFT, np.right_shift: U.RIGHT_SHIFT, np.fmod: U.FMOD,
    np.nextafter: U.NEXTAFTER, np.spacing: U.SPACING, np.signbit: U.SIGNBIT,
}

UFUNC_BUILDERS: dict[Any, Callable[..., Any]] = {uf: _b(op) for uf, op in _DIRECT.items()}
UFUNC_BUILDERS.update({
    np.positive: lambda x: x,
    np.conjugate: _conjugate,
    np.square: lambda x: prims.bind(U.MUL, [x, x]),
    np.reciprocal: _reciprocal,
    np.deg2rad: _angle(math.pi, 180),
    np.radians: _angle(math.pi, 180),
    np.rad2deg: _angle(180, math.pi),
    np.degrees: _angle(180, math.pi),
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

def _special(name: str) -> Callable[..., Node]:
    """A scipy.special function as an Op.SPECIAL node: scipy's own values (a numpy step on
    the C backend), derivatives from autodiff/special.py."""
    def build(*xs: Node) -> Node:
        if any(x.dtype.kind == "c" for x in xs):
            raise TypeError(at_line(f"scipy.special.{name} of complex values is not traced "
                                    "yet", user_loc()))
        return prims.bind(U.SPECIAL, list(xs), name=name)
    return build


# scipy.special ufuncs, matched by name once scipy.special is imported
SCIPY_BUILDERS: dict[str, Callable[..., Any]] = {
    "erf": _b(U.ERF), "erfc": _b(U.ERFC), "gammaln": _b(U.GAMMALN),
    "expit": _expit, "logit": _logit,
    "xlogy": _xlogy(U.LOG), "xlog1py": _xlogy(U.LOG1P),
    **{name: _special(name) for name in (
        "gamma", "rgamma", "psi", "erfinv", "erfcinv", "ndtr", "ndtri", "log_ndtr", "i0",
        "i1", "i0e", "i1e", "iv", "ive", "kv", "jv", "yv", "yn", "j0", "j1", "y0", "y1",
        "entr", "rel_entr", "beta", "betaln", "gammainc", "gammaincc", "stdtr", "betainc",
        "pdtr", "poch")},
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


def _qualified(ufunc: np.ufunc) -> str:
    """The name a user calls it by: scipy.special.beta, not np.beta."""
    name = getattr(ufunc, "__name__", repr(ufunc))
    special = sys.modules.get("scipy.special")
    if getattr(np, name, None) is not ufunc and getattr(special, name, None) is ufunc:
        return f"scipy.special.{name}"
    return f"np.{name}"


_loops: dict[tuple, tuple[np.dtype, ...]] = {}


def _weak_key(node: Node, weak: bool) -> Any:
    if not weak or node.dtype.kind == "b":
        return node.dtype
    return {"f": float, "c": complex}.get(node.dtype.kind, int)


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


def _operand(x: Any) -> tuple[Any, bool]:
    """(node, weak) of an argument; a Python int beyond int64/uint64 waits for the loop."""
    if isinstance(x, int) and not isinstance(x, (bool, np.generic)) \
            and not -(2**63) <= x < 2**64:
        return BigInt(x), True
    return operand(x)


def _big_int(value: int, dtype: np.dtype) -> Node:
    """numpy's conversion of a huge Python int to a loop dtype: only a float loop takes it."""
    if dtype.kind != "f":
        raise OverflowError("Python int too large to convert to C long")
    with np.errstate(over="ignore"):       # float(value) raises past the largest double
        return prims.const(np.asarray(float(value)).astype(dtype))


def _cast_operand(node: Any, weak: bool, dtype: np.dtype) -> Node:
    """A Python int that does not fit the loop's integer dtype is numpy's OverflowError:
    now for a constant, at call time for a traced argument."""
    if isinstance(node, BigInt):
        return _big_int(node.value, dtype)
    if weak and node.dtype == np.uint64 and dtype.kind == "b":   # numpy goes through int64
        raise OverflowError("Python int too large to convert to C long")
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
        raise TypeError(at_line(f"tracer does not support the ufunc {_qualified(ufunc)} yet",
                                user_loc()))
    if len(args) != ufunc.nin:
        raise TypeError(f"{ufunc.__name__}() takes {ufunc.nin} positional arguments "
                        f"but {len(args)} were given")
    ops = [_operand(a) for a in args]
    keys = tuple(int if isinstance(n, BigInt) else _weak_key(n, w) for n, w in ops)
    loop = resolve_loop(ufunc, keys, dtype)
    if ufunc in COMPARISONS:
        result = compare(ufunc, ops, loop, _cast_operand)
    else:
        nodes = [_cast_operand(n, w, dt) for (n, w), dt in zip(ops, loop)]
        result = build(*broadcast_all(nodes))
    weak = python_operator and all(w for _, w in ops)
    if isinstance(result, tuple):
        return tuple(wrap(prims.cast(r, dt), weak) for r, dt in zip(result, loop[ufunc.nin:]))
    return wrap(prims.cast(result, loop[ufunc.nin]), weak)
