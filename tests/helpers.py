"""Shared checks: a compiled function against plain numpy, values, dtype and shape."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import tracer as tr
from tracer.trace import pytree


def assert_same(got: Any, want: Any, rtol: float = 1e-7, atol: float = 0.0) -> None:
    """Same pytree; each leaf the same dtype, shape and values (NaN == NaN)."""
    got_leaves, got_tree = pytree.flatten(got)
    want_leaves, want_tree = pytree.flatten(want)
    assert got_tree == want_tree, f"structure {got_tree} != {want_tree}"
    for g, w in zip(got_leaves, want_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype, f"dtype {g.dtype} != numpy's {w.dtype}"
        assert g.shape == w.shape, f"shape {g.shape} != numpy's {w.shape}"
        if w.dtype.kind == "f":
            tol = max(rtol, 1e-5 if w.dtype == np.float32 else 0.0)
            np.testing.assert_allclose(g, w, rtol=tol, atol=atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(g, w)


def check_against_numpy(fn: Callable[..., Any], *args: Any, rtol: float = 1e-7,
                        atol: float = 0.0, **compile_options: Any) -> Any:
    """Run fn compiled and plain on the same arguments; compare; return the result."""
    with np.errstate(all="ignore"):
        want = fn(*args)
    got = tr.compile(fn, **compile_options)(*args)
    assert_same(got, want, rtol=rtol, atol=atol)
    return got
