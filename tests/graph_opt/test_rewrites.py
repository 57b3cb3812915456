"""Every rewrite: the graph before and after (op lists) and the value unchanged.

Each case builds a small graph with ir nodes, runs one rule to a fixpoint, checks
the ops left, and runs both graphs with the reference executor against a plain
numpy expression on inputs full of specials (NaN, inf, signed zeros).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

from tracer.backends.python import compile_graph
from tracer.graph_opt import canonicalize, fold, optimize, run_pass, specialize
from tracer.ir import Graph, Node, Op, make_const, make_node, make_param, tensor_type, verify

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.5, 2.5, 1e300, -1e-310])


def _x(shape=(3, 10), dtype="float64"):
    return make_param(tensor_type(dtype, shape), "x")


def bcast(value, shape, dtype="float64") -> Node:
    return make_node(Op.BROADCAST_TO, [make_const(np.array(value, dtype))], {"shape": shape})


def _sample(p: Node, rng) -> np.ndarray:
    if p.dtype.kind == "f":
        a = rng.standard_normal(p.shape)
        flat = a.reshape(-1)
        flat[: min(flat.size, SPECIALS.size)] = SPECIALS[: flat.size]
        return a.astype(p.dtype)
    return rng.integers(-50, 50, p.shape).astype(p.dtype)


@dataclass
class Case:
    name: str
    build: Callable[[list[Node]], Node]
    rule: Any
    ops_after: list[str]
    numpy: Callable[..., Any]
    params: list[tuple[str, tuple[int, ...]]]
    rtol: float = 0.0


def _dot(a, b, contract=((1,), (0,))):
    return make_node(Op.DOT_GENERAL, [a, b], {"contract": contract, "batch": ((), ())})


C = canonicalize
CASES = [
    Case("reshape_reshape", lambda p: make_node(Op.RESHAPE, [make_node(
        Op.RESHAPE, p, {"shape": (30,)})], {"shape": (5, 6)}), C.reshape_reshape, ["reshape"],
        lambda x: x.reshape(30).reshape(5, 6), [("float64", (3, 10))]),
    Case("reshape_noop", lambda p: make_node(Op.RESHAPE, [make_node(
        Op.RESHAPE, p, {"shape": (30,)})], {"shape": (3, 10)}), C.RULES, [],
        lambda x: x, [("float64", (3, 10))]),
    Case("transpose_transpose", lambda p: make_node(Op.TRANSPOSE, [make_node(
        Op.TRANSPOSE, p, {"perm": (1, 2, 0)})], {"perm": (0, 2, 1)}), C.transpose_transpose,
        ["transpose"], lambda x: x.transpose(1, 2, 0).transpose(0, 2, 1), [("float64", (2, 3, 4))]),
    Case("transpose_identity", lambda p: make_node(Op.TRANSPOSE, [make_node(
        Op.TRANSPOSE, p, {"perm": (1, 0)})], {"perm": (1, 0)}), C.RULES, [],
        lambda x: x, [("float64", (3, 10))]),
    Case("cast_same", lambda p: make_node(Op.CAST, p, {"dtype": np.dtype("float32")}),
         C.same_type_noop, [], lambda x: x, [("float32", (3, 10))]),
    Case("broadcast_broadcast", lambda p: make_node(Op.BROADCAST_TO, [make_node(
        Op.BROADCAST_TO, p, {"shape": (3, 10)})], {"shape": (2, 3, 10)}),
        C.broadcast_broadcast, ["broadcast_to"],
        lambda x: np.broadcast_to(x, (2, 3, 10)), [("float64", (10,))]),
    Case("broadcast_of_size1", lambda p: make_node(Op.RESHAPE, [make_node(
        Op.BROADCAST_TO, [make_node(Op.RESHAPE, p, {"shape": (1,)})], {"shape": (4, 5)})],
        {"shape": (20,)}), C.broadcast_of_size1, ["broadcast_to"],
        lambda x: np.broadcast_to(x.reshape(1), (4, 5)).reshape(20), [("float64", ())]),
    Case("lift_broadcast", lambda p: make_node(Op.MUL, [
        make_node(Op.BROADCAST_TO, [p[0]], {"shape": (3, 10)}),
        make_node(Op.BROADCAST_TO, [make_node(Op.EXP, [p[1]])], {"shape": (3, 10)})]),
        C.lift_broadcast, ["exp", "mul", "broadcast_to"],
        lambda a, b: np.broadcast_to(a, (3, 10)) * np.exp(b), [("float64", (10,)), ("float64", (10,))]),
    Case("neg_neg", lambda p: make_node(Op.NEG, [make_node(Op.NEG, p)]), C.neg_neg, [],
         lambda x: x, [("float64", (3, 10))]),
    Case("mul_one", lambda p: make_node(Op.MUL, [bcast(1.0, (3, 10)), p[0]]), C.mul_one, [],
         lambda x: 1.0 * x, [("float64", (3, 10))]),
    Case("div_one", lambda p: make_node(Op.DIV, [p[0], bcast(1.0, (3, 10))]), C.mul_one, [],
         lambda x: x / 1.0, [("float64", (3, 10))]),
    Case("add_minus_zero", lambda p: make_node(Op.ADD, [p[0], bcast(-0.0, (3, 10))]),
         C.add_zero, [], lambda x: x + -0.0, [("float64", (3, 10))]),
    Case("sub_zero", lambda p: make_node(Op.SUB, [p[0], bcast(0.0, (3, 10))]),
         C.add_zero, [], lambda x: x - 0.0, [("float64", (3, 10))]),
    Case("add_plus_zero_kept", lambda p: make_node(Op.ADD, [p[0], bcast(0.0, (3, 10))]),
         C.add_zero, ["broadcast_to", "add"], lambda x: x + 0.0, [("float64", (3, 10))]),
    Case("int_add_zero", lambda p: make_node(Op.ADD, [bcast(0, (3, 10), "int32"), p[0]]),
         C.add_zero, [], lambda x: 0 + x, [("int32", (3, 10))]),
    Case("select_same", lambda p: make_node(Op.SELECT, [make_node(Op.GT, [p[0], p[0]]), p[0], p[0]]),
         C.select_same, [], lambda x: np.where(x > x, x, x), [("float64", (3, 10))]),
    Case("fold", lambda p: make_node(Op.ADD, [p[0], make_node(Op.EXP, [make_node(
        Op.DIV, [make_const(np.arange(10.0)), make_const(np.full(10, 3.0))])])]), fold.RULES,
        ["add"], lambda x: x + np.exp(np.arange(10.0) / 3.0), [("float64", (10,))]),
    Case("fold_keeps_raising_ops", lambda p: make_node(Op.ADD, [p[0], make_node(Op.POW, [
        make_const(np.array([2, 3])), make_const(np.array([2, -1]))])]), fold.RULES,
        ["pow", "add"], None, [("int64", (2,))]),
    Case("pow_two", lambda p: make_node(Op.POW, [p[0], bcast(2.0, (3, 10))]), specialize.pow_two,
         ["mul"], lambda x: x ** 2, [("float64", (3, 10))]),
    Case("pow_two_int", lambda p: make_node(Op.POW, [p[0], bcast(2, (3, 10), "int64")]),
         specialize.pow_two, ["mul"], lambda x: x ** 2, [("int64", (3, 10))]),
]


def _gemm_cases() -> list[Case]:
    def sgd(p):
        w, a, b = p
        return make_node(Op.SUB, [w, make_node(Op.MUL, [bcast(0.1, (4, 5)), _dot(a, b, ((0,), (0,)))])])

    def bias(p):
        bvec, a, b = p
        return make_node(Op.ADD, [_dot(a, b), make_node(Op.BROADCAST_TO, [bvec], {"shape": (3, 5)})])

    def minus(p):
        w, a, b = p
        return make_node(Op.SUB, [w, _dot(a, b)])
    return [
        Case("gemm_sgd", sgd, specialize.RULES + C.RULES + fold.RULES, ["gemm_acc"],
             lambda w, a, b: w - 0.1 * (a.T @ b), [("float64", (4, 5)), ("float64", (6, 4)),
                                                   ("float64", (6, 5))], 1e-12),
        Case("gemm_bias", bias, specialize.RULES, ["broadcast_to", "gemm_acc"],
             lambda bvec, a, b: a @ b + bvec, [("float32", (5,)), ("float32", (3, 7)),
                                              ("float32", (7, 5))], 1e-5),
        Case("gemm_minus", minus, specialize.RULES + C.RULES + fold.RULES, ["gemm_acc"],
             lambda w, a, b: w - a @ b, [("float64", (3, 5)), ("float64", (3, 7)),
                                        ("float64", (7, 5))], 1e-12),
    ]


CASES += _gemm_cases()


def _run(graph: Graph, xs):
    return compile_graph(graph)(xs)[0]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rewrite_before_after(case: Case, rng):
    ps = [make_param(tensor_type(dt, sh), f"p{i}") for i, (dt, sh) in enumerate(case.params)]
    before = Graph(tuple(ps), (case.build(ps),))
    rules = case.rule if isinstance(case.rule, list) else [case.rule]
    after = run_pass(before, rules)
    verify(after)
    assert after.ops() == case.ops_after, f"{before.as_text()}\n->\n{after.as_text()}"
    if case.numpy is None:      # the op raises at run time: still there to raise
        return
    with np.errstate(all="ignore"):
        xs = [_sample(p, rng) for p in ps]
        want = case.numpy(*xs)
    got_before, got_after = _run(before, xs), _run(after, xs)
    for got in (got_before, got_after):
        assert got.dtype == np.asarray(want).dtype and got.shape == np.shape(want)
        if case.rtol:
            np.testing.assert_allclose(got, want, rtol=case.rtol, atol=case.rtol)
        else:   # bit for bit: NaN payloads aside, signed zeros included
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
            np.testing.assert_array_equal(got, want)


def test_gemm_needs_a_scalar_alpha_and_a_single_use_dot():
    w, a, b, v = (make_param(tensor_type("float64", s)) for s in [(3, 5), (3, 7), (7, 5), (5,)])
    d = _dot(a, b)
    vector_alpha = make_node(Op.SUB, [w, make_node(Op.MUL, [
        make_node(Op.BROADCAST_TO, [v], {"shape": (3, 5)}), d])])
    assert "gemm_acc" not in run_pass(Graph((w, a, b, v), (vector_alpha,)), specialize.RULES).ops()
    shared = Graph((w, a, b), (make_node(Op.SUB, [w, d]), d))
    assert "gemm_acc" not in run_pass(shared, specialize.RULES).ops()


def test_fold_leaves_big_results_and_broadcasts():
    big = make_node(Op.EXP, [make_const(np.zeros(2000))])
    filled = bcast(1.5, (40, 40))
    out = run_pass(Graph((), (big, filled)), fold.RULES)
    assert out.ops() == ["exp", "broadcast_to"]


def test_optimize_keeps_locations_and_types():
    x = _x()
    node = make_node(Op.NEG, [make_node(Op.NEG, [make_node(Op.EXP, [x])])])
    g = optimize(Graph((x,), (node,)))
    verify(g)
    assert g.ops() == ["exp"] and g.outputs[0].type == node.type
