"""(f) The 2012 Theano paper's benchmark, redone: SGD training steps of MLPs.

One step = forward + gradient + update (tanh hidden layers, softmax + NLL), for the MLPs
784-10, 784-500-10 and 784-1000-1000-1000-10 at batch sizes 1, 10 and 60, float64 and
float32, with 1 and 2 threads (each thread count in its own child process). Training
examples per second. numpy is hand-written backprop with in-place updates; PyTensor keeps
its parameters in shared variables updated by the compiled function (Theano's way); torch
updates leaf tensors in place; tracer and jax return new parameters, donating the old
ones (donate_argnums=0), so each may write the update into the old parameters' memory.

Each system's first step is checked against numpy's: (params before - params after) / lr,
i.e. the gradient it applied. The report adds a wide table and benchmarks/mlp_sgd.png.
"""
from __future__ import annotations

import os
import statistics
from typing import Any

import numpy as np

from ..harness.check import leaves
from ..harness.core import Bench, Case, Group
from ..harness.report import fmt, ratio
from . import mlp
from .common import jax_put, mod, pytensor_function, pytensor_vars, tracer_compile, tracer_transform
from .mlp_grad import flatten, pairs

ARCHS = ((784, 10), (784, 500, 10), (784, 1000, 1000, 1000, 10))
BATCHES = (1, 10, 60)
DTYPES = ("float64", "float32")
PLOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mlp_sgd.png")


def sgd_bench(step, current) -> Bench:
    """Time `step()`; check the update of the first step against numpy's."""
    def check():
        before = [a.astype(np.float64) for a in leaves(current())]
        step()
        after = [a.astype(np.float64) for a in leaves(current())]
        return [(b - a) / mlp.LR for b, a in zip(before, after)]
    return Bench(fn=step, check=check)


def numpy_(inp, ctx):
    params, x, y = inp
    params = [(W.copy(), b.copy()) for W, b in params]
    return sgd_bench(lambda: mlp.numpy_sgd_step(params, x, y), lambda: params)


def _functional(step, params, args):
    state = [params]

    def run():
        state[0] = step(state[0], *args)
        return state[0]
    return sgd_bench(run, lambda: state[0])


def tracer_(inp, ctx):
    grad = tracer_transform("grad")(lambda p, x, y: mlp.loss(np, p, x, y))
    # params are donated: each step may write the new parameters into the old arrays
    step = tracer_compile(lambda p, x, y: mlp.sgd_update(p, grad(p, x, y)), ctx,
                          donate_argnums=0)
    params, x, y = inp
    params = [(W.copy(), b.copy()) for W, b in params]     # the shared inputs stay intact
    return _functional(step, params, (x, y))


def jax_(inp, ctx):
    jax = mod("jax")
    grad = jax.grad(lambda p, x, y: mlp.loss(jax.numpy, p, x, y))
    step = jax.jit(lambda p, x, y: mlp.sgd_update(p, grad(p, x, y)), donate_argnums=0)
    params, x, y = inp
    # copies: a CPU device_put may share the numpy buffer that donation then overwrites
    run = _functional(step, pairs(jax_put(*[a.copy() for a in flatten(params)])),
                      jax_put(x, y))
    inner = run.fn
    run.fn = lambda: jax.block_until_ready(inner())
    return run


def torch_(inp, ctx):
    torch = mod("torch")
    params, x, y = inp
    flat = [torch.tensor(a, requires_grad=True) for a in flatten(params)]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        grads = torch.autograd.grad(mlp.torch_loss(pairs(flat), tx, ty), flat)
        with torch.no_grad():
            for p, g in zip(flat, grads):
                p.sub_(mlp.LR * g)
    return sgd_bench(step, lambda: pairs(flat))


def torch_compile_(inp, ctx):
    """torch.compile of a functional step (torch.func.grad): used by the cold-start workload
    only, since compiling each of this workload's 36 cases would take many minutes."""
    torch = mod("torch")
    params, x, y = inp
    grad = torch.func.grad(mlp.torch_loss)

    def step(flat, x, y):
        return [p - mlp.LR * g for p, g in zip(flat, flatten(grad(pairs(flat), x, y)))]
    flat = [torch.tensor(a) for a in flatten(params)]
    return _functional(torch.compile(step), flat, (torch.from_numpy(x), torch.from_numpy(y)))


def pytensor_(inp, ctx):
    pytensor = mod("pytensor")
    pt = pytensor.tensor
    params, x, y = inp
    shared = [pytensor.shared(a.copy()) for a in flatten(params)]
    sx, sy = pytensor_vars(x, y)
    loss = mlp.loss(pt, pairs(shared), sx, sy)
    lr = np.asarray(mlp.LR, dtype=x.dtype)
    updates = [(p, p - lr * g) for p, g in zip(shared, pt.grad(loss, shared))]
    f = pytensor_function([sx, sy], [], updates=updates)
    return sgd_bench(lambda: f(x, y), lambda: [s.get_value(borrow=True) for s in shared])


def name(sizes, batch, dtype) -> str:
    return f"mlp_sgd/{'-'.join(map(str, sizes))}/b{batch}/{dtype[0]}{dtype[-2:]}"


def make_case(sizes, batch, dtype) -> Case:
    return Case(name=name(sizes, batch, dtype),
                description=f"SGD step of MLP {'-'.join(map(str, sizes))}, batch {batch}, {dtype}",
                unit="examples/s", to_unit=lambda s: batch / s, higher_is_better=True,
                setup=lambda: mlp.init(sizes, batch, dtype),
                builders={"numpy": numpy_, "tracer": tracer_, "jax": jax_, "torch": torch_,
                          "pytensor": pytensor_},
                rtol=1e-8 if dtype == "float64" else 2e-3, threads=(1, 2), min_sample_s=0.03)


def cases(ctx):
    archs = ARCHS[:2] if ctx.quick else ARCHS
    return [make_case(s, b, d) for d in DTYPES for s in archs for b in BATCHES]


def _medians(rows) -> dict[tuple[str, int, str], float]:
    """(case, threads, system) -> examples/s."""
    out = {}
    for r in rows:
        if r["status"] == "ok":
            batch = int(r["case"].split("/")[2][1:])
            out[(r["case"], r["threads"], r["system"])] = batch / statistics.median(r["samples"])
    return out


def report(rows, ctx) -> str:
    """A wide table (cases x systems, examples/s) and the plot."""
    med = _medians(rows)
    systems = list(dict.fromkeys(r["system"] for r in rows))
    keys = list(dict.fromkeys((r["case"], r["threads"]) for r in rows))
    lines = ["Examples/s (higher is better); in brackets: speedup over numpy.", "",
             "| MLP | batch | dtype | threads | " + " | ".join(systems) + " |",
             "|---|---:|---|---:|" + "---:|" * len(systems)]
    for case, threads in keys:
        _, arch, batch, dtype = case.split("/")
        base = med.get((case, threads, "numpy"))
        cells = []
        for system in systems:
            value = med.get((case, threads, system))
            cells.append("" if value is None else
                         fmt(value) + (f" ({ratio(value / base)})" if base else ""))
        lines.append(f"| {arch} | {batch[1:]} | {dtype} | {threads} | " + " | ".join(cells) + " |")
    lines += ["", _plot(med, systems)]
    return "\n".join(lines)


def _plot(med: dict, systems: list[str]) -> str:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "(matplotlib not installed: no plot)"
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), squeeze=False)
    for i, dtype in enumerate(DTYPES):
        for j, sizes in enumerate(ARCHS):
            _panel(axes[i][j], med, systems, sizes, dtype)
    axes[0][0].legend(fontsize=7)
    fig.suptitle("SGD training step (forward + grad + update): examples/s; solid 1 thread, "
                 "dashed 2 threads")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=90)
    plt.close(fig)
    return f"Plot: `benchmarks/{os.path.basename(PLOT)}`."


def _panel(ax: Any, med: dict, systems: list[str], sizes, dtype: str) -> None:
    for k, system in enumerate(systems):
        for threads, style in ((1, "-"), (2, "--")):
            pts = [(b, med.get((name(sizes, b, dtype), threads, system))) for b in BATCHES]
            pts = [(b, v) for b, v in pts if v]
            if pts:
                ax.plot(*zip(*pts), style, marker="o", color=f"C{k}",
                        label=f"{system} ({threads} thr)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(BATCHES, [str(b) for b in BATCHES])
    ax.set_title(f"{'-'.join(map(str, sizes))}, {dtype}", fontsize=9)
    ax.set_xlabel("batch size")
    ax.set_ylabel("examples/s")


GROUP = Group(name="mlp_sgd", description="2012 paper benchmark: MLP SGD steps, examples/s",
              cases=cases, report=report, default_repeat=5)
