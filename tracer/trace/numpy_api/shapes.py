"""Layout functions: reshape transpose swapaxes moveaxis expand_dims squeeze
ravel broadcast_to concatenate stack (more are composed in helpers' modules)."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ...ir import Node
from .. import prims
from ..proxy import operand, wrap
from ..views import transposed
from .common import normalize_axes, normalize_axis, result_dtype, strong_dtype


def _shape_arg(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def resolve_reshape(size: int, shape: Sequence[int]) -> tuple[int, ...]:
    """numpy's -1 inference and size check, with numpy's wording."""
    shape = list(shape)
    unknown = [i for i, d in enumerate(shape) if d < 0]  # numpy: any negative is unknown
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension")
    known = math.prod(d for d in shape if d >= 0)
    text = ",".join("newaxis" if d < 0 else str(d) for d in shape)
    text = f"({text},)" if len(shape) == 1 else f"({text})"
    bad = ValueError(f"cannot reshape array of size {size} into shape {text}")
    if unknown:
        if known == 0 or size % known:
            raise bad
        shape[unknown[0]] = size // known
    if math.prod(shape) != size:
        raise bad
    return tuple(shape)


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order not in ("C", "A"):
        raise NotImplementedError("tracer supports only order='C' reshapes")
    x = operand(a)[0]
    target = _shape_arg(shape if shape is not None else newshape)
    return wrap(prims.reshape(x, resolve_reshape(x.type.size, target)))


def ravel(a, order="C"):
    return reshape(a, -1, order)


def transpose(a, axes=None):
    x = operand(a)[0]
    if axes is None:
        perm = tuple(reversed(range(x.ndim)))
    else:
        if len(axes) != x.ndim:
            raise ValueError("axes don't match array")
        perm = tuple(normalize_axis(p, x.ndim) for p in axes)
        if len(set(perm)) != len(perm):
            raise ValueError("repeated axis in transpose")
    return transposed(a, x, perm)


def swapaxes(a, axis1, axis2):
    x = operand(a)[0]
    i, j = normalize_axis(axis1, x.ndim), normalize_axis(axis2, x.ndim)
    perm = list(range(x.ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return transposed(a, x, tuple(perm))


def moveaxis(a, source, destination):
    x = operand(a)[0]
    src = [normalize_axis(s, x.ndim) for s in np.atleast_1d(source)]
    dst = [normalize_axis(d, x.ndim) for d in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number of elements")
    order = [n for n in range(x.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transposed(a, x, tuple(order))


def expand_dims(a, axis):
    x = operand(a)[0]
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out_ndim = x.ndim + len(axes)
    norm = normalize_axes(tuple(axes), out_ndim)
    return wrap(prims.expand_dims(x, norm))


def squeeze(a, axis=None):
    x = operand(a)[0]
    if axis is None:
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = normalize_axes(axis, x.ndim)
        if any(x.shape[i] != 1 for i in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return wrap(prims.squeeze_axes(x, axes))


def broadcast_to(array, shape, subok=False):
    x = operand(array)[0]
    shape = _shape_arg(shape)
    try:
        np.broadcast_shapes(x.shape, shape)
        ok = len(shape) >= x.ndim and np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"operands could not be broadcast together with remapped shapes "
                         f"[original->remapped]: {x.shape} and requested shape {shape}")
    return wrap(prims.broadcast_to(x, shape))


def _promoted(arrays: Sequence[Any], dtype: Any = None) -> list[Node]:
    dt = strong_dtype(*arrays) if dtype is None else np.dtype(dtype)
    return [prims.cast(operand(a)[0], dt) for a in arrays]


def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    if out is not None:
        raise TypeError("concatenate: out= is not supported on traced values")
    nodes = _promoted(list(arrays), dtype)
    if not nodes:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        nodes = [prims.reshape(n, [n.type.size]) for n in nodes]
        axis = 0
    ndim = nodes[0].ndim
    if ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    for i, n in enumerate(nodes):
        if n.ndim != ndim:
            raise ValueError(
                "all the input array dimensions except for the concatenation axis must match "
                f"exactly, but along dimension 0, the array at index 0 has {ndim} dimension(s) "
                f"and the array at index {i} has {n.ndim} dimension(s)")
    ax = normalize_axis(axis, ndim)
    for i, n in enumerate(nodes):
        for d in range(ndim):
            if d != ax and n.shape[d] != nodes[0].shape[d]:
                raise ValueError(
                    "all the input array dimensions except for the concatenation axis must "
                    f"match exactly, but along dimension {d}, the array at index 0 has size "
                    f"{nodes[0].shape[d]} and the array at index {i} has size {n.shape[d]}")
    nodes = [n for n in nodes if n.shape[ax] != 0] or nodes[:1]
    return wrap(prims.concatenate(nodes, ax))


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    if out is not None:
        raise TypeError("stack: out= is not supported on traced values")
    nodes = _promoted(list(arrays), dtype)
    if not nodes:
        raise ValueError("need at least one array to stack")
    if len({n.shape for n in nodes}) != 1:
        raise ValueError("all input arrays must have the same shape")
    ax = normalize_axis(axis, nodes[0].ndim + 1)
    return wrap(prims.concatenate([prims.expand_dims(n, [ax]) for n in nodes], ax))


def shape(a):
    """Static facts: a traced value's shape, ndim and size are Python ints."""
    return operand(a)[0].shape


def ndim(a):
    return operand(a)[0].ndim


def size(a, axis=None):
    x = operand(a)[0]
    if axis is None:
        return x.type.size
    return x.shape[normalize_axis(axis, x.ndim)]


def result_type(*arrays_and_dtypes):
    return result_dtype(*arrays_and_dtypes)


def broadcast_arrays(*args, subok=False):
    nodes = [operand(a)[0] for a in args]
    target = np.broadcast_shapes(*[n.shape for n in nodes])
    return tuple(wrap(prims.broadcast_to(n, target)) for n in nodes)


def rollaxis(a, axis, start=0):
    x = operand(a)[0]
    axis = normalize_axis(axis, x.ndim)
    given = start
    start = start + x.ndim if start < 0 else start
    if not 0 <= start < x.ndim + 1:
        raise np.exceptions.AxisError(f"'start' arg requires {-x.ndim} <= start < "
                                      f"{x.ndim + 1}, but {given} was passed in")
    if axis < start:
        start -= 1
    if axis == start:
        return wrap(x)
    order = [i for i in range(x.ndim) if i != axis]
    order.insert(start, axis)
    return wrap(prims.transpose(x, order))


FUNCTIONS = {
    np.shape: shape,
    np.ndim: ndim,
    np.size: size,
    np.result_type: result_type,
    np.broadcast_arrays: broadcast_arrays,
    np.rollaxis: rollaxis,
    np.reshape: reshape,
    np.ravel: ravel,
    np.transpose: transpose,
    np.swapaxes: swapaxes,
    np.moveaxis: moveaxis,
    np.expand_dims: expand_dims,
    np.squeeze: squeeze,
    np.broadcast_to: broadcast_to,
    np.concatenate: concatenate,
    np.stack: stack,
}
