"""Fit an ODE's parameters: a Python RK4 loop, its gradient by tracer, scipy's L-BFGS-B.

The Lotka-Volterra predator-prey model dx/dt = a x - b x y, dy/dt = c x y - d y is
integrated by a plain Python loop of classical Runge-Kutta steps. The loss compares the
trajectory with noisy observations at every step. tracer turns the loop into one Scan
node (the compiled graph is the same size for 100 steps or 10,000; tracing still runs the
Python loop once, so the first call grows with the steps: README, "Loops"), and tr.value_and_grad
differentiates through it by backpropagation through time. scipy.optimize.minimize then
recovers the parameters from a poor initial guess.

    python examples/ode_fit.py                  # 1,000 steps
    TRACER_EXAMPLE_STEPS=200 python examples/ode_fit.py
"""
from __future__ import annotations

import os
import time

import numpy as np
from scipy.optimize import minimize

import tracer as tr

TRUE = np.array([1.0, 0.4, 0.1, 0.4])      # a, b, c, d


def trajectory(theta, state, dt, steps):
    """The states after each of `steps` RK4 steps, as an array (steps, 2)."""
    a, b, c, d = theta
    growth, coupling = np.array([a, -d]), np.array([-b, c])

    def rhs(s):
        return s * (growth + coupling * s[::-1])     # (a x - b x y, c x y - d y)
    out = []
    for _ in range(steps):
        k1 = rhs(state)
        k2 = rhs(state + 0.5 * dt * k1)
        k3 = rhs(state + 0.5 * dt * k2)
        k4 = rhs(state + dt * k3)
        state = state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(state)
    return np.stack(out)


def make_loss(steps: int, dt: float):
    def loss(log_theta, state0, observed):
        path = trajectory(np.exp(log_theta), state0, dt, steps)
        return np.mean((np.log(path) - np.log(observed)) ** 2)
    return loss


def fit(steps: int = 1000, t_end: float = 15.0, seed: int = 0, verbose: bool = True) -> dict:
    dt = t_end / steps
    state0 = np.array([10.0, 5.0])
    rng = np.random.default_rng(seed)
    observed = trajectory(TRUE, state0, dt, steps) * np.exp(0.05 * rng.standard_normal((steps, 2)))
    value_and_grad = tr.compile(tr.value_and_grad(make_loss(steps, dt)), wait=True)
    guess = np.log(np.array([0.7, 0.3, 0.15, 0.3]))
    start = time.perf_counter()
    value_and_grad(guess, state0, observed)
    first = time.perf_counter() - start
    start = time.perf_counter()
    res = minimize(value_and_grad, guess, args=(state0, observed), jac=True, method="L-BFGS-B")
    took = time.perf_counter() - start
    theta = np.exp(res.x)
    if verbose:
        print(f"{steps} RK4 steps; first call (trace, differentiate, compile) {first:.2f} s")
        print(f"L-BFGS-B: {res.nit} iterations, {res.nfev} evaluations in {took:.2f} s, "
              f"loss {res.fun:.5f}")
        print("true parameters     ", TRUE)
        print("recovered parameters", np.round(theta, 4))
        print("graph ops:", value_and_grad.lower(guess, state0, observed).ops().count("scan"),
              "scan nodes")
    return {"theta": theta, "result": res, "first_call_s": first}


if __name__ == "__main__":
    fit(int(os.environ.get("TRACER_EXAMPLE_STEPS", "1000")))
