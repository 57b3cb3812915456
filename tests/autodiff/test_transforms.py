"""The public transforms against independent references: scipy's Rosenbrock
derivatives, hand-written backprop and BPTT, central differences."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import rosen_der, rosen_hess, rosen_hess_prod

import tracer as tr
from tests.autodiff.numeric import numeric_grad


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


def close(got, want, tol=1e-10):
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.max(np.abs(want)))


# -- Rosenbrock against scipy's hand-written derivatives -----------------------------
def test_rosenbrock_grad_hvp_hessian_match_scipy():
    rng = np.random.default_rng(0)
    x, v = rng.normal(size=30), rng.normal(size=30)
    close(tr.grad(rosen)(x), rosen_der(x))
    (hv,) = tr.hvp(rosen, (x,), (v,))
    close(hv, rosen_hess_prod(x, v))
    close(tr.hessian(rosen)(x), rosen_hess(x))
    close(tr.jacobian(tr.grad(rosen))(x), rosen_hess(x))


def test_compiled_grad_and_hvp_reuse_the_cache():
    rng = np.random.default_rng(1)
    g = tr.compile(tr.grad(rosen))
    h = tr.compile(lambda x, v: tr.hvp(rosen, (x,), (v,))[0])
    for _ in range(3):
        x, v = rng.normal(size=50), rng.normal(size=50)
        close(g(x), rosen_der(x))
        close(h(x, v), rosen_hess_prod(x, v))
    assert g.cache_size == 1 and h.cache_size == 1
    plain = tr.grad(rosen)          # the same transform as every tr.grad(rosen) (samefn.py)
    before = plain._compiled.cache_size
    plain(x), plain(x + 1)
    assert plain._compiled.cache_size <= before + 1
    assert tr.grad(rosen) is plain


def test_grad_of_compiled_function():
    f = tr.compile(rosen)
    x = np.linspace(-1, 1, 9)
    close(tr.grad(f)(x), rosen_der(x))
    close(tr.hvp(f, (x,), (x,))[0], rosen_hess_prod(x, x))


# -- an MLP with a dict of parameters against hand-written backprop ----------------------
def mlp_loss(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def mlp_backprop(params, x, y):
    a = x @ params["W1"] + params["b1"]
    h = np.tanh(a)
    out = h @ params["W2"] + params["b2"]
    d_out = 2 * (out - y) / out.size
    d_h = d_out @ params["W2"].T
    d_a = d_h * (1 - h ** 2)
    return {"W1": x.T @ d_a, "b1": d_a.sum(0), "W2": h.T @ d_out, "b2": d_out.sum(0)}


def test_mlp_gradient_equals_backprop():
    rng = np.random.default_rng(2)
    params = {"W1": rng.normal(size=(6, 8)), "b1": rng.normal(size=8),
              "W2": rng.normal(size=(8, 3)), "b2": rng.normal(size=3)}
    x, y = rng.normal(size=(5, 6)), rng.normal(size=(5, 3))
    want = mlp_backprop(params, x, y)
    for g in (tr.grad(mlp_loss)(params, x, y), tr.compile(tr.grad(mlp_loss))(params, x, y)):
        assert sorted(g) == sorted(want)
        for k in want:
            close(g[k], want[k])
    value, g = tr.value_and_grad(mlp_loss)(params, x, y)
    close(value, mlp_loss(params, x, y))


# -- a vanilla RNN as a Python loop against hand-written BPTT ------------------------
def rnn_loss(params, xs, target):
    h = np.zeros(params["Wh"].shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(params["Wh"] @ h + params["Wx"] @ xs[t] + params["b"])
    return 0.5 * np.sum((h - target) ** 2)


def rnn_bptt(params, xs, target):
    hs = [np.zeros(params["Wh"].shape[0])]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(params["Wh"] @ hs[-1] + params["Wx"] @ xs[t] + params["b"]))
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dh = hs[-1] - target
    for t in reversed(range(xs.shape[0])):
        da = dh * (1 - hs[t + 1] ** 2)
        grads["Wh"] += np.outer(da, hs[t])
        grads["Wx"] += np.outer(da, xs[t])
        grads["b"] += da
        dh = params["Wh"].T @ da
    return grads


def test_rnn_gradient_equals_bptt():
    rng = np.random.default_rng(3)
    params = {"Wh": rng.normal(size=(4, 4)) * 0.5, "Wx": rng.normal(size=(4, 3)),
              "b": rng.normal(size=4)}
    xs, target = rng.normal(size=(7, 3)), rng.normal(size=4)
    got = tr.grad(rnn_loss)(params, xs, target)
    want = rnn_bptt(params, xs, target)
    for k in want:
        close(got[k], want[k])


# -- the API: pytrees, argnums, aux, vjp/jvp, nesting, compile ----------------------------
def test_argnums_tuple_and_has_aux():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])

    def f(x, y):
        return np.sum(x * y ** 2), {"norm": np.sum(x * x)}
    (gx, gy), aux = tr.grad(f, argnums=(0, 1), has_aux=True)(x, y)
    close(gx, y ** 2), close(gy, 2 * x * y), close(aux["norm"], 5.0)
    (value, aux), gy = tr.value_and_grad(f, argnums=1, has_aux=True)(x, y)
    close(value, np.sum(x * y ** 2)), close(gy, 2 * x * y)
    close(tr.grad(lambda x, y: np.sum(x * y), argnums=-1)(x, y), x)


def test_vjp_and_jvp_on_pytrees():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 2)), rng.normal(size=2)

    def f(p, s):
        return {"u": np.sin(p["a"]) @ p["b"] * s, "v": p["b"] ** 2}
    primals = ({"a": a, "b": b}, 1.5)
    out, vjp_fn = tr.vjp(f, *primals)
    close(out["u"], np.sin(a) @ b * 1.5)
    ct = {"u": rng.normal(size=3), "v": rng.normal(size=2)}
    (gp, gs) = vjp_fn(ct)
    close(gp["a"], np.outer(ct["u"], b) * np.cos(a) * 1.5)
    close(gp["b"], np.sin(a).T @ ct["u"] * 1.5 + 2 * b * ct["v"])
    close(gs, ct["u"] @ (np.sin(a) @ b))
    tangents = ({"a": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}, 0.5)
    out2, tout = tr.jvp(f, primals, tangents)
    lhs = sum(np.sum(ct[k] * tout[k]) for k in ct)
    rhs = np.sum(gp["a"] * tangents[0]["a"]) + np.sum(gp["b"] * tangents[0]["b"]) + gs * 0.5
    assert abs(lhs - rhs) < 1e-10 * max(1, abs(lhs))
    with pytest.raises(ValueError, match="structure"):
        vjp_fn({"u": ct["u"]})


def test_nesting_to_any_order():
    f = lambda x: np.sin(x) * x ** 3  # noqa: E731
    x = 0.7
    d1 = lambda x: np.cos(x) * x ** 3 + 3 * np.sin(x) * x ** 2  # noqa: E731
    d2 = numeric_grad(lambda x: d1(x), [x], 0)
    assert abs(tr.grad(tr.grad(f))(x) - d2) < 1e-7
    d3 = numeric_grad(lambda x: tr.grad(tr.grad(f))(x), [x], 0)
    assert abs(tr.grad(tr.grad(tr.grad(f)))(x) - d3) < 1e-6
    _, t = tr.jvp(tr.grad(f), (x,), (1.0,))
    assert abs(t - d2) < 1e-7
    g = lambda x: np.sum(tr.grad(rosen)(x) ** 2)  # noqa: E731  hessian of a fn calling grad
    xs = np.array([0.3, -0.2, 0.9])
    H = tr.hessian(g)(xs)
    Hn = np.stack([numeric_grad(lambda x, i=i: tr.grad(g)(x)[i], [xs], 0) for i in range(3)])
    np.testing.assert_allclose(H, Hn, rtol=1e-5, atol=1e-4)


def test_transforms_inside_compile_and_closures_over_traced_values():
    rng = np.random.default_rng(5)
    w, x, y = rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=4)

    def loss(w, x, y):
        return np.mean((x @ w - y) ** 2)

    @tr.compile
    def step(w, x, y):
        return w - 0.1 * tr.grad(lambda w: loss(w, x, y))(w)

    want = w - 0.1 * (2 * x.T @ (x @ w - y) / 4)
    close(step(w, x, y), want)

    @tr.compile
    def outer(w):
        z = w * 2.0  # x depends on w but is a constant of the inner derivative
        return tr.grad(lambda v: np.sum(v * z))(w)
    close(outer(w), 2 * w)


def test_jacobian_forward_and_reverse_shapes():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 3))

    def f(x):
        return np.tanh(x).sum(axis=0) * 2.0
    J = tr.jacobian(f)(x)
    assert J.shape == (3, 2, 3)
    want = np.zeros((3, 2, 3))
    for j in range(3):
        want[j, :, j] = 2 * (1 - np.tanh(x[:, j]) ** 2)
    close(J, want)
    big = tr.jacobian(lambda v: np.outer(v, v))(np.array([1.0, 2.0]))  # forward mode
    assert big.shape == (2, 2, 2)
    close(big[0, 1], [2.0, 1.0])
    ja, jb = tr.jacobian(lambda a, b: a * b, argnums=(0, 1))(np.ones(2), np.array([3.0, 4.0]))
    close(ja, np.diag([3.0, 4.0])), close(jb, np.eye(2))


def test_dtypes_float32_and_python_scalars():
    x32 = np.array([1.0, 2.0], dtype=np.float32)
    g = tr.grad(lambda x: np.sum(x * x))(x32)
    assert g.dtype == np.float32 and g.tolist() == [2.0, 4.0]
    hv = tr.hvp(lambda x: np.sum(x ** 3), (x32,), (np.ones(2, np.float32),))[0]
    assert hv.dtype == np.float32
    gs = tr.grad(lambda a, b: a * b ** 2, argnums=(0, 1))(3.0, 2.0)
    assert [float(v) for v in gs] == [4.0, 12.0]
    assert np.asarray(gs[0]).dtype == np.float64


def test_integer_arguments_pass_through_but_cannot_be_differentiated():
    x, idx = np.arange(5.0), np.array([4, 0, 4])
    close(tr.grad(lambda x, i: np.sum(x[i] ** 2))(x, idx), [0, 0, 0, 0, 16.0])
    with pytest.raises(TypeError, match="argument 1.*int64"):
        tr.grad(lambda x, i: np.sum(x[i]), argnums=1)(x, idx)
    with pytest.raises(TypeError, match="float"):
        tr.grad(lambda n: n * 2.0)(3)


def test_errors_are_clear():
    with pytest.raises(TypeError, match="scalar"):
        tr.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match="argnums"):
        tr.grad(rosen, argnums="x")
    with pytest.raises(ValueError, match="out of range"):
        tr.grad(rosen, argnums=3)(np.ones(3))
    with pytest.raises(TypeError, match="pair"):
        tr.grad(rosen, has_aux=True)(np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        tr.jvp(np.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(TypeError, match="tuple or list"):
        tr.jvp(np.sin, np.ones(3), np.ones(3))


def test_unused_and_constant_paths_give_zeros():
    g = tr.grad(lambda x, y: np.sum(y * 0.0) + 1.0, argnums=(0, 1))(np.ones(2), np.ones(3))
    close(g[0], np.zeros(2)), close(g[1], np.zeros(3))


def test_edge_cases_empty_nan_int_outputs():
    assert tr.grad(lambda x: np.sum(x ** 2))(np.zeros(0)).shape == (0,)
    assert tr.grad(lambda x: np.prod(x))(np.zeros(0)).shape == (0,)
    g = tr.grad(lambda x: np.sum(np.sqrt(x)))(np.array([4.0, np.nan, np.inf]))
    np.testing.assert_array_equal(g, [0.25, np.nan, 0.0])
    (hx, hi) = tr.hvp(lambda x, i: np.sum(x[i] ** 3), (np.arange(3.0), np.array([2, 2])),
                      (np.ones(3), np.zeros(2, np.int64)))
    close(hx, [0, 0, 24.0])
    assert hi.dtype == np.int64 and not hi.any()
    (_, n), (_, tn) = tr.jvp(lambda x: (x, x.astype(np.int64)), (np.ones(2),), (np.ones(2),))
    assert tn.dtype == np.int64 and not tn.any()


def test_hessian_with_argnums_tuple():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    (hxx, hxy), (hyx, hyy) = tr.hessian(lambda x, y: np.sum(x * x * y), argnums=(0, 1))(x, y)
    close(hxx, np.diag(2 * y)), close(hxy, np.diag(2 * x)), close(hyx, np.diag(2 * x))
    close(hyy, np.zeros((2, 2)))


def test_concrete_arguments_inside_a_trace_with_a_traced_closure():
    w0 = np.array([1.0, -2.0])

    @tr.compile
    def f(x):
        return tr.grad(lambda w: np.sum(w * x) ** 2)(w0)  # w0 is an array, x is traced
    x = np.array([0.5, 3.0])
    close(f(x), 2 * np.sum(w0 * x) * x)


def test_non_array_arguments_are_static():
    def f(x, activation, scale=1.0):
        return np.sum(getattr(np, activation)(x)) * scale
    x = np.array([0.1, 0.2])
    close(tr.grad(f)(x, "tanh"), 1 - np.tanh(x) ** 2)
    close(tr.grad(f)(x, "sin", scale=2.0), 2 * np.cos(x))


def test_transform_as_a_method():
    class Model:
        scale = 3.0

        def energy(self, x):
            return np.sum(x ** 3) * self.scale
        force = tr.grad(energy, argnums=1)
    close(Model().force(np.array([1.0, 2.0])), [9.0, 36.0])


@pytest.mark.slow
@pytest.mark.needs_cc
def test_derivative_graphs_run_on_the_c_backend():
    rng = np.random.default_rng(7)
    x, v = rng.normal(size=100), rng.normal(size=100)
    close(tr.compile(tr.grad(rosen), backend="c")(x), rosen_der(x))
    hvp_c = tr.compile(lambda x, v: tr.hvp(rosen, (x,), (v,))[0], backend="c")
    close(hvp_c(x, v), rosen_hess_prod(x, v))
    params = {"W1": rng.normal(size=(6, 8)), "b1": rng.normal(size=8),
              "W2": rng.normal(size=(8, 3)), "b2": rng.normal(size=3)}
    xb, yb = rng.normal(size=(5, 6)), rng.normal(size=(5, 3))
    got = tr.compile(tr.grad(mlp_loss), backend="c")(params, xb, yb)
    want = mlp_backprop(params, xb, yb)
    for k in want:
        close(got[k], want[k])
