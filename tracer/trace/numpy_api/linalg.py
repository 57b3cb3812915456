"""Products: matmul dot (more in helpers' modules), all lowered to dot_general."""
from __future__ import annotations

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import operand, wrap
from .common import broadcast_shapes, result_dtype


def stand_in(node: Node) -> np.ndarray:
    """A zero-stride array of the node's shape: numpy checks it without allocating."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, node.dtype), node.shape, (0,) * node.ndim)


def _matmul_error(a: Node, b: Node) -> ValueError:
    try:  # numpy's own words
        np.matmul(stand_in(a), stand_in(b))
    except ValueError as err:
        return ValueError(at_line(str(err), user_loc()))
    return ValueError(at_line(f"matmul: shapes {a.shape} and {b.shape} do not match", user_loc()))


def matmul_nodes(a: Node, b: Node) -> Node:
    """numpy matmul semantics: 1-d operands promoted then squeezed, batch broadcast."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(at_line("matmul: Input operand does not have enough dimensions "
                                 "(has 0, gufunc core with signature (n?,k),(k,m?)->(n?,m?) "
                                 "requires 1)", user_loc()))
    a2 = prims.reshape(a, (1,) + a.shape) if a.ndim == 1 else a
    b2 = prims.reshape(b, b.shape + (1,)) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise _matmul_error(a, b)
    batch = broadcast_shapes([a2.shape[:-2], b2.shape[:-2]])
    a3 = prims.broadcast_to(a2, batch + a2.shape[-2:])
    b3 = prims.broadcast_to(b2, batch + b2.shape[-2:])
    nb = len(batch)
    out = prims.dot_general(a3, b3, ((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb))))
    final = list(out.shape)
    if b.ndim == 1:
        final.pop(-1)
    if a.ndim == 1:
        final.pop(-2 if b.ndim > 1 else -1)
    return prims.reshape(out, final)


def _promote(a, b) -> tuple[Node, Node]:
    dt = result_dtype(a, b)
    if dt == np.dtype(bool):
        raise TypeError("tracer: matmul of bool arrays is not supported; cast to an integer type")
    return prims.cast(operand(a)[0], dt), prims.cast(operand(b)[0], dt)


def matmul(a, b, out=None, **kwargs):
    if out is not None:
        raise TypeError("matmul: out= is not supported on traced values")
    x, y = _promote(a, b)
    return wrap(matmul_nodes(x, y))


def dot(a, b, out=None):
    if out is not None:
        raise TypeError("dot: out= is not supported on traced values")
    x, y = _promote(a, b)
    if x.ndim == 0 or y.ndim == 0:
        shape = broadcast_shapes([x.shape, y.shape])
        return wrap(prims.bind(Op.MUL, [prims.broadcast_to(x, shape), prims.broadcast_to(y, shape)]))
    if y.ndim <= 2:
        return wrap(matmul_nodes(x, y))
    # dot(a, b)[i,j,k,m] = sum(a[i,j,:] * b[k,:,m]): contract a's last with b's second-to-last
    if x.shape[-1] != y.shape[-2]:
        raise ValueError(at_line(f"shapes {x.shape} and {y.shape} not aligned: "
                                 f"{x.shape[-1]} (dim {x.ndim - 1}) != {y.shape[-2]} "
                                 f"(dim {y.ndim - 2})", user_loc()))
    return wrap(prims.dot_general(x, y, ((x.ndim - 1,), (y.ndim - 2,))))


FUNCTIONS = {
    np.dot: dot,
    np.matmul: matmul,
}
