"""(d) Hessian-vector product of the Rosenbrock function at n = 1e6, float64, ms.

numpy is scipy's hand-written `rosen_hess_prod`. tracer: `tr.hvp` (forward over reverse)
compiled; jax: jit(jvp(grad)); torch: torch.func.jvp(torch.func.grad) eager; PyTensor:
`pushforward(grad(cost), x, p)` (its R-operator, formerly `Rop`) on
its C backend; autograd: `hessian_tensor_product`.
"""
from __future__ import annotations

import numpy as np

from ..harness.core import Case, Group
from .common import (
    jax_put,
    jax_ready,
    mod,
    pytensor_function,
    pytensor_vars,
    torch_from,
    tracer_compile,
    tracer_transform,
)

N = 1_000_000


def rosen(xp, x):
    """scipy.optimize.rosen, in the namespace xp."""
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


def setup(n: int):
    rng = np.random.default_rng(0)
    return rng.uniform(-2, 2, n), rng.standard_normal(n)


def numpy_(inp, ctx):
    from scipy.optimize import rosen_hess_prod
    x, p = inp
    return lambda: rosen_hess_prod(x, p)


def _only(result):
    """tr.hvp returns the structure of primals: a 1-tuple here."""
    return result[0] if isinstance(result, (tuple, list)) else result


def tracer_(inp, ctx):
    hvp = tracer_transform("hvp")
    f = tracer_compile(lambda x, p: _only(hvp(lambda v: rosen(np, v), (x,), (p,))), ctx)
    return lambda: f(*inp)


def jax_(inp, ctx):
    jax = mod("jax")
    grad = jax.grad(lambda v: rosen(jax.numpy, v))
    f = jax.jit(lambda x, p: jax.jvp(grad, (x,), (p,))[1])
    return jax_ready(f, *jax_put(*inp))


def torch_(inp, ctx):
    torch = mod("torch")
    grad = torch.func.grad(lambda v: rosen(torch, v))
    x, p = torch_from(*inp)
    return lambda: torch.func.jvp(grad, (x,), (p,))[1]


def pytensor_(inp, ctx):
    pytensor = mod("pytensor")
    x, p = pytensor_vars(*inp)
    g = pytensor.gradient.grad(rosen(pytensor.tensor, x), x)
    push = getattr(pytensor.gradient, "pushforward", None) or pytensor.gradient.Rop
    f = pytensor_function([x, p], push(g, x, p))
    return lambda: f(*inp)


def autograd_(inp, ctx):
    autograd = mod("autograd")
    from autograd.differential_operators import hessian_tensor_product
    f = hessian_tensor_product(lambda v: rosen(autograd.numpy, v))
    return lambda: f(*inp)


def cases(ctx):
    n = 10_000 if ctx.quick else N
    return [Case(
        name="hvp_rosen", description=f"Hessian-vector product of Rosenbrock, n={n:.0e}, float64",
        unit="ms", to_unit=lambda s: s * 1e3, setup=lambda: setup(n),
        builders={"numpy": numpy_, "tracer": tracer_, "jax": jax_, "torch": torch_,
                  "pytensor": pytensor_, "autograd": autograd_},
        rtol=1e-10)]


GROUP = Group(name="hvp_rosen", description="Hessian-vector product of Rosenbrock, n = 1e6",
              cases=cases)
