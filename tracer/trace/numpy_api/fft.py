"""np.fft on traced values: every transform is one FFT primitive (or, for repeated
axes, numpy's own sequence of one-axis transforms) after numpy's argument handling.

numpy pads or crops the input to the lengths `n`/`s` first; so does this, with
slices and zeros, so that the primitive sees exactly the lengths it transforms.
Result dtypes are numpy's, asked of numpy itself with a two-element probe
(float32 stays single precision, integers become complex128, irfft of float16
is float16). fftshift/ifftshift are np.roll; fftfreq/rfftfreq need nothing here
(numpy computes them with ufuncs, which trace).
"""
from __future__ import annotations

import functools
import operator
import warnings
from typing import Any, Sequence

import numpy as np

from ...ir import Node, Op
from ...ir.dtypes import complex_dtype, real_dtype
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import operand, wrap
from .common import normalize_axis, out_none
from .creation import roll

_NORMS = ("backward", "ortho", "forward")
_SWAP = {"backward": "forward", "ortho": "ortho", "forward": "backward"}
_ONE_AXIS = {"fft": np.fft.fft, "ifft": np.fft.ifft, "rfft": np.fft.rfft, "irfft": np.fft.irfft}


@functools.cache
def _dtypes(kind: str, dtype: np.dtype) -> tuple[np.dtype, np.dtype]:
    """(the primitive's input dtype, numpy's result dtype); numpy's TypeError if none."""
    out = _ONE_AXIS[kind](np.ones(2, dtype), n=2).dtype
    if kind == "rfft":
        return real_dtype(out), out
    if kind == "irfft":
        return complex_dtype(out if out.itemsize >= 4 else np.dtype(np.float32)), out
    return out, out


def _norm(norm: Any) -> str:
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward","ortho" or "forward".')
    return norm


def _points(n: Any) -> int:
    n = operator.index(n)
    if n < 1:
        raise ValueError(at_line(f"Invalid number of FFT data points ({n}) specified.",
                                 user_loc()))
    return n


def _resize(x: Node, axis: int, n: int) -> Node:
    """numpy's crop or zero-pad of axis to length n."""
    size = x.shape[axis]
    if n <= size:
        starts, steps, sizes = [0] * x.ndim, [1] * x.ndim, list(x.shape)
        sizes[axis] = n
        return prims.slice_axes(x, starts, steps, sizes)
    shape = list(x.shape)
    shape[axis] = n - size
    return prims.concatenate([x, prims.full(shape, 0, x.dtype)], axis)


def _one(x: Node, kind: str, axes: Sequence[int], lengths: Sequence[int], norm: str) -> Node:
    """One FFT primitive over distinct `axes` (the real axis last) at `lengths`."""
    work, out = _dtypes(kind, x.dtype)
    x = prims.cast(x, work)
    last = len(axes) - 1
    for i, (axis, n) in enumerate(zip(axes, lengths)):
        x = _resize(x, axis, n // 2 + 1 if kind == "irfft" and i == last else n)
    attrs = {"n": lengths[-1]} if kind == "irfft" else {}
    node = prims.bind(Op.FFT, [x], kind=kind, axes=tuple(axes), norm=norm, **attrs)
    return prims.cast(node, out)


def _transform(kind: str, a: Any, s: Any, axes: Any, norm: Any, one_axis: bool = False) -> Any:
    x = operand(a)[0]
    norm = _norm(norm)
    axes, lengths = _cook(x, kind, s, axes, one_axis)
    if len(set(axes)) == len(axes):
        return wrap(_one(x, kind, axes, lengths, norm))
    # an axis named twice: numpy transforms it twice, one axis at a time, in this order
    c2c = "ifft" if kind in ("ifft", "irfft") else "fft"
    steps = [(c2c, i) for i in range(len(axes) - 1)]
    if kind in ("fft", "ifft"):
        steps = [(kind, i) for i in reversed(range(len(axes)))]
    elif kind == "rfft":
        steps = [("rfft", len(axes) - 1)] + steps[::-1]
    else:
        steps.append(("irfft", len(axes) - 1))
    for step, i in steps:
        x = _one(x, step, [axes[i]], [lengths[i]], norm)
    return wrap(x)


def _cook(x: Node, kind: str, s: Any, axes: Any, one_axis: bool) -> tuple[list[int], list[int]]:
    """numpy's _cook_nd_args: the axes and each one's length (-1 or None: the input's)."""
    if one_axis:
        n, axis = s, axes
        axis = normalize_axis(axis, x.ndim)
        axes, s = [axis], None if n is None else [n]
    elif axes is None:
        if s is not None:
            warnings.warn("`axes` should not be `None` if `s` is not `None` (Deprecated in "
                          "NumPy 2.0). In a future version of NumPy, this will raise an error "
                          "and `s[i]` will correspond to the size along the transformed axis "
                          "specified by `axes[i]`. To retain current behaviour, pass a "
                          "sequence [0, ..., k-1] to `axes` for an array of dimension k.",
                          DeprecationWarning, stacklevel=4)
            axes = list(range(-len(s), 0))
        else:
            axes = list(range(x.ndim))
        axes = [normalize_axis(a, x.ndim) for a in axes]
    else:
        axes = [normalize_axis(a, x.ndim) for a in axes]
    if s is None:
        s = [x.shape[a] for a in axes]
        if kind == "irfft":
            s[-1] = (x.shape[axes[-1]] - 1) * 2
    else:
        s = list(s)
        if len(s) != len(axes):
            raise ValueError("Shape and axes have different lengths.")
        s = [x.shape[a] if n == -1 else n for a, n in zip(axes, s)]
        if kind == "irfft" and one_axis is False and s[-1] is None:
            s[-1] = (x.shape[axes[-1]] - 1) * 2
    return axes, [_points(n) for n in s]


def _one_axis(kind: str):
    def transform(a, n=None, axis=-1, norm=None, out=None):
        out_none(out, f"np.fft.{kind}")
        return _transform(kind, a, n, axis, norm, one_axis=True)
    transform.__name__ = kind
    return transform


def _n_axes(kind: str, default_axes: Any = None):
    def transform(a, s=None, axes=default_axes, norm=None, out=None):
        out_none(out, f"np.fft.{kind}")
        return _transform(kind, a, s, axes, norm)
    return transform


def hfft(a, n=None, axis=-1, norm=None, out=None):
    """numpy: irfft of the conjugate, with the opposite normalization."""
    out_none(out, "np.fft.hfft")
    x = operand(a)[0]
    x = prims.bind(Op.CONJ, [x]) if x.dtype.kind == "c" else x
    return _transform("irfft", wrap(x), n, axis, _SWAP[_norm(norm)], one_axis=True)


def ihfft(a, n=None, axis=-1, norm=None, out=None):
    out_none(out, "np.fft.ihfft")
    y = _transform("rfft", a, n, axis, _SWAP[_norm(norm)], one_axis=True)
    return wrap(prims.bind(Op.CONJ, [y.node]))


def _shift(x: Any, axes: Any, sign: int) -> Any:
    node = operand(x)[0]
    if axes is None:
        axes = tuple(range(node.ndim))
        shift = [sign * (d // 2) for d in node.shape]
    elif isinstance(axes, (int, np.integer)):
        shift = sign * (node.shape[axes] // 2)
    else:
        shift = [sign * (node.shape[a] // 2) for a in axes]
    return roll(wrap(node), shift, axes)


def fftshift(x, axes=None):
    return _shift(x, axes, 1)


def ifftshift(x, axes=None):
    return _shift(x, axes, -1)


FUNCTIONS = {
    np.fft.fft: _one_axis("fft"), np.fft.ifft: _one_axis("ifft"),
    np.fft.rfft: _one_axis("rfft"), np.fft.irfft: _one_axis("irfft"),
    np.fft.fftn: _n_axes("fft"), np.fft.ifftn: _n_axes("ifft"),
    np.fft.rfftn: _n_axes("rfft"), np.fft.irfftn: _n_axes("irfft"),
    np.fft.fft2: _n_axes("fft", (-2, -1)), np.fft.ifft2: _n_axes("ifft", (-2, -1)),
    np.fft.rfft2: _n_axes("rfft", (-2, -1)), np.fft.irfft2: _n_axes("irfft", (-2, -1)),
    np.fft.hfft: hfft, np.fft.ihfft: ihfft,
    np.fft.fftshift: fftshift, np.fft.ifftshift: ifftshift,
}
