import numpy as np
import pytest

import tracer as tr


def test_layernorm_matches_numpy(rng):
    def layernorm(x, g, b, eps=1e-5):
        mu = x.mean(axis=-1, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
        return g * (x - mu) / np.sqrt(var + eps) + b

    x, g, b = rng.standard_normal((4, 5)), rng.standard_normal(5), rng.standard_normal(5)
    got = tr.compile(layernorm)(x, g, b)
    want = layernorm(x, g, b)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_helper_checks_dtype(rng):
    from tests.helpers import check_against_numpy

    x = rng.standard_normal((3, 4)).astype(np.float32)
    check_against_numpy(lambda a: np.tanh(a) * 2.0 + a.sum(axis=0), x)


def test_fast_path_keys_on_dtype_and_shape(rng):
    f = tr.compile(lambda x, y: x * y + x)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    np.testing.assert_allclose(f(a, b), a * b + a)
    np.testing.assert_allclose(f(b, a), b * a + b)  # same signature: reused
    assert f.cache_size == 1
    got = f(a.astype(np.float32), b.astype(np.float32))  # new dtype: new trace
    assert got.dtype == np.float32 and f.cache_size == 2
    got = f(np.ones((2, 3)), np.ones(3))  # new shapes: new trace, broadcasting
    assert got.shape == (2, 3) and f.cache_size == 3


def test_config_num_threads_reaches_the_c_backend():
    from tracer.backends import c as c_backend

    before = tr.config.num_threads
    try:
        tr.config.num_threads = 1
        assert c_backend.get_num_threads() == 1
        tr.config.num_threads = 2
        assert c_backend.get_num_threads() == 2
    finally:
        tr.config.num_threads = before


def test_config_optimize_switches_the_optimizer_for_new_traces():
    f = tr.compile(lambda x: (x.reshape(6).reshape(2, 3) * 1.0) ** 2)
    x = np.arange(6.0).reshape(2, 3)
    assert tr.config.optimize is True
    optimized = f.lower(x).ops()
    tr.config.optimize = False
    try:
        plain = tr.compile(lambda x: (x.reshape(6).reshape(2, 3) * 1.0) ** 2).lower(x).ops()
    finally:
        tr.config.optimize = True
    assert "pow" in plain and "pow" not in optimized
    assert plain.count("reshape") == 2 and "reshape" not in optimized
    with pytest.raises(TypeError, match="config.optimize"):
        tr.config.optimize = "yes"
