"""(b) Trace time per op: tracing a fresh straight-line function of 1000 elementwise ops.

The function is generated source (no Python loop, so no loop detection kicks in), run on
10-element float64 arrays. `tracer (trace)` times `tr.compile(f).lower(x, y)` on a fresh
function object each call (a new compile cache, nothing reused); `tracer (trace+compile)`
adds `.compile()` with the run's backend (for the C backend, after the first sample the
generated source is found in tracer's on-disk cache: cold compiles are `cold_start`'s job). numpy's row executes the same 1000 ops eagerly,
so the speedup column says how tracing an op compares with simply running it. jax's
`make_jaxpr` is its trace alone; `jax (jit lower+compile)` adds XLA. All in µs per op.
"""
from __future__ import annotations

import linecache
import types

import numpy as np

from ..harness.core import Bench, Case, Group
from .common import mod, tracer_compile

N_OPS = 1000
_STEPS = ("t = t * y", "t = t + x", "t = np.sin(t)", "t = t - y")
_FILENAME = "<benchmarks.trace_time generated>"


def source(n_ops: int = N_OPS) -> str:
    lines = ["def chain(x, y):", "    t = x * y"]
    lines += [f"    {_STEPS[i % len(_STEPS)]}" for i in range(1, n_ops)]
    return "\n".join(lines + ["    return t", ""])


def make_function(namespace) -> types.FunctionType:
    """The 1000-op function with `np` bound to `namespace` (numpy or jax.numpy)."""
    src = source()
    linecache.cache[_FILENAME] = (len(src), None, src.splitlines(True), _FILENAME)
    scope = {"np": namespace}
    exec(compile(src, _FILENAME, "exec"), scope)
    return scope["chain"]


def fresh(fn: types.FunctionType) -> types.FunctionType:
    """A new function object for the same code: no cache keyed on the function can hit."""
    return types.FunctionType(fn.__code__, fn.__globals__, fn.__name__)


def setup():
    rng = np.random.default_rng(0)
    return make_function(np), rng.random(10), rng.random(10)


def numpy_(inp, ctx):
    fn, x, y = inp
    return lambda: fn(x, y)


def tracer_trace(inp, ctx):
    fn, x, y = inp
    return Bench(lambda: tracer_compile(fresh(fn), ctx).lower(x, y),
                 check=lambda: tracer_compile(fresh(fn), ctx)(x, y))


def tracer_compile_(inp, ctx):
    fn, x, y = inp
    return Bench(lambda: tracer_compile(fresh(fn), ctx).lower(x, y).compile(),
                 check=lambda: tracer_compile(fresh(fn), ctx).lower(x, y).compile()(x, y))


def _jax_fn():
    return make_function(mod("jax").numpy)


def jax_trace(inp, ctx):
    jax = mod("jax")
    _, x, y = inp
    fn = _jax_fn()
    return Bench(lambda: jax.make_jaxpr(fresh(fn))(x, y),
                 check=lambda: jax.jit(fresh(fn))(x, y))


def jax_compile(inp, ctx):
    jax = mod("jax")
    _, x, y = inp
    fn = _jax_fn()
    return Bench(lambda: jax.jit(fresh(fn)).lower(x, y).compile(),
                 check=lambda: jax.jit(fresh(fn)).lower(x, y).compile()(x, y))


def cases(ctx):
    return [Case(
        name="trace_time", description=f"{N_OPS} elementwise ops on 10 float64, per op",
        unit="µs/op", to_unit=lambda s: s / N_OPS * 1e6, setup=setup,
        builders={"numpy": numpy_, "tracer (trace)": tracer_trace,
                  "tracer (trace+compile)": tracer_compile_, "jax (make_jaxpr)": jax_trace,
                  "jax (jit lower+compile)": jax_compile},
        rtol=1e-10, repeat=5, min_sample_s=0.2)]


GROUP = Group(name="trace_time", description="trace time per op of a 1000-op function",
              cases=cases)
