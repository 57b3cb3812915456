"""A user program: a Gaussian-process negative log marginal likelihood written as plain
numpy/scipy (kernel matrix, Cholesky, triangular solves or a solve, log-determinant),
compiled, and its gradient with respect to the kernel's hyperparameters, against
numpy and central differences on both backends."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import scipy.linalg

import tracer as tr

from ..autodiff.numeric import numeric_grad

BACKENDS = ["python", pytest.param("c", marks=pytest.mark.skipif(
    shutil.which("cc") is None, reason="no C compiler (cc)"))]


def kernel(log_params, x):
    ell, sf2, sn2 = np.exp(log_params[0]), np.exp(log_params[1]), np.exp(log_params[2])
    d2 = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    return sf2 * np.exp(-0.5 * d2 / ell ** 2) + sn2 * np.eye(x.shape[0])


def nll_cholesky(log_params, x, y):
    """Rasmussen & Williams, Algorithm 2.1."""
    n = x.shape[0]
    lower = np.linalg.cholesky(kernel(log_params, x))
    z = scipy.linalg.solve_triangular(lower, y, lower=True)
    alpha = scipy.linalg.solve_triangular(lower, z, lower=True, trans="T")
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(lower))) + 0.5 * n * np.log(2 * np.pi)


def nll_cho_solve(log_params, x, y):
    k = kernel(log_params, x)
    alpha = scipy.linalg.cho_solve(scipy.linalg.cho_factor(k, lower=True), y)
    return 0.5 * y @ alpha + 0.5 * np.linalg.slogdet(k)[1] + 0.5 * len(y) * np.log(2 * np.pi)


def nll_solve(log_params, x, y):
    k = kernel(log_params, x)
    sign, logdet = np.linalg.slogdet(k)
    return 0.5 * y @ np.linalg.solve(k, y) + 0.5 * logdet + 0.5 * len(y) * np.log(2 * np.pi)


@pytest.fixture
def data(rng):
    x = rng.uniform(-2, 2, size=(40, 2))
    y = np.sin(x[:, 0]) * np.cos(x[:, 1]) + 0.1 * rng.normal(size=40)
    return np.log(np.array([0.8, 1.3, 0.05])), x, y


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("nll", [nll_cholesky, nll_cho_solve, nll_solve], ids=lambda f: f.__name__)
def test_gp_likelihood_and_hyperparameter_gradient(nll, backend, data):
    p, x, y = data
    want = nll(p, x, y)
    value, grad = tr.compile(tr.value_and_grad(nll), backend=backend)(p, x, y)
    np.testing.assert_allclose(value, want, rtol=1e-11)
    np.testing.assert_allclose(grad, numeric_grad(nll, (p, x, y), 0), rtol=1e-6, atol=1e-7)
    assert np.all(np.isfinite(grad)) and np.abs(grad).max() > 1e-3


def test_the_three_forms_agree_and_the_hessian_matches_differences(data):
    p, x, y = data
    grads = [tr.grad(f)(p, x, y) for f in (nll_cholesky, nll_cho_solve, nll_solve)]
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9)
    np.testing.assert_allclose(grads[0], grads[2], rtol=1e-9)
    hess = tr.hessian(nll_cholesky)(p, x, y)
    g = tr.grad(nll_cholesky)
    eps = 1e-5
    numeric = np.stack([(g(p + eps * e, x, y) - g(p - eps * e, x, y)) / (2 * eps)
                        for e in np.eye(3)])
    np.testing.assert_allclose(hess, numeric, rtol=1e-5, atol=1e-6)
