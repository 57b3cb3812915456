"""tr.compile(..., donate_argnums=, donate_argnames=): jax.jit's API and semantics.
Donated calls give the undonated values on both backends (the reference backend
ignores donation: the donated arrays are left as they were), through pytrees, the
flat-ndarray and the pytree fast paths, keywords and methods; bad options are refused
with errors naming them; transforms of a donating function are unaffected."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import tracer as tr
from tracer.vm import executable

RNG = np.random.default_rng(3)
BACKENDS = ["python", pytest.param("c", marks=pytest.mark.skipif(
    shutil.which("cc") is None, reason="no C compiler (cc)"))]


@pytest.fixture(autouse=True)
def _reuse_small_outputs(monkeypatch):
    """Small arrays here: let the C backend reuse them (it allocates below 16 KiB)."""
    monkeypatch.setattr(executable, "MIN_REUSE_BYTES", 0)


def _loss(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    return np.mean((h @ params["W2"] - y) ** 2)


def _step(params, x, y):
    grads = tr.grad(_loss)(params, x, y)
    return {k: params[k] - 0.1 * grads[k] for k in params}


def _params():
    return {"W1": RNG.standard_normal((6, 5)), "b1": RNG.standard_normal(5),
            "W2": RNG.standard_normal((5, 3))}


def _copy(tree):
    return {k: v.copy() for k, v in tree.items()}


def _close(got, want):
    assert type(got) is type(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how", [{"donate_argnums": 0}, {"donate_argnums": (0,)},
                                 {"donate_argnums": -3}, {"donate_argnames": "params"}])
def test_sgd_steps_match_the_undonated_steps(backend, how):
    p0 = _params()
    x, y = RNG.standard_normal((4, 6)), RNG.standard_normal((4, 3))
    plain = tr.compile(_step, backend=backend)
    donating = tr.compile(_step, backend=backend, **how)
    want, got, ref = _copy(p0), _copy(p0), _copy(p0)
    for _ in range(4):      # first call traces; later ones take the pytree fast path
        passed = got
        want = plain(want, x, y)
        got = donating(got, x, y)
        ref = _step(ref, x, y)
        _close(got, want)
        _close(got, ref)
        if backend == "c":  # every parameter's update is written into its old array
            assert all(got[k] is passed[k] for k in got)


def test_reference_backend_leaves_donated_arrays_alone():
    p0 = _params()
    p = _copy(p0)
    tr.compile(_step, backend="python", donate_argnums=0)(p, np.ones((2, 6)), np.ones((2, 3)))
    _close(p, p0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_flat_ndarray_fast_path_and_keywords(backend):
    def update(W, g, lr):
        return W - lr * g
    W, g = RNG.standard_normal((7, 7)), RNG.standard_normal((7, 7))
    f = tr.compile(update, backend=backend, donate_argnums=0)
    out = W.copy()
    for _ in range(3):
        out = f(out, g, np.float64(0.5))
    np.testing.assert_allclose(out, W - 1.5 * g, rtol=1e-12)
    kw = tr.compile(update, backend=backend, donate_argnames="W")
    np.testing.assert_allclose(kw(W=W.copy(), g=g, lr=0.5), W - 0.5 * g, rtol=1e-12)
    both = tr.compile(update, backend=backend, static_argnums=2, donate_argnums=0)
    np.testing.assert_allclose(both(W.copy(), g, 0.5), W - 0.5 * g, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_list_of_pairs_and_a_donated_argument_after_a_static_one(backend):
    def step(n, params, g):
        return [(W - n * g, b + n) for W, b in params]
    params = [(RNG.standard_normal((3, 3)), RNG.standard_normal(3)) for _ in range(2)]
    g = RNG.standard_normal((3, 3))
    want = step(2.0, params, g)
    f = tr.compile(step, backend=backend, static_argnums=0, donate_argnums=1)
    got = f(2.0, [(W.copy(), b.copy()) for W, b in params], g)
    for (gw, gb), (ww, wb) in zip(got, want):
        np.testing.assert_allclose(gw, ww)
        np.testing.assert_allclose(gb, wb)


def test_methods_keep_their_donation():
    class Model:
        @tr.compile(backend="python", donate_argnums=0)
        def step(self, W):
            return W * 2.0
    W = RNG.standard_normal(4)
    np.testing.assert_allclose(Model().step(W.copy()), W * 2.0)


@pytest.mark.parametrize("options, match", [
    ({"donate_argnums": "0"}, "donate_argnums.*'0'"),
    ({"donate_argnums": (0, 1.5)}, "donate_argnums.*1.5"),
    ({"donate_argnums": True}, "donate_argnums.*True"),
    ({"donate_argnames": 3}, "donate_argnames.*3"),
    ({"donate_argnames": ("x", None)}, "donate_argnames.*None"),
    ({"static_argnums": "1"}, "static_argnums.*'1'"),
])
def test_bad_options_raise_type_errors_naming_them(options, match):
    with pytest.raises(TypeError, match=match):
        tr.compile(lambda x, n: x * n, **options)


@pytest.mark.parametrize("options", [
    {"static_argnums": 1, "donate_argnums": 1},
    {"static_argnums": (0, 1), "donate_argnums": (1,)},
    {"static_argnames": "n", "donate_argnums": 1},
    {"static_argnums": 1, "donate_argnames": "n"},
])
def test_static_and_donated_at_once_is_a_value_error(options):
    with pytest.raises(ValueError, match="both static and donated"):
        tr.compile(lambda x, n: x * n, **options)


@pytest.mark.parametrize("backend", BACKENDS)
def test_transforms_of_a_donating_function(backend):
    f = tr.compile(lambda x: np.sum(np.sin(x) * x), backend=backend, donate_argnums=0)
    x = RNG.standard_normal(5)
    keep = x.copy()
    want = np.cos(x) * x + np.sin(x)
    np.testing.assert_allclose(tr.grad(f)(x), want, rtol=1e-12)
    np.testing.assert_allclose(tr.compile(tr.grad(f), backend=backend)(x), want, rtol=1e-12)
    v = RNG.standard_normal(5)
    out, tangent = tr.jvp(f, (x,), (v,))
    np.testing.assert_allclose(tangent, want @ v, rtol=1e-12)
    np.testing.assert_array_equal(x, keep)     # inlined under a transform: nothing donated
