"""x[key] and x[key] = v on traced values, with numpy's rules.

Basic indices (ints, slices, None, ...) become one static SLICE plus a
reshape. Integer-array indices become one GATHER over consecutive axes,
after a transpose when numpy would move the indexed dims to the front.
Boolean masks must be concrete (their count fixes the result shape).
Assignment is functional: the proxy is rebound to an updated value.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import Proxy, as_concrete_array, operand, wrap
from .common import broadcast_shapes, result_dtype

_VALID = ("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and "
          "integer or boolean arrays are valid indices")


def _is_int(k: Any) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def _classify(k: Any) -> tuple[str, Any]:
    """('none'|'int'|'slice'|'ellipsis'|'array'|'mask', value)."""
    if k is None:
        return "none", None
    if k is Ellipsis:
        return "ellipsis", None
    if isinstance(k, slice):
        return "slice", k
    if _is_int(k):
        return "int", int(k)
    if isinstance(k, Proxy):
        if k.dtype.kind == "b":
            raise IndexError(at_line(
                "boolean mask indexing with a traced mask has a data-dependent shape; "
                "use np.where(mask, x, fill) to keep the shape, or pass the mask as a "
                "static argument (static_argnums)", user_loc()))
        if k.dtype.kind not in "iu":
            raise IndexError(_VALID)
        return "array", prims.cast(k.node, np.int64)
    if isinstance(k, (bool, np.bool_)):
        raise IndexError(at_line("tracer does not support a bare bool as an index", user_loc()))
    arr = as_concrete_array(k) if not isinstance(k, (list, tuple)) or k else np.asarray(k, np.int64)
    if arr.dtype.kind == "b":
        return "mask", arr
    if arr.dtype.kind not in "iu":
        raise IndexError(_VALID)
    return "array", arr.astype(np.int64)


def _expand(key: Any, shape: tuple[int, ...]) -> list[tuple[str, Any]]:
    """The key as one entry per indexed axis, Ellipsis expanded, masks split."""
    ndim = len(shape)
    items = [_classify(k) for k in (key if isinstance(key, tuple) else (key,))]
    consumed = sum(1 if k in ("int", "slice", "array") else (v.ndim if k == "mask" else 0)
                   for k, v in items)
    if sum(k == "ellipsis" for k, _ in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, "
                         f"but {consumed} were indexed")
    if not any(k == "ellipsis" for k, _ in items):
        items.append(("ellipsis", None))
    out: list[tuple[str, Any]] = []
    for kind, value in items:
        axis = sum(k != "none" for k, _ in out)
        if kind == "ellipsis":
            out.extend([("slice", slice(None))] * (ndim - consumed))
        elif kind == "mask":
            _check_mask(value, shape, axis)
            out.extend(("array", np.asarray(p, np.int64)) for p in np.nonzero(value))
        else:
            out.append((kind, value))
    return out


def _check_mask(mask: np.ndarray, shape: tuple[int, ...], axis: int) -> None:
    for j, size in enumerate(mask.shape):
        if shape[axis + j] != size:
            raise IndexError(
                f"boolean index did not match indexed array along axis {axis + j}; "
                f"size of axis is {shape[axis + j]} but size of corresponding "
                f"boolean axis is {size}")


def _check_bounds(arr: np.ndarray, size: int, axis: int) -> None:
    bad = arr[(arr < -size) | (arr >= size)]
    if bad.size:
        raise IndexError(at_line(f"index {bad.flat[0]} is out of bounds for axis {axis} "
                                 f"with size {size}", user_loc()))


def getitem(x: Node, key: Any) -> Node:
    entries = _expand(key, x.shape)
    # None axes first: insert them, and index them with a full slice.
    none_at = [i for i, (k, _) in enumerate(entries) if k == "none"]
    if none_at:
        x = prims.expand_dims(x, none_at)
        entries = [("slice", slice(None)) if k == "none" else (k, v) for k, v in entries]
    advanced = any(k == "array" for k, _ in entries)
    starts, steps, sizes, drop = [], [], [], []
    for axis, ((kind, value), n) in enumerate(zip(entries, x.shape)):
        if kind == "slice":
            start, stop, step = value.indices(n)
            size = len(range(start, stop, step))
            starts.append(start if size else 0)
            steps.append(step)
            sizes.append(size)
        elif kind == "int" and not advanced:
            if not -n <= value < n:
                raise IndexError(at_line(f"index {value} is out of bounds for axis {axis} "
                                         f"with size {n}", user_loc()))
            starts.append(value % n)
            steps.append(1)
            sizes.append(1)
            drop.append(axis)
        else:
            starts.append(0)
            steps.append(1)
            sizes.append(n)
    y = prims.slice_axes(x, starts, steps, sizes)
    if not advanced:
        return prims.squeeze_axes(y, drop)
    return _gather(y, entries)


def _gather(y: Node, entries: list[tuple[str, Any]]) -> Node:
    adv_axes = [i for i, (k, _) in enumerate(entries) if k in ("array", "int")]
    index_nodes = []
    for axis in adv_axes:
        kind, value = entries[axis]
        if isinstance(value, Node):
            index_nodes.append(value)
            continue
        arr = np.asarray(value, np.int64)
        _check_bounds(arr, y.shape[axis], axis)
        index_nodes.append(prims.const(arr))
    try:
        bshape = broadcast_shapes([n.shape for n in index_nodes])
    except ValueError:
        shapes = " ".join(str(n.shape) for n in index_nodes)
        raise IndexError(at_line("shape mismatch: indexing arrays could not be broadcast "
                                 f"together with shapes {shapes}", user_loc())) from None
    index_nodes = [prims.broadcast_to(n, bshape) for n in index_nodes]
    consecutive = adv_axes == list(range(adv_axes[0], adv_axes[0] + len(adv_axes)))
    if not consecutive:
        rest = [i for i in range(y.ndim) if i not in adv_axes]
        y = prims.transpose(y, adv_axes + rest)
        return prims.bind(Op.GATHER, [y, *index_nodes], axis=0)
    return prims.bind(Op.GATHER, [y, *index_nodes], axis=adv_axes[0])


def setitem(target: Proxy, key: Any, value: Any) -> None:
    """x[key] = value, functionally: rebind the proxy to the updated array.

    The positions key selects are found by indexing a constant iota with the
    same key; the new values are scattered there and selected over the old.
    With repeated indices the updates are summed (numpy keeps the last one).
    """
    x = target.node
    positions = getitem(prims.const(np.arange(x.type.size, dtype=np.int64).reshape(x.shape)), key)
    v = prims.cast(operand(value)[0], x.dtype)
    try:
        v = prims.broadcast_to(v, broadcast_shapes([v.shape, positions.shape]))
        v = prims.broadcast_to(v, positions.shape)
    except ValueError:
        raise ValueError(at_line(f"could not broadcast input array from shape {v.shape} "
                                 f"into shape {positions.shape}", user_loc())) from None
    flat_shape = (x.type.size,)
    flat_pos = prims.reshape(positions, (positions.type.size,))
    flat_v = prims.reshape(v, (positions.type.size,))
    placed = prims.bind(Op.SCATTER_ADD, [prims.full(flat_shape, 0, x.dtype), flat_pos, flat_v],
                        axis=0)
    ones = prims.full((positions.type.size,), 1, np.int64)
    hits = prims.bind(Op.SCATTER_ADD, [prims.full(flat_shape, 0, np.int64), flat_pos, ones], axis=0)
    hit = prims.bind(Op.GT, [hits, prims.full(flat_shape, 0, np.int64)])
    merged = prims.select(hit, placed, prims.reshape(x, flat_shape))
    target.node = prims.reshape(merged, x.shape)
    target.weak = False


def index_proxy(x: Proxy, key: Any) -> Proxy:
    return wrap(getitem(x.node, key))


__all__ = ["getitem", "setitem", "index_proxy", "result_dtype"]
