"""np.linalg over traced values: factorizations, solves, determinants, and what composes
from them, batched over the leading axes as numpy's gufuncs are.

The primitives (ir.ops.LINALG) are cholesky, triangular_solve, solve, slogdet, eigh,
svd, qr and expm; several results come packed along one last axis and are sliced
apart here (ir.ops.packed_parts). The rest is composed, as numpy itself does it:
inv is solve(a, I) (numpy's own inv is LAPACK's gesv on the identity), det is
sign * exp(logdet), pinv and lstsq are numpy's SVD formulas, matrix_power is numpy's
repeated squaring, norm of a matrix of ord 2, -2, 'nuc' takes singular values.
Dtypes are numpy's (integers compute in float64, float32 stays float32, float16 is
refused); errors are numpy's type and words with the user's line.
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy.linalg import _linalg as npl

from ...ir import Node, Op
from ...ir.ops import packed_parts
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import operand, wrap
from .linalg import matmul_nodes

LinAlgError = np.linalg.LinAlgError


def fail(kind: type, message: str) -> Exception:
    return kind(at_line(message, user_loc()))


def float_type(*nodes: Node, name: str) -> np.dtype:
    """numpy linalg's common type: float64 unless every operand is float32."""
    kinds = set()
    for n in nodes:
        if n.dtype.kind == "c":
            raise fail(TypeError, f"tracer: {name} of complex values is not supported yet")
        if n.dtype == np.float16:
            raise fail(TypeError, "array type float16 is unsupported in linalg")
        kinds.add(n.dtype if n.dtype.kind == "f" else np.dtype(np.float64))
    return np.dtype(np.float32) if kinds == {np.dtype(np.float32)} else np.dtype(np.float64)


def matrices(a: Any, name: str, square: bool = True, dtype: np.dtype | None = None) -> Node:
    """An operand as a stack of (square) float matrices, or numpy's LinAlgError."""
    x = a if isinstance(a, Node) else operand(a)[0]
    if x.ndim < 2:
        raise fail(LinAlgError, f"{x.ndim}-dimensional array given. Array must be at least "
                                "two-dimensional")
    if square and x.shape[-1] != x.shape[-2]:
        raise fail(LinAlgError, "Last 2 dimensions of the array must be square")
    return prims.cast(x, dtype or float_type(x, name=name))


def mT(x: Node) -> Node:
    nd = x.ndim
    return prims.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def unpack(node: Node) -> list[Node]:
    """A packed linalg result split into its parts."""
    parts = packed_parts(node.op, node.attrs, node.inputs[0].type)
    if len(parts) == 1:
        return [node]
    batch, out, offset = node.shape[:-1], [], 0
    for shape in parts:
        size = int(np.prod(shape))
        sliced = prims.slice_axes(node, (0,) * (node.ndim - 1) + (offset,),
                                  (1,) * node.ndim, batch + (size,))
        out.append(prims.reshape(sliced, batch + shape))
        offset += size
    return out


def eye(n: int, shape: tuple[int, ...], dtype: np.dtype) -> Node:
    return prims.broadcast_to(prims.const(np.eye(n, dtype=dtype)), shape)


def broadcast_batch(a: Node, b: Node, core_b: int) -> tuple[Node, Node]:
    """a (..., n, n) and b (..., core) with their leading axes broadcast together."""
    lead_a, lead_b = a.shape[:-2], b.shape[:b.ndim - core_b]
    try:
        batch = tuple(np.broadcast_shapes(lead_a, lead_b))
    except ValueError:
        raise fail(ValueError, f"operands could not be broadcast together with batch shapes "
                               f"{lead_a} and {lead_b}") from None
    return (prims.broadcast_to(a, batch + a.shape[-2:]),
            prims.broadcast_to(b, batch + b.shape[b.ndim - core_b:]))


def solve_nodes(a: Node, b: Node, op: Op = Op.SOLVE, **attrs: Any) -> Node:
    """numpy 2's solve shapes: a 1-d b is one vector, otherwise b is (..., n, k)."""
    n = a.shape[-1]
    vector = b.ndim == 1
    size = b.shape[0] if vector else b.shape[-2] if b.ndim >= 2 else None
    if size != n:
        name, sig = ("solve1", "(m,m),(m)->(m)") if vector else ("solve", "(m,m),(m,n)->(m,n)")
        raise fail(ValueError, f"{name}: Input operand 1 has a mismatch in its core dimension "
                               f"0, with gufunc signature {sig} (size {size} is different "
                               f"from {n})")
    a2, b2 = broadcast_batch(a, prims.reshape(b, (n, 1)) if vector else b, 2)
    x = prims.bind(op, [a2, b2], **attrs)
    return prims.reshape(x, x.shape[:-1]) if vector else x


# -- the np.linalg functions ---------------------------------------------------------
def solve(a, b):
    x, y = operand(a)[0], operand(b)[0]
    dtype = float_type(x, y, name="np.linalg.solve")
    return wrap(solve_nodes(matrices(x, "np.linalg.solve", dtype=dtype), prims.cast(y, dtype)))


def inv(a):
    x = matrices(a, "np.linalg.inv")
    return wrap(prims.bind(Op.SOLVE, [x, eye(x.shape[-1], x.shape, x.dtype)]))


def cholesky(a, /, *, upper=False):
    x = matrices(a, "np.linalg.cholesky")
    if upper:     # numpy reads the upper triangle: U = L(x^T)^T
        return wrap(mT(prims.bind(Op.CHOLESKY, [mT(x)])))
    return wrap(prims.bind(Op.CHOLESKY, [x]))


def slogdet_nodes(x: Node) -> tuple[Node, Node]:
    sign, logdet = unpack(prims.bind(Op.SLOGDET, [x]))
    return sign, logdet


def slogdet(a):
    sign, logdet = slogdet_nodes(matrices(a, "np.linalg.slogdet"))
    return npl.SlogdetResult(wrap(sign), wrap(logdet))


def det(a):
    sign, logdet = slogdet_nodes(matrices(a, "np.linalg.det"))
    return wrap(prims.bind(Op.MUL, [sign, prims.bind(Op.EXP, [logdet])]))


def _uplo(UPLO: str) -> bool:
    if UPLO not in ("L", "U"):
        raise fail(ValueError, "UPLO argument must be 'L' or 'U'")
    return UPLO == "L"


def eigh(a, UPLO="L"):
    x = matrices(a, "np.linalg.eigh")
    w, v = unpack(prims.bind(Op.EIGH, [x], lower=_uplo(UPLO), vectors=True))
    return npl.EighResult(wrap(w), wrap(v))


def eigvalsh(a, UPLO="L"):
    x = matrices(a, "np.linalg.eigvalsh")
    return wrap(prims.bind(Op.EIGH, [x], lower=_uplo(UPLO), vectors=False))


def singular_values(x: Node) -> Node:
    return prims.bind(Op.SVD, [x], full=False, vectors=False)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """hermitian=True computes the general SVD: the same values; vectors may differ from
    numpy's (which come from eigh) in sign and order of equal values."""
    x = matrices(a, "np.linalg.svd", square=False)
    if not compute_uv:
        return wrap(singular_values(x))
    u, s, vh = unpack(prims.bind(Op.SVD, [x], full=bool(full_matrices), vectors=True))
    return npl.SVDResult(wrap(u), wrap(s), wrap(vh))


def svdvals(x, /):
    return wrap(singular_values(matrices(x, "np.linalg.svdvals", square=False)))


def qr(a, mode="reduced"):
    if mode not in ("reduced", "complete", "r"):
        raise fail(NotImplementedError, f"tracer: np.linalg.qr(mode={mode!r}) is not "
                                        "supported; use 'reduced', 'complete' or 'r'")
    x = matrices(a, "np.linalg.qr", square=False)
    q, r = unpack(prims.bind(Op.QR, [x], mode="reduced" if mode == "r" else mode))
    return wrap(r) if mode == "r" else npl.QRResult(wrap(q), wrap(r))


def _cutoff_inverse(s: Node, rcond: Any, atol: float = 0.0) -> Node:
    """1/s where s > atol + rcond * max(s), else 0 (numpy's pinv and lstsq, scipy's pinv)."""
    smax = prims.reduce(Op.REDUCE_MAX, s, (s.ndim - 1,)) if s.shape[-1] else None
    if smax is None:
        return s
    rc = prims.cast(operand(rcond)[0], s.dtype)
    cut = prims.bind(Op.MUL, [prims.broadcast_to(rc, smax.shape), smax])
    if atol:
        cut = prims.bind(Op.ADD, [cut, prims.full(cut.shape, atol, s.dtype)])
    cut = prims.broadcast_to(prims.expand_dims(cut, (s.ndim - 1,)), s.shape)
    large = prims.bind(Op.GT, [s, cut])
    one, zero = prims.full(s.shape, 1, s.dtype), prims.full(s.shape, 0, s.dtype)
    safe = prims.select(large, s, one)
    return prims.select(large, prims.bind(Op.DIV, [one, safe]), zero)


def pinv_nodes(x: Node, rcond: Any, atol: float = 0.0) -> Node:
    m, n = x.shape[-2:]
    if m == 0 or n == 0:
        return prims.full(x.shape[:-2] + (n, m), 0, x.dtype)
    u, s, vh = unpack(prims.bind(Op.SVD, [x], full=False, vectors=True))
    si = _cutoff_inverse(s, rcond, atol)
    scaled = prims.bind(Op.MUL, [prims.broadcast_to(prims.expand_dims(si, (si.ndim,)),
                                                    mT(u).shape), mT(u)])
    return matmul_nodes(mT(vh), scaled)


def pinv(a, rcond=None, hermitian=False, *, rtol=npl._NoValue):
    x = matrices(a, "np.linalg.pinv", square=False)
    if rcond is None:
        rcond = 1e-15 if rtol is npl._NoValue else (
            max(x.shape[-2:]) * np.finfo(x.dtype).eps if rtol is None else rtol)
    elif rtol is not npl._NoValue:
        raise fail(ValueError, "`rtol` and `rcond` can't be both set.")
    return wrap(pinv_nodes(x, rcond))


def lstsq(a, b, rcond=None):
    """numpy's least squares through the SVD: x = pinv(a) b with numpy's cutoff; residuals
    are the squared column norms of b - a x where m > n (numpy leaves them empty when
    a is rank-deficient, which only the data can say: tracer computes them anyway)."""
    x, y = operand(a)[0], operand(b)[0]
    dtype = float_type(x, y, name="np.linalg.lstsq")
    x = matrices(x, "np.linalg.lstsq", square=False, dtype=dtype)
    y = prims.cast(y, dtype)
    if x.ndim != 2 or y.ndim not in (1, 2):
        raise fail(LinAlgError, f"{max(x.ndim, y.ndim)}-dimensional array given. Array must "
                                "be two-dimensional")
    m, n = x.shape
    if y.shape[0] != m:
        raise fail(LinAlgError, "Incompatible dimensions")
    rc = np.finfo(dtype).eps * max(m, n) if rcond is None else rcond
    s = singular_values(x)
    sol = matmul_nodes(pinv_nodes(x, rc), y)
    rank = _rank(s, rc)
    k = y.shape[1:] if y.ndim == 2 else ()
    if m > n:
        r = prims.bind(Op.SUB, [y, matmul_nodes(x, sol)])
        resid = prims.reduce(Op.REDUCE_SUM, prims.bind(Op.MUL, [r, r]), (0,))
        resid = prims.reshape(resid, k if k else (1,))
    else:
        resid = prims.full((0,), 0, dtype)
    return wrap(sol), wrap(resid), wrap(rank), wrap(s)


def _rank(s: Node, rcond: float) -> Node:
    if not s.shape[-1]:
        return prims.full((), 0, np.int32)
    smax = prims.reduce(Op.REDUCE_MAX, s, (0,))
    cut = prims.bind(Op.MUL, [smax, prims.const(np.asarray(rcond, s.dtype))])
    above = prims.bind(Op.GT, [s, prims.broadcast_to(cut, s.shape)])
    return prims.reduce(Op.REDUCE_SUM, prims.cast(above, np.int32), (0,))


def matrix_power(a, n):
    """numpy's algorithm: inverse for n < 0, then binary decomposition of |n|."""
    x = operand(a)[0]
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        matrices(x, "np.linalg.matrix_power")
    try:
        n = operator.index(n)
    except TypeError:
        raise fail(TypeError, "exponent must be an integer") from None
    if n == 0:
        return wrap(eye(x.shape[-1], x.shape, x.dtype))
    if n < 0:
        x = inv(wrap(x)).node
        n = -n
    result, z = None, None
    while n > 0:
        z = x if z is None else matmul_nodes(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul_nodes(result, z)
    return wrap(result)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    return np.linalg.norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    v = operand(x)[0]
    if axis is None:
        out = np.linalg.norm(wrap(prims.reshape(v, (v.type.size,))), ord=ord)
        return wrap(prims.reshape(out.node, (1,) * v.ndim)) if keepdims else out
    return np.linalg.norm(wrap(v), ord=ord, axis=axis, keepdims=keepdims)


def linalg_trace(x, /, *, offset=0, dtype=None):
    return np.trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


FUNCTIONS = {
    np.linalg.solve: solve, np.linalg.inv: inv, np.linalg.cholesky: cholesky,
    np.linalg.slogdet: slogdet, np.linalg.det: det, np.linalg.eigh: eigh,
    np.linalg.eigvalsh: eigvalsh, np.linalg.svd: svd, np.linalg.svdvals: svdvals,
    np.linalg.qr: qr, np.linalg.pinv: pinv, np.linalg.lstsq: lstsq,
    np.linalg.matrix_power: matrix_power, np.linalg.matrix_norm: matrix_norm,
    np.linalg.vector_norm: vector_norm, np.linalg.trace: linalg_trace,
}

# What to write instead of an np.linalg function tracer does not trace (dispatch.py's error)
INSTEAD = {
    np.linalg.eig: "np.linalg.eigh for a symmetric matrix",
    np.linalg.eigvals: "np.linalg.eigvalsh for a symmetric matrix",
    np.linalg.matrix_rank: "np.linalg.svd(a, compute_uv=False) and a count of the values "
                           "above your tolerance",
    np.linalg.cond: "np.linalg.norm(a, 2) * np.linalg.norm(np.linalg.inv(a), 2)",
    np.linalg.tensorsolve: "np.linalg.solve on reshaped operands",
    np.linalg.tensorinv: "np.linalg.inv on a reshaped operand",
}
