"""The four programs of the first-result workload, written once per system.

Each `make_<program>(system)` returns a zero-argument callable that builds the program
for that system and returns its first result as a list of numpy arrays (the time to
first result is what the child process measures around it). `system` is the peer's
package name (systems.peer_of: "torch" for torch.compile). Systems: numpy (hand
written; the reference), tracer (C backend, waiting for the compiler or not: the child
sets TRACER_BACKGROUND_COMPILE), jax (jax.jit), pytensor (C backend, mode="CVM"),
torch.compile.

* sgd: one SGD step of the MLP 784-500-10, batch 60, float64 (mlp_sgd's builders);
* softmax_ce: softmax cross-entropy of x @ W + b and its gradient, x 256 x 784, 10 classes;
* hvp_rosen: Hessian-vector product of Rosenbrock, n = 1e6 (hvp_rosen's builders);
* rnn_loop: gradient of a 100-step tanh RNN (hidden 100, batch 64) written as a Python
  loop (tracer turns the loop into one Scan; jax and torch.compile unroll it; PyTensor's
  graph is unrolled).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..harness.core import Context
from . import hvp_rosen, mlp, mlp_sgd
from .common import mod

PROGRAMS = ("sgd", "softmax_ce", "hvp_rosen", "rnn_loop")
RNN_T, RNN_H, RNN_B = 100, 100, 64


def _np(values: Any) -> list[np.ndarray]:
    out = []
    for v in values if isinstance(values, (list, tuple)) else [values]:
        if hasattr(v, "detach"):
            v = v.detach().numpy()
        out.append(np.asarray(v, dtype=np.float64))
    return out


# -- sgd: the update each system applies, as (before - after) / lr ---------------------------
def make_sgd(system: str, ctx: Context) -> Callable[[], list[np.ndarray]]:
    builder = {"numpy": mlp_sgd.numpy_, "tracer": mlp_sgd.tracer_, "jax": mlp_sgd.jax_,
               "pytensor": mlp_sgd.pytensor_, "torch": mlp_sgd.torch_compile_}[system]
    inputs = mlp.init((784, 500, 10), 60, "float64")
    return lambda: _np(builder(inputs, ctx).check())


# -- softmax cross-entropy and its gradient --------------------------------------------------
def ce_inputs():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((784, 10)) * 0.05, np.zeros(10), rng.random((256, 784)),
            rng.integers(0, 10, 256))


def ce_loss(xp: Any, W, b, x, y):
    z = x @ W + b
    m = xp.max(z, axis=1, keepdims=True)
    logp = z - (m + xp.log(xp.sum(xp.exp(z - m), axis=1, keepdims=True)))
    return -xp.mean(logp[xp.arange(x.shape[0]), y])


def ce_numpy(W, b, x, y):
    z = x @ W + b
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    p[np.arange(len(y)), y] -= 1
    d = p / len(y)
    return [loss, x.T @ d, d.sum(axis=0)]


def make_softmax_ce(system: str, ctx: Context) -> Callable[[], list[np.ndarray]]:
    W, b, x, y = ce_inputs()
    if system == "numpy":
        return lambda: _np(ce_numpy(W, b, x, y))
    if system == "tracer":
        tr = mod("tracer")

        def first():
            f = tr.compile(tr.value_and_grad(lambda W, b, x, y: ce_loss(np, W, b, x, y),
                                             argnums=(0, 1)), backend=ctx.backend)
            value, (gW, gb) = f(W, b, x, y)
            return _np([value, gW, gb])
        return first
    if system == "jax":
        jax = mod("jax")

        def first():
            f = jax.jit(jax.value_and_grad(lambda W, b, x, y: ce_loss(jax.numpy, W, b, x, y),
                                           argnums=(0, 1)))
            value, (gW, gb) = f(W, b, x, y)
            return _np([value, gW, gb])
        return first
    if system == "pytensor":
        return _ce_pytensor(W, b, x, y)
    return _ce_torch(W, b, x, y)


def _ce_pytensor(W, b, x, y):
    pytensor = mod("pytensor")
    pt = pytensor.tensor

    def first():
        sW, sb, sx = pt.matrix("W"), pt.vector("b"), pt.matrix("x")
        sy = pt.lvector("y")
        loss = ce_loss(pt, sW, sb, sx, sy)
        f = pytensor.function([sW, sb, sx, sy], [loss, *pt.grad(loss, [sW, sb])], mode="CVM")
        return _np(f(W, b, x, y))
    return first


def _ce_torch(W, b, x, y):
    torch = mod("torch")

    def loss(W, b, x, y):
        z = x @ W + b
        return torch.nn.functional.cross_entropy(z, y)

    def first():
        f = torch.compile(torch.func.grad_and_value(loss, argnums=(0, 1)))
        (gW, gb), value = f(*(torch.from_numpy(a) for a in (W, b, x, y)))
        return _np([value, gW, gb])
    return first


# -- Rosenbrock hvp ----------------------------------------------------------------------------
def make_hvp_rosen(system: str, ctx: Context) -> Callable[[], list[np.ndarray]]:
    inputs = hvp_rosen.setup(hvp_rosen.N)
    if system == "torch":
        torch = mod("torch")

        def first():
            grad = torch.func.grad(lambda v: hvp_rosen.rosen(torch, v))
            f = torch.compile(lambda x, p: torch.func.jvp(grad, (x,), (p,))[1])
            return _np(f(*(torch.from_numpy(a) for a in inputs)))
        return first
    builder = {"numpy": hvp_rosen.numpy_, "tracer": hvp_rosen.tracer_, "jax": hvp_rosen.jax_,
               "pytensor": hvp_rosen.pytensor_}[system]
    return lambda: _np(builder(inputs, ctx)())


# -- a 100-step Python-loop RNN's gradient -------------------------------------------------------
def rnn_inputs():
    rng = np.random.default_rng(0)
    W, U = (rng.standard_normal((RNN_H, RNN_H)) / np.sqrt(RNN_H) for _ in range(2))
    b = rng.standard_normal(RNN_H) * 0.1
    xs = rng.standard_normal((RNN_T, RNN_B, RNN_H))
    ys = rng.standard_normal((RNN_T, RNN_B, RNN_H))
    return W, U, b, np.zeros((RNN_B, RNN_H)), xs, ys


def rnn_loss(xp: Any, W, U, b, h0, xs, ys):
    h, loss = h0, 0.0
    for t in range(RNN_T):
        h = xp.tanh(xs[t] @ W + h @ U + b)
        loss = loss + 0.5 * xp.sum((h - ys[t]) ** 2)
    return loss


def make_rnn_loop(system: str, ctx: Context) -> Callable[[], list[np.ndarray]]:
    inputs = rnn_inputs()
    if system == "numpy":
        from .rnn import numpy_grads
        return lambda: _np(numpy_grads(*inputs))
    if system == "tracer":
        tr = mod("tracer")
        return lambda: _np(tr.compile(tr.grad(lambda *a: rnn_loss(np, *a), argnums=(0, 1, 2)),
                                      backend=ctx.backend)(*inputs))
    if system == "jax":
        jax = mod("jax")
        return lambda: _np(jax.jit(jax.grad(lambda *a: rnn_loss(jax.numpy, *a),
                                            argnums=(0, 1, 2)))(*inputs))
    if system == "pytensor":
        pytensor = mod("pytensor")
        pt = pytensor.tensor

        def first():
            sW, sU, sh0 = pt.matrix("W"), pt.matrix("U"), pt.matrix("h0")
            sb, sxs, sys_ = pt.vector("b"), pt.tensor3("xs"), pt.tensor3("ys")
            loss = rnn_loss(pt, sW, sU, sb, sh0, sxs, sys_)
            f = pytensor.function([sW, sU, sb, sh0, sxs, sys_], pt.grad(loss, [sW, sU, sb]),
                                  mode="CVM")
            return _np(f(*inputs))
        return first
    torch = mod("torch")

    def first():
        f = torch.compile(torch.func.grad(lambda *a: rnn_loss(torch, *a), argnums=(0, 1, 2)))
        return _np(f(*(torch.from_numpy(a) for a in inputs)))
    return first


MAKERS = {"sgd": make_sgd, "softmax_ce": make_softmax_ce, "hvp_rosen": make_hvp_rosen,
          "rnn_loop": make_rnn_loop}
