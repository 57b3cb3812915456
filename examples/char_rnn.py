"""A character-level RNN trained by SGD (Karpathy's min-char-rnn), gradient by tracer.

The loss is min-char-rnn's forward pass as people write it: one-hot inputs, a Python loop
over the characters with dicts keyed by the step, softmax cross-entropy. No backward pass
is written: tr.value_and_grad differentiates through the loop, which tracer compiles as
one Scan (forward) and one Scan running backwards (backpropagation through time). The
parameters are trained with Adagrad, as in the original.

    python examples/char_rnn.py                 # 300 updates on a short text
"""
from __future__ import annotations

import os
import time

import numpy as np

import tracer as tr

TEXT = ("the quick brown fox jumps over the lazy dog. " * 4 +
        "a compiler for numerical python turns loops into scans. ") * 3


def loss(params, inputs, targets, hprev):
    """Cross-entropy of the next characters; inputs/targets are index arrays (T,)."""
    Wxh, Whh, Why, bh, by = params
    V = Wxh.shape[1]
    onehot = np.eye(V)[inputs]                     # (T, V)
    hs, total = {-1: hprev}, 0.0
    for t in range(len(inputs)):
        hs[t] = np.tanh(Wxh @ onehot[t] + Whh @ hs[t - 1] + bh)
        ys = Why @ hs[t] + by
        ps = np.exp(ys - ys.max()) / np.sum(np.exp(ys - ys.max()))
        total = total - np.log(ps[targets[t]])
    return total, hs[len(inputs) - 1]


def train(updates: int = 300, hidden: int = 32, seq_len: int = 25, lr: float = 0.1,
          seed: int = 0, verbose: bool = True) -> list[float]:
    chars = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(chars)}
    data = np.array([index[c] for c in TEXT])
    V, rng = len(chars), np.random.default_rng(seed)
    params = [rng.standard_normal((hidden, V)) * 0.01, rng.standard_normal((hidden, hidden)) * 0.01,
              rng.standard_normal((V, hidden)) * 0.01, np.zeros(hidden), np.zeros(V)]
    memory = [np.zeros_like(p) for p in params]
    step = tr.compile(tr.value_and_grad(loss, has_aux=True))
    h, p, smooth, losses = np.zeros(hidden), 0, -np.log(1.0 / V) * seq_len, []
    start = time.perf_counter()
    for n in range(updates):
        if p + seq_len + 1 > len(data):
            h, p = np.zeros(hidden), 0
        (value, h), grads = step(params, data[p:p + seq_len], data[p + 1:p + seq_len + 1], h)
        for param, g, m in zip(params, grads, memory):
            g = np.clip(g, -5, 5)
            m += g * g
            param -= lr * g / np.sqrt(m + 1e-8)
        smooth = 0.999 * smooth + 0.001 * value
        losses.append(float(value))
        p += seq_len
        if verbose and n % 100 == 0:
            print(f"update {n}: loss {value:.3f} (smoothed {smooth:.3f})")
    if verbose:
        took = time.perf_counter() - start
        print(f"{updates} updates in {took:.2f} s ({1e3 * took / updates:.2f} ms each, the "
              f"first call's trace and compile included); first loss {losses[0]:.2f}, "
              f"mean of the last 20 {np.mean(losses[-20:]):.2f}")
    return losses


if __name__ == "__main__":
    train(int(os.environ.get("TRACER_EXAMPLE_UPDATES", "300")))
