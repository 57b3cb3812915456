"""Compile time of a Python-loop RNN's gradient against its trip count T (issue 8).

    python -m benchmarks.workloads.loop_first_call [--steps 10,100,1000,10000] [--repeat 2]

The program is first_programs.rnn_loss (tanh RNN, hidden 100, batch 64, a squared loss
summed over the steps) written as a plain Python `for t in range(T)` loop, and its
gradient with respect to W, U and b. Each sample is a new process with an empty cache
folder, and times building the executable without running it: for tracer
`tr.compile(tr.grad(f)).lower(*args).compile()` (trace, loop rolling, differentiation,
the optimizer and the C compiler, waited for); for jax `jax.jit(jax.grad(f)).lower(*args)
.compile()`, where jax unrolls the Python loop, and the same for the loop written with
`jax.lax.scan`. Imports and making the inputs are not timed. A system past `--timeout`
seconds is reported as such (jax's unrolled loop at T = 10000).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYSTEMS = ("tracer", "jax (Python loop)", "jax.lax.scan")
H, B = 100, 64


def _inputs(T: int):
    import numpy as np
    rng = np.random.default_rng(0)
    W, U = (rng.standard_normal((H, H)) / np.sqrt(H) for _ in range(2))
    b = rng.standard_normal(H) * 0.1
    return W, U, b, np.zeros((B, H)), np.zeros((T, B, H)), np.zeros((T, B, H))


def _loss(xp, T: int):
    def loss(W, U, b, h0, xs, ys):
        h, total = h0, 0.0
        for t in range(T):
            h = xp.tanh(xs[t] @ W + h @ U + b)
            total = total + 0.5 * xp.sum((h - ys[t]) ** 2)
        return total
    return loss


def _scan_loss(W, U, b, h0, xs, ys):
    import jax
    import jax.numpy as jnp

    def step(h, xy):
        h = jnp.tanh(xy[0] @ W + h @ U + b)
        return h, 0.5 * jnp.sum((h - xy[1]) ** 2)
    return jnp.sum(jax.lax.scan(step, h0, (xs, ys))[1])


def child(system: str, T: int, cache_dir: str) -> float:
    """Seconds to build the gradient's executable for T steps, in this new process."""
    args = _inputs(T)
    if system == "tracer":
        os.environ["TRACER_CACHE_DIR"] = cache_dir
        os.environ["TRACER_BACKGROUND_COMPILE"] = "0"
        import numpy as np

        import tracer as tr
        t0 = time.perf_counter()
        tr.compile(tr.grad(_loss(np, T), argnums=(0, 1, 2))).lower(*args).compile()
        return time.perf_counter() - t0
    import jax
    jax.config.update("jax_enable_x64", True)
    fn = _scan_loss if system == "jax.lax.scan" else _loss(jax.numpy, T)
    t0 = time.perf_counter()
    jax.jit(jax.grad(fn, argnums=(0, 1, 2))).lower(*args).compile()
    return time.perf_counter() - t0


def _python_for(system: str) -> str:
    if system == "tracer":
        return sys.executable
    venv = os.path.join(ROOT, ".bench-venv", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


def sample(system: str, T: int, timeout: float) -> float | None:
    folder = tempfile.mkdtemp(prefix="loopcall-")
    try:
        proc = subprocess.run([_python_for(system), "-m", "benchmarks.workloads.loop_first_call", "--child", system, str(T),
                               folder], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{system} T={T}: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=3, metavar=("SYSTEM", "T", "CACHE"))
    ap.add_argument("--steps", default="10,100,1000,10000")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=300)
    opts = ap.parse_args()
    if opts.child:
        system, T, cache = opts.child
        print(json.dumps({"seconds": child(system, int(T), cache)}))
        return
    steps = [int(s) for s in opts.steps.split(",")]
    print("| system | " + " | ".join(f"T = {T}" for T in steps) + " |")
    print("|---|" + "---|" * len(steps))
    for system in opts.systems.split(","):
        cells, skip = [], False
        for T in steps:
            got = None if skip else [sample(system, T, opts.timeout) for _ in range(opts.repeat)]
            if got is None or None in got:
                cells.append(f"> {opts.timeout:.0f} s" if not skip else "not run")
                skip = True       # a longer loop would time out too
            else:
                cells.append(f"{statistics.median(got):.2f} s")
        print(f"| {system} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
