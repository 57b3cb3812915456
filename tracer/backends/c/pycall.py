"""A compiled graph's whole fast call in C, through the Python and numpy C APIs.

A call through cffi converts each array argument (from_buffer), allocates outputs with
np.empty and crosses libffi: about 2 us for a 2-op function on 10 elements. One small
helper library, the same for every graph (built once per compiler, Python and numpy,
then cached like any module), makes for each executable a builtin `call(args_tuple)`
that checks every argument against the traced type (exact ndarray, dtype number,
native byte order, aligned, the traced shape, C-contiguous strides along every axis
longer than 1), allocates the outputs with numpy's C API, runs the module's
`tr_entry_v` (render_module.py: tr_entry with its pointers in one array) without the
GIL, and returns the only output or `finish(outputs)`. It returns None for any other
arguments, so the caller falls back to its general path; an error code from the
entry goes to `fail(rc, args)`.

Where Python's or numpy's headers are missing, `available()` is False and calls take
the cffi path.
"""
from __future__ import annotations

import ctypes
import os
import sysconfig
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...cache import CompileError, compiled_library
from ...ir import TensorType
from ...vm.executable import c_strides

SOURCE = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <stdint.h>

typedef int (*tr_entry_v_t)(const int64_t *, const int64_t *, int64_t *, int, void *const *);

/* meta = [n_in, n_out, (dtype number, rank) per input, then per output];
   want = per input its shape then its C-contiguous byte strides, per output its shape */
typedef struct {
    tr_entry_v_t entry;
    const int64_t *S, *ST, *meta, *want;
    int64_t *E;
    PyObject *threads, *finish, *fail, *keep;
} tr_py_state;

#define TR_PY_STACK 64

static void tr_py_free(PyObject *capsule) {
    tr_py_state *st = (tr_py_state *)PyCapsule_GetPointer(capsule, "tr_py_state");
    if (!st) return;
    Py_XDECREF(st->threads); Py_XDECREF(st->finish); Py_XDECREF(st->fail); Py_XDECREF(st->keep);
    free(st);
}

/* An ndarray of exactly type `num`, rank `r`, shape want[0:r], native byte order, aligned,
   with the byte strides want[r:2r] along every axis longer than 1 (the generated code
   multiplies no other stride by a nonzero index; an empty array is never read)? */
static int tr_py_fits(PyObject *o, int64_t num, int64_t r, const int64_t *want) {
    if (Py_TYPE(o) != &PyArray_Type) return 0;
    PyArrayObject *a = (PyArrayObject *)o;
    if (PyArray_TYPE(a) != num || PyArray_NDIM(a) != r || !PyArray_ISNOTSWAPPED(a)
        || !PyArray_ISALIGNED(a)) return 0;
    const npy_intp *n = PyArray_DIMS(a), *s = PyArray_STRIDES(a);
    int empty = 0;
    for (int64_t d = 0; d < r; d++) {
        if (n[d] != want[d]) return 0;
        empty |= n[d] == 0;
    }
    if (!empty)
        for (int64_t d = 0; d < r; d++) if (n[d] > 1 && s[d] != want[r + d]) return 0;
    return 1;
}

static PyObject *tr_py_call(PyObject *self, PyObject *args) {
    tr_py_state *st = (tr_py_state *)PyCapsule_GetPointer(self, "tr_py_state");
    if (!st) return NULL;
    int64_t n_in = st->meta[0], n_out = st->meta[1];
    if (!PyTuple_CheckExact(args) || PyTuple_GET_SIZE(args) != n_in) Py_RETURN_NONE;
    const int64_t *type = st->meta + 2, *want = st->want;
    for (int64_t i = 0; i < n_in; i++, type += 2) {
        if (!tr_py_fits(PyTuple_GET_ITEM(args, i), type[0], type[1], want)) Py_RETURN_NONE;
        want += 2 * type[1];
    }
    void *stack_ptrs[TR_PY_STACK];
    PyObject *stack_outs[TR_PY_STACK];
    int big = n_in + n_out > TR_PY_STACK;
    void **ptrs = big ? (void **)malloc((size_t)(n_in + n_out) * sizeof(void *)) : stack_ptrs;
    PyObject **outs = big ? (PyObject **)calloc((size_t)n_out + 1, sizeof(PyObject *)) : stack_outs;
    PyObject *result = NULL;
    if (!ptrs || !outs) { PyErr_NoMemory(); goto done; }
    for (int64_t j = 0; j < n_out; j++) outs[j] = NULL;
    for (int64_t i = 0; i < n_in; i++)
        ptrs[i] = PyArray_DATA((PyArrayObject *)PyTuple_GET_ITEM(args, i));
    for (int64_t j = 0; j < n_out; j++, type += 2) {
        outs[j] = PyArray_New(&PyArray_Type, (int)type[1], type[1] ? (npy_intp *)want : NULL,
                              (int)type[0], NULL, NULL, 0, 0, NULL);
        if (!outs[j]) goto done;
        ptrs[n_in + j] = PyArray_DATA((PyArrayObject *)outs[j]);
        want += type[1];
    }
    int nt = (int)PyLong_AsLong(PyList_GET_ITEM(st->threads, 0)), rc;
    Py_BEGIN_ALLOW_THREADS
    rc = st->entry(st->S, st->ST, st->E, nt, ptrs);
    Py_END_ALLOW_THREADS
    if (rc) {
        result = PyObject_CallFunction(st->fail, "iO", rc, args);
    } else if (st->finish == Py_None && n_out == 1) {
        result = outs[0];
        outs[0] = NULL;
    } else {
        PyObject *list = PyList_New(n_out);
        if (!list) goto done;
        for (int64_t j = 0; j < n_out; j++) { PyList_SET_ITEM(list, j, outs[j]); outs[j] = NULL; }
        if (st->finish == Py_None) result = list;
        else { result = PyObject_CallOneArg(st->finish, list); Py_DECREF(list); }
    }
done:
    if (outs) for (int64_t j = 0; j < n_out; j++) Py_XDECREF(outs[j]);
    if (big) { free(ptrs); free(outs); }
    return result;
}

static PyMethodDef tr_py_def = {"call", (PyCFunction)tr_py_call, METH_O,
                                "the compiled call for exactly the traced argument types"};

PyObject *tr_py_make(void *entry, const int64_t *S, const int64_t *ST, int64_t *E,
                     const int64_t *meta, const int64_t *want, PyObject *threads,
                     PyObject *finish, PyObject *fail, PyObject *keep) {
    if (PyArray_API == NULL && _import_array() < 0) return NULL;
    tr_py_state *st = (tr_py_state *)malloc(sizeof(tr_py_state));
    if (!st) return PyErr_NoMemory();
    st->entry = (tr_entry_v_t)entry;
    st->S = S; st->ST = ST; st->E = E; st->meta = meta; st->want = want;
    Py_INCREF(threads); Py_INCREF(finish); Py_INCREF(fail); Py_INCREF(keep);
    st->threads = threads; st->finish = finish; st->fail = fail; st->keep = keep;
    PyObject *capsule = PyCapsule_New(st, "tr_py_state", tr_py_free);
    if (!capsule) {
        Py_DECREF(threads); Py_DECREF(finish); Py_DECREF(fail); Py_DECREF(keep);
        free(st);
        return NULL;
    }
    PyObject *fn = PyCFunction_New(&tr_py_def, capsule);
    Py_DECREF(capsule);
    return fn;
}
"""

_lock = threading.Lock()
_maker: list[Any] = []          # [tr_py_make or None], filled on first use


def _include_flags() -> list[str] | None:
    python_inc, numpy_inc = sysconfig.get_paths().get("include", ""), np.get_include()
    if not (os.path.exists(os.path.join(python_inc, "Python.h"))
            and os.path.exists(os.path.join(numpy_inc, "numpy", "arrayobject.h"))):
        return None
    # numpy's version as a define: a new numpy gets a new helper (its C API table)
    return [f"-DTR_NUMPY_VERSION={np.__version__}", "-I" + python_inc, "-I" + numpy_inc]


def _load(compiler: list[str], flags: list[str]) -> Any:
    includes = _include_flags()
    if includes is None:
        return None
    try:
        path = compiled_library(SOURCE, compiler=compiler, flags=flags + includes)
        make = ctypes.PyDLL(path).tr_py_make
    except (CompileError, OSError, AttributeError):
        return None
    make.argtypes = [ctypes.c_void_p] * 6 + [ctypes.py_object] * 4
    make.restype = ctypes.py_object
    return make


def maker(compiler: list[str], flags: list[str]) -> Any:
    """The helper's `tr_py_make` (built with the modules' compiler and flags, and loaded,
    once per process), or None."""
    with _lock:
        if not _maker:
            _maker.append(_load(compiler, flags))
        return _maker[0]


def native_call(make: Any, entry_v: int, table: np.ndarray, st_contig: np.ndarray,
                err: np.ndarray, in_types: Sequence[TensorType], out_types: Sequence[TensorType],
                threads: list[int], finish: Callable[[list], Any] | None,
                fail: Callable[[int, tuple], Any], keep: Any) -> Callable[[tuple], Any]:
    """The builtin call for one executable (see the module docstring)."""
    meta, want = [len(in_types), len(out_types)], []
    for t in in_types:
        meta += [t.dtype.num, t.ndim]
        want += [*t.shape, *c_strides(t.shape, t.dtype.itemsize)]
    for t in out_types:
        meta += [t.dtype.num, t.ndim]
        want += list(t.shape)
    meta_arr, want_arr = np.array(meta, np.int64), np.array(want + [0], np.int64)
    owners = (meta_arr, want_arr, table, st_contig, err, keep)
    return make(entry_v, table.ctypes.data, st_contig.ctypes.data, err.ctypes.data,
                meta_arr.ctypes.data, want_arr.ctypes.data, threads, finish, fail, owners)
