"""Newton-CG and trust-krylov on a 10,000-dimensional Rosenbrock, derivatives by tracer.

The function is plain numpy. tr.grad gives the gradient, tr.hvp the
Hessian-vector product (forward-over-reverse: the R-operator applied to the
gradient graph), both compiled once and reused by every scipy iteration.
For comparison the same runs use scipy's hand-written rosen_der and
rosen_hess_prod: the iteration counts match, because the derivatives do.

    python examples/newton_cg.py            # n = 10,000
    TRACER_EXAMPLE_N=1000 python examples/newton_cg.py
"""
from __future__ import annotations

import os
import time

import numpy as np
from scipy.optimize import minimize, rosen_der, rosen_hess_prod

import tracer as tr


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


def solve(method: str, jac, hessp, x0: np.ndarray):
    # Newton-CG's default xtol is relative to n; ask for a real solution
    options = {"maxiter": 5_000, **({"xtol": 1e-12} if method == "Newton-CG" else {})}
    start = time.perf_counter()
    res = minimize(rosen, x0, method=method, jac=jac, hessp=hessp, options=options)
    return res, time.perf_counter() - start


def main(n: int = 10_000, verbose: bool = True) -> dict:
    x0 = np.full(n, 0.5)
    jac = tr.compile(tr.grad(rosen))
    hessp = tr.compile(lambda x, p: tr.hvp(rosen, (x,), (p,))[0])
    jac(x0), hessp(x0, x0)  # trace and compile once, outside the timings
    results = {}
    for method in ("Newton-CG", "trust-krylov"):
        for label, (j, h) in (("tracer", (jac, hessp)), ("scipy", (rosen_der, rosen_hess_prod))):
            res, seconds = solve(method, j, h, x0)
            results[method, label] = res
            if verbose:
                print(f"{method:12s} {label:6s} n={n}: {res.nit:4d} iterations, "
                      f"{res.njev:4d} gradients, {res.nhev:5d} Hessian-vector products, "
                      f"f={res.fun:.3e}, max|x-1|={np.abs(res.x - 1).max():.1e}, "
                      f"{seconds:.2f} s")
    return results


if __name__ == "__main__":
    main(int(os.environ.get("TRACER_EXAMPLE_N", 10_000)))
