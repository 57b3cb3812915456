"""Child of the cold-start workload: in a new process, build the MLP 784-500-10 SGD step
(batch 60, float64) for one system and take one step; print JSON with the seconds that took.

    python benchmarks/workloads/cold_start_child.py SYSTEM CACHE_DIR [BACKEND]

The caches point into CACHE_DIR (set by the parent: TRACER_CACHE_DIR, PyTensor's
base_compiledir, TORCHINDUCTOR_CACHE_DIR; jax's persistent cache is set here).
"""
from __future__ import annotations

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main() -> None:
    system, cache_dir = sys.argv[1], sys.argv[2]
    backend = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "default" else None
    t0 = time.perf_counter()
    from benchmarks.harness import systems
    from benchmarks.harness.core import Context
    from benchmarks.workloads import mlp, mlp_sgd
    systems.load(systems.peer_of(system))
    if system == "jax":
        jax = systems.load("jax")[0]
        jax.config.update("jax_compilation_cache_dir", os.path.join(cache_dir, "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    inputs = mlp.init((784, 500, 10), 60, "float64")
    t1 = time.perf_counter()
    builder = {"numpy": mlp_sgd.numpy_, "tracer": mlp_sgd.tracer_, "jax": mlp_sgd.jax_,
               "pytensor": mlp_sgd.pytensor_, "torch.compile": mlp_sgd.torch_compile_}[system]
    bench = builder(inputs, Context(backend=backend, scratch=cache_dir))
    deltas = bench.check()
    t2 = time.perf_counter()
    summary = [[float(abs(d).sum()), float(d.sum())] for d in deltas]
    print(json.dumps({"seconds": t2 - t1, "import_s": t1 - t0, "summary": summary}))


if __name__ == "__main__":
    main()
