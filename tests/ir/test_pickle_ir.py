"""Graphs pickle by value and come back interned, with fresh params; pytrees keep no hash."""
from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np

from tracer.backends.python import compile_graph
from tracer.ir import Graph, Loc, Op, make_const, make_node, make_param, tensor_type
from tracer.trace import pytree

F64_3 = tensor_type(np.float64, (3,))


def _graph() -> Graph:
    a, b = make_param(F64_3, "a"), make_param(F64_3, "b")
    loc = Loc("user.py", 7, "f")
    scaled = make_node(Op.MUL, [a, make_const(np.array([1.0, 2.0, 3.0]))], loc=loc)
    return Graph((a, b), (make_node(Op.ADD, [make_node(Op.EXP, [scaled]), b]),
                          make_node(Op.REDUCE_SUM, [b], {"axes": (0,)})))


def test_a_loaded_graph_has_fresh_params_and_the_same_text_and_values():
    g = _graph()
    loaded = pickle.loads(pickle.dumps(g))
    assert loaded.as_text() == g.as_text()
    assert not set(loaded.inputs) & set(g.inputs)
    assert {p.attrs["uid"] for p in loaded.inputs}.isdisjoint(p.attrs["uid"] for p in g.inputs)
    assert [p.attrs["name"] for p in loaded.inputs] == ["a", "b"]
    (mul,) = [n for n in loaded.nodes() if n.op is Op.MUL]
    assert mul.loc == Loc("user.py", 7, "f")
    x, y = np.array([0.1, -0.2, 0.3]), np.array([1.0, 2.0, 4.0])
    for want, got in zip(compile_graph(g)([x, y]), compile_graph(loaded)([x, y])):
        np.testing.assert_array_equal(got, want)


def test_nodes_are_interned_again_and_params_shared_within_one_pickle():
    g = _graph()
    (const,) = [n for n in g.nodes() if n.op is Op.CONST]
    assert pickle.loads(pickle.dumps(const)) is const          # equal constant: same node
    first, second = pickle.loads(pickle.dumps((g, g.replace({}))))
    assert first.inputs == second.inputs                        # one param per stream
    again = pickle.loads(pickle.dumps(g))
    assert again.inputs[0] is not first.inputs[0]               # a new stream: new params


def test_a_deep_graph_pickles_without_deep_recursion():
    x = make_param(F64_3, "x")
    out = x
    for _ in range(20_000):
        out = make_node(Op.SIN, [out])
    loaded = pickle.loads(pickle.dumps(Graph((x,), (out,))))
    assert len(loaded.nodes()) == 20_001


def test_treedefs_come_back_with_their_singletons_and_a_fresh_hash():
    leaves, tree = pytree.flatten({"w": 1, "b": (2, None, [3])})
    loaded = pickle.loads(pickle.dumps(tree))
    assert loaded == tree and hash(loaded) == hash(tree)
    assert pickle.loads(pickle.dumps(pytree.flatten(1)[1])) is pytree.LEAF
    assert pickle.loads(pickle.dumps(pytree.flatten(None)[1])) is pytree.NONE
    # in another process string hashes differ: a pickled cached hash would be stale there
    code = ("import pickle, sys; from tracer.trace import pytree; "
            "t = pickle.loads(sys.stdin.buffer.read()); "
            "print(hash(t) == hash(pytree.flatten({'w': 1, 'b': (2, None, [3])})[1]))")
    done = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(tree),
                          capture_output=True, timeout=60)
    assert done.stdout.strip() == b"True", done.stderr
