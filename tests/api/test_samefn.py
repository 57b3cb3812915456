"""Transforms of functions made afresh on every call reuse one trace (api/samefn.py)."""
from __future__ import annotations

import numpy as np

import tracer as tr
from tracer.api import samefn


def _counting():
    traced = []

    def f(z):
        traced.append(1)              # runs when f is traced, not when its code runs
        return (z ** 2 * z).sum()
    return f, traced


def test_a_fresh_lambda_each_call_is_traced_once(rng):
    f, traced = _counting()
    x, p = rng.standard_normal(5), rng.standard_normal(5)
    hessp = lambda x, p: tr.hvp(lambda z: f(z), (x,), (p,))[0]   # noqa: E731 (the use case)
    first = hessp(x, p)
    for _ in range(3):
        np.testing.assert_array_equal(hessp(x, p), first)
    assert len(traced) == 1
    np.testing.assert_allclose(first, 6 * x * p, rtol=1e-12)


def test_a_fresh_grad_each_call_is_traced_once(rng):
    f, traced = _counting()
    x = rng.standard_normal(4)
    for _ in range(3):
        np.testing.assert_allclose(tr.grad(f)(x), 3 * x ** 2, rtol=1e-12)
        tr.value_and_grad(f)(x)
    assert len(traced) == 2                     # one grad, one value_and_grad


def test_other_closed_over_values_are_other_functions(rng):
    f, traced = _counting()
    x, p = rng.standard_normal(3), rng.standard_normal(3)

    def scaled(a):
        return lambda z: a * f(z)
    two, three = np.float64(2.0), np.float64(3.0)
    np.testing.assert_allclose(tr.hvp(scaled(two), (x,), (p,))[0], 12 * x * p, rtol=1e-12)
    np.testing.assert_allclose(tr.hvp(scaled(three), (x,), (p,))[0], 18 * x * p, rtol=1e-12)
    np.testing.assert_allclose(tr.hvp(scaled(two), (x,), (p,))[0], 12 * x * p, rtol=1e-12)
    assert len(traced) == 2


def test_bound_methods_of_one_instance_share(rng):
    class Model:
        def __init__(self, w):
            self.w = w
            self.traced = 0

        def loss(self, x):
            self.traced += 1
            return ((x * self.w) ** 2).sum()
    m, other = Model(2.0), Model(3.0)
    x = rng.standard_normal(3)
    for _ in range(3):
        np.testing.assert_allclose(tr.grad(m.loss)(x), 8 * x, rtol=1e-12)
    np.testing.assert_allclose(tr.grad(other.loss)(x), 18 * x, rtol=1e-12)
    assert (m.traced, other.traced) == (1, 1)


def test_identity_keys():
    def make(a):
        return lambda z: z * a
    a, b = object(), object()
    assert samefn.identity(make(a))[0] == samefn.identity(make(a))[0]
    assert samefn.identity(make(a))[0] != samefn.identity(make(b))[0]
    assert samefn.identity(lambda z: z)[0] != samefn.identity(lambda z: z)[0]   # other code
    assert samefn.identity(np.sin) is None and samefn.identity(object()) is None
