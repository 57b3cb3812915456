"""Linear algebra, forward and gradient: solve, cholesky + cho_solve, slogdet, eigh and
svd on one 512x512 and on 1000 batched 8x8 float64 matrices, and a Gaussian-process
negative log marginal likelihood with its hyperparameter gradient at n = 1000; ms.

tracer runs these ops as numpy steps inside the compiled code (backends/c/fallback.py:
numpy's batched gufuncs, LAPACK per matrix inside numpy), so its forward is numpy's
plus the step's overhead; the gradients are its own rules (autodiff/linalg.py) around
those steps. numpy's gradient rows are the closed-form formulas written by hand; jax
is jax.jit of jax.grad. Gradients are taken with respect to a matrix B with
S = B B^T + n I for the symmetric ops, so every system's convention for a symmetric
input's gradient gives the same numbers.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from ..harness.core import Case, Group
from .common import jax_put, jax_ready, mod, tracer_compile, tracer_transform


def _sym(xp, b):
    n = b.shape[-1]
    return b @ xp.swapaxes(b, -1, -2) + n * xp.eye(n)


# -- forward and loss functions, written once over a numpy-like namespace ----------
def f_solve(xp, sp, a, b):
    return xp.linalg.solve(a, b)


def f_cho(xp, sp, b, rhs):
    return sp.cho_solve(sp.cho_factor(_sym(xp, b), lower=True), rhs)


def f_slogdet(xp, sp, a):
    return xp.linalg.slogdet(a)[1]


def f_eigh(xp, sp, b):
    w, v = xp.linalg.eigh(_sym(xp, b))
    return w, v * v


def f_svd(xp, sp, a):
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    return s, u * u


def l_solve(xp, sp, a, b, w):
    return xp.sum(w * xp.linalg.solve(a, b))


def l_cho(xp, sp, b, rhs, w):
    return xp.sum(w * f_cho(xp, sp, b, rhs))


def l_slogdet(xp, sp, a):
    return xp.sum(xp.linalg.slogdet(a)[1])


def l_eigh(xp, sp, b, c):
    return xp.sum(c * xp.linalg.eigvalsh(_sym(xp, b)))


def l_svd(xp, sp, a, c):
    return xp.sum(c * xp.linalg.svd(a, compute_uv=False))


# -- numpy's hand-written gradients ------------------------------------------------------
def _t(x):
    return np.swapaxes(x, -1, -2)


def g_solve(a, b, w):
    x = np.linalg.solve(a, b)
    return -np.linalg.solve(_t(a), w) @ _t(x)


def g_cho(b, rhs, w):
    s = _sym(np, b)
    x, wt = np.linalg.solve(s, rhs), np.linalg.solve(s, w)
    return -(wt @ _t(x) + x @ _t(wt)) @ b


def g_slogdet(a):
    return _t(np.linalg.inv(a))


def g_eigh(b, c):
    w, v = np.linalg.eigh(_sym(np, b))
    return 2 * (v * c[..., None, :]) @ _t(v) @ b


def g_svd(a, c):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * c[..., None, :]) @ vh


# -- the Gaussian process ---------------------------------------------------------------
def gp_nll(xp, sp, p, x, y):
    ell, sf2, sn2 = xp.exp(p[0]), xp.exp(p[1]), xp.exp(p[2])
    d2 = xp.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    k = sf2 * xp.exp(-0.5 * d2 / ell ** 2) + sn2 * xp.eye(x.shape[0])
    low = xp.linalg.cholesky(k)
    alpha = sp.solve_triangular(low, sp.solve_triangular(low, y, lower=True), lower=True,
                                trans="T")
    return 0.5 * y @ alpha + xp.sum(xp.log(xp.diag(low))) + 0.5 * len(y) * xp.log(2 * xp.pi)


def gp_numpy(p, x, y):
    """The value and d/dp = 0.5 tr((K^-1 - a a^T) dK/dp), by hand (R&W eq. 5.9)."""
    ell, sf2, sn2 = np.exp(p)
    d2 = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    e = sf2 * np.exp(-0.5 * d2 / ell ** 2)
    k = e + sn2 * np.eye(len(y))
    c = scipy.linalg.cho_factor(k, lower=True)
    alpha = scipy.linalg.cho_solve(c, y)
    value = 0.5 * y @ alpha + np.sum(np.log(np.diag(c[0]))) + 0.5 * len(y) * np.log(2 * np.pi)
    inner = scipy.linalg.cho_solve(c, np.eye(len(y))) - np.outer(alpha, alpha)
    dks = [e * d2 / ell ** 2, e, sn2 * np.eye(len(y))]
    return value, np.array([0.5 * np.sum(inner * dk) for dk in dks])


# -- builders -----------------------------------------------------------------------------
def _jax_ns():
    jax = mod("jax")
    return jax.numpy, jax.scipy.linalg


def forward_builders(fn):
    def numpy_(inp, ctx):
        return lambda: fn(np, scipy.linalg, *inp)

    def tracer_(inp, ctx):
        f = tracer_compile(lambda *a: fn(np, scipy.linalg, *a), ctx)
        f(*inp)
        return lambda: f(*inp)

    def jax_(inp, ctx):
        jax = mod("jax")
        jnp, jsp = _jax_ns()
        return jax_ready(jax.jit(lambda *a: fn(jnp, jsp, *a)), *jax_put(*inp))
    return {"numpy": numpy_, "tracer": tracer_, "jax": jax_}


def grad_builders(loss, by_hand):
    def numpy_(inp, ctx):
        return lambda: by_hand(*inp)

    def tracer_(inp, ctx):
        grad = tracer_transform("grad")
        f = tracer_compile(grad(lambda *a: loss(np, scipy.linalg, *a)), ctx)
        f(*inp)
        return lambda: f(*inp)

    def jax_(inp, ctx):
        jax = mod("jax")
        jnp, jsp = _jax_ns()
        return jax_ready(jax.jit(jax.grad(lambda *a: loss(jnp, jsp, *a))), *jax_put(*inp))
    return {"numpy (by hand)": numpy_, "tracer": tracer_, "jax": jax_}


def gp_builders():
    def numpy_(inp, ctx):
        return lambda: gp_numpy(*inp)

    def tracer_(inp, ctx):
        vg = tracer_transform("value_and_grad")
        f = tracer_compile(vg(lambda *a: gp_nll(np, scipy.linalg, *a)), ctx)
        f(*inp)
        return lambda: f(*inp)

    def jax_(inp, ctx):
        jax = mod("jax")
        jnp, jsp = _jax_ns()
        f = jax.jit(jax.value_and_grad(lambda *a: gp_nll(jnp, jsp, *a)))
        return jax_ready(f, *jax_put(*inp))
    return {"numpy": numpy_, "tracer": tracer_, "jax": jax_}


def _rename_reference(builders):
    """The harness checks against the row named numpy: the hand-written gradient."""
    return {("numpy" if k.startswith("numpy") else k): v for k, v in builders.items()}


def _inputs(batch, n, kinds):
    rng = np.random.default_rng(0)
    shape = batch + (n, n)
    made = []
    for kind in kinds:
        if kind == "a":
            made.append(rng.standard_normal(shape) + 2 * np.sqrt(n) * np.eye(n))
        elif kind == "b":
            made.append(rng.standard_normal(shape) / np.sqrt(n))
        elif kind == "rhs":
            made.append(rng.standard_normal(batch + (n, 1)))
        else:
            made.append(rng.standard_normal(batch + (n,)))
    return tuple(made)


_OPS = [   # name, forward, its inputs, loss, numpy's gradient, the loss's inputs
    ("solve", f_solve, ("a", "rhs"), l_solve, g_solve, ("a", "rhs", "rhs")),
    ("cholesky+cho_solve", f_cho, ("b", "rhs"), l_cho, g_cho, ("b", "rhs", "rhs")),
    ("slogdet", f_slogdet, ("a",), l_slogdet, g_slogdet, ("a",)),
    ("eigh", f_eigh, ("b",), l_eigh, g_eigh, ("b", "vec")),
    ("svd", f_svd, ("a",), l_svd, g_svd, ("a", "vec")),
]


def cases(ctx):
    sizes = [((), 64 if ctx.quick else 512), ((100 if ctx.quick else 1000,), 8)]
    out = []
    for name, fwd, fin, loss, by_hand, lin in _OPS:
        for batch, n in sizes:
            tag = f"{n}" if not batch else f"{batch[0]}x{n}"
            out.append(Case(
                name=f"linalg/{name}-{tag}", unit="ms", to_unit=lambda s: s * 1e3,
                description=f"{name} of {'one' if not batch else batch[0]} {n}x{n} float64",
                setup=lambda b=batch, k=n, f=fin: _inputs(b, k, f), builders=forward_builders(fwd),
                rtol=1e-6))
            out.append(Case(
                name=f"linalg/{name}-grad-{tag}", unit="ms", to_unit=lambda s: s * 1e3,
                description=f"gradient of a scalar of {name}, {tag}",
                setup=lambda b=batch, k=n, f=lin: _inputs(b, k, f),
                builders=_rename_reference(grad_builders(loss, by_hand)), rtol=1e-5))
    n = 200 if ctx.quick else 1000

    def gp_setup():
        rng = np.random.default_rng(0)
        x = rng.uniform(-3, 3, size=(n, 3))
        return np.log(np.array([1.0, 1.5, 0.1])), x, np.sin(x).sum(1) + 0.1 * rng.normal(size=n)
    out.append(Case(name=f"linalg/gp-nll-grad-{n}", unit="ms", to_unit=lambda s: s * 1e3,
                    description=f"Gaussian-process negative log likelihood and its "
                                f"hyperparameter gradient, n = {n}",
                    setup=gp_setup, builders=gp_builders(), rtol=1e-6))
    return out


GROUP = Group(name="linalg", description="solve, cholesky, slogdet, eigh, svd forward and "
              "gradient; a Gaussian-process likelihood's gradient", cases=cases)
