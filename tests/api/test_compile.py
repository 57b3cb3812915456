"""tr.compile: decorator forms, the signature cache, Lowered/Compiled, callables of
every kind, static arguments, keywords, argument errors, fresh outputs."""
from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import tracer as tr
from tests.helpers import assert_same

X = np.arange(6.0).reshape(2, 3)
Y = np.linspace(-1.0, 1.0, 6).reshape(2, 3)


def counting(fn):
    """fn, and a list that grows by one each time fn runs (each trace)."""
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        return fn(*args, **kwargs)
    return wrapped, calls


# --- decorator forms --------------------------------------------------------------


def test_decorator_without_arguments():
    @tr.compile
    def f(x):
        return np.tanh(x) * 2

    assert isinstance(f, tr.CompiledFunction)
    assert_same(f(X), np.tanh(X) * 2)
    assert f.__name__ == "f"


def test_decorator_with_arguments():
    @tr.compile(backend="python", static_argnums=(1,))
    def f(x, n):
        return x.reshape(n, -1)

    assert_same(f(X, 3), X.reshape(3, -1))


def test_compile_rejects_non_callables():
    with pytest.raises(TypeError, match="callable"):
        tr.compile(3)


# --- the cache --------------------------------------------------------------------------


def test_same_signature_does_not_retrace():
    fn, traces = counting(lambda x, y: x * y + 1)
    f = tr.compile(fn)
    f(X, Y)
    f(X + 1, Y * 2)  # new values, same signature
    assert len(traces) == 1 and f.cache_size == 1
    assert_same(f(X + 1, Y * 2), (X + 1) * (Y * 2) + 1)


@pytest.mark.parametrize("change", ["shape", "dtype", "pytree", "python scalar", "static",
                                    "keyword"])
def test_new_signature_retraces(change):
    def plain(x, y, n=1):
        return (x + y[0] if isinstance(y, tuple) else x + y) * n

    fn, traces = counting(plain)
    f = tr.compile(fn, static_argnames="n")
    f(X, Y)
    args, kwargs = {
        "shape": ((X[:1], Y[:1]), {}),
        "dtype": ((X.astype(np.float32), Y.astype(np.float32)), {}),
        "pytree": ((X, (Y,)), {}),
        "python scalar": ((X, 2.0), {}),
        "static": ((X, Y), {"n": 3}),
        "keyword": ((X,), {"y": Y}),
    }[change]
    got = f(*args, **kwargs)
    assert f.cache_size == 2 and len(traces) == 2
    f(*args, **kwargs)
    assert f.cache_size == 2 and len(traces) == 2  # and that one is cached too
    assert_same(got, plain(*args, **kwargs))


def test_python_scalar_and_0d_array_are_different_signatures():
    f = tr.compile(lambda x, s: x * s)
    x32 = X.astype(np.float32)
    assert f(x32, 2.0).dtype == np.float32          # weak, NEP 50
    assert f(x32, np.float64(2.0)).dtype == np.float64  # strong
    assert f.cache_size == 2


def test_clear_cache():
    f = tr.compile(lambda x: x + 1)
    f(X)
    f.clear_cache()
    assert f.cache_size == 0
    assert_same(f(X), X + 1)


# --- lower / Lowered / Compiled -----------------------------------------------


def test_lower_text_is_jaxpr_like():
    f = tr.compile(lambda x, w: np.tanh(x @ w).sum(axis=0))
    low = f.lower(X, Y.T)
    text = low.as_text()
    lines = text.splitlines()
    assert lines[0].startswith("{ lambda %0:f64[2,3] %1:f64[3,2] .")
    body = lines[1:-1]
    assert len(body) == len(low.ops()) == 3
    for line in body:
        assert re.fullmatch(r"  %\d+:f64\[[\d,]*\] = [a-z_]+ %\d+(, %\d+)*( \{.*\})?", line), line
    assert lines[-1].strip().startswith("return %")
    assert low.ops() == ["dot_general", "tanh", "reduce_sum"]


def test_lower_source_and_compile():
    f = tr.compile(lambda x, y: x * y - 1)
    low = f.lower(X, Y)
    assert "def run(" in low.source()
    compiled = low.compile()
    assert isinstance(compiled, tr.Compiled)
    assert_same(compiled(X, Y), X * Y - 1)
    assert f.cache_size == 1  # lower fills the same cache a call uses


@pytest.mark.parametrize("bad, expected", [
    (lambda c: c(X, Y.astype(np.float32)), r"argument y: expected f64\[2,3\], got f32\[2,3\]"),
    (lambda c: c(X, Y[:1]), r"argument y: expected f64\[2,3\], got f64\[1,3\]"),
    (lambda c: c(X, (Y,)), r"argument 'y': expected a pytree of structure \*, got \(\*,\)"),
    (lambda c: c(X), r"missing argument 'y'"),
    (lambda c: c(X, Y, X), r"too many arguments"),
    (lambda c: c(X, "text"), r"argument y: expected an array.* got str"),
])
def test_compiled_refuses_other_signatures(bad, expected):
    compiled = tr.compile(lambda x, y: x + y).lower(X, Y).compile()
    with pytest.raises(TypeError, match=expected):
        bad(compiled)


def test_compiled_refuses_another_static_value_naming_it():
    f = tr.compile(lambda x, n: x * n, static_argnums=1)
    compiled = f.lower(X, 2).compile()
    assert_same(compiled(X, 2), X * 2)
    with pytest.raises(TypeError, match="static argument 'n': compiled for 2, got 3"):
        compiled(X, 3)


# --- argument errors ---------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    (("hello", Y), r"argument x: .*got str"),
    ((X, object()), r"argument y: .*got object"),
    ((X, np.array([1, "a"], dtype=object)), r"argument y: .*dtype object"),
    ((X,), r"missing a required argument: 'y'"),
    ((X, Y, X), r"too many positional arguments"),
])
def test_bad_arguments_raise_type_error_naming_them(args, expected):
    f = tr.compile(lambda x, y: x + y)
    with pytest.raises(TypeError, match=expected):
        f(*args)


def test_byte_swapped_arrays_are_read_as_numpy_reads_them():
    f = tr.compile(lambda x, y: x * y + 1)
    got = f(X.astype(">f8"), Y.astype(">f4"))
    assert_same(got, X * Y.astype(np.float32) + 1)


def test_bad_leaf_inside_pytree_is_named_by_path():
    f = tr.compile(lambda p: p["w"] * 2)
    with pytest.raises(TypeError, match=r"argument p\['w'\]: .*got str"):
        f({"w": "oops"})


BACKENDS = ["python", pytest.param("c", marks=pytest.mark.skipif(
    shutil.which("cc") is None, reason="no C compiler (cc)"))]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn, args, kwargs, name", [
    (lambda x, y: x + y, (X, None), {}, "y"),
    (lambda x, y: np.add(x, y), (X, None), {}, "y"),
    (lambda x, y: np.where(x > 1, x, y), (X, None), {}, "y"),
    (lambda x, y: np.concatenate([x, y]), (X, None), {}, "y"),
    (lambda p: p["a"] * p["b"], ({"a": X, "b": None},), {}, r"p\['b'\]"),
    (lambda p: p[0] - p[1][0], ([X, (None,)],), {}, r"p\[1\]\[0\]"),
    (lambda x, y=1.0: x + y, (X,), {"y": None}, "y"),
    (lambda x, y=None: x * y, (X,), {}, "y"),
], ids=["add", "ufunc", "where", "concatenate", "dict_leaf", "nested_leaf", "keyword",
        "default"])
def test_a_none_argument_used_as_an_array_is_named(backend, fn, args, kwargs, name):
    """None is an empty pytree (the function receives None); used as an array it is a
    TypeError naming the argument, not numpy's object dtype."""
    f = tr.compile(fn, backend=backend)
    with pytest.raises(TypeError, match=f"argument {name} is None") as info:
        f(*args, **kwargs)
    assert "object" not in str(info.value)


def test_several_none_arguments_are_all_named():
    with pytest.raises(TypeError, match="arguments y, z are None"):
        tr.compile(lambda x, y, z: x + y + z)(X, None, None)


def test_a_none_argument_tested_with_is_none_still_works():
    f = tr.compile(lambda x, y=None: x if y is None else x + y)
    assert_same(f(X, None), X)
    assert_same(f(X), X)
    assert_same(f(X, Y), X + Y)


def test_unknown_keyword_argument():
    f = tr.compile(lambda x, y: x + y)
    with pytest.raises(TypeError, match="'z'"):
        f(X, Y, z=X)


# --- callables of every kind ------------------------------------------------------


def test_closures_capture_arrays_as_constants():
    scale = np.array([1.0, 2.0, 3.0])

    def f(x):
        return x * scale

    assert_same(tr.compile(f)(X), X * scale)


def test_bound_method():
    class Model:
        def __init__(self, w):
            self.w = w

        def apply(self, x):
            return x @ self.w

    m = Model(Y.T)
    assert_same(tr.compile(m.apply)(X), X @ Y.T)


def test_method_decorated_in_class_body():
    class Layer:
        def __init__(self, scale):
            self.scale = scale

        @tr.compile
        def __call__(self, x):
            return np.tanh(x) * self.scale

        @tr.compile(static_argnums=1)
        def tile(self, x, n):
            return np.concatenate([x] * n) * self.scale

    a, b = Layer(2.0), Layer(3.0)
    assert_same(a(X), np.tanh(X) * 2.0)
    assert_same(b(X), np.tanh(X) * 3.0)  # each instance traces its own self
    assert_same(a.tile(X, 2), np.concatenate([X, X]) * 2.0)
    a(X)
    assert Layer.__call__.__get__(a).cache_size == 1


def test_methods_of_unhashable_instances_keep_their_cache_and_are_freed():
    import gc
    import weakref
    from dataclasses import dataclass

    @dataclass
    class Scaler:  # eq=True: instances are unhashable
        k: float

        @tr.compile
        def apply(self, x):
            return x * self.k

    s = Scaler(2.0)
    assert_same(s.apply(X), X * 2.0)
    assert_same(s.apply(X + 1), (X + 1) * 2.0)
    assert s.apply.cache_size == 1
    assert_same(Scaler(3.0).apply(X), X * 3.0)
    dead = weakref.ref(s)
    del s
    gc.collect()
    assert dead() is None  # the compiled method does not keep its instance alive


def test_lambda_and_builtin_numpy_callable():
    assert_same(tr.compile(lambda x: x.T @ x)(X), X.T @ X)
    assert_same(tr.compile(np.tanh)(X), np.tanh(X))


def test_nested_compile_inlines():
    inner = tr.compile(lambda x: np.exp(x) - 1)

    @tr.compile
    def outer(x):
        return inner(x) * inner(x + 1)

    assert_same(outer(X), (np.exp(X) - 1) * (np.exp(X + 1) - 1))
    assert inner.cache_size == 0  # traced through, never compiled on its own
    assert outer.lower(X).ops().count("expm1") == 2      # exp(x) - 1, stabilized


def test_nested_compile_of_a_closure_over_traced_values_inlines():
    @tr.compile
    def outer(x):
        inner = tr.compile(lambda y: y * x)  # no traced argument; x is traced
        return inner(np.ones(3)) + inner(np.full(3, 2.0))

    x = np.arange(3.0)
    assert_same(outer(x), x * 3.0)


# --- static arguments, keywords, defaults --------------------------------------------


def test_static_argnums_and_argnames_control_python_values():
    def f(x, axis, keep=False):
        return x.sum(axis=axis, keepdims=keep)

    g = tr.compile(f, static_argnums=1, static_argnames="keep")
    assert_same(g(X, 0), X.sum(axis=0))
    assert_same(g(X, 1, keep=True), X.sum(axis=1, keepdims=True))
    assert_same(g(X, axis=1), X.sum(axis=1))
    assert g.cache_size == 3


def test_negative_static_argnums():
    g = tr.compile(lambda x, n: x[:n], static_argnums=-1)
    assert_same(g(X, 1), X[:1])


def test_unhashable_static_argument():
    g = tr.compile(lambda x, shape: x.reshape(shape), static_argnums=1)
    with pytest.raises(TypeError, match="static argument 'shape' must be hashable"):
        g(X, [3, 2])
    assert_same(g(X, (3, 2)), X.reshape(3, 2))


def test_keyword_arguments_are_traced():
    f = tr.compile(lambda x, y: x - y)
    assert_same(f(X, y=Y), X - Y)
    assert_same(f(y=Y, x=X), X - Y)


def test_default_arguments_stay_python_constants():
    def f(x, eps=1e-3):
        return x + eps

    low = tr.compile(f).lower(X)
    assert len(low.graph.inputs) == 1
    assert "0.001" in low.as_text()
    assert_same(tr.compile(f)(X), X + 1e-3)


def test_python_scalar_arguments_are_traced_not_constants():
    fn, traces = counting(lambda x, s: x * s)
    f = tr.compile(fn)
    assert_same(f(X, 2.0), X * 2.0)
    assert_same(f(X, 3.0), X * 3.0)
    assert len(traces) == 1


# --- outputs and inputs -------------------------------------------------------------


def test_outputs_are_fresh_writable_arrays_and_inputs_untouched():
    def f(x, y):
        x = x.copy()
        x[0] = 0.0
        return y, y.T, x, np.float64(2.0) * 0 + 1.0, {"same": (y, y)}

    x, y = X.copy(), Y.copy()
    out = tr.compile(f)(x, y)
    assert_same(x, X)
    assert_same(y, Y)
    leaves = [out[0], out[1], out[2], out[3], *out[4]["same"]]
    for leaf in leaves:
        assert isinstance(leaf, np.ndarray) and leaf.flags.writeable
        assert not np.shares_memory(leaf, x) and not np.shares_memory(leaf, y)
    a, b = out[4]["same"]
    assert not np.shares_memory(a, b)
    a[...] = 7.0
    assert_same(b, Y)


def test_in_place_update_of_an_argument_does_not_reach_the_caller():
    def f(x):
        x[:, 0] += 1.0
        return x

    x = X.copy()
    out = tr.compile(f)(x)
    assert_same(x, X)
    want = X.copy()
    want[:, 0] += 1.0
    assert_same(out, want)


def test_pytree_results():
    def f(p):
        return {"sum": p["a"] + p["b"], "parts": [p["a"], (p["b"],)]}, None

    p = {"b": Y, "a": X}
    assert_same(tr.compile(f)(p), f(p))
