"""The op catalog: every primitive, its category, and its type rule.

Ops are data. This file says what an op *is* (arity, dtype and shape rules);
what an op *means* lives in the backends' tables, its derivative in autodiff/.
The numpy surface (trace/numpy/) composes everything else from these.
"""
from __future__ import annotations

import enum
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .dtypes import BOOL, INT64
from .types import TensorType


class Op(enum.Enum):
    # leaves
    PARAM = "param"
    CONST = "const"
    # unary elementwise
    NEG = "neg"
    ABS = "abs"
    SIGN = "sign"
    EXP = "exp"
    EXP2 = "exp2"
    EXPM1 = "expm1"
    LOG = "log"
    LOG2 = "log2"
    LOG10 = "log10"
    LOG1P = "log1p"
    SQRT = "sqrt"
    CBRT = "cbrt"
    SIN = "sin"
    COS = "cos"
    TAN = "tan"
    ARCSIN = "arcsin"
    ARCCOS = "arccos"
    ARCTAN = "arctan"
    SINH = "sinh"
    COSH = "cosh"
    TANH = "tanh"
    ARCSINH = "arcsinh"
    ARCCOSH = "arccosh"
    ARCTANH = "arctanh"
    FLOOR = "floor"
    CEIL = "ceil"
    TRUNC = "trunc"
    RINT = "rint"
    ERF = "erf"
    ERFC = "erfc"
    GAMMALN = "gammaln"
    LOGICAL_NOT = "logical_not"
    INVERT = "invert"
    ISNAN = "isnan"
    ISINF = "isinf"
    ISFINITE = "isfinite"
    # binary elementwise
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"
    FLOORDIV = "floordiv"
    MOD = "mod"
    POW = "pow"
    MAXIMUM = "maximum"
    MINIMUM = "minimum"
    FMAX = "fmax"
    FMIN = "fmin"
    ARCTAN2 = "arctan2"
    HYPOT = "hypot"
    LOGADDEXP = "logaddexp"
    LOGADDEXP2 = "logaddexp2"
    COPYSIGN = "copysign"
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    LOGICAL_AND = "logical_and"
    LOGICAL_OR = "logical_or"
    LOGICAL_XOR = "logical_xor"
    BITWISE_AND = "bitwise_and"
    BITWISE_OR = "bitwise_or"
    BITWISE_XOR = "bitwise_xor"
    LEFT_SHIFT = "left_shift"
    RIGHT_SHIFT = "right_shift"
    # ternary elementwise
    SELECT = "select"
    # dtype
    CAST = "cast"
    # reductions and scans along axes
    REDUCE_SUM = "reduce_sum"
    REDUCE_PROD = "reduce_prod"
    REDUCE_MAX = "reduce_max"
    REDUCE_MIN = "reduce_min"
    ARGMAX = "argmax"
    ARGMIN = "argmin"
    CUMSUM = "cumsum"
    CUMPROD = "cumprod"
    # layout
    RESHAPE = "reshape"
    TRANSPOSE = "transpose"
    BROADCAST_TO = "broadcast_to"
    SLICE = "slice"
    CONCATENATE = "concatenate"
    # data-dependent indexing
    GATHER = "gather"
    SCATTER_ADD = "scatter_add"
    # contraction
    DOT_GENERAL = "dot_general"
    # built only by the optimizer (graph_opt/), after differentiation
    GEMM_ACC = "gemm_acc"
    # control: lazy choice between two whole values on a scalar bool
    IFELSE = "ifelse"

    def __repr__(self) -> str:
        return f"Op.{self.name}"


U = Op
UNARY = frozenset({
    U.NEG, U.ABS, U.SIGN, U.EXP, U.EXP2, U.EXPM1, U.LOG, U.LOG2, U.LOG10, U.LOG1P,
    U.SQRT, U.CBRT, U.SIN, U.COS, U.TAN, U.ARCSIN, U.ARCCOS, U.ARCTAN, U.SINH,
    U.COSH, U.TANH, U.ARCSINH, U.ARCCOSH, U.ARCTANH, U.FLOOR, U.CEIL, U.TRUNC,
    U.RINT, U.ERF, U.ERFC, U.GAMMALN, U.LOGICAL_NOT, U.INVERT, U.ISNAN, U.ISINF,
    U.ISFINITE,
})
BINARY = frozenset({
    U.ADD, U.SUB, U.MUL, U.DIV, U.FLOORDIV, U.MOD, U.POW, U.MAXIMUM, U.MINIMUM,
    U.FMAX, U.FMIN, U.ARCTAN2, U.HYPOT, U.LOGADDEXP, U.LOGADDEXP2, U.COPYSIGN,
    U.EQ, U.NE, U.LT, U.LE, U.GT, U.GE, U.LOGICAL_AND, U.LOGICAL_OR, U.LOGICAL_XOR,
    U.BITWISE_AND, U.BITWISE_OR, U.BITWISE_XOR, U.LEFT_SHIFT, U.RIGHT_SHIFT,
})
ELEMENTWISE = UNARY | BINARY | {U.SELECT, U.CAST}
COMPARISON = frozenset({U.EQ, U.NE, U.LT, U.LE, U.GT, U.GE})
PREDICATE = frozenset({U.ISNAN, U.ISINF, U.ISFINITE})
LOGICAL = frozenset({U.LOGICAL_NOT, U.LOGICAL_AND, U.LOGICAL_OR, U.LOGICAL_XOR})
BITWISE = frozenset({U.INVERT, U.BITWISE_AND, U.BITWISE_OR, U.BITWISE_XOR,
                     U.LEFT_SHIFT, U.RIGHT_SHIFT})
FLOAT_ONLY = frozenset({
    U.EXP, U.EXP2, U.EXPM1, U.LOG, U.LOG2, U.LOG10, U.LOG1P, U.SQRT, U.CBRT, U.SIN,
    U.COS, U.TAN, U.ARCSIN, U.ARCCOS, U.ARCTAN, U.SINH, U.COSH, U.TANH, U.ARCSINH,
    U.ARCCOSH, U.ARCTANH, U.ERF, U.ERFC, U.GAMMALN, U.DIV, U.ARCTAN2, U.HYPOT,
    U.LOGADDEXP, U.LOGADDEXP2, U.COPYSIGN, U.FMAX, U.FMIN,
})
COMMUTATIVE = frozenset({
    U.ADD, U.MUL, U.MAXIMUM, U.MINIMUM, U.FMAX, U.FMIN, U.HYPOT, U.LOGADDEXP,
    U.LOGADDEXP2, U.EQ, U.NE, U.LOGICAL_AND, U.LOGICAL_OR, U.LOGICAL_XOR,
    U.BITWISE_AND, U.BITWISE_OR, U.BITWISE_XOR,
})
REDUCTION = frozenset({U.REDUCE_SUM, U.REDUCE_PROD, U.REDUCE_MAX, U.REDUCE_MIN})
INDEX_REDUCTION = frozenset({U.ARGMAX, U.ARGMIN})
CUMULATIVE = frozenset({U.CUMSUM, U.CUMPROD})
LAYOUT = frozenset({U.RESHAPE, U.TRANSPOSE, U.BROADCAST_TO, U.SLICE})
LEAF = frozenset({U.PARAM, U.CONST})
# Ops only the optimizer builds, after autodiff has run: no derivative rules.
POST_AUTODIFF = frozenset({U.GEMM_ACC})
# Ops whose output does not depend smoothly on any input: derivative is zero.
NON_DIFFERENTIABLE = COMPARISON | PREDICATE | LOGICAL | BITWISE | INDEX_REDUCTION | {
    U.SIGN, U.FLOOR, U.CEIL, U.TRUNC, U.RINT, U.FLOORDIV,
}


class IRTypeError(TypeError):
    """An op was built with inputs or attributes its type rule rejects."""


def _fail(op: Op, msg: str) -> IRTypeError:
    return IRTypeError(f"{op.value}: {msg}")


def _same_types(op: Op, ins: Sequence[TensorType]) -> TensorType:
    first = ins[0]
    for t in ins[1:]:
        if t != first:
            raise _fail(op, f"operands must have one type, got {', '.join(map(str, ins))}")
    return first


def _check_dtype(op: Op, t: TensorType) -> None:
    kind = t.dtype.kind
    if op in FLOAT_ONLY and kind != "f":
        raise _fail(op, f"needs a float operand, got {t}")
    if op in (LOGICAL) and kind != "b":
        raise _fail(op, f"needs a bool operand, got {t}")
    if op in BITWISE and kind not in "biu":
        raise _fail(op, f"needs an integer or bool operand, got {t}")


def _elementwise(op: Op, ins, attrs) -> TensorType:
    t = _same_types(op, ins)
    _check_dtype(op, t)
    if op in COMPARISON or op in PREDICATE:
        return TensorType(BOOL, t.shape)
    return t


def _select(op, ins, attrs) -> TensorType:
    cond, a, b = ins
    t = _same_types(op, [a, b])
    if cond.dtype != BOOL or cond.shape != t.shape:
        raise _fail(op, f"condition must be bool{list(t.shape)}, got {cond}")
    return t


def _cast(op, ins, attrs) -> TensorType:
    dtype = np.dtype(attrs["dtype"])
    if dtype.kind not in "biuf":  # float16 too: numpy's loops for bool/int8 inputs use it
        raise _fail(op, f"cannot cast to unsupported dtype {dtype}")
    return TensorType(dtype, ins[0].shape)


def _check_axes(op, t: TensorType, axes: Sequence[int]) -> None:
    if any(not 0 <= a < t.ndim for a in axes) or len(set(axes)) != len(axes):
        raise _fail(op, f"bad axes {tuple(axes)} for {t}")


def _reduce(op, ins, attrs) -> TensorType:
    (t,) = ins
    axes = attrs["axes"]
    _check_axes(op, t, axes)
    if op in (U.REDUCE_MAX, U.REDUCE_MIN) and any(t.shape[a] == 0 for a in axes):
        raise _fail(op, "zero-size reduction has no identity")
    return TensorType(t.dtype, tuple(d for i, d in enumerate(t.shape) if i not in axes))


def _arg_reduce(op, ins, attrs) -> TensorType:
    (t,) = ins
    axis = attrs["axis"]
    _check_axes(op, t, (axis,))
    if t.shape[axis] == 0:
        raise _fail(op, "attempt to get argmax/argmin of an empty sequence")
    return TensorType(INT64, t.shape[:axis] + t.shape[axis + 1:])


def _cumulative(op, ins, attrs) -> TensorType:
    (t,) = ins
    _check_axes(op, t, (attrs["axis"],))
    return t


def _reshape(op, ins, attrs) -> TensorType:
    (t,) = ins
    shape = tuple(attrs["shape"])
    out = TensorType(t.dtype, shape)
    if out.size != t.size or any(d < 0 for d in shape):
        raise _fail(op, f"cannot reshape {t} to {list(shape)}")
    return out


def _transpose(op, ins, attrs) -> TensorType:
    (t,) = ins
    perm = tuple(attrs["perm"])
    if sorted(perm) != list(range(t.ndim)):
        raise _fail(op, f"bad permutation {perm} for {t}")
    return TensorType(t.dtype, tuple(t.shape[p] for p in perm))


def _broadcast_to(op, ins, attrs) -> TensorType:
    (t,) = ins
    shape = tuple(attrs["shape"])
    lead = len(shape) - t.ndim
    ok = lead >= 0 and all(d in (1, s) for d, s in zip(t.shape, shape[lead:]))
    if not ok:
        raise _fail(op, f"cannot broadcast {t} to {list(shape)}")
    return TensorType(t.dtype, shape)


def _slice(op, ins, attrs) -> TensorType:
    """Element i along axis k is x[start[k] + i * step[k]], for i < size[k]."""
    (t,) = ins
    starts, steps, sizes = attrs["starts"], attrs["steps"], attrs["sizes"]
    if not len(starts) == len(steps) == len(sizes) == t.ndim:
        raise _fail(op, f"needs one (start, step, size) per axis of {t}")
    for n, a, s, k in zip(t.shape, starts, steps, sizes):
        if k < 0 or s == 0 or (k > 0 and not (0 <= a < n and 0 <= a + (k - 1) * s < n)):
            raise _fail(op, f"slice start={a} step={s} size={k} out of bounds for {t}")
    return TensorType(t.dtype, tuple(sizes))


def _concatenate(op, ins, attrs) -> TensorType:
    axis = attrs["axis"]
    first = ins[0]
    _check_axes(op, first, (axis,))
    for t in ins[1:]:
        same_rest = t.ndim == first.ndim and all(
            a == b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis)
        if t.dtype != first.dtype or not same_rest:
            raise _fail(op, f"operands {', '.join(map(str, ins))} differ off axis {axis}")
    total = sum(t.shape[axis] for t in ins)
    return TensorType(first.dtype, first.shape[:axis] + (total,) + first.shape[axis + 1:])


def _gather_shape(op, x: TensorType, idx: Sequence[TensorType], axis: int):
    if not idx or axis < 0 or axis + len(idx) > x.ndim:
        raise _fail(op, f"{len(idx)} index arrays at axis {axis} do not fit {x}")
    ishape = idx[0].shape
    for t in idx:
        if t.dtype != INT64 or t.shape != ishape:
            raise _fail(op, f"index arrays must be i64 of one shape, got {t}")
    return x.shape[:axis] + ishape + x.shape[axis + len(idx):]


def _gather(op, ins, attrs) -> TensorType:
    """numpy x[:, ..., i0, i1, ...] with the index arrays at consecutive axes."""
    x, *idx = ins
    return TensorType(x.dtype, _gather_shape(op, x, idx, attrs["axis"]))


def _scatter_add(op, ins, attrs) -> TensorType:
    """np.add.at(copy of x, (..., i0, i1, ...), updates): the transpose of gather."""
    if len(ins) < 3:
        raise _fail(op, f"needs an operand, index arrays and updates, got {len(ins)} inputs")
    x, *idx, upd = ins
    if upd.dtype != x.dtype or upd.shape != _gather_shape(op, x, idx, attrs["axis"]):
        raise _fail(op, f"updates {upd} do not match the gather of {x}")
    return x


def _dot_general(op, ins, attrs) -> TensorType:
    """Like jax.lax.dot_general: output dims are batch, lhs free, rhs free."""
    lhs, rhs = ins
    (lc, rc), (lb, rb) = attrs["contract"], attrs["batch"]
    if lhs.dtype != rhs.dtype:
        raise _fail(op, f"operands must have one dtype, got {lhs} and {rhs}")
    _check_axes(op, lhs, tuple(lc) + tuple(lb))
    _check_axes(op, rhs, tuple(rc) + tuple(rb))
    if len(lc) != len(rc) or len(lb) != len(rb) or any(
        lhs.shape[a] != rhs.shape[b] for a, b in zip(tuple(lc) + tuple(lb), tuple(rc) + tuple(rb))
    ):
        raise _fail(op, f"contracting/batch dims of {lhs} and {rhs} do not match")
    lfree = [d for i, d in enumerate(lhs.shape) if i not in lc and i not in lb]
    rfree = [d for i, d in enumerate(rhs.shape) if i not in rc and i not in rb]
    batch = [lhs.shape[a] for a in lb]
    return TensorType(lhs.dtype, tuple(batch + lfree + rfree))


def _ifelse(op, ins, attrs) -> TensorType:
    """then if the bool scalar cond else else; backends compute only the taken branch."""
    cond, a, b = ins
    t = _same_types(op, [a, b])
    if cond.dtype != BOOL or cond.shape != ():
        raise _fail(op, f"condition must be a bool scalar, got {cond}")
    return t


def _gemm_acc(op, ins, attrs) -> TensorType:
    """c + alpha * dot_general(a, b): a BLAS gemm accumulating into (a copy of) c."""
    c, alpha, a, b = ins
    dot = _dot_general(op, [a, b], attrs)
    if dot != c or alpha != TensorType(c.dtype, ()):
        raise _fail(op, f"needs c {dot} and a 0-d alpha of its dtype, got {c} and {alpha}")
    return c


def _leaf(op, ins, attrs) -> TensorType:
    raise _fail(op, "leaves carry their own type")


TypeRule = Callable[[Op, Sequence[TensorType], Mapping[str, Any]], TensorType]


def _rule(op: Op) -> TypeRule:
    if op in UNARY or op in BINARY:
        return _elementwise
    return {
        U.SELECT: _select, U.CAST: _cast,
        U.REDUCE_SUM: _reduce, U.REDUCE_PROD: _reduce, U.REDUCE_MAX: _reduce,
        U.REDUCE_MIN: _reduce, U.ARGMAX: _arg_reduce, U.ARGMIN: _arg_reduce,
        U.CUMSUM: _cumulative, U.CUMPROD: _cumulative,
        U.RESHAPE: _reshape, U.TRANSPOSE: _transpose, U.BROADCAST_TO: _broadcast_to,
        U.SLICE: _slice, U.CONCATENATE: _concatenate, U.GATHER: _gather,
        U.SCATTER_ADD: _scatter_add, U.DOT_GENERAL: _dot_general, U.IFELSE: _ifelse,
        U.GEMM_ACC: _gemm_acc,
        U.PARAM: _leaf, U.CONST: _leaf,
    }[op]


def _arity(op: Op) -> int | None:
    """Number of inputs, None when variadic."""
    if op in UNARY or op in REDUCTION or op in INDEX_REDUCTION or op in CUMULATIVE:
        return 1
    if op in LAYOUT or op is U.CAST:
        return 1
    if op in BINARY or op is U.DOT_GENERAL:
        return 2
    if op is U.SELECT or op is U.IFELSE:
        return 3
    if op is U.GEMM_ACC:
        return 4
    if op in LEAF:
        return 0
    return None


TYPE_RULES: dict[Op, TypeRule] = {op: _rule(op) for op in Op}
ARITY: dict[Op, int | None] = {op: _arity(op) for op in Op}


def infer_type(op: Op, ins: Sequence[TensorType], attrs: Mapping[str, Any]) -> TensorType:
    """The output type of `op` applied to inputs of types `ins`; raises IRTypeError."""
    n = ARITY[op]
    if n is not None and len(ins) != n:
        raise _fail(op, f"takes {n} inputs, got {len(ins)}")
    if n is None and not ins:
        raise _fail(op, "takes at least one input")
    return TYPE_RULES[op](op, ins, attrs)
