"""New process to the first result: cold cache and warm cache, four programs, every system.

Each sample starts a child process (first_result_child.py) that builds one program
(first_programs.py: the MLP 784-500-10 SGD step, softmax cross-entropy + gradient, the
Rosenbrock hvp at n = 1e6, a 100-step Python-loop RNN's gradient) and computes its first
result; the child reports the seconds from building to that result (Python start-up,
imports and making the inputs excluded). `cold`: every sample gets an empty cache folder
(tracer's TRACER_CACHE_DIR, jax's persistent compilation cache, PyTensor's compiledir,
torch.compile's inductor cache). `warm`: the folder was filled by an earlier process (for
tracer, one that waited for its compiler). "tracer (wait)" waits for the C compiler on
the first call (TRACER_BACKGROUND_COMPILE=0); "tracer (background)" answers the first call
with the reference executor while the module builds (the default). numpy's row is the
same first call written in numpy: the time to beat. Results are checked against numpy's.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from ..harness.core import Bench, Case, Group, Reported
from .cold_start import _env
from .first_programs import PROGRAMS

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "first_result_child.py")
SYSTEMS = ("numpy", "tracer (wait)", "tracer (background)", "jax", "pytensor", "torch.compile")
TIMEOUT_S = 1200


def run_child(program: str, system: str, cache_dir: str, backend: str | None,
              background: bool | None = None) -> Reported:
    env = _env(cache_dir)
    if background is None:
        background = system == "tracer (background)"
    env["TRACER_BACKGROUND_COMPILE"] = "1" if background else "0"
    cmd = [sys.executable, CHILD, program, system, cache_dir, backend or "default"]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"no first result within {TIMEOUT_S} s") from None
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"child exited {proc.returncode}: {tail}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return Reported(out["seconds"], np.array(out["summary"]))


def _fresh_dir(ctx) -> str:
    return tempfile.mkdtemp(prefix="first-", dir=ctx.scratch)


def cold_builder(program: str, system: str):
    def build(inp, ctx):
        def call() -> Reported:
            folder = _fresh_dir(ctx)
            try:
                return run_child(program, system, folder, ctx.backend)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        return Bench(fn=call)
    return build


def warm_builder(program: str, system: str):
    def build(inp, ctx):
        folder = _fresh_dir(ctx)
        first = run_child(program, system, folder, ctx.backend, background=False)   # fills it
        return Bench(fn=lambda: run_child(program, system, folder, ctx.backend),
                     check=lambda: first)
    return build


def cases(ctx):
    common = dict(unit="s", to_unit=lambda s: s, setup=lambda: None, rtol=1e-6, repeat=2,
                  warmup=False)
    out = []
    for program in PROGRAMS:
        for kind, builder in (("cold", cold_builder), ("warm", warm_builder)):
            out.append(Case(name=f"first_result/{program}/{kind}",
                            description=f"{program}: new process, {kind} cache, first result",
                            builders={s: builder(program, s) for s in SYSTEMS}, **common))
    return out


GROUP = Group(name="first_result", description="new process to the first result (cold/warm)",
              cases=cases)
