"""The MLP of the 2012 Theano paper's benchmark, written once per system.

tanh hidden layers, softmax + negative log-likelihood on integer labels. Parameters are a
list of (W, b) pairs. Inputs are synthetic, MNIST-shaped (784 features in [0, 1), labels
0..9): nothing is downloaded.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .common import mod

LR = 0.1


def init(sizes: tuple[int, ...], batch: int, dtype: str, seed: int = 0):
    """(params, x, y) with Glorot-scaled weights, zero biases, uniform inputs."""
    rng = np.random.default_rng(seed)
    params = [((rng.standard_normal((m, n)) / np.sqrt(m)).astype(dtype), np.zeros(n, dtype))
              for m, n in zip(sizes[:-1], sizes[1:])]
    x = rng.random((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], batch)
    return params, x, y


def loss(xp: Any, params, x, y):
    """Mean NLL of softmax(MLP(x)) in the numpy-like namespace xp (numpy, jax.numpy,
    autograd.numpy, pytensor.tensor); tracer traces it with xp = numpy."""
    h = x
    for W, b in params[:-1]:
        h = xp.tanh(h @ W + b)
    W, b = params[-1]
    z = h @ W + b
    m = xp.max(z, axis=1, keepdims=True)
    logp = z - (m + xp.log(xp.sum(xp.exp(z - m), axis=1, keepdims=True)))
    return -xp.mean(logp[xp.arange(x.shape[0]), y])


def torch_loss(params, x, y):
    torch = mod("torch")
    h = x
    for W, b in params[:-1]:
        h = torch.tanh(h @ W + b)
    W, b = params[-1]
    z = h @ W + b
    m = torch.amax(z, dim=1, keepdim=True)
    logp = z - (m + torch.log(torch.sum(torch.exp(z - m), dim=1, keepdim=True)))
    return -torch.mean(logp[torch.arange(x.shape[0]), y])


def numpy_grads(params, x, y):
    """Hand-written backprop: the numpy reference and the numpy system."""
    hs = [x]
    for W, b in params[:-1]:
        hs.append(np.tanh(hs[-1] @ W + b))
    W, b = params[-1]
    z = hs[-1] @ W + b
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(x.shape[0]), y] -= 1
    d = p / x.shape[0]
    grads = []
    for i in range(len(params) - 1, -1, -1):
        grads.append((hs[i].T @ d, d.sum(axis=0)))
        if i:
            d = (d @ params[i][0].T) * (1 - hs[i] * hs[i])
    return grads[::-1]


def numpy_sgd_step(params, x, y, lr: float = LR) -> None:
    """One in-place SGD step, hand-written (what a numpy user would write)."""
    for (W, b), (gW, gb) in zip(params, numpy_grads(params, x, y)):
        W -= lr * gW
        b -= lr * gb


def sgd_update(params, grads, lr: float = LR):
    return [(W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(params, grads)]
