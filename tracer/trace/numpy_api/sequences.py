"""Polynomials and sequences: np.sinc, np.polyval, np.convolve, np.correlate, np.gradient.

Each is numpy's own formula in numpy's order of operations, composed from traced
ufuncs, so dtypes follow numpy and derivatives come from the pieces. polyval gives
numpy's values bit for bit, sinc up to its sine (numpy's SIMD sine and libm's differ by
an ulp). correlate (and convolve, numpy's correlate with v
reversed) sums the shifted products one shift of the shorter sequence at a time: an
elementwise expression over the output that the C backend fuses into one pass, memory
O(len(a) + len(v)); numpy's per-output dot may round its sums in another order (a few
ulps). gradient uses numpy's central differences and one-sided edges (edge_order 1 or 2),
with spacings given as scalars or as coordinates (concrete, as numpy's own code needs
them to pick its formulas), piece by piece in numpy's expressions: numpy's values.
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


def _along(f: Proxy, axis: int, start: Any, stop: Any) -> Proxy:
    key = [slice(None)] * f.ndim
    key[axis] = slice(start, stop)
    return f[tuple(key)]


def _spacings(varargs: tuple, f: Proxy, axes: tuple[int, ...]) -> list[Any]:
    """numpy's reading of gradient's spacing arguments: a scalar, or per-axis differences."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return list(varargs) * len(axes)
    if len(varargs) != len(axes):
        raise TypeError(at_line("invalid number of arguments", user_loc()))
    out = []
    for axis, distances in zip(axes, varargs):
        if isinstance(distances, Proxy) and distances.ndim:
            raise TypeError(at_line("np.gradient needs its coordinates concrete (numpy "
                                    "chooses its formulas from them)", user_loc()))
        d = np.asanyarray(distances)
        if d.ndim == 0:
            out.append(distances)
            continue
        if d.ndim != 1:
            raise ValueError(at_line("distances must be either scalars or 1d", user_loc()))
        if len(d) != f.shape[axis]:
            raise ValueError(at_line("when 1d, distances must match the length of the "
                                     "corresponding dimension", user_loc()))
        diff = np.diff(d.astype(np.float64) if d.dtype.kind in "iu" else d)
        out.append(diff[0] if (diff == diff[0]).all() else diff)
    return out


def _gradient_along(f: Proxy, axis: int, dx: Any, edge_order: int) -> Proxy:
    def part(a: Any, start: Any, stop: Any) -> Proxy:
        return _along(f, axis, start, stop) if a is None else a * _along(f, axis, start, stop)

    def shaped(c: Any) -> Any:          # a per-point coefficient along `axis`
        if np.ndim(c) == 0:
            return c
        shape = [1] * f.ndim
        shape[axis] = -1
        return np.reshape(c, shape)
    uniform = np.ndim(dx) == 0
    if uniform:
        inner = (_along(f, axis, 2, None) - _along(f, axis, None, -2)) / (2.0 * dx)
    else:
        dx1, dx2 = dx[0:-1], dx[1:]
        a, b, c = (shaped(-dx2 / (dx1 * (dx1 + dx2))), shaped((dx2 - dx1) / (dx1 * dx2)),
                   shaped(dx1 / (dx2 * (dx1 + dx2))))
        inner = part(a, None, -2) + part(b, 1, -1) + part(c, 2, None)
    if edge_order == 1:
        first = (_along(f, axis, 1, 2) - _along(f, axis, 0, 1)) / (dx if uniform else dx[0])
        last = (_along(f, axis, -1, None) - _along(f, axis, -2, -1)) / (dx if uniform else dx[-1])
    else:
        if uniform:
            a0, b0, c0 = -1.5 / dx, 2.0 / dx, -0.5 / dx
            a1, b1, c1 = 0.5 / dx, -2.0 / dx, 1.5 / dx
        else:
            d1, d2 = dx[0], dx[1]
            a0, b0, c0 = (-(2.0 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2),
                          -d1 / (d2 * (d1 + d2)))
            d1, d2 = dx[-2], dx[-1]
            a1, b1, c1 = (d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2),
                          (2.0 * d2 + d1) / (d2 * (d1 + d2)))
        first = part(a0, 0, 1) + part(b0, 1, 2) + part(c0, 2, 3)
        last = part(a1, -3, -2) + part(b1, -2, -1) + part(c1, -1, None)
    return np.concatenate([first, inner, last], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=1):
    f = _proxy(f)
    axes = tuple(range(f.ndim)) if axis is None else \
        np.lib.array_utils.normalize_axis_tuple(axis, f.ndim)
    spacings = _spacings(varargs, f, axes)
    if edge_order > 2:
        raise ValueError(at_line("'edge_order' greater than 2 not supported", user_loc()))
    otype = f.dtype
    if otype.kind not in "fc":
        if otype.kind in "iu":
            f = f.astype(np.float64)
        otype = np.dtype(np.float64)
    outs = []
    for axis_, dx in zip(axes, spacings):
        if f.shape[axis_] < edge_order + 1:
            raise ValueError(at_line(
                "Shape of array too small to calculate a numerical gradient, at least "
                "(edge_order + 1) elements are required.", user_loc()))
        outs.append(_gradient_along(f, axis_, dx, edge_order).astype(otype))
    return outs[0] if len(outs) == 1 else tuple(outs)


FUNCTIONS = {
    np.gradient: gradient,
    np.sinc: sinc,
    np.polyval: polyval,
    np.convolve: convolve,
    np.correlate: correlate,
}
