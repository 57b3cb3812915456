"""Each elementwise op's C expression: the C backend's table, keyed by Op.

`expression(op, dtype, out_dtype, args)` returns C text computing one element
with numpy's exact semantics for that dtype; helper functions an expression
calls are collected in `Helpers`. Integer arithmetic runs in unsigned types so
overflow wraps as in numpy without undefined behaviour.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...ir import Op
from ...ir.ops import ARITY
from . import complex_ops, helpers_c
from .cnames import ctype, tag

_FLOAT_CALLS = {
    Op.EXP: "exp", Op.EXP2: "exp2", Op.EXPM1: "expm1", Op.LOG: "log", Op.LOG2: "log2",
    Op.LOG10: "log10", Op.LOG1P: "log1p", Op.SQRT: "sqrt", Op.CBRT: "cbrt", Op.SIN: "sin",
    Op.COS: "cos", Op.TAN: "tan", Op.ARCSIN: "asin", Op.ARCCOS: "acos", Op.ARCTAN: "atan",
    Op.SINH: "sinh", Op.COSH: "cosh", Op.TANH: "tanh", Op.ARCSINH: "asinh",
    Op.ARCCOSH: "acosh", Op.ARCTANH: "atanh", Op.FLOOR: "floor", Op.CEIL: "ceil",
    Op.TRUNC: "trunc", Op.RINT: "rint", Op.ABS: "fabs", Op.ARCTAN2: "atan2",
    Op.HYPOT: "hypot", Op.COPYSIGN: "copysign", Op.POW: "pow", Op.FMOD: "fmod",
    Op.NEXTAFTER: "nextafter",
}
# Computed in double for float32 too, as scipy.special does.
_DOUBLE_CALLS = {Op.ERF: "erf", Op.ERFC: "erfc", Op.GAMMALN: "tr_lgamma"}
if hasattr(Op, "DIGAMMA"):     # added for gammaln's derivative
    _DOUBLE_CALLS[Op.DIGAMMA] = "tr_digamma"
_COMPARE = {Op.EQ: "==", Op.NE: "!=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
_BITS = {Op.BITWISE_AND: "&", Op.BITWISE_OR: "|", Op.BITWISE_XOR: "^",
         Op.LOGICAL_AND: "&", Op.LOGICAL_OR: "|", Op.LOGICAL_XOR: "^"}
_HELPER_CALLS = {Op.LOGADDEXP: "logaddexp", Op.LOGADDEXP2: "logaddexp2",
                 Op.FLOORDIV: "floordiv", Op.MOD: "mod"}
# Ops numpy itself refuses for bool operands (the numpy surface casts first).
_NOT_FOR_BOOL = frozenset({Op.NEG, Op.SUB, Op.SIGN, Op.FLOORDIV, Op.MOD, Op.FMOD, Op.POW,
                           Op.LEFT_SHIFT, Op.RIGHT_SHIFT})


class UnsupportedOp(TypeError):
    """The C backend has no code for this op on these dtypes."""


@dataclass
class Helpers:
    """Named C helper definitions an expression needs, in first-use order."""

    defs: dict[str, str] = field(default_factory=dict)

    def need(self, name: str, text: str) -> str:
        self.defs.setdefault(name, text)
        return name

    def text(self) -> str:
        return "\n".join(self.defs.values())


@dataclass(frozen=True)
class Expr:
    """C for one element; `check` (if any) is true where numpy would raise."""

    text: str
    check: str | None = None


def _wide_unsigned(dtype: np.dtype) -> str:
    return "uint64_t" if dtype.itemsize == 8 else "uint32_t"


def expression(op: Op, dtype: np.dtype, out: np.dtype, args: list[str],
               helpers: Helpers) -> Expr:
    """The C expression for `op(*args)` on operands of `dtype`, giving `out`."""
    kind = dtype.kind
    if kind == "c" or out.kind == "c":
        if not complex_ops.supported(op, dtype, out):
            raise UnsupportedOp(f"{op.value} on {dtype} runs as a numpy step")
        return Expr(complex_ops.expression(op, dtype, out, args, helpers))
    if op is Op.CAST:
        return Expr(helpers_c.cast(dtype, out, args[0], helpers))
    if op is Op.SELECT:
        return Expr(f"({args[0]} ? {args[1]} : {args[2]})")
    if op is Op.SIGMOID:
        return Expr(_sigmoid(dtype, args[0]))
    if dtype == np.float16 and op in (Op.SPACING, Op.NEXTAFTER):   # on the half's bits
        return Expr(_half_bits(op, args, helpers))
    if dtype == np.float16:
        dtype = np.dtype(np.float32)   # numpy's half loops compute in float, then round
    if kind == "b" and op in _NOT_FOR_BOOL:
        raise UnsupportedOp(f"{op.value} is not defined for bool operands")
    if kind == "f":
        return Expr(_float(op, dtype, args, helpers))
    return _integer(op, dtype, args, helpers)


def _half_bits(op: Op, a: list[str], helpers: Helpers) -> str:
    if op is Op.SPACING:
        return helpers.need("tr_spacing_f16", helpers_c.SPACING["float16"]) + f"({a[0]})"
    return helpers.need("tr_nextafter_f16", helpers_c.NEXTAFTER_F16) + f"({a[0]}, {a[1]})"


def _sigmoid(dtype: np.dtype, x: str) -> str:
    """numpy's 1 / (1 + exp(-x)), each operation rounded to dtype as numpy's loops round
    (exp(-x) may be inf: the result is then 0)."""
    if dtype == np.float16:
        return f"(_Float16)(1.0f / (float)(_Float16)(1.0f + (float)(_Float16)expf(-(float){x})))"
    f, t = ("f" if dtype == np.float32 else ""), ctype(dtype)
    return f"(({t})1 / (({t})1 + exp{f}(-{x})))"


def _float(op: Op, dtype: np.dtype, a: list[str], helpers: Helpers) -> str:
    f = "f" if dtype == np.float32 else ""
    t = ctype(dtype)
    if op in _FLOAT_CALLS:
        return f"{_FLOAT_CALLS[op]}{f}({', '.join(a)})"
    if op in _DOUBLE_CALLS:
        name = _DOUBLE_CALLS[op]
        if name.startswith("tr_"):
            helpers.need(name, helpers_c.DOUBLE_HELPERS[name])
        return f"({t}){name}((double){a[0]})" if f else f"{name}({a[0]})"
    if op in _COMPARE:
        return f"({a[0]} {_COMPARE[op]} {a[1]})"
    if op in _HELPER_CALLS:
        return helpers_c.float_helper(_HELPER_CALLS[op], dtype, helpers) + f"({a[0]}, {a[1]})"
    simple = {
        Op.NEG: f"(-{a[0]})",
        Op.SIGN: f"({a[0]} > 0 ? ({t})1 : ({a[0]} < 0 ? ({t})-1 : ({a[0]} == 0 ? ({t})0 : {a[0]})))",
        Op.ISNAN: f"(isnan({a[0]}) != 0)", Op.ISINF: f"(isinf({a[0]}) != 0)",
        Op.ISFINITE: f"(isfinite({a[0]}) != 0)",
        Op.SIGNBIT: f"(signbit({a[0]}) != 0)",
    }
    if op is Op.SPACING:
        name = f"tr_spacing_{tag(dtype)}"
        return helpers.need(name, helpers_c.SPACING[dtype.name]) + f"({a[0]})"
    if op in simple:
        return simple[op]
    if len(a) == 2:
        x, y = a
        binary = {
            Op.ADD: f"({x} + {y})", Op.SUB: f"({x} - {y})", Op.MUL: f"({x} * {y})",
            Op.DIV: f"({x} / {y})",
            Op.MAXIMUM: f"(({x} > {y} || isnan({x})) ? {x} : {y})",
            Op.MINIMUM: f"(({x} < {y} || isnan({x})) ? {x} : {y})",
            Op.FMAX: f"(({x} >= {y} || isnan({y})) ? {x} : {y})",
            Op.FMIN: f"(({x} <= {y} || isnan({y})) ? {x} : {y})",
        }
        if op in binary:
            return binary[op]
    raise UnsupportedOp(f"{op.value} is not defined for {dtype} operands")


def _integer(op: Op, dtype: np.dtype, a: list[str], helpers: Helpers) -> Expr:
    t, u = ctype(dtype), _wide_unsigned(dtype)
    signed = dtype.kind == "i"
    width = dtype.itemsize * 8
    x = a[0]
    unary = {
        Op.NEG: f"({t})(-({u}){x})",
        Op.ABS: f"({x} < 0 ? ({t})(-({u}){x}) : {x})" if signed else x,
        Op.SIGN: f"({t})(({x} > 0) - ({x} < 0))" if signed else f"({t})({x} > 0)",
        Op.FLOOR: x, Op.CEIL: x, Op.TRUNC: x, Op.RINT: x,
        Op.ISNAN: "0", Op.ISINF: "0", Op.ISFINITE: "1",
        Op.LOGICAL_NOT: f"(!{x})",
        Op.INVERT: f"(!{x})" if dtype.kind == "b" else f"({t})(~{x})",
    }
    if op in unary:
        return Expr(unary[op])
    y = a[1] if len(a) > 1 else ""
    if op in _COMPARE:
        return Expr(f"({x} {_COMPARE[op]} {y})")
    if op in _BITS:
        return Expr(f"({t})({x} {_BITS[op]} {y})")
    if dtype.kind == "b" and op in (Op.ADD, Op.MUL, Op.MAXIMUM, Op.MINIMUM):
        return Expr(f"({x} {'|' if op in (Op.ADD, Op.MAXIMUM) else '&'} {y})")
    binary = {
        Op.ADD: f"({t})(({u}){x} + ({u}){y})",
        Op.SUB: f"({t})(({u}){x} - ({u}){y})",
        Op.MUL: f"({t})(({u}){x} * ({u}){y})",
        Op.MAXIMUM: f"({x} >= {y} ? {x} : {y})",
        Op.MINIMUM: f"({x} <= {y} ? {x} : {y})",
        Op.LEFT_SHIFT: f"((({u}){y}) < {width} ? ({t})(({u}){x} << {y}) : ({t})0)",
        Op.RIGHT_SHIFT: (f"((({u}){y}) < {width} ? ({t})({x} >> {y}) : ({x} < 0 ? ({t})-1 : ({t})0))"
                         if signed else f"((({u}){y}) < {width} ? ({t})({x} >> {y}) : ({t})0)"),
    }
    if op in binary:
        return Expr(binary[op])
    if op in (Op.FLOORDIV, Op.MOD, Op.FMOD, Op.POW):
        name = helpers.need(*helpers_c.int_helper(op.value, dtype))
        check = f"({y} < 0)" if op is Op.POW and signed else None
        return Expr(f"{name}({x}, {y})", check)
    raise UnsupportedOp(f"{op.value} is not defined for {dtype} operands")


def supported(op: Op, dtype: np.dtype) -> bool:
    """Whether `expression` has code for op on `dtype` (for tests and tables)."""
    args = ["a", "b", "c"][:ARITY[op] or 1]
    try:
        expression(op, np.dtype(dtype), np.dtype(dtype), args, Helpers())
    except UnsupportedOp:
        return False
    return True


__all__ = ["Expr", "Helpers", "UnsupportedOp", "expression", "supported", "tag"]
