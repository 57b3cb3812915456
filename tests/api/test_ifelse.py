import numpy as np
import pytest

import tracer as tr


def piecewise(x, y):
    return tr.ifelse(x.sum() > 0, {"a": x * 2.0, "b": y}, {"a": -x, "b": y + 1})


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_traced_condition_picks_the_branch_numpy_would(rng, sign):
    x = sign * np.abs(rng.standard_normal(5))
    y = rng.standard_normal(3).astype(np.float32)
    got = tr.compile(piecewise)(x, y)
    want = {"a": x * 2.0, "b": y} if x.sum() > 0 else {"a": -x, "b": y + 1}
    for key in want:
        assert got[key].dtype == want[key].dtype
        np.testing.assert_allclose(got[key], want[key])


def test_concrete_condition_returns_the_chosen_value_itself():
    a, b = np.ones(2), np.zeros(3)
    assert tr.ifelse(True, a, b) is a
    assert tr.ifelse(np.bool_(False), a, b) is b


def test_gradient_flows_through_the_taken_branch():
    f = lambda x: tr.ifelse(x > 0, x * x, -3.0 * x)  # noqa: E731
    assert tr.grad(f)(2.0) == pytest.approx(4.0)
    assert tr.grad(f)(-2.0) == pytest.approx(-3.0)


def test_mismatched_branches_are_refused():
    with pytest.raises(TypeError, match="leaf 0 is float64\\[2\\] in then_value"):
        tr.compile(lambda x: tr.ifelse(x.sum() > 0, x, x[:1]))(np.ones(2))
    with pytest.raises(TypeError, match="structure"):
        tr.compile(lambda x: tr.ifelse(x.sum() > 0, (x,), [x]))(np.ones(2))
    with pytest.raises(ValueError, match="scalar"):
        tr.compile(lambda x: tr.ifelse(x > 0, x, -x))(np.ones(2))
