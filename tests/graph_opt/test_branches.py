"""The branches pass: each rule's graph before and after, and values bit-identical
(signed zeros and NaN included) to the unrewritten graph and to numpy, on both
branch outcomes, with NaN and inf in the other branch's inputs."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tracer.backends.c import compile_graph as compile_c
from tracer.backends.python import compile_graph
from tracer.graph_opt import branches, optimize, run_pass
from tracer.graph_opt.pipeline import CANONICALIZE
from tracer.ir import Graph, Node, Op, make_const, make_node, make_param, tensor_type, verify

from ..backends.c.support import needs_cc

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.5, 2.5, 1e300, -1e-310])
RULES = branches.RULES + CANONICALIZE


def _p(name, shape=(3, 4), dtype="float64") -> Node:
    return make_param(tensor_type(dtype, shape), name)


def _cond() -> Node:
    return make_param(tensor_type("bool", ()), "c")


def _zeros(shape, dtype="float64", value=0.0) -> Node:
    return make_node(Op.BROADCAST_TO, [make_const(np.array(value, dtype))], {"shape": shape})


def _ifelse(c, a, b) -> Node:
    return make_node(Op.IFELSE, [c, a, b])


def _dot(a, b, contract=((1,), (0,)), batch=((), ())) -> Node:
    return make_node(Op.DOT_GENERAL, [a, b], {"contract": contract, "batch": batch})


def _sample(p: Node, rng, specials=True) -> np.ndarray:
    if p.dtype == np.bool_:
        return np.array(True)
    a = rng.standard_normal(p.shape)
    if specials:
        flat = a.reshape(-1)
        n = min(flat.size, SPECIALS.size)
        flat[rng.permutation(flat.size)[:n]] = SPECIALS[:n]
    with np.errstate(over="ignore"):     # 1e300 becomes inf in float32
        return a.astype(p.dtype)


def assert_bits(got: np.ndarray, want: np.ndarray) -> None:
    """Same dtype, shape, values, NaN positions and signs of zero."""
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got[~np.isnan(got)]), np.signbit(want[~np.isnan(want)]))


def _rewrite_and_check(before: Graph, ops_after: list[str], rng, backends=("python",)):
    after = run_pass(before, RULES)
    verify(after)
    assert sorted(n.op.value for n in after.nodes() if n.op not in (Op.PARAM, Op.CONST)) \
        == sorted(ops_after), after.as_text()
    for taken in (True, False):
        for _ in range(3):
            xs = [np.array(taken) if p.dtype == np.bool_ else _sample(p, rng) for p in before.inputs]
            with np.errstate(all="ignore"):
                want = compile_graph(before)(xs)[0]
            for backend in backends:
                run = compile_graph if backend == "python" else compile_c
                assert_bits(np.asarray(run(after)(xs)[0]), np.asarray(want))
    return after


def _graph(inputs, out) -> Graph:
    return Graph(tuple(inputs), (out,))


# -- push_into_ifelse ------------------------------------------------------------------
def test_a_unary_reader_moves_into_both_branches(rng):
    """neg(ifelse(c, g, 0)) -> ifelse(c, neg(g), neg(0))."""
    c, g = _cond(), _p("g")
    before = _graph([c, g], make_node(Op.NEG, [_ifelse(c, g, _zeros(g.shape))]))
    after = _rewrite_and_check(before, ["ifelse", "neg", "broadcast_to"], rng)
    assert after.outputs[0].op is Op.IFELSE


def test_a_binary_reader_with_a_shared_operand(rng):
    """ifelse(c, g, 0) * y -> ifelse(c, g * y, 0 * y): exact with inf and NaN in y."""
    c, g, y = _cond(), _p("g"), _p("y")
    before = _graph([c, g, y], make_node(Op.MUL, [_ifelse(c, g, _zeros(g.shape)), y]))
    _rewrite_and_check(before, ["ifelse", "mul", "mul", "broadcast_to"], rng)


def test_two_ifelses_on_one_cond_merge(rng):
    """ifelse(c, a, b) + ifelse(c, d, e) -> ifelse(c, a + d, b + e)."""
    c, a, b, d, e = _cond(), _p("a"), _p("b"), _p("d"), _p("e")
    before = _graph([c, a, b, d, e], make_node(Op.ADD, [_ifelse(c, a, b), _ifelse(c, d, e)]))
    _rewrite_and_check(before, ["ifelse", "add", "add"], rng)


def test_layout_reduction_and_cast_readers(rng):
    """sum(transpose(cast(ifelse(c, g, 0)))) -> ifelse(c, sum(transpose(cast(g))), ...)."""
    c, g = _cond(), _p("g", (3, 4), "float32")
    x = make_node(Op.CAST, [_ifelse(c, g, _zeros(g.shape, "float32"))], {"dtype": np.dtype("float64")})
    x = make_node(Op.TRANSPOSE, [x], {"perm": (1, 0)})
    out = make_node(Op.REDUCE_SUM, [x], {"axes": (0,)})
    after = _rewrite_and_check(_graph([c, g], out), [
        "ifelse", "cast", "transpose", "reduce_sum", "transpose", "reduce_sum",
        "broadcast_to"], rng)      # the cast of a broadcast zero folds
    assert after.outputs[0].op is Op.IFELSE


def test_no_push_without_a_zero_side_or_across_conds(rng):
    """A forward ifelse of two real values stays put; two conds do not multiply out."""
    c, d, a, b = _cond(), make_param(tensor_type("bool", ()), "d"), _p("a"), _p("b")
    plain = _graph([c, a, b], make_node(Op.EXP, [_ifelse(c, a, b)]))
    assert run_pass(plain, RULES).outputs == plain.outputs
    z = _zeros(a.shape)
    two = _graph([c, d, a, b], make_node(Op.ADD, [_ifelse(c, a, z), _ifelse(d, b, z)]))
    assert run_pass(two, RULES).outputs == two.outputs


# -- ifelse_nested -------------------------------------------------------------------
@pytest.mark.parametrize("inner_side", [1, 2])
def test_an_inner_ifelse_on_the_same_cond(inner_side, rng):
    """ifelse(c, ifelse(c, a, b), d) -> ifelse(c, a, d) (and the else mirror)."""
    c, a, b, d = _cond(), _p("a"), _p("b"), _p("d")
    inner = _ifelse(c, a, b)
    out = _ifelse(c, inner, d) if inner_side == 1 else _ifelse(c, d, inner)
    after = _rewrite_and_check(_graph([c, a, b, d], out), ["ifelse"], rng)
    want = (a, d) if inner_side == 1 else (d, b)
    assert after.outputs[0].inputs[1:] == want


def test_ifelse_of_one_value_is_the_value():
    c, a = _cond(), _p("a")
    assert run_pass(_graph([c, a], _ifelse(c, a, a)), RULES).outputs == (a,)


# -- dot_of_zero ---------------------------------------------------------------------
def _zn_cases():
    z = _zeros((3, 4))
    y = _p("y", (4, 5))
    yield "zero_at_lhs", [y], _dot(z, y), ["add", "mul", "reduce_sum", "broadcast_to",
                                           "broadcast_to", "reshape", "broadcast_to"]
    yield "zero_at_rhs", [y], _dot(make_node(Op.TRANSPOSE, [y], {"perm": (1, 0)}), z,
                                       ((1,), (1,))), None
    g, w = _p("g", (3, 4)), _p("w", (5, 4))
    zn = make_node(Op.MUL, [_zeros((3, 4)), g])           # zero, or NaN where g is not finite
    yield "zero_or_nan_lhs", [g, w], _dot(zn, w, ((1,), (1,))), None
    yield "both_zero_or_nan", [g, w], _dot(zn, make_node(Op.MUL, [_zeros((5, 4)), w]),
                                           ((1,), (1,))), None
    a, b = _p("a", (2, 3, 4)), _p("b", (4, 2, 5))
    yield "batched", [a, b], _dot(make_node(Op.MUL, [_zeros((2, 3, 4)), a]), b,
                                  ((2,), (0,)), ((0,), (1,))), None
    f = _p("f", (4, 5), "float32")
    yield "float32", [f], _dot(_zeros((3, 4), "float32", -0.0), f), None
    v, u = _p("v", (3,)), _p("u", (5,))
    yield "outer", [v, u], _dot(make_node(Op.MUL, [_zeros((3,)), v]), u, ((), ())), None
    e = _p("e", (0, 5))
    yield "empty_contraction", [e], _dot(_zeros((3, 0)), e), None
    yield "nan_constant", [y], _dot(_zeros((3, 4), value=np.nan), y), None


ZN_CASES = list(_zn_cases())


@pytest.mark.parametrize("case", ZN_CASES, ids=[c[0] for c in ZN_CASES])
def test_dot_of_zero_or_nan_is_one_pass_per_operand(case, rng):
    """dot_general(z, y) with z all ±0/NaN -> NaN where a NaN or inf meets z, else +0.0."""
    name, inputs, out, ops_after = case
    before = _graph(inputs, out)
    after = run_pass(before, RULES)
    verify(after)
    assert Op.DOT_GENERAL not in [n.op for n in after.nodes()], after.as_text()
    if ops_after is not None:
        assert sorted(n.op.value for n in after.nodes() if n.op not in (Op.PARAM, Op.CONST)) \
            == sorted(ops_after), after.as_text()
    for specials in (True, False):
        xs = [_sample(p, rng, specials) for p in inputs]
        with np.errstate(all="ignore"):
            want = compile_graph(before)(xs)[0]
        assert_bits(compile_graph(after)(xs)[0], want)


@needs_cc
@pytest.mark.parametrize("case", ZN_CASES[2:6], ids=[c[0] for c in ZN_CASES[2:6]])
def test_dot_of_zero_or_nan_on_the_c_backend(case, rng):
    """The C dot (BLAS or its loop) gives the same +0.0 and NaN as the rewritten graph."""
    _name, inputs, out, _ops = case
    before = _graph(inputs, out)
    after = run_pass(before, RULES)
    xs = [_sample(p, rng) for p in inputs]
    assert_bits(compile_c(after)(xs)[0], compile_c(before)(xs)[0])


# -- the whole pipeline on a gradient -------------------------------------------------
def test_the_gradient_graph_keeps_every_matmul_inside_the_branch(rng):
    """After the pass no dot_general (or gemm) of the taken-only side is read outside it."""
    x, w = rng.standard_normal((6, 6)), rng.standard_normal((6, 6))
    g = tr.compile(tr.grad(lambda x, w, c: tr.ifelse(c, (x @ w @ w).sum(), (x * 3.0).sum())),
                   backend="python").lower(x, w, np.bool_(True)).graph
    out = g.outputs[0]
    assert out.op is Op.IFELSE
    else_nodes = Graph(g.inputs, (out.inputs[2],)).nodes()
    assert not [n for n in else_nodes if n.op in (Op.DOT_GENERAL, Op.GEMM_ACC)], g.as_text()


@pytest.mark.parametrize("backend", ["python", "c"])
@pytest.mark.parametrize("taken", [True, False])
def test_gradient_is_exact_against_the_unoptimized_graph(backend, taken, rng, monkeypatch):
    """With inf and NaN in w, the light path's gradient still carries the NaN that the
    unoptimized graph's 0 * inf makes: the pass changes no value."""
    x, w = rng.standard_normal((5, 6)), rng.standard_normal((6, 6))
    w[1, 2], w[4, 0] = np.inf, np.nan
    fn = tr.grad(lambda x, w, c: tr.ifelse(c, (x @ w @ w).sum(), (x * 3.0).sum()),
                 argnums=(0, 1))
    with np.errstate(all="ignore"):
        got = tr.compile(fn, backend=backend)(x, w, np.bool_(taken))
        monkeypatch.setenv("TRACER_OPTIMIZE", "0")
        want = tr.compile(fn, backend=backend)(x, w, np.bool_(taken))
    for a, b in zip(got, want):
        assert_bits(np.asarray(a), np.asarray(b))


def test_optimize_runs_the_pass(rng):
    c, g, y = _cond(), _p("g", (3, 4)), _p("y", (4, 5))
    out = _dot(_ifelse(c, g, _zeros((3, 4))), y)
    after = optimize(_graph([c, g, y], out))
    assert after.outputs[0].op is Op.IFELSE
    assert [n.op for n in after.nodes()].count(Op.DOT_GENERAL) == 1
