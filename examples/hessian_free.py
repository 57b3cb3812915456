"""Hessian-free training of a small network (Martens 2010), the R-operator's motivating use.

A 2-32-32-1 tanh network fits a 2-d function from 512 synthetic samples. Each
step solves (G + lambda I) d = -g by truncated conjugate gradient, where G is
the Gauss-Newton matrix, never formed: G v = J^T (H_out (J v)), with J v from
tr.jvp (the R-operator) and J^T u from tr.vjp (the L-operator), one compiled
function. lambda follows Levenberg-Marquardt's rule on the reduction ratio.

    python examples/hessian_free.py
    TRACER_EXAMPLE_STEPS=10 python examples/hessian_free.py
"""
from __future__ import annotations

import os
import time

import numpy as np

import tracer as tr

SIZES = [(2, 32), (32, 32), (32, 1)]


def unpack(theta):
    """The flat parameter vector as [(W, b), ...]; slicing works on traced values too."""
    layers, start = [], 0
    for fan_in, fan_out in SIZES:
        w = theta[start:start + fan_in * fan_out].reshape(fan_in, fan_out)
        start += fan_in * fan_out
        layers.append((w, theta[start:start + fan_out]))
        start += fan_out
    return layers


def net(theta, x):
    h = x
    for i, (w, b) in enumerate(unpack(theta)):
        h = h @ w + b
        if i < len(SIZES) - 1:
            h = np.tanh(h)
    return h


def loss(theta, x, y):
    return np.mean((net(theta, x) - y) ** 2)


def gauss_newton_product(theta, v, x, y):
    """G v for the mean squared error: J^T (2 / N) J v."""
    _, jv = tr.jvp(lambda t: net(t, x), (theta,), (v,))
    _, vjp_fn = tr.vjp(lambda t: net(t, x), theta)
    (gv,) = vjp_fn(jv * (2.0 / jv.size))
    return gv


def conjugate_gradient(apply, b, iters: int, tol: float = 1e-10):
    """Truncated CG for apply(d) = b, from d = 0."""
    d = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = r @ r
    for _ in range(iters):
        ap = apply(p)
        alpha = rr / (p @ ap)
        d += alpha * p
        r -= alpha * ap
        rr_new = r @ r
        if rr_new < tol:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return d


def make_data(n: int = 512, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    y = (np.sin(3 * x[:, :1]) * np.cos(2 * x[:, 1:]) + 0.5 * x[:, :1] * x[:, 1:])
    return x, y


def init(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = []
    for fan_in, fan_out in SIZES:
        parts += [rng.normal(size=fan_in * fan_out) / np.sqrt(fan_in), np.zeros(fan_out)]
    return np.concatenate(parts)


def train(steps: int = 40, cg_iters: int = 50, verbose: bool = True) -> list[float]:
    x, y = make_data()
    theta = init()
    value_and_grad = tr.compile(tr.value_and_grad(loss))
    gnvp = tr.compile(gauss_newton_product)
    f = tr.compile(loss)
    damping = 1.0
    value, g = value_and_grad(theta, x, y)
    history = [float(value)]
    if verbose:
        print(f"step  0  loss {value:.6f}")
    for step in range(1, steps + 1):
        d = conjugate_gradient(lambda v, t=theta, lam=damping: gnvp(t, v, x, y) + lam * v,
                               -g, cg_iters)
        predicted = g @ d + 0.5 * d @ gnvp(theta, d, x, y)
        new_value = float(f(theta + d, x, y))
        rho = (new_value - value) / predicted if predicted < 0 else -1.0
        damping *= 2 / 3 if rho > 0.75 else (1.5 if rho < 0.25 else 1.0)
        if new_value < value:
            theta = theta + d
            value, g = value_and_grad(theta, x, y)
        history.append(float(value))
        if verbose:
            print(f"step {step:2d}  loss {value:.6f}  damping {damping:.3g}  rho {rho:.2f}")
    return history


if __name__ == "__main__":
    start = time.perf_counter()
    losses = train(int(os.environ.get("TRACER_EXAMPLE_STEPS", 40)))
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.6f} in {time.perf_counter() - start:.1f} s")
