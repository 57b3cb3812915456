"""Loading a built library with cffi (ABI mode) and handing it a BLAS.

Each library exports `tr_entry` (the graph's VM entry, arity depends on the
graph's inputs and outputs) and `tr_set_blas`, which receives the BLAS function
pointers that blas.choose() picks (scipy's or numpy's bundled OpenBLAS).
"""
from __future__ import annotations

import os
import threading
from typing import Any

import cffi

from . import blas

_lock = threading.Lock()
_ffis: dict[tuple[int, int], cffi.FFI] = {}
_loaded: dict[tuple[str, int, int], Any] = {}
_blas: tuple[int, ...] | None = None


def _ffi_for(n_in: int, n_out: int) -> cffi.FFI:
    ffi = _ffis.get((n_in, n_out))
    if ffi is None:
        ffi = cffi.FFI()
        args = "".join(", void *" for _ in range(n_in + n_out))
        ffi.cdef(f"int tr_entry(const int64_t *, const int64_t *, int64_t *, int{args});\n"
                 "int tr_entry_v(const int64_t *, const int64_t *, int64_t *, int, void *const *);\n"
                 "void tr_set_blas(void *, void *, void *, void *, void *, int);")
        _ffis[(n_in, n_out)] = ffi
    return ffi


def blas_pointers() -> tuple[int, ...]:
    """(dgemm, sgemm, dgemv, sgemv, openblas_set_num_threads_local or 0, ilp64) of the
    BLAS that blas.choose() picks, chosen once per process."""
    global _blas
    if _blas is None:
        chosen = blas.choose()
        _blas = (*chosen.pointers, chosen.threads_local, int(chosen.ilp64))
    return _blas


def _short_omp_spin() -> None:
    """Idle OpenMP workers spin ~0.3 ms by default and then slow the BLAS call that
    follows (its threads share the cores); spin briefly instead, unless the user chose.
    libgomp reads this when the first library loads it, so set it before dlopen."""
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = "10000"


def load(path: str, n_in: int, n_out: int) -> tuple[cffi.FFI, Any]:
    """(ffi, lib) for the library at `path`, BLAS installed; loaded once per process."""
    _short_omp_spin()
    key = (path, n_in, n_out)
    with _lock:
        lib = _loaded.get(key)
        ffi = _ffi_for(n_in, n_out)
        if lib is None:
            lib = ffi.dlopen(path)
            *pointers, ilp64 = blas_pointers()
            lib.tr_set_blas(*[ffi.cast("void *", p) for p in pointers], ilp64)
            _loaded[key] = lib
    return ffi, lib
