"""Derivative rules of gather and the scatter family (np.add.at and friends, x[idx] = v).

A scatter writes updates u_i, in C order, into positions p(i) of a copy of x.
Every rule is built from the same ops, so it can be differentiated again:

* add: linear; x gets the cotangent, u_i gets ct[p(i)].
* set (the last write to a position wins, as numpy's assignment): linear too, but
  only the winning update of each position reaches the output. The winner of
  each position is found by scattering the updates' own C-order numbers and
  reading them back: u_i won if its number came back.
* max/min: like reduce_max, the cotangent is split equally among the tied
  maxima (x[p] and every u_i at p equal to the result).
* mul: out[p] = x[p] * prod_i u_i; d/du_i is x[p] times the product of the other
  updates at p, computed without dividing by u_i where u_i is zero (a count of
  zero factors per position picks the right product). First derivatives are exact
  everywhere; higher ones only away from zero updates (JAX refuses this gradient).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..ir import Node, Op
from ..trace import prims
from . import build as b
from .build import materialize


def _parts(node: Node) -> tuple[Node, list[Node], Node, int]:
    x, *idx, upd = node.inputs
    return x, idx, upd, node.attrs["axis"]


def _scatter(op: Op, x: Node, idx: Sequence[Node], upd: Node, axis: int) -> Node:
    return prims.bind(op, [x, *idx, upd], axis=axis)


def _gather(x: Node, idx: Sequence[Node], axis: int) -> Node:
    return prims.bind(Op.GATHER, [x, *idx], axis=axis)


def _float(mask: Node, like: Node) -> Node:
    return prims.cast(mask, like.dtype)


# -- gather and scatter_add: each other's transpose --------------------------------
def _gather_jvp(node, ts):
    return _gather(ts[0], node.inputs[1:], node.attrs["axis"])


def _gather_vjp(node, ct):
    x, *idx = node.inputs
    return [_scatter(Op.SCATTER_ADD, b.zeros_like(x), idx, ct, node.attrs["axis"])] \
        + [None] * len(idx)


def _linear_jvp(node, ts):
    """add and set are linear in (x, u): the same scatter of the tangents."""
    x, idx, upd, axis = _parts(node)
    return _scatter(node.op, materialize(ts[0], x), idx, materialize(ts[-1], upd), axis)


def _scatter_add_vjp(node, ct):
    x, idx, upd, axis = _parts(node)
    return [ct] + [None] * len(idx) + [_gather(ct, idx, axis)]


# -- set: only the last write to each position counts ---------------------------------
def _winners(node: Node) -> Node:
    """bool, shaped like the updates: is update i the last write to its position?"""
    x, idx, upd, axis = _parts(node)
    order = prims.const(np.arange(upd.type.size, dtype=np.int64).reshape(upd.shape))
    last = _scatter(Op.SCATTER_SET, prims.full(x.shape, -1, np.int64), idx, order, axis)
    return prims.bind(Op.EQ, [_gather(last, idx, axis), order])


def _scatter_set_vjp(node, ct):
    x, idx, upd, axis = _parts(node)
    kept = _scatter(Op.SCATTER_SET, ct, idx, b.zeros_like(upd), axis)   # overwritten: none
    return [kept] + [None] * len(idx) + [b.select(_winners(node), _gather(ct, idx, axis), None)]


# -- max and min: ties share -----------------------------------------------------------
def _tie_weights(node: Node) -> tuple[Node, Node]:
    """(weight of x, weight of each update): 1/count on the elements equal to the result
    at their position, 0 elsewhere (reduce_max's convention)."""
    x, idx, upd, axis = _parts(node)
    x_hit = _float(prims.bind(Op.EQ, [x, node]), x)
    u_hit = _float(prims.bind(Op.EQ, [upd, _gather(node, idx, axis)]), upd)
    count = _scatter(Op.SCATTER_ADD, x_hit, idx, u_hit, axis)
    count = prims.bind(Op.MAXIMUM, [count, b.full_like(count, 1)])     # NaN results: none hit
    return b.div(x_hit, count), b.div(u_hit, _gather(count, idx, axis))


def _extremum_jvp(node, ts):
    x, idx, upd, axis = _parts(node)
    wx, wu = _tie_weights(node)
    return _scatter(Op.SCATTER_ADD, materialize(b.mul(ts[0], wx), x), idx,
                    materialize(b.mul(ts[-1], wu), upd), axis)


def _extremum_vjp(node, ct):
    x, idx, upd, axis = _parts(node)
    wx, wu = _tie_weights(node)
    return [b.mul(ct, wx)] + [None] * len(idx) + [b.mul(_gather(ct, idx, axis), wu)]


# -- mul: products of the other factors -------------------------------------------------
def _mul_partials(node: Node) -> tuple[Node, Node]:
    """(d out/dx, d out/du_i): the product of all updates at each position, and x[p]
    times the product of the other updates at p(i)."""
    x, idx, upd, axis = _parts(node)
    ones = b.full_like(x, 1)
    total = _scatter(Op.SCATTER_MUL, ones, idx, upd, axis)
    zero = prims.bind(Op.EQ, [upd, b.zeros_like(upd)])
    nonzero_prod = _scatter(Op.SCATTER_MUL, ones, idx, b.select(zero, b.full_like(upd, 1), upd),
                            axis)
    zeros_at = _scatter(Op.SCATTER_ADD, b.zeros_like(x), idx, _float(zero, upd), axis)
    scaled = prims.bind(Op.MUL, [x, nonzero_prod])
    at_i = _gather(scaled, idx, axis)
    count_i = _gather(zeros_at, idx, axis)
    # u_i != 0: the others' product is P/u_i where no zero is at p, else 0;
    # u_i == 0: the others' product is P where u_i is the only zero at p, else 0
    nonzero_case = b.select(prims.bind(Op.EQ, [count_i, b.zeros_like(count_i)]),
                            b.div(at_i, upd), None)
    zero_case = b.select(prims.bind(Op.EQ, [count_i, b.full_like(count_i, 1)]), at_i, None)
    return total, prims.select(zero, materialize(zero_case, upd), materialize(nonzero_case, upd))


def _mul_jvp(node, ts):
    x, idx, upd, axis = _parts(node)
    dx, du = _mul_partials(node)
    via_u = None if ts[-1] is None else _scatter(
        Op.SCATTER_ADD, b.zeros_like(x), idx, b.mul(ts[-1], du), axis)
    return b.add(b.mul(ts[0], dx), via_u)


def _mul_vjp(node, ct):
    x, idx, upd, axis = _parts(node)
    dx, du = _mul_partials(node)
    return [b.mul(ct, dx)] + [None] * len(idx) + [b.mul(_gather(ct, idx, axis), du)]


JVP_RULES = {Op.GATHER: _gather_jvp, Op.SCATTER_ADD: _linear_jvp, Op.SCATTER_SET: _linear_jvp,
             Op.SCATTER_MAX: _extremum_jvp, Op.SCATTER_MIN: _extremum_jvp,
             Op.SCATTER_MUL: _mul_jvp}
VJP_RULES = {Op.GATHER: _gather_vjp, Op.SCATTER_ADD: _scatter_add_vjp,
             Op.SCATTER_SET: _scatter_set_vjp, Op.SCATTER_MAX: _extremum_vjp,
             Op.SCATTER_MIN: _extremum_vjp, Op.SCATTER_MUL: _mul_vjp}
