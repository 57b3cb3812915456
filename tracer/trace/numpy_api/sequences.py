"""Polynomials and sequences: np.sinc, np.polyval, np.convolve, np.correlate.

Each is numpy's own formula in numpy's order of operations, composed from traced
ufuncs, so dtypes follow numpy and derivatives come from the pieces. polyval gives
numpy's values bit for bit, sinc up to its sine (numpy's SIMD sine and libm's differ by
an ulp). correlate (and convolve, numpy's correlate with v
reversed) sums the shifted products one shift of the shorter sequence at a time: an
elementwise expression over the output that the C backend fuses into one pass, memory
O(len(a) + len(v)); numpy's per-output dot may round its sums in another order (a few
ulps).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import Proxy, operand, wrap


def _proxy(x: Any, ndmin: int = 0) -> Proxy:
    node = operand(x)[0]
    if node.ndim < ndmin:
        node = prims.reshape(node, (1,) * (ndmin - node.ndim) + node.shape)
    return wrap(node)


def sinc(x):
    x = np.pi * _proxy(x)
    eps = np.finfo(x.dtype).eps if x.dtype.kind == "f" else 1e-20
    y = np.where(x != 0, x, eps)
    return np.sin(y) / y


def polyval(p, x):
    p, x = _proxy(p), _proxy(x)
    if p.ndim == 0:
        raise TypeError(at_line("iteration over a 0-d array", user_loc()))
    y = np.zeros_like(x)
    for i in range(p.shape[0]):          # Horner's rule, as numpy's loop over p
        y = y * x + p[i]
    return y


def _full(a: Proxy, v: Proxy, conj: bool) -> Proxy:
    """sum_j a[j + k] * conj(v[j]) for every k with an overlap, len(v) <= len(a)."""
    n, m = a.shape[0], v.shape[0]
    if conj and v.dtype.kind == "c":
        v = np.conj(v)
    pad = np.zeros(m - 1, dtype=a.dtype)
    padded = np.concatenate((pad, a, pad))
    total = padded[0:n + m - 1] * v[0]
    for j in range(1, m):
        total = total + padded[j:j + n + m - 1] * v[j]
    return total


def correlate(a, v, mode="valid"):
    return _correlate(a, v, mode, conj=True)


def _correlate(a, v, mode, conj):
    """numpy's correlate2 (conj: np.correlate) or its old correlate (np.convolve's)."""
    a, v = _proxy(a, 1), _proxy(v, 1)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(at_line("object too deep for desired array", user_loc()))
    n, m = a.shape[0], v.shape[0]
    if n == 0 or m == 0:
        raise ValueError(at_line(f"{'a' if n == 0 else 'v'} cannot be empty", user_loc()))
    if mode not in ("valid", "same", "full"):
        np.correlate(np.ones(1), np.ones(1), mode)       # numpy's own error
    if m <= n:
        full = _full(a, v, conj)
    else:                   # c_av[k] = conj(c_va[-k]): sum over the shorter sequence
        full = _full(v, a, conj)[::-1]
        if conj and full.dtype.kind == "c":
            full = np.conj(full)
    short, long_ = min(n, m), max(n, m)
    if mode == "full":
        return full
    if mode == "valid":
        return full[short - 1:long_]
    start = short - 1 - short // 2 if m <= n else short // 2     # numpy's centring
    return full[start:start + long_]


def convolve(a, v, mode="full"):
    a, v = _proxy(a, 1), _proxy(v, 1)
    if a.shape[0] == 0:
        raise ValueError(at_line("a cannot be empty", user_loc()))
    if v.shape[0] == 0:
        raise ValueError(at_line("v cannot be empty", user_loc()))
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    return _correlate(a, v[::-1], mode, conj=False)


FUNCTIONS = {
    np.sinc: sinc,
    np.polyval: polyval,
    np.convolve: convolve,
    np.correlate: correlate,
}
