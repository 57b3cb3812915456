"""Vanilla tanh RNN, forward + gradient of one sequence (T = 100), float64, ms.

    h_t = tanh(x_t @ W + h_{t-1} @ U + b),   loss = 0.5 * sum_t |h_t - y_t|^2,
    gradients with respect to W, U, b;  input size = hidden size H.

Hidden 100 and 500, batch 1 and 64. numpy is a Python loop with hand-written BPTT (the
textbook form: per-step weight-gradient products). tracer is written with `tr.scan` and
compiled `tr.grad`; "tracer (no loop rewrites)" is the same without the optimizer's
`loops` and `loop_bodies` passes (tracer/graph_opt/scan.py), to show what they do. Peers:
`jax.lax.scan` under jit(grad), PyTensor's `scan` with `pt.grad` on its C backend, torch
eager (a Python loop and autograd). Each case runs with 1 and with 2 threads (child
processes pinned to that many CPUs), as the MLP SGD steps do.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ..harness.core import Case, Group
from .common import jax_put, jax_ready, mod, pytensor_function, pytensor_vars, tracer_compile

T = 100
SIZES = ((100, 1), (100, 64), (500, 1), (500, 64))
QUICK = ((8, 1), (8, 4))


def setup(T: int, H: int, B: int):
    rng = np.random.default_rng(0)
    W, U = (rng.standard_normal((H, H)) / np.sqrt(H) for _ in range(2))
    b = rng.standard_normal(H) * 0.1
    return (W, U, b, np.zeros((B, H)), rng.standard_normal((T, B, H)),
            rng.standard_normal((T, B, H)))


def numpy_grads(W, U, b, h0, xs, ys):
    h, hs = h0, []
    for x in xs:
        h = np.tanh(x @ W + h @ U + b)
        hs.append(h)
    gW, gU, gb, dh = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b), np.zeros_like(h0)
    for t in range(len(xs) - 1, -1, -1):
        dh = dh + (hs[t] - ys[t])
        dpre = dh * (1.0 - hs[t] ** 2)
        gW += xs[t].T @ dpre
        gU += (hs[t - 1] if t else h0).T @ dpre
        gb += dpre.sum(axis=0)
        dh = dpre @ U.T
    return [gW, gU, gb]


def numpy_(inp, ctx):
    return lambda: numpy_grads(*inp)


def tracer_loss(W, U, b, h0, xs, ys):
    tr = mod("tracer")
    hs = tr.scan(lambda x, h, W, U, b: np.tanh(x @ W + h @ U + b), sequences=[xs],
                 outputs_info=h0, non_sequences=[W, U, b])
    return 0.5 * np.sum((hs - ys) ** 2)


def tracer_(inp, ctx):
    tr = mod("tracer")
    f = tracer_compile(tr.grad(tracer_loss, argnums=(0, 1, 2)), ctx)
    f.lower(*inp).executable()            # built now (not in the background while timed)
    return lambda: f(*inp)


@contextmanager
def _without_loop_passes():
    from tracer.graph_opt import pipeline
    saved = list(pipeline.PIPELINE)
    pipeline.PIPELINE[:] = [p for p in saved if p[0] not in ("loops", "loop_bodies")]
    try:
        yield
    finally:
        pipeline.PIPELINE[:] = saved


def tracer_plain_(inp, ctx):
    tr = mod("tracer")
    f = tracer_compile(tr.grad(tracer_loss, argnums=(0, 1, 2)), ctx)
    with _without_loop_passes():
        lowered = f.lower(*inp)           # optimized now, once, for this signature
    lowered.executable()
    return lambda: f(*inp)


def jax_(inp, ctx):
    jax = mod("jax")
    jnp = jax.numpy

    def loss(W, U, b, h0, xs, ys):
        def step(h, x):
            h = jnp.tanh(x @ W + h @ U + b)
            return h, h
        _, hs = jax.lax.scan(step, h0, xs)
        return 0.5 * jnp.sum((hs - ys) ** 2)
    f = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))
    return jax_ready(f, *jax_put(*inp))


def pytensor_(inp, ctx):
    pytensor = mod("pytensor")
    pt = pytensor.tensor
    W, U, b, h0, xs, ys = pytensor_vars(*inp)
    result = pytensor.scan(lambda x, h, W, U, b: pt.tanh(x @ W + h @ U + b), sequences=[xs],
                           outputs_info=[h0], non_sequences=[W, U, b])
    hs = result[0] if isinstance(result, tuple) else result
    loss = 0.5 * pt.sum((hs - ys) ** 2)
    f = pytensor_function([W, U, b, h0, xs, ys], pt.grad(loss, [W, U, b]))
    return lambda: f(*inp)


def torch_(inp, ctx):
    torch = mod("torch")
    W, U, b = (torch.tensor(a, requires_grad=True) for a in inp[:3])
    h0, xs, ys = (torch.from_numpy(a) for a in inp[3:])

    def call():
        h, hs = h0, []
        for x in xs:
            h = torch.tanh(x @ W + h @ U + b)
            hs.append(h)
        loss = 0.5 * ((torch.stack(hs) - ys) ** 2).sum()
        return list(torch.autograd.grad(loss, [W, U, b]))
    return call


def cases(ctx):
    steps = 10 if ctx.quick else T
    return [Case(
        name=f"rnn/H{H}-B{B}", description=f"tanh RNN forward + gradient, T={steps}, hidden {H}, "
                                           f"batch {B}, float64",
        unit="ms", to_unit=lambda s: s * 1e3, setup=lambda H=H, B=B: setup(steps, H, B),
        builders={"numpy": numpy_, "tracer": tracer_,
                  "tracer (no loop rewrites)": tracer_plain_, "jax": jax_,
                  "pytensor": pytensor_, "torch": torch_},
        rtol=1e-9, repeat=3 if H * B > 10_000 else None, threads=(1, 2))
        for H, B in (QUICK if ctx.quick else SIZES)]


GROUP = Group(name="rnn", description="tanh RNN forward + gradient per sequence (tr.scan)",
              cases=cases)
