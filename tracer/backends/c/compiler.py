"""The C compiler driver: which compiler, which flags, and building through the cache.

Optimization levels, chosen by measurement (benchmarks/RESULTS.md, "Time to first
result"): a module is built from object files (build.py), each with its own level.
- kernels and the runtime: `-O3`. -O2 was measured against it: it compiled a small
  fused kernel in ~85 ms instead of ~110 (most of a kernel file's cost is the compiler's
  start and the header, not optimization) and a pairwise sum in 0.23 s instead of 0.52,
  but the sum of 3e7 float64 ran 2.2x slower (8.6 ms against 4.0: gcc 12 vectorizes its
  accumulation loops only with -O3's cost model), a batch-1 SGD step of the 784-500-10
  MLP 13% slower (gemm_acc's outer-product update) and fused loops calling tanh 7-10%
  slower. A kernel is compiled once per machine (the kernel cache), so its run time
  wins. Splitting a module into objects costs nothing measurable at call time: the same
  graphs built as one translation unit at -O3 (kernels, runtime and entry inlinable
  into each other) ran within noise of the split build (SGD steps, small and large
  elementwise loops, strided reductions).
- the entry file: `-O0`. It is glue (one call per kernel, pointer arithmetic) that grows
  with the graph, and gcc's optimizer is superlinear in a function's size: the entry of
  a 200-step unrolled loop took 138 s of CPU at -O3, 62 s at -O1, 0.8 s at -O0 (40
  steps: 1.3 s at -O2, 0.09 s at -O0). A small entry (at most SMALL_ENTRY bytes: the
  functions whose call overhead matters) gets -O2: at -O0 `x*y + x` on 10 elements
  cost 23 ns more per call (0.468 against 0.445 us), and -O2 costs it a few ms once.
- parallel builds: the missing object files of a module are compiled at once, one
  compiler process each, on every core (every core but one in the background); see
  build.py. A cold SGD step built in 2.3-2.9 s on 2 cores, 3.7-4.0 s on one.
A precompiled header for the kernels' shared header was tried and dropped: an 8 MB
.gch saved under 10 ms of the ~50 ms a kernel file costs to start and parse.

Flags and why:
- `-march=native`: this CPU's instructions (AVX2/AVX-512 where present);
  the cache key includes the CPU target, so a library never moves to another CPU.
- `-fopenmp`: OpenMP threads for large loops, and `#pragma omp simd` (which
  also makes gcc vectorize loops whose bodies call math functions).
- `-fno-math-errno`: math functions need not set errno, so gcc may inline
  sqrt/floor/ceil/trunc/rint as SIMD instructions and call libmvec's vector
  versions of exp, log, sin, cos, tan, pow, tanh, ... (declared in the prelude).
- `-fno-trapping-math`: we never read floating-point exception flags, so gcc may
  if-convert selects and min/max into blends; NaN and inf results are unchanged.
- `-fwrapv`: signed overflow wraps as numpy's does (the prelude also computes
  integer arithmetic in unsigned types).
- `-ffp-contract=off`: no fused multiply-add where the source has a multiply and an
  add; numpy rounds each ufunc's result, so `a*b + c` stays bit-identical to numpy's.
- no `-ffast-math`: it would assume no NaN/inf and reassociate sums.
- `-Wl,--no-as-needed -lmvec -lm`: link glibc's vector math library even though
  the compiler driver lists libraries before the source file.
Extra flags (e.g. sanitizers) come from $TRACER_CFLAGS_EXTRA.
"""
from __future__ import annotations

import os
import shlex
import shutil

OPT = "-O3"
ENTRY_OPT: tuple[str, ...] = ("-O0",)
SMALL_ENTRY_OPT: tuple[str, ...] = ("-O2",)
SMALL_ENTRY = 12_000          # bytes of entry code (the header not counted)
KERNEL_OPT: tuple[str, ...] = ("-O3",)
RUNTIME_OPT: tuple[str, ...] = ("-O3",)
FLAGS = [OPT, "-march=native", "-std=gnu11", "-fPIC", "-shared", "-fopenmp",
         "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off", "-fwrapv", "-w"]
LIBS = ["-Wl,--no-as-needed", "-lmvec", "-lm"]


def find_compiler() -> list[str] | None:
    """`$CC` (split like a shell would), else `cc`; None when neither runs here."""
    command = shlex.split(os.environ.get("CC", "") or "cc")
    if not command or shutil.which(command[0]) is None:
        return None
    return command


def flags() -> list[str]:
    extra = shlex.split(os.environ.get("TRACER_CFLAGS_EXTRA", ""))
    return FLAGS + extra + LIBS


def object_flags(kind: str = "kernel") -> list[str]:
    """Flags of the runtime's and the kernels' object files (build.py): no -shared, and
    hidden symbols (runtime.py: a module exports only its TR_EXPORT functions)."""
    extra = shlex.split(os.environ.get("TRACER_CFLAGS_EXTRA", ""))
    level = RUNTIME_OPT if kind == "runtime" else KERNEL_OPT
    return (_with_level(level, [f for f in FLAGS if f != "-shared"])
            + ["-fvisibility=hidden"] + extra)


def _with_level(level: tuple[str, ...], flags: list[str]) -> list[str]:
    """`flags` with the optimization flags `level` in place of OPT."""
    out: list[str] = []
    for f in flags:
        out += list(level) if f == OPT else [f]
    return out


def link_flags(entry_bytes: int = 0) -> list[str]:
    """Flags of a module: its entry file compiled and linked with its objects. The entry
    is glue (pointer arithmetic and one call per kernel) that grows with the graph, and
    gcc's optimizer is superlinear in a function's size: -O0, but -O2 for an entry of at
    most SMALL_ENTRY bytes (see the docstring)."""
    extra = shlex.split(os.environ.get("TRACER_CFLAGS_EXTRA", ""))
    level = SMALL_ENTRY_OPT if entry_bytes <= SMALL_ENTRY else ENTRY_OPT
    return _with_level(level, FLAGS) + ["-fvisibility=hidden"] + extra + LIBS
