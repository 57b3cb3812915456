"""The optimized graphs on the C backend: gemm_acc kernels and the MLP SGD step against
numpy, and against the same graph with the optimizer off."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tracer.backends.c import compile_graph
from tracer.backends.python import compile_graph as compile_reference
from tracer.ir import Graph, Op, make_node, make_param, tensor_type

from ..backends.c.support import needs_cc

pytestmark = needs_cc


@pytest.mark.parametrize("reverse", [False, True], ids=["c-contiguous", "c-strided"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("m,k,n", [(40, 10, 50), (1, 30, 20), (10, 30, 1), (3, 4, 5), (0, 3, 4),
                                   (5, 0, 4), (40, 1, 50), (1, 1, 7)])
def test_gemm_acc_kernel_matches_reference(dtype, m, k, n, reverse, rng):
    c = make_param(tensor_type(dtype, (m, n)), "c")
    alpha = make_param(tensor_type(dtype, ()), "alpha")
    a = make_param(tensor_type(dtype, (k, m)), "a")
    b = make_param(tensor_type(dtype, (k, n)), "b")
    out = make_node(Op.GEMM_ACC, [c, alpha, a, b], {"contract": ((0,), (0,)), "batch": ((), ())})
    g = Graph((c, alpha, a, b), (out,))
    c0 = rng.standard_normal((m, n)).astype(dtype)
    xs = [c0[:, ::-1] if reverse else c0, np.array(-0.1, dtype),
          rng.standard_normal((k, m)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)]
    got, want = compile_graph(g)(xs)[0], compile_reference(g)(xs)[0]
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(want, xs[0] - 0.1 * (xs[2].T @ xs[3]), rtol=tol, atol=tol)


def _loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = np.tanh(h @ w + b)
    w, b = params[-1]
    z = h @ w + b
    m = np.max(z, axis=1, keepdims=True)
    logp = z - (m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)))
    return -np.mean(logp[np.arange(x.shape[0]), y])


def _numpy_step(params, x, y, lr=0.1):
    hs = [x]
    for w, b in params[:-1]:
        hs.append(np.tanh(hs[-1] @ w + b))
    w, b = params[-1]
    z = hs[-1] @ w + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(x.shape[0]), y] -= 1
    d = p / x.shape[0]
    out = []
    for i in range(len(params) - 1, -1, -1):
        out.append((params[i][0] - lr * (hs[i].T @ d), params[i][1] - lr * d.sum(axis=0)))
        if i:
            d = (d @ params[i][0].T) * (1 - hs[i] * hs[i])
    return out[::-1]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch", [1, 7])
def test_mlp_sgd_step_on_c(dtype, batch, rng):
    sizes = (12, 9, 4)
    params = [(rng.standard_normal((a, b)).astype(dtype), rng.standard_normal(b).astype(dtype))
              for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.random((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], batch)
    grad = tr.grad(_loss)

    def step(p, x, y):
        return [(w - 0.1 * gw, b - 0.1 * gb) for (w, b), (gw, gb) in zip(p, grad(p, x, y))]
    fast = tr.compile(step, backend="c")
    assert fast.lower(params, x, y).ops().count("gemm_acc") >= 2
    got = fast(params, x, y)
    tr.config.optimize = False
    try:
        plain = tr.compile(step, backend="c")
        assert "gemm_acc" not in plain.lower(params, x, y).ops()
    finally:
        tr.config.optimize = True
    tol = 2e-5 if dtype == "float32" else 1e-12
    for g, p, n in zip(_leaves(got),
                       _leaves(plain(params, x, y)), _leaves(_numpy_step(params, x, y))):
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_allclose(g, p, rtol=tol, atol=tol)
        np.testing.assert_allclose(g, n, rtol=tol, atol=tol)


def _leaves(tree):
    return [a for pair in tree for a in pair]
