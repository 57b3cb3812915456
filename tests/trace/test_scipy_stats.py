"""scipy.stats distributions on traced values against scipy itself (values, NaN for bad
parameters, the support's edges), with derivatives; plain calls still run scipy's code."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

import tracer as tr
from tests.helpers import assert_same

BACKENDS = ["python", "c"]
X = np.concatenate([np.linspace(-3, 3, 7), [np.nan, np.inf, -np.inf, 0.0, 0.3, 1.0]])
CONTINUOUS = {
    "norm": ((0.5, 2.0), ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")),
    "t": ((3.5, 0.2), ("logpdf", "pdf", "cdf", "sf")),
    "gamma": ((2.5, 0.0, 1.5), ("logpdf", "pdf", "cdf", "logcdf", "sf")),
    "beta": ((2.0, 3.0), ("logpdf", "pdf", "cdf")),
}
CASES = [(name, method, args) for name, (args, methods) in CONTINUOUS.items()
         for method in methods]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,method,args", CASES, ids=lambda v: str(v))
def test_continuous_methods_are_scipys(backend, name, method, args):
    fn = getattr(getattr(st, name), method)
    with np.errstate(all="ignore"):
        want = fn(X, *args)
        got = tr.compile(lambda v: fn(v, *args), backend=backend, wait=True)(X)
    assert_same(got, want, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_poisson_frozen_and_invalid_parameters(backend):
    k = np.array([0.0, 1.0, 2.0, 2.5, 7.0, -1.0, np.nan])

    def f(v, mu, s):
        return (st.poisson.logpmf(v, mu), st.poisson.pmf(v, mu), st.poisson.cdf(v, mu),
                st.norm(1.0, s).logpdf(v), st.norm.logpdf(v, 0.0, -s), st.gamma.logpdf(v, -mu))
    with np.errstate(all="ignore"):
        want = f(k, 2.5, 3.0)
        got = tr.compile(f, backend=backend, wait=True)(k, 2.5, 3.0)
    assert_same(got, want, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_multivariate_normal(backend):
    rng = np.random.default_rng(1)
    x, mean, a = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=(3, 3))
    cov = a @ a.T + 3 * np.eye(3)

    def f(x, m, c):
        return (st.multivariate_normal.logpdf(x, m, c), st.multivariate_normal.pdf(x[0], m, c),
                st.multivariate_normal.logpdf(x, m))
    assert_same(tr.compile(f, backend=backend, wait=True)(x, mean, cov), f(x, mean, cov),
                rtol=1e-12)


def test_gradients_of_a_likelihood():
    """A normal likelihood's gradient in loc and scale, and a gamma's in its shape."""
    data = np.random.default_rng(2).normal(0.4, 1.3, 50)

    def nll(mu, s, a):
        return -(st.norm.logpdf(data, mu, s).sum() + st.gamma.logpdf(np.abs(data), a).sum())
    got = tr.compile(tr.grad(nll, argnums=(0, 1, 2)), wait=True)(0.1, 1.1, 1.7)
    eps = 1e-6
    for i, args in enumerate([(0.1, 1.1, 1.7)] * 3):
        up, down = list(args), list(args)
        up[i] += eps
        down[i] -= eps
        assert got[i] == pytest.approx((nll(*up) - nll(*down)) / (2 * eps), rel=1e-6)


def test_plain_calls_still_run_scipy():
    assert st.norm.logpdf(0.0) == pytest.approx(-0.5 * np.log(2 * np.pi))
    assert isinstance(st.poisson.pmf(2, 1.0), float | np.floating)
