"""Loading a built library with cffi (ABI mode) and handing it scipy's BLAS.

Each library exports `tr_entry` (the graph's VM entry, arity depends on the
graph's inputs and outputs) and `tr_set_blas`, which receives the dgemm/sgemm
function pointers of the OpenBLAS that scipy ships, taken from the PyCapsules
of scipy.linalg.cython_blas.
"""
from __future__ import annotations

import ctypes
import os
import threading
from typing import Any

import cffi

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
                 "void tr_set_blas(void *, void *, void *, void *, void *);")
        _ffis[(n_in, n_out)] = ffi
    return ffi


def _capsule_pointer(capsule: Any) -> int:
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return int(get_pointer(capsule, get_name(capsule)))


class _DlInfo(ctypes.Structure):
    _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]


def _threads_local_pointer(blas_function: int) -> int:
    """`openblas_set_num_threads_local` of the library holding `blas_function` (found with
    dladdr), or 0 where there is none (another BLAS, an OpenBLAS before 0.3.27)."""
    try:
        libc = ctypes.CDLL(None)
        info = _DlInfo()
        if not libc.dladdr(ctypes.c_void_p(blas_function), ctypes.byref(info)) or not info.fname:
            return 0
        function = ctypes.CDLL(info.fname.decode()).openblas_set_num_threads_local
    except (OSError, AttributeError):
        return 0
    return int(ctypes.cast(function, ctypes.c_void_p).value or 0)


def blas_pointers() -> tuple[int, int, int, int, int]:
    """(dgemm, sgemm, dgemv, sgemv, openblas_set_num_threads_local or 0) addresses in
    scipy's bundled OpenBLAS."""
    global _blas
    if _blas is None:
        from scipy.linalg import cython_blas

        capi = cython_blas.__pyx_capi__
        functions = [_capsule_pointer(capi[name]) for name in ("dgemm", "sgemm", "dgemv", "sgemv")]
        _blas = (*functions, _threads_local_pointer(functions[0]))
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
            lib.tr_set_blas(*[ffi.cast("void *", p) for p in blas_pointers()])
            _loaded[key] = lib
    return ffi, lib
