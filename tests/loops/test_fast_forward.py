"""A long Python loop is traced for a few steps only (loops/fastforward.py): the rest is
the SCAN built from them, and the frame is left as the whole loop would leave it. Loops
whose later steps Python could tell apart are traced in full, and a value of a skipped
step that escapes (kept where the frame's variables do not show it) is traced again."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tracer.loops import fastforward

from ..helpers import assert_same

BACKENDS = ["python", "c"]


def _counted(calls):
    def step(h, x, W):
        calls.append(1)
        return np.tanh(x @ W + h)
    return step


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_long_loop_traces_a_few_steps(backend):
    calls = []
    step = _counted(calls)

    def rnn(xs, h, W):
        for t in range(len(xs)):
            h = step(h, xs[t], W)
        return h
    rng = np.random.default_rng(0)
    xs, h0, W = rng.normal(size=(3000, 4)), rng.normal(size=4), rng.normal(size=(4, 4)) * 0.5
    got = tr.compile(rnn, backend=backend)(xs, h0, W)
    assert len(calls) == fastforward.STEPS            # not 3000
    calls.clear()
    assert_same(got, rnn(xs, h0, W), rtol=1e-12, atol=0)


def test_gradients_equal_those_of_the_whole_trace(monkeypatch):
    def loss(W, xs, h):
        total = 0.0
        for x in xs:
            h = np.tanh(x @ W + h)
            total = total + np.sum(h ** 2)
        return total
    rng = np.random.default_rng(1)
    args = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(200, 3)), rng.normal(size=3))
    skipped = tr.grad(loss)(*args)
    hvp = tr.hvp(lambda W: loss(W, *args[1:]), (args[0],), (np.ones((3, 3)),))
    monkeypatch.setattr(fastforward, "STEPS", 10**9)
    assert_same(skipped, tr.grad(lambda *a: loss(*a))(*args), rtol=1e-12, atol=0)
    assert_same(hvp, tr.hvp(lambda W: loss(W, *args[1:]), (args[0],), (np.ones((3, 3)),)),
                rtol=1e-12, atol=0)


class _Box:
    pass


def _kept_deep(x):
    box = _Box()
    box.inner = _Box()
    box.inner.h = x
    h = x
    for _ in range(50):
        h = np.sin(h) + 1.0
        box.inner.h = h
    return box.inner.h * 2


def _branch_on_step(x):
    for t in range(50):
        x = np.cos(x)
        if t == 49:
            x = x * 3
    return x


def _step_as_number(x):
    for t in range(50):
        x = np.cos(x) + t
    return x


def _python_counter(x):
    n = 0
    for _ in range(50):
        x = np.cos(x)
        n += 1
    return x * n


def _appended(x):
    hs = []
    for _ in range(50):
        x = np.cos(x)
        hs.append(x)
    return np.stack(hs)


def _index_past_the_end(xs):
    h = xs[0]
    for t in range(len(xs)):
        h = h * 0.5 + xs[t + 1]
    return h


class _Model:
    def run(self, x):
        self.h = x
        for _ in range(50):
            self.h = np.cos(self.h)
        return self.h


@pytest.mark.filterwarnings("ignore:.*stays unrolled")
@pytest.mark.parametrize("fn", [_kept_deep, _branch_on_step, _step_as_number, _python_counter,
                                _appended, _Model().run])
def test_loops_python_could_tell_apart_still_equal_numpy(fn):
    x = np.random.default_rng(2).normal(size=5)
    assert_same(tr.compile(fn, backend="python")(x), fn(x), rtol=1e-12, atol=0)


def test_an_index_past_the_end_still_raises_numpys_error():
    with pytest.raises(IndexError):
        tr.compile(_index_past_the_end, backend="python")(np.ones((20, 3)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_appended_rows_of_a_skipped_loop(backend):
    """An RK4 loop appending its states (a list that had a row before the loop): the list
    holds every step's row after it, and np.stack of them is the scan's stacked output."""
    calls = []

    def rhs(s, theta):
        calls.append(1)
        return s * (theta[:2] + theta[2:] * s[::-1])

    def trajectory(theta, state, dt):
        out = [state]
        for _ in range(500):
            k1 = rhs(state, theta)
            k2 = rhs(state + 0.5 * dt * k1, theta)
            state = state + dt * k2
            out.append(state)
        return np.stack(out), len(out)
    args = (np.array([1.0, -0.4, -0.4, 0.1]), np.array([10.0, 5.0]), 0.01)
    f = tr.compile(trajectory, backend=backend)
    got = f(*args)
    assert len(calls) == 2 * fastforward.STEPS
    assert_same(got, trajectory(*args), rtol=1e-12, atol=0)
    ops = tr.compile(trajectory, backend="python").lower(*args).ops()
    assert ops.count("scan") == 1 and ops.count("slice") == 0
