"""Donated inputs on the C backend: which outputs take a donated buffer
(vm.schedule.reusable_inputs), that they really do, and that every refusal
(views read later, non-contiguous, read-only, other types, overlapping inputs,
shifted loops) still gives numpy's values."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tracer.backends.c.fusion import fuse
from tracer.vm import executable

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _reuse_small_outputs(monkeypatch):
    """Small arrays here, so that the refusals below are the schedule's, not the size's."""
    monkeypatch.setattr(executable, "MIN_REUSE_BYTES", 0)


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _donating(fn, n=0):
    return tr.compile(fn, backend="c", donate_argnums=n)


def _reuse(compiled, *args) -> dict[int, int]:
    return compiled.lower(*args).executable().reuse


def _sgd_step(params, x, y):
    def loss(p):
        (W, b), = p
        z = x @ W + b
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -np.mean(np.sum(logp * y, axis=1))
    grads = tr.grad(loss)(params)
    return [(W - 0.1 * gW, b - 0.1 * gb) for (W, b), (gW, gb) in zip(params, grads)]


@pytest.mark.parametrize("batch", [1, 10])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sgd_step_reuses_the_donated_parameters(batch, dtype):
    W = RNG.standard_normal((784, 10)).astype(dtype)
    b = RNG.standard_normal(10).astype(dtype)
    x = RNG.standard_normal((batch, 784)).astype(dtype)
    y = np.eye(10, dtype=dtype)[RNG.integers(0, 10, batch)]
    want = tr.compile(_sgd_step, backend="python")([(W, b)], x, y)
    plain = tr.compile(_sgd_step, backend="c")([(W, b)], x, y)
    step = _donating(_sgd_step)
    W2, b2 = W.copy(), b.copy()
    addresses = (_address(W2), _address(b2))
    (W3, b3), = step([(W2, b2)], x, y)
    assert (_address(W3), _address(b3)) == addresses
    np.testing.assert_array_equal(W3, plain[0][0])
    np.testing.assert_array_equal(b3, plain[0][1])
    np.testing.assert_allclose(W3, want[0][0], rtol=1e-5)
    for _ in range(3):                      # the cached fast path keeps reusing
        (W3, b3), = step([(W3, b3)], x, y)
    assert (_address(W3), _address(b3)) == addresses


def test_gemm_acc_in_place_with_blas():
    def f(W, x, d):
        return W - 0.01 * (x.T @ d)
    W = RNG.standard_normal((300, 200))
    x, d = RNG.standard_normal((50, 300)), RNG.standard_normal((50, 200))
    step = _donating(f)
    assert "gemm_acc" in step.lower(W, x, d).ops()
    want = f(W, x, d)
    out = step(W.copy(), x, d)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    W2 = W.copy()
    assert step(W2, x, d) is W2


def test_gemm_acc_reading_its_accumulator_elsewhere_is_not_in_place():
    def f(W):
        return W - 0.01 * (W @ W)
    W = RNG.standard_normal((40, 40))
    step = _donating(f)
    assert _reuse(step, W) == {}
    W2 = W.copy()
    np.testing.assert_allclose(step(W2), f(W), rtol=1e-12)
    np.testing.assert_array_equal(W2, W)


def test_a_later_step_still_reading_the_input_prevents_reuse():
    def f(W, v):
        return W * 2.0, W @ v           # the matmul runs after the loop writing W * 2
    W, v = RNG.standard_normal((30, 30)), RNG.standard_normal(30)
    step = _donating(f)
    assert _reuse(step, W, v) == {}
    W2 = W.copy()
    got = step(W2, v)
    np.testing.assert_allclose(got[0], W * 2.0)
    np.testing.assert_allclose(got[1], W @ v, rtol=1e-12)


def test_an_earlier_reader_allows_reuse():
    def f(W, v):
        s = (W @ v).sum()
        return W * s
    W, v = RNG.standard_normal((30, 30)), RNG.standard_normal(30)
    step = _donating(f)
    assert _reuse(step, W, v) == {0: 0}
    W2 = W.copy()
    out = step(W2, v)
    assert out is W2
    np.testing.assert_allclose(out, f(W, v), rtol=1e-12)


@pytest.mark.parametrize("fn", [lambda W: (W * 2.0, W), lambda W: (W * 2.0, W.T),
                                lambda W: W + W.T])
def test_outputs_or_views_of_the_input_prevent_reuse(fn):
    W = RNG.standard_normal((20, 20))
    step = _donating(fn)
    assert _reuse(step, W) == {}
    W2 = W.copy()
    got = step(W2)
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_allclose(np.asarray(got[0] if isinstance(got, tuple) else got),
                               np.asarray(fn(W)[0] if isinstance(got, tuple) else fn(W)))


def test_ifelse_output_does_not_take_the_buffer():
    def f(W, c):
        return tr.ifelse(c, W * 2.0, W * 3.0)
    W = RNG.standard_normal((8, 8))
    step = _donating(f)
    for c in (True, False):
        W2 = W.copy()
        np.testing.assert_allclose(step(W2, np.bool_(c)), W * (2.0 if c else 3.0))


def test_shifted_loops_are_never_in_place():
    def f(x):
        y = x * 2.0            # the shifted loop reads x itself and y's neighbours
        return x * np.concatenate([y[1:] - y[:-1], y[:1]])
    x = RNG.standard_normal(1000)
    step = _donating(f)
    low = step.lower(x)
    assert any(loop.shifted and low.graph.inputs[0] in loop.leaves
               for loop in fuse(low.graph).values())
    assert _reuse(step, x) == {}
    x2 = x.copy()
    np.testing.assert_array_equal(step(x2), f(x))
    np.testing.assert_array_equal(x2, x)


def _update(W, g):
    return W - 0.5 * g


def test_non_contiguous_read_only_and_overlapping_inputs_are_not_reused():
    step = _donating(_update)
    g = RNG.standard_normal((16, 16))
    big = RNG.standard_normal((16, 32))
    view = big[:, ::2]
    out = step(view, g)
    assert not np.shares_memory(out, big)
    np.testing.assert_allclose(out, _update(big[:, ::2].copy(), g))
    ro = RNG.standard_normal((16, 16))
    ro.setflags(write=False)
    keep = ro.copy()
    out = step(ro, g)
    assert out is not ro
    np.testing.assert_array_equal(ro, keep)
    W = RNG.standard_normal((16, 16))
    keep = W.copy()
    np.testing.assert_allclose(step(W, W), _update(keep, keep))      # the same array twice
    np.testing.assert_array_equal(W, keep)
    for other in (lambda a: a.T, lambda a: np.frombuffer(a).reshape(16, 16),
                  lambda a: np.asarray(memoryview(a))):          # views of the donated array
        W = RNG.standard_normal((16, 16))
        keep = W.copy()
        np.testing.assert_allclose(step(W, other(W)), _update(keep, other(keep)))
        np.testing.assert_array_equal(W, keep)
    base = RNG.standard_normal((2, 16, 16))
    keep = base.copy()
    np.testing.assert_allclose(step(base[0], base[0]), _update(keep[0], keep[0]))
    np.testing.assert_array_equal(base, keep)


def test_other_types_are_not_reused():
    def f(x):
        return x.astype(np.float32) * 2, x.sum(0)
    x = RNG.standard_normal((5, 6))
    step = _donating(f)
    assert _reuse(step, x) == {}
    got = step(x.copy())
    np.testing.assert_allclose(got[0], f(x)[0])
    np.testing.assert_allclose(got[1], f(x)[1])


def test_one_input_is_reused_by_one_output():
    def f(W):
        return W + 1.0, W * 2.0
    W = RNG.standard_normal((6, 6))
    step = _donating(f)
    assert len(_reuse(step, W)) <= 1
    got = step(W.copy())
    np.testing.assert_allclose(got[0], W + 1.0)
    np.testing.assert_allclose(got[1], W * 2.0)
    assert not np.shares_memory(got[0], got[1])


def test_small_outputs_are_allocated_by_default(monkeypatch):
    monkeypatch.setattr(executable, "MIN_REUSE_BYTES", 16384)
    step = _donating(_update)
    small, big = np.ones((8, 8)), np.ones((64, 64))     # 512 and 32768 bytes
    assert step(small, small * 2) is not small
    assert step(big, big * 2) is big


def test_strided_leaves_in_an_in_place_loop():
    def f(W, v, M):
        return np.tanh(W) * v + M.T           # v broadcast, M.T gathered per block
    W, v, M = (RNG.standard_normal((700, 300)), RNG.standard_normal(300),
               RNG.standard_normal((300, 700)))
    step = _donating(f)
    want = tr.compile(f, backend="c")(W, v, M)
    W2 = W.copy()
    out = step(W2, v, M)
    assert out is W2
    np.testing.assert_array_equal(out, want)
    np.testing.assert_allclose(out, f(W, v, M), rtol=1e-10)
