"""Lazy ifelse in the generated C: the taken branch only, values against the reference
backend on both paths, buffers freed exactly once on every path, no growth over calls."""
from __future__ import annotations

import os
import re

import numpy as np
import pytest

from tracer.backends.c import compile_graph, render
from tracer.backends.c.render_module import ModuleRenderer
from tracer.ir import Graph, Node, Op, make_node, make_param, tensor_type

from .random_graphs import random_graph
from .support import check, graph, params, strided
from .test_memory import _rss_bytes
from .test_sanitize import HERE, run_under_sanitizers


def ifelse(c: Node, a: Node, b: Node) -> Node:
    return make_node(Op.IFELSE, [c, a, b])


def flag(value: bool) -> np.ndarray:
    return np.array(value)


def _cond_param(name: str = "c") -> Node:
    return make_param(tensor_type("bool", ()), name)


def _heavy_light():
    c = _cond_param()
    a, b = params(("float64", (6, 6)), ("float64", (6, 6)))
    dot = make_node(Op.DOT_GENERAL, [a, b], {"contract": ((1,), (0,)), "batch": ((), ())})
    heavy = make_node(Op.TANH, [dot])
    light = make_node(Op.NEG, [a])
    return graph([c, a, b], [ifelse(c, heavy, light)])


def _entry(g: Graph) -> str:
    source = render(g).source
    return source[source.index("int tr_entry"):]


def test_the_untaken_branch_is_inside_the_if():
    body = _entry(_heavy_light())
    opened = body.index("if (v0[0]) {")
    switched = body.index("} else {", opened)
    assert opened < body.index("dot_f64(") < switched, body
    # the taken branch writes the output slot itself: the final copy checks the pointer
    assert re.search(r"if \(\(void \*\)v\d+ != out0\)", body), body


@pytest.mark.parametrize("taken", [True, False])
def test_values_on_both_paths(rng, taken):
    g = _heavy_light()
    a, b = rng.standard_normal((6, 6)), rng.standard_normal((6, 6))
    check(g, [flag(taken), a, b])
    check(g, [flag(taken), strided(a, "T"), strided(b, "neg")])


def _shared_graph():
    """One value read by a branch, the other branch's ifelse and an output; nested conds."""
    c, d = _cond_param("c"), _cond_param("d")
    x, y = params(("float64", (4, 5)), ("float64", (4, 5)))
    e = make_node(Op.EXP, [x])
    s = make_node(Op.REDUCE_SUM, [e], {"axes": (1,)})
    cum = make_node(Op.CUMSUM, [y], {"axis": 0})
    inner = ifelse(d, make_node(Op.MUL, [cum, e]), make_node(Op.CUMSUM, [e], {"axis": 1}))
    outer = ifelse(c, inner, make_node(Op.ADD, [e, y]))
    view = make_node(Op.TRANSPOSE, [outer], {"perm": (1, 0)})
    return graph([c, d, x, y], [outer, s, view, outer, ifelse(c, cum, y)])


@pytest.mark.parametrize("c", [True, False])
@pytest.mark.parametrize("d", [True, False])
def test_shared_values_nested_conditions_and_aliased_outputs(rng, c, d):
    g = _shared_graph()
    x, y = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    got = check(g, [flag(c), flag(d), x, y])
    assert got[0] is not got[3] and not np.shares_memory(got[0], got[3])
    assert _entry(g).count("exp(") <= 1


def _with_ifelse(seed: int):
    """A random graph whose outputs are also chosen between, nested two deep."""
    g, inputs = random_graph(seed)
    rng = np.random.default_rng(seed)
    c, d = _cond_param("c"), _cond_param("d")
    pool = list(g.outputs)
    outs: list[Node] = []
    for a in pool:
        same = [b for b in pool if b.type == a.type and b is not a]
        if same and rng.random() < 0.6:
            b = same[rng.integers(len(same))]
            choice = ifelse(c, a, b)
            outer = d if rng.random() < 0.5 else c      # nesting on the same cond too
            outs.append(ifelse(outer, choice, b) if rng.random() < 0.4 else choice)
        elif rng.random() < 0.3:
            outs.append(a)
    if not outs:
        outs.append(ifelse(c, pool[0], pool[0]))
    return Graph((c, d) + g.inputs, tuple(outs)), inputs


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_with_ifelse_on_every_path(seed):
    g, inputs = _with_ifelse(seed)
    for c in (True, False):
        for d in (True, False):
            check(g, [flag(c), flag(d), *inputs], rtol=1e-5 if inputs[0].dtype == np.float32
                  else 1e-12)


def test_alternating_calls_do_not_leak():
    g = _shared_graph()
    exe = compile_graph(g)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    calls = [[flag(c), flag(d), x, y] for c in (True, False) for d in (True, False)]
    for _ in range(5_000):
        for args in calls:
            exe(args)
    before = _rss_bytes()
    for _ in range(20_000):
        for args in calls:
            exe(args)
    assert _rss_bytes() - before < 4 * 2**20


@pytest.mark.slow
def test_this_file_under_address_and_ub_sanitizers():
    """Every path's frees under ASan: a double free or use after free aborts."""
    run_under_sanitizers([os.path.join(HERE, __file__)], "not slow", "-k", "not leak", timeout=1200)


def test_a_buffer_read_in_one_branch_dies_after_the_if_on_both_paths():
    """x is needed outside (its sum) and by the then-branch: freed once, after `}`."""
    c = _cond_param()
    (p,) = params(("float64", (8,)))
    x = make_node(Op.CUMSUM, [p], {"axis": 0})
    s = make_node(Op.REDUCE_SUM, [x], {"axes": (0,)})
    chosen = ifelse(c, make_node(Op.CUMSUM, [x], {"axis": 0}), make_node(Op.NEG, [p]))
    after = make_node(Op.CUMSUM, [make_node(Op.EXP, [chosen])], {"axis": 0})
    g = graph([c, p], [s, after])
    steps = ModuleRenderer(g).schedule.steps
    freed = [(i, step.kind) for i, step in enumerate(steps) for dead in step.frees if dead is x]
    assert len(freed) == 1 and freed[0][1] == "end", [(s.kind, s.node) for s in steps]
    for taken in (True, False):
        check(g, [flag(taken), np.linspace(-1, 1, 8)])
