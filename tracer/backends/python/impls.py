"""Each op's meaning, written with numpy: the executable spec.

IMPLS[op](attrs, *inputs) -> array of exactly the node's dtype and shape.
Every other backend is tested against this table, so it stays obvious.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import scipy.special as sc

from ...ir import Op
from ...ir.ops import special_dtype
from .linalg_impls import LINALG_IMPLS

Impl = Callable[..., Any]


def _elementwise(fn: Callable[..., Any]) -> Impl:
    return lambda attrs, *xs: fn(*xs)


def _reduce(fn: np.ufunc) -> Impl:
    return lambda attrs, x: fn.reduce(x, axis=attrs["axes"], dtype=x.dtype)


def _slice(attrs: Mapping[str, Any], x: np.ndarray) -> np.ndarray:
    return x[_box(attrs["starts"], attrs["steps"], attrs["sizes"])]


def _update_slice(attrs: Mapping[str, Any], x: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = np.array(x, copy=True)
    if v.size:
        out[_box(attrs["starts"], attrs["steps"], v.shape)] = v
    return out


def _box(starts, steps, sizes) -> tuple:
    index = []
    for start, step, size in zip(starts, steps, sizes):
        stop = start + step * size
        index.append(slice(start, stop if stop >= 0 else None, step) if size else slice(0, 0))
    return tuple(index)


def _gather(attrs: Mapping[str, Any], x: np.ndarray, *idx: np.ndarray) -> np.ndarray:
    return x[(slice(None),) * attrs["axis"] + idx]


def _scatter(ufunc: np.ufunc | None) -> Impl:
    """`ufunc.at` on a copy of x; None: numpy's assignment, whose last write wins."""
    def impl(attrs: Mapping[str, Any], x: np.ndarray, *rest: np.ndarray) -> np.ndarray:
        *idx, updates = rest
        out = np.array(x, copy=True)
        key = (slice(None),) * attrs["axis"] + tuple(idx)
        if ufunc is None:
            out[key] = updates
        else:
            ufunc.at(out, key, updates)
        return out
    return impl


def _dot_general(attrs: Mapping[str, Any], lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Transpose to (batch, M, K) @ (batch, K, N), multiply, reshape back."""
    (lc, rc), (lb, rb) = attrs["contract"], attrs["batch"]
    lfree = [i for i in range(lhs.ndim) if i not in lc and i not in lb]
    rfree = [i for i in range(rhs.ndim) if i not in rc and i not in rb]
    batch = [lhs.shape[i] for i in lb]
    m = [lhs.shape[i] for i in lfree]
    n = [rhs.shape[i] for i in rfree]
    k = int(np.prod([lhs.shape[i] for i in lc]))
    a = np.transpose(lhs, [*lb, *lfree, *lc]).reshape(int(np.prod(batch)), int(np.prod(m)), k)
    b = np.transpose(rhs, [*rb, *rc, *rfree]).reshape(int(np.prod(batch)), k, int(np.prod(n)))
    return np.matmul(a, b).reshape(batch + m + n)


def _gemm_acc(attrs: Mapping[str, Any], c: np.ndarray, alpha: np.ndarray, lhs: np.ndarray,
              rhs: np.ndarray) -> np.ndarray:
    """c + alpha * dot_general(lhs, rhs), rounded as those two numpy operations."""
    return c + alpha * _dot_general(attrs, lhs, rhs)


_UNARY = {
    Op.NEG: np.negative, Op.ABS: np.absolute, Op.SIGN: np.sign, Op.EXP: np.exp,
    Op.EXP2: np.exp2, Op.EXPM1: np.expm1, Op.LOG: np.log, Op.LOG2: np.log2,
    Op.LOG10: np.log10, Op.LOG1P: np.log1p, Op.SQRT: np.sqrt, Op.CBRT: np.cbrt,
    Op.SIN: np.sin, Op.COS: np.cos, Op.TAN: np.tan, Op.ARCSIN: np.arcsin,
    Op.ARCCOS: np.arccos, Op.ARCTAN: np.arctan, Op.SINH: np.sinh, Op.COSH: np.cosh,
    Op.TANH: np.tanh, Op.ARCSINH: np.arcsinh, Op.ARCCOSH: np.arccosh,
    Op.ARCTANH: np.arctanh, Op.FLOOR: np.floor, Op.CEIL: np.ceil, Op.TRUNC: np.trunc,
    Op.RINT: np.rint, Op.ERF: sc.erf, Op.ERFC: sc.erfc, Op.GAMMALN: sc.gammaln,
    Op.LOGICAL_NOT: np.logical_not, Op.INVERT: np.invert, Op.ISNAN: np.isnan,
    Op.ISINF: np.isinf, Op.ISFINITE: np.isfinite, Op.SIGNBIT: np.signbit,
    Op.SPACING: np.spacing,
}
_BINARY = {
    Op.ADD: np.add, Op.SUB: np.subtract, Op.MUL: np.multiply, Op.DIV: np.true_divide,
    Op.FLOORDIV: np.floor_divide, Op.MOD: np.remainder, Op.POW: np.power,
    Op.MAXIMUM: np.maximum, Op.MINIMUM: np.minimum, Op.FMAX: np.fmax, Op.FMIN: np.fmin,
    Op.ARCTAN2: np.arctan2, Op.HYPOT: np.hypot, Op.LOGADDEXP: np.logaddexp,
    Op.LOGADDEXP2: np.logaddexp2, Op.COPYSIGN: np.copysign, Op.EQ: np.equal,
    Op.NE: np.not_equal, Op.LT: np.less, Op.LE: np.less_equal, Op.GT: np.greater,
    Op.GE: np.greater_equal, Op.LOGICAL_AND: np.logical_and, Op.LOGICAL_OR: np.logical_or,
    Op.LOGICAL_XOR: np.logical_xor, Op.BITWISE_AND: np.bitwise_and,
    Op.BITWISE_OR: np.bitwise_or, Op.BITWISE_XOR: np.bitwise_xor,
    Op.LEFT_SHIFT: np.left_shift, Op.RIGHT_SHIFT: np.right_shift, Op.FMOD: np.fmod,
    Op.NEXTAFTER: np.nextafter,
}



def _sigmoid(x: np.ndarray) -> np.ndarray:
    """numpy's 1 / (1 + exp(-x)) in x's dtype (scipy's expit, every float dtype)."""
    one = np.ones((), x.dtype)
    return one / (one + np.exp(-x))


def _cast(attrs: Mapping[str, Any], x: np.ndarray) -> np.ndarray:
    """astype; complex to real keeps the real part, as numpy's cast (its ComplexWarning
    was raised once, when the cast was traced)."""
    x = np.asarray(x)
    dtype = np.dtype(attrs["dtype"])
    if x.dtype.kind == "c" and dtype.kind != "c" and dtype.kind != "b":
        x = x.real
    return x.astype(dtype)


def _complex(re: np.ndarray, im: np.ndarray) -> np.ndarray:
    out = np.empty(np.shape(re), np.result_type(re, np.complex64))
    out.real, out.imag = re, im
    return out


_FFTS = {"fft": np.fft.fftn, "ifft": np.fft.ifftn, "rfft": np.fft.rfftn}


def _fft(attrs: Mapping[str, Any], x: np.ndarray) -> np.ndarray:
    """numpy's n-dimensional transforms (pocketfft), in the input's precision."""
    axes, norm, kind = list(attrs["axes"]), attrs["norm"], attrs["kind"]
    if kind == "irfft":
        lengths = [x.shape[a] for a in axes[:-1]] + [attrs["n"]]
        return np.fft.irfftn(x, s=lengths, axes=axes, norm=norm)
    return _FFTS[kind](x, s=[x.shape[a] for a in axes], axes=axes, norm=norm)


_UNARY[Op.SIGMOID] = _sigmoid
_UNARY.update({Op.REAL: np.real, Op.IMAG: np.imag, Op.CONJ: np.conjugate})
_BINARY[Op.COMPLEX] = _complex
def special_function(name: str) -> Callable[..., np.ndarray]:
    """The scipy.special function an Op.SPECIAL node names (polygamma: with a float order
    array, as the derivatives of psi build it)."""
    if name == "polygamma":
        return lambda n, x: sc.polygamma(n.astype(np.int64), x)
    return getattr(sc, name)


IMPLS: dict[Op, Impl] = {op: _elementwise(fn) for op, fn in {**_UNARY, **_BINARY}.items()}
IMPLS.update({
    Op.SELECT: _elementwise(np.where),
    Op.CAST: _cast,
    Op.FFT: _fft,
    Op.REDUCE_SUM: _reduce(np.add),
    Op.REDUCE_PROD: _reduce(np.multiply),
    Op.REDUCE_MAX: _reduce(np.maximum),
    Op.REDUCE_MIN: _reduce(np.minimum),
    Op.ARGMAX: lambda attrs, x: np.argmax(x, axis=attrs["axis"]),
    Op.ARGMIN: lambda attrs, x: np.argmin(x, axis=attrs["axis"]),
    Op.ARGSORT: lambda attrs, x: np.argsort(x, axis=attrs["axis"], kind="stable"),
    Op.SPECIAL: lambda attrs, *xs: np.asarray(special_function(attrs["name"])(*xs),
                                              dtype=special_dtype([x.dtype for x in xs])),
    Op.SEARCHSORTED: lambda attrs, a, v: np.asarray(np.searchsorted(a, v, side=attrs["side"]),
                                                     dtype=np.int64),
    Op.CUMSUM: lambda attrs, x: np.cumsum(x, axis=attrs["axis"], dtype=x.dtype),
    Op.CUMPROD: lambda attrs, x: np.cumprod(x, axis=attrs["axis"], dtype=x.dtype),
    Op.RESHAPE: lambda attrs, x: np.reshape(x, attrs["shape"]),
    Op.TRANSPOSE: lambda attrs, x: np.transpose(x, attrs["perm"]),
    Op.BROADCAST_TO: lambda attrs, x: np.broadcast_to(x, attrs["shape"]),
    Op.SLICE: _slice,
    Op.UPDATE_SLICE: _update_slice,
    Op.CONCATENATE: lambda attrs, *xs: np.concatenate(xs, axis=attrs["axis"]),
    Op.GATHER: _gather,
    Op.SCATTER_ADD: _scatter(np.add),
    Op.SCATTER_MUL: _scatter(np.multiply),
    Op.SCATTER_MAX: _scatter(np.maximum),
    Op.SCATTER_MIN: _scatter(np.minimum),
    Op.SCATTER_SET: _scatter(None),
    Op.DOT_GENERAL: _dot_general,
    Op.GEMM_ACC: _gemm_acc,
    # eager meaning; the executor's plan computes only the taken branch
    Op.IFELSE: lambda attrs, cond, then, other: then if cond else other,
})

IMPLS.update(LINALG_IMPLS)

# Leaves are bound by the executor, not computed.
NOT_COMPUTED = frozenset({Op.PARAM, Op.CONST})
