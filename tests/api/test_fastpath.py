"""The generated signature matchers and result builders behind pytree calls."""
from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import tracer as tr
from tracer.api.fastpath import make_matcher
from tracer.trace import leaf_spec, pytree

from ..backends.c.support import needs_cc

Pair = namedtuple("Pair", "a b")
rng = np.random.default_rng(0)


def _arr(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def _matcher_for(args):
    leaves, td = pytree.flatten(args)
    return make_matcher(td, [leaf_spec(x, "x")[0] for x in leaves]), leaves


TREES = [
    (_arr(3),),
    ([(_arr(2, 3), _arr(3)), (_arr(3, 1), _arr(1))], _arr(4, 2)),
    ({"W": _arr(2, 2), "b": _arr(2), "nested": {"z": [_arr(0)]}},),
    (Pair(_arr(2), _arr(2, dtype="float32")), None, [None, _arr(1)]),
    ((), [], {}, _arr(5, dtype="int64")),
]


@pytest.mark.parametrize("args", TREES)
def test_matcher_returns_the_leaves_of_its_own_signature(args):
    match, leaves = _matcher_for(args)
    got = match(args)
    assert got is not None and len(got) == len(leaves)
    assert all(g is want for g, want in zip(got, leaves))


@pytest.mark.parametrize("args, other", [
    (({"W": _arr(2), "b": _arr(2)},), ({"W": _arr(2), "c": _arr(2)},)),       # other keys
    (({"W": _arr(2)},), (OrderedDict(W=_arr(2)),)),                          # dict subclass
    (([_arr(2)],), ((_arr(2),),)),                                           # list vs tuple
    (([_arr(2)],), ([_arr(2), _arr(2)],)),                                   # length
    ((Pair(_arr(2), _arr(2)),), ((_arr(2), _arr(2)),)),                      # namedtuple
    ((None,), (_arr(2),)),
    ((_arr(2),), (None,)),
    ((_arr(2),), (_arr(3),)),                                                # shape
    ((_arr(2),), (_arr(2, dtype="float32"),)),                               # dtype
    ((_arr(2),), (2.0,)),                                                    # scalar leaf
    ((_arr(2),), (_arr(2), _arr(2))),                                        # arity
    ((_arr(2),), ([1.0, 2.0],)),                                             # list leaf
])
def test_matcher_refuses_every_other_signature(args, other):
    match, _ = _matcher_for(args)
    assert match(other) is None


def test_python_and_numpy_scalar_leaves():
    match, _ = _matcher_for(({"x": _arr(2), "lr": 0.5}, 3, np.float32(1.5)))
    x = _arr(2)
    assert match(({"x": x, "lr": 0.1}, 4, np.float32(2))) == [0.1, x, 4, np.float32(2)]
    assert match(({"x": x, "lr": 0.1}, 4, np.array(2, np.float32)))[3] == 2
    for other in [({"x": x, "lr": 1}, 4, np.float32(2)),          # an int for a float
                  ({"x": x, "lr": 0.1}, True, np.float32(2)),      # a bool for an int
                  ({"x": x, "lr": np.float64(0.1)}, 4, np.float32(2)),   # not weak
                  ({"x": x, "lr": 0.1}, 4, np.float64(2)),         # another dtype
                  ({"x": x, "lr": 0.1}, 4, 2.0)]:                  # weak for a 0-d array
        assert match(other) is None, other


def test_strided_arrays_match_their_signature():
    match, _ = _matcher_for((_arr(3, 4),))
    assert match((np.asfortranarray(_arr(3, 4)),)) is not None
    assert match((_arr(3, 8)[:, ::2],)) is not None


@pytest.mark.parametrize("tree", [
    _arr(2), (_arr(1),), [_arr(1), (_arr(2), None)], {"b": _arr(1), "a": [_arr(2)]},
    Pair(_arr(1), {"k": _arr(2)}), (), {"x": None},
])
def test_builder_agrees_with_unflatten(tree):
    leaves, td = pytree.flatten(tree)
    built = pytree.builder(td)(leaves)
    want = pytree.unflatten(td, leaves)
    assert type(built) is type(want)
    assert pytree.flatten(built)[1] == td
    assert all(a is b for a, b in zip(pytree.flatten(built)[0], leaves))


def test_pytree_calls_switch_signatures_and_retrace_only_for_new_ones():
    traces = []

    @tr.compile
    def step(params, x):
        traces.append(1)
        return {k: v * x.sum() for k, v in params.items()}, [x + 1]

    p1 = {"W": _arr(3, 2), "b": _arr(2)}
    p2 = {"W": _arr(4, 2), "b": _arr(2)}
    x = _arr(5)
    for params in (p1, p2, p1, p2, {"W": _arr(3, 2), "c": _arr(2)}):
        out, (y,) = step(params, x)
        assert sorted(out) == sorted(params)
        for k in params:
            np.testing.assert_allclose(out[k], params[k] * x.sum())
        np.testing.assert_allclose(y, x + 1)
    assert len(traces) == 3
    with pytest.raises(TypeError, match=r"params\['W'\]"):
        step({"W": "nope", "b": _arr(2)}, x)


def test_pytree_call_with_traced_leaf_inlines_inside_another_trace():
    inner = tr.compile(lambda p, x: p["a"] * x)
    p, x = {"a": _arr(3)}, _arr(3)
    inner(p, x)                                       # registers a matcher
    outer = tr.compile(lambda p, x: inner(p, x) + 1)
    np.testing.assert_allclose(outer(p, x), p["a"] * x + 1)
    np.testing.assert_allclose(tr.grad(lambda p, x: inner(p, x).sum())(p, x)["a"], x)


# -- the hot path: the last plain-array signature, checked and run in one call (C) ----
@needs_cc
def test_hot_path_switches_between_signatures_and_layouts():
    f = tr.compile(lambda x, y: x * y + x, backend="c")
    a, b = _arr(3, 4), _arr(3, 4)
    c, d = _arr(5), _arr(5)
    for _ in range(3):     # alternate: each call checks the last signature, then falls back
        np.testing.assert_array_equal(f(a, b), a * b + a)
        np.testing.assert_array_equal(f(c, d), c * d + c)
        np.testing.assert_array_equal(f(a.T, b.T), a.T * b.T + a.T)   # same types, strided
        np.testing.assert_array_equal(f(a[:, ::2], b[:, ::2]), a[:, ::2] * b[:, ::2] + a[:, ::2])
        f32 = f(a.astype("float32"), b.astype("float32"))
        assert f32.dtype == np.float32
    assert f.cache_size == 5       # f64 (3,4), (5,), (4,3), (3,2); f32 (3,4)
    assert f._hot is not None


@needs_cc
def test_hot_path_builds_pytree_results_and_takes_donations():
    f = tr.compile(lambda w, g: {"w": w - 0.5 * g, "n": (w * w).sum()}, backend="c",
                   donate_argnums=0)
    w, g = _arr(64, 64), _arr(64, 64)
    want = {"w": w - 0.5 * g, "n": (w * w).sum()}
    first = f(w.copy(), g)
    mine = w.copy()
    second = f(mine, g)             # the hot path: the update may take `mine`'s memory
    for got in (first, second):
        assert set(got) == {"w", "n"}
        np.testing.assert_allclose(got["w"], want["w"], rtol=1e-12)
        np.testing.assert_allclose(got["n"], want["n"], rtol=1e-12)
    np.testing.assert_array_equal(g, g.copy())


@needs_cc
def test_hot_path_is_not_taken_inside_a_trace():
    """A compiled function called on arrays while its closure is traced inlines."""
    x = _arr(3)
    inner = {}

    def outer(s):
        inner["f"] = tr.compile(lambda a: a * s, backend="c")
        return inner["f"](x).sum()

    f = tr.compile(lambda a: a * 2.0, backend="c")
    f(x)
    assert f._hot is not None
    np.testing.assert_allclose(tr.grad(lambda s: f(x).sum() * s)(1.5), (x * 2.0).sum())
    np.testing.assert_allclose(tr.grad(outer)(2.0), x.sum())


@needs_cc
def test_hot_path_without_the_c_helper_is_generated_python(monkeypatch):
    """Where Python's or numpy's headers are missing the hot path is the cffi call."""
    from tracer.backends.c import pycall

    monkeypatch.setattr(pycall, "_maker", [None])   # as if the helper could not be built
    f = tr.compile(lambda x, y: (x - y, x * y), backend="c")
    a, b = _arr(7), _arr(7)
    for _ in range(2):
        d, p = f(a, b)
        np.testing.assert_array_equal(d, a - b)
        np.testing.assert_array_equal(p, a * b)
    assert type(f._hot).__name__ == "function"
    np.testing.assert_array_equal(f(a[::-1], b)[0], a[::-1] - b)
