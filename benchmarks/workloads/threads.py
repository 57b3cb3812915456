"""(h) Speedup of 2 threads over 1: a 1e7 elementwise expression and a large reduction.

Each thread count runs in its own child process (thread pools read their size at start).
The table gives each setting; the summary below it gives t(1 thread) / t(2 threads).
"""
from __future__ import annotations

import statistics

import numpy as np

from ..harness.core import Case, Group
from ..harness.report import ratio
from . import elementwise
from .common import (
    jax_put,
    jax_ready,
    mod,
    pytensor_function,
    pytensor_vars,
    torch_from,
    tracer_compile,
)

N_SUM = 30_000_000


def numpy_(inp, ctx):
    (x,) = inp
    return lambda: np.sum(x)


def tracer_(inp, ctx):
    (x,) = inp
    f = tracer_compile(np.sum, ctx)
    return lambda: f(x)


def jax_(inp, ctx):
    return jax_ready(mod("jax").jit(mod("jax").numpy.sum), *jax_put(*inp))


def torch_(inp, ctx):
    (x,) = torch_from(*inp)
    return lambda: mod("torch").sum(x)


def pytensor_(inp, ctx):
    (sym,) = pytensor_vars(*inp)
    f = pytensor_function([sym], mod("pytensor").tensor.sum(sym))
    return lambda: f(*inp)


def numba_(inp, ctx):
    numba = mod("numba")

    @numba.njit(parallel=True)
    def total(x):
        acc = 0.0
        for i in numba.prange(x.size):
            acc += x[i]
        return acc
    (x,) = inp
    return lambda: np.float64(total(x))


def sum_case(n: int) -> Case:
    return Case(name="threads/sum", description=f"`np.sum(x)`, {n:.0e} float64, GB/s read",
                unit="GB/s", to_unit=lambda s: n * 8 / s / 1e9, higher_is_better=True,
                setup=lambda: (np.random.default_rng(1).uniform(-1, 1, n),),
                builders={"numpy": numpy_, "tracer": tracer_, "jax": jax_, "torch": torch_,
                          "pytensor": pytensor_, "numba": numba_},
                rtol=1e-9, threads=(1, 2))


def cases(ctx):
    n_elem = 100_000 if ctx.quick else elementwise.N
    return [elementwise.make_case("threads/elementwise", n_elem, "float64", threads=(1, 2)),
            sum_case(100_000 if ctx.quick else N_SUM)]


def report(rows, ctx) -> str:
    """t(1 thread) / t(2 threads) per case and system."""
    med = {(r["case"], r["system"], r["threads"]): statistics.median(r["samples"])
           for r in rows if r["status"] == "ok"}
    lines = ["Speedup of 2 threads over 1 (t_1 / t_2):", "",
             "| case | system | speedup |", "|---|---|---:|"]
    for (case, system, threads), t1 in med.items():
        t2 = med.get((case, system, 2))
        if threads == 1 and t2:
            lines.append(f"| {case} | {system} | {ratio(t1 / t2)} |")
    return "\n".join(lines)


GROUP = Group(name="threads", description="2 threads over 1 (elementwise 1e7, sum 3e7)",
              cases=cases, report=report)
