"""Products: matmul dot (more in helpers' modules), all lowered to dot_general."""
from __future__ import annotations

import numpy as np

from ...ir import Node, Op
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import operand, wrap
from .common import broadcast_shapes, result_dtype, shape_text, strong_dtype


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


def _promote(a, b, dtype: np.dtype) -> tuple[Node, Node]:
    """Both operands in `dtype`; bool products are computed in int64 (see _bool_result)."""
    if dtype == np.dtype(bool):
        dtype = np.dtype(np.int64)
    return prims.cast(operand(a)[0], dtype), prims.cast(operand(b)[0], dtype)


def _bool_result(node: Node, dtype: np.dtype) -> Node:
    """numpy's bool product is any(a & b): a count of true pairs, nonzero."""
    return prims.cast(node, bool) if dtype == np.dtype(bool) else node


def matmul(a, b, out=None, **kwargs):
    if out is not None:
        raise TypeError("matmul: out= is not supported on traced values")
    dtype = result_dtype(a, b)  # matmul is a ufunc: Python scalars are weak
    x, y = _promote(a, b, dtype)
    return wrap(_bool_result(matmul_nodes(x, y), dtype))


def dot(a, b, out=None):
    if out is not None:
        raise TypeError("dot: out= is not supported on traced values")
    dtype = strong_dtype(a, b)  # dot converts with np.asarray: nothing is weak
    x, y = _promote(a, b, dtype)
    return wrap(_bool_result(_dot_nodes(x, y), dtype))


def _dot_nodes(x: Node, y: Node) -> Node:
    if x.ndim == 0 or y.ndim == 0:
        shape = broadcast_shapes([x.shape, y.shape])
        return prims.bind(Op.MUL, [prims.broadcast_to(x, shape), prims.broadcast_to(y, shape)])
    # dot(a, b)[i,j,k,m] = sum(a[i,j,:] * b[k,:,m]): contract a's last with b's second-to-last
    k = max(y.ndim - 2, 0)
    if x.shape[-1] != y.shape[k]:
        raise ValueError(at_line(f"shapes {shape_text(x.shape)} and {shape_text(y.shape)} not "
                                 f"aligned: {x.shape[-1]} (dim {x.ndim - 1}) != {y.shape[k]} "
                                 f"(dim {k})", user_loc()))
    if y.ndim <= 2:
        return matmul_nodes(x, y)
    return prims.dot_general(x, y, ((x.ndim - 1,), (k,)))


FUNCTIONS = {
    np.dot: dot,
    np.matmul: matmul,
}
