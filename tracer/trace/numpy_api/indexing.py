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



def _int_start(value: int, n: int, axis: int) -> int:
    """The start of an integer index on an axis of n; numpy's IndexError when outside."""
    if not -n <= value < n:
        raise IndexError(at_line(f"index {value} is out of bounds for axis {axis} "
                                 f"with size {n}", user_loc()))
    return value % n


def _slice_box(value: slice, n: int) -> tuple[int, int, int]:
    """(start, step, size) of a slice over an axis of n (start 0 when it takes nothing)."""
    start, stop, step = value.indices(n)
    size = len(range(start, stop, step))
    return (start if size else 0), step, size

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
            start, step, size = _slice_box(value, n)
            starts.append(start), steps.append(step), sizes.append(size)
        elif kind == "int" and not advanced:
            starts.append(_int_start(value, n, axis))
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
    traced integer key is a SCATTER_SET: the last write to a position wins, in
    the C order of the indexing result (what numpy does).
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
    items = key if isinstance(key, tuple) else (key,)
    if len(items) == x.ndim and all(_is_int(np.asarray(k)[()]) for k in items) and value.ndim \
            and x.dtype.kind != "b":
        # one element: numpy packs the value as a scalar (bool(v) for bools), no broadcast
        raise ValueError(at_line("setting an array element with a sequence.", user_loc()))
    box = _basic_box(x, items)
    if box is not None:
        starts, steps, sizes, shape = box
        v = _fit_value(value, x, shape, False)
        if 0 in sizes:
            return x
        return prims.bind(Op.UPDATE_SLICE, [x, prims.reshape(v, sizes)],
                          starts=tuple(starts), steps=tuple(steps))
    return _positional_assign(x, key, value)


def _basic_box(x: Node, items: tuple) -> tuple | None:
    """(starts, steps, sizes, indexing result shape) of a key of ints, slices, None and
    `...` (numpy's basic indexing: one box of x); None for any other key."""
    if any(not (k is None or k is Ellipsis or isinstance(k, slice) or _is_int(k)) for k in items):
        return None
    entries, _ = _expand(items, x.shape)
    starts, steps, sizes, shape = [], [], [], []
    axis = 0
    for kind, value in entries:
        if kind == "none":
            shape.append(1)
            continue
        n = x.shape[axis]
        if kind == "slice":
            start, step, size = _slice_box(value, n)
            starts.append(start), steps.append(step), sizes.append(size)
            shape.append(size)
        else:
            starts.append(_int_start(value, n, axis))
            steps.append(1)
            sizes.append(1)
        axis += 1
    return starts, steps, sizes, tuple(shape)


def _positional_assign(x: Node, key: Any, value: Node) -> Node:
    """Any other concrete key: numpy's own positions of an iota, the last write winning."""
    iota = np.arange(x.type.size, dtype=np.int64).reshape(x.shape)
    positions = iota[_concrete_key(key)]  # numpy's own checks and wording
    advanced = not np.shares_memory(positions, iota)
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
    """Traced integer indices: one SCATTER_SET, whose last write to a position wins
    (numpy's assignment; `x[idx] += v` reads x[idx] before it writes, as numpy)."""
    return _scatter(Op.SCATTER_SET, x, key, value)


def _scatter(op: Op, x: Node, key: Any, value: Node) -> Node:
    """x with `value` combined into x[key] by the scatter `op`, updates in numpy's order.

    Full slices around adjacent integer arrays (`x[i]`, `x[:, i, j]`) scatter along
    x's axes; any other key scatters into the flat x at the positions that indexing
    an iota with the key gives."""
    direct = _direct_scatter(x, key)
    if direct is not None:
        axis, index_nodes = direct
        ishape = index_nodes[0].shape
        shape = x.shape[:axis] + ishape + x.shape[axis + len(index_nodes):]
        v = _fit_value(value, x, shape, True)
        return prims.bind(op, [x, *index_nodes, v], axis=axis)
    positions = getitem(prims.const(np.arange(x.type.size, dtype=np.int64).reshape(x.shape)), key)
    v = _fit_value(value, x, positions.shape, True)
    flat = (x.type.size,)
    count = (positions.type.size,)
    merged = prims.bind(op, [prims.reshape(x, flat), prims.reshape(positions, count),
                             prims.reshape(v, count)], axis=0)
    return prims.reshape(merged, x.shape)


def _direct_scatter(x: Node, key: Any) -> tuple[int, list[Node]] | None:
    """(axis, broadcast index nodes) when the key is full slices around one run of
    integer arrays and ints; None for any other key."""
    entries, adjacent = _expand(key, x.shape)
    adv = [i for i, (k, _) in enumerate(entries) if k in ("array", "int")]
    if not adjacent or not adv or any(k == "none" for k, _ in entries):
        return None
    if any(k == "slice" and v != slice(None) for k, v in entries):
        return None
    index_nodes = []
    for axis in adv:
        value = entries[axis][1]
        if isinstance(value, Node):
            index_nodes.append(value)
            continue
        arr = np.asarray(value, np.int64)
        _check_bounds(arr, x.shape[axis], axis)
        index_nodes.append(prims.const(arr))
    try:
        bshape = broadcast_shapes([n.shape for n in index_nodes])
    except ValueError:
        return None      # getitem raises numpy's error
    return adv[0], [prims.broadcast_to(n, bshape) for n in index_nodes]


_AT_OPS = {np.add: Op.SCATTER_ADD, np.subtract: Op.SCATTER_ADD, np.multiply: Op.SCATTER_MUL,
           np.maximum: Op.SCATTER_MAX, np.minimum: Op.SCATTER_MIN}


def _at_loop_dtype(x: np.dtype, v: np.dtype, weak: bool) -> np.dtype:
    """The dtype numpy's ufunc.at computes in (NEP 50: a Python scalar does not widen
    an array of its own kind)."""
    if not weak:
        return np.promote_types(x, v)
    if (v.kind == "f" and x.kind != "f") or (v.kind in "iu" and x.kind == "b"):
        return np.promote_types(x, v)
    return x


def ufunc_at(ufunc: np.ufunc, target: Any, key: Any, values: Any = None) -> None:
    """`np.add.at(x, key, v)` (subtract, multiply, maximum, minimum) on a traced x:
    x is rebound to the result, every update applied in turn as numpy does."""
    name = f"np.{ufunc.__name__}.at"
    if ufunc not in _AT_OPS:
        raise TypeError(at_line(f"{name} is not supported on traced values (supported: "
                                "add, subtract, multiply, maximum, minimum)", user_loc()))
    if not isinstance(target, Proxy):
        raise TypeError(at_line(
            f"{name}: the array to update is a numpy array, which cannot hold traced values; "
            "start from a traced array (e.g. x = np.zeros_like(traced) or x = traced * 0)",
            user_loc()))
    if values is None:
        raise TypeError(at_line(f"{name} needs the values to combine in", user_loc()))
    x = target.node
    v, weak = operand(values)
    loop = _at_loop_dtype(x.dtype, v.dtype, weak)
    if loop != x.dtype:
        raise TypeError(at_line(
            f"{name}: values of dtype {v.dtype} into an array of dtype {x.dtype}: numpy "
            f"computes each update in {loop} and casts it back; cast the values to "
            f"{x.dtype} first", user_loc()))
    if ufunc is np.subtract:
        if x.dtype.kind == "b":
            raise TypeError(at_line(f"{name}: numpy boolean subtract is not supported",
                                    user_loc()))
        v = prims.bind(Op.NEG, [prims.cast(v, x.dtype)])
    target.node = _scatter(_AT_OPS[ufunc], x, key, v)
    target.weak = False


def index_proxy(x: Proxy, key: Any) -> Proxy:
    return wrap(getitem(x.node, key))


__all__ = ["getitem", "setitem", "index_proxy", "ufunc_at"]
