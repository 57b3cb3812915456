"""A seeded generator of random graphs over the op catalog, for differential tests."""
from __future__ import annotations

import numpy as np

from tracer.ir import Graph, IRTypeError, Node, Op, make_node

from .support import params

UNARY_SAFE = [Op.NEG, Op.ABS, Op.EXP, Op.TANH, Op.SIN, Op.COS, Op.ARCTAN, Op.SQRT, Op.LOG1P,
              Op.FLOOR, Op.RINT, Op.EXPM1, Op.SIGN, Op.ERF, Op.CBRT, Op.ISNAN]
BINARY_SAFE = [Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.MAXIMUM, Op.MINIMUM, Op.FMAX, Op.POW,
               Op.ARCTAN2, Op.HYPOT, Op.LOGADDEXP, Op.MOD, Op.FLOORDIV, Op.COPYSIGN, Op.LT]


def _broadcast(a: Node, b: Node) -> tuple[Node, Node] | None:
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return None
    out = []
    for x in (a, b):
        out.append(x if x.shape == shape else make_node(Op.BROADCAST_TO, [x], {"shape": shape}))
    return out[0], out[1]


def _float(node: Node, dtype) -> Node:
    if node.dtype == dtype:
        return node
    return make_node(Op.CAST, [node], {"dtype": np.dtype(dtype)})


def _step(rng: np.random.Generator, pool: list[Node], dtype) -> Node | None:
    x = pool[rng.integers(len(pool))]
    x = _float(x, dtype)
    kind = rng.choice(["unary", "binary", "binary", "reduce", "layout", "cum", "dot", "concat"])
    if kind == "unary":
        return make_node(UNARY_SAFE[rng.integers(len(UNARY_SAFE))], [x])
    if kind == "binary":
        y = _float(pool[rng.integers(len(pool))], dtype)
        pair = _broadcast(x, y)
        if pair is None:
            return None
        return make_node(BINARY_SAFE[rng.integers(len(BINARY_SAFE))], list(pair))
    if x.ndim == 0:
        return None
    if kind == "reduce":
        axes = tuple(sorted(set(int(a) for a in rng.integers(0, x.ndim, rng.integers(1, x.ndim + 1)))))
        op = [Op.REDUCE_SUM, Op.REDUCE_MAX, Op.REDUCE_PROD][rng.integers(3)]
        return make_node(op, [x], {"axes": axes})
    if kind == "layout":
        choice = rng.integers(3)
        if choice == 0:
            return make_node(Op.TRANSPOSE, [x], {"perm": tuple(reversed(range(x.ndim)))})
        if choice == 1:
            n = x.shape[0]
            return make_node(Op.SLICE, [x], {"starts": (n - 1,) + (0,) * (x.ndim - 1),
                                             "steps": (-1,) + (1,) * (x.ndim - 1),
                                             "sizes": x.shape}) if n else None
        return make_node(Op.RESHAPE, [x], {"shape": (x.type.size,)})
    if kind == "cum":
        return make_node(Op.CUMSUM, [x], {"axis": int(rng.integers(x.ndim))})
    if kind == "concat":
        return make_node(Op.CONCATENATE, [x, x], {"axis": int(rng.integers(x.ndim))})
    y = _float(pool[rng.integers(len(pool))], dtype)
    if y.ndim and x.shape[-1] == y.shape[0]:
        return make_node(Op.DOT_GENERAL, [x, y], {"contract": ((x.ndim - 1,), (0,)),
                                                 "batch": ((), ())})
    return None


def random_graph(seed: int, steps: int = 12) -> tuple[Graph, list[np.ndarray]]:
    """A graph of about `steps` random ops over three inputs, and inputs for it."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype("float64" if rng.random() < 0.7 else "float32")
    shapes = [(3, 4), (4,), (3, 1)] if rng.random() < 0.5 else [(2, 3, 4), (4, 2), (1, 3, 1)]
    ps = params(*[(dtype.name, s) for s in shapes])
    pool: list[Node] = list(ps)
    for _ in range(steps * 3):
        if len(pool) >= steps + len(ps):
            break
        try:
            node = _step(rng, pool, dtype)
        except IRTypeError:
            node = None
        if node is not None:
            pool.append(node)
    outs = pool[len(ps):] or pool[:1]       # every node: all of them are checked
    outs.append(pool[rng.integers(len(pool))])
    inputs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return Graph(tuple(ps), tuple(outs)), inputs
