import numpy as np

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
