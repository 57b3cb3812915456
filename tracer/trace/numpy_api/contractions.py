"""Contractions: einsum tensordot inner outer vdot kron cross multi_dot linalg.norm.

Every sum of products lowers to DOT_GENERAL, one node per pair of operands,
plus TRANSPOSE / RESHAPE / REDUCE_SUM / BROADCAST_TO around it; a repeated
einsum index (a diagonal) is a GATHER with iota indices. Operands are
converted as numpy converts them (`np.asarray`: Python scalars are strong).
bool products are computed in int64 and compared with zero: a sum of ANDs
is nonzero exactly when their OR is true, which is numpy's bool result.
"""
from __future__ import annotations

import math
import operator
import string
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import Proxy, operand, wrap
from . import linalg, reductions
from .common import broadcast_shapes, normalize_axis
from .linalg_decomp import singular_values
from .ufuncs import call_ufunc

_LETTERS = string.ascii_letters
Label = Any  # a letter, or an int naming one broadcast ('...') dimension


def _fail(exc: type[Exception], msg: str) -> Exception:
    return exc(at_line(msg, user_loc()))


def _numpy_error(fn: Any, nodes: Sequence[Node], fallback: str, *args: Any,
                 **kwargs: Any) -> Exception:
    """numpy's own error for these operand shapes, found on zero-stride stand-ins."""
    try:
        fn(*args, *[linalg.stand_in(n) for n in nodes], **kwargs)
    except (ValueError, TypeError) as err:
        exc = ValueError if isinstance(err, ValueError) else TypeError
        return _fail(exc, str(err))
    return _fail(ValueError, fallback)


# -- dtypes -------------------------------------------------------------------

def _strong(args: Sequence[Any], dtype: Any = None) -> tuple[list[Node], np.dtype]:
    """Operands (or nodes) as numpy's asarray sees them, cast to one compute dtype.

    Returns the nodes and the result dtype; bool results compute in int64.
    """
    nodes = [a if isinstance(a, Node) else operand(a)[0] for a in args]
    result = np.result_type(*[n.dtype for n in nodes]) if dtype is None else np.dtype(dtype)
    compute = np.dtype(np.int64) if result == np.dtype(bool) else result
    return [prims.cast(n, compute) for n in nodes], result


def _finish(node: Node, result: np.dtype) -> Proxy:
    if result == np.dtype(bool) and node.dtype != result:
        node = prims.bind(Op.NE, [node, prims.full(node.shape, 0, node.dtype)])
    return wrap(prims.cast(node, result))


# -- einsum: parsing ------------------------------------------------------------

def _sublists_to_subscripts(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """einsum(op0, sub0, op1, sub1, ..., [subout]) as a subscripts string."""
    def term(sub: Sequence[Any]) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
                continue
            s = operator.index(s)
            if not 0 <= s < 52:
                raise _fail(ValueError, "subscript is not within the valid range [0, 52)")
            out.append(_LETTERS[s])
        return "".join(out)

    pairs = len(args) // 2
    operands = [args[2 * k] for k in range(pairs)]
    subscripts = ",".join(term(args[2 * k + 1]) for k in range(pairs))
    if len(args) % 2:
        subscripts += "->" + term(args[-1])
    return subscripts, operands


class _Spec:
    """A parsed einsum: each operand's labels, the output's, every label's size."""

    def __init__(self, inputs: list[list[Label]], output: list[Label], sizes: dict):
        self.inputs, self.output, self.sizes = inputs, output, sizes


def _split_term(term: str, what: str) -> tuple[str, bool, str]:
    """(letters before '...', has '...', letters after); raises on bad characters."""
    head, dots, tail = term.partition("...")
    for ch in head + tail:
        if ch == ".":
            raise ValueError(f"einstein sum subscripts string contains a '.' that is not "
                             f"part of an ellipsis ('...') in {what}")
        if ch not in _LETTERS:
            raise ValueError(f"invalid subscript '{ch}' in einstein sum subscripts string, "
                             "subscripts must be letters")
    return head, bool(dots), tail


def _parse(subscripts: str, nodes: Sequence[Node]) -> _Spec:
    """numpy's einsum grammar: implicit output, '...', repeated indices."""
    text = subscripts.replace(" ", "")
    ins, arrow, out = text.partition("->")
    terms = ins.split(",")
    if len(terms) != len(nodes):
        few = len(terms) < len(nodes)
        raise ValueError(f"{'more' if few else 'fewer'} operands provided to einstein sum "
                         "function than specified in the subscripts string")
    parts = [_split_term(t, f"operand {i}") for i, t in enumerate(terms)]
    n_ell = []
    for i, ((head, dots, tail), node) in enumerate(zip(parts, nodes)):
        extra = node.ndim - len(head) - len(tail)
        if extra < 0:
            raise ValueError(f"einstein sum subscripts string contains too many subscripts "
                             f"for operand {i}")
        if extra and not dots:
            raise ValueError("operand has more dimensions than subscripts given in einstein "
                             "sum, but no '...' ellipsis provided to broadcast the extra "
                             "dimensions.")
        n_ell.append(extra)
    width = max(n_ell, default=0)
    inputs = [list(h) + list(range(width - e, width)) + list(t)
              for (h, _, t), e in zip(parts, n_ell)]
    output = _parse_output(out if arrow else None, inputs, width)
    return _Spec(inputs, output, _label_sizes(inputs, nodes))


def _parse_output(out: str | None, inputs: list[list[Label]], width: int) -> list[Label]:
    letters = [lab for labels in inputs for lab in labels if isinstance(lab, str)]
    if out is None:
        once = sorted(lab for lab in set(letters) if letters.count(lab) == 1)
        return list(range(width)) + once
    head, dots, tail = _split_term(out, "the output")
    for i, ch in enumerate(head + tail):
        if (head + tail).index(ch) != i:
            raise ValueError(f"einstein sum subscripts string includes output subscript "
                             f"'{ch}' multiple times")
        if ch not in letters:
            raise ValueError(f"einstein sum subscripts string included output subscript "
                             f"'{ch}' which never appeared in an input")
    if width and not dots:
        raise ValueError("output has more dimensions than subscripts given in einstein sum, "
                         "but no '...' ellipsis provided to broadcast the extra dimensions.")
    return list(head) + (list(range(width)) if dots else []) + list(tail)


def _label_sizes(inputs: list[list[Label]], nodes: Sequence[Node]) -> dict:
    """Each label's size: equal within an operand, broadcast (1 -> n) across them."""
    sizes: dict = {}
    for k, (labels, node) in enumerate(zip(inputs, nodes)):
        mine: dict = {}
        for lab, n in zip(labels, node.shape):
            if lab in mine and mine[lab] != n:
                raise ValueError(f"dimensions in operand {k} for collapsing index '{lab}' "
                                 f"don't match ({mine[lab]} != {n})")
            mine[lab] = n
        for lab, n in mine.items():
            old = sizes.get(lab, 1)
            if old != n and 1 not in (old, n):
                raise ValueError("operands could not be broadcast together with remapped "
                                 "shapes")
            sizes[lab] = n if old == 1 else old
    return sizes


# -- einsum: building -----------------------------------------------------------

def _diagonal(x: Node, labels: list[Label]) -> tuple[Node, list[Label]]:
    """Collapse each repeated label to one axis: x[..., i, ..., i, ...] by GATHER."""
    for lab in dict.fromkeys(labels):
        where = [i for i, other in enumerate(labels) if other == lab]
        if len(where) < 2:
            continue
        rest = [i for i in range(len(labels)) if i not in where]
        x = prims.transpose(x, where + rest)
        iota = prims.const(np.arange(x.shape[0], dtype=np.int64))
        x = prims.bind(Op.GATHER, [x] + [iota] * len(where), axis=0)
        labels = [lab] + [labels[i] for i in rest]
    return x, labels


def _sum_unneeded(x: Node, labels: list[Label], needed: set) -> tuple[Node, list[Label]]:
    axes = [i for i, lab in enumerate(labels) if lab not in needed]
    return prims.reduce(Op.REDUCE_SUM, x, axes), [lab for lab in labels if lab in needed]


def _pair(a: Node, la: list[Label], b: Node, lb: list[Label],
          keep: set) -> tuple[Node, list[Label]]:
    """One DOT_GENERAL: shared labels still needed are batch dims, the rest contract."""
    shared = [lab for lab in la if lab in lb]
    batch = [lab for lab in shared if lab in keep]
    summed = [lab for lab in shared if lab not in keep]
    out = prims.dot_general(a, b, ([la.index(s) for s in summed], [lb.index(s) for s in summed]),
                            ([la.index(s) for s in batch], [lb.index(s) for s in batch]))
    labels = batch + [lab for lab in la if lab not in shared] + \
        [lab for lab in lb if lab not in shared]
    return out, labels


def _next_pair(terms: list[tuple[Node, list[Label]]], output: list[Label],
               sizes: dict) -> tuple[int, int]:
    """Greedy order: the pair whose product is smallest (ties: leftmost)."""
    best, best_cost = (0, 1), None
    for i in range(len(terms)):
        for j in range(i + 1, len(terms)):
            keep = _needed(terms, output, (i, j))
            labels = set(terms[i][1]) | set(terms[j][1])
            cost = math.prod(sizes[lab] for lab in labels if lab in keep)
            if best_cost is None or cost < best_cost:
                best, best_cost = (i, j), cost
    return best


def _needed(terms: list[tuple[Node, list[Label]]], output: list[Label],
            skip: Sequence[int]) -> set:
    """Labels of the output and of every term not in `skip`."""
    keep = set(output)
    for k, (_, labels) in enumerate(terms):
        if k not in skip:
            keep.update(labels)
    return keep


def _contract(spec: _Spec, nodes: list[Node]) -> Node:
    terms = []
    for node, labels in zip(nodes, spec.inputs):
        node, labels = _diagonal(node, labels)
        terms.append((prims.broadcast_to(node, [spec.sizes[lab] for lab in labels]), labels))
    terms = [_sum_unneeded(x, lab, _needed(terms, spec.output, (k,)))
             for k, (x, lab) in enumerate(terms)]
    while len(terms) > 1:
        i, j = _next_pair(terms, spec.output, spec.sizes)
        keep = _needed(terms, spec.output, (i, j))
        merged = _pair(*terms[i], *terms[j], keep)
        terms = [t for k, t in enumerate(terms) if k not in (i, j)] + [merged]
    x, labels = _sum_unneeded(*terms[0], set(spec.output))
    return prims.transpose(x, [labels.index(lab) for lab in spec.output])


def einsum(*operands, out=None, optimize=False, **kwargs):
    """np.einsum over traced values; `optimize` is accepted and ignored."""
    if out is not None:
        raise _fail(TypeError, "einsum: out= is not supported on traced values; "
                               "use the returned array instead")
    dtype = kwargs.pop("dtype", None)
    casting = kwargs.pop("casting", "safe")
    kwargs.pop("order", None)
    if kwargs:
        raise TypeError(f"einsum() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not operands:
        raise ValueError("must specify the einstein sum subscripts string and at least one "
                         "operand, or at least one operand and its corresponding subscripts list")
    if isinstance(operands[0], str):
        subscripts, arrays = operands[0], list(operands[1:])
    else:
        if len(operands) < 2:
            raise ValueError("must provide at least an operand and a subscripts list to einsum")
        subscripts, arrays = _sublists_to_subscripts(operands)
    raw = [operand(a)[0] for a in arrays]
    try:
        spec = _parse(subscripts, raw)
    except ValueError as err:
        raise _numpy_error(np.einsum, raw, str(err), subscripts) from None
    if dtype is not None:
        for k, n in enumerate(raw):
            if not np.can_cast(n.dtype, dtype, casting):
                raise _fail(TypeError, f"Iterator operand {k} dtype could not be cast from "
                                       f"{n.dtype!r} to {np.dtype(dtype)!r} according to the "
                                       f"rule '{casting}'")
    nodes, result = _strong(raw, dtype)
    return _finish(_contract(spec, nodes), result)


# -- the classic products ---------------------------------------------------------

def _axes_list(axes: Any) -> list[int]:
    try:
        return [operator.index(a) for a in axes]
    except TypeError:
        return [operator.index(axes)]


def tensordot(a, b, axes=2):
    (x, y), result = _strong([a, b])
    try:
        axes_a, axes_b = axes
    except TypeError:
        n = operator.index(axes)
        axes_a, axes_b = list(range(x.ndim - n, x.ndim)), list(range(n))
    axes_a = [normalize_axis(i, x.ndim) for i in _axes_list(axes_a)]
    axes_b = [normalize_axis(i, y.ndim) for i in _axes_list(axes_b)]
    if len(axes_a) != len(axes_b) or any(x.shape[i] != y.shape[j]
                                         for i, j in zip(axes_a, axes_b)):
        raise _fail(ValueError, "shape-mismatch for sum")
    if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise _fail(ValueError, "tensordot: repeated axes in axes=")
    return _finish(prims.dot_general(x, y, (axes_a, axes_b)), result)


def _scalar_product(x: Node, y: Node) -> Node:
    shape = broadcast_shapes([x.shape, y.shape])
    return prims.bind(Op.MUL, [prims.broadcast_to(x, shape), prims.broadcast_to(y, shape)])


def inner(a, b):
    (x, y), result = _strong([a, b])
    if x.ndim == 0 or y.ndim == 0:
        return _finish(_scalar_product(x, y), result)
    if x.shape[-1] != y.shape[-1]:
        raise _numpy_error(np.inner, [x, y], f"shapes {x.shape} and {y.shape} not aligned")
    return _finish(prims.dot_general(x, y, ((x.ndim - 1,), (y.ndim - 1,))), result)


def outer(a, b, out=None):
    if out is not None:
        raise _fail(TypeError, "outer: out= is not supported on traced values")
    (x, y), result = _strong([a, b])
    x = prims.reshape(x, (x.type.size, 1))
    y = prims.reshape(y, (1, y.type.size))
    return _finish(_scalar_product(x, y), result)


def vdot(a, b):
    (x, y), result = _strong([a, b])
    if x.type.size != y.type.size:
        raise _fail(ValueError, f"cannot reshape array of size {y.type.size} into shape "
                                f"({x.type.size},)")
    x, y = prims.reshape(x, (x.type.size,)), prims.reshape(y, (y.type.size,))
    if x.dtype.kind == "c":     # numpy conjugates the first argument
        x = prims.bind(Op.CONJ, [x])
    return _finish(prims.dot_general(x, y, ((0,), (0,))), result)


def kron(a, b):
    x, y = operand(a)[0], operand(b)[0]
    if x.ndim == 0 or y.ndim == 0:
        return call_ufunc(np.multiply, (wrap(x), wrap(y)))
    nd = max(x.ndim, y.ndim)
    xs = (1,) * (nd - x.ndim) + x.shape
    ys = (1,) * (nd - y.ndim) + y.shape
    # kron[i*m + j] = a[i] * b[j]: a's axes interleaved with b's, then merged pairwise
    x2 = prims.reshape(x, [d for s in xs for d in (s, 1)])
    y2 = prims.reshape(y, [d for s in ys for d in (1, s)])
    prod = call_ufunc(np.multiply, (wrap(x2), wrap(y2))).node
    return wrap(prims.reshape(prod, [p * q for p, q in zip(xs, ys)]))


def _component(x: Node, k: int) -> Proxy:
    starts = [0] * (x.ndim - 1) + [k]
    sizes = list(x.shape[:-1]) + [1]
    return wrap(prims.squeeze_axes(prims.slice_axes(x, starts, [1] * x.ndim, sizes),
                                   [x.ndim - 1]))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    x, y = operand(a)[0], operand(b)[0]
    x = prims.transpose(x, _to_last(normalize_axis(axisa, x.ndim), x.ndim))
    y = prims.transpose(y, _to_last(normalize_axis(axisb, y.ndim), y.ndim))
    if x.shape[-1] not in (2, 3) or y.shape[-1] not in (2, 3):
        raise _fail(ValueError, "incompatible dimensions for cross product\n"
                                "(dimension must be 2 or 3)")
    if 2 in (x.shape[-1], y.shape[-1]):
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
    dt = np.promote_types(x.dtype, y.dtype)
    x, y = prims.cast(x, dt), prims.cast(y, dt)
    a0, a1, b0, b1 = _component(x, 0), _component(x, 1), _component(y, 0), _component(y, 1)
    z = a0 * b1 - a1 * b0
    if x.shape[-1] == 2 and y.shape[-1] == 2:
        return z
    a2 = _component(x, 2) if x.shape[-1] == 3 else None
    b2 = _component(y, 2) if y.shape[-1] == 3 else None
    if a2 is None:
        parts = [a1 * b2, -(a0 * b2)]
    elif b2 is None:
        parts = [-(a2 * b1), a2 * b0]
    else:
        parts = [a1 * b2 - a2 * b1, a2 * b0 - a0 * b2]
    shape = broadcast_shapes([p.shape for p in parts + [z]])
    cols = [prims.expand_dims(prims.broadcast_to(prims.cast(p.node, dt), shape), [len(shape)])
            for p in parts + [z]]
    c = prims.concatenate(cols, len(shape))
    axis_c = normalize_axis(axisc, c.ndim)
    return wrap(prims.transpose(c, _from_last(axis_c, c.ndim)))


def _to_last(axis: int, ndim: int) -> list[int]:
    return [i for i in range(ndim) if i != axis] + [axis]


def _from_last(axis: int, ndim: int) -> list[int]:
    perm = list(range(ndim - 1))
    perm.insert(axis, ndim - 1)
    return perm


# -- multi_dot ------------------------------------------------------------------

def _chain_order(dims: list[int]) -> dict[tuple[int, int], int]:
    """Cormen's matrix-chain DP (as numpy): split[i, j] = best k for A_i..A_j."""
    n = len(dims) - 1
    cost = {(i, i): 0 for i in range(n)}
    split: dict[tuple[int, int], int] = {}
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i, j] = math.inf
            for k in range(i, j):
                q = cost[i, k] + cost[k + 1, j] + dims[i] * dims[k + 1] * dims[j + 1]
                if q < cost[i, j]:
                    cost[i, j], split[i, j] = q, k
    return split


def _chain(nodes: list[Node], split: dict, i: int, j: int) -> Node:
    if i == j:
        return nodes[i]
    k = split[i, j]
    left, right = _chain(nodes, split, i, k), _chain(nodes, split, k + 1, j)
    return prims.dot_general(left, right, ((1,), (0,)))


def multi_dot(arrays, *, out=None):
    if out is not None:
        raise _fail(TypeError, "multi_dot: out= is not supported on traced values")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise _fail(ValueError, "Expecting at least two arrays.")
    nodes, result = _strong(arrays)
    if len(nodes) == 2:
        return _finish(linalg.dot(wrap(nodes[0]), wrap(nodes[1])).node, result)
    first, last = nodes[0].ndim, nodes[-1].ndim
    if first == 1:
        nodes[0] = prims.reshape(nodes[0], (1,) + nodes[0].shape)
    if last == 1:
        nodes[-1] = prims.reshape(nodes[-1], nodes[-1].shape + (1,))
    for n in nodes:
        if n.ndim != 2:
            raise _fail(np.linalg.LinAlgError, f"{n.ndim}-dimensional array given. "
                                               "Array must be two-dimensional")
    for k in range(len(nodes) - 1):
        if nodes[k].shape[1] != nodes[k + 1].shape[0]:
            raise _fail(ValueError, f"shapes {nodes[k].shape} and {nodes[k + 1].shape} not "
                                    f"aligned: {nodes[k].shape[1]} (dim 1) != "
                                    f"{nodes[k + 1].shape[0]} (dim 0)")
    dims = [n.shape[0] for n in nodes] + [nodes[-1].shape[1]]
    r = _chain(nodes, _chain_order(dims), 0, len(nodes) - 1)
    if first == 1 or last == 1:
        r = prims.reshape(r, [d for d, drop in zip(r.shape, (first == 1, last == 1)) if not drop])
    return _finish(r, result)


# -- linalg.norm ------------------------------------------------------------------

def _norm_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, tuple):
        return axis
    try:
        return (int(axis),)
    except Exception as err:
        raise TypeError("'axis' must be None, an integer or a tuple of integers") from err


def _keep(r: Node, shape: tuple[int, ...], axes: Sequence[int], keepdims: bool) -> Node:
    if not keepdims:
        return r
    return prims.reshape(r, [1 if i in axes else d for i, d in enumerate(shape)])


def _sum(x: Node, axes: Sequence[int]) -> Node:
    return prims.reduce(Op.REDUCE_SUM, x, axes)


def _sqrt_sum_sq(x: Node, axes: Sequence[int]) -> Node:
    return prims.bind(Op.SQRT, [_sum(prims.bind(Op.MUL, [x, x]), axes)])


def _vector_norm(x: Node, ord: Any, ax: int, keepdims: bool) -> Node:
    absx = prims.bind(Op.ABS, [x])
    if ord == np.inf:
        if x.shape[ax] == 0:
            return _keep(prims.full(x.shape[:ax] + x.shape[ax + 1:], 0, x.dtype),
                         x.shape, (ax,), keepdims)
        r = prims.reduce(Op.REDUCE_MAX, absx, (ax,))
    elif ord == -np.inf:
        return reductions.min(wrap(absx), axis=ax, keepdims=keepdims).node
    elif ord == 0:
        nonzero = prims.bind(Op.NE, [x, prims.full(x.shape, 0, x.dtype)])
        r = _sum(prims.cast(nonzero, x.dtype), (ax,))
    elif ord == 1:
        r = _sum(absx, (ax,))
    elif ord is None or ord == 2:
        r = _sqrt_sum_sq(x, (ax,))
    elif isinstance(ord, str):
        raise _fail(ValueError, f"Invalid norm order '{ord}' for vectors")
    else:
        powered = prims.bind(Op.POW, [absx, prims.full(x.shape, ord, x.dtype)])
        s = _sum(powered, (ax,))
        inv = np.reciprocal(np.asarray(ord, dtype=x.dtype))
        r = prims.bind(Op.POW, [s, prims.full(s.shape, inv, x.dtype)])
    return _keep(r, x.shape, (ax,), keepdims)


def _matrix_norm(x: Node, ord: Any, row: int, col: int, keepdims: bool) -> Node:
    if row == col:
        raise _fail(ValueError, "Duplicate axes given.")
    if ord in (2, -2, "nuc"):   # numpy's: the singular values over (row, col)
        perm = [d for d in range(x.ndim) if d not in (row, col)] + [row, col]
        s = singular_values(prims.transpose(x, perm))
        op = {2: Op.REDUCE_MAX, -2: Op.REDUCE_MIN, "nuc": Op.REDUCE_SUM}[ord]
        return _keep(prims.reduce(op, s, (s.ndim - 1,)), x.shape, (row, col), keepdims)
    absx = prims.bind(Op.ABS, [x])
    if ord in (1, -1, np.inf, -np.inf):
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        partial = _sum(absx, (summed,))
        other -= other > summed
        pick = reductions.max if ord > 0 else reductions.min
        extra = {"initial": 0} if ord > 0 else {}
        r = pick(wrap(partial), axis=other, **extra).node
    elif ord in (None, "fro", "f"):
        r = _sqrt_sum_sq(x, (row, col))
    else:
        raise _fail(ValueError, "Invalid norm order for matrices.")
    return _keep(r, x.shape, (row, col), keepdims)


def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm of every ord (matrix 2, -2, 'nuc' through the singular values)."""
    v = operand(x)[0]
    if v.dtype.kind not in "fc":
        v = prims.cast(v, np.float64)
    if axis is None and (ord is None or (ord in ("f", "fro") and v.ndim == 2)
                         or (ord == 2 and v.ndim == 1)):
        flat = prims.reshape(v, (v.type.size,))
        parts = [flat] if v.dtype.kind == "f" else \
            [prims.bind(Op.REAL, [flat]), prims.bind(Op.IMAG, [flat])]   # numpy's re.re + im.im
        dots = [prims.dot_general(p, p, ((0,), (0,))) for p in parts]
        total = dots[0] if len(dots) == 1 else prims.bind(Op.ADD, dots)
        r = prims.bind(Op.SQRT, [total])
        return wrap(prims.reshape(r, [1] * v.ndim) if keepdims else r)
    if v.dtype.kind == "c":     # the other norms are of |x| (to rounding: numpy squares
        v = prims.bind(Op.ABS, [v])     # conj(x) * x for 2 and 'fro')
    axes = _norm_axes(axis, v.ndim)
    if len(axes) == 1:
        return wrap(_vector_norm(v, ord, normalize_axis(axes[0], v.ndim), keepdims))
    if len(axes) == 2:
        row, col = (normalize_axis(a, v.ndim) for a in axes)
        return wrap(_matrix_norm(v, ord, row, col, keepdims))
    raise _fail(ValueError, "Improper number of dimensions to norm.")


FUNCTIONS = {
    np.einsum: einsum,
    np.tensordot: tensordot,
    np.inner: inner,
    np.outer: outer,
    np.vdot: vdot,
    np.kron: kron,
    np.cross: cross,
    np.linalg.multi_dot: multi_dot,
    np.linalg.norm: norm,
}
