"""Products on our own threads: BLAS runs single-threaded on each of them, and a large
product split into bands over 2 threads equals numpy's, whatever the layout."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

import tracer as tr
from tracer.backends.c import blas

rng = np.random.default_rng(7)


@pytest.fixture
def two_threads():
    before = tr.config.num_threads
    yield
    tr.config.num_threads = before


def test_openblas_thread_control_is_found_when_the_library_has_it():
    for chosen in (blas.scipy_blas(), blas.numpy_blas()):
        if chosen is None:
            continue
        path = blas.library_path(chosen.pointers[0])
        assert path is not None
        has_it = hasattr(ctypes.CDLL(path), "openblas_set_num_threads_local")
        assert bool(chosen.threads_local) == has_it


# (lhs, rhs) shapes at or above the split threshold (M*N*K >= 2**20): tall, wide, batched
SHAPES = [((10, 784), (784, 500)), ((784, 10), (10, 500)), ((700, 300), (300, 40)),
          ((3, 40, 100), (3, 100, 300)), ((1, 2048), (2048, 600))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("lhs, rhs", SHAPES)
@pytest.mark.parametrize("nt", [1, 2])
def test_large_products_match_numpy_on_any_thread_count(lhs, rhs, dtype, nt, two_threads):
    tr.config.num_threads = nt
    a = rng.standard_normal(lhs).astype(dtype)
    b = rng.standard_normal(rhs).astype(dtype)
    f = tr.compile(lambda a, b: a @ b, backend="c")
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == "float64" else dict(rtol=2e-4, atol=2e-4)
    for x, y in [(a, b), (np.asfortranarray(a), b[..., ::-1]), (a[..., ::-1], np.asfortranarray(b))]:
        got = f(x, y)
        assert got.dtype == (x @ y).dtype and got.shape == (x @ y).shape
        np.testing.assert_allclose(got, x @ y, **tol)


def test_sgd_update_on_two_threads_matches_one(two_threads):
    """W - lr * x.T @ d: the accumulating product, split into bands, equals the serial one."""
    x, d = rng.standard_normal((60, 784)), rng.standard_normal((60, 500))
    W = rng.standard_normal((784, 500))
    f = tr.compile(lambda W, x, d: W - 0.1 * (x.T @ d), backend="c")
    results = []
    for nt in (1, 2):
        tr.config.num_threads = nt
        results.append(f(W, x, d))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0], W - 0.1 * (x.T @ d), rtol=1e-10, atol=1e-10)
