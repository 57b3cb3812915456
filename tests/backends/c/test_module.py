"""Whole-module properties: op coverage, shape-generic source, one compile per
structure, fresh outputs, bad inputs refused before generated code runs."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tracer as tr
from tracer import cache
from tracer.backends.c import compile_graph, render
from tracer.backends.c.ops_table import supported
from tracer.backends.python.impls import IMPLS
from tracer.ir import Op, make_node
from tracer.ir.ops import ELEMENTWISE, LEAF, NUMPY_FALLBACK, SCATTER

from .support import check, graph, params

# Ops with their own kernel (not an elementwise expression) or bound by the VM.
KERNEL_OPS = {Op.REDUCE_SUM, Op.REDUCE_PROD, Op.REDUCE_MAX, Op.REDUCE_MIN, Op.ARGMAX,
              Op.ARGMIN, Op.CUMSUM, Op.CUMPROD, Op.RESHAPE, Op.TRANSPOSE, Op.BROADCAST_TO,
              Op.SLICE, Op.CONCATENATE, Op.UPDATE_SLICE, Op.GATHER, *SCATTER, Op.DOT_GENERAL,
              Op.IFELSE, Op.GEMM_ACC, Op.SCAN, Op.SCAN_OUT}
UNSUPPORTED: set[Op] = set()
# Ops the C backend runs by calling their numpy implementation (backends/c/fallback.py):
# every one of them, so that adding one is a visible decision.
NUMPY_STEPS = {Op.CHOLESKY, Op.TRIANGULAR_SOLVE, Op.SOLVE, Op.SLOGDET, Op.EIGH, Op.SVD, Op.QR,
               Op.EXPM, Op.FFT, Op.ARGSORT, Op.SEARCHSORTED,
               Op.SPECIAL}


def test_every_op_is_in_the_c_table_or_listed():
    for op in Op:
        if op in LEAF or op in UNSUPPORTED:
            continue
        if op in NUMPY_STEPS:
            assert op in IMPLS, f"{op} runs as a numpy step but has no reference implementation"
            continue
        if op in ELEMENTWISE:
            assert op in (Op.SELECT, Op.CAST) or supported(op, "float64") or \
                supported(op, "int64") or supported(op, "bool") or \
                supported(op, "complex128"), op      # complex parts: complex_ops.py
        else:
            assert op in KERNEL_OPS, f"{op} has no C kernel and is not listed as unsupported"


def test_the_numpy_steps_are_the_listed_ones():
    assert NUMPY_FALLBACK == NUMPY_STEPS
    assert not NUMPY_FALLBACK & KERNEL_OPS


def _mlp_graph(batch: int):
    @tr.compile(backend="python")
    def step(w, b, x):
        h = np.tanh(x @ w + b)
        return h.mean(axis=0), (h * h).sum(), h[:, 1:3].T
    w, b, x = np.ones((4, 5)), np.ones(5), np.ones((batch, 4))
    return step.lower(w, b, x).graph


def test_source_has_no_sizes_and_a_new_batch_size_compiles_nothing(rng):
    g3, g7 = _mlp_graph(3), _mlp_graph(7)
    r3, r7 = render(g3), render(g7)
    assert r3.source == r7.source
    assert not np.array_equal(r3.table, r7.table)
    compile_graph(g3)
    before = cache.compile_count()
    exe = compile_graph(g7)
    assert cache.compile_count() == before
    w, b, x = rng.standard_normal((4, 5)), rng.standard_normal(5), rng.standard_normal((7, 4))
    check(g7, [w, b, x])
    assert len(exe([w, b, x])) == 3


def test_tr_compile_with_c_backend_matches_numpy(rng):
    from tests.helpers import check_against_numpy

    def f(x, y):
        z = np.exp(-x * x) + np.sqrt(np.abs(y)) * np.tanh(x)
        return z.sum(axis=1), np.maximum(z, 0.5)[::-1], (x @ y.T).max()

    x, y = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    check_against_numpy(f, x, y, backend="c", rtol=1e-12)
    check_against_numpy(f, x.astype(np.float32), y.astype(np.float32), backend="c", rtol=1e-5)


def test_outputs_are_fresh_and_inputs_untouched(rng):
    (p,) = params(("float64", (3,)))
    t = make_node(Op.TRANSPOSE, [p], {"perm": (0,)})
    g = graph([p], [p, t, make_node(Op.NEG, [p]), make_node(Op.NEG, [p])])
    exe = compile_graph(g)
    x = rng.standard_normal(3)
    x.setflags(write=False)
    outs = exe([x])
    for o in outs:
        assert o.flags.owndata and o.flags.writeable and o.flags.c_contiguous
        assert not np.shares_memory(o, x)
    assert not np.shares_memory(outs[2], outs[3])
    np.testing.assert_array_equal(outs[0], x)


def test_zero_dim_and_empty_inputs(rng):
    pa, pb = params(("float32", ()), ("float32", (0, 3)))
    g = graph([pa, pb], [make_node(Op.EXP, [pa]),
                         make_node(Op.ADD, [pb, make_node(Op.BROADCAST_TO, [pa], {"shape": (0, 3)})]),
                         make_node(Op.REDUCE_SUM, [pb], {"axes": (0,)})])
    check(g, [np.float32(0.5) * np.ones((), np.float32), np.ones((0, 3), np.float32)])


def test_bad_inputs_raise_naming_the_argument():
    pa, pb = params(("float64", (2, 3)), ("int64", (3,)))
    exe = compile_graph(graph([pa, pb], [make_node(Op.ADD, [pa, pa])]))
    good = [np.zeros((2, 3)), np.zeros(3, np.int64)]
    exe(good)
    with pytest.raises(ValueError, match="argument p0: expected shape"):
        exe([np.zeros((3, 2)), good[1]])
    with pytest.raises(ValueError, match="argument p0: expected 2 dimensions"):
        exe([np.zeros(6), good[1]])
    with pytest.raises(TypeError, match="argument p1: expected dtype int64"):
        exe([good[0], np.zeros(3)])
    with pytest.raises(TypeError, match="takes 2 inputs"):
        exe([good[0]])
    swapped = np.zeros((2, 3), ">f8")
    np.testing.assert_array_equal(exe([swapped, good[1]])[0], np.zeros((2, 3)))
    odd = np.zeros(2 * 3 * 8 + 1, np.uint8)[1:].view(np.float64).reshape(2, 3)  # misaligned
    np.testing.assert_array_equal(exe([odd, good[1]])[0], np.zeros((2, 3)))


def test_thread_count_does_not_change_results(rng):
    from tracer.backends.c import get_num_threads, set_num_threads

    n = 300_000
    (p,) = params(("float64", (n,)))
    (q,) = params(("float64", (3, n)))
    g = graph([p, q], [make_node(Op.REDUCE_SUM, [p], {"axes": (0,)}),
                       make_node(Op.REDUCE_SUM, [q], {"axes": (1,)}),
                       make_node(Op.REDUCE_MAX, [q], {"axes": (0,)}),
                       make_node(Op.TANH, [p])])
    exe = compile_graph(g)
    x, y = rng.standard_normal(n), rng.standard_normal((3, n))
    old = get_num_threads()
    try:
        results = []
        for threads in (1, 2, 3):
            set_num_threads(threads)
            results.append(exe([x, y]))
    finally:
        set_num_threads(old)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)
    check(g, [x, y])


def test_generated_source_mentions_no_graph_sizes():
    g = _mlp_graph(123457)
    src = render(g).source
    assert "123457" not in src and not re.search(r"\b123457\b", src)


def test_large_strided_inputs_on_the_parallel_path(rng):
    from tracer.backends.c import get_num_threads, set_num_threads

    pa, pb = params(("float64", (400, 300)), ("float64", (300,)))
    b = make_node(Op.BROADCAST_TO, [pb], {"shape": (400, 300)})
    e = make_node(Op.MUL, [make_node(Op.TANH, [pa]), b])
    outs = [e, make_node(Op.REDUCE_SUM, [e], {"axes": (0,)}),
            make_node(Op.REDUCE_MAX, [e], {"axes": (1,)}),
            make_node(Op.CUMSUM, [pa], {"axis": 0}), make_node(Op.ARGMIN, [pa], {"axis": 0})]
    x = np.ascontiguousarray(rng.standard_normal((300, 400))).T
    y = rng.standard_normal(600)[::-2]
    old = get_num_threads()
    try:
        set_num_threads(2)
        check(graph([pa, pb], outs), [x, y])
    finally:
        set_num_threads(old)


def test_without_a_compiler_falls_back_to_the_reference_backend_with_one_warning(monkeypatch, rng):
    import warnings

    import tracer.backends.c as cbackend

    monkeypatch.setenv("CC", "/nonexistent/tracer-test-cc")
    monkeypatch.setattr(cbackend, "_warned", [False])
    (p,) = params(("float64", (3,)))
    g = graph([p], [make_node(Op.EXP, [p])])
    with pytest.warns(cbackend.NoCompilerWarning, match="no C compiler"):
        exe = compile_graph(g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile_graph(g)                      # warned once per process only
    x = rng.standard_normal(3)
    np.testing.assert_allclose(exe([x])[0], np.exp(x))
