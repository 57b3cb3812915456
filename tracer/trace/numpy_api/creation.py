"""Making arrays from arrays: *_like copy tile repeat flip roll pad split stack
atleast_nd append meshgrid rot90 linspace delete
diagflat diff ediff1d.

All of these move data around by static rules, so each becomes a few layout
primitives (SLICE, CONCATENATE, BROADCAST_TO, RESHAPE) or one GATHER whose
index array numpy computes at trace time (repeat with counts, pad's reflect,
symmetric and wrap modes: numpy pads an iota and we gather with it).
"""
from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib import _arraypad_impl

from ...ir import Node, Op
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import Proxy, operand, wrap
from . import reductions, shapes
from .common import normalize_axis, result_dtype
from .selection import diag
from .ufuncs import call_ufunc


def _fail(exc: type[Exception], msg: str) -> Exception:
    """numpy's exception type and wording, plus the user's line."""
    return exc(at_line(msg, user_loc()))


def _node(x: Any) -> Node:
    return operand(x)[0]


# -- *_like and copy ----------------------------------------------------------

def _like_type(a: Any, dtype: Any, shape: Any) -> tuple[np.dtype, tuple[int, ...]]:
    x = _node(a)
    dt = x.dtype if dtype is None else np.dtype(dtype)
    if shape is None:
        return dt, x.shape
    return dt, (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dt, out_shape = _like_type(a, dtype, shape)
    fill = _node(fill_value)
    try:
        np.broadcast_shapes(fill.shape, out_shape)
        ok = np.broadcast_shapes(fill.shape, out_shape) == out_shape
    except ValueError:
        ok = False
    if not ok:
        raise _fail(ValueError, f"could not broadcast input array from shape {fill.shape} "
                                f"into shape {out_shape}")
    if not isinstance(fill_value, Proxy) and fill.ndim == 0:
        scratch = np.empty((), dt)  # numpy's copyto: its overflow errors and its casts
        with np.errstate(all="ignore"):
            np.copyto(scratch, fill_value, casting="unsafe")
        return wrap(prims.full(out_shape, scratch, dt))
    return wrap(prims.broadcast_to(prims.cast(fill, dt), out_shape))


def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return full_like(a, 0, dtype, order, subok, shape)


def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return full_like(a, 1, dtype, order, subok, shape)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """Zeros: the contents of np.empty are unspecified, so any value is valid."""
    return full_like(prototype, 0, dtype, order, subok, shape)


def copy(a, order="K", subok=False):
    return wrap(_node(a))


# -- tile and repeat ----------------------------------------------------------------

def tile(A, reps):
    x = _node(A)
    tup = tuple(int(r) for r in reps) if np.iterable(reps) else (int(reps),)
    if any(r < 0 for r in tup):
        raise _fail(ValueError, "negative dimensions are not allowed")
    if all(r == 1 for r in tup) and len(tup) <= x.ndim:
        return wrap(x)
    d = max(len(tup), x.ndim)
    tup = (1,) * (d - len(tup)) + tup
    shape = (1,) * (d - x.ndim) + x.shape
    # (r0, n0, r1, n1, ...) by broadcasting, then merge each pair
    x = prims.reshape(x, [v for n in shape for v in (1, n)])
    x = prims.broadcast_to(x, [v for r, n in zip(tup, shape) for v in (r, n)])
    return wrap(prims.reshape(x, [r * n for r, n in zip(tup, shape)]))


def repeat(a, repeats, axis=None):
    x = _node(a)
    if isinstance(repeats, Proxy):
        raise TypeError(at_line(
            "np.repeat with traced repeats has a result shape that depends on the data; "
            "pass the repeats as a static argument (static_argnums)", user_loc()))
    if axis is None or x.ndim == 0:  # numpy repeats a 0-d array as a 1-d one
        x, axis = prims.reshape(x, (x.type.size,)), 0 if axis is None else axis
    ax = normalize_axis(axis, x.ndim)
    counts = np.asarray(repeats)
    if isinstance(repeats, np.ndarray) and counts.dtype.kind not in "biu":
        raise _fail(TypeError, f"Cannot cast array data from dtype('{counts.dtype}') to "
                               "dtype('int64') according to the rule 'safe'")
    counts = counts.astype(np.int64)  # numpy converts scalars and lists item by item
    if counts.ndim == 0 or counts.size == 1:
        r = int(counts.reshape(()))
        if r < 0:
            raise _fail(ValueError, "negative dimensions are not allowed")
        n = x.shape[ax]
        y = prims.expand_dims(x, [ax + 1])
        y = prims.broadcast_to(y, x.shape[:ax + 1] + (r,) + x.shape[ax + 1:])
        return wrap(prims.reshape(y, x.shape[:ax] + (n * r,) + x.shape[ax + 1:]))
    index = np.repeat(np.arange(x.shape[ax], dtype=np.int64), counts)
    return wrap(prims.bind(Op.GATHER, [x, prims.const(index)], axis=ax))


def delete(arr, obj, axis=None):
    """The kept positions come from numpy's own delete on an iota (its errors too)."""
    x = _node(arr)
    if isinstance(obj, Proxy):
        raise _fail(TypeError, "np.delete needs concrete positions; pass them as a static "
                               "argument (static_argnums)")
    if axis is None:
        x, axis = prims.reshape(x, (x.type.size,)), 0
    ax = normalize_axis(axis, x.ndim)
    keep = np.delete(np.arange(x.shape[ax], dtype=np.int64), obj)
    return wrap(prims.bind(Op.GATHER, [x, prims.const(keep)], axis=ax))


def diagflat(v, k=0):
    return diag(shapes.ravel(wrap(_node(v))), k)


# -- flips and rolls ------------------------------------------------------------------

def _reverse(x: Node, axes: Sequence[int]) -> Node:
    starts = [max(n - 1, 0) if i in axes else 0 for i, n in enumerate(x.shape)]
    steps = [-1 if i in axes else 1 for i in range(x.ndim)]
    if all(x.shape[i] <= 1 for i in axes):
        return x
    return prims.slice_axes(x, starts, steps, x.shape)


def _axis_tuple(axis: Any, ndim: int) -> tuple[int, ...]:
    """numpy's normalize_axis_tuple: AxisError, and 'repeated axis' for duplicates."""
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    norm = tuple(normalize_axis(a, ndim) for a in axes)
    if len(set(norm)) != len(norm):
        raise _fail(ValueError, "repeated axis")
    return norm


def flip(m, axis=None):
    x = _node(m)
    axes = tuple(range(x.ndim)) if axis is None else _axis_tuple(axis, x.ndim)
    return wrap(_reverse(x, axes))


def fliplr(m):
    x = _node(m)
    if x.ndim < 2:
        raise _fail(ValueError, "Input must be >= 2-d.")
    return wrap(_reverse(x, (1,)))


def flipud(m):
    x = _node(m)
    if x.ndim < 1:
        raise _fail(ValueError, "Input must be >= 1-d.")
    return wrap(_reverse(x, (0,)))


def _take_range(x: Node, axis: int, start: int, stop: int) -> Node:
    starts = [start if i == axis and stop > start else 0 for i in range(x.ndim)]
    sizes = [stop - start if i == axis else n for i, n in enumerate(x.shape)]
    return prims.slice_axes(x, starts, [1] * x.ndim, sizes)


def _roll_axis(x: Node, axis: int, shift: int) -> Node:
    n = x.shape[axis]
    if n == 0 or shift % n == 0:
        return x
    s = shift % n
    return prims.concatenate([_take_range(x, axis, n - s, n), _take_range(x, axis, 0, n - s)],
                             axis)


def roll(a, shift, axis=None):
    x = _node(a)
    if isinstance(shift, Proxy):
        raise TypeError(at_line("np.roll needs a concrete shift; pass it as a static argument "
                                "(static_argnums)", user_loc()))
    if axis is None:
        flat = prims.reshape(x, (x.type.size,))
        return wrap(prims.reshape(_roll_axis(flat, 0, int(shift)), x.shape))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    pairs = np.broadcast(shift, tuple(normalize_axis(a, x.ndim) for a in axes))
    if pairs.ndim > 1:
        raise _fail(ValueError, "'shift' and 'axis' should be scalars or 1D sequences")
    totals = [0] * x.ndim
    for sh, ax in pairs:
        totals[int(ax)] += int(sh)
    for ax, sh in enumerate(totals):
        x = _roll_axis(x, ax, sh)
    return wrap(x)


def rot90(m, k=1, axes=(0, 1)):
    x = _node(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise _fail(ValueError, "len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == x.ndim:
        raise _fail(ValueError, "Axes must be different.")
    if any(a >= x.ndim or a < -x.ndim for a in axes):
        raise _fail(ValueError, f"Axes={axes} out of range for array of ndim={x.ndim}.")
    k %= 4
    a0, a1 = axes[0] % x.ndim, axes[1] % x.ndim
    if k == 0:
        return wrap(x)
    if k == 2:
        return wrap(_reverse(_reverse(x, (a0,)), (a1,)))
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return wrap(prims.transpose(_reverse(x, (a1,)), perm))
    return wrap(_reverse(prims.transpose(x, perm), (a1,)))



# -- pad ----------------------------------------------------------------------------------

_PAD_KWARGS = {
    "constant": {"constant_values"}, "edge": set(), "wrap": set(), "empty": set(),
    "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
    "linear_ramp": {"end_values"}, "maximum": {"stat_length"}, "mean": {"stat_length"},
    "median": {"stat_length"}, "minimum": {"stat_length"},
}
_INDEX_MODES = ("edge", "wrap", "reflect", "symmetric")


def pad(array, pad_width, mode="constant", **kwargs):
    """Axis by axis, like numpy: constants are concatenated, the other modes gather
    with the index map numpy itself produces by padding an iota."""
    x = _node(array)
    widths = np.asarray(pad_width)
    if widths.dtype.kind != "i":
        raise _fail(TypeError, "`pad_width` must be of integral type.")
    widths = _arraypad_impl._as_pairs(widths, x.ndim, as_index=True)
    if callable(mode) or mode not in _PAD_KWARGS:
        raise _fail(ValueError, f"mode '{mode}' is not supported")
    unsupported = set(kwargs) - _PAD_KWARGS[mode]
    if unsupported:
        raise _fail(ValueError,
                    f"unsupported keyword arguments for mode '{mode}': {unsupported}")
    if mode in ("constant", "empty"):
        return wrap(_pad_constant(x, widths, kwargs.get("constant_values", 0)))
    supported = _INDEX_MODES + tuple(_STATS) + ("linear_ramp",)
    if mode not in supported or kwargs.get("reflect_type", "even") != "even":
        raise _fail(NotImplementedError,
                    "tracer supports np.pad modes constant, empty, edge, wrap, reflect, "
                    "symmetric (reflect_type='even'), maximum, minimum, mean and linear_ramp, "
                    f"not {mode!r} with {kwargs}")
    for axis, (before, after) in enumerate(widths):
        if x.shape[axis] == 0 and (before or after):
            raise _fail(ValueError, f"can't extend empty axis {axis} using modes other "
                                    "than 'constant' or 'empty'")
    if x.type.size == 0:  # numpy computes nothing: the pad areas are empty too
        return wrap(_pad_constant(x, widths, 0))
    if mode == "linear_ramp":
        ends = _arraypad_impl._as_pairs(kwargs.get("end_values", 0), x.ndim)
        for axis, (width_pair, end_pair) in enumerate(zip(widths, ends)):
            x = _pad_ramp(x, axis, width_pair, end_pair)
        return wrap(x)
    if mode in _STATS:
        lengths = _arraypad_impl._as_pairs(kwargs.get("stat_length"), x.ndim, as_index=True)
        for axis, (width_pair, length_pair) in enumerate(zip(widths, lengths)):
            x = _pad_stat(x, axis, width_pair, length_pair, mode)
        return wrap(x)
    for axis, (before, after) in enumerate(widths):
        if before or after:
            index = np.pad(np.arange(x.shape[axis], dtype=np.int64), (before, after), mode=mode)
            x = prims.bind(Op.GATHER, [x, prims.const(index)], axis=axis)
    return wrap(x)


_STATS = {"maximum": Op.REDUCE_MAX, "minimum": Op.REDUCE_MIN, "mean": Op.REDUCE_SUM}


def _pad_stat(x: Node, axis: int, widths, lengths, mode: str) -> Node:
    """numpy's _get_stats: the statistic of the first/last stat_length values."""
    n = x.shape[axis]
    lengths = [n if length is None or n < length else int(length) for length in lengths]
    if 0 in lengths and mode != "mean":
        raise _fail(ValueError, "stat_length of 0 yields no value for padding")
    stats = []
    for length, start in zip(lengths, (0, n - lengths[1])):
        chunk = _take_range(x, axis, start, start + length)
        if mode == "mean":
            stat = reductions.mean(wrap(chunk), axis=axis, keepdims=True).node
            if x.dtype.kind in "iu":  # numpy rounds the mean half to even for int arrays
                stat = prims.bind(Op.RINT, [stat])
        else:
            stat = prims.expand_dims(prims.reduce(_STATS[mode], chunk, (axis,)), [axis])
        stats.append(prims.cast(stat, x.dtype))
    pieces = [_block(x, axis, widths[0], stats[0]), x, _block(x, axis, widths[1], stats[1])]
    return prims.concatenate([p for p in pieces if p.shape[axis]] or [x], axis)


def _pad_ramp(x: Node, axis: int, widths, ends) -> Node:
    """numpy's _get_linear_ramps: linspace(end, edge, width, endpoint=False) in float64."""
    n = x.shape[axis]
    ramps = []
    for width, end, edge_at, reverse in ((widths[0], ends[0], 0, False),
                                         (widths[1], ends[1], n - 1, True)):
        width = int(width)
        shape = x.shape[:axis] + (width,) + x.shape[axis + 1:]
        edge = prims.cast(_take_range(x, axis, edge_at, edge_at + 1), np.float64)
        start = prims.full(edge.shape, np.float64(end), np.float64)
        delta = prims.bind(Op.SUB, [edge, start])
        div = prims.full(edge.shape, max(width, 1), np.float64)
        step = prims.bind(Op.DIV, [delta, div])
        # numpy multiplies by the step, unless some step is 0: then scales i / div by delta
        zero = prims.bind(Op.EQ, [step, prims.full(step.shape, 0.0, np.float64)])
        any_zero = prims.reduce(Op.REDUCE_MAX, zero, range(zero.ndim)) if zero.ndim else zero
        iota = np.arange(width, dtype=np.float64).reshape([-1 if i == axis else 1
                                                          for i in range(x.ndim)])
        i = prims.broadcast_to(prims.const(iota), shape)
        by_step = prims.bind(Op.MUL, [i, prims.broadcast_to(step, shape)])
        scaled = prims.bind(Op.DIV, [i, prims.broadcast_to(div, shape)])
        by_delta = prims.bind(Op.MUL, [scaled, prims.broadcast_to(delta, shape)])
        pick = prims.broadcast_to(any_zero, shape)
        ramp = prims.select(pick, by_delta, by_step)
        ramp = prims.bind(Op.ADD, [ramp, prims.broadcast_to(start, shape)])
        if x.dtype.kind in "iu":
            ramp = prims.bind(Op.FLOOR, [ramp])
        ramp = prims.cast(ramp, x.dtype)
        ramps.append(_reverse(ramp, (axis,)) if reverse else ramp)
    pieces = [ramps[0], x, ramps[1]]
    return prims.concatenate([p for p in pieces if p.shape[axis]] or [x], axis)


def _block(x: Node, axis: int, width: int, fill: Node) -> Node:
    """The constant slab padded onto `x` along `axis`."""
    shape = x.shape[:axis] + (int(width),) + x.shape[axis + 1:]
    return prims.broadcast_to(prims.cast(fill, x.dtype), shape)


def _pad_constant(x: Node, widths, values: Any) -> Node:
    if isinstance(values, Proxy):
        pairs = [(values.node, values.node)] * x.ndim
    else:
        pairs = [tuple(prims.const(v) for v in pair) for pair in _constant_pairs(x, values)]
    for axis, ((before, after), (fill_before, fill_after)) in enumerate(zip(widths, pairs)):
        pieces = [_block(x, axis, before, fill_before), x, _block(x, axis, after, fill_after)]
        x = prims.concatenate([p for p in pieces if p.shape[axis]] or [x], axis)
    return x


def _constant_pairs(x: Node, values: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each axis' (before, after) fill as numpy stores it: numpy pads a 1-element probe
    by 1 along that axis, so its casts and its errors are numpy's own."""
    pairs = []
    for axis in range(x.ndim):
        widths = [(1, 1) if i == axis else (0, 0) for i in range(x.ndim)]
        with np.errstate(all="ignore"):
            probe = np.pad(np.zeros((1,) * x.ndim, x.dtype), widths, constant_values=values)
        ends = probe.reshape(3)
        pairs.append((np.asarray(ends[0]), np.asarray(ends[2])))
    return pairs


# -- split ----------------------------------------------------------------------------------

def _pieces(x: Node, axis: int, div_points: Sequence[int]) -> list[Proxy]:
    out = []
    n = x.shape[axis]
    for st, end in zip(div_points[:-1], div_points[1:]):
        start, stop, _ = slice(int(st), int(end)).indices(n)
        out.append(wrap(_take_range(x, axis, start, max(start, stop))))
    return out


def array_split(ary, indices_or_sections, axis=0):
    x = _node(ary)
    total = x.shape[axis]  # numpy's own IndexError for a bad axis
    ax = normalize_axis(axis, x.ndim)
    try:
        div_points = [0] + list(indices_or_sections) + [total]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise _fail(ValueError, "number sections must be larger than 0.") from None
        each, extras = divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        div_points = list(np.cumsum(sizes))
    return _pieces(x, ax, div_points)


def split(ary, indices_or_sections, axis=0):
    if not np.iterable(indices_or_sections):
        sections = indices_or_sections
        if _node(ary).shape[axis] % sections:
            raise _fail(ValueError, "array split does not result in an equal division") from None
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary, indices_or_sections):
    x = _node(ary)
    if x.ndim == 0:
        raise _fail(ValueError, "hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if x.ndim > 1 else 0)


def vsplit(ary, indices_or_sections):
    if _node(ary).ndim < 2:
        raise _fail(ValueError, "vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    if _node(ary).ndim < 3:
        raise _fail(ValueError, "dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


# -- atleast_nd and stacking ------------------------------------------------------------------
# numpy turns every argument into an array first, so Python scalars are not
# weak here: np.hstack([x32, 1.0]) is float64.

def _at_least(x: Any, ndim: int) -> Proxy:
    node = _node(x)
    shape = node.shape
    if len(shape) < ndim:
        shape = {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}[len(shape)] \
            if ndim == 3 else (1,) * (ndim - len(shape)) + shape
    return wrap(prims.reshape(node, shape))


def _atleast(ndim: int):
    def impl(*arys):
        result = tuple(_at_least(a, ndim) for a in arys)
        return result[0] if len(result) == 1 else result
    impl.__name__ = f"atleast_{ndim}d"
    return impl


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def _sequence(tup: Any) -> list[Any]:
    if not hasattr(tup, "__getitem__"):
        raise _fail(TypeError, 'arrays to stack must be passed as a "sequence" type such as list '
                        'or tuple.')
    return list(tup)


def hstack(tup, *, dtype=None, casting="same_kind"):
    arrs = [_at_least(a, 1) for a in _sequence(tup)]
    axis = 0 if arrs and arrs[0].ndim == 1 else 1
    return shapes.concatenate(arrs, axis, dtype=dtype, casting=casting)


def vstack(tup, *, dtype=None, casting="same_kind"):
    arrs = [_at_least(a, 2) for a in _sequence(tup)]
    return shapes.concatenate(arrs, 0, dtype=dtype, casting=casting)


def dstack(tup):
    arrs = [_at_least(a, 3) for a in _sequence(tup)]
    return shapes.concatenate(arrs, 2)


def column_stack(tup):
    arrs = []
    for a in _sequence(tup):
        node = _node(a)
        if node.ndim < 2:
            node = prims.reshape(node, (node.type.size, 1))
        arrs.append(wrap(node))
    return shapes.concatenate(arrs, 1)


def append(arr, values, axis=None):
    x, v = wrap(_node(arr)), wrap(_node(values))
    if axis is None:
        x = x if x.ndim == 1 else shapes.ravel(x)
        v = shapes.ravel(v)
        axis = x.ndim - 1
    return shapes.concatenate((x, v), axis=axis)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    ndim = len(xi)
    if indexing not in ("xy", "ij"):
        raise _fail(ValueError, "Valid values for `indexing` are 'xy' and 'ij'.")
    nodes = [prims.reshape(_node(x), (_node(x).type.size,)) for x in xi]
    shapes_ = [[1] * ndim for _ in nodes]
    for i, s in enumerate(shapes_):
        s[i] = -1
    if indexing == "xy" and ndim > 1:
        shapes_[0][:2], shapes_[1][:2] = [1, -1], [-1, 1]
    out = [prims.reshape(n, [n.type.size if d == -1 else 1 for d in s])
           for n, s in zip(nodes, shapes_)]
    if not sparse:
        full = tuple(int(d) for d in np.broadcast_shapes(*(n.shape for n in out)))
        out = [prims.broadcast_to(n, full) for n in out]
    if not sparse or copy:
        return tuple(wrap(n) for n in out)
    return [wrap(n) for n in out]


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """numpy's arithmetic step for step: start + i * step (i / div * delta when some
    step is 0), the last sample set to stop, floor for integer dtypes."""
    num = operator.index(num)
    if num < 0:
        raise _fail(ValueError, f"Number of samples, {num}, must be non-negative.")
    div = num - 1 if endpoint else num
    dt = result_dtype(start, stop)
    dt = dt if dt.kind == "f" else np.dtype(np.float64)
    lo, hi = (prims.cast(_node(v), dt) for v in (start, stop))
    shape = tuple(np.broadcast_shapes(lo.shape, hi.shape))
    lo, hi = prims.broadcast_to(lo, shape), prims.broadcast_to(hi, shape)
    delta = prims.bind(Op.SUB, [hi, lo])
    out_shape = (num,) + shape

    def full(n: Node) -> Node:
        return prims.broadcast_to(n, out_shape)

    iota = full(prims.const(np.arange(num, dtype=dt).reshape((-1,) + (1,) * len(shape))))
    step: Any = np.nan
    if div > 0:
        step = prims.bind(Op.DIV, [delta, prims.full(shape, div, dt)])
        zero = prims.bind(Op.EQ, [step, prims.full(shape, 0, dt)])
        any_zero = prims.reduce(Op.REDUCE_MAX, zero, range(len(shape)))
        by_step = prims.bind(Op.MUL, [iota, full(step)])
        scaled = prims.bind(Op.DIV, [iota, prims.full(out_shape, div, dt)])
        by_delta = prims.bind(Op.MUL, [scaled, full(delta)])
        y = prims.select(full(any_zero), by_delta, by_step)
        step = wrap(step)
    else:
        y = prims.bind(Op.MUL, [iota, full(delta)])
    y = prims.bind(Op.ADD, [y, full(lo)])
    if endpoint and num > 1:
        last = prims.expand_dims(hi, [0])
        y = prims.concatenate([_take_range(y, 0, 0, num - 1), last], 0)
    ax = normalize_axis(axis, len(out_shape))
    y = prims.transpose(y, [d for d in range(1, ax + 1)] + [0] + list(range(ax + 1, y.ndim)))
    if dtype is not None and np.issubdtype(dtype, np.integer):
        y = prims.bind(Op.FLOOR, [y])
    y = wrap(prims.cast(y, dt if dtype is None else np.dtype(dtype)))
    return (y, step) if retstep else y


def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """numpy's n-th difference: x[1:] - x[:-1] (not_equal for bool), n times."""
    if n == 0:
        return wrap(_node(a))
    if n < 0:
        raise _fail(ValueError, "order must be non-negative but got " + repr(n))
    x = wrap(_node(a))
    if x.ndim == 0:
        raise _fail(ValueError, "diff requires input that is at least one dimensional")
    ax = normalize_axis(axis, x.ndim)
    combined = []
    for extra in (prepend, x, append):
        if extra is np._NoValue:
            continue
        node = _node(extra)
        if node.ndim == 0:
            node = prims.broadcast_to(node, x.shape[:ax] + (1,) + x.shape[ax + 1:])
        combined.append(wrap(node))
    y = shapes.concatenate(combined, ax).node if len(combined) > 1 else x.node
    op = np.not_equal if y.dtype == np.bool_ else np.subtract
    for _ in range(n):
        m = y.shape[ax]
        later = _take_range(y, ax, min(1, m), m)
        earlier = _take_range(y, ax, 0, max(m - 1, 0))
        y = call_ufunc(op, (wrap(later), wrap(earlier))).node
    return wrap(y)


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened array, with to_begin/to_end cast to its dtype."""
    x = shapes.ravel(wrap(_node(ary)))
    n = x.shape[0]
    d = call_ufunc(np.subtract, (wrap(_take_range(x.node, 0, min(1, n), n)),
                                 wrap(_take_range(x.node, 0, 0, max(n - 1, 0)))))
    parts = [d.node]
    for extra, name, at in ((to_begin, "to_begin", 0), (to_end, "to_end", 2)):
        if extra is None:
            continue
        node = _node(extra)
        if not np.can_cast(node.dtype, x.dtype, casting="same_kind"):
            raise _fail(TypeError, f"dtype of `{name}` must be compatible with input `ary` "
                                   "under the `same_kind` rule.")
        node = prims.cast(prims.reshape(node, (node.type.size,)), x.dtype)
        parts.insert(0 if at == 0 else len(parts), node)
    parts = [p for p in parts if p.shape[0]] or [parts[0]]
    return wrap(prims.concatenate(parts, 0))


FUNCTIONS = {
    np.zeros_like: zeros_like,
    np.ones_like: ones_like,
    np.full_like: full_like,
    np.empty_like: empty_like,
    np.copy: copy,
    np.tile: tile,
    np.repeat: repeat,
    np.flip: flip,
    np.fliplr: fliplr,
    np.flipud: flipud,
    np.roll: roll,
    np.rot90: rot90,
    np.pad: pad,
    np.split: split,
    np.array_split: array_split,
    np.hsplit: hsplit,
    np.vsplit: vsplit,
    np.dsplit: dsplit,
    np.atleast_1d: atleast_1d,
    np.atleast_2d: atleast_2d,
    np.atleast_3d: atleast_3d,
    np.hstack: hstack,
    np.vstack: vstack,
    np.dstack: dstack,
    np.column_stack: column_stack,
    np.append: append,
    np.meshgrid: meshgrid,
    np.linspace: linspace,
    np.delete: delete,
    np.diagflat: diagflat,
    np.diff: diff,
    np.ediff1d: ediff1d,
}
