"""tr.ifelse: values against numpy on both branch outcomes, pytrees, nesting, empty
arrays, derivatives, and laziness (the untaken branch's work does not run)."""
import time

import numpy as np
import pytest

import tracer as tr
from tests.helpers import assert_same, check_against_numpy
from tracer.ir import Op
from tracer.trace import prims
from tracer.trace.proxy import wrap

BACKENDS = ["python", "c"]


def piecewise(x, y):
    return tr.ifelse(x.sum() > 0, {"a": x * 2.0, "b": y}, {"a": -x, "b": y + 1})


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_traced_condition_picks_the_branch_numpy_would(rng, sign, backend):
    x = sign * np.abs(rng.standard_normal(5))
    y = rng.standard_normal(3).astype(np.float32)
    check_against_numpy(piecewise, x, y, backend=backend)


def test_concrete_condition_returns_the_chosen_value_itself():
    a, b = np.ones(2), np.zeros(3)
    assert tr.ifelse(True, a, b) is a
    assert tr.ifelse(np.bool_(False), a, b) is b


def test_concrete_condition_inside_a_trace_builds_no_ifelse():
    f = tr.compile(lambda x: tr.ifelse(True, x + 1, x @ x), backend="python")
    assert "ifelse" not in f.lower(np.ones((2, 2))).ops()
    known = lambda: wrap(prims.const(np.False_))  # noqa: E731  (a traced constant)
    g = tr.compile(lambda x: tr.ifelse(known(), x @ x, x + 1), backend="python")
    ops = g.lower(np.ones((2, 2))).ops()
    assert "ifelse" not in ops and "dot_general" not in ops, ops


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n", [3.0, 0.0, -2.0, np.nan])
def test_numeric_condition_follows_numpy_truthiness(backend, n):
    def f(n, x):
        return tr.ifelse(n, x * 2, x - 1)
    check_against_numpy(f, np.float64(n), np.arange(4.0), backend=backend)
    check_against_numpy(f, np.int32(n) if n == n else np.int32(1), np.arange(4.0),
                        backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_python_bool_argument_is_a_traced_condition(backend):
    f = tr.compile(lambda c, x: tr.ifelse(c, x + 1, x * 5), backend=backend)
    x = np.arange(3.0)
    assert_same(f(True, x), x + 1)
    assert_same(f(False, x), x * 5)


def nested(x, k):
    inner = tr.ifelse(k > 1, x * 3.0, np.sin(x))
    return tr.ifelse(k > 0, (inner, x.sum()), (x - 1.0, x.max()))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("k", [-1, 0, 1, 2, 5])
def test_nested_ifelse(rng, backend, k):
    check_against_numpy(nested, rng.standard_normal((3, 4)), np.int64(k), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_inner_ifelse_on_the_outer_condition(rng, backend):
    """The inner else-branch can never run: its gather with a bad index raises nothing."""
    def f(c, x, i):
        inner = tr.ifelse(c, x * 2.0, x[i])
        return tr.ifelse(c, inner + 1.0, x[i] - 1.0)
    g = tr.compile(f, backend=backend)
    x, bad = rng.standard_normal(4), np.array([9, 0, 1, 2])
    assert_same(g(True, x, bad), x * 2.0 + 1.0)
    ok = np.array([3, 0, 1, 2])
    assert_same(g(False, x, ok), x[ok] - 1.0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("flag", [True, False])
def test_empty_arrays_and_mixed_dtypes(backend, flag):
    def f(c, x, i):
        return tr.ifelse(c, [x * 2, i + 1, x.T], [x[::-1], i * 3, np.exp(x).T])
    check_against_numpy(f, np.bool_(flag), np.ones((0, 3)), np.arange(5, dtype=np.int16),
                        backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("flag", [True, False])
def test_returns_an_input_or_a_view_of_one(rng, backend, flag):
    def f(c, x, y):
        return tr.ifelse(c, (x, x.T), (y, y[::-1]))
    x, y = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    got = check_against_numpy(f, np.bool_(flag), x, y, backend=backend)
    assert all(np.shares_memory(g, x) is False and np.shares_memory(g, y) is False for g in got)


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_shared_with_the_rest_of_the_graph(rng, backend):
    """`m` feeds one branch and an output: computed once, outside the branch, on both paths."""
    def f(c, a, b):
        m = a @ b
        e = np.exp(a)               # both branches read e: outside the branch too
        return tr.ifelse(c, m * 2 + e, e + 1), m.sum()
    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    for flag in (True, False):
        check_against_numpy(f, np.bool_(flag), a, b, backend=backend)
    lowered = tr.compile(f, backend=backend).lower(np.bool_(True), a, b)
    assert lowered.ops().count("dot_general") == 1
    if backend == "python":
        src = lowered.source()
        dot = next(line for line in src.splitlines() if "dot_general" in line)
        exp = next(line for line in src.splitlines() if "# exp" in line)
        assert dot.startswith("    v") and exp.startswith("    v"), src   # top level


def test_untaken_branch_that_would_raise_is_not_run():
    """A gather with an out-of-bounds index in the untaken branch raises nothing."""
    def f(i, x):
        return tr.ifelse(i < x.shape[0], x[i] * 2.0, x[0] * 0.0)
    for backend in BACKENDS:
        g = tr.compile(f, backend=backend)
        x = np.arange(4.0)
        assert_same(g(np.int64(7), x), np.float64(0.0))
        assert_same(g(np.int64(2), x), np.float64(4.0))


def test_one_if_for_a_pytree():
    def f(c, x, w):
        h = np.tanh(x)
        return tr.ifelse(c, {"a": x @ w, "b": h + 1, "c": h * 2}, {"a": x * 3, "b": h, "c": -h})
    src = tr.compile(f, backend="python").lower(np.bool_(True), np.ones((2, 2)),
                                                  np.ones((2, 2))).source()
    assert src.count("    if ") == 1, src


# -- derivatives ------------------------------------------------------------------
def smooth(x, w):
    return tr.ifelse(x.sum() > 0, np.sum(np.tanh(x @ w) ** 2), np.sum(np.sin(x) * w[0]))


def smooth_where(x, w):
    return np.where(x.sum() > 0, np.sum(np.tanh(x @ w) ** 2), np.sum(np.sin(x) * w[0]))


def test_gradient_flows_through_the_taken_branch():
    f = lambda x: tr.ifelse(x > 0, x * x, -3.0 * x)  # noqa: E731
    assert tr.grad(f)(2.0) == pytest.approx(4.0)
    assert tr.grad(f)(-2.0) == pytest.approx(-3.0)


def _close(got, want, rtol):
    got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
    for g, h in zip(got, want, strict=True):
        np.testing.assert_allclose(g, h, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_grad_jvp_hvp_match_the_where_formulation(rng, sign, backend):
    """Compiled derivatives of the ifelse against those of np.where (both branches run)."""
    x = sign * np.abs(rng.standard_normal((2, 3)))
    w = rng.standard_normal((3, 3))
    dx, dw = rng.standard_normal((2, 3)), rng.standard_normal((3, 3))
    for argnums in (0, 1, (0, 1)):
        got = tr.compile(tr.grad(smooth, argnums), backend=backend)(x, w)
        _close(got, tr.grad(smooth_where, argnums)(x, w), 1e-12)
    for transform, rtol in ((tr.jvp, 1e-12), (tr.hvp, 1e-10)):
        got = tr.compile(lambda x, w, dx, dw: transform(smooth, (x, w), (dx, dw)),  # noqa: B023
                         backend=backend)(x, w, dx, dw)
        _close(tuple(got), tuple(transform(smooth_where, (x, w), (dx, dw))), rtol)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_grad_matches_central_differences(rng, sign):
    x = sign * np.abs(rng.standard_normal((2, 3)))
    w = rng.standard_normal((3, 3))
    grad = tr.compile(tr.grad(smooth), backend="c")(x, w)
    eps, fd = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        fd[i] = (smooth_where(x + e, w) - smooth_where(x - e, w)) / (2 * eps)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_jvp_with_a_branch_that_carries_no_tangent(rng):
    x = rng.standard_normal(4)
    c = np.ones(4)
    for flag in (True, False):
        bound = -100.0 if flag else 100.0
        f = lambda x: tr.ifelse(x[0] > bound, x * 2, c)  # noqa: E731, B023
        primal, tangent = tr.jvp(f, (x,), (np.ones(4),))
        np.testing.assert_allclose(tangent, np.full(4, 2.0) if flag else np.zeros(4))


def test_ifelse_is_one_node_per_leaf(rng):
    g = tr.compile(piecewise, backend="python").lower(np.ones(5), np.ones(3, np.float32)).graph
    assert [n.op for n in g.nodes()].count(Op.IFELSE) == 2


# -- laziness -----------------------------------------------------------------------
N = 1500


def heavy_or_light(c, a, b):
    return tr.ifelse(c, a @ b, a + 1.0)


def _best(fn, *args, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


@pytest.mark.parametrize("backend", BACKENDS)
def test_untaken_heavy_branch_costs_nothing(rng, backend):
    """The light call skips the 1500x1500 matmul: at least 10x faster than the heavy one."""
    a, b = rng.standard_normal((N, N)), rng.standard_normal((N, N))
    f = tr.compile(heavy_or_light, backend=backend)
    yes, no = np.bool_(True), np.bool_(False)
    np.testing.assert_allclose(f(yes, a, b), a @ b, rtol=1e-10, atol=1e-9)
    assert_same(f(no, a, b), a + 1.0)
    heavy = _best(f, yes, a, b, repeat=3)
    light = _best(f, no, a, b, repeat=7)
    assert heavy >= 10 * light, f"heavy {heavy * 1e3:.1f} ms, light {light * 1e3:.1f} ms"


def heavy_or_light_loss(x, w, c):
    return tr.ifelse(c, (x @ w @ w @ w).sum(), (x * 3.0).sum())


@pytest.mark.parametrize("backend", BACKENDS)
def test_untaken_heavy_branch_costs_nothing_in_the_gradient(rng, backend):
    """The gradient is lazy too (graph_opt/branches.py): the light call skips the three
    1500x1500 backward matmuls, at least 10x faster than the heavy one."""
    x, w = rng.standard_normal((N, N)), rng.standard_normal((N, N)) / N
    g = tr.compile(tr.grad(heavy_or_light_loss), backend=backend)
    yes, no = np.bool_(True), np.bool_(False)
    np.testing.assert_allclose(g(x, w, yes), np.ones((N, N)) @ w.T @ w.T @ w.T, rtol=1e-10)
    assert_same(g(x, w, no), np.full((N, N), 3.0))
    heavy = _best(g, x, w, yes, repeat=3)
    light = _best(g, x, w, no, repeat=7)
    assert heavy >= 10 * light, f"heavy {heavy * 1e3:.1f} ms, light {light * 1e3:.1f} ms"
