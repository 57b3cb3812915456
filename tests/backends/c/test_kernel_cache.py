"""One kernel per distinct computation, the runtime built once, kernels shared by graphs."""
from __future__ import annotations

import os
import re

import numpy as np

from tests.backends.c.support import check, graph, params
from tracer.backends.c import compile_graph, render
from tracer.backends.c.runtime import HEADER, INLINE, RUNTIME_SOURCE, split
from tracer.ir import Op, make_node


def _unrolled(steps: int):
    """h <- tanh(h @ w + x[t]) for `steps` steps, unrolled: every step one product and
    the same fused loop."""
    h0, w, x = params(("float64", (3, 8)), ("float64", (8, 8)), ("float64", (steps, 3, 8)))
    h = h0
    for t in range(steps):
        row = make_node(Op.SLICE, [x], {"starts": (t, 0, 0), "steps": (1, 1, 1),
                                        "sizes": (1, 3, 8)})
        row = make_node(Op.RESHAPE, [row], {"shape": (3, 8)})
        hw = make_node(Op.DOT_GENERAL, [h, w], {"contract": ((1,), (0,)), "batch": ((), ())})
        h = make_node(Op.TANH, [make_node(Op.ADD, [hw, row])])
    return graph([h0, w, x], [h])


def _kernel_count(source: str) -> int:
    """Fused kernels defined in `source` (not their prototypes)."""
    return len(re.findall(r"^int g_[0-9a-f]{16}\([^;{]*\{", source, re.M))


def _logging_cc(tmp_path, monkeypatch):
    """$CC: a wrapper of cc that logs each source it compiles; returns the log's lines."""
    log = tmp_path / "compiled.log"
    cc = tmp_path / "logging-cc"
    cc.write_text('#!/bin/sh\n'
                  f'for a in "$@"; do case "$a" in *.c) echo "$a" >> "{log}" ;; esac; done\n'
                  'exec cc "$@"\n')
    cc.chmod(0o755)
    monkeypatch.setenv("CC", str(cc))
    return lambda: log.read_text().splitlines() if log.exists() else []


def test_an_unrolled_loop_renders_its_one_kernel_once():
    short, long = render(_unrolled(20)), render(_unrolled(200))
    assert _kernel_count(short.source) == _kernel_count(long.source) == 1
    assert len(long.kernels) == 2                   # the loop and the product
    assert list(short.kernels) == list(long.kernels)
    assert short.kernels == long.kernels            # the same file, whatever the trip count
    # the entry calls the kernels once per step: a few lines each (compiled at -O0)
    per_step = (len(long.entry) - len(short.entry)) / 180
    assert per_step < min(len(k) for k in long.kernels.values()) / 4, per_step


def test_an_unrolled_loop_compiles_one_kernel_and_matches_the_reference(rng, tmp_path,
                                                                          monkeypatch):
    compiled = _logging_cc(tmp_path, monkeypatch)
    g = _unrolled(200)
    compile_graph(g)
    kinds = sorted(_kind(line) for line in compiled())
    assert kinds.count("kernel") == 2 and kinds.count("module") == 1   # loop, product
    h, w = rng.standard_normal((3, 8)), rng.standard_normal((8, 8)) * 0.3
    x = rng.standard_normal((200, 3, 8))
    check(g, [h, w, x])


def test_two_functions_sharing_kernels_compile_them_once(tmp_path, monkeypatch):
    """A counting compiler: the second graph, made of the first's kernels plus one,
    compiles that one kernel and its module, nothing else."""
    compiled = _logging_cc(tmp_path, monkeypatch)
    a, b = params(("float64", (5, 3)), ("float64", (5, 3)))
    fused = make_node(Op.EXP, [make_node(Op.MUL, [a, b])])
    total = make_node(Op.REDUCE_SUM, [fused], {"axes": (0,)})
    compile_graph(graph([a, b], [total]))
    first = compiled()
    kinds = [_kind(line) for line in first]
    assert kinds.count("runtime") <= 1 and kinds.count("module") == 1
    assert kinds.count("kernel") == 2               # the fused loop and the sum
    c, d = params(("float64", (7, 2)), ("float64", (7, 2)))
    again = make_node(Op.EXP, [make_node(Op.MUL, [c, d])])          # the same loop
    other = make_node(Op.REDUCE_MAX, [make_node(Op.REDUCE_SUM, [again], {"axes": (0,)})],
                      {"axes": (0,)})
    exe = compile_graph(graph([c, d], [other]))
    second = compiled()[len(first):]
    assert sorted(_kind(line) for line in second) == ["kernel", "module"]   # max only
    x, y = np.arange(14.0).reshape(7, 2) / 10, np.ones((7, 2))
    np.testing.assert_allclose(exe([x, y])[0], np.exp(x * y).sum(axis=0).max(), rtol=1e-14)


def _kind(source_path: str) -> str:
    """What the cache entry compiled from `source_path` is (its metadata's kind)."""
    import json
    meta = os.path.splitext(source_path)[0] + ".json"
    with open(meta, encoding="utf-8") as handle:
        return json.load(handle)["kind"]


def test_the_header_declares_what_the_runtime_defines():
    names = {item.name for item in split(RUNTIME_SOURCE) if item.kind == "function"}
    assert {"tr_copy", "tr_collapse", "tr_gemm_f64", "tr_plan_gather", "tr_set_blas"} <= names
    for item in split(HEADER):
        if item.kind == "function":          # only the inlined helpers keep their bodies
            assert item.name in INLINE, item.name
    assert "TR_EXPORT int tr_entry(" in render(_unrolled(2)).entry
    assert '__attribute__((visibility("default"))) void tr_set_blas(' in HEADER
