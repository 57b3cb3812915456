"""scipy functions written over array_namespace trace without SCIPY_ARRAY_API (the flag
is on only while tracing: tracer/trace/scipy_arrays.py)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

import tracer as tr
from tests.helpers import assert_same
from tracer.trace import scipy_arrays


def _flag():
    found = scipy_arrays._globals()
    return None if found is None else found["SCIPY_ARRAY_API"]


def rosen_all(x, p):
    return so.rosen(x), so.rosen_der(x), so.rosen_hess_prod(x, p)


@pytest.mark.parametrize("backend", ["python", "c"])
def test_rosen_and_its_derivatives_trace(backend):
    rng = np.random.default_rng(0)
    x, p = rng.random(7), rng.random(7)
    before = _flag()
    assert_same(tr.compile(rosen_all, backend=backend, wait=True)(x, p), rosen_all(x, p),
                rtol=1e-14)
    assert _flag() == before        # restored after the trace
    grad = tr.compile(tr.grad(so.rosen), wait=True)(x)
    np.testing.assert_allclose(grad, so.rosen_der(x), rtol=1e-12)


def test_the_flag_is_restored_when_a_trace_fails():
    before = _flag()

    def bad(x):
        so.rosen(x)
        raise RuntimeError("user error")
    with pytest.raises(RuntimeError, match="user error"):
        tr.compile(bad)(np.ones(3))
    assert _flag() == before
