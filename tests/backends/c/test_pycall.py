"""The module's own Python-API call (pycall.py): numpy's results for the traced argument
types (arrays of any strides, numpy scalars for 0-d inputs, Python scalars for weak
ones), None for every other argument (the caller's general path then runs), errors from
generated code raised as on the cffi path, and no leaks."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import tracer as tr
from tracer.backends.c import compile_graph, pycall
from tracer.ir import Op, make_node

from .support import graph, needs_cc, params
from .test_memory import _rss_bytes

pytestmark = [needs_cc, pytest.mark.skipif(pycall._include_flags() is None,
                                           reason="no Python/numpy headers")]


def _exact(g, finish=None):
    exe = compile_graph(g)
    call = exe.exact(frozenset(), finish)
    assert type(call).__name__ == "builtin_function_or_method"
    return call


def _axpy():
    pa, pb = params(("float64", (2, 3)), ("float64", (2, 3)))
    return graph([pa, pb], [make_node(Op.ADD, [make_node(Op.MUL, [pa, pb]), pa])])


def test_exact_arguments_give_numpy_results(rng):
    call = _exact(_axpy())
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    got = call((x, y))
    assert got.dtype == np.float64 and got.shape == (2, 3) and got.flags.owndata
    np.testing.assert_array_equal(got, x * y + x)
    assert not np.shares_memory(got, x)


def _others(x):
    odd = np.zeros(x.size * 8 + 1, np.uint8)[1:].view(np.float64).reshape(x.shape)
    odd[...] = x
    return {
        "arity": (x,), "three": (x, x, x), "list": [x, x],
        "float32": (x.astype(np.float32), x), "int64": (x.astype(np.int64), x),
        "byte-swapped": (x.astype(">f8"), x), "misaligned": (odd, x),
        "shape": (x.T.copy(), x), "rank": (x.ravel(), x),
        "scalar": (1.0, x), "list leaf": (x.tolist(), x),
        "subclass": (x.view(np.ma.MaskedArray), x), "none": (None, x),
    }


@pytest.mark.parametrize("case", list(_others(np.zeros((2, 3)))))
def test_every_other_argument_gets_none(case, rng):
    call = _exact(_axpy())
    args = _others(rng.standard_normal((2, 3)))[case]
    assert call(args) is None


def test_several_outputs_zero_dim_and_empty(rng):
    pa, pb = params(("float32", ()), ("float32", (0, 3)))
    g = graph([pa, pb], [make_node(Op.EXP, [pa]), make_node(Op.REDUCE_SUM, [pb], {"axes": (0,)})])
    seen = []
    call = _exact(g, finish=lambda outs: seen.append(len(outs)) or tuple(outs))
    e, s = call((np.array(0.5, np.float32), np.ones((0, 3), np.float32)))
    e2, _ = call((np.float32(0.5), np.ones((0, 3), np.float32)))       # a numpy scalar
    assert call((np.float64(0.5), np.ones((0, 3), np.float32))) is None    # of another dtype
    assert call((0.5, np.ones((0, 3), np.float32))) is None     # a Python float: not weak
    assert seen == [2, 2] and e2 == e
    assert e.shape == () and e.dtype == np.float32 and e == np.exp(np.float32(0.5))
    np.testing.assert_array_equal(s, np.zeros(3, np.float32))
    assert s.dtype == np.float32


def test_errors_from_generated_code_are_numpy_errors(rng):
    take = tr.compile(lambda x, i: x[i] * 2.0, backend="c")
    x = rng.standard_normal(4)
    np.testing.assert_array_equal(take(x, np.array([3, -4])), x[[3, -4]] * 2.0)
    assert type(take._hot).__name__ == "builtin_function_or_method"
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 0 with size 4"):
        take(x, np.array([0, 4]))
    power = tr.compile(lambda a, b: a ** b, backend="c")
    np.testing.assert_array_equal(power(np.array([2, 3]), np.array([1, 2])), [2, 9])
    with pytest.raises(ValueError, match="negative integer powers"):
        power(np.array([2, 3]), np.array([1, -1]))


def test_thread_count_changes_take_effect(rng):
    n = 200_000
    (p,) = params(("float64", (n,)))
    call = _exact(graph([p], [make_node(Op.REDUCE_SUM, [p], {"axes": (0,)})]))
    x = rng.standard_normal(n)
    before = tr.config.num_threads
    try:
        results = []
        for nt in (1, 2):
            tr.config.num_threads = nt
            results.append(call((x,)))
    finally:
        tr.config.num_threads = before
    np.testing.assert_array_equal(results[0], results[1])     # fixed chunks: same bits
    np.testing.assert_allclose(results[0], x.sum(), rtol=1e-12)


def test_no_reference_or_memory_leaks(rng):
    call = _exact(_axpy(), finish=lambda outs: outs)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    args = (x, y)
    refs = sys.getrefcount(x), sys.getrefcount(args)
    for _ in range(20_000):
        call(args)
        call((x,))
    before = _rss_bytes()
    for _ in range(100_000):
        call(args)
        call((x.T, y))
    assert (sys.getrefcount(x), sys.getrefcount(args)) == refs
    assert _rss_bytes() - before < 4 * 2**20


@pytest.mark.parametrize("layout", ["fortran", "reversed", "every other", "broadcast"])
def test_arrays_of_any_strides_run_in_place(layout, rng):
    call = _exact(_axpy())
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    view = {"fortran": np.asfortranarray(x), "reversed": x[::-1, ::-1].copy()[::-1, ::-1],
            "every other": np.repeat(x, 2, axis=1)[:, ::2],
            "broadcast": np.broadcast_to(x[:1], (2, 3))}[layout]
    got = call((view, y))
    np.testing.assert_array_equal(got, view * y + view)
    assert got.flags.c_contiguous


def test_weak_python_scalars_are_taken_by_their_exact_type(rng):
    pa, pk, pn, pb = params(("float64", (3,)), ("float64", ()), ("int64", ()), ("bool", ()))
    k_n = make_node(Op.MUL, [pk, make_node(Op.CAST, [pn], {"dtype": np.dtype("float64")})])
    k_n = make_node(Op.BROADCAST_TO, [k_n], {"shape": (3,)})
    flag = make_node(Op.BROADCAST_TO, [pb], {"shape": (3,)})
    out = make_node(Op.SELECT, [flag, make_node(Op.MUL, [pa, k_n]), pa])
    exe = compile_graph(graph([pa, pk, pn, pb], [out]))
    call = exe.exact(frozenset(), None, weak=[False, True, True, True])
    x = rng.standard_normal(3)
    np.testing.assert_array_equal(call((x, 2.5, 3, True)), x * 7.5)
    np.testing.assert_array_equal(call((x, 2.5, -2, False)), x)
    big = 2 ** 70
    for bad in [(x, np.float64(2.5), 3, True), (x, 2.5, 3.0, True), (x, 2.5, True, True),
                (x, 2.5, 3, 1), (x, 2.5, big, True), (x, 2.5, np.int64(3), True)]:
        assert call(bad) is None, bad
