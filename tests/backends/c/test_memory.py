"""The VM frees each intermediate after its last reader, and calls do not leak."""
from __future__ import annotations

import os

import numpy as np

from tracer.backends.c import compile_graph
from tracer.ir import Op, make_node

from .support import graph, needs_peak_reset, params, peak_in_child


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_many_small_calls_do_not_grow_resident_memory(rng):
    pa, pb = params(("float64", (10,)), ("float64", (10,)))
    s = make_node(Op.REDUCE_SUM, [make_node(Op.CUMSUM, [pa], {"axis": 0})], {"axes": (0,)})
    g = graph([pa, pb], [make_node(Op.ADD, [make_node(Op.MUL, [pa, pb]), pa]), s])
    exe = compile_graph(g)
    x, y = rng.standard_normal(10), rng.standard_normal(10)
    xt = np.ascontiguousarray(np.stack([x, x]))[:, ::-1][0]     # the strided path too
    for _ in range(20_000):
        exe([x, y])
        exe([xt, y])
    before = _rss_bytes()
    for _ in range(50_000):
        exe([x, y])
        exe([xt, y])
    assert _rss_bytes() - before < 4 * 2**20


@needs_peak_reset
def test_peak_memory_of_a_long_chain_is_a_few_arrays():
    """20 ops that cannot fuse (cumsums between tanh's): intermediates are freed as they die."""
    ratio = peak_in_child("""
        import numpy as np
        from tracer.backends.c import compile_graph
        from tracer.ir import Graph, Op, make_node, make_param, tensor_type
        n = 4_000_000
        p = make_param(tensor_type("float64", (n,)), "x")
        v = p
        for i in range(10):
            v = make_node(Op.CUMSUM, [make_node(Op.TANH, [v])], {"axis": 0})
        exe = compile_graph(Graph((p,), (v,)))
        x = np.random.default_rng(0).standard_normal(n)
        x.sum()
        base = reset_peak()
        for _ in range(2):
            exe([x])
        print((peak() - base) / x.nbytes)
    """)
    # 20 live intermediates would be 20x the input; freed ones leave output + two in flight
    assert 0.9 < ratio < 4.0, ratio
