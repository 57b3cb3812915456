"""blas.py: the newer of scipy's and numpy's bundled OpenBLAS is chosen, TRACER_BLAS
forces one, and generated code gives numpy's products through either interface
(32-bit integers for scipy's, 64-bit for numpy's)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tracer.backends.c import blas

from .support import needs_cc

PRODUCTS = r"""
import json, sys
import numpy as np
import tracer as tr
from tracer.backends.c import loader
rng = np.random.default_rng(3)
worst = 0.0
for dtype in ("float64", "float32"):
    for lhs, rhs in [((10, 784), (784, 500)), ((1, 300), (300, 200)), ((300, 200), (200,)),
                     ((5, 7), (7, 1)), ((2, 30, 40), (2, 40, 50)), ((784, 10), (10, 500))]:
        a, b = rng.standard_normal(lhs).astype(dtype), rng.standard_normal(rhs).astype(dtype)
        f = tr.compile(lambda a, b: a @ b, backend="c")
        g = tr.compile(lambda c, a, b: c - 0.5 * (a @ b), backend="c")
        for x, y in [(a, b), (np.asfortranarray(a), b[..., ::-1]), (a[..., ::-1], b)]:
            want = x @ y
            got = f(x, y)
            assert got.dtype == want.dtype and got.shape == want.shape
            worst = max(worst, float(np.max(np.abs(got - want), initial=0) / np.max(np.abs(want))))
            c = rng.standard_normal(want.shape).astype(dtype)
            acc = g(c, x, y)
            worst = max(worst, float(np.max(np.abs(acc - (c - 0.5 * want)), initial=0)
                                     / np.max(np.abs(want))))
print(json.dumps({"ilp64": loader.blas_pointers()[-1], "worst": worst}))
"""


def _run(choice: str) -> dict:
    env = dict(os.environ, TRACER_BLAS=choice)
    out = subprocess.run([sys.executable, "-c", PRODUCTS], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@needs_cc
@pytest.mark.parametrize("choice, ilp64", [("scipy", 0), ("numpy", 1)])
def test_products_match_numpy_through_either_blas(choice, ilp64):
    if choice == "numpy" and blas.numpy_blas() is None:
        pytest.skip("numpy here does not bundle scipy_openblas64_")
    got = _run(choice)
    assert got["ilp64"] == ilp64
    assert got["worst"] < 1e-4          # float32 relative error; float64 is far below


def test_the_newer_release_is_chosen(monkeypatch):
    monkeypatch.delenv("TRACER_BLAS", raising=False)
    scipy, numpy = blas.scipy_blas(), blas.numpy_blas()
    chosen = blas.choose()
    if numpy is not None and scipy.version and numpy.version > scipy.version:
        assert chosen.name == "numpy" and chosen.ilp64
    else:
        assert chosen.name == "scipy" and not chosen.ilp64
    assert all(chosen.pointers)


def test_tracer_blas_forces_a_choice_and_refuses_others(monkeypatch):
    monkeypatch.setenv("TRACER_BLAS", "scipy")
    assert blas.choose().name == "scipy"
    monkeypatch.setenv("TRACER_BLAS", "mkl")
    with pytest.raises(ValueError, match="TRACER_BLAS"):
        blas.choose()
