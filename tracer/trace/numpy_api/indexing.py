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
from .common import broadcast_shapes, shape_text

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
        if arr.ndim == 0:
            raise IndexError(at_line("tracer does not support a bare bool as an index",
                                     user_loc()))
        return "mask", arr
    if arr.dtype.kind not in "iu":
        raise IndexError(_VALID)
    if arr.ndim == 0:  # numpy indexes with a 0-d integer array as with an int
        return "int", int(arr)
    return "array", arr.astype(np.int64)


def _expand(key: Any, shape: tuple[int, ...]) -> tuple[list[tuple[str, Any]], bool]:
    """The key as one entry per indexed axis, Ellipsis expanded, masks split; and
    whether its advanced indices are adjacent in the key (numpy then keeps their
    dims in place; otherwise they go first). None and Ellipsis, even an empty one,
    separate them, as in numpy."""
    ndim = len(shape)
    items = [_classify(k) for k in (key if isinstance(key, tuple) else (key,))]
    consumed = sum(1 if k in ("int", "slice", "array") else (v.ndim if k == "mask" else 0)
                   for k, v in items)
    if sum(k == "ellipsis" for k, _ in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, "
                         f"but {consumed} were indexed")
    has_array = any(k in ("array", "mask") for k, _ in items)
    adv = [i for i, (k, _) in enumerate(items)
           if k in ("array", "mask") or (k == "int" and has_array)]
    adjacent = adv == list(range(adv[0], adv[0] + len(adv))) if adv else True
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
    return out, adjacent


def _check_mask(mask: np.ndarray, shape: tuple[int, ...], axis: int) -> None:
    if mask.size == 0:  # numpy indexes with an empty mask whatever its shape
        return
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
    entries, adjacent = _expand(key, x.shape)
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
    return _gather(y, entries, adjacent)


def _gather(y: Node, entries: list[tuple[str, Any]], adjacent: bool) -> Node:
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
    if not adjacent:
        rest = [i for i in range(y.ndim) if i not in adv_axes]
        y = prims.transpose(y, adv_axes + rest)
        return prims.bind(Op.GATHER, [y, *index_nodes], axis=0)
    return prims.bind(Op.GATHER, [y, *index_nodes], axis=adv_axes[0])


def setitem(target: Proxy, key: Any, value: Any) -> None:
    """x[key] = value, functionally: rebind the proxy to the updated array.

    A concrete key is resolved with numpy at trace time (its positions, and
    for repeated positions the last write, as numpy does): the update is one
    GATHER of the values and a SELECT. A traced boolean mask is a SELECT. A
    traced integer key scatters (repeated positions add up: numpy leaves
    their order unspecified, so pass unique indices).
    """
    x = target.node
    if isinstance(key, Proxy) and key.dtype.kind == "b":
        new = _masked_assign(x, key.node, operand(value)[0])
    elif _contains_proxy(key):
        new = _scatter_assign(x, key, operand(value)[0])
    else:
        new = _static_assign(x, key, operand(value)[0])
    target.node = new
    target.weak = False


def _contains_proxy(key: Any) -> bool:
    return any(isinstance(k, Proxy) for k in (key if isinstance(key, tuple) else (key,)))


def _fit_value(v: Node, x: Node, shape: tuple[int, ...], advanced: bool) -> Node:
    """The value cast to x's dtype and broadcast to the indexed shape, as numpy does."""
    v = prims.cast(v, x.dtype)
    while v.ndim > len(shape) and v.shape[0] == 1:  # numpy drops leading 1s
        v = prims.reshape(v, v.shape[1:])
    try:
        if broadcast_shapes([v.shape, shape]) != tuple(shape):
            raise ValueError
    except ValueError:
        if advanced:
            msg = (f"shape mismatch: value array of shape {shape_text(v.shape)} could not be "
                   f"broadcast to indexing result of shape {shape_text(shape)}")
        else:
            msg = (f"could not broadcast input array from shape {shape_text(v.shape)} into "
                   f"shape {shape_text(shape)}")
        raise ValueError(at_line(msg, user_loc())) from None
    return prims.broadcast_to(v, shape)


def _static_assign(x: Node, key: Any, value: Node) -> Node:
    iota = np.arange(x.type.size, dtype=np.int64).reshape(x.shape)
    positions = iota[_concrete_key(key)]  # numpy's own checks and wording
    advanced = not np.shares_memory(positions, iota)
    items = key if isinstance(key, tuple) else (key,)
    if len(items) == x.ndim and all(_is_int(np.asarray(k)[()]) for k in items) and value.ndim \
            and x.dtype.kind != "b":
        # one element: numpy packs the value as a scalar (bool(v) for bools), no broadcast
        raise ValueError(at_line("setting an array element with a sequence.", user_loc()))
    v = _fit_value(value, x, positions.shape, advanced)
    if positions.size == 0:
        return x
    # source[p] = the last update that writes position p, or -1
    source = np.full(x.type.size, -1, np.int64)
    np.maximum.at(source, positions.reshape(-1), np.arange(positions.size))
    written = source >= 0
    if written.all() and (source == np.arange(x.type.size)).all():
        return prims.reshape(prims.reshape(v, (v.type.size,)), x.shape)
    flat_x = prims.reshape(x, (x.type.size,))
    flat_v = prims.reshape(v, (v.type.size,))
    picked = prims.bind(Op.GATHER, [flat_v, prims.const(np.where(written, source, 0))], axis=0)
    merged = prims.select(prims.const(written), picked, flat_x)
    return prims.reshape(merged, x.shape)


def _concrete_key(key: Any) -> Any:
    """The key as numpy indexes with it; lists become arrays (numpy would too)."""
    items = key if isinstance(key, tuple) else (key,)
    for k in items:
        if isinstance(k, (bool, np.bool_)):
            raise IndexError(at_line("tracer does not support a bare bool as an index",
                                     user_loc()))
    return key


def _masked_assign(x: Node, mask: Node, value: Node) -> Node:
    """x[mask] = v with a traced mask: where(mask, v, x), for v of one value per
    selected row (a scalar, or broadcastable to x's trailing dims)."""
    lead = mask.ndim
    if lead > x.ndim:
        raise IndexError(at_line(f"too many indices for array: array is {x.ndim}-dimensional, "
                                 f"but {lead} were indexed", user_loc()))
    for axis, (m, n) in enumerate(zip(mask.shape, x.shape)):
        if m != n:
            raise IndexError(at_line(
                f"boolean index did not match indexed array along axis {axis}; size of axis "
                f"is {n} but size of corresponding boolean axis is {m}", user_loc()))
    rest = x.shape[lead:]
    v = prims.cast(value, x.dtype)
    if not rest and v.ndim > 1:
        raise TypeError(at_line("NumPy boolean array indexing assignment requires a 0 or "
                                f"1-dimensional input, input has {v.ndim} dimensions",
                                user_loc()))
    while v.ndim > len(rest) and v.shape[0] == 1:
        v = prims.reshape(v, v.shape[1:])
    if v.ndim > len(rest):
        raise IndexError(at_line(
            f"x[mask] = v with a traced boolean mask needs v to be the same for every selected "
            f"element (shape broadcastable to {shape_text(rest)}), got {shape_text(v.shape)}: "
            "the number of selected elements is not known while tracing. Use "
            "np.where(mask, values, x) with values shaped like x", user_loc()))
    v = _fit_value(v, x, rest, False)
    v = prims.broadcast_to(v, x.shape)
    m = prims.broadcast_to(prims.reshape(mask, mask.shape + (1,) * len(rest)), x.shape)
    return prims.select(m, v, x)


def _scatter_assign(x: Node, key: Any, value: Node) -> Node:
    """Traced integer indices: scatter the values, and a count of hits to select them."""
    positions = getitem(prims.const(np.arange(x.type.size, dtype=np.int64).reshape(x.shape)), key)
    v = _fit_value(value, x, positions.shape, True)
    flat_shape = (x.type.size,)
    flat_pos = prims.reshape(positions, (positions.type.size,))
    flat_v = prims.reshape(v, (positions.type.size,))
    placed = prims.bind(Op.SCATTER_ADD, [prims.full(flat_shape, 0, x.dtype), flat_pos, flat_v],
                        axis=0)
    ones = prims.full((positions.type.size,), 1, np.int64)
    hits = prims.bind(Op.SCATTER_ADD, [prims.full(flat_shape, 0, np.int64), flat_pos, ones], axis=0)
    hit = prims.bind(Op.GT, [hits, prims.full(flat_shape, 0, np.int64)])
    merged = prims.select(hit, placed, prims.reshape(x, flat_shape))
    return prims.reshape(merged, x.shape)


def index_proxy(x: Proxy, key: Any) -> Proxy:
    return wrap(getitem(x.node, key))


__all__ = ["getitem", "setitem", "index_proxy"]
