"""Property tests: random shapes (0, 1, broadcasting), strides and values, against
the reference backend. Each test's graph structure is fixed per dtype, so every
example after the first reuses the compiled module (the source has no sizes)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracer.ir import Op, make_node

from .support import check, graph, params, specials, strided

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
LAYOUTS = st.sampled_from(["c", "neg", "step", "T"])
DIM = st.sampled_from([0, 1, 1, 2, 3, 5, 8])


def _values(data, dtype: str, shape, edges: bool = True) -> np.ndarray:
    """Random values of dtype mixed with the dtype's edge values (NaN, inf, limits)."""
    size = int(np.prod(shape))
    edge = specials(dtype)
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        vals = rng.standard_normal(size) * 3
    else:
        vals = rng.integers(-20, 20, size)
    x = vals.astype(dtype)
    mask = rng.random(size) < (0.2 if edges else 0.0)
    if mask.any():
        x[mask] = rng.choice(edge, int(mask.sum()))
    return x.reshape(shape)


def _broadcast_pair(data, rank: int):
    out = [data.draw(DIM) for _ in range(rank)]
    a = tuple(d if data.draw(st.booleans()) else 1 for d in out)
    b = tuple(d if data.draw(st.booleans()) else 1 for d in out)
    return tuple(out), a, b


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "uint8"])
@SETTINGS
@given(data=st.data())
def test_fused_broadcasting_expression(dtype, data):
    out, sa, sb = _broadcast_pair(data, 3)
    pa, pb = params((dtype, sa), (dtype, sb))
    a = make_node(Op.BROADCAST_TO, [pa], {"shape": out})
    b = make_node(Op.BROADCAST_TO, [pb], {"shape": out})
    if dtype.startswith("float"):
        body = make_node(Op.SUB, [make_node(Op.MUL, [make_node(Op.TANH, [a]), b]),
                                  make_node(Op.EXP, [make_node(Op.NEG, [a])])])
        alt = make_node(Op.MAXIMUM, [make_node(Op.SQRT, [make_node(Op.ABS, [b])]), a])
    else:
        body = make_node(Op.FLOORDIV, [make_node(Op.MUL, [a, b]), make_node(Op.ADD, [a, b])])
        alt = make_node(Op.MOD, [a, make_node(Op.SUB, [b, a])])
    sel = make_node(Op.SELECT, [make_node(Op.GT, [a, b]), body, alt])
    outs = [sel, body]
    if dtype != "float32":  # one float32 ulp of tanh/exp at 2**29 is 64 after the int16 cast
        outs.append(make_node(Op.CAST, [sel], {"dtype": np.dtype("int16")}))
    xa = strided(_values(data, dtype, sa), data.draw(LAYOUTS))
    xb = strided(_values(data, dtype, sb), data.draw(LAYOUTS))
    # float32 ulps of tanh/exp differ between libmvec and numpy; cancellation amplifies them
    check(graph([pa, pb], outs), [xa, xb], atol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
@SETTINGS
@given(data=st.data())
def test_sums_and_products_over_axes(dtype, data):
    shape = tuple(data.draw(DIM) for _ in range(3))
    (p,) = params((dtype, shape))
    axes_sets = [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)]
    outs = [make_node(op, [p], {"axes": ax}) for op in (Op.REDUCE_SUM, Op.REDUCE_PROD)
            for ax in axes_sets]
    outs += [make_node(op, [p], {"axis": a}) for op in (Op.CUMSUM, Op.CUMPROD) for a in range(3)]
    x = strided(_values(data, dtype, shape), data.draw(LAYOUTS))
    if dtype.startswith("float"):
        x = np.clip(x, -3, 3) if dtype == "float32" else x
    # edge values +-1e10 cancel: the summation order (pairwise here and in numpy, but split
    # differently for strided layouts) shows at the 1e10 ulp scale
    check(graph([p], outs), [x], rtol=1e-4 if dtype == "float32" else 1e-10,
          atol=1e-4 if dtype == "float32" else 1e-3)


@pytest.mark.parametrize("dtype", ["float64", "int16", "uint32"])
@SETTINGS
@given(data=st.data())
def test_max_min_argmax_over_axes(dtype, data):
    shape = tuple(data.draw(st.integers(1, 6)) for _ in range(3))
    (p,) = params((dtype, shape))
    outs = [make_node(op, [p], {"axes": ax}) for op in (Op.REDUCE_MAX, Op.REDUCE_MIN)
            for ax in [(0,), (2,), (0, 2), (0, 1, 2)]]
    outs += [make_node(op, [p], {"axis": a}) for op in (Op.ARGMAX, Op.ARGMIN) for a in range(3)]
    x = strided(_values(data, dtype, shape), data.draw(LAYOUTS))
    check(graph([p], outs), [x])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
@SETTINGS
@given(data=st.data())
def test_matmul_shapes_and_layouts(dtype, data):
    b, m, k, n = (data.draw(st.sampled_from([0, 1, 2, 3, 17, 40])) for _ in range(4))
    pa, pb = params((dtype, (b, m, k)), (dtype, (b, k, n)))
    mm = make_node(Op.DOT_GENERAL, [pa, pb], {"contract": ((2,), (1,)), "batch": ((0,), (0,))})
    # no edge values: inf and 1e10 make sums whose rounding depends on the BLAS kernel
    xa = strided(_values(data, dtype, (b, m, k), edges=False), data.draw(LAYOUTS))
    xb = strided(_values(data, dtype, (b, k, n), edges=False), data.draw(LAYOUTS))
    check(graph([pa, pb], [mm]), [xa, xb], rtol=1e-3 if dtype == "float32" else 1e-9,
          atol=1e-3 if dtype == "float32" else 1e-9)


@SETTINGS
@given(data=st.data())
def test_gather_scatter_random_indices(data):
    n0, n1 = data.draw(st.integers(1, 6)), data.draw(st.integers(0, 4))
    ni = data.draw(st.integers(0, 7))
    (px, pi) = params(("float64", (n0, n1)), ("int64", (ni,)))
    idx = np.array(data.draw(st.lists(st.integers(-n0, n0 - 1), min_size=ni, max_size=ni)),
                   dtype=np.int64)
    g = make_node(Op.GATHER, [px, pi], {"axis": 0})
    s = make_node(Op.SCATTER_ADD, [px, pi, make_node(Op.MUL, [g, g])], {"axis": 0})
    x = strided(_values(data, "float64", (n0, n1)), data.draw(LAYOUTS))
    check(graph([px, pi], [g, s]), [x, strided(idx, data.draw(LAYOUTS))])
