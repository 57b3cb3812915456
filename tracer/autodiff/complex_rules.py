"""Derivative rules for complex values and Fourier transforms, JAX's convention.

A complex value's cotangent pairs with its tangent as Re(ct * t), without a
conjugate: VJP rules are plain transposes of the R-linear JVP, so a holomorphic
op's rules are the real ones (ct * f'(z)), and `tr.grad` of a real function of
z = x + iy is df/dx - i df/dy (JAX: grad(lambda z: abs(z)**2)(3+4j) == 6-8j).
Non-holomorphic ops (abs, real, imag, conj) say what they do to each part.
FFT rules follow JAX's lax.fft: a complex transform is its own transpose (the
DFT matrix is symmetric); irfft's is the conjugate of an rfft weighted 1, 2,
..., 2, 1 along the halved axis; rfft's (JAX: the real part of a full FFT of the
zero-padded cotangent) is the same value as an irfft of the conjugate weighted
1, 1/2, ..., 1/2, 1, which is half the work.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..ir import Node, Op
from ..trace import prims
from . import build as b
from .build import MaybeNode, materialize


def _bind(op: Op, x: Node, **attrs) -> Node:
    return prims.bind(op, [x], **attrs)


def to_complex(x: Node, like: Node) -> Node:
    """A real value as a complex one of `like`'s dtype (imaginary part zero)."""
    return prims.cast(x, like.dtype)


def _times_i(x: Node) -> Node:
    """i * x for complex x, exactly: (-im, re)."""
    return prims.bind(Op.COMPLEX, [b.neg(_bind(Op.IMAG, x)), _bind(Op.REAL, x)])


def _abs_direction(x: Node, out: Node) -> Node:
    """conj(x) / |x|, and 0 where x == 0 (JAX divides by |x| made 1 there)."""
    safe = b.select(b.cmp(Op.EQ, out, 0), b.full_like(out, 1), out)
    return b.div(_bind(Op.CONJ, x), to_complex(safe, x))


def abs_jvp(node: Node, ts: Sequence[MaybeNode]) -> MaybeNode:
    x = node.inputs[0]
    return _bind(Op.REAL, b.mul(ts[0], _abs_direction(x, node)))


def abs_vjp(node: Node, ct: Node) -> list[MaybeNode]:
    x = node.inputs[0]
    return [b.mul(to_complex(ct, x), _abs_direction(x, node))]


def _complex_jvp(node: Node, ts: Sequence[MaybeNode]) -> Node:
    re, im = node.inputs
    return prims.bind(Op.COMPLEX, [materialize(ts[0], re), materialize(ts[1], im)])


def _complex_vjp(node: Node, ct: Node) -> list[MaybeNode]:
    return [_bind(Op.REAL, ct), b.neg(_bind(Op.IMAG, ct))]


def _imag_vjp(node: Node, ct: Node) -> list[MaybeNode]:
    """Re(c * t) = ct * Im(t) for c = -i ct."""
    return [b.neg(_times_i(to_complex(ct, node.inputs[0])))]


JVP_RULES = {
    Op.REAL: lambda node, ts: _bind(Op.REAL, ts[0]),
    Op.IMAG: lambda node, ts: _bind(Op.IMAG, ts[0]),
    Op.CONJ: lambda node, ts: _bind(Op.CONJ, ts[0]),
    Op.COMPLEX: _complex_jvp,
}
VJP_RULES = {
    Op.REAL: lambda node, ct: [to_complex(ct, node.inputs[0])],
    Op.IMAG: _imag_vjp,
    Op.CONJ: lambda node, ct: [_bind(Op.CONJ, ct)],
    Op.COMPLEX: _complex_vjp,
}


# -- Fourier transforms ------------------------------------------------------------------
_SWAP_NORM = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _fft_jvp(node: Node, ts: Sequence[MaybeNode]) -> Node:
    return _bind(Op.FFT, ts[0], **dict(node.attrs))


def _half_weights(ct: Node, last: int, n: int, value: float) -> Node:
    """A constant like ct: 1 at the DC term and, for an even n, the Nyquist term of the
    halved axis; `value` between (the terms standing for two Hermitian twins)."""
    m = ct.shape[last]
    weights = np.full(m, value)
    weights[0] = 1
    if n % 2 == 0:
        weights[-1] = 1
    shape = [1] * ct.ndim
    shape[last] = m
    return prims.broadcast_to(prims.const(weights.reshape(shape).astype(ct.dtype)), ct.shape)


def _rfft_transpose(node: Node, ct: Node) -> Node:
    """Re(sum_k ct_k e^{-i theta j k}) is irfft(conj(ct) * w) with w = 1/2 between DC and
    Nyquist (irfft counts those terms twice) and irfft scaled as rfft was: half the work
    of JAX's form (the real part of a full FFT of ct padded with zeros), same values."""
    x, attrs = node.inputs[0], node.attrs
    last = attrs["axes"][-1]
    n = x.shape[last]
    weighted = b.mul(_bind(Op.CONJ, ct), _half_weights(ct, last, n, 0.5))
    return _bind(Op.FFT, weighted, kind="irfft", axes=attrs["axes"],
                 norm=_SWAP_NORM[attrs["norm"]], n=n)


def _irfft_transpose(node: Node, ct: Node) -> Node:
    """conj(w * rfft(ct)), rfft scaled as irfft was; w is 1 at the DC term and, for an
    even length, at the Nyquist term, and 2 between (the Hermitian twins)."""
    attrs = node.attrs
    last, n = attrs["axes"][-1], attrs["n"]
    spectrum = _bind(Op.FFT, ct, kind="rfft", axes=attrs["axes"], norm=_SWAP_NORM[attrs["norm"]])
    return _bind(Op.CONJ, b.mul(spectrum, _half_weights(spectrum, last, n, 2.0)))


def _fft_vjp(node: Node, ct: Node) -> list[MaybeNode]:
    kind = node.attrs["kind"]
    if kind == "rfft":
        return [_rfft_transpose(node, ct)]
    if kind == "irfft":
        return [_irfft_transpose(node, ct)]
    return [_bind(Op.FFT, ct, **dict(node.attrs))]


JVP_RULES[Op.FFT] = _fft_jvp
VJP_RULES[Op.FFT] = _fft_vjp
