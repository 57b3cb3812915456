"""Reductions with their elementwise producers and consumers as one C kernel.

softmax, log-sum-exp, layernorm, sum(exp(x - max)), mean((a - b)**2) and a norm each
compile to one kernel call and no intermediate buffer; values match the reference
backend (NaN, inf, -0.0, strided, empty, several dtypes); results are bit-identical for
1, 2 and 3 threads on both of the kernel's schedules (many rows, few long rows); a sum
of 10^7 values is as accurate as numpy's pairwise sum.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import tracer as tr
from tracer.backends.c import compile_graph, get_num_threads, render, set_num_threads
from tracer.backends.c.fuse_reduce import plan
from tracer.ir import Graph, Op, make_node, make_param, tensor_type

from .support import check, needs_cc, strided

pytestmark = needs_cc


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def naive_softmax(x):
    return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)


def logsumexp(x):
    return np.log(np.sum(np.exp(x), axis=-1))


def layernorm(x, g, b):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(var + 1e-5) + b


def standardize(x):
    return (x - x.mean(axis=(1, 2), keepdims=True)) / x.std(axis=(1, 2), keepdims=True)


def sum_exp(x):
    return np.sum(np.exp(x - x.max()))


def mse(a, b):
    return np.mean((a - b) ** 2)


def norm(x):
    return np.sqrt(np.sum(x * x, axis=-1))


def dot_of_expressions(a, b):
    return np.dot(np.tanh(a), b * 2 + 1)


def _graph(fn, *args) -> Graph:
    return tr.compile(fn, backend="python").lower(*args).graph


def _entry(graph: Graph) -> str:
    source = render(graph).source
    return source[source.index("int tr_entry("):]


WORKLOADS = [
    ("softmax", softmax, [(6, 33)]),
    ("naive-softmax", naive_softmax, [(6, 33)]),
    ("logsumexp", logsumexp, [(6, 33)]),
    ("layernorm", layernorm, [(6, 33), (33,), (33,)]),
    ("standardize", standardize, [(4, 5, 7)]),
    ("sum-exp", sum_exp, [(1000,)]),
    ("mse", mse, [(50, 4), (50, 4)]),
    ("norm", norm, [(5, 40)]),
    ("dot", dot_of_expressions, [(300,), (300,)]),
]


def _inputs(shapes, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("name,fn,shapes", WORKLOADS, ids=[w[0] for w in WORKLOADS])
def test_one_kernel_call_and_no_intermediate_buffer(name, fn, shapes):
    g = _graph(fn, *_inputs(shapes))
    programs = plan(g)
    assert len(programs) == 1, g.as_text()
    entry = _entry(g)
    calls = re.findall(r"rc = (g_\w+)\(", entry)
    assert len(calls) == 1, entry
    assert "tr_alloc" not in entry, entry       # every intermediate lives in the kernel
    kernel = render(g).kernels[calls[0]]
    assert kernel.count("#pragma omp simd") >= 2    # the passes are vectorized loops


def test_softmax_source_has_two_reduction_passes_and_one_write():
    g = _graph(softmax, *_inputs([(6, 33)]))
    (prog,) = plan(g).values()
    assert prog.stages == 2 and prog.level[prog.root] == "full"
    assert [n.op.value for n in prog.members if n.op in (Op.REDUCE_MAX, Op.REDUCE_SUM)] == \
        ["reduce_max", "reduce_sum"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,fn,shapes", WORKLOADS, ids=[w[0] for w in WORKLOADS])
def test_values_match_the_reference(name, fn, shapes, dtype):
    args = _inputs(shapes, dtype)
    flat = args[0].reshape(-1)
    flat[:5] = [np.nan, np.inf, -np.inf, -0.0, 1e30]     # in the first rows only
    g = _graph(fn, *args)
    check(g, args, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-300)
    check(g, [strided(a, "T" if a.ndim > 1 else "neg") for a in args],
          rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-300)


@pytest.mark.parametrize("shape", [(1, 5, 6), (3, 1, 6), (1, 1, 4, 6), (2, 1, 3, 1, 6), (4, 5, 6)])
def test_kept_axes_of_size_one_and_merged_ones_with_several_operands(shape):
    """The kernel drops size-1 kept axes and merges contiguous ones at run time, for every
    operand at once (the strides of operand j sit at a fixed row of the stride table): a
    layernorm with its gain and bias, on a transposed (strided) input too."""
    args = _inputs([shape, shape[-1:], shape[-1:]], seed=3)
    g = _graph(layernorm, *args)
    assert plan(g), g.as_text()
    check(g, args, rtol=1e-12, atol=1e-300)
    moved = np.ascontiguousarray(np.swapaxes(args[0], -1, -2)).swapaxes(-1, -2)
    check(g, [moved, *args[1:]], rtol=1e-12, atol=1e-300)


def test_mean_of_a_transposed_uint16_with_a_leading_axis_of_one():
    """Fuzzer seed 10068: rows after the first were read through another operand's strides."""
    a = np.array([[[15, 3, 5, 4, 9], [8, 7, 19, 7, 2]]], dtype=np.uint16)
    g = _graph(lambda a: np.mean(np.transpose(a, (0, 2, 1)), axis=-1, keepdims=True), a)
    check(g, [a], rtol=0, atol=0)


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (0,), (1, 1), (7, 1), (1, 9), (2, 3, 1, 4)])
def test_empty_and_unit_shapes(shape):
    (p,) = [make_param(tensor_type("float64", shape), "x")]
    axes = (len(shape) - 1,)
    e = make_node(Op.EXP, [p])
    s = make_node(Op.REDUCE_SUM, [e], {"axes": axes})
    out = make_node(Op.LOG, [make_node(Op.ADD, [s, s])])
    g = Graph((p,), (out, make_node(Op.REDUCE_PROD, [make_node(Op.NEG, [p])], {"axes": axes})))
    check(g, _inputs([shape]))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "bool",
                                   "float16", "float32", "float64"])
def test_every_dtype_and_row_length(dtype):
    """Four reductions of one row in one pass, at row lengths around the 8-lane and block
    boundaries (gcc 12 miscompiled an 8-lane int32 sum into a 512-bit vector once)."""
    for n in (1, 7, 8, 9, 16, 17, 24, 64, 70, 513, 1000, 9000):
        p = make_param(tensor_type(dtype, (3, n)), "x")
        inner = make_node(Op.MAXIMUM, [p, p])
        red = [make_node(op, [inner], {"axes": (1,)}) for op in
               (Op.REDUCE_SUM, Op.REDUCE_MAX, Op.REDUCE_MIN, Op.REDUCE_PROD)]
        g = Graph((p,), tuple(make_node(Op.MAXIMUM, [r, r]) for r in red))
        x = np.random.default_rng(n).standard_normal((3, n)) * 3
        x = (np.abs(x) * 0.01 + 1 if dtype.startswith("float") else x).astype(dtype)
        check(g, [x], rtol=2e-3 if dtype == "float16" else 1e-5 if dtype == "float32" else None)


def test_several_reductions_of_a_row_share_one_pass(rng):
    p = make_param(tensor_type("int32", (9, 70)), "x")
    inner = make_node(Op.ABS, [p])
    red = [make_node(op, [inner], {"axes": (1,)}) for op in
           (Op.REDUCE_SUM, Op.REDUCE_MAX, Op.REDUCE_MIN, Op.REDUCE_PROD)]
    out = make_node(Op.ADD, [make_node(Op.MUL, [red[0], red[1]]),
                             make_node(Op.MAXIMUM, [red[2], red[3]])])
    g = Graph((p,), (out,))
    (prog,) = plan(g).values()
    assert prog.stages == 1             # four reductions in one pass over each row
    check(g, [(rng.standard_normal((9, 70)) * 3).astype("int32")])


@pytest.mark.parametrize("shape", [(3, 100_003), (1, 2_000_000), (5000, 7), (64, 4096)])
def test_bit_identical_for_any_thread_count(shape):
    """Many rows: threads take rows; few long rows: the chunks of a row in parallel."""
    args = _inputs([shape, shape[-1:], shape[-1:]], seed=1)
    exes = [compile_graph(_graph(f, *args[:n])) for f, n in
            [(softmax, 1), (logsumexp, 1), (layernorm, 3), (sum_exp, 1)]]
    old = get_num_threads()
    try:
        results = []
        for threads in (1, 2, 3):
            set_num_threads(threads)
            results.append([exe(args[:len(exe.graph.inputs)])[0] for exe in exes])
    finally:
        set_num_threads(old)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_sum_of_ten_million_values_is_as_accurate_as_numpy(dtype):
    """numpy sums pairwise (8 accumulators over 128-element leaves); so does tracer, with
    a cascade over its fixed blocks and chunks: the error stays numpy's, O(eps log n),
    for a plain sum and for one computed inside a program. A sequential sum is far off."""
    plain = fused = None
    ours, theirs, sequential, ulps = [], [], [], []
    for seed in range(3):
        x = (np.random.default_rng(seed).standard_normal(10_000_000) + 0.5).astype(dtype)
        exact = math.fsum(x.astype(np.float64))
        if plain is None:
            plain = compile_graph(_graph(lambda x: np.sum(x), x))
            fused = compile_graph(_graph(lambda x: np.sum(x + 0.0), x))
            assert plan(fused.graph) and not plan(plain.graph)
        got = plain([x])[0]
        assert got == fused([x])[0]
        ours.append(float(got) - exact)
        theirs.append(float(np.sum(x)) - exact)
        sequential.append(float(np.cumsum(x)[-1]) - exact)
        ulps.append(float(np.spacing(np.asarray(exact, dtype))))
    rms = [math.sqrt(np.mean(np.square(e))) for e in (ours, theirs, sequential)]
    assert rms[0] <= 1.5 * rms[1] + 2 * max(ulps), rms
    assert rms[2] > 50 * (rms[1] + max(ulps)), rms


def test_programs_in_the_optimized_mlp_gradient_match():
    """Softmax cross-entropy and its gradient: programs in a real training graph."""
    rng = np.random.default_rng(2)
    w, x, y = rng.standard_normal((20, 5)), rng.standard_normal((16, 20)), rng.integers(0, 5, 16)

    def loss(w, x, y):
        z = np.tanh(x) @ w
        logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        return -np.mean(logp[np.arange(16), y])
    g = tr.compile(tr.value_and_grad(loss), backend="python").lower(w, x, y).graph
    assert plan(g)
    check(g, [w, x, y])
