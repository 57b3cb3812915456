"""Push work into ifelse branches, so the work a branch feeds runs only when it is taken.

The VJP of `ifelse(c, a, b)` gives `a` the cotangent `ifelse(c, g, 0)` and `b`
`ifelse(c, 0, g)`; the backward work of both branches then reads an ifelse and
runs on every call. Moving each reader into the ifelse,

    op(.., ifelse(c, a, b), ..) -> ifelse(c, op(.., a, ..), op(.., b, ..)),

is exact (each side computes what the original computed on that path) and
puts the heavy side's work under its branch (vm/branches.py schedules a node
read only under one side inside that side). The other side is then work on
zeros; `dot_of_zero` makes the one superlinear op on zeros cheap, exactly:
a matrix product whose operand is all zeros (or NaN) is +0.0 except where a
NaN or an inf meets it, and that pattern is found in one pass per operand.

Pushing is limited to where it pays: the ifelse inputs of a node share one
cond (no 2^k blowup over several conds), and either several of them merge or
one side is known zero-or-NaN (a cotangent that is zero on that path).
"""
from __future__ import annotations

import weakref

import numpy as np

from ..ir import Node, Op, make_const, make_node
from ..ir.ops import LEAF
from .engine import Context
from .match import const_array, uniform_source

# ops whose result is in {±0, NaN} when the inputs at these positions are ("all": every input)
_ZN_IF_ALL = frozenset({Op.ADD, Op.SUB, Op.MAXIMUM, Op.MINIMUM, Op.CONCATENATE, Op.IFELSE})
_ZN_IF_FIRST = frozenset({Op.NEG, Op.RESHAPE, Op.TRANSPOSE, Op.BROADCAST_TO, Op.SLICE,
                          Op.REDUCE_SUM, Op.CUMSUM, Op.GATHER, Op.DIV})
_ZN_IF_ANY = frozenset({Op.MUL, Op.DOT_GENERAL})
_zn_memo: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def zero_or_nan(node: Node) -> bool:
    """Every element of the float `node` is +0.0, -0.0 or NaN (a zero cotangent
    and what linear work makes of it: 0 * inf is NaN, never anything else)."""
    if node.dtype.kind != "f":
        return False
    known = _zn_memo.get(node)
    if known is None:
        known = _zero_or_nan(node)
        _zn_memo[node] = known
    return known


def _zero_or_nan(node: Node) -> bool:
    arr = const_array(node)
    if arr is not None:
        return bool(np.all((arr == 0) | np.isnan(arr)))
    ins = node.inputs[1:] if node.op in (Op.IFELSE, Op.SELECT) else node.inputs
    if node.op in _ZN_IF_ALL or node.op is Op.SELECT:
        return all(zero_or_nan(i) for i in ins)
    if node.op in _ZN_IF_FIRST:
        return zero_or_nan(node.inputs[0])
    if node.op in _ZN_IF_ANY:
        return any(zero_or_nan(i) for i in ins)
    if node.op in (Op.SCATTER_ADD, Op.SCATTER_SET):
        return zero_or_nan(node.inputs[0]) and zero_or_nan(node.inputs[-1])
    if node.op is Op.CAST:
        return zero_or_nan(node.inputs[0])
    return False


def ifelse_nested(node: Node, ctx: Context) -> Node | None:
    """ifelse(c, ifelse(c, a, b), d) -> ifelse(c, a, d); ifelse(c, a, ifelse(c, b, d))
    -> ifelse(c, a, d); ifelse(c, a, a) -> a."""
    if node.op is not Op.IFELSE:
        return None
    cond, then, other = node.inputs
    if then is other:
        return then
    if then.op is Op.IFELSE and then.inputs[0] is cond:
        return make_node(Op.IFELSE, [cond, then.inputs[1], other], loc=node.loc)
    if other.op is Op.IFELSE and other.inputs[0] is cond:
        return make_node(Op.IFELSE, [cond, then, other.inputs[2]], loc=node.loc)
    return None


def push_into_ifelse(node: Node, ctx: Context) -> Node | None:
    """op(.., ifelse(c, a, b), .., ifelse(c, d, e), ..)
    -> ifelse(c, op(.., a, .., d, ..), op(.., b, .., e, ..)), when all ifelse inputs
    share c and either there are several or one has a side that is zero-or-NaN."""
    if node.op in LEAF or node.op is Op.IFELSE:
        return None
    picked = [i for i in node.inputs if i.op is Op.IFELSE]
    if not picked:
        return None
    cond = picked[0].inputs[0]
    if any(i.inputs[0] is not cond for i in picked):
        return None
    if len(picked) == 1 and not any(zero_or_nan(side) for side in picked[0].inputs[1:]):
        return None
    sides = []
    for side in (1, 2):
        ins = [i.inputs[side] if i.op is Op.IFELSE else i for i in node.inputs]
        sides.append(make_node(node.op, ins, node.attrs, node.loc))
    return make_node(Op.IFELSE, [cond, *sides], loc=node.loc)


def _nan_pattern(x: Node, contract: tuple[int, ...], batch: tuple[int, ...],
                 zn: bool) -> Node | None:
    """A node over x's (batch..., free...) axes that is NaN where the product's
    terms along `contract` meet a NaN (zn: x is zero-or-NaN) or a NaN/inf (x is
    any operand of a zero-or-NaN one), else ±0; None when it is never NaN."""
    arr = const_array(uniform_source(x))
    if zn and arr is not None and not np.isnan(arr).any():
        return None                       # a zero constant: never NaN
    if zn:
        x = _nan_source(x, contract)
    else:
        zero = make_node(Op.BROADCAST_TO, [make_const(np.zeros((), x.dtype))], {"shape": x.shape})
        x = make_node(Op.MUL, [zero, x])
    ndim = x.ndim
    if contract:
        x = make_node(Op.REDUCE_SUM, [x], {"axes": tuple(sorted(contract))})
    rest = [i for i in range(ndim) if i not in contract]
    order = list(batch) + [i for i in rest if i not in batch]
    perm = tuple(rest.index(i) for i in order)
    if perm != tuple(range(len(perm))):
        x = make_node(Op.TRANSPOSE, [x], {"perm": perm})
    return x


def _nan_source(x: Node, contract: tuple[int, ...]) -> Node:
    """A smaller node whose sum along `contract` is NaN where x's is (x all ±0/NaN):
    x + 0.0 -> x; a non-empty broadcast_to(s) -> s (a NaN it repeats is one of s's)."""
    while x.op is Op.ADD and any(_is_plain_zero(i) for i in x.inputs):
        x = x.inputs[0] if _is_plain_zero(x.inputs[1]) else x.inputs[1]
    if x.op is not Op.BROADCAST_TO or x.type.size == 0:
        return x
    src = x.inputs[0]
    lead = x.ndim - src.ndim
    if lead:
        src = make_node(Op.RESHAPE, [src], {"shape": (1,) * lead + src.shape})
    if src.shape == x.shape:
        return x
    if contract:
        src = make_node(Op.REDUCE_SUM, [src], {"axes": tuple(sorted(contract))})
    kept = tuple(d for i, d in enumerate(x.shape) if i not in contract)
    reduced = _expand(src, src.shape, kept)
    # the caller reduces `contract` again: give it back axes of size 1 there
    full = tuple(1 if i in contract else d for i, d in enumerate(x.shape))
    return make_node(Op.RESHAPE, [reduced], {"shape": full}) if reduced.shape != full else reduced


def _is_plain_zero(node: Node) -> bool:
    arr = const_array(uniform_source(node))
    return arr is not None and not np.isnan(arr).any() and not arr.any()


def dot_of_zero(node: Node, ctx: Context) -> Node | None:
    """dot_general(z, y) with z all ±0/NaN (either side) -> nan_rows(z) + nan_cols(y) + 0.0,
    broadcast: entry sum_k z*y is NaN iff its row of z holds a NaN or its column of
    y a NaN or inf, else +0.0 (BLAS and the C loop start the sum at +0.0)."""
    if node.op is not Op.DOT_GENERAL or node.dtype not in _BLAS_FLOATS:
        return None
    lhs, rhs = node.inputs
    lzn, rzn = zero_or_nan(lhs), zero_or_nan(rhs)
    if not (lzn or rzn):
        return None
    (lc, rc), (lb, rb) = node.attrs["contract"], node.attrs["batch"]
    nb = len(lb)
    nl = lhs.ndim - len(lc) - nb
    nr = rhs.ndim - len(rc) - nb
    zero = make_const(np.zeros((), node.dtype))
    total = None
    sides = ((lhs, lc, lb, lzn), (rhs, rc, rb, rzn))
    for k, (x, contract, batch, zn) in enumerate(sides):
        pattern = _nan_pattern(x, contract, batch, zn)
        if pattern is None:
            continue
        if total is None:                 # -0.0 + 0.0 is +0.0, on the small pattern
            pattern = make_node(Op.ADD, [pattern, _expand(zero, (), pattern.shape)])
        free = pattern.shape[nb:]
        ext = free + (1,) * nr if k == 0 else (1,) * nl + free
        pattern = _expand(pattern, pattern.shape[:nb] + ext, node.shape)
        total = pattern if total is None else make_node(Op.ADD, [pattern, total])
    if total is None:
        total = _expand(zero, (), node.shape)
    return total


def _expand(x: Node, shape: tuple[int, ...], out: tuple[int, ...]) -> Node:
    """x reshaped to `shape` (size-1 axes added) then broadcast to `out`."""
    if x.shape != shape and x.ndim:
        x = make_node(Op.RESHAPE, [x], {"shape": shape})
    if shape != out:
        x = make_node(Op.BROADCAST_TO, [x], {"shape": out})
    return x


_BLAS_FLOATS = (np.dtype("float32"), np.dtype("float64"))
RULES = [ifelse_nested, push_into_ifelse, dot_of_zero]
