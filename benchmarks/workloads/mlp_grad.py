"""(e) Gradient of the MLP 784-500-10 loss (tanh hidden, softmax + NLL), batch 60, float64.

Hand-written numpy backprop against tracer (`tr.compile(tr.grad(loss))`), jax.jit(grad),
torch eager (autograd.grad) and torch.compile(torch.func.grad), PyTensor's C backend
(pt.grad) and autograd. Every system returns the gradients as a list of (gW, gb) pairs.
"""
from __future__ import annotations

import numpy as np

from ..harness.core import Case, Group
from . import mlp
from .common import (
    jax_put,
    jax_ready,
    mod,
    pytensor_function,
    pytensor_vars,
    torch_compiled,
    tracer_compile,
    tracer_transform,
)

SIZES = (784, 500, 10)
BATCH = 60


def pairs(flat):
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def flatten(params):
    return [a for pair in params for a in pair]


def numpy_loss(params, x, y):
    return mlp.loss(np, params, x, y)


def numpy_(inp, ctx):
    params, x, y = inp
    return lambda: mlp.numpy_grads(params, x, y)


def tracer_(inp, ctx):
    f = tracer_compile(tracer_transform("grad")(numpy_loss), ctx)
    return lambda: f(*inp)


def jax_(inp, ctx):
    jax = mod("jax")
    params, x, y = inp
    f = jax.jit(jax.grad(lambda p, x, y: mlp.loss(jax.numpy, p, x, y)))
    return jax_ready(f, pairs(jax_put(*flatten(params))), *jax_put(x, y))


def _torch_inputs(inp, requires_grad: bool):
    torch = mod("torch")
    params, x, y = inp
    flat = [torch.tensor(a, requires_grad=requires_grad) for a in flatten(params)]
    return flat, torch.from_numpy(x), torch.from_numpy(y)


def torch_(inp, ctx):
    torch = mod("torch")
    flat, x, y = _torch_inputs(inp, True)
    return lambda: pairs(torch.autograd.grad(mlp.torch_loss(pairs(flat), x, y), flat))


def torch_compile_(inp, ctx):
    torch = mod("torch")
    flat, x, y = _torch_inputs(inp, False)
    f = torch_compiled(torch.func.grad(mlp.torch_loss))
    return lambda: f(pairs(flat), x, y)


def pytensor_(inp, ctx):
    pt = mod("pytensor").tensor
    params, x, y = inp
    flat = flatten(params)
    syms = pytensor_vars(*flat, x, y)
    loss = mlp.loss(pt, pairs(syms[:-2]), syms[-2], syms[-1])
    f = pytensor_function(syms, pt.grad(loss, syms[:-2]))
    return lambda: pairs(f(*flat, x, y))


def autograd_(inp, ctx):
    autograd = mod("autograd")
    anp = autograd.numpy
    f = autograd.grad(lambda p, x, y: mlp.loss(anp, p, x, y))
    return lambda: f(*inp)


def cases(ctx):
    return [Case(
        name="mlp_grad", description="grad of MLP 784-500-10 loss, batch 60, float64",
        unit="ms", to_unit=lambda s: s * 1e3, setup=lambda: mlp.init(SIZES, BATCH, "float64"),
        builders={"numpy": numpy_, "tracer": tracer_, "jax": jax_, "torch": torch_,
                  "torch.compile": torch_compile_, "pytensor": pytensor_,
                  "autograd": autograd_},
        rtol=1e-9)]


GROUP = Group(name="mlp_grad", description="gradient of the MLP 784-500-10 loss, batch 60",
              cases=cases)
