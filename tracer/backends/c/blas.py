"""Which BLAS the generated code calls, and the function pointers it is handed.

Two OpenBLAS builds are usually loaded already: scipy's (32-bit integers, reached
through the PyCapsules of scipy.linalg.cython_blas) and numpy's (`scipy_openblas64_`,
64-bit integers, `scipy_dgemm_64_` ...). They are often of different releases, and
a newer one can be much faster: numpy's 0.3.31 runs sgemm with a few rows 1.5-2.6x
faster than scipy's 0.3.30 on this machine (an MLP's batch-10 forward product).
`choose()` takes the newer release, scipy's on a tie or where numpy's is not found;
`TRACER_BLAS=scipy|numpy` forces one. Generated code takes either: the prelude's
`tr_*_call` wrappers widen the integer arguments when the chosen one is 64-bit.
"""
from __future__ import annotations

import ctypes
import glob
import os
import re
from dataclasses import dataclass

ROUTINES = ("dgemm", "sgemm", "dgemv", "sgemv")


@dataclass(frozen=True)
class Blas:
    name: str                       # "scipy" or "numpy": whose bundled OpenBLAS
    version: tuple[int, ...]        # OpenBLAS release, () when unknown
    pointers: tuple[int, ...]       # addresses of ROUTINES, in that order
    threads_local: int              # openblas_set_num_threads_local, or 0
    ilp64: bool                     # integer arguments are int64


class _DlInfo(ctypes.Structure):
    _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]


def library_path(address: int) -> str | None:
    """The shared library holding `address` (dladdr), or None."""
    info = _DlInfo()
    try:
        found = ctypes.CDLL(None).dladdr(ctypes.c_void_p(address), ctypes.byref(info))
    except (OSError, AttributeError):
        return None
    return info.fname.decode() if found and info.fname else None


def _address(lib: ctypes.CDLL, symbol: str) -> int:
    try:
        return int(ctypes.cast(getattr(lib, symbol), ctypes.c_void_p).value or 0)
    except AttributeError:
        return 0


def _version(lib: ctypes.CDLL, symbol: str) -> tuple[int, ...]:
    """(0, 3, 31) from OpenBLAS's config string 'OpenBLAS 0.3.31.188.0 ...'."""
    try:
        get = getattr(lib, symbol)
    except AttributeError:
        return ()
    get.restype = ctypes.c_char_p
    found = re.match(rb"OpenBLAS (\d+)\.(\d+)\.(\d+)", get() or b"")
    return tuple(int(g) for g in found.groups()) if found else ()


def _capsule_pointer(capsule) -> int:
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return int(get_pointer(capsule, get_name(capsule)))


def scipy_blas() -> Blas:
    """scipy's bundled BLAS, through scipy.linalg.cython_blas (always present)."""
    from scipy.linalg import cython_blas

    capi = cython_blas.__pyx_capi__
    pointers = tuple(_capsule_pointer(capi[name]) for name in ROUTINES)
    path = library_path(pointers[0])
    lib = _open(path) if path else None
    threads = _address(lib, "openblas_set_num_threads_local") if lib else 0
    version = _version(lib, "scipy_openblas_get_config") if lib else ()
    return Blas("scipy", version, pointers, threads, ilp64=False)


def numpy_blas() -> Blas | None:
    """numpy's bundled ILP64 OpenBLAS (numpy.libs/libscipy_openblas64_*.so), or None."""
    import numpy

    here = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
    for path in sorted(glob.glob(os.path.join(here, "numpy.libs", "libscipy_openblas64_*.so"))):
        lib = _open(path)
        if lib is None:
            continue
        pointers = tuple(_address(lib, f"scipy_{name}_64_") for name in ROUTINES)
        if all(pointers):
            return Blas("numpy", _version(lib, "scipy_openblas_get_config64_"), pointers,
                        _address(lib, "openblas_set_num_threads_local"), ilp64=True)
    return None


def _open(path: str) -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(path)
    except OSError:
        return None


def choose() -> Blas:
    """The BLAS to hand generated code (see the module docstring)."""
    want = os.environ.get("TRACER_BLAS", "").strip().lower()
    if want not in ("", "auto", "scipy", "numpy"):
        raise ValueError(f"TRACER_BLAS must be 'scipy' or 'numpy', got {want!r}")
    scipy = scipy_blas()
    if want == "scipy":
        return scipy
    numpy = numpy_blas()
    if want == "numpy":
        if numpy is None:
            raise ValueError("TRACER_BLAS=numpy: numpy's bundled OpenBLAS was not found")
        return numpy
    if numpy is not None and scipy.version and numpy.version > scipy.version:
        return numpy
    return scipy
