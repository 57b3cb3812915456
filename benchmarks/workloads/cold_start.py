"""(g) A new process's first MLP training step: cold cache, then warm on-disk cache.

Each sample starts a child process (cold_start_child.py) that builds the SGD step of the
MLP 784-500-10 (batch 60, float64) and takes one step; the child reports the seconds from
building to the first result (Python start-up and library imports excluded). `cold`: every
sample gets an empty cache folder (tracer's TRACER_CACHE_DIR, jax's persistent compilation
cache, PyTensor's compiledir, torch.compile's inductor cache). `warm`: the folder was filled
by an earlier process. The first step's update is checked against numpy's.
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
from ..harness.systems import configure_env

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cold_start_child.py")
SYSTEMS = ("numpy", "tracer", "jax", "pytensor", "torch.compile")


def _env(cache_dir: str) -> dict[str, str]:
    configure_env()
    env = dict(os.environ)
    flags = env.get("PYTENSOR_FLAGS", "")
    env["PYTENSOR_FLAGS"] = ",".join(f for f in (flags, f"base_compiledir={cache_dir}/pytensor")
                                     if f)
    env["TRACER_CACHE_DIR"] = os.path.join(cache_dir, "tracer")
    env["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(cache_dir, "inductor")
    env["TRITON_CACHE_DIR"] = os.path.join(cache_dir, "triton")
    return env


def run_child(system: str, cache_dir: str, backend: str | None) -> Reported:
    cmd = [sys.executable, CHILD, system, cache_dir, backend or "default"]
    proc = subprocess.run(cmd, env=_env(cache_dir), capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"child exited {proc.returncode}: {tail}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return Reported(out["seconds"], np.array(out["summary"]))


def _fresh_dir(ctx) -> str:
    return tempfile.mkdtemp(prefix="cold-", dir=ctx.scratch)


def cold_builder(system: str):
    def build(inp, ctx):
        def call() -> Reported:
            folder = _fresh_dir(ctx)
            try:
                return run_child(system, folder, ctx.backend)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        return Bench(fn=call)
    return build


def warm_builder(system: str):
    def build(inp, ctx):
        folder = _fresh_dir(ctx)
        first = run_child(system, folder, ctx.backend)   # fills the cache
        return Bench(fn=lambda: run_child(system, folder, ctx.backend), check=lambda: first)
    return build


def cases(ctx):
    common = dict(unit="s", to_unit=lambda s: s, setup=lambda: None, rtol=1e-6, repeat=2,
                  warmup=False)
    return [
        Case(name="cold_start/cold", description="new process, empty cache: build + first step",
             builders={s: cold_builder(s) for s in SYSTEMS}, **common),
        Case(name="cold_start/warm", description="new process, warm cache: build + first step",
             builders={s: warm_builder(s) for s in SYSTEMS}, **common),
    ]


GROUP = Group(name="cold_start", description="new process to first MLP 784-500-10 SGD step",
              cases=cases)
