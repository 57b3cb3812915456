"""np.sinc, np.polyval, np.convolve and np.correlate against numpy, with derivatives."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tests.helpers import assert_same

BACKENDS = ["python", "c"]
MODES = ["full", "same", "valid"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn", [np.correlate, np.convolve], ids=lambda f: f.__name__)
def test_every_length_pair_and_mode(backend, fn):
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 8):
        for m in (1, 3, 4, 9):
            a, v = rng.standard_normal(n), rng.standard_normal(m)
            for mode in MODES:
                got = tr.compile(lambda x, y, md=mode: fn(x, y, md), backend=backend,
                                 wait=True)(a, v)
                assert_same(got, fn(a, v, mode), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_and_complex_sequences(backend):
    rng = np.random.default_rng(1)
    ia, iv = np.arange(-3, 7), np.array([2, -1, 3])
    ca = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    cv = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    for mode in MODES:
        f = tr.compile(lambda a, b, md=mode: (np.convolve(a, b, md), np.correlate(a, b, md)),
                       backend=backend, wait=True)
        assert_same(f(ia, iv), (np.convolve(ia, iv, mode), np.correlate(ia, iv, mode)), rtol=0)
        for a, b in ((ca, cv), (cv, ca)):     # complex: sums in another order
            for got, want in zip(f(a, b), (np.convolve(a, b, mode), np.correlate(a, b, mode))):
                assert got.dtype == want.dtype and got.shape == want.shape
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sinc_and_polyval(backend):
    x = np.concatenate([np.linspace(-3, 3, 13), [0.0, -0.0, np.nan, np.inf, 1e-300]])
    p = np.array([0.5, -2.0, 0.0, 3.0, 1.25])
    f = tr.compile(lambda a, c: (np.sinc(a), np.polyval(c, a)), backend=backend, wait=True)
    with np.errstate(all="ignore"):
        want = (np.sinc(x), np.polyval(p, x))
    got = f(x, p)
    assert_same(got[0], want[0], rtol=1e-15)
    assert_same(got[1], want[1], rtol=0)
    ints = tr.compile(lambda a, c: (np.sinc(a), np.polyval(c, a)), backend=backend,
                      wait=True)(np.arange(-3, 4), np.arange(4))
    assert_same(ints, (np.sinc(np.arange(-3, 4)), np.polyval(np.arange(4), np.arange(-3, 4))),
                rtol=1e-15)


def test_errors():
    with pytest.raises(ValueError, match="v cannot be empty"):
        tr.compile(np.convolve)(np.ones(3), np.ones(0))
    with pytest.raises(ValueError, match="mode"):
        tr.compile(lambda a, b: np.correlate(a, b, "middle"))(np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match="0-d"):
        tr.compile(np.polyval)(np.float64(2.0), np.ones(3))


def test_derivatives_against_finite_differences():
    rng = np.random.default_rng(2)
    a, v, x, p = rng.standard_normal(7), rng.standard_normal(3), rng.standard_normal(5), \
        rng.standard_normal(4)

    def loss(a, v, x, p):
        return ((np.convolve(a, v, "same") ** 2).sum() + np.correlate(v, a, "full") @
                np.arange(9.0) + (np.sinc(x) * np.polyval(p, x)).sum())
    args = (a, v, x, p)
    grads = tr.compile(tr.grad(loss, argnums=(0, 1, 2, 3)), wait=True)(*args)
    eps = 1e-6
    for k, arg in enumerate(args):
        for i in range(arg.size):
            e = np.zeros_like(arg)
            e[i] = eps
            up = loss(*[b + e if j == k else b for j, b in enumerate(args)])
            down = loss(*[b - e if j == k else b for j, b in enumerate(args)])
            assert grads[k][i] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-7)


def test_a_long_signal_stays_linear_in_memory():
    """One pass per shift of the short kernel: 10^6 samples, 31 taps, no (L, m) matrix."""
    a, v = np.random.default_rng(3).standard_normal(10**6), np.hanning(31)
    got = tr.compile(lambda s, w: np.convolve(s, w, "same"), wait=True)(a, v)
    np.testing.assert_allclose(got, np.convolve(a, v, "same"), rtol=1e-9, atol=1e-12)


GRADIENT_CASES = {
    "default": lambda a: np.gradient(a),
    "scalar spacing": lambda a: np.gradient(a, 0.3),
    "axis, edge 2": lambda a: np.gradient(a, axis=1, edge_order=2),
    "coordinates": lambda a: np.gradient(a, np.arange(5) * 0.5, np.cumsum(np.arange(1.0, 7))),
    "coordinates, edge 2": lambda a: np.gradient(a, np.arange(5) * 0.5,
                                                 np.cumsum(np.arange(1.0, 7)), edge_order=2),
    "float32": lambda a: np.gradient(a.astype(np.float32), 2.0),
    "int": lambda a: np.gradient((a * 10).astype(np.int64)),
    "1-d": lambda a: np.gradient(a[0], np.array([0.0, 0.1, 0.5, 0.6, 2.0, 2.5])),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", list(GRADIENT_CASES))
def test_gradient_is_numpys_bit_for_bit(backend, case):
    fn = GRADIENT_CASES[case]
    f = np.random.default_rng(4).standard_normal((5, 6))
    assert_same(tr.compile(fn, backend=backend, wait=True)(f), fn(f), rtol=0)


def test_gradient_errors_and_derivative():
    with pytest.raises(ValueError, match="too small"):
        tr.compile(lambda a: np.gradient(a, edge_order=2))(np.ones(2))
    with pytest.raises(TypeError, match="concrete"):
        tr.compile(lambda a, x: np.gradient(a, x))(np.ones(4), np.arange(4.0))
    w = np.random.default_rng(5).standard_normal(6)
    got = tr.compile(tr.grad(lambda a: np.gradient(a, 0.5) @ w), wait=True)(np.ones(6))
    # the gradient operator is linear: its transpose applied to w
    eye = np.eye(6)
    assert_same(got, np.array([np.gradient(e, 0.5) @ w for e in eye]), rtol=1e-12)
