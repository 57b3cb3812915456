"""Reductions, scans, arg-reductions, layout views, concatenate, indexing and
dot_general against the reference backend, over strided and empty inputs."""
from __future__ import annotations

import numpy as np
import pytest

from tracer.backends.c import compile_graph
from tracer.ir import Op, make_node

from .support import ALL_DTYPES, check, graph, params, strided

REDUCTIONS = [Op.REDUCE_SUM, Op.REDUCE_PROD, Op.REDUCE_MAX, Op.REDUCE_MIN]


def _data(dtype: str, shape, rng, nan: bool = True) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        x = rng.standard_normal(shape).astype(dt)
        if nan and x.size > 3:
            x.flat[rng.integers(0, x.size)] = np.nan
            x.flat[rng.integers(0, x.size)] = np.inf
        return x
    if dt.kind == "b":
        return rng.random(shape) > 0.5
    info = np.iinfo(dt)
    return rng.integers(max(info.min, -5), min(info.max, 5), size=shape, endpoint=True).astype(dt)


@pytest.mark.parametrize("layout", ["c", "T", "neg"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_reductions_over_every_axis_set(dtype, layout, rng):
    shape = (3, 4, 5)
    x = _data(dtype, shape, rng)
    (p,) = params((dtype, shape))
    axes_sets = [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)]
    outs = [make_node(op, [p], {"axes": ax}) for op in REDUCTIONS for ax in axes_sets]
    outs += [make_node(op, [p], {"axis": a}) for op in (Op.ARGMAX, Op.ARGMIN, Op.CUMSUM, Op.CUMPROD)
             for a in range(3)]
    check(graph([p], outs), [strided(x, layout)], rtol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("shape", [(0, 4), (4, 0), (1, 1), (7,), ()])
def test_reductions_of_empty_and_tiny(shape, rng):
    x = rng.standard_normal(shape)
    (p,) = params(("float64", shape))
    outs = [make_node(op, [p], {"axes": ax}) for op in (Op.REDUCE_SUM, Op.REDUCE_PROD)
            for ax in [tuple(range(len(shape))), ()] + [(d,) for d in range(len(shape))]]
    if x.size:
        outs += [make_node(Op.REDUCE_MAX, [p], {"axes": tuple(range(len(shape)))})]
    outs += [make_node(Op.CUMSUM, [p], {"axis": d}) for d in range(len(shape))]
    check(graph([p], outs), [x])


def test_argmax_first_occurrence_and_first_nan(rng):
    x = np.array([[1.0, 3.0, 3.0, np.nan, 5.0, np.nan], [2.0, 2.0, -1.0, -1.0, 0.0, 2.0],
                  [np.nan, 1.0, 2.0, 3.0, 4.0, 5.0]])
    (p,) = params(("float64", x.shape))
    outs = [make_node(op, [p], {"axis": a}) for op in (Op.ARGMAX, Op.ARGMIN) for a in (0, 1)]
    check(graph([p], outs), [x])


@pytest.mark.parametrize("n", [5000, 100_003])
def test_large_sums_match_numpy_pairwise(n, rng):
    x = rng.standard_normal((n,)).astype(np.float32)
    (p,) = params(("float32", (n,)))
    g = graph([p], [make_node(Op.REDUCE_SUM, [p], {"axes": (0,)})])
    check(g, [x], rtol=1e-6)


def test_layout_views_compose(rng):
    x = rng.standard_normal((4, 6))
    (p,) = params(("float64", x.shape))
    t = make_node(Op.TRANSPOSE, [p], {"perm": (1, 0)})
    s = make_node(Op.SLICE, [t], {"starts": (5, 1), "steps": (-2, 2), "sizes": (3, 2)})
    b = make_node(Op.BROADCAST_TO, [s], {"shape": (2, 3, 2)})
    r = make_node(Op.RESHAPE, [b], {"shape": (3, 4)})       # needs a copy
    r2 = make_node(Op.RESHAPE, [p], {"shape": (2, 12)})     # a view
    r3 = make_node(Op.RESHAPE, [t], {"shape": (24,)})       # a copy
    e = make_node(Op.SLICE, [p], {"starts": (0, 0), "steps": (1, 1), "sizes": (0, 6)})
    one = make_node(Op.SLICE, [p], {"starts": (3, 5), "steps": (1, 1), "sizes": (1, 1)})
    sq = make_node(Op.RESHAPE, [one], {"shape": ()})
    bc = make_node(Op.BROADCAST_TO, [sq], {"shape": (3, 2)})
    outs = [t, s, b, r, r2, r3, e, one, sq, make_node(Op.ADD, [bc, s]), p]
    for layout in ("c", "T", "neg", "step"):
        check(graph([p], outs), [strided(x, layout)])


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int64", "float32"])
def test_concatenate(dtype, rng):
    a, b, c = _data(dtype, (2, 3), rng), _data(dtype, (2, 0), rng), _data(dtype, (2, 4), rng)
    pa, pb, pc = params((dtype, a.shape), (dtype, b.shape), (dtype, c.shape))
    out1 = make_node(Op.CONCATENATE, [pa, pb, pc], {"axis": 1})
    out0 = make_node(Op.CONCATENATE, [pa, pa], {"axis": 0})
    check(graph([pa, pb, pc], [out1, out0]), [strided(a, "T"), b, strided(c, "neg")])


@pytest.mark.parametrize("dtype", ["bool", "int32", "uint8", "float64", "float32"])
def test_gather_and_scatter_add(dtype, rng):
    x = _data(dtype, (4, 5, 3), rng, nan=False)
    i0 = np.array([[0, -1], [3, 3], [-4, 2]])
    i1 = np.array([[4, 0], [-5, 2], [1, 1]])
    px, pi, pj = params((dtype, x.shape), ("int64", i0.shape), ("int64", i1.shape))
    g0 = make_node(Op.GATHER, [px, pi], {"axis": 0})
    g1 = make_node(Op.GATHER, [px, pj], {"axis": 1})
    g01 = make_node(Op.GATHER, [px, pi, pj], {"axis": 0})
    upd0 = make_node(Op.MUL, [g0, g0]) if dtype != "bool" else g0
    s0 = make_node(Op.SCATTER_ADD, [px, pi, upd0], {"axis": 0})
    s01 = make_node(Op.SCATTER_ADD, [px, pi, pj, g01], {"axis": 0})
    others = [make_node(op, [px, pi, pj, g01], {"axis": 0}) for op in
              (Op.SCATTER_SET, Op.SCATTER_MUL, Op.SCATTER_MAX, Op.SCATTER_MIN)]
    outs = [g0, g1, g01, s0, s01, *others]
    check(graph([px, pi, pj], outs), [strided(x, "T"), strided(i0, "neg"), i1])


def test_gather_out_of_bounds_raises_index_error():
    px, pi = params(("float64", (3, 2)), ("int64", (2,)))
    g = graph([px, pi], [make_node(Op.GATHER, [px, pi], {"axis": 0})])
    exe = compile_graph(g)
    x = np.zeros((3, 2))
    for bad in (3, -4, 2**62):
        with pytest.raises(IndexError, match=f"index {bad} is out of bounds for axis 0 with size 3"):
            exe([x, np.array([0, bad])])
    sx = graph([px, pi], [make_node(Op.SCATTER_ADD, [px, pi, make_node(Op.GATHER, [px, pi], {"axis": 0})], {"axis": 0})])
    with pytest.raises(IndexError):
        compile_graph(sx)([x, np.array([1, 7])])


DOTS = [
    ((3, 4), (4, 5), ((1,), (0,)), ((), ())),         # plain matmul
    ((4, 3), (4, 5), ((0,), (0,)), ((), ())),         # transposed lhs
    ((3, 4), (5, 4), ((1,), (1,)), ((), ())),         # transposed rhs
    ((2, 3, 4), (2, 4, 5), ((2,), (1,)), ((0,), (0,))),  # batched
    ((3, 4, 2), (4, 2, 6), ((1, 2), (0, 1)), ((), ())),  # two contracting dims
    ((5,), (5,), ((0,), (0,)), ((), ())),             # inner product
    ((3, 0), (0, 4), ((1,), (0,)), ((), ())),         # empty contraction
    ((0, 4), (4, 2), ((1,), (0,)), ((), ())),         # empty output
    ((2, 40, 30), (30, 2, 20), ((2,), (0,)), ((0,), (1,))),  # BLAS-sized, batch in the middle
]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "uint8", "bool", "int64"])
def test_dot_general(dtype, rng):
    outs, ps, xs = [], [], []
    for ls, rs, contract, batch in DOTS:
        a, b = _data(dtype, ls, rng, nan=False), _data(dtype, rs, rng, nan=False)
        pa, pb = params((dtype, ls), (dtype, rs))
        ps += [pa, pb]
        xs += [strided(a, "T"), strided(b, "neg")]
        outs.append(make_node(Op.DOT_GENERAL, [pa, pb], {"contract": contract, "batch": batch}))
    check(graph(ps, outs), xs, rtol=1e-4 if dtype == "float32" else 1e-10)


@pytest.mark.parametrize("layout", ["c", "T", "step", "neg"])
def test_blas_operand_layouts(layout, rng):
    a, b = rng.standard_normal((30, 40)), rng.standard_normal((40, 20))
    pa, pb = params(("float64", a.shape), ("float64", b.shape))
    mm = make_node(Op.DOT_GENERAL, [pa, pb], {"contract": ((1,), (0,)), "batch": ((), ())})
    check(graph([pa, pb], [mm]), [strided(a, layout), strided(b, layout)], rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layout", ["c", "T", "neg", "step"])
def test_matrix_vector_products_use_gemv_shapes(dtype, layout, rng):
    """M == 1 or N == 1 products large enough for BLAS (the gemv path), any layout."""
    cases = [((1, 600), (600, 40)), ((40, 600), (600, 1)), ((1, 600), (600, 1)), ((3, 1, 600), (3, 600, 1))]
    outs, ps, xs = [], [], []
    for ls, rs in cases:
        a, b = rng.standard_normal(ls).astype(dtype), rng.standard_normal(rs).astype(dtype)
        pa, pb = params((dtype, ls), (dtype, rs))
        ps += [pa, pb]
        xs += [strided(a, layout), strided(b, "neg" if layout == "c" else layout)]
        batch = ((0,), (0,)) if len(ls) == 3 else ((), ())
        outs.append(make_node(Op.DOT_GENERAL, [pa, pb], {"contract": ((len(ls) - 1,), (len(rs) - 2,)),
                                                         "batch": batch}))
    vec = params((dtype, (600,)), (dtype, (600, 30)))
    ps += vec
    xs += [strided(rng.standard_normal(600).astype(dtype), layout),
           strided(rng.standard_normal((600, 30)).astype(dtype), layout)]
    outs.append(make_node(Op.DOT_GENERAL, vec, {"contract": ((0,), (0,)), "batch": ((), ())}))
    check(graph(ps, outs), xs, rtol=1e-4 if dtype == "float32" else 1e-10,
          atol=1e-4 if dtype == "float32" else 1e-10)
