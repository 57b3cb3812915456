"""vm/branches: guards, the structured program and free points, checked by running the
program abstractly on every assignment of the conditions."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.backends.c.random_graphs import random_graph
from tracer.ir import Graph, Node, Op, make_node, make_param, tensor_type
from tracer.vm.branches import free_points, guards, program


def _p(name: str, dtype: str = "float64", shape=(3,)) -> Node:
    return make_param(tensor_type(dtype, shape), name)


def ifelse(c: Node, a: Node, b: Node) -> Node:
    return make_node(Op.IFELSE, [c, a, b])


def _needed(outputs, values: dict[Node, bool]) -> set[Node]:
    """The nodes a lazy evaluation computes for these cond values (the spec)."""
    need: set[Node] = set()
    stack = list(outputs)
    while stack:
        n = stack.pop()
        if n in need:
            continue
        need.add(n)
        if n.op is Op.IFELSE:
            c = n.inputs[0]
            stack += [c, n.inputs[1] if values[c] else n.inputs[2]]
        else:
            stack += list(n.inputs)
    return need


def _run(entries, values: dict[Node, bool]) -> list[Node]:
    """The nodes the program computes, in order, for these cond values."""
    done, skipping = [], []
    for e in entries:
        if e.kind == "if":
            skipping.append(not values[e.node])
        elif e.kind == "else":
            skipping[-1] = not skipping[-1]
        elif e.kind == "end":
            skipping.pop()
        elif not any(skipping):
            done.append(e.node)
    return done


def _check_every_path(g: Graph, conds: list[Node], exact: bool = True) -> None:
    """Every path runs each node once, after its inputs, and all it needs; with one
    cond (any nesting) nothing else; with several, only what its guard asks for
    (a value two different conds need is computed outside both: conservative)."""
    guard = guards(g.nodes(), g.outputs)
    entries = program(g.nodes(), guard)
    for bits in itertools.product([True, False], repeat=len(conds)):
        values = dict(zip(conds, bits))
        ran = _run(entries, values)
        assert len(ran) == len(set(ran)), "a node computed twice"
        seen: set[Node] = set()
        for n in ran:
            for i in n.inputs if n.op is not Op.IFELSE else n.inputs[:1]:
                assert i in seen, f"{n} ran before its input {i}"
            if n.op is Op.IFELSE:
                assert (n.inputs[1] if values[n.inputs[0]] else n.inputs[2]) in seen
            seen.add(n)
        need = _needed(g.outputs, values)
        assert need <= seen, f"not computed: {need - seen}"
        extra = {n for n in seen - need if n.op is not Op.PARAM}
        assert not (exact and extra), f"computed though this path does not need it: {extra}"
        holds = {n for n in g.nodes() if n in guard and all(values[c] == t for c, t in guard[n])}
        assert seen - {p for p in g.inputs} == holds - {p for p in g.inputs}


def test_guards_put_shared_values_outside_and_exclusive_ones_inside():
    c, x = _p("c", "bool", ()), _p("x")
    shared, mine, theirs = (make_node(op, [x]) for op in (Op.EXP, Op.SIN, Op.COS))
    out = ifelse(c, make_node(Op.ADD, [shared, mine]), make_node(Op.MUL, [shared, theirs]))
    g = guards(Graph((c, x), (out,)).nodes(), [out])
    assert g[shared] == () and g[c] == () and g[out] == ()
    assert g[mine] == ((c, True),) and g[theirs] == ((c, False),)


def test_a_pytree_shares_one_if_and_a_dependent_chain_gets_two():
    c, x = _p("c", "bool", ()), _p("x")
    h = make_node(Op.TANH, [x])
    leaves = [ifelse(c, make_node(op, [x]), h) for op in (Op.SIN, Op.COS, Op.EXP)]
    g = Graph((c, x), tuple(leaves))
    entries = program(g.nodes(), guards(g.nodes(), g.outputs))
    assert [e.kind for e in entries].count("if") == 1
    r1 = ifelse(c, make_node(Op.SIN, [x]), x)
    r2 = ifelse(c, make_node(Op.EXP, [r1]), x)      # needs r1, an output: a second `if`
    for outputs, ifs in (((r1, r2), 2), ((r2,), 1)):  # r1 only in r2's branch: one
        g = Graph((c, x), outputs)
        entries = program(g.nodes(), guards(g.nodes(), g.outputs))
        assert [e.kind for e in entries].count("if") == ifs
        _check_every_path(g, [c])


def _random_with_ifelse(seed: int, n_conds: int) -> tuple[Graph, list[Node]]:
    g, _ = random_graph(seed)
    rng = np.random.default_rng(seed)
    conds = [_p(f"c{i}", "bool", ()) for i in range(n_conds)]
    pool = list(g.outputs)
    outs = []
    for _ in range(6):
        a = pool[rng.integers(len(pool))]
        same = [b for b in pool if b.type == a.type]
        b = same[rng.integers(len(same))]
        node = ifelse(conds[rng.integers(n_conds)], a, b)
        pool.append(node)
        if rng.random() < 0.5:
            outs.append(node)
    outs += [pool[-1]] + ([pool[rng.integers(len(pool))]] if rng.random() < 0.5 else [])
    return Graph(tuple(conds) + g.inputs, tuple(outs)), conds


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_compute_exactly_what_each_path_needs(seed):
    g, conds = _random_with_ifelse(seed, 1)
    _check_every_path(g, conds)


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_with_several_conds_compute_what_their_guards_ask(seed):
    g, conds = _random_with_ifelse(seed, 3)
    _check_every_path(g, conds, exact=False)


def test_free_points_lift_to_the_end_of_the_branch():
    c, x = _p("c", "bool", ()), _p("x")
    e = make_node(Op.EXP, [x])
    out = ifelse(c, make_node(Op.SIN, [e]), make_node(Op.COS, [x]))
    g = Graph((c, x), (out, make_node(Op.NEG, [e])))
    entries = program(g.nodes(), guards(g.nodes(), g.outputs))
    where = [i for i, en in enumerate(entries) if en.node is e and en.kind == "node"]
    reads = [i for i, en in enumerate(entries) if en.kind == "node" and e in en.node.inputs]
    point = free_points(entries, {e: where + reads})[e]
    assert entries[point].kind == "end" or point == max(reads)
    assert point >= max(reads)
