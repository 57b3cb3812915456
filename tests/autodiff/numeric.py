"""Independent references for derivative tests: central differences in plain numpy."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import tracer as tr


def numeric_grad(f: Callable[..., Any], args: Sequence[Any], argnum: int,
                 eps: float = 1e-6) -> np.ndarray:
    """d f / d args[argnum] by central differences, one coordinate at a time (f is numpy)."""
    x = np.array(args[argnum], dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(x.size):
        hi, lo = x.copy(), x.copy()
        hi.flat[i] += eps
        lo.flat[i] -= eps
        up = f(*[hi if k == argnum else a for k, a in enumerate(args)])
        down = f(*[lo if k == argnum else a for k, a in enumerate(args)])
        grad.flat[i] = (float(up) - float(down)) / (2 * eps)
    return grad


def float_argnums(args: Sequence[Any]) -> tuple[int, ...]:
    return tuple(i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f")


def check_derivatives(f: Callable[..., Any], *args: Any, rtol: float = 1e-6,
                      atol: float = 1e-7, seed: int = 0) -> None:
    """tr.grad against central differences, and tr.vjp as the transpose of tr.jvp.

    f maps arrays to an array; it is scalarized with fixed random weights.
    Integer arguments (indices) are passed through undifferentiated.
    """
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        out = np.asarray(f(*args))
    w = rng.normal(size=out.shape)

    def loss(*a):
        return np.sum(w * f(*a))

    nums = float_argnums(args)
    grads = tr.grad(loss, argnums=nums)(*args)
    for n, g in zip(nums, grads):
        assert g.shape == np.shape(args[n]) and g.dtype == np.asarray(args[n]).dtype
        np.testing.assert_allclose(g, numeric_grad(loss, args, n), rtol=rtol, atol=atol)

    tangents = [rng.normal(size=np.shape(a)) if i in nums else np.zeros_like(a)
                for i, a in enumerate(args)]
    value, jv = tr.jvp(f, args, tangents)
    np.testing.assert_allclose(value, out, rtol=1e-12, atol=1e-12)
    u = rng.normal(size=out.shape)
    _, vjp_fn = tr.vjp(f, *args)
    cts = vjp_fn(u)
    lhs = float(np.sum(u * jv))
    rhs = sum(float(np.sum(cts[i] * tangents[i])) for i in nums)
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs), abs(rhs))


def check_hvp(f: Callable[..., Any], *args: Any, seed: int = 0, rtol: float = 1e-5,
              atol: float = 1e-6) -> None:
    """tr.hvp (forward-over-reverse) against central differences of tr.grad."""
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        w = rng.normal(size=np.shape(f(*args)))

    def loss(*a):
        return np.sum(w * f(*a))

    nums = float_argnums(args)
    tangents = [rng.normal(size=np.shape(a)) if i in nums else np.zeros_like(a)
                for i, a in enumerate(args)]
    hv = tr.hvp(loss, tuple(args), tuple(tangents))
    grad = tr.grad(loss, argnums=nums)
    eps = 1e-5
    up = grad(*[a + eps * t if i in nums else a for i, (a, t) in enumerate(zip(args, tangents))])
    down = grad(*[a - eps * t if i in nums else a for i, (a, t) in enumerate(zip(args, tangents))])
    for k, n in enumerate(nums):
        np.testing.assert_allclose(hv[n], (up[k] - down[k]) / (2 * eps), rtol=rtol, atol=atol)
