"""Plain Python loops in a traced function become one SCAN: values equal numpy's, the
graph does not grow with the trip count, derivatives go through the loop."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracer as tr
from tests.autodiff.numeric import numeric_grad
from tests.helpers import assert_same
from tracer.loops.roll import LoopWarning

BACKENDS = ["python", "c"]


def _check(fn, *args, backend="python", rtol=1e-12):
    with np.errstate(all="ignore"):
        want = fn(*args)
    got = tr.compile(fn, backend=backend)(*args)
    assert_same(got, want, rtol=rtol, atol=1e-14)
    return tr.compile(fn, backend="python").lower(*args)


def _rnn_args(T, D=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(T, D)), rng.normal(size=H), rng.normal(size=(D, H)) * 0.5,
            rng.normal(size=(H, H)) * 0.5)


def rnn_append_stack(xs, h0, W, U):
    h, hs = h0, []
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U)
        hs.append(h)
    return np.stack(hs), h


def rnn_rows_array(xs, h0, W, U):
    h, hs = h0, []
    for x in xs:                                  # iterating a traced array's rows
        h = np.tanh(x @ W + h @ U)
        hs.append(h)
    return np.array(hs)


def rnn_zip_enumerate(xs, h0, W, U):
    h, total = h0, 0.0
    for t, (x, y) in enumerate(zip(xs, xs[::-1])):
        h = np.tanh(x @ W + y @ W * 0.5 + h @ U)
        total = total + np.sum(h) * (t + 1)       # a per-step constant
    return total, h


def _step(x, state, params):                       # the body calls other functions
    h, c = state
    W, U = params["W"], params["U"]
    c = 0.9 * c + np.tanh(x @ W)
    h = np.tanh(c + h @ U)
    return h, c


def lstm_like_pytree(xs, h0, W, U):
    state = (h0, np.zeros_like(h0))
    params = {"W": W, "U": U}
    for t in range(len(xs)):
        state = _step(xs[t], state, params)
    return state


def accumulators(xs, h0, W, U):
    x = h0.copy()
    loss = 0
    for t in range(xs.shape[0]):
        g = np.tanh(x @ U) + xs[t] @ W
        x -= 0.1 * g
        loss += np.sum(g ** 2)
    return x, loss


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn", [rnn_append_stack, rnn_rows_array, rnn_zip_enumerate,
                                lstm_like_pytree, accumulators], ids=lambda f: f.__name__)
def test_loops_become_one_scan(fn, backend):
    args = _rnn_args(7)
    lowered = _check(fn, *args, backend=backend)
    assert lowered.ops().count("scan") == 1
    # 20 and 400 steps: both traced for a few steps (loops/fastforward.py); 7 in full
    small = tr.compile(fn, backend="python").lower(*_rnn_args(20))
    big = tr.compile(fn, backend="python").lower(*_rnn_args(400))
    assert small.ops() == big.ops()


def test_gradient_equals_hand_written_bptt():
    xs, h0, W, U = _rnn_args(12, seed=3)

    def loss(W, U, h0, xs):
        h, total = h0, 0.0
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ W + h @ U)
            total = total + np.sum(h ** 2)
        return total

    def bptt(W, U, h0, xs):
        hs, h = [h0], h0
        for x in xs:
            h = np.tanh(x @ W + h @ U)
            hs.append(h)
        dW, dU, dh = np.zeros_like(W), np.zeros_like(U), np.zeros_like(h0)
        for t in reversed(range(len(xs))):
            dh = dh + 2 * hs[t + 1]
            da = dh * (1 - hs[t + 1] ** 2)
            dW += np.outer(xs[t], da)
            dU += np.outer(hs[t], da)
            dh = da @ U.T
        return dW, dU, dh
    got = tr.grad(loss, argnums=(0, 1, 2))(W, U, h0, xs)
    for g, w in zip(got, bptt(W, U, h0, xs)):
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-12)
    assert tr.grad(loss, argnums=(0, 1, 2)).lower(W, U, h0, xs).ops().count("scan") == 2


def test_hvp_and_second_derivatives_through_a_python_loop():
    xs, h0, W, U = _rnn_args(6, seed=4)

    def loss(U):
        h = h0
        for x in xs:
            h = np.tanh(x @ W + h @ U)
        return np.sum(h ** 2)
    v = np.random.default_rng(5).normal(size=U.shape)
    (hv,) = tr.hvp(loss, (U,), (v,))
    g = tr.grad(loss)
    eps = 1e-6
    np.testing.assert_allclose(hv, (g(U + eps * v) - g(U - eps * v)) / (2 * eps), rtol=1e-5,
                               atol=1e-8)


def test_loops_that_must_stay_unrolled_still_equal_numpy():
    def growing(x):
        parts = [x[:1]]
        for t in range(2, 6):                      # shapes change every step
            parts.append(np.tanh(x[:t]).sum(keepdims=True))
        return np.concatenate(parts)

    def branching(x):
        for t in range(5):
            x = x * 2 if t % 2 else np.sin(x)      # a Python branch on the step
        return x
    _check(growing, np.arange(6.0))
    lowered = _check(branching, np.arange(3.0))
    assert "scan" not in lowered.ops()


def test_a_long_loop_that_stays_unrolled_says_why():
    def alternating(x):
        for t in range(20):
            x = np.sin(x) if t % 2 else np.cos(x)
        return x
    with pytest.warns(LoopWarning, match="stays unrolled"):
        tr.compile(alternating, backend="python").lower(np.ones(2))


def test_a_python_loop_inside_a_loop_body_is_kept():
    def nested(x):
        for _ in range(4):
            for _ in range(3):
                x = np.tanh(x) + 0.5
        return x
    lowered = _check(nested, np.arange(3.0))
    assert lowered.ops().count("scan") >= 1


def test_dict_bookkeeping_and_a_backward_loop():
    """min-char-rnn's lossFun: dicts keyed by step, a forward and a hand-written backward loop."""
    rng = np.random.default_rng(6)
    V, H = 5, 4
    Wxh, Whh, Why = (rng.normal(size=s) * 0.3 for s in [(H, V), (H, H), (V, H)])
    bh, by = np.zeros((H, 1)), np.zeros((V, 1))
    inputs, targets = [1, 3, 0, 2, 4, 1], [3, 0, 2, 4, 1, 2]

    def lossfun(Wxh, Whh, Why, bh, by, hprev):
        xs, hs, ys, ps = {}, {}, {}, {}
        hs[-1] = np.copy(hprev)
        loss = 0
        for t in range(len(inputs)):
            xs[t] = np.zeros((V, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
            ys[t] = np.dot(Why, hs[t]) + by
            ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
            loss += -np.log(ps[t][targets[t], 0])
        dWhh, dWhy = np.zeros_like(Whh), np.zeros_like(Why)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1
            dWhy += np.dot(dy, hs[t].T)
            dh = np.dot(Why.T, dy) + dhnext
            dhraw = (1 - hs[t] * hs[t]) * dh
            dWhh += np.dot(dhraw, hs[t - 1].T)
            dhnext = np.dot(Whh.T, dhraw)
        return loss, dWhh, dWhy, hs[len(inputs) - 1]
    args = (Wxh, Whh, Why, bh, by, rng.normal(size=(H, 1)))
    lowered = _check(lossfun, *args, rtol=1e-10)
    assert lowered.ops().count("scan") == 2
    g = tr.grad(lambda Whh: lossfun(Wxh, Whh, Why, bh, by, args[-1])[0])(Whh)
    np.testing.assert_allclose(g, lossfun(*args)[1], rtol=1e-8, atol=1e-12)


def test_trace_cost_of_a_long_loop_is_small(recwarn):
    xs, h0, W, U = _rnn_args(2000)
    lowered = tr.compile(rnn_append_stack, backend="python").lower(xs, h0, W, U)
    assert lowered.ops().count("scan") == 1 and len(lowered.ops()) < 40
    assert not [w for w in recwarn if issubclass(w.category, LoopWarning)]
    warnings.simplefilter("error", LoopWarning)


# -- CS231n's rnn_forward: preallocate h, fill h[:, t, :] ------------------------------------
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    for t in range(T):
        next_h, cache_t = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = next_h
        prev_h = next_h
        cache.append(cache_t)
    return h


def rnn_backward(dh, x, h0, Wx, Wh, b):
    """CS231n's hand-written backward pass (dWx, dWh, db, dh0)."""
    h = rnn_forward(x, h0, Wx, Wh, b)
    N, T, H = dh.shape
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        prev_h = h[:, t - 1, :] if t > 0 else h0
        dnext = dh[:, t, :] + dprev
        dtanh = dnext * (1 - h[:, t, :] ** 2)
        dWx += x[:, t, :].T.dot(dtanh)
        dWh += prev_h.T.dot(dtanh)
        db += dtanh.sum(axis=0)
        dprev = dtanh.dot(Wh.T)
    return dWx, dWh, db, dprev


@pytest.mark.parametrize("backend", BACKENDS)
def test_preallocate_and_fill(backend):
    rng = np.random.default_rng(7)
    N, D, H = 2, 3, 4
    args = lambda T: (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)),  # noqa: E731
                      rng.normal(size=(D, H)) * 0.5, rng.normal(size=(H, H)) * 0.5,
                      rng.normal(size=H))
    lowered = _check(rnn_forward, *args(6), backend=backend)
    assert lowered.ops().count("scan") == 1
    assert tr.compile(rnn_forward).lower(*args(5)).ops() == \
        tr.compile(rnn_forward).lower(*args(300)).ops()
    x, h0, Wx, Wh, b = args(6)
    dh = rng.normal(size=(N, 6, H))
    loss = lambda Wx, Wh, b, h0, x: np.sum(rnn_forward(x, h0, Wx, Wh, b) * dh)  # noqa: E731
    got = tr.grad(loss, argnums=(0, 1, 2, 3))(Wx, Wh, b, h0, x)
    for g, w in zip(got, rnn_backward(dh, x, h0, Wx, Wh, b)):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h, prev_c = h0, np.zeros_like(h0)
    for t in range(T):
        a = x[:, t, :].dot(Wx) + prev_h.dot(Wh) + b
        i, f, o, g = (1 / (1 + np.exp(-a[:, :H])), 1 / (1 + np.exp(-a[:, H:2 * H])),
                      1 / (1 + np.exp(-a[:, 2 * H:3 * H])), np.tanh(a[:, 3 * H:]))
        prev_c = f * prev_c + i * g
        prev_h = o * np.tanh(prev_c)
        h[:, t, :] = prev_h
    return h


@pytest.mark.parametrize("backend", BACKENDS)
def test_lstm_step_loop(backend):
    rng = np.random.default_rng(8)
    N, T, D, H = 3, 7, 4, 5
    args = (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)),
            rng.normal(size=(D, 4 * H)) * 0.3, rng.normal(size=(H, 4 * H)) * 0.3,
            rng.normal(size=4 * H))
    lowered = _check(lstm_forward, *args, backend=backend)
    assert lowered.ops().count("scan") == 1
    def f(Wh, x, h0):
        return np.sum(lstm_forward(x, h0, args[2], Wh, args[4]) ** 2)
    np.testing.assert_allclose(tr.grad(f)(args[3], args[0], args[1]),
                               numeric_grad(f, [args[3], args[0], args[1]], 0), rtol=1e-6,
                               atol=1e-8)


def test_a_loop_drawing_random_numbers_stays_unrolled_and_says_why():
    def walk(x):
        for _ in range(20):
            x = x + np.random.standard_normal(3)
        return x
    f = tr.compile(walk, backend="python")
    with pytest.warns(tr.LoopWarning, match="draws its own random numbers"):
        np.random.seed(3)
        got = f(np.zeros(3))
    np.random.seed(3)
    np.testing.assert_array_equal(got, walk(np.zeros(3)))
    assert not np.array_equal(f(np.zeros(3)), got)        # fresh draws on every call


def _partial_rows(A):
    s = np.zeros(2)
    for i in range(10):
        s = s + A[i, 1:3] * np.cos(s)
    return s


def _strided_rows(A):
    s = np.zeros(3)
    for i in range(10):
        s = s * 0.5 + A[i, ::2][:3] + A[::-1][i, 1:4]
    return s


def _reversed_elements(A):
    s = 0.0
    for i in reversed(range(10)):
        s = s + np.sum(A[i, 2:5:2] ** 2) * s + A[i, 0]
    return s


def _nested_elements(A):
    s = np.zeros(3)
    for i in range(10):
        for j in range(3):
            s = s + A[i, j] * np.sin(s + j)
    return s


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn", [_partial_rows, _strided_rows, _reversed_elements,
                                _nested_elements])
def test_rows_sliced_on_other_axes_too(fn, backend):
    """A[i, 1:3], A[i, ::2], A[i, j]: the sequence keeps the other axes' slicing (it took
    the whole row: a reshape error, or other values), and a nested loop's inner runs that
    the outer SCAN took in are left alone."""
    A = np.random.default_rng(8).standard_normal((10, 8))
    lowered = _check(fn, A, backend=backend)
    assert lowered.ops().count("scan") >= 1


def test_a_loop_the_rolling_fails_on_stays_unrolled_and_says_so(monkeypatch):
    from tracer.loops import fastforward, roll

    def broken(*args, **kwargs):
        raise ValueError("reshape: cannot reshape")
    monkeypatch.setattr(roll, "build_scan", broken)
    monkeypatch.setattr(fastforward, "build_scan", broken)
    args = _rnn_args(20)
    with pytest.warns(tr.LoopWarning, match="could not build its scan"):
        lowered = _check(rnn_append_stack, *args)
    assert "scan" not in lowered.ops()
