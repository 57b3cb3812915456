"""(a) Per-call overhead: `x*y + x` on 10-element float64 arrays, microseconds per call.

What a compiled function costs beyond its arithmetic: argument checks, dispatch, output
allocation. jax gets its arrays already on the device; torch gets tensors.
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
    torch_from,
    tracer_compile,
)


def f(x, y):
    return x * y + x


def setup():
    rng = np.random.default_rng(0)
    return rng.standard_normal(10), rng.standard_normal(10)


def numpy_(inp, ctx):
    x, y = inp
    return lambda: f(x, y)


def tracer_(inp, ctx):
    x, y = inp
    g = tracer_compile(f, ctx)
    return lambda: g(x, y)


def jax_(inp, ctx):
    return jax_ready(mod("jax").jit(f), *jax_put(*inp))


def torch_(inp, ctx):
    x, y = torch_from(*inp)
    return lambda: f(x, y)


def pytensor_(inp, ctx):
    x, y = pytensor_vars(*inp)
    g = pytensor_function([x, y], f(x, y))
    a, b = inp
    return lambda: g(a, b)


def numba_(inp, ctx):
    g = mod("numba").njit(f)
    x, y = inp
    return lambda: g(x, y)


def cases(ctx):
    return [Case(
        name="overhead", description="`x*y + x`, 10 float64 elements, per call",
        unit="µs", to_unit=lambda s: s * 1e6, setup=setup,
        builders={"numpy": numpy_, "tracer": tracer_, "jax": jax_, "torch": torch_,
                  "pytensor": pytensor_, "numba": numba_},
        rtol=1e-12)]


GROUP = Group(name="overhead", description="per-call overhead of a 2-op function",
              cases=cases)
