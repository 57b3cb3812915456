"""Every call takes the fast path: scalars, keywords, static arguments, any strides.

A call that found its signature goes to the compiled code without the general path
(pytree flattening, leaf specs, the signature cache); these tests make the general path
raise after the first call, so a call that would take it fails."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import tracer as tr
from tracer.api.compile import CompiledFunction

pytestmark = [pytest.mark.needs_cc,
              pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")]


@pytest.fixture
def no_general_path(monkeypatch):
    """After `arm()`, any call that reaches the general path raises."""
    def arm():
        def refuse(*args, **kwargs):
            raise AssertionError("the call took the general path")
        monkeypatch.setattr(CompiledFunction, "_lookup", refuse)
    return arm


def _same(got, want, rtol=0.0):
    assert type(got) is type(want) or isinstance(got, np.ndarray)
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_python_and_numpy_scalars(dtype, no_general_path, rng):
    def f(x, k):
        return x * k + x
    x = (rng.standard_normal(10) * 10).astype(dtype)
    g = tr.compile(f, backend="c")
    scalars = [2.0, 3, True, np.float64(2.5), np.float32(1.5), np.int64(4)]
    for k in scalars:
        _same(g(x, k), f(x, k))              # traced (weak or not, as numpy promotes)
    no_general_path()
    for k in scalars:
        _same(g(x, k), f(x, k))
        bumped = type(k)(k + 1) if not isinstance(k, bool) else not k
        _same(g(x, bumped), f(x, bumped))


def test_keywords_static_arguments_and_layouts(no_general_path, rng):
    def f(x, y, n, scale=1.0):
        return (x * y + x) ** n * scale
    g = tr.compile(f, backend="c", static_argnums=2)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    layouts = [x, np.asfortranarray(x), x[::-1], np.repeat(x, 2, axis=1)[:, ::2]]
    for a in layouts:
        _same(g(a, y, 2), f(a, y, 2))
        _same(g(a, y=y, n=3), f(a, y=y, n=3), rtol=1e-15)     # C's pow: 1 ulp from numpy's
        _same(g(a, y, 2, scale=0.5), f(a, y, 2, scale=0.5))
    no_general_path()
    for a in layouts:
        _same(g(a, y, 2), f(a, y, 2))
        _same(g(a, y=y, n=3), f(a, y=y, n=3), rtol=1e-15)
        _same(g(a, y, 2, scale=-2.0), f(a, y, 2, scale=-2.0))
    with pytest.raises(AssertionError, match="general path"):
        g(x, y, 4)                            # a new static value: traced anew


def test_pytrees_with_scalar_leaves(no_general_path, rng):
    def step(params, x, lr):
        return {k: v - lr * x.sum() * v for k, v in params.items()}
    g = tr.compile(step, backend="c")
    params = {"W": rng.standard_normal((2, 2)), "b": rng.standard_normal(2)}
    x = rng.standard_normal(5)
    first = g(params, x, 0.1)
    no_general_path()
    for lr in (0.2, 0.3):
        got, want = g(params, x, lr), step(params, x, lr)
        for k in want:
            _same(got[k], want[k])
    assert set(first) == {"W", "b"}


def test_a_python_int_beyond_int64_is_an_overflow_error_naming_it(rng):
    g = tr.compile(lambda x, n: x + n, backend="c")
    x = np.arange(3)
    _same(g(x, 5), x + 5)
    with pytest.raises(OverflowError, match="argument n"):
        g(x, 2 ** 70)
    _same(g(x, -(2 ** 63)), x + -(2 ** 63))


def test_wrong_scalars_are_still_refused_clearly(rng):
    g = tr.compile(lambda x, k: x * k, backend="c")
    x = rng.standard_normal(3)
    g(x, 2.0)
    with pytest.raises(TypeError, match="argument k"):
        g(x, "2.0")
    _same(g(x, [2.0, 3.0, 4.0]), x * np.array([2.0, 3.0, 4.0]))


def test_the_last_keyed_call_refuses_other_shapes_of_call(rng):
    def f(x, y, n=1, scale=1.0):
        return (x * y) * n * scale
    g = tr.compile(f, backend="c", static_argnames="n")
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    calls = [((x,), {"y": y, "n": 2}), ((x,), {"y": y, "n": 3}), ((x, y), {"n": 2}),
             ((x,), {"y": y, "n": 2, "scale": 0.5}), ((x,), {"y": y, "n": 2.5}),
             ((x, y), {"n": True})]
    for _ in range(2):
        for args, kwargs in calls:
            _same(g(*args, **kwargs), f(*args, **kwargs))
