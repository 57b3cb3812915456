"""(c) A fused elementwise expression on 1e7 elements, float64 and float32, GB/s.

`a*b + c*tanh(d) - exp(-a*a) + sqrt(abs(b))`: four inputs read, one output written; GB/s
counts those bytes only (temporaries are the system's business). Outputs are fresh arrays
every call (not preallocated), as a user's call would get. numba runs a parallel prange
loop; jax and torch get their arrays converted once, before timing.
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

N = 10_000_000


def expr(xp, a, b, c, d):
    return a * b + c * xp.tanh(d) - xp.exp(-a * a) + xp.sqrt(xp.abs(b))


def inputs(n: int, dtype: str) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    return tuple(rng.uniform(-1, 1, n).astype(dtype) for _ in range(4))


def numpy_(inp, ctx):
    return lambda: expr(np, *inp)


def tracer_(inp, ctx):
    f = tracer_compile(lambda a, b, c, d: expr(np, a, b, c, d), ctx)
    return lambda: f(*inp)


def jax_(inp, ctx):
    jnp = mod("jax").numpy
    return jax_ready(mod("jax").jit(lambda a, b, c, d: expr(jnp, a, b, c, d)), *jax_put(*inp))


def torch_(inp, ctx):
    torch = mod("torch")
    args = torch_from(*inp)
    return lambda: expr(torch, *args)


def torch_compile_(inp, ctx):
    torch = mod("torch")
    f = torch_compiled(lambda a, b, c, d: expr(torch, a, b, c, d))
    args = torch_from(*inp)
    return lambda: f(*args)


def pytensor_(inp, ctx):
    pt = mod("pytensor").tensor
    syms = pytensor_vars(*inp)
    f = pytensor_function(syms, expr(pt, *syms))
    return lambda: f(*inp)


def _numba_kernel():
    numba = mod("numba")

    @numba.njit(parallel=True)
    def kernel(a, b, c, d):
        out = np.empty_like(a)
        for i in numba.prange(a.size):
            out[i] = a[i] * b[i] + c[i] * np.tanh(d[i]) - np.exp(-a[i] * a[i]) \
                + np.sqrt(np.abs(b[i]))
        return out
    return kernel


def numba_(inp, ctx):
    kernel = _numba_kernel()
    return lambda: kernel(*inp)


BUILDERS = {"numpy": numpy_, "tracer": tracer_, "jax": jax_, "torch": torch_,
            "torch.compile": torch_compile_, "pytensor": pytensor_, "numba": numba_}


def gbps(n: int, dtype: str):
    nbytes = 5 * n * np.dtype(dtype).itemsize
    return lambda s: nbytes / s / 1e9


def make_case(name: str, n: int, dtype: str, **options) -> Case:
    return Case(name=name, description=f"`a*b + c*tanh(d) - exp(-a*a) + sqrt(abs(b))`, "
                f"{n:.0e} {dtype}, GB/s of inputs+output",
                unit="GB/s", to_unit=gbps(n, dtype), higher_is_better=True,
                setup=lambda: inputs(n, dtype), builders=dict(BUILDERS),
                rtol=1e-10 if dtype == "float64" else 2e-5, **options)


def cases(ctx):
    n = 100_000 if ctx.quick else N
    return [make_case(f"elementwise/{dt[0]}{dt[-2:]}", n, dt) for dt in ("float64", "float32")]


GROUP = Group(name="elementwise", description="fused elementwise expression, 1e7 elements",
              cases=cases)
