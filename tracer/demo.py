"""The tour `python -m tracer demo` prints: each step runs real code on built-in data."""
from __future__ import annotations

import time

import numpy as np

import tracer as tr


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 60 - len(title)))


def layernorm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(var + eps) + b


def run(argv: list[str]) -> int:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8))
    g, b = rng.standard_normal(8), rng.standard_normal(8)

    _section("1. trace an ordinary numpy function")
    compiled = tr.compile(layernorm)
    out = compiled(x, g, b)
    ref = layernorm(x, g, b)
    print(f"layernorm(x, g, b): max |tracer - numpy| = {np.abs(out - ref).max():.2e}, "
          f"dtype {out.dtype}, shape {out.shape}")
    print(compiled.lower(x, g, b).as_text())

    _section("2. one trace per signature")
    start = time.perf_counter()
    for _ in range(1000):
        compiled(x, g, b)
    per_call = (time.perf_counter() - start) / 1000 * 1e6
    print(f"cached call: {per_call:.1f} us; traces so far: {compiled.cache_size}")
    compiled(x.astype(np.float32), g.astype(np.float32), b.astype(np.float32))
    print(f"after a float32 call: {compiled.cache_size} traces (new signature, re-traced)")

    _section("3. errors that teach")
    @tr.compile
    def relu_if(x):
        if x.sum() > 0:
            return x
        return -x
    try:
        relu_if(x)
    except tr.ConcretizationError as err:
        print(f"{type(err).__name__}: {err}")
    return 0
