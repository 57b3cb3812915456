"""The pieces of the non-elementwise rules that take more than a line.

Each is built from primitives only, so a derivative graph is an ordinary
graph: it can be differentiated again, optimized and compiled like any.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..ir import Node, Op
from ..trace import prims
from . import build as b


# -- slice: its transpose pads with zeros --------------------------------------
def unslice(ct: Node, shape: Sequence[int], starts, steps, sizes) -> Node:
    """The array of `shape` that is zero except where SLICE read it, which holds ct."""
    out = ct
    for axis, n in enumerate(shape):
        out = _unslice_axis(out, axis, n, starts[axis], steps[axis], sizes[axis])
    return out


def _unslice_axis(ct: Node, axis: int, n: int, start: int, step: int, size: int) -> Node:
    if size == 0:
        full = list(ct.shape)
        full[axis] = n
        return b.zeros_shape(full, ct.dtype)
    if step < 0:  # read backwards: reverse, then it is a forward read from the far end
        ct, start, step = b.reverse(ct, axis), start + (size - 1) * step, -step
    if step > 1:  # put step - 1 zeros after each element, keep the covered span
        shape = list(ct.shape)
        spread = prims.reshape(ct, shape[:axis + 1] + [1] + shape[axis + 1:])
        gaps = b.zeros_shape(shape[:axis + 1] + [step - 1] + shape[axis + 1:], ct.dtype)
        woven = prims.concatenate([spread, gaps], axis + 1)
        shape[axis] = size * step
        ct = b.slice_along(prims.reshape(woven, shape), axis, 0, (size - 1) * step + 1)
    return b.pad_axis(ct, axis, start, n - start - ct.shape[axis])


# -- dot_general: transposes as in JAX ----------------------------------------
def _remaining(ndim: int, *removed: Sequence[int]) -> list[int]:
    gone = {a for r in removed for a in r}
    return [i for i in range(ndim) if i not in gone]


def dot_transpose_lhs(ct: Node, lhs: Node, rhs: Node, contract, batch,
                      swap_ans: bool = False) -> Node:
    """d<ct, dot_general(lhs, rhs)>/d lhs, itself one dot_general and a transpose."""
    (lc, rc), (lb, rb) = contract, batch
    l_kept = _remaining(lhs.ndim, lc, lb)
    r_kept = _remaining(rhs.ndim, rc, rb)
    nb = len(lb)
    if swap_ans:
        ans_r = list(range(nb, nb + len(r_kept)))
    else:
        ans_r = list(range(nb + len(l_kept), nb + len(l_kept) + len(r_kept)))
    dims = ((tuple(ans_r), tuple(r_kept)), (tuple(range(nb)), tuple(rb)))
    lc_by_r = [lc[i] for i in np.argsort(rc)]
    out_axes = [int(a) for a in np.argsort(list(lb) + l_kept + lc_by_r)]
    # When the transpose only swaps ct's free dims with rhs's, the product with
    # its operands swapped comes out in place: no transpose to materialize
    # (x.T @ ct instead of (ct.T @ x).T for a weight gradient).
    n_ct_free = ct.ndim - nb - len(ans_r)
    swapped_order = list(range(nb)) + list(range(nb + n_ct_free, nb + n_ct_free + len(r_kept))) \
        + list(range(nb, nb + n_ct_free))
    if out_axes == swapped_order:
        return prims.dot_general(rhs, ct, (dims[0][1], dims[0][0]), (dims[1][1], dims[1][0]))
    return prims.transpose(prims.dot_general(ct, rhs, *dims), out_axes)


def dot_transpose_rhs(ct: Node, lhs: Node, rhs: Node, contract, batch) -> Node:
    (lc, rc), (lb, rb) = contract, batch
    return dot_transpose_lhs(ct, rhs, lhs, (rc, lc), (rb, lb), swap_ans=True)


# -- reductions ----------------------------------------------------------------
def max_weights(x: Node, out: Node, axes: Sequence[int]) -> Node:
    """d reduce_max / dx: 1/count on the maxima (ties split equally, as JAX), else 0."""
    hit = b.bind(Op.EQ, x, b.unreduce(out, axes, x.shape))
    ones = b.select(hit, b.full_like(x, 1), b.full_like(x, 0))
    count = b.unreduce(b.sum_axes(ones, axes), axes, x.shape)
    return b.bind(Op.DIV, ones, count)


def _to_last(x: Node, axes: Sequence[int]) -> tuple[Node, list[int]]:
    """x with `axes` flattened into one last axis; the permutation used."""
    perm = [i for i in range(x.ndim) if i not in axes] + list(axes)
    moved = prims.transpose(x, perm)
    keep = moved.shape[:x.ndim - len(axes)]
    return prims.reshape(moved, keep + (int(np.prod([x.shape[a] for a in axes])),)), perm


def _from_last(y: Node, perm: Sequence[int], shape: Sequence[int]) -> Node:
    moved = prims.reshape(y, tuple(shape[p] for p in perm))
    return prims.transpose(moved, [int(a) for a in np.argsort(perm)])


def _exclusive_cumprod(x: Node, axis: int) -> Node:
    """[1, x0, x0 x1, ...]: the product of the elements before each one."""
    n = x.shape[axis]
    ones = list(x.shape)
    ones[axis] = 1
    shifted = prims.concatenate([prims.full(ones, 1, x.dtype), b.slice_along(x, axis, 0, n - 1)],
                                axis)
    return b.bind(Op.CUMPROD, shifted, axis=axis)


def prod_others(x: Node, axes: Sequence[int]) -> Node:
    """d reduce_prod / dx: the product of the other elements, exact with zeros."""
    k = int(np.prod([x.shape[a] for a in axes]))
    if k <= 1 or x.type.size == 0:
        return b.full_like(x, 1)
    flat, perm = _to_last(x, axes)
    last = flat.ndim - 1
    before = _exclusive_cumprod(flat, last)
    after = b.reverse(_exclusive_cumprod(b.reverse(flat, last), last), last)
    return _from_last(b.bind(Op.MUL, before, after), perm, x.shape)


def cumprod_jacobian(x: Node, axis: int) -> tuple[Node, list[int]]:
    """D[..., j, i] = d cumprod(x)[i] / d x[j] with `axis` moved last; exact with zeros.

    The row for x[j] is the cumulative product of x with x[j] replaced by one,
    masked to i >= j: O(n^2) along the axis, which is short in practice.
    """
    flat, perm = _to_last(x, [axis])
    n = flat.shape[-1]
    lead = flat.shape[:-1]
    rows = prims.broadcast_to(prims.reshape(flat, lead + (1, n)), lead + (n, n))
    eye = prims.broadcast_to(prims.const(np.eye(n, dtype=bool)), lead + (n, n))
    swapped = b.select(eye, b.full_like(rows, 1), rows)
    cum = b.bind(Op.CUMPROD, swapped, axis=flat.ndim)
    upper = prims.broadcast_to(prims.const(np.triu(np.ones((n, n), dtype=bool))), lead + (n, n))
    return b.select(upper, cum, b.full_like(rows, 0)), perm


def cumprod_jvp(x: Node, t: Node, axis: int) -> Node:
    jac, perm = cumprod_jacobian(x, axis)
    tf, _ = _to_last(t, [axis])
    n = tf.shape[-1]
    terms = b.bind(Op.MUL, jac, prims.broadcast_to(prims.reshape(tf, tf.shape + (1,)), jac.shape))
    out = b.sum_axes(terms, [jac.ndim - 2])
    return _from_last(prims.reshape(out, tf.shape[:-1] + (n,)), perm, x.shape)


def cumprod_vjp(x: Node, ct: Node, axis: int) -> Node:
    jac, perm = cumprod_jacobian(x, axis)
    cf, _ = _to_last(ct, [axis])
    lead, n = cf.shape[:-1], cf.shape[-1]
    spread = prims.broadcast_to(prims.reshape(cf, lead + (1, n)), jac.shape)
    out = b.sum_axes(b.bind(Op.MUL, jac, spread), [jac.ndim - 1])
    return _from_last(out, perm, x.shape)
