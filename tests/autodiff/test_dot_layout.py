"""The reverse rule of a product gives a weight gradient in the weight's own layout."""
import numpy as np

import tracer as tr


def test_weight_gradient_is_one_product_without_transpose(rng):
    x = rng.standard_normal((6, 5))
    w = rng.standard_normal((5, 3))
    ct = rng.standard_normal((6, 3))
    g = tr.compile(tr.grad(lambda w, x, ct: np.sum((x @ w) * ct)))
    np.testing.assert_allclose(g(w, x, ct), x.T @ ct, rtol=1e-12)
    assert g.lower(w, x, ct).ops() == ["dot_general"]


def test_input_gradient_still_matches(rng):
    x = rng.standard_normal((6, 5))
    w = rng.standard_normal((5, 3))
    ct = rng.standard_normal((6, 3))
    g = tr.compile(tr.grad(lambda x, w, ct: np.sum((x @ w) * ct)))
    np.testing.assert_allclose(g(x, w, ct), ct @ w.T, rtol=1e-12)
