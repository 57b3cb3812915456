"""Linear algebra ops in numpy/scipy: the reference meaning of ir.ops.LINALG.

Each runs numpy's batched gufunc over the leading axes (one LAPACK call per matrix
inside numpy, no Python loop), except where only scipy has the routine: a 2-d
triangular solve is scipy's (O(n^2 k)); a batched one is numpy's LU solve of the
triangle (numpy has no batched trsm); expm is scipy's (which walks a batch itself); a
2-d Cholesky factor is scipy's.
Results with several parts are packed along one last axis (ir.ops.packed_parts).
Errors are numpy's: LinAlgError for singular or non-positive-definite input.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import scipy.linalg

from ...ir import Op


def pack(*parts: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
    """Parts (batch + core shapes) flattened and joined along a last axis."""
    flat = [np.reshape(p, batch + (int(np.prod(p.shape[len(batch):])),)) for p in parts]
    return np.concatenate(flat, axis=-1)


def _cholesky(attrs: Mapping[str, Any], a: np.ndarray) -> np.ndarray:
    """A 2-d factor is scipy's potrf (2-5x faster than numpy's gufunc at 512, which copies
    and cleans per matrix); its error keeps numpy's words."""
    if a.ndim != 2 or a.size == 0:
        return np.linalg.cholesky(a)
    try:
        return scipy.linalg.cholesky(a, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError("Matrix is not positive definite") from None


def _triangle(a: np.ndarray, lower: bool, unit: bool) -> np.ndarray:
    t = np.tril(a) if lower else np.triu(a)
    if unit:
        t = np.array(t, copy=True)
        idx = np.arange(a.shape[-1])
        t[..., idx, idx] = 1
    return t


# a batch of triangles up to this size is solved by substitution, one vectorized step per
# row (1000 8x8 solves: ~0.1 ms against ~0.6 for numpy's LU solve); larger ones by LU
SUBSTITUTION_MAX_N = 32


def _triangular_solve(attrs: Mapping[str, Any], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lower, trans, unit = attrs["lower"], attrs["transpose"], attrs["unit"]
    if a.ndim == 2:
        return scipy.linalg.solve_triangular(a, b, trans=int(trans), lower=lower,
                                             unit_diagonal=unit, check_finite=False)
    t = _triangle(a, lower, unit)
    m = np.swapaxes(t, -1, -2) if trans else t
    if a.shape[-1] > SUBSTITUTION_MAX_N or b.size == 0:
        return np.linalg.solve(m, b)
    return _substitute(m, b, lower != trans, unit)


def _substitute(m: np.ndarray, b: np.ndarray, lower: bool, unit: bool) -> np.ndarray:
    """m x = b for triangular m (lower: forward substitution), row by row over the batch."""
    n = m.shape[-1]
    diag = np.diagonal(m, axis1=-2, axis2=-1)
    if not unit and not np.all(diag):
        first = int(np.argmin(np.all(diag != 0, axis=tuple(range(diag.ndim - 1)))))
        raise np.linalg.LinAlgError(f"singular matrix: resolution failed at diagonal {first}")
    x = np.empty(np.broadcast_shapes(m.shape[:-2], b.shape[:-2]) + b.shape[-2:], b.dtype)
    for i in (range(n) if lower else range(n - 1, -1, -1)):
        done = slice(0, i) if lower else slice(i + 1, n)
        row = b[..., i, :] - (m[..., i:i + 1, done] @ x[..., done, :])[..., 0, :]
        x[..., i, :] = row if unit else row / diag[..., i, None]
    return x


def _solve(attrs: Mapping[str, Any], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.solve(a, b)


def _slogdet(attrs: Mapping[str, Any], a: np.ndarray) -> np.ndarray:
    sign, logdet = np.linalg.slogdet(a)
    return np.stack([sign, logdet], axis=-1).astype(a.dtype, copy=False)


def _eigh(attrs: Mapping[str, Any], a: np.ndarray) -> np.ndarray:
    uplo = "L" if attrs["lower"] else "U"
    if not attrs["vectors"]:
        return np.linalg.eigvalsh(a, UPLO=uplo)
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return pack(w, v, batch=a.shape[:-2])


def _svd(attrs: Mapping[str, Any], a: np.ndarray) -> np.ndarray:
    if not attrs["vectors"]:
        return np.linalg.svd(a, compute_uv=False)
    u, s, vh = np.linalg.svd(a, full_matrices=attrs["full"])
    return pack(u, s, vh, batch=a.shape[:-2])


def _qr(attrs: Mapping[str, Any], a: np.ndarray) -> np.ndarray:
    q, r = np.linalg.qr(a, mode=attrs["mode"])
    return pack(q, r, batch=a.shape[:-2])


def _expm(attrs: Mapping[str, Any], a: np.ndarray) -> np.ndarray:
    if a.size == 0:
        return np.zeros(a.shape, a.dtype)
    return np.asarray(scipy.linalg.expm(a), dtype=a.dtype)


LINALG_IMPLS = {
    Op.CHOLESKY: _cholesky, Op.TRIANGULAR_SOLVE: _triangular_solve, Op.SOLVE: _solve,
    Op.SLOGDET: _slogdet, Op.EIGH: _eigh, Op.SVD: _svd, Op.QR: _qr, Op.EXPM: _expm,
}
