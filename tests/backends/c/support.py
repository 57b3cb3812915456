"""Shared pieces of the C backend tests: building graphs, strided inputs, comparing."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from tracer.backends.c import compile_graph
from tracer.backends.python import compile_graph as compile_reference
from tracer.ir import Graph, Node, make_param, tensor_type

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")
needs_peak_reset = pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                                      reason="measures with Linux's clear_refs and VmHWM")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

_PEAK = """
def _status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))
def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status("VmRSS:")
def peak():
    return _status("VmHWM:")
"""


def peak_in_child(code: str, *argv: str) -> float:
    """Run `code` in a new process, with `reset_peak()` (the resident size now, the peak
    reset to it) and `peak()` defined, and return the float it prints. A child's peak RSS
    starts at its parent's (Linux keeps the high-water mark across fork and exec), so a
    measurement starts with a reset, never from ru_maxrss."""
    done = subprocess.run([sys.executable, "-c", _PEAK + textwrap.dedent(code), *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=ROOT, TRACER_BACKGROUND_COMPILE="0"))
    assert done.returncode == 0, done.stderr
    return float(done.stdout.strip())

ALL_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
              "float32", "float64"]
FLOAT_SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 2.5, 3.0, -7.0,
                  1e-3, 0.999, 1e10, -1e10, 88.0, -100.0, 1.5, 1e-310]


def params(*types: tuple[str, tuple[int, ...]]) -> list[Node]:
    return [make_param(tensor_type(dt, sh), f"p{i}") for i, (dt, sh) in enumerate(types)]


def graph(inputs: Sequence[Node], outputs: Sequence[Node]) -> Graph:
    return Graph(tuple(inputs), tuple(outputs))


def specials(dtype: str) -> np.ndarray:
    """Edge values of dtype: NaN/inf/signed zero for floats, limits and shift widths for ints."""
    dt = np.dtype(dtype)
    if dt.kind == "f":
        with np.errstate(over="ignore"):      # 1e10 is inf in float16
            return np.array(FLOAT_SPECIALS, dtype=dt)
    if dt.kind == "b":
        return np.array([False, True])
    info = np.iinfo(dt)
    vals = [0, 1, 2, 3, 7, 8, 9, 31, 33, 63, 64, 65, info.max, info.min, info.max - 1]
    if dt.kind == "i":
        vals += [-1, -2, -3, -7, -8, -64, info.min + 1]
    return np.array([v for v in vals if info.min <= v <= info.max], dtype=dt)


def strided(arr: np.ndarray, how: str) -> np.ndarray:
    """The same values as `arr` laid out non-contiguously ('neg', 'step', 'T', 'c')."""
    if how == "c" or arr.ndim == 0:
        return arr.copy()
    if how == "neg":
        base = np.empty_like(arr)
        flipped = base[(slice(None, None, -1),) * arr.ndim]
        flipped[...] = arr
        return flipped
    if how == "step":
        base = np.zeros(tuple(2 * d for d in arr.shape), arr.dtype)
        view = base[(slice(None, None, 2),) * arr.ndim]
        view[...] = arr
        return view
    if how == "T":
        return np.ascontiguousarray(arr.T).T
    raise ValueError(how)


def run_both(g: Graph, inputs: Sequence[np.ndarray]) -> tuple[list, list]:
    want = compile_reference(g)([np.copy(x) for x in inputs])
    before = [np.copy(x) for x in inputs]
    got = compile_graph(g)(list(inputs))
    for x, b in zip(inputs, before):
        np.testing.assert_array_equal(x, b)  # inputs never written
    return got, want


def check(g: Graph, inputs: Sequence[np.ndarray], rtol: float | None = None,
          atol: float = 0.0) -> list:
    got, want = run_both(g, inputs)
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        b = np.asarray(b)
        assert isinstance(a, np.ndarray), f"output {k} is {type(a)}"
        assert a.dtype == b.dtype, f"output {k} ({g.outputs[k].op.value}): dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"output {k} ({g.outputs[k].op.value}): shape {a.shape} != {b.shape}"
        if b.dtype.kind == "f":
            tol = rtol if rtol is not None else (2e-5 if b.dtype == np.float32 else 1e-12)
            np.testing.assert_allclose(a, b, rtol=tol, atol=atol, equal_nan=True,
                                       err_msg=f"output {k}: {g.outputs[k].op.value}")
        else:
            np.testing.assert_array_equal(a, b, err_msg=f"output {k}: {g.outputs[k].op.value}")
    return got


Builder = Callable[..., Sequence[Node]]
