"""Threads on a busy machine: the Rosenbrock hvp (n = 1e6) while other work runs.

With other processes on the cores, a parallel region waits at its barrier for a thread
the OS has descheduled, so 2 threads can lose to 1 (the mission's figure: 12.0 ms on 2
threads against 5.8 ms on 1). tracer's entry now picks per call between its threads
and one (backends/c/prelude.py, tr_threads_pick). This measures, for each load, tracer
as shipped, tracer fixed at 2 and at 1 thread (TRACER_ADAPT_THREADS=0), jax.jit and
numpy (scipy's rosen_hess_prod), each in its own child process, interleaved, and
reports the mean time per call (the throughput a user sees) and the median.

    .bench-venv/bin/python -m benchmarks.workloads.threads_under_load [--seconds 4] [--rounds 3]

Loads: none; `omp`: another process running 2-thread OpenMP regions back to back
(tracer with adaptation off, a 1e6 exp-sum); `spin`: two Python busy loops.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
import numpy as np
which, seconds = sys.argv[1], float(sys.argv[2])
rng = np.random.default_rng(0)
x, p = rng.random(10**6), rng.random(10**6)

def rosen(xp, v):
    return xp.sum(100.0 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2)

if which.startswith("tracer"):
    import tracer as tr
    f = tr.compile(lambda a, b: tr.hvp(lambda v: rosen(np, v), (a,), (b,))[0], wait=True)
    call = lambda: f(x, p)
elif which == "jax":
    import jax
    jax.config.update("jax_enable_x64", True)
    g = jax.grad(lambda v: rosen(jax.numpy, v))
    h = jax.jit(lambda a, b: jax.jvp(g, (a,), (b,))[1])
    xa, pa = jax.device_put(x), jax.device_put(p)
    call = lambda: h(xa, pa).block_until_ready()
else:
    from scipy.optimize import rosen_hess_prod
    call = lambda: rosen_hess_prod(x, p)
for _ in range(20):
    call()
times, end = [], time.perf_counter() + seconds
while time.perf_counter() < end:
    t0 = time.perf_counter(); call(); times.append(time.perf_counter() - t0)
print(json.dumps(times))
"""

LOADS = {
    "none": [],
    "omp": ["import numpy as np, tracer as tr\n"
            "f = tr.compile(lambda a: np.exp(a).sum() * a, wait=True)\n"
            "a = np.random.rand(10**6)\nwhile True: f(a)"],
    "spin": ["while True: pass"] * 2,
}
SYSTEMS = {
    "tracer adaptive up to 2 threads": ("tracer", {"TRACER_NUM_THREADS": "2"}),
    "tracer fixed 2 threads": ("tracer", {"TRACER_NUM_THREADS": "2", "TRACER_ADAPT_THREADS": "0"}),
    "tracer fixed 1 thread": ("tracer", {"TRACER_NUM_THREADS": "1", "TRACER_ADAPT_THREADS": "0"}),
    "jax": ("jax", {}),
    "numpy (scipy rosen_hess_prod)": ("numpy", {}),
}


def _child(which: str, env: dict, seconds: float) -> list[float]:
    out = subprocess.run([sys.executable, "-c", CHILD, which, str(seconds)], check=True,
                         capture_output=True, text=True, env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--loads", default="none,omp,spin")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    args = ap.parse_args()
    systems = [s for s in SYSTEMS if s in args.systems.split(",")]
    print("| load | system | mean ms | median ms | mean vs fixed 1 thread |\n|---|---|---:|---:|---:|")
    for load in args.loads.split(","):
        env = {**os.environ, "TRACER_ADAPT_THREADS": "0", "TRACER_NUM_THREADS": "2"}
        procs = [subprocess.Popen([sys.executable, "-c", code], env=env) for code in LOADS[load]]
        time.sleep(3 if procs else 0)
        samples: dict[str, list[float]] = {s: [] for s in systems}
        try:
            for _ in range(args.rounds):
                for name in systems:
                    which, extra = SYSTEMS[name]
                    samples[name] += _child(which, extra, args.seconds)
        finally:
            for proc in procs:
                proc.kill()
        base = statistics.fmean(samples.get("tracer fixed 1 thread") or [float("nan")])
        for name in systems:
            mean, median = statistics.fmean(samples[name]), statistics.median(samples[name])
            print(f"| {load} | {name} | {mean * 1e3:.3f} | {median * 1e3:.3f} | "
                  f"{base / mean:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
