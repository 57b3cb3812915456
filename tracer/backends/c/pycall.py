"""A compiled graph's whole fast call in C, through the Python and numpy C APIs.

A call through cffi converts each array argument (from_buffer), allocates outputs with
np.empty and crosses libffi: about 2 us for a 2-op function on 10 elements. One small
helper library, the same for every graph (built once per compiler, Python and numpy,
then cached like any module), makes for each executable a builtin `call(args_tuple)`
that checks every argument against the traced type and takes it as it comes: an exact
ndarray of the dtype number, native byte order, aligned, the traced shape and any
strides in whole elements (passed to the entry as they are: generated code takes
strides at run time), or for a 0-d leaf a numpy scalar of the dtype, or for a weak
leaf (a Python scalar when traced) a Python float, int (within int64) or bool of exactly
that type, its value stored on the C stack. It allocates the outputs with numpy's C
API, runs the module's `tr_entry_v` (render_module.py: tr_entry with its pointers in
one array) without the GIL, and returns the only output or `finish(outputs)`. It
returns None for any other arguments, so the caller falls back to its general path; an
error code from the entry goes to `fail(rc, args, detail)`, detail being the entry's
four int64 of error detail, which live on this call's C stack (concurrent calls each
have their own).

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

SOURCE = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <numpy/arrayscalars.h>
#include <stdint.h>

typedef int (*tr_entry_v_t)(const int64_t *, const int64_t *, int64_t *, int, void *const *);

/* meta = [n_in, n_out, (dtype number, rank, kind) per input, (dtype number, rank) per
   output]; kind: 0 an ndarray, 1 a Python scalar (a weak leaf: float, int or bool),
   2 an ndarray or a numpy scalar of the dtype (a 0-d leaf); want = per input its shape,
   per output its shape */
typedef struct {
    tr_entry_v_t entry;
    const int64_t *S, *meta, *want;
    PyObject *threads, *finish, *fail, *keep;
    PyTypeObject **scalar_type;         /* per input: the numpy scalar type (kind 2) */
    int *shift;                         /* per input: log2 of its itemsize */
    int64_t ranks;                      /* the inputs' ranks, summed */
} tr_py_state;

#define TR_PY_STACK 64
#define TR_PY_RANKS 256

static void tr_py_free(PyObject *capsule) {
    tr_py_state *st = (tr_py_state *)PyCapsule_GetPointer(capsule, "tr_py_state");
    if (!st) return;
    Py_XDECREF(st->threads); Py_XDECREF(st->finish); Py_XDECREF(st->fail); Py_XDECREF(st->keep);
    free(st->scalar_type);
    free(st->shift);
    free(st);
}

/* An ndarray of exactly type `num`, rank `r`, shape want[0:r], native byte order, aligned,
   any strides in whole elements (the generated code takes strides at run time): its data
   pointer, its strides in elements into st; NULL when it is anything else. */
static void *tr_py_array(PyObject *o, int64_t num, int64_t r, const int64_t *want, int shift,
                         int64_t *st) {
    if (Py_TYPE(o) != &PyArray_Type) return NULL;
    PyArrayObject *a = (PyArrayObject *)o;
    if (PyArray_TYPE(a) != num || PyArray_NDIM(a) != r || !PyArray_ISNOTSWAPPED(a)
        || !PyArray_ISALIGNED(a)) return NULL;
    const npy_intp *n = PyArray_DIMS(a), *s = PyArray_STRIDES(a);
    npy_intp mask = ((npy_intp)1 << shift) - 1;      /* itemsizes are powers of two */
    for (int64_t d = 0; d < r; d++) {
        if (n[d] != want[d] || (s[d] & mask)) return NULL;
        st[d] = s[d] >> shift;
    }
    return PyArray_DATA(a);
}

/* A scalar argument stored into `slot`: a Python float, int or bool for a weak leaf
   (its exact type, as the trace saw it), a numpy scalar of the dtype for a 0-d leaf. */
static int tr_py_scalar(PyObject *o, int64_t num, int64_t kind, PyTypeObject *type,
                        int64_t *slot) {
    if (kind == 2) {
        if (Py_TYPE(o) != type) return 0;
        PyArray_ScalarAsCtype(o, slot);
        return 1;
    }
    if (num == NPY_DOUBLE && PyFloat_CheckExact(o)) {
        double v = PyFloat_AS_DOUBLE(o);
        memcpy(slot, &v, sizeof v);
        return 1;
    }
    if (num == NPY_BOOL && PyBool_Check(o)) {
        *(npy_bool *)slot = o == Py_True;
        return 1;
    }
    if ((num == NPY_LONG || num == NPY_LONGLONG) && PyLong_CheckExact(o)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow || (v == -1 && PyErr_Occurred())) { PyErr_Clear(); return 0; }
        *slot = (int64_t)v;
        return 1;
    }
    return 0;
}

static PyObject *tr_py_call(PyObject *self, PyObject *args) {
    tr_py_state *st = (tr_py_state *)PyCapsule_GetPointer(self, "tr_py_state");
    if (!st) return NULL;
    int64_t n_in = st->meta[0], n_out = st->meta[1];
    if (!PyTuple_CheckExact(args) || PyTuple_GET_SIZE(args) != n_in) Py_RETURN_NONE;
    void *stack_ptrs[TR_PY_STACK];
    PyObject *stack_outs[TR_PY_STACK];
    int64_t stack_scalars[TR_PY_STACK], stack_strides[TR_PY_RANKS];
    int big = n_in + n_out > TR_PY_STACK;
    void **ptrs = big ? (void **)malloc((size_t)(n_in + n_out) * sizeof(void *)) : stack_ptrs;
    PyObject **outs = big ? (PyObject **)calloc((size_t)n_out + 1, sizeof(PyObject *)) : stack_outs;
    int64_t *scalars = big ? (int64_t *)malloc((size_t)n_in * sizeof(int64_t) + 8) : stack_scalars;
    const int64_t *type, *want = st->want;
    int64_t *ST = st->ranks > TR_PY_RANKS ? (int64_t *)malloc((size_t)st->ranks * sizeof(int64_t))
                                          : stack_strides;
    PyObject *result = NULL;
    if (outs) for (int64_t j = 0; j < n_out; j++) outs[j] = NULL;
    if (!ptrs || !outs || !scalars || !ST) { PyErr_NoMemory(); goto done; }
    type = st->meta + 2;
    int64_t *sp = ST;
    for (int64_t i = 0; i < n_in; i++, type += 3) {
        PyObject *o = PyTuple_GET_ITEM(args, i);
        ptrs[i] = type[2] == 1 ? NULL : tr_py_array(o, type[0], type[1], want, st->shift[i], sp);
        if (!ptrs[i]) {
            if (!type[2] || !tr_py_scalar(o, type[0], type[2], st->scalar_type[i], scalars + i)) {
                result = Py_None;
                Py_INCREF(result);
                goto done;
            }
            ptrs[i] = scalars + i;
        }
        want += type[1];
        sp += type[1];
    }
    for (int64_t j = 0; j < n_out; j++, type += 2) {
        outs[j] = PyArray_New(&PyArray_Type, (int)type[1], type[1] ? (npy_intp *)want : NULL,
                              (int)type[0], NULL, NULL, 0, 0, NULL);
        if (!outs[j]) goto done;
        ptrs[n_in + j] = PyArray_DATA((PyArrayObject *)outs[j]);
        want += type[1];
    }
    int nt = (int)PyLong_AsLong(PyList_GET_ITEM(st->threads, 0)), rc;
    int64_t E[4] = {0, 0, 0, 0};       /* this call's error detail */
    Py_BEGIN_ALLOW_THREADS
    rc = st->entry(st->S, ST, E, nt, ptrs);
    Py_END_ALLOW_THREADS
    if (rc) {
        result = PyObject_CallFunction(st->fail, "iO(LLLL)", rc, args, (long long)E[0],
                                       (long long)E[1], (long long)E[2], (long long)E[3]);
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
    if (big) { free(ptrs); free(outs); free(scalars); }
    if (ST != stack_strides) free(ST);
    return result;
}

static PyMethodDef tr_py_def = {"call", (PyCFunction)tr_py_call, METH_O,
                                "the compiled call for exactly the traced argument types"};

PyObject *tr_py_make(void *entry, const int64_t *S, const int64_t *meta, const int64_t *want,
                     PyObject *threads, PyObject *finish, PyObject *fail, PyObject *keep) {
    if (PyArray_API == NULL && _import_array() < 0) return NULL;
    tr_py_state *st = (tr_py_state *)calloc(1, sizeof(tr_py_state));
    if (!st) return PyErr_NoMemory();
    int64_t n_in = meta[0];
    st->scalar_type = (PyTypeObject **)calloc((size_t)n_in + 1, sizeof(PyTypeObject *));
    st->shift = (int *)calloc((size_t)n_in + 1, sizeof(int));
    if (!st->scalar_type || !st->shift) {
        free(st->scalar_type); free(st->shift); free(st);
        return PyErr_NoMemory();
    }
    for (int64_t i = 0; i < n_in; i++) {
        PyArray_Descr *descr = PyArray_DescrFromType((int)meta[2 + 3 * i]);
        if (!descr) { free(st->scalar_type); free(st->shift); free(st); return NULL; }
        int size = (int)PyDataType_ELSIZE(descr);
        Py_DECREF(descr);
        while ((1 << st->shift[i]) < size) st->shift[i]++;
        st->ranks += meta[2 + 3 * i + 1];
        if (meta[2 + 3 * i + 2] == 2) {      /* borrowed: numpy's scalar types are static */
            PyTypeObject *t = PyArray_TypeObjectFromType((int)meta[2 + 3 * i]);
            Py_XDECREF(t);
            st->scalar_type[i] = t;
        }
    }
    st->entry = (tr_entry_v_t)entry;
    st->S = S; st->meta = meta; st->want = want;
    Py_INCREF(threads); Py_INCREF(finish); Py_INCREF(fail); Py_INCREF(keep);
    st->threads = threads; st->finish = finish; st->fail = fail; st->keep = keep;
    PyObject *capsule = PyCapsule_New(st, "tr_py_state", tr_py_free);
    if (!capsule) {
        Py_DECREF(threads); Py_DECREF(finish); Py_DECREF(fail); Py_DECREF(keep);
        free(st->scalar_type);
        free(st->shift);
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
        path = compiled_library(SOURCE, compiler=compiler, flags=flags + includes,
                                kind="helper")
        make = ctypes.PyDLL(path).tr_py_make
    except (CompileError, OSError, AttributeError):
        return None
    make.argtypes = [ctypes.c_void_p] * 4 + [ctypes.py_object] * 4
    make.restype = ctypes.py_object
    return make


def maker(compiler: list[str], flags: list[str]) -> Any:
    """The helper's `tr_py_make` (built with the modules' compiler and flags, and loaded,
    once per process), or None."""
    with _lock:
        if not _maker:
            _maker.append(_load(compiler, flags))
        return _maker[0]


def native_call(make: Any, entry_v: int, table: np.ndarray, in_types: Sequence[TensorType],
                out_types: Sequence[TensorType], threads: list[int],
                finish: Callable[[list], Any] | None, fail: Callable[[int, tuple, tuple], Any],
                keep: Any, weak: Sequence[bool] = ()) -> Callable[[tuple], Any]:
    """The builtin call for one executable (see the module docstring); `weak[i]`: input i
    is a Python scalar of the trace (a float, int or bool: exactly that type is taken)."""
    meta, want = [len(in_types), len(out_types)], []
    for i, t in enumerate(in_types):
        kind = 1 if i < len(weak) and weak[i] else 2 if t.ndim == 0 else 0
        meta += [t.dtype.num, t.ndim, kind]
        want += list(t.shape)
    for t in out_types:
        meta += [t.dtype.num, t.ndim]
        want += list(t.shape)
    meta_arr, want_arr = np.array(meta, np.int64), np.array(want + [0], np.int64)
    owners = (meta_arr, want_arr, table, keep)
    return make(entry_v, table.ctypes.data, meta_arr.ctypes.data, want_arr.ctypes.data,
                threads, finish, fail, owners)
