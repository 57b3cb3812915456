"""The tour `python -m tracer demo` prints: each step runs real code on built-in data."""
from __future__ import annotations

import time

import numpy as np
from scipy.optimize import minimize, rosen_der, rosen_hess_prod

import tracer as tr


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 60 - len(title)))


def layernorm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(var + eps) + b


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


def _newton_cg_tour(n: int = 2_000) -> None:
    """Newton-CG with tracer's derivatives against scipy's hand-written ones."""
    jac = tr.compile(tr.grad(rosen))
    hessp = tr.compile(lambda x, p: tr.hvp(rosen, (x,), (p,))[0])
    x0 = np.full(n, 0.5)
    print(f"max |tr.grad - scipy.rosen_der|       = {np.abs(jac(x0) - rosen_der(x0)).max():.1e}")
    v = np.linspace(-1, 1, n)
    err = np.abs(hessp(x0, v) - rosen_hess_prod(x0, v)).max()
    print(f"max |tr.hvp - scipy.rosen_hess_prod|  = {err:.1e}")
    for label, (j, h) in (("tracer", (jac, hessp)), ("scipy ", (rosen_der, rosen_hess_prod))):
        start = time.perf_counter()
        res = minimize(rosen, x0, method="Newton-CG", jac=j, hessp=h, options={"xtol": 1e-12})
        print(f"Newton-CG, n={n}, {label} derivatives: {res.nit} iterations, "
              f"max |x - 1| = {np.abs(res.x - 1).max():.1e}, {time.perf_counter() - start:.2f} s")


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

    _section("3. derivatives: grad, and hvp (the R-operator on the gradient graph)")
    _newton_cg_tour()

    _section("4. errors that teach")
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
