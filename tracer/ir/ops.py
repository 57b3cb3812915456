"""The op catalog: every primitive, its category, and its type rule.

Ops are data. This file says what an op *is* (arity, dtype and shape rules);
what an op *means* lives in the backends' tables, its derivative in autodiff/.
The numpy surface (trace/numpy/) composes everything else from these.
"""
from __future__ import annotations

import enum
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .dtypes import BOOL, INT64, complex_dtype, real_dtype
from .types import TOKEN, TensorType


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
    SIGNBIT = "signbit"
    SPACING = "spacing"     # numpy's: the gap to the next float away from zero
    SIGMOID = "sigmoid"     # 1 / (1 + exp(-x)), numpy's formula; its derivative y(1 - y)
    REAL = "real"           # complex -> its real part (float of the same width)
    IMAG = "imag"           # complex -> its imaginary part
    CONJ = "conj"           # complex conjugate
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
    FMOD = "fmod"           # C's remainder: the sign of the dividend
    NEXTAFTER = "nextafter"
    COMPLEX = "complex"     # (re, im) floats of one dtype -> re + 1j * im
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
    UPDATE_SLICE = "update_slice"     # x with the box a SLICE of it would read replaced by v
    # data-dependent indexing
    GATHER = "gather"
    # x with updates combined in at indexed positions, in the updates' C order
    SCATTER_ADD = "scatter_add"     # np.add.at
    SCATTER_MUL = "scatter_mul"     # np.multiply.at
    SCATTER_MAX = "scatter_max"     # np.maximum.at
    SCATTER_MIN = "scatter_min"     # np.minimum.at
    SCATTER_SET = "scatter_set"     # x[idx] = v: the last write to a position wins
    # contraction
    DOT_GENERAL = "dot_general"
    # the indices that sort x along {axis}: numpy's stable argsort (NaN last)
    ARGSORT = "argsort"
    # where each v would go in the sorted 1-d a: numpy's searchsorted {side} (NaN last)
    SEARCHSORTED = "searchsorted"
    # scipy.special's function {name} elementwise, inputs broadcast (ops.special_dtype)
    SPECIAL = "special"
    # discrete Fourier transforms over `axes` (numpy's fftn/ifftn/rfftn/irfftn, `norm`)
    FFT = "fft"
    # built only by the optimizer (graph_opt/), after differentiation
    GEMM_ACC = "gemm_acc"
    # control: lazy choice between two whole values on a scalar bool
    IFELSE = "ifelse"
    # loops (tracer/loops): a SCAN runs its body graph once per step and is a tuple
    # of values, each read by a SCAN_OUT {index}
    SCAN = "scan"
    SCAN_OUT = "scan_out"
    # linear algebra over the last two axes, batched over the leading ones (numpy's
    # gufuncs); ops with several results return them packed along one last axis
    # (`packed_parts` says how), which the numpy surface slices apart
    CHOLESKY = "cholesky"               # lower factor, reading the lower triangle
    TRIANGULAR_SOLVE = "triangular_solve"   # op(a) x = b, a's triangle {lower, transpose, unit}
    SOLVE = "solve"                     # a x = b, b (..., n, k)
    SLOGDET = "slogdet"                 # packed (sign, log|det|)
    EIGH = "eigh"                       # packed (w, v) {lower, vectors}; w alone without vectors
    SVD = "svd"                         # packed (u, s, vh) {full, vectors}; s alone without vectors
    QR = "qr"                           # packed (q, r) {mode: reduced, complete}
    EXPM = "expm"                       # the matrix exponential (scipy.linalg.expm)

    def __repr__(self) -> str:
        return f"Op.{self.name}"


U = Op
UNARY = frozenset({
    U.NEG, U.ABS, U.SIGN, U.EXP, U.EXP2, U.EXPM1, U.LOG, U.LOG2, U.LOG10, U.LOG1P,
    U.SQRT, U.CBRT, U.SIN, U.COS, U.TAN, U.ARCSIN, U.ARCCOS, U.ARCTAN, U.SINH,
    U.COSH, U.TANH, U.ARCSINH, U.ARCCOSH, U.ARCTANH, U.FLOOR, U.CEIL, U.TRUNC,
    U.RINT, U.ERF, U.ERFC, U.GAMMALN, U.LOGICAL_NOT, U.INVERT, U.ISNAN, U.ISINF,
    U.ISFINITE, U.SIGNBIT, U.SPACING, U.SIGMOID, U.REAL, U.IMAG, U.CONJ,
})
BINARY = frozenset({
    U.ADD, U.SUB, U.MUL, U.DIV, U.FLOORDIV, U.MOD, U.POW, U.MAXIMUM, U.MINIMUM,
    U.FMAX, U.FMIN, U.ARCTAN2, U.HYPOT, U.LOGADDEXP, U.LOGADDEXP2, U.COPYSIGN,
    U.EQ, U.NE, U.LT, U.LE, U.GT, U.GE, U.LOGICAL_AND, U.LOGICAL_OR, U.LOGICAL_XOR,
    U.BITWISE_AND, U.BITWISE_OR, U.BITWISE_XOR, U.LEFT_SHIFT, U.RIGHT_SHIFT,
    U.FMOD, U.NEXTAFTER, U.COMPLEX,
})
ELEMENTWISE = UNARY | BINARY | {U.SELECT, U.CAST}
COMPARISON = frozenset({U.EQ, U.NE, U.LT, U.LE, U.GT, U.GE})
PREDICATE = frozenset({U.ISNAN, U.ISINF, U.ISFINITE, U.SIGNBIT})
LOGICAL = frozenset({U.LOGICAL_NOT, U.LOGICAL_AND, U.LOGICAL_OR, U.LOGICAL_XOR})
BITWISE = frozenset({U.INVERT, U.BITWISE_AND, U.BITWISE_OR, U.BITWISE_XOR,
                     U.LEFT_SHIFT, U.RIGHT_SHIFT})
FLOAT_ONLY = frozenset({
    U.EXP, U.EXP2, U.EXPM1, U.LOG, U.LOG2, U.LOG10, U.LOG1P, U.SQRT, U.CBRT, U.SIN,
    U.COS, U.TAN, U.ARCSIN, U.ARCCOS, U.ARCTAN, U.SINH, U.COSH, U.TANH, U.ARCSINH,
    U.ARCCOSH, U.ARCTANH, U.ERF, U.ERFC, U.GAMMALN, U.DIV, U.ARCTAN2, U.HYPOT,
    U.LOGADDEXP, U.LOGADDEXP2, U.COPYSIGN, U.FMAX, U.FMIN, U.SIGNBIT, U.SPACING, U.NEXTAFTER,
    U.SIGMOID,
})
# Ops numpy defines on complex operands (the surface's loops never build others).
COMPLEX_OK = frozenset({
    U.NEG, U.ABS, U.SIGN, U.EXP, U.EXP2, U.EXPM1, U.LOG, U.LOG2, U.LOG10, U.LOG1P, U.SQRT,
    U.SIN, U.COS, U.TAN, U.ARCSIN, U.ARCCOS, U.ARCTAN, U.SINH, U.COSH, U.TANH, U.ARCSINH,
    U.ARCCOSH, U.ARCTANH, U.RINT, U.ISNAN, U.ISINF, U.ISFINITE, U.ADD, U.SUB, U.MUL, U.DIV,
    U.POW, U.MAXIMUM, U.MINIMUM, U.FMAX, U.FMIN, U.EQ, U.NE, U.LT, U.LE, U.GT, U.GE,
    U.REAL, U.IMAG, U.CONJ,
})
# Ops on complex values only, or (COMPLEX) building them: the parts of a complex number.
COMPLEX_PARTS = frozenset({U.REAL, U.IMAG, U.CONJ, U.COMPLEX})
FFT_KINDS = ("fft", "ifft", "rfft", "irfft")
FFT_NORMS = ("backward", "ortho", "forward")
COMMUTATIVE = frozenset({
    U.ADD, U.MUL, U.MAXIMUM, U.MINIMUM, U.FMAX, U.FMIN, U.HYPOT, U.LOGADDEXP,
    U.LOGADDEXP2, U.EQ, U.NE, U.LOGICAL_AND, U.LOGICAL_OR, U.LOGICAL_XOR,
    U.BITWISE_AND, U.BITWISE_OR, U.BITWISE_XOR,
})
REDUCTION = frozenset({U.REDUCE_SUM, U.REDUCE_PROD, U.REDUCE_MAX, U.REDUCE_MIN})
INDEX_REDUCTION = frozenset({U.ARGMAX, U.ARGMIN})
CUMULATIVE = frozenset({U.CUMSUM, U.CUMPROD})
SCATTER = frozenset({U.SCATTER_ADD, U.SCATTER_MUL, U.SCATTER_MAX, U.SCATTER_MIN,
                     U.SCATTER_SET})
LAYOUT = frozenset({U.RESHAPE, U.TRANSPOSE, U.BROADCAST_TO, U.SLICE})
LEAF = frozenset({U.PARAM, U.CONST})
LINALG = frozenset({U.CHOLESKY, U.TRIANGULAR_SOLVE, U.SOLVE, U.SLOGDET, U.EIGH, U.SVD, U.QR,
                    U.EXPM})
# Ops that compiled backends run by calling the reference (numpy/scipy) implementation
# for that step (backends/c/fallback.py); the text form marks them `# numpy fallback`. An op
# with an IMPLS entry and no C code joins by being listed here.
NUMPY_FALLBACK = LINALG | {U.FFT, U.ARGSORT, U.SEARCHSORTED, U.SPECIAL}  # pocketfft, sorts, scipy
# Ops only the optimizer builds, after autodiff has run: no derivative rules.
POST_AUTODIFF = frozenset({U.GEMM_ACC})
# Ops whose output does not depend smoothly on any input: derivative is zero.
NON_DIFFERENTIABLE = COMPARISON | PREDICATE | LOGICAL | BITWISE | INDEX_REDUCTION | {
    U.ARGSORT, U.SEARCHSORTED, U.SIGN, U.FLOOR, U.CEIL, U.TRUNC, U.RINT, U.FLOORDIV, U.SPACING,
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
    if kind == "c" and op not in COMPLEX_OK:
        raise _fail(op, f"is not defined for complex operands, got {t}")
    if op in (U.REAL, U.IMAG, U.CONJ) and kind != "c":
        raise _fail(op, f"needs a complex operand, got {t}")
    if op in FLOAT_ONLY and kind not in "fc":
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
    if kind_to_real(op, t):
        return TensorType(real_dtype(t.dtype), t.shape)
    if op is U.COMPLEX:
        if t.dtype.kind != "f" or t.dtype.itemsize < 4:
            raise _fail(op, f"needs float32 or float64 parts, got {t}")
        return TensorType(complex_dtype(t.dtype), t.shape)
    return t


def kind_to_real(op: Op, t: TensorType) -> bool:
    """abs, real and imag of a complex value are real: numpy's D->d loops."""
    return t.dtype.kind == "c" and op in (U.ABS, U.REAL, U.IMAG)


def _select(op, ins, attrs) -> TensorType:
    cond, a, b = ins
    t = _same_types(op, [a, b])
    if cond.dtype != BOOL or cond.shape != t.shape:
        raise _fail(op, f"condition must be bool{list(t.shape)}, got {cond}")
    return t


def _cast(op, ins, attrs) -> TensorType:
    dtype = np.dtype(attrs["dtype"])
    if dtype.kind not in "biufc":  # float16 too: numpy's loops for bool/int8 inputs use it
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


def _update_slice(op, ins, attrs) -> TensorType:
    """x, with the elements SLICE(x; starts, steps, sizes=v.shape) would read set to v."""
    x, v = ins
    if v.dtype != x.dtype:
        raise _fail(op, f"values {v} must have the dtype of {x}")
    _slice(op, [x], {"starts": attrs["starts"], "steps": attrs["steps"], "sizes": v.shape})
    return x


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


def _scatter(op, ins, attrs) -> TensorType:
    """A copy of x where each update, in C order, is combined into x[..., i0, i1, ...]
    (np.add.at and friends; SCATTER_SET replaces). SCATTER_ADD is gather's transpose."""
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


def _fft(op, ins, attrs) -> TensorType:
    """numpy's fftn (kind fft), ifftn, rfftn (real in, the last of `axes` halved to
    n // 2 + 1) and irfftn (out: that axis of length attrs["n"], its input n // 2 + 1);
    the surface pads or crops the other lengths first. `norm` as numpy's."""
    (t,) = ins
    kind, axes, norm = attrs["kind"], tuple(attrs["axes"]), attrs["norm"]
    if kind not in FFT_KINDS or norm not in FFT_NORMS or not axes:
        raise _fail(op, f"bad kind {kind!r}, norm {norm!r} or axes {axes}")
    _check_axes(op, t, axes)
    want = "f" if kind == "rfft" else "c"
    if t.dtype.kind != want or t.dtype.itemsize < 4 + 4 * (want == "c"):
        raise _fail(op, f"{kind} needs a {'float' if want == 'f' else 'complex'} operand, "
                        f"got {t}")
    shape, last = list(t.shape), axes[-1]
    if kind == "rfft":
        shape[last] = shape[last] // 2 + 1
        return TensorType(complex_dtype(t.dtype), tuple(shape))
    if kind == "irfft":
        n = attrs["n"]
        if n < 1 or shape[last] != n // 2 + 1:
            raise _fail(op, f"irfft to length {n} needs {n // 2 + 1} inputs, got {t}")
        shape[last] = n
        return TensorType(real_dtype(t.dtype), tuple(shape))
    return t


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


def _scan(op, ins, attrs) -> TensorType:
    """A tuple of values (tracer/loops/spec.py checks the body against the inputs)."""
    from_body = attrs["spec"].check(ins)
    if from_body:
        raise _fail(op, from_body)
    return TOKEN


def _scan_out(op, ins, attrs) -> TensorType:
    """Output `index` of a scan; its type is an attribute (the scan's spec says which)."""
    (t,) = ins
    if t != TOKEN:
        raise _fail(op, f"reads a scan, got {t}")
    return attrs["type"]


def _square(op, t: TensorType) -> None:
    if t.ndim < 2 or t.shape[-1] != t.shape[-2]:
        raise _fail(op, f"needs square matrices in the last two axes, got {t}")
    if t.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise _fail(op, f"needs float32 or float64 matrices, got {t}")


def packed_parts(op: Op, attrs: Mapping[str, Any], t: TensorType) -> tuple[tuple[int, ...], ...]:
    """The core shapes of a linear algebra op's results, in the order they are packed
    along its output's last axis (each flattened in C order); one part: not packed."""
    m, n = t.shape[-2:]
    k = min(m, n)
    if op is U.SLOGDET:
        return ((), ())
    if op is U.EIGH:
        return ((n,), (n, n)) if attrs["vectors"] else ((n,),)
    if op is U.SVD:
        if not attrs["vectors"]:
            return ((k,),)
        wide = attrs["full"]
        return ((m, m if wide else k), (k,), (n if wide else k, n))
    if op is U.QR:
        q = m if attrs["mode"] == "complete" else k
        return ((m, q), (q, n))
    return (t.shape[-2:],)


def _linalg(op, ins, attrs) -> TensorType:
    """Matrices in the last two axes; a solve's right sides (..., n, k) share a's batch."""
    a = ins[0]
    if op in (U.SVD, U.QR):
        if a.ndim < 2 or a.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise _fail(op, f"needs float32 or float64 matrices, got {a}")
    else:
        _square(op, a)
    if op in (U.SOLVE, U.TRIANGULAR_SOLVE):
        b = ins[1]
        if b.dtype != a.dtype or b.ndim != a.ndim or b.shape[:-1] != a.shape[:-1]:
            raise _fail(op, f"right sides {b} do not match {a}")
        return b
    parts = packed_parts(op, attrs, a)
    if len(parts) == 1:
        return TensorType(a.dtype, a.shape[:-2] + parts[0])
    return TensorType(a.dtype, a.shape[:-2] + (sum(int(np.prod(p)) for p in parts),))


def _argsort(op, ins, attrs) -> TensorType:
    x = ins[0]
    if x.ndim == 0 or not 0 <= attrs["axis"] < x.ndim:
        raise _fail(op, f"axis {attrs['axis']} out of range for {x}")
    return TensorType(np.dtype(np.int64), x.shape)


def _searchsorted(op, ins, attrs) -> TensorType:
    a, v = ins
    if a.ndim != 1 or a.dtype != v.dtype or attrs["side"] not in ("left", "right"):
        raise _fail(op, f"needs a 1-d sorted array and values of its dtype, got {a}, {v}")
    return TensorType(np.dtype(np.int64), v.shape)


def special_dtype(dtypes: Sequence[np.dtype]) -> np.dtype:
    """An Op.SPECIAL result's dtype: its float inputs' (scipy's loop), float64 if none
    (yn's integer order, with a float x, takes x's)."""
    floats = [np.dtype(d) for d in dtypes if np.dtype(d).kind == "f"]
    return np.result_type(*floats) if floats else np.dtype(np.float64)


def _special(op, ins, attrs) -> TensorType:
    if any(t.shape != ins[0].shape or t.dtype.kind == "c" for t in ins):
        raise _fail(op, f"needs real inputs of one shape, got {list(ins)}")
    return TensorType(special_dtype([t.dtype for t in ins]), ins[0].shape)


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
        U.UPDATE_SLICE: _update_slice,
        **{op: _scatter for op in SCATTER}, U.DOT_GENERAL: _dot_general, U.IFELSE: _ifelse,
        U.FFT: _fft, U.ARGSORT: _argsort, U.SEARCHSORTED: _searchsorted, U.SPECIAL: _special,
        U.GEMM_ACC: _gemm_acc, U.SCAN: _scan, U.SCAN_OUT: _scan_out,
        U.PARAM: _leaf, U.CONST: _leaf,
        **{op: _linalg for op in LINALG},
    }[op]


def _arity(op: Op) -> int | None:
    """Number of inputs, None when variadic."""
    if op in UNARY or op in REDUCTION or op in INDEX_REDUCTION or op in CUMULATIVE:
        return 1
    if op in LAYOUT or op in (U.CAST, U.FFT, U.ARGSORT):
        return 1
    if op in BINARY or op in (U.DOT_GENERAL, U.UPDATE_SLICE, U.SEARCHSORTED):
        return 2
    if op in (U.SOLVE, U.TRIANGULAR_SOLVE):
        return 2
    if op in LINALG:
        return 1
    if op is U.SELECT or op is U.IFELSE:
        return 3
    if op is U.SCAN_OUT:
        return 1
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
