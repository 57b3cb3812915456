"""scipy.special on traced values: scipy's own values, derivatives against finite
differences, and the Python functions (softmax, log_softmax, polygamma) as wrappers."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp

import tracer as tr
from tests.helpers import assert_same

BACKENDS = ["python", "c"]
UNARY = ["gamma", "rgamma", "psi", "erfinv", "erfcinv", "ndtr", "ndtri", "log_ndtr", "i0", "i1",
         "i0e", "i1e", "j0", "j1", "y0", "y1", "entr"]
BINARY = ["beta", "betaln", "rel_entr", "gammainc", "gammaincc", "jv", "yv", "iv", "ive", "kv"]
IN_UNIT = {"erfinv": (-0.9, 0.9), "erfcinv": (0.1, 1.9), "ndtri": (0.05, 0.95)}
EPS = 1e-6


def _points(name, n=7, seed=0):
    lo, hi = IN_UNIT.get(name, (0.3, 2.7))
    return np.random.default_rng(seed).uniform(lo, hi, n)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", UNARY)
def test_unary_values_are_scipys(backend, name):
    f = getattr(sp, name)
    x = np.concatenate([_points(name), [np.nan, 0.0, -1.0, np.inf]])
    with np.errstate(all="ignore"):
        want, want32 = f(x), f(x.astype(np.float32))
    got = tr.compile(lambda a: (f(a), f(a.astype(np.float32))), backend=backend, wait=True)(x)
    assert_same(got, (want, want32), rtol=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", BINARY + ["yn"])
def test_binary_values_are_scipys_with_broadcasting(backend, name):
    f = getattr(sp, name)
    a = np.arange(0, 3)[:, None] if name == "yn" else _points(name, 3, 1)[:, None]
    x = np.concatenate([_points(name), [np.nan, 0.0, np.inf]])
    with np.errstate(all="ignore"):
        want = f(a, x)
    assert_same(tr.compile(f, backend=backend, wait=True)(a, x), want, rtol=0)


@pytest.mark.parametrize("name", UNARY)
def test_unary_derivatives(name):
    f, x = getattr(sp, name), _points(name)
    got = tr.compile(tr.grad(lambda a: f(a).sum()), wait=True)(x)
    np.testing.assert_allclose(got, (f(x + EPS) - f(x - EPS)) / (2 * EPS), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", BINARY + ["yn"])
def test_binary_derivatives_in_x(name):
    f, x = getattr(sp, name), _points(name)
    a = 2 if name == "yn" else 1.5
    got = tr.compile(tr.grad(lambda t: f(a, t).sum()), wait=True)(x)
    np.testing.assert_allclose(got, (f(a, x + EPS) - f(a, x - EPS)) / (2 * EPS), rtol=1e-5,
                               atol=1e-8)


@pytest.mark.parametrize("name", ["beta", "betaln", "rel_entr"])
def test_first_argument_derivatives(name):
    f, a, x = getattr(sp, name), _points(name, seed=2), _points(name)
    got = tr.compile(tr.grad(lambda s: f(s, x).sum()), wait=True)(a)
    np.testing.assert_allclose(got, (f(a + EPS, x) - f(a - EPS, x)) / (2 * EPS), rtol=1e-5)


def test_an_order_has_no_derivative_and_says_so_with_nan():
    x = _points("jv")
    assert np.isnan(tr.compile(tr.grad(lambda v: sp.jv(v, x).sum()), wait=True)(1.5))


def test_second_derivative_through_psi_and_polygamma():
    x = _points("gamma")
    got = tr.compile(tr.grad(lambda t: tr.grad(lambda u: sp.gamma(u).sum())(t).sum()),
                     wait=True)(x)
    d1 = sp.gamma(x) * sp.psi(x)
    np.testing.assert_allclose(got, d1 * sp.psi(x) + sp.gamma(x) * sp.polygamma(1, x), rtol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_softmax_log_softmax_polygamma(backend):
    x = np.random.default_rng(3).standard_normal((3, 5))
    x[0, 0], x[1] = np.inf, -np.inf

    def f(a):
        return (sp.softmax(a, axis=1), sp.log_softmax(a, axis=1), sp.log_softmax(a),
                sp.polygamma(2, np.abs(a) + 0.5), sp.polygamma(np.array([[0], [1], [3]]), a * a))
    with np.errstate(all="ignore"):
        want = f(x)
        got = tr.compile(f, backend=backend, wait=True)(x)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-13, equal_nan=True)


def test_refusals_name_the_function():
    with pytest.raises(TypeError, match=r"scipy\.special\.gamma of complex"):
        tr.compile(sp.gamma)(np.ones(2, complex))
    with pytest.raises(TypeError, match="concrete integer order"):
        tr.compile(lambda n, x: sp.polygamma(n, x))(np.array([1]), np.ones(2))
