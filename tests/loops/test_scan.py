"""tr.scan, tr.fori_loop, tr.while_loop: values against plain Python loops, derivatives
against central differences, on the reference backend and the C backend."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tests.autodiff.numeric import numeric_grad
from tests.helpers import assert_same

BACKENDS = ["python", "c"]


# -- Theano's classic examples ----------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_polynomial_from_coefficients(backend):
    def poly(coeffs, x):
        terms = tr.scan(lambda c, p, x: c * x ** p,
                        sequences=[coeffs, np.arange(coeffs.shape[0], dtype=float)],
                        non_sequences=[x])
        return terms.sum()
    coeffs = np.array([1.0, 0.0, 2.0, -0.5])
    got = tr.compile(poly, backend=backend)(coeffs, 3.0)
    np.testing.assert_allclose(got, np.polyval(coeffs[::-1], 3.0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_power_by_repeated_multiplication(backend):
    def power(A, k):
        result = tr.scan(lambda prior, A: prior * A, outputs_info=np.ones_like(A),
                         non_sequences=[A], n_steps=k)
        return result[-1]
    A = np.arange(1.0, 5.0)
    assert_same(tr.compile(power, backend=backend, static_argnums=1)(A, 5), A ** 5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fibonacci_with_two_taps(backend):
    def fib(seed):
        return tr.scan(lambda a, b: a + b, outputs_info=dict(initial=seed, taps=[-2, -1]),
                       n_steps=10)
    want = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89]
    assert tr.compile(fib, backend=backend)(np.array([0, 1])).tolist() == want


@pytest.mark.parametrize("backend", BACKENDS)
def test_until_stops_the_loop(backend):
    def doubling(x):
        return tr.scan(lambda v: (v * 2, tr.until(v * 2 > 50)), outputs_info=x, n_steps=10)
    got = tr.compile(doubling, backend=backend)(1.0)
    # the steps after the stop repeat the last value (shapes are static)
    assert got.tolist() == [2, 4, 8, 16, 32, 64, 64, 64, 64, 64]


@pytest.mark.parametrize("backend", BACKENDS)
def test_go_backwards_and_sequence_taps(backend):
    def f(x):
        fwd = tr.scan(lambda a, b, s: s + a * b, sequences=[dict(input=x, taps=[-1, 0])],
                      outputs_info=0.0)
        back = tr.scan(lambda a, s: s * 0.5 + a, sequences=[x], outputs_info=0.0,
                       go_backwards=True)
        return fwd, back

    def plain(x):
        fwd, s = [], 0.0
        for t in range(1, len(x)):
            s = s + x[t - 1] * x[t]
            fwd.append(s)
        back, s = [], 0.0
        for t in reversed(range(len(x))):
            s = s * 0.5 + x[t]
            back.append(s)
        return np.array(fwd), np.array(back)
    x = np.array([1.0, 2.0, -1.0, 3.0, 0.5])
    assert_same(tr.compile(f, backend=backend)(x), plain(x), rtol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_jax_loops_against_python(backend):
    def f(x, n):
        total = tr.fori_loop(0, 7, lambda i, v: v * 0.9 + i * x, np.zeros_like(x))
        count, value = tr.while_loop(lambda c: c[1] < n, lambda c: (c[0] + 1, c[1] * 2.0),
                                     (0, 1.0))
        return total, count, value

    def plain(x, n):
        v = np.zeros_like(x)
        for i in range(7):
            v = v * 0.9 + i * x
        c, value = 0, 1.0
        while value < n:
            c, value = c + 1, value * 2.0
        return v, c, value
    x = np.array([1.0, -2.0])
    compiled = tr.compile(f, backend=backend)
    for n in (100.0, 0.5, 1e6):
        got = compiled(x, n)
        want = plain(x, n)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-15)
        assert (int(got[1]), float(got[2])) == (want[1], want[2])


def test_while_on_a_traced_condition_names_while_loop():
    def f(x):
        while x < 10:
            x = x * 2
        return x
    with pytest.raises(tr.ConcretizationError, match="tr.while_loop"):
        tr.compile(f)(1.0)


def test_carried_value_that_changes_type_is_named():
    with pytest.raises(TypeError, match=r"outputs_info\[0\] is f64\[3\] before the loop and "
                                        r"f64\[1,3\] after a step"):
        tr.compile(lambda h: tr.scan(lambda h: h[None], outputs_info=h, n_steps=3))(np.ones(3))


def test_a_weak_initial_value_takes_the_body_dtype():
    f = tr.compile(lambda x: tr.scan(lambda v, x: v + x, sequences=[x], outputs_info=0.0))
    got = f(np.ones(4, np.float32))
    assert got.dtype == np.float32 and got.tolist() == [1, 2, 3, 4]


def test_the_graph_shows_the_loop_and_does_not_grow_with_steps():
    def f(x, n):
        return tr.scan(lambda v: np.tanh(v) * 2.0, outputs_info=x, n_steps=n)
    small = tr.compile(f, static_argnums=1).lower(np.ones(3), 5)
    big = tr.compile(f, static_argnums=1).lower(np.ones(3), 2000)
    assert small.ops() == big.ops() and "scan" in small.ops()
    assert "tanh" in small.as_text()         # the body, printed under the scan


# -- derivatives --------------------------------------------------------------------------------
T, D, H = 6, 3, 4


def _rnn_args(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(D, H)) * 0.5, rng.normal(size=(H, H)) * 0.5, rng.normal(size=H),
            rng.normal(size=(T, D)))


def _rnn_loss(W, U, h0, xs):
    hs = tr.scan(lambda x, h, W, U: np.tanh(x @ W + h @ U), sequences=[xs], outputs_info=h0,
                 non_sequences=[W, U])
    return np.sum(hs ** 2) + np.sum(np.sin(hs[-1]))


def _rnn_loss_numpy(W, U, h0, xs):
    h, hs = h0, []
    for x in xs:
        h = np.tanh(x @ W + h @ U)
        hs.append(h)
    hs = np.stack(hs)
    return np.sum(hs ** 2) + np.sum(np.sin(hs[-1]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_is_backpropagation_through_time(backend):
    args = _rnn_args()
    grads = tr.compile(tr.grad(_rnn_loss, argnums=(0, 1, 2, 3)), backend=backend)(*args)
    for k, g in enumerate(grads):
        np.testing.assert_allclose(g, numeric_grad(_rnn_loss_numpy, args, k), rtol=1e-6,
                                   atol=1e-8)


def test_jvp_hvp_and_grad_of_grad_through_a_loop():
    args = _rnn_args(1)
    rng = np.random.default_rng(2)
    v = rng.normal(size=(H, H))
    f = lambda U: _rnn_loss(args[0], U, args[2], args[3])  # noqa: E731
    f_np = lambda U: _rnn_loss_numpy(args[0], U, args[2], args[3])  # noqa: E731
    eps = 1e-6
    _, tangent = tr.jvp(f, (args[1],), (v,))
    np.testing.assert_allclose(tangent, (f_np(args[1] + eps * v) - f_np(args[1] - eps * v))
                               / (2 * eps), rtol=1e-6)
    (hv,) = tr.hvp(f, (args[1],), (v,))
    g = tr.grad(f)
    want = (g(args[1] + eps * v) - g(args[1] - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv, want, rtol=1e-5, atol=1e-7)
    gg = tr.grad(lambda U: np.sum(tr.grad(f)(U) ** 2))(args[1])
    gnum = numeric_grad(lambda U: np.sum(tr.grad(f)(U) ** 2), [args[1]], 0)
    np.testing.assert_allclose(gg, gnum, rtol=1e-5, atol=1e-7)


def test_derivatives_through_taps_reverse_and_last_only():
    def f(x, a):
        fib = tr.scan(lambda p, q, a: a * p + np.sin(q), outputs_info=dict(
            initial=x[:2], taps=[-2, -1]), non_sequences=[a], n_steps=5)
        back = tr.scan(lambda s, h: h * s + 1.0, sequences=[x], outputs_info=a,
                       go_backwards=True)
        last = tr.fori_loop(0, 4, lambda i, v: np.cos(v) * a + x[0], a)
        return np.sum(fib ** 2) + np.sum(back) + last

    def plain(x, a):
        p, q, fib = x[0], x[1], []
        for _ in range(5):
            p, q = q, a * p + np.sin(q)
            fib.append(q)
        h, back = a, []
        for s in x[::-1]:
            h = h * s + 1.0
            back.append(h)
        v = a
        for _ in range(4):
            v = np.cos(v) * a + x[0]
        return np.sum(np.array(fib) ** 2) + np.sum(back) + v
    x, a = np.array([0.3, -0.2, 0.5, 0.1]), 0.7
    np.testing.assert_allclose(tr.compile(f)(x, a), plain(x, a), rtol=1e-14)
    gx, ga = tr.grad(f, argnums=(0, 1))(x, a)
    np.testing.assert_allclose(gx, numeric_grad(plain, [x, a], 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ga, numeric_grad(plain, [x, a], 1), rtol=1e-6, atol=1e-8)


def test_truncated_gradient_uses_the_last_steps():
    def loss(k):
        def f(xs, w):
            hs = tr.scan(lambda x, h, w: h * w + x, sequences=[xs], outputs_info=0.0,
                         non_sequences=[w], truncate_gradient=k)
            return hs[-1]
        return f
    xs, w = np.arange(1.0, 6.0), 0.5
    full = tr.grad(loss(-1), argnums=(0, 1))(xs, w)
    cut = tr.grad(loss(2), argnums=(0, 1))(xs, w)
    np.testing.assert_allclose(full[0], w ** np.arange(4.0, -1.0, -1.0))
    np.testing.assert_allclose(cut[0], [0, 0, 0, w, 1])      # only the last 2 steps
    assert cut[1] != full[1]


def test_reverse_mode_through_until_is_refused():
    f = lambda x: tr.scan(lambda v: (v * 2, tr.until(v > 4)), outputs_info=x, n_steps=5)[-1]  # noqa: E731
    with pytest.raises(NotImplementedError, match="stop condition"):
        tr.grad(f)(1.0)
    _, t = tr.jvp(f, (1.0,), (1.0,))
    assert t == 16.0            # 1 -> 2 -> 4 -> 8 -> 16, stopping after the step from 8
