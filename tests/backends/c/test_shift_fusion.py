"""Fused loops whose members slice and concatenate (render_window.py): values
against numpy / the reference backend, sizes around the block edges, empty,
strided and reversed inputs, wide halos, and that the fused path is taken."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import rosen_hess_prod

import tracer as tr
from tracer.backends.c.fusion import MAX_HALO, fuse
from tracer.ir import Op, make_node

from .support import check, graph, params, strided


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


def _hvp(x, v):
    return tr.hvp(rosen, (x,), (v,))[0]


def _entry(source: str) -> str:
    return source[source.index("int tr_entry("):]


@pytest.mark.parametrize("n", [2, 3, 17, 511, 512, 513, 1100, 40000])
@pytest.mark.parametrize("layout", ["c", "neg", "step"])
def test_hvp_rosen_matches_scipy(n, layout, rng):
    x, v = rng.uniform(-2, 2, n), rng.standard_normal(n)
    f = tr.compile(_hvp, backend="c")
    got = f(strided(x, layout), strided(v, layout))
    np.testing.assert_allclose(got, rosen_hess_prod(x, v), rtol=1e-12, atol=1e-9)


def test_hvp_rosen_float32(rng):
    x = rng.uniform(-2, 2, 1000).astype(np.float32)
    v = rng.standard_normal(1000).astype(np.float32)
    got = tr.compile(_hvp, backend="c")(x, v)
    want = tr.compile(_hvp, backend="python")(x, v)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)


def test_hvp_rosen_is_one_loop_without_temporaries(rng):
    """The whole Hessian-vector product is one fused kernel writing the output."""
    x, v = rng.uniform(-2, 2, 100), rng.standard_normal(100)
    src = tr.compile(_hvp, backend="c").lower(x, v).source()
    entry = _entry(src)
    assert src.count("_blk(int64_t b0") == 1
    assert "tr_alloc" not in entry and "tr_copy" not in entry


def test_grad_rosen_is_one_loop(rng):
    x = rng.uniform(-2, 2, 100)
    g = tr.compile(tr.grad(rosen), backend="c")
    np.testing.assert_allclose(g(x), tr.compile(tr.grad(rosen), backend="python")(x), rtol=1e-12)
    assert "tr_alloc" not in _entry(g.lower(x).source())


@pytest.mark.parametrize("n", [0, 1, 2, 5, 600])
@pytest.mark.parametrize("layout", ["c", "neg", "step"])
def test_stencil_of_computed_values(n, layout, rng):
    """Slices of a computed value and concatenations with leaves, fused."""
    def f(x, y):
        s = np.sin(x) * y
        d = s[1:] - s[:-1] + x[1:]
        return np.concatenate([d * 2, np.cos(x[:1])]) + np.concatenate([y[:1], d])
    x, y = rng.standard_normal(n), rng.standard_normal(n)
    if n == 0:
        x, y = np.ones(1), np.ones(1)      # x[1:] is then empty
    x[0] = np.nan if n > 3 else x[0]
    got = tr.compile(f, backend="c")(strided(x, layout), strided(y, layout))
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got, f(x, y), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("dtype", ["int32", "bool", "float32", "uint8", "float64"])
def test_concatenate_member_dtypes_against_reference(dtype, rng):
    a, b, c = params((dtype, (40,)), (dtype, (40,)), (dtype, (5,)))
    s = make_node(Op.BITWISE_XOR if dtype == "bool" else Op.ADD, [a, b], {})
    cat = make_node(Op.CONCATENATE, [s, c], {"axis": 0})
    sl = make_node(Op.SLICE, [cat], {"starts": (3,), "steps": (1,), "sizes": (42,)})
    cat2 = make_node(Op.CONCATENATE, [sl, c, s], {"axis": 0})
    other = make_node(Op.CONCATENATE, [s, c, sl], {"axis": 0})
    out = make_node(Op.MAXIMUM, [cat2, other], {})
    g = graph([a, b, c], [out])
    loops = fuse(g)
    assert len(loops) == 1 and {s, cat, sl, cat2, other} <= set(loops[out].members)
    vals = [(rng.standard_normal(k.shape) * 50).astype(dtype) for k in (a, b, c)]
    check(g, [vals[0], strided(vals[1], "neg"), strided(vals[2], "step")])


def test_wide_halo_is_not_fused(rng):
    """A value needed 100 positions apart is materialized, not recomputed per block."""
    def f(x):
        y = np.exp(x)
        return y[100:] + y[:-100]
    x = rng.standard_normal(1000)
    src = tr.compile(f, backend="c").lower(x).source()
    assert "tr_alloc" in _entry(src) and 100 > MAX_HALO
    np.testing.assert_allclose(tr.compile(f, backend="c")(x), f(x), rtol=1e-12)


def test_concatenate_of_one_value_twice(rng):
    def f(x):
        y = x * 3
        return np.concatenate([y, y]) + 1
    for n in (0, 3, 900):
        x = rng.standard_normal(n)
        np.testing.assert_allclose(tr.compile(f, backend="c")(x), f(x), rtol=1e-12)


@pytest.mark.parametrize("layout", ["c", "T", "neg"])
def test_two_d_slices_stay_correct(layout, rng):
    """2-d slices and their gradients (concatenations along either axis) are not
    fused by shifts; they must still give numpy's values."""
    def loss(x):
        return np.sum((x[1:, :] - x[:-1, :] ** 2) ** 2) + np.sum(x[:, 1:] * np.sin(x[:, :-1]))
    x = rng.standard_normal((7, 9))
    got = tr.compile(tr.grad(loss), backend="c")(strided(x, layout))
    want = tr.compile(tr.grad(loss), backend="python")(x)
    np.testing.assert_allclose(got, want, rtol=1e-12)
