"""Derivative rules of the linear algebra ops (ir.ops.LINALG), batched over leading axes.

Each rule is written with the linalg ops themselves plus matmul, masks and sums, so
every derivative can be differentiated again. The formulas are the usual ones (Giles,
"An extended collection of matrix derivative results", 2008; Murray 2016 for
Cholesky; JAX's linalg rules for eigh, svd and qr), with one choice of ours: an op
that reads one triangle of its input (cholesky, eigh, triangular_solve) gets the
derivative of exactly what numpy computes, so the other triangle's cotangent is zero
and a finite difference in any single entry agrees. For a symmetric matrix built
from parameters the parameters' gradients are the same as with JAX's symmetrized
convention.

At degenerate points the derivative is what the formula gives: repeated eigenvalues
or singular values make eigh's and svd's vector derivatives inf/NaN (as JAX); the
derivatives of solve, inv, det and slogdet solve with the matrix itself, so at an
exactly singular matrix they raise numpy's LinAlgError (JAX's LU-based rules give
inf/NaN there; the adjugate would give det a finite one). svd with full_matrices of a
non-square matrix and qr of a wide matrix (or complete mode of a tall one) have no
unique derivative and raise NotImplementedError, as in JAX.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..ir import Node, Op
from ..ir.ops import packed_parts
from ..trace import prims
from . import build as b
from .build import MaybeNode, materialize


# -- matrices in the last two axes ----------------------------------------------
def mT(x: Node) -> Node:
    nd = x.ndim
    return prims.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def mm(x: Node, y: Node) -> Node:
    """Batched matrix product (..., m, k) @ (..., k, n)."""
    batch = tuple(range(x.ndim - 2))
    return prims.dot_general(x, y, ((x.ndim - 1,), (y.ndim - 2,)), (batch, batch))


def _const_like(value: np.ndarray, shape: Sequence[int], dtype) -> Node:
    return prims.broadcast_to(prims.const(value.astype(dtype)), tuple(shape))


def tri(x: MaybeNode, lower: bool, diag: float = 1.0) -> MaybeNode:
    """x's lower (upper) triangle, its diagonal times `diag` (0: strictly)."""
    if x is None:
        return None
    n = x.shape[-1]
    mask = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    mask[np.arange(n), np.arange(n)] = diag
    return b.mul(x, _const_like(mask, x.shape, x.dtype))


def eye_like(x: Node) -> Node:
    return _const_like(np.eye(x.shape[-1]), x.shape, x.dtype)


def diag(x: Node) -> Node:
    """(..., n, n) -> (..., n)."""
    return b.sum_axes(b.mul(x, eye_like(x)), [x.ndim - 1])


def rows(v: Node, n: int) -> Node:
    """(..., k) -> (..., n, k): v repeated down n rows."""
    return prims.broadcast_to(prims.expand_dims(v, [v.ndim - 1]), v.shape[:-1] + (n, v.shape[-1]))


def cols(v: Node, n: int) -> Node:
    """(..., k) -> (..., k, n): v repeated across n columns."""
    return prims.broadcast_to(prims.expand_dims(v, [v.ndim]), v.shape + (n,))


def sym_from(x: MaybeNode, lower: bool) -> MaybeNode:
    """The symmetric matrix a routine reading x's lower (upper) triangle sees."""
    return b.add(tri(x, lower), mT(tri(x, lower, 0.0))) if x is not None else None


def sym_from_t(p: Node, lower: bool) -> Node:
    """The transpose of `sym_from`: a cotangent on the symmetric matrix onto the triangle."""
    return tri(b.add(p, mT(p)), lower, 0.5)


def gap_inverse(w: Node) -> Node:
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = w.shape[-1]
    gaps = b.sub(rows(w, n), cols(w, n))
    eye = eye_like(gaps)
    return b.mul(b.div(b.full_like(gaps, 1.0), b.add(gaps, eye)), b.sub(b.full_like(eye, 1.0), eye))


def solve(a: Node, x: Node) -> Node:
    return prims.bind(Op.SOLVE, [a, x])


def trisolve(a: Node, x: Node, lower: bool, transpose: bool = False, unit: bool = False) -> Node:
    return prims.bind(Op.TRIANGULAR_SOLVE, [a, x], lower=lower, transpose=transpose, unit=unit)


# -- packed results ---------------------------------------------------------------
def unpack(node: Node, x: Node) -> list[Node]:
    """x (of node's packed type) split into its parts' shapes (ir.ops.packed_parts)."""
    parts = packed_parts(node.op, node.attrs, node.inputs[0].type)
    if len(parts) == 1:
        return [x]
    batch, out, offset = x.shape[:-1], [], 0
    for shape in parts:
        size = int(np.prod(shape))
        out.append(prims.reshape(b.slice_along(x, x.ndim - 1, offset, size), batch + shape))
        offset += size
    return out


def pack(node: Node, parts: Sequence[MaybeNode]) -> MaybeNode:
    """The packed tangent of `node` from its parts' tangents (None: zero)."""
    if all(p is None for p in parts):
        return None
    if len(parts) == 1:
        return parts[0]
    like = unpack(node, node)
    batch = node.shape[:-1]
    flat = [prims.reshape(materialize(p, q), batch + (int(np.prod(q.shape[len(batch):])),))
            for p, q in zip(parts, like)]
    return prims.concatenate(flat, node.ndim - 1)


def full_node(node: Node, **attrs) -> Node:
    """The same op on the same input with some attributes changed (eigvalsh -> eigh)."""
    return prims.bind(node.op, list(node.inputs), **{**node.attrs, **attrs})


# -- cholesky, solves, slogdet, expm ----------------------------------------------
def _cholesky_jvp(node, ts):
    lo = node
    y = trisolve(lo, sym_from(ts[0], True), True)               # L^-1 dX
    m = mT(trisolve(lo, mT(y), True))                            # L^-1 dX L^-T
    return mm(lo, tri(m, True, 0.5))


def _cholesky_vjp(node, ct):
    lo = node
    z = trisolve(lo, tri(mm(mT(lo), ct), True, 0.5), True, transpose=True)
    p = mT(trisolve(lo, mT(z), True, transpose=True))          # L^-T phi(L^T ct) L^-1
    return [sym_from_t(p, True)]


def _triangle(node: Node, x: MaybeNode) -> MaybeNode:
    return tri(x, node.attrs["lower"], 0.0 if node.attrs["unit"] else 1.0)


def _triangular_solve_jvp(node, ts):
    a, _ = node.inputs
    lower, trans, unit = node.attrs["lower"], node.attrs["transpose"], node.attrs["unit"]
    da = _triangle(node, ts[0])
    rhs = b.sub(ts[1], mm(mT(da) if trans else da, node) if da is not None else None)
    return trisolve(a, rhs, lower, trans, unit) if rhs is not None else None


def _triangular_solve_vjp(node, ct):
    a, _ = node.inputs
    lower, trans, unit = node.attrs["lower"], node.attrs["transpose"], node.attrs["unit"]
    cb = trisolve(a, ct, lower, not trans, unit)
    ca = b.neg(mm(node, mT(cb)) if trans else mm(cb, mT(node)))
    return [_triangle(node, ca), cb]


def _solve_jvp(node, ts):
    a, _ = node.inputs
    rhs = b.sub(ts[1], mm(ts[0], node) if ts[0] is not None else None)
    return solve(a, rhs) if rhs is not None else None


def _solve_vjp(node, ct):
    cb = solve(mT(node.inputs[0]), ct)
    return [b.neg(mm(cb, mT(node))), cb]


def _slogdet_jvp(node, ts):
    a = node.inputs[0]
    return pack(node, [None, diag_sum(solve(a, ts[0]))])


def diag_sum(x: Node) -> Node:
    return b.sum_axes(diag(x), [x.ndim - 2])


def _slogdet_vjp(node, ct):
    a = node.inputs[0]
    _, cl = unpack(node, ct)
    n = a.shape[-1]
    inv_t = solve(mT(a), eye_like(a))
    return [b.mul(inv_t, prims.broadcast_to(prims.expand_dims(cl, [cl.ndim, cl.ndim + 1]),
                                            cl.shape + (n, n)))]


def _expm_block(a: Node, e: Node) -> Node:
    """expm([[a, e], [0, a]])[:n, n:]: the Frechet derivative of expm at a along e."""
    n, last = a.shape[-1], a.ndim - 1
    top = prims.concatenate([a, e], last)
    bottom = prims.concatenate([b.zeros_like(a), a], last)
    big = prims.bind(Op.EXPM, [prims.concatenate([top, bottom], last - 1)])
    corner = b.slice_along(b.slice_along(big, last - 1, 0, n), last, n, n)
    return corner


def _expm_jvp(node, ts):
    return _expm_block(node.inputs[0], ts[0])


def _expm_vjp(node, ct):
    """The adjoint of the Frechet derivative at a is the derivative at a^T."""
    return [_expm_block(mT(node.inputs[0]), ct)]


# -- eigh ---------------------------------------------------------------------------
def _eigh_jvp(node, ts):
    full = node if node.attrs["vectors"] else full_node(node, vectors=True)
    w, v = unpack(full, full)
    m = mm(mT(v), mm(sym_from(ts[0], node.attrs["lower"]), v))       # V^T dX V
    dw = diag(m)
    if not node.attrs["vectors"]:
        return dw
    return pack(node, [dw, mm(v, b.mul(gap_inverse(w), m))])


def _eigh_vjp(node, ct):
    full = node if node.attrs["vectors"] else full_node(node, vectors=True)
    w, v = unpack(full, full)
    cw, cv = unpack(node, ct) if node.attrs["vectors"] else (ct, None)
    inner = b.add(b.mul(eye_like(v), rows(cw, w.shape[-1])),
                  b.mul(gap_inverse(w), mm(mT(v), cv)) if cv is not None else None)
    return [sym_from_t(mm(v, mm(inner, mT(v))), node.attrs["lower"])]


# -- svd --------------------------------------------------------------------------------
def _svd_parts(node: Node):
    """(U, s, V, F) of node's thin factorization, F[i, j] = 1 / (s_j^2 - s_i^2)."""
    m, n = node.inputs[0].shape[-2:]
    if node.attrs["full"] and m != n and node.attrs["vectors"]:
        raise NotImplementedError("the derivative of np.linalg.svd(full_matrices=True) of a "
                                  "non-square matrix is not unique; use full_matrices=False")
    thin = full_node(node, vectors=True, full=False) if not node.attrs["vectors"] or \
        node.attrs["full"] else node
    u, s, vh = unpack(thin, thin)
    return u, s, mT(vh), gap_inverse(b.square(s))


def _svd_jvp(node, ts):
    u, s, v, f = _svd_parts(node)
    da = ts[0]
    (m, n), k = node.inputs[0].shape[-2:], s.shape[-1]
    dp = mm(mT(u), mm(da, v))
    ds = diag(dp)
    if not node.attrs["vectors"]:
        return ds
    dss = b.mul(dp, rows(s, k))
    sds = b.mul(cols(s, k), dp)
    du = mm(u, b.mul(f, b.add(dss, mT(dss))))
    dv = mm(v, b.mul(f, b.add(sds, mT(sds))))
    if m > n:
        dav = mm(da, v)
        du = b.add(du, b.div(b.sub(dav, mm(u, mm(mT(u), dav))), rows(s, m)))
    if n > m:
        dau = mm(mT(da), u)
        dv = b.add(dv, b.div(b.sub(dau, mm(v, mm(mT(v), dau))), rows(s, n)))
    return pack(node, [du, ds, mT(dv)])


def _svd_vjp(node, ct):
    u, s, v, f = _svd_parts(node)
    (m, n), k = node.inputs[0].shape[-2:], s.shape[-1]
    if not node.attrs["vectors"]:
        return [mm(u, mm(b.mul(eye_like(f), rows(ct, k)), mT(v)))]
    cu, cs, cvh = unpack(node, ct)
    cv = mT(cvh)
    j = b.mul(f, mm(mT(u), cu))
    kk = b.mul(f, mm(mT(v), cv))
    inner = b.add_all([b.mul(eye_like(f), rows(cs, k)), b.mul(b.add(j, mT(j)), rows(s, k)),
                       b.mul(cols(s, k), b.add(kk, mT(kk)))])
    grad = mm(u, mm(inner, mT(v)))
    if m > n:
        side = b.div(b.sub(cu, mm(u, mm(mT(u), cu))), rows(s, m))
        grad = b.add(grad, mm(side, mT(v)))
    if n > m:
        side = b.div(b.sub(cv, mm(v, mm(mT(v), cv))), rows(s, n))
        grad = b.add(grad, mm(u, mT(side)))
    return [grad]


# -- qr ---------------------------------------------------------------------------------
def _qr_parts(node: Node):
    m, n = node.inputs[0].shape[-2:]
    if m < n or (node.attrs["mode"] == "complete" and m != n):
        raise NotImplementedError("the derivative of np.linalg.qr is defined for tall or "
                                  "square matrices in mode='reduced' (and square in 'complete')")
    return unpack(node, node)


def _skew_lower(x: Node) -> Node:
    low = tri(x, True, 0.0)
    return b.sub(low, mT(low))


def _qr_jvp(node, ts):
    q, r = _qr_parts(node)
    c = mT(trisolve(r, mT(ts[0]), False, transpose=True))           # dA R^-1
    qt = mm(mT(q), c)
    do = _skew_lower(qt)
    return pack(node, [b.add(mm(q, b.sub(do, qt)), c), mm(b.sub(qt, do), r)])


def _qr_vjp(node, ct):
    q, r = _qr_parts(node)
    cq, cr = unpack(node, ct)
    g = b.sub(mm(mT(q), cq), mm(cr, mT(r)))
    cqt = b.sub(tri(b.sub(g, mT(g)), True, 0.0), g)
    cc = b.add(cq, mm(q, cqt))
    return [mT(trisolve(r, mT(cc), False))]                           # C_bar R^-T


JVP_RULES = {
    Op.CHOLESKY: _cholesky_jvp, Op.TRIANGULAR_SOLVE: _triangular_solve_jvp,
    Op.SOLVE: _solve_jvp, Op.SLOGDET: _slogdet_jvp, Op.EIGH: _eigh_jvp, Op.SVD: _svd_jvp,
    Op.QR: _qr_jvp, Op.EXPM: _expm_jvp,
}
VJP_RULES = {
    Op.CHOLESKY: _cholesky_vjp, Op.TRIANGULAR_SOLVE: _triangular_solve_vjp,
    Op.SOLVE: _solve_vjp, Op.SLOGDET: _slogdet_vjp, Op.EIGH: _eigh_vjp, Op.SVD: _svd_vjp,
    Op.QR: _qr_vjp, Op.EXPM: _expm_vjp,
}
