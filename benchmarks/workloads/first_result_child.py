"""Child of the first-result workload: in a new process, build one program for one system
and compute its first result; print JSON with the seconds from building to that result.

    python benchmarks/workloads/first_result_child.py PROGRAM SYSTEM CACHE_DIR [BACKEND]

SYSTEM "tracer (wait)" waits for the C compiler; "tracer (background)" runs the first
call on the reference executor while the module builds (the parent sets
TRACER_BACKGROUND_COMPILE). Imports and making the inputs are not timed. The caches point
into CACHE_DIR (set by the parent; jax's persistent cache is set here). A tracer child
waits, untimed, for any background build to end before it exits, so no compiler outlives
a sample.
"""
from __future__ import annotations

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main() -> None:
    program, system, cache_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    backend = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] != "default" else None
    from benchmarks.harness import systems
    from benchmarks.harness.core import Context
    from benchmarks.workloads import first_programs
    peer = systems.peer_of(system)
    systems.load(peer)
    if peer == "jax":
        jax = systems.load("jax")[0]
        jax.config.update("jax_compilation_cache_dir", os.path.join(cache_dir, "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    first = first_programs.MAKERS[program](peer, Context(backend=backend, scratch=cache_dir))
    t0 = time.perf_counter()
    result = first()
    seconds = time.perf_counter() - t0
    summary = [[float(abs(r).sum()), float(r.sum())] for r in result]
    print(json.dumps({"seconds": seconds, "summary": summary}), flush=True)
    if peer == "tracer":
        from tracer.backends.c.background import wait_idle
        wait_idle(900)


if __name__ == "__main__":
    main()
