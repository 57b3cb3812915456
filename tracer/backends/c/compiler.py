"""The C compiler driver: which compiler, which flags, and building through the cache.

Flags and why:
- `-O3 -march=native`: full optimization for this CPU (AVX2/AVX-512 where present);
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

from ...cache import compiled_library

FLAGS = ["-O3", "-march=native", "-std=gnu11", "-fPIC", "-shared", "-fopenmp",
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


def build(source: str, compiler: list[str]) -> str:
    """Path of the shared library built from `source` (cached on disk across processes)."""
    return compiled_library(source, compiler=compiler, flags=flags())
