"""Reductions with elementwise work around them: softmax, log-sum-exp and layernorm over
the last axis of (4096, 4096), float64 and float32, and sum(exp(x - max(x))) on 1e7.

Every system runs the same stable formulation (the max shift written out, as a user
who knows would write it): tracer's fused reduction programs (backends/c/fuse_reduce.py)
against numpy, jax.jit, torch eager and torch.compile, PyTensor's C backend. GB/s
counts the bytes a single pass must move (inputs read once, output written once), so it
compares directly with this machine's copy bandwidth, measured in the `copy` case (a
preallocated np.copyto: read + write). Outputs are fresh arrays every call.
"""
from __future__ import annotations

import numpy as np

from ..harness.core import Case, Group
from .common import (
    jax_put,
    jax_ready,
    mod,
    pytensor_function,
    pytensor_vars,
    torch_compiled,
    torch_from,
    tracer_compile,
)

ROWS = COLS = 4096
N = 10_000_000
EPS = 1e-5


def softmax(xp, x):
    e = xp.exp(x - xp.max(x, axis=-1, keepdims=True))
    return e / xp.sum(e, axis=-1, keepdims=True)


def logsumexp(xp, x):
    m = xp.max(x, axis=-1, keepdims=True)
    return (xp.log(xp.sum(xp.exp(x - m), axis=-1, keepdims=True)) + m)[..., 0]


def layernorm(xp, x, g, b):
    mu = xp.mean(x, axis=-1, keepdims=True)
    var = xp.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return g * (x - mu) / xp.sqrt(var + EPS) + b


def sum_exp(xp, x):
    return xp.sum(xp.exp(x - xp.max(x)))


def _torch_numpy(torch):
    """The few numpy functions these workloads call, spelled with torch (amax: numpy's max)."""
    def reducer(fn):
        return staticmethod(lambda x, axis=None, keepdims=False:
                            fn(x) if axis is None else fn(x, dim=axis, keepdim=keepdims))
    return type("TorchNumpy", (), {"exp": staticmethod(torch.exp), "log": staticmethod(torch.log),
                                   "sqrt": staticmethod(torch.sqrt), "max": reducer(torch.amax),
                                   "sum": reducer(torch.sum), "mean": reducer(torch.mean)})


def builders(fn):
    def numpy_(inp, ctx):
        return lambda: fn(np, *inp)

    def tracer_(inp, ctx):
        f = tracer_compile(lambda *a: fn(np, *a), ctx)
        config = mod("tracer").config
        saved = getattr(config, "background_compile", None)
        if saved is not None:       # build the C module now, not while being timed
            config.background_compile = False
        try:
            f(*inp)
        finally:
            if saved is not None:
                config.background_compile = saved
        return lambda: f(*inp)

    def jax_(inp, ctx):
        jax = mod("jax")
        return jax_ready(jax.jit(lambda *a: fn(jax.numpy, *a)), *jax_put(*inp))

    def torch_(inp, ctx):
        ns, args = _torch_numpy(mod("torch")), torch_from(*inp)
        return lambda: fn(ns, *args)

    def torch_compile_(inp, ctx):
        ns, args = _torch_numpy(mod("torch")), torch_from(*inp)
        f = torch_compiled(lambda *a: fn(ns, *a))
        return lambda: f(*args)

    def pytensor_(inp, ctx):
        pt = mod("pytensor").tensor
        syms = pytensor_vars(*inp)
        # PyTensor makes float32 + a Python float float64: cast back, as numpy keeps float32
        f = pytensor_function(syms, fn(pt, *syms).astype(str(inp[0].dtype)))
        return lambda: f(*inp)

    return {"numpy": numpy_, "tracer": tracer_, "jax": jax_, "torch": torch_,
            "torch.compile": torch_compile_, "pytensor": pytensor_}


def copy_builders():
    def numpy_copyto(inp, ctx):
        (x,) = inp
        out = np.empty_like(x)

        def call():
            np.copyto(out, x)
            return out
        return call

    def numpy_copy(inp, ctx):
        return lambda: inp[0].copy()
    return {"numpy": numpy_copy, "numpy (copyto, preallocated)": numpy_copyto}


def gbps(nbytes: int):
    return lambda s: nbytes / s / 1e9


def _matrix(dtype: str, n: int, extra: bool):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, n)).astype(dtype)
    if not extra:
        return (x,)
    return x, rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)


def cases(ctx):
    n = 256 if ctx.quick else ROWS
    size = 100_000 if ctx.quick else N
    out = []
    for dt in ("float64", "float32"):
        item = np.dtype(dt).itemsize
        tag = f"{dt[0]}{dt[-2:]}"
        tol = 1e-10 if dt == "float64" else 2e-4
        for name, fn, extra, nbytes in [
                ("softmax", softmax, False, 2 * n * n * item),
                ("logsumexp", logsumexp, False, (n * n + n) * item),
                ("layernorm", layernorm, True, (2 * n * n + 2 * n) * item)]:
            out.append(Case(
                name=f"reductions/{name}-{tag}",
                description=f"{name} over the last axis of ({n}, {n}) {dt}, GB/s of one pass "
                            "(inputs read once, output written once)",
                unit="GB/s", to_unit=gbps(nbytes), higher_is_better=True,
                setup=lambda d=dt, e=extra: _matrix(d, n, e), builders=builders(fn), rtol=tol))
        out.append(Case(
            name=f"reductions/sum_exp-{tag}",
            description=f"np.sum(np.exp(x - x.max())) on {size:.0e} {dt}, GB/s of x read once",
            unit="GB/s", to_unit=gbps(size * item), higher_is_better=True,
            setup=lambda d=dt: (np.random.default_rng(0).standard_normal(size).astype(d),),
            builders=builders(sum_exp), rtol=tol))
        out.append(Case(
            name=f"reductions/copy-{tag}",
            description=f"this machine's copy bandwidth: {size:.0e} {dt} read + written",
            unit="GB/s", to_unit=gbps(2 * size * item), higher_is_better=True,
            setup=lambda d=dt: (np.random.default_rng(0).standard_normal(size).astype(d),),
            builders=copy_builders(), rtol=0))
    return out


GROUP = Group(name="reductions", description="softmax, log-sum-exp, layernorm, sum of exp: "
              "reductions fused with their elementwise work", cases=cases)
