"""scipy.linalg on traced values: solve_triangular, cholesky, cho_factor, cho_solve, expm,
solve, inv, det, eigh, svd, qr, norm, pinv.

scipy.linalg's functions call np.asarray first, so NEP 18 never sees a traced
argument. As for scipy.special.logsumexp (scipy_special.py), tracer puts a thin
wrapper in their place in scipy.linalg and in the private module that defines each,
once, when tracer is imported: plain arrays go straight to scipy's own function,
traced ones to the implementations here, which build the same primitives as
np.linalg (linalg_decomp.py). A name bound by `from scipy.linalg import cho_solve`
before tracer was imported still holds scipy's own function (which then asks for
concrete data); import tracer first, or write scipy.linalg.cho_solve.

cho_factor returns what scipy's does: the factor in one triangle and the input's
own entries in the other (LAPACK leaves them), with the flag `lower`.
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..proxy import operand, wrap
from .common import install_wrappers
from .linalg_decomp import det as np_det
from .linalg_decomp import fail, float_type, matrices, mT, pinv_nodes, solve_nodes, unpack
from .linalg_decomp import inv as np_inv

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def _operands(a: Any, b: Any, name: str) -> tuple[Node, Node]:
    x, y = operand(a)[0], operand(b)[0]
    dtype = float_type(x, y, name=name)
    return matrices(x, name, dtype=dtype), prims.cast(y, dtype)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    if trans not in _TRANS:
        raise fail(ValueError, "Invalid value for 'trans'")
    x, y = _operands(a, b, "scipy.linalg.solve_triangular")
    return wrap(solve_nodes(x, y, Op.TRIANGULAR_SOLVE, lower=bool(lower),
                            transpose=_TRANS[trans], unit=bool(unit_diagonal)))


def _cholesky(x: Node, lower: bool) -> Node:
    if lower:
        return prims.bind(Op.CHOLESKY, [x])
    return mT(prims.bind(Op.CHOLESKY, [mT(x)]))     # reads the upper triangle


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    return wrap(_cholesky(matrices(a, "scipy.linalg.cholesky"), bool(lower)))


def _triangle_mask(n: int, lower: bool, shape: tuple[int, ...]) -> Node:
    mask = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    return prims.broadcast_to(prims.const(mask), shape)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    x = matrices(a, "scipy.linalg.cho_factor")
    factor = _cholesky(x, bool(lower))
    c = prims.select(_triangle_mask(x.shape[-1], bool(lower), x.shape), factor, x)
    return wrap(c), bool(lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    try:
        c, lower = c_and_lower
    except (TypeError, ValueError):
        raise fail(TypeError, "scipy.linalg.cho_solve: c_and_lower must be the (c, lower) "
                              "pair cho_factor returns") from None
    x, y = _operands(c, b, "scipy.linalg.cho_solve")
    lower = bool(lower)
    # a = L L^T (lower) or U^T U (upper): two triangular solves
    first = solve_nodes(x, y, Op.TRIANGULAR_SOLVE, lower=lower, transpose=not lower, unit=False)
    return wrap(solve_nodes(x, first, Op.TRIANGULAR_SOLVE, lower=lower, transpose=lower,
                            unit=False))


def expm(A):
    return wrap(prims.bind(Op.EXPM, [matrices(A, "scipy.linalg.expm")]))


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """Every assume_a runs the general LU solve (equal to rounding), except the
    triangular ones, which solve with the triangle only, as scipy does."""
    x, y = _operands(a, b, "scipy.linalg.solve")
    if transposed:
        x = mT(x)
    if assume_a in ("lower triangular", "upper triangular"):
        return wrap(solve_nodes(x, y, Op.TRIANGULAR_SOLVE, lower=assume_a.startswith("lower"),
                                transpose=False, unit=False))
    return wrap(solve_nodes(x, y))


def inv(a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False):
    return np_inv(a)


def det(a, overwrite_a=False, check_finite=True):
    return np_det(a)


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    if b is not None or subset_by_index is not None or subset_by_value is not None:
        raise fail(NotImplementedError, "tracer: scipy.linalg.eigh of a generalized problem "
                                        "(b=) or a subset is not supported; use "
                                        "np.linalg.eigh")
    x = matrices(a, "scipy.linalg.eigh")
    node = prims.bind(Op.EIGH, [x], lower=bool(lower), vectors=not eigvals_only)
    if eigvals_only:
        return wrap(node)
    w, v = unpack(node)
    return wrap(w), wrap(v)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    x = matrices(a, "scipy.linalg.svd", square=False)
    if not compute_uv:
        return wrap(prims.bind(Op.SVD, [x], full=False, vectors=False))
    u, s, vh = unpack(prims.bind(Op.SVD, [x], full=bool(full_matrices), vectors=True))
    return wrap(u), wrap(s), wrap(vh)


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    modes = {"full": "complete", "economic": "reduced", "r": "complete"}
    if mode not in modes or pivoting:
        raise fail(NotImplementedError, f"tracer: scipy.linalg.qr(mode={mode!r}, pivoting="
                                        f"{pivoting}) is not supported; use mode='full', "
                                        "'economic' or 'r' without pivoting")
    x = matrices(a, "scipy.linalg.qr", square=False)
    q, r = unpack(prims.bind(Op.QR, [x], mode=modes[mode]))
    return (wrap(r),) if mode == "r" else (wrap(q), wrap(r))


def pinv(a, *, atol=None, rtol=None, return_rank=False, check_finite=True):
    """scipy's cutoff: singular values above atol + rtol * max(s) are inverted."""
    x = matrices(a, "scipy.linalg.pinv", square=False)
    atol = 0.0 if atol is None else float(atol)
    rtol = max(x.shape[-2:]) * np.finfo(x.dtype).eps if rtol is None else rtol
    if atol < 0 or np.any(np.asarray(rtol) < 0):
        raise fail(ValueError, "atol and rtol values must be positive.")
    out = wrap(pinv_nodes(x, rtol, atol))
    if not return_rank:
        return out
    s = prims.bind(Op.SVD, [x], full=False, vectors=False)
    cut = prims.bind(Op.ADD, [prims.full((), atol, x.dtype), prims.bind(Op.MUL, [
        prims.full((), rtol, x.dtype), prims.reduce(Op.REDUCE_MAX, s, (s.ndim - 1,))])])
    above = prims.bind(Op.GT, [s, prims.broadcast_to(cut, s.shape)])
    return out, wrap(prims.reduce(Op.REDUCE_SUM, prims.cast(above, np.int64), (s.ndim - 1,)))


def norm(a, ord=None, axis=None, keepdims=False, check_finite=True):
    return np.linalg.norm(a, ord=ord, axis=axis, keepdims=keepdims)


TRACED = {"solve_triangular": solve_triangular, "cholesky": cholesky,
          "cho_factor": cho_factor, "cho_solve": cho_solve, "expm": expm, "solve": solve,
          "inv": inv, "det": det, "eigh": eigh, "svd": svd, "qr": qr, "norm": norm, "pinv": pinv}


def install() -> None:
    """Put the wrappers in scipy.linalg and the modules that define its functions (once)."""
    linalg = sys.modules.get("scipy.linalg")
    if linalg is None:
        import scipy.linalg as linalg
    install_wrappers(linalg, TRACED)
