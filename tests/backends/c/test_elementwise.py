"""Every elementwise op on every dtype it allows, against the reference backend.

One graph per dtype holds every unary op (or every binary op), so each dtype
compiles once; inputs are the dtype's edge values (NaN, inf, -0.0, integer
limits, shift widths) laid out contiguous, reversed, strided and transposed.
"""
from __future__ import annotations

import numpy as np
import pytest

from tracer.backends.python.impls import IMPLS
from tracer.ir import IRTypeError, Op, make_node
from tracer.ir.ops import BINARY, UNARY

from .support import ALL_DTYPES, check, graph, params, specials, strided


def _valid(op: Op, dtype: str, arity: int) -> bool:
    """The IR accepts op on dtype and numpy (the reference) computes it."""
    ps = params(*[(dtype, (2,))] * arity)
    if op not in IMPLS:
        return False
    try:
        node = make_node(op, ps)
    except IRTypeError:
        return False
    sample = [np.ones(2, dtype) for _ in range(arity)]
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(IMPLS[op](node.attrs, *sample))
    except (TypeError, ValueError):
        return False
    return out.dtype == node.dtype


def _ops(kind, dtype: str, arity: int) -> list[Op]:
    skip = {Op.POW} if arity == 2 and np.dtype(dtype).kind in "iu" else set()
    return sorted((op for op in kind if op not in skip and _valid(op, dtype, arity)),
                  key=lambda o: o.value)


@pytest.mark.parametrize("layout", ["c", "neg"])
@pytest.mark.parametrize("dtype", ALL_DTYPES + ["float16"])   # float16: numpy's own results
def test_unary_ops(dtype, layout):
    vals = specials(dtype)
    if np.dtype(dtype).kind == "f":
        vals = np.concatenate([vals, np.linspace(-3, 3, 12, dtype=dtype)])
    x = vals.reshape(1, -1) if layout == "c" else np.stack([vals, vals[::-1]])
    (p,) = params((dtype, x.shape))
    ops = _ops(UNARY, dtype, 1)
    assert ops or dtype == "bool"
    g = graph([p], [make_node(op, [p]) for op in ops])
    check(g, [strided(x, layout)], atol=1e-300)


@pytest.mark.parametrize("layout", ["c", "T"])
@pytest.mark.parametrize("dtype", ALL_DTYPES + ["float16"])
def test_binary_ops(dtype, layout):
    vals = specials(dtype)
    a, b = np.meshgrid(vals, vals, indexing="ij")
    pa, pb = params((dtype, a.shape), (dtype, b.shape))
    ops = _ops(BINARY, dtype, 2)
    g = graph([pa, pb], [make_node(op, [pa, pb]) for op in ops])
    check(g, [strided(a, layout), strided(b, "step")], atol=1e-300)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "uint16", "uint64"])
def test_integer_power(dtype, rng):
    info = np.iinfo(dtype)
    base = rng.integers(max(info.min, -50), min(info.max, 50), size=40).astype(dtype)
    exp = rng.integers(0, 70, size=40).astype(dtype)
    pa, pb = params((dtype, (40,)), (dtype, (40,)))
    check(graph([pa, pb], [make_node(Op.POW, [pa, pb])]), [base, exp])


def test_integer_power_negative_exponent_raises_like_numpy():
    pa, pb = params(("int64", (3,)), ("int64", (3,)))
    g = graph([pa, pb], [make_node(Op.POW, [pa, pb])])
    x, y = np.array([2, 3, 4]), np.array([1, -1, 2])
    with pytest.raises(ValueError, match="negative integer powers"):
        np.power(x, y)
    from tracer.backends.c import compile_graph
    with pytest.raises(ValueError, match="negative integer powers"):
        compile_graph(g)([x, y])


def test_select_and_casts_between_all_dtypes():
    vals = specials("float64")
    xs = {dt: specials(dt) for dt in ALL_DTYPES}
    xs["float64"] = np.concatenate([vals, [1e19, -1e19, 3e9, -3e9, 2.0**63, 2.0**64, 70000.7,
                                           -70000.7, 300.5, -300.5, 1e20]])
    xs["float32"] = xs["float64"].astype(np.float32)
    ps = params(*[(dt, xs[dt].shape) for dt in ALL_DTYPES])
    outs = [make_node(Op.CAST, [p], {"dtype": np.dtype(dt)}) for p in ps for dt in ALL_DTYPES]
    g = graph(ps, outs)
    check(g, [xs[dt] for dt in ALL_DTYPES])


@pytest.mark.parametrize("dtype", ["bool", "int16", "uint32", "float32", "float64"])
def test_select(dtype, rng):
    c = rng.random((3, 4)) > 0.5
    a = specials(dtype)[:12].reshape(3, 4) if specials(dtype).size >= 12 else \
        rng.integers(0, 2, (3, 4)).astype(dtype)
    b = a[::-1].copy()
    pc, pa, pb = params(("bool", (3, 4)), (dtype, (3, 4)), (dtype, (3, 4)))
    g = graph([pc, pa, pb], [make_node(Op.SELECT, [pc, pa, pb])])
    check(g, [strided(c, "T"), strided(a, "neg"), b])
