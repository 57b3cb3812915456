"""Random smooth programs for derivative checks: tr.grad against central differences.

The same seeded, line-by-line construction as generator.py, over float64 inputs of
moderate values and the operations that are differentiable where they are evaluated
(no kinks, poles or integer parts near the drawn values). The program's output is
reduced to a scalar with fixed random weights; its gradient with respect to every input
must match central differences.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autodiff.numeric import numeric_grad

UNARY = ("np.sin({x})", "np.cos({x})", "np.tanh({x})", "np.exp(np.tanh({x}))", "({x} * {x})",
         "np.sqrt(1.0 + {x} * {x})", "np.arctan({x})", "np.log1p({x} * {x})", "(-{x})",
         "np.sinh(np.tanh({x}))", "(0.5 * {x} ** 3)", "np.expm1(np.sin({x}))",
         "np.sum({x}, axis={ax}, keepdims=True)", "np.mean({x}, axis={ax})",
         "np.cumsum({x}, axis={ax})", "{x}.T", "np.flip({x}, {ax})", "{x}[..., ::-1]",
         "np.concatenate([{x}, 2.0 * {x}], axis={ax})", "{x}.reshape(-1)",
         "np.prod(1.0 + 0.1 * {x}, axis={ax})", "np.max({x}, axis={ax})")
BINARY = ("({x} + {y})", "({x} - {y})", "({x} * {y})", "({x} / (1.5 + {y} * {y}))",
          "np.hypot(1.0 + {x} * {x}, {y})", "np.arctan2({x}, 2.0 + {y} * {y})",
          "np.where({y} > 0, {x}, 2.0 * {x})", "np.logaddexp({x}, {y})")


def _axis(rng: np.random.Generator, ndim: int) -> int:
    return int(rng.integers(-ndim, ndim)) if ndim else 0


def smooth_program(seed: int, ops: int = 6) -> tuple[str, list[np.ndarray]]:
    """(source of `program(a0, a1, ...)`, its float64 arguments)."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in rng.integers(1, 4, int(rng.integers(1, 3))))
    args = [rng.uniform(-1.5, 1.5, shape) for _ in range(int(rng.integers(1, 3)))]
    if rng.random() < 0.5:
        args.append(rng.uniform(-1.5, 1.5, shape[-1:]))      # broadcasts along the last axis
    names = [f"a{i}" for i in range(len(args))]
    env: dict[str, Any] = {"np": np, **dict(zip(names, args))}
    pool, lines = list(names), []
    for _ in range(ops * 4):
        if len(lines) >= ops:
            break
        x = pool[len(pool) - 1 - min(int(rng.geometric(0.5)) - 1, len(pool) - 1)]
        ndim = np.ndim(env[x])
        if rng.random() < 0.55 or len(pool) < 2:
            text = UNARY[int(rng.integers(len(UNARY)))].format(x=x, ax=_axis(rng, ndim))
        else:
            y = pool[int(rng.integers(len(pool)))]
            text = BINARY[int(rng.integers(len(BINARY)))].format(x=x, y=y)
        name = f"v{len(lines)}"
        try:
            exec(f"{name} = {text}", env)
        except Exception:       # noqa: BLE001 - shapes that do not fit: draw again
            continue
        value = np.asarray(env[name])
        if value.dtype != np.float64 or value.size == 0 or value.size > 200 \
                or not np.isfinite(value).all() or np.abs(value).max() > 1e6:
            continue
        lines.append(f"{name} = {text}")
        pool.append(name)
    body = "\n".join(f"    {line}" for line in lines) or "    pass"
    source = f"def program({', '.join(names)}):\n{body}\n    return {pool[-1]}\n"
    return source, args


def central_differences(f: Any, args: list[np.ndarray], eps: float = 1e-6) -> list[np.ndarray]:
    return [numeric_grad(f, args, n, eps) for n in range(len(args))]


def gradient_problems(seed: int, backend: str) -> list[str]:
    """tr.grad of the weighted sum of the program's result, against central differences."""
    import tracer as tr

    source, args = smooth_program(seed)
    env: dict[str, Any] = {"np": np}
    exec(source, env)
    program = env["program"]
    out = np.asarray(program(*args))
    weights = np.random.default_rng(seed + 1).normal(size=out.shape)

    def loss(*a: Any) -> Any:
        return np.sum(weights * program(*a))

    nums = tuple(range(len(args)))
    got = tr.compile(tr.grad(loss, argnums=nums), backend=backend, wait=True)(*args)
    want = central_differences(lambda *a: float(loss(*a)), args)
    problems = []
    for n, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape or not np.allclose(g, w, rtol=1e-5, atol=1e-6):
            problems.append(f"seed {seed} ({backend}) d/d a{n}: {np.asarray(g).ravel()[:4]} "
                            f"vs differences {w.ravel()[:4]}\n{source}")
    return problems
