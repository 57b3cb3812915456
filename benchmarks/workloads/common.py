"""Builder helpers shared by the workloads: one place that knows each peer's idioms."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..harness.core import Context, Skip
from ..harness.systems import load


def mod(name: str) -> Any:
    """The imported peer (the runner only calls builders of installed peers)."""
    module, why = load(name)
    if module is None:
        raise Skip(f"{name} not installed ({why})")
    return module


def tracer_compile(fn: Callable[..., Any], ctx: Context, **options: Any) -> Any:
    """tr.compile with this run's backend."""
    tr = mod("tracer")
    return tr.compile(fn, backend=ctx.backend, **options)


def tracer_transform(name: str) -> Any:
    """tr.<name> (grad, hvp, value_and_grad), or Skip while autodiff hasn't landed."""
    tr = mod("tracer")
    if not hasattr(tr, name):
        raise Skip(f"tr.{name} not available")
    return getattr(tr, name)


def jax_ready(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """A zero-arg call of a jitted jax function that waits for the result."""
    jax = mod("jax")

    def call() -> Any:
        return jax.block_until_ready(fn(*args))
    return call


def jax_put(*arrays: Any) -> list[Any]:
    jax = mod("jax")
    return [jax.device_put(a) for a in arrays]


def torch_from(*arrays: Any) -> list[Any]:
    torch = mod("torch")
    return [torch.from_numpy(a) for a in arrays]


def torch_compiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    torch = mod("torch")
    return torch.compile(fn)


def pytensor_function(inputs: list[Any], outputs: Any, **kw: Any) -> Any:
    """pytensor.function with the C backend (mode='CVM'; PyTensor 3 defaults to Numba)."""
    pytensor = mod("pytensor")
    return pytensor.function(inputs, outputs, mode="CVM", **kw)


def pytensor_vars(*arrays: Any) -> list[Any]:
    """Symbolic inputs matching the arrays' dtype and rank."""
    pt = mod("pytensor").tensor
    return [pt.tensor(dtype=str(a.dtype), shape=(None,) * a.ndim) for a in arrays]
