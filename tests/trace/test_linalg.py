"""np.linalg and scipy.linalg traced: values, dtypes and shapes against numpy/scipy on
both backends (batched, empty batches), numpy's errors with the user's line, the
classic identities, and derivatives (tr.grad, tr.jvp, tr.vjp) against central
differences, on the reference and the C backend."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import scipy.linalg

import tracer as tr

from ..autodiff.numeric import numeric_grad

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")
BACKENDS = ["python", pytest.param("c", marks=needs_cc)]


def spd(rng, batch, n, dtype=np.float64):
    x = rng.normal(size=batch + (n, n))
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def general(rng, batch, m, n=None, dtype=np.float64):
    return (rng.normal(size=batch + (m, n or m)) + 2 * np.eye(m, n or m)).astype(dtype)


# name -> (function of arrays, input maker(rng, batch, dtype)); values only the
# sign-free parts of factorizations whose vectors numpy leaves a sign to choose
FUNCS = {
    "solve": (lambda a, b: np.linalg.solve(a, b),
              lambda r, bt, dt: [general(r, bt, 4, dtype=dt), r.normal(size=bt + (4, 2)).astype(dt)]),
    "solve_vector": (lambda a, b: np.linalg.solve(a, b),
                     lambda r, bt, dt: [general(r, bt, 4, dtype=dt), r.normal(size=4).astype(dt)]),
    "inv": (np.linalg.inv, lambda r, bt, dt: [general(r, bt, 4, dtype=dt)]),
    "det": (np.linalg.det, lambda r, bt, dt: [general(r, bt, 4, dtype=dt)]),
    "slogdet": (lambda a: np.stack(np.linalg.slogdet(a)), lambda r, bt, dt: [general(r, bt, 4, dtype=dt)]),
    "cholesky": (np.linalg.cholesky, lambda r, bt, dt: [spd(r, bt, 4, dt)]),
    "cholesky_upper": (lambda a: np.linalg.cholesky(a, upper=True), lambda r, bt, dt: [spd(r, bt, 4, dt)]),
    "eigh": (lambda a: np.linalg.eigh(a)[0], lambda r, bt, dt: [spd(r, bt, 4, dt)]),
    "eigh_vectors": (lambda a: np.abs(np.linalg.eigh(a, UPLO="U")[1]), lambda r, bt, dt: [spd(r, bt, 4, dt)]),
    "eigvalsh": (np.linalg.eigvalsh, lambda r, bt, dt: [spd(r, bt, 4, dt)]),
    "svd_values": (lambda a: np.linalg.svd(a, compute_uv=False),
                   lambda r, bt, dt: [general(r, bt, 5, 3, dtype=dt)]),
    "svd_thin": (lambda a: np.abs(np.linalg.svd(a, full_matrices=False)[0]),
                 lambda r, bt, dt: [general(r, bt, 5, 3, dtype=dt)]),
    "qr_r": (lambda a: np.abs(np.linalg.qr(a, mode="r")), lambda r, bt, dt: [general(r, bt, 5, 3, dtype=dt)]),
    "pinv": (np.linalg.pinv, lambda r, bt, dt: [general(r, bt, 3, 5, dtype=dt)]),
    "matrix_power": (lambda a: np.linalg.matrix_power(a, -3), lambda r, bt, dt: [general(r, bt, 3, dtype=dt)]),
    "norm_nuc": (lambda a: np.linalg.norm(a, "nuc", axis=(-2, -1)),
                 lambda r, bt, dt: [general(r, bt, 4, 3, dtype=dt)]),
    "norm_2": (lambda a: np.linalg.norm(a, -2, axis=(-2, -1)), lambda r, bt, dt: [general(r, bt, 4, 3, dtype=dt)]),
    "trace": (lambda a: np.linalg.trace(a), lambda r, bt, dt: [general(r, bt, 4, dtype=dt)]),
    "expm": (lambda a: scipy.linalg.expm(a / 4), lambda r, bt, dt: [general(r, bt, 3, dtype=dt)]),
    "solve_triangular": (lambda a, b: scipy.linalg.solve_triangular(a, b, lower=True, trans=1),
                         lambda r, bt, dt: [np.linalg.cholesky(spd(r, (), 4, dt)),
                                            r.normal(size=(4, 2)).astype(dt)]),
    "cho_solve": (lambda a, b: scipy.linalg.cho_solve(scipy.linalg.cho_factor(a), b),
                  lambda r, bt, dt: [spd(r, (), 4, dt), r.normal(size=4).astype(dt)]),
    "scipy_pinv": (lambda a: scipy.linalg.pinv(a[..., :2] @ a[..., :2, :], atol=0.1),   # rank 2
                   lambda r, bt, dt: [general(r, (), 4, dtype=dt)]),
}
TOL = {np.float64: 1e-9, np.float32: 2e-3}


@pytest.mark.parametrize("batch", [(), (3,), (2, 0)], ids=["single", "batched", "empty"])
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_values_match_numpy_on_the_reference_backend(name, batch, rng):
    _check_values(name, batch, np.float64, "python", rng)


@needs_cc
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_values_match_numpy_on_the_c_backend(name, rng):
    _check_values(name, (2,), np.float64, "c", rng)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["solve", "cholesky", "slogdet", "eigh", "svd_values", "expm"])
def test_float32_stays_float32(name, backend, rng):
    _check_values(name, (2,), np.float32, backend, rng)


def _check_values(name, batch, dtype, backend, rng):
    fn, make = FUNCS[name]
    if batch == (2, 0) and name in ("solve_triangular", "cho_solve"):
        batch = ()
    args = make(rng, batch, dtype)
    want = fn(*args)
    got = tr.compile(fn, backend=backend)(*args)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])


def test_integer_matrices_compute_in_float64(rng):
    a = rng.integers(-3, 4, size=(3, 3)) + 6 * np.eye(3, dtype=np.int64)
    got = tr.compile(np.linalg.inv)(a)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, np.linalg.inv(a), rtol=1e-12)
    assert tr.compile(lambda x: np.linalg.matrix_power(x, 3))(a).dtype == np.int64


@pytest.mark.parametrize("backend", BACKENDS)
def test_identities(backend, rng):
    a = general(rng, (3,), 5, 4)
    s = spd(rng, (3,), 4)

    @tr.compile(backend=backend)
    def parts(a, s):
        q, r = np.linalg.qr(a)
        u, sv, vh = np.linalg.svd(a, full_matrices=False)
        w, v = np.linalg.eigh(s)
        return np.linalg.inv(s) @ s, q @ r, (u * sv[..., None, :]) @ vh, (v * w[..., None, :]) @ \
            np.swapaxes(v, -1, -2)
    eye_, qr_, usv, vwv = parts(a, s)
    np.testing.assert_allclose(eye_, np.broadcast_to(np.eye(4), (3, 4, 4)), atol=1e-12)
    np.testing.assert_allclose(qr_, a, atol=1e-12)
    np.testing.assert_allclose(usv, a, atol=1e-12)
    np.testing.assert_allclose(vwv, s, atol=1e-12)


def test_scipy_cho_factor_keeps_scipys_other_triangle(rng):
    a = spd(rng, (), 4)
    for lower in (False, True):
        c, low = tr.compile(lambda x, lower=lower: scipy.linalg.cho_factor(x, lower=lower))(a)
        want, wl = scipy.linalg.cho_factor(a, lower=lower)
        assert low == wl
        np.testing.assert_allclose(c, want, rtol=1e-13)


# -- errors ------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn, match", [
    (lambda a: np.linalg.inv(a) + 1, "Singular matrix"),
    (lambda a: np.linalg.solve(a, a[0]), "Singular matrix"),
    (lambda a: np.linalg.cholesky(a) * 2, "not positive definite"),
])
def test_singular_input_raises_linalgerror_naming_the_line(fn, match, backend):
    f = tr.compile(fn, backend=backend)
    with pytest.raises(np.linalg.LinAlgError, match=match) as info:
        f(np.ones((3, 3)))
    assert "test_linalg.py" in str(info.value)
    np.testing.assert_allclose(f(4 * np.eye(3)), fn(4 * np.eye(3)))    # still usable


def test_bad_shapes_and_dtypes_raise_numpys_errors():
    with pytest.raises(np.linalg.LinAlgError, match="must be square"):
        tr.compile(np.linalg.inv)(np.ones((3, 2)))
    with pytest.raises(np.linalg.LinAlgError, match="at least two-dimensional"):
        tr.compile(np.linalg.det)(np.ones(3))
    with pytest.raises(ValueError, match="mismatch in its core dimension"):
        tr.compile(np.linalg.solve)(np.eye(3), np.ones(4))
    with pytest.raises(TypeError, match="float16 is unsupported"):
        tr.compile(lambda a: np.linalg.cholesky(a.astype(np.float16)))(np.eye(3))


def test_the_text_form_marks_the_numpy_steps(rng):
    text = tr.compile(np.linalg.slogdet).lower(spd(rng, (), 3)).as_text()
    assert "slogdet %0  # numpy fallback" in text


# -- derivatives ------------------------------------------------------------------
GRAD_FUNCS = {
    "solve": (lambda a, b: np.linalg.solve(a, b), lambda r: [general(r, (2,), 3), r.normal(size=(2, 3, 2))]),
    "inv": (np.linalg.inv, lambda r: [general(r, (), 3)]),
    "det": (np.linalg.det, lambda r: [general(r, (2,), 3)]),
    "slogdet": (lambda a: np.linalg.slogdet(a)[1], lambda r: [general(r, (2,), 3)]),
    "cholesky": (np.linalg.cholesky, lambda r: [spd(r, (2,), 3)]),
    "eigh": (lambda a: np.linalg.eigh(a)[0] + np.sum(np.linalg.eigh(a)[1] ** 2 * np.arange(3.0), -1),
             lambda r: [spd(r, (), 3)]),
    "eigvalsh": (lambda a: np.linalg.eigvalsh(a, UPLO="U"), lambda r: [spd(r, (2,), 3)]),
    "svd": (lambda a: np.linalg.svd(a, full_matrices=False)[1] * 2
            + np.sum(np.linalg.svd(a, full_matrices=False)[0] ** 2 * np.arange(3.0), -1)[..., :3],
            lambda r: [general(r, (), 4, 3)]),
    "svd_wide": (lambda a: np.sum(np.linalg.svd(a, full_matrices=False)[2] ** 2 * np.arange(4.0), -1),
                 lambda r: [general(r, (), 3, 4)]),
    "qr": (lambda a: np.linalg.qr(a)[0] ** 2 + 0.5 * np.linalg.qr(a)[1].sum(), lambda r: [general(r, (), 4, 3)]),
    "pinv": (np.linalg.pinv, lambda r: [general(r, (), 3, 4)]),
    "norm_2": (lambda a: np.linalg.norm(a, 2), lambda r: [general(r, (), 3, 4)]),
    "norm_nuc": (lambda a: np.linalg.norm(a, "nuc"), lambda r: [general(r, (), 3, 4)]),
    "matrix_power": (lambda a: np.linalg.matrix_power(a, 3), lambda r: [general(r, (), 3)]),
    "expm": (lambda a: scipy.linalg.expm(a / 3), lambda r: [general(r, (), 3)]),
    "solve_triangular": (lambda a, b: scipy.linalg.solve_triangular(a, b, lower=False),
                         lambda r: [general(r, (), 3) + 2 * np.eye(3), r.normal(size=(3, 2))]),
    "cho_solve": (lambda a, b: scipy.linalg.cho_solve(scipy.linalg.cho_factor(a, lower=True), b),
                  lambda r: [spd(r, (), 3), r.normal(size=3)]),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(GRAD_FUNCS))
def test_grad_jvp_vjp_match_central_differences(name, backend, rng):
    fn, make = GRAD_FUNCS[name]
    args = make(rng)
    out = np.asarray(fn(*args))
    w = rng.normal(size=out.shape)

    def loss(*a):
        return np.sum(w * fn(*a))
    nums = tuple(range(len(args)))
    grads = tr.compile(tr.grad(loss, argnums=nums), backend=backend)(*args)
    for i, g in zip(nums, grads):
        np.testing.assert_allclose(g, numeric_grad(loss, args, i), rtol=1e-6, atol=1e-7)
    tangents = [rng.normal(size=a.shape) for a in args]
    value, jv = tr.jvp(tr.compile(fn, backend=backend), args, tangents)
    np.testing.assert_allclose(value, out, rtol=1e-12, atol=1e-12)
    eps = 1e-6
    plus = fn(*[a + eps * t for a, t in zip(args, tangents)])
    minus = fn(*[a - eps * t for a, t in zip(args, tangents)])
    np.testing.assert_allclose(jv, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-7)
    _, vjp_fn = tr.vjp(fn, *args)
    cts = vjp_fn(w)
    inner = sum(float(np.sum(c * t)) for c, t in zip(cts, tangents))
    assert abs(inner - float(np.sum(w * jv))) < 1e-9 * max(1.0, abs(inner))


def test_full_svd_of_a_non_square_matrix_has_no_gradient(rng):
    a = general(rng, (), 4, 3)
    with pytest.raises(NotImplementedError, match="full_matrices"):
        tr.grad(lambda x: np.sum(np.linalg.svd(x)[0]))(a)


def test_an_untraced_linalg_function_is_named_with_its_module_and_an_alternative():
    with pytest.raises(TypeError, match=r"np\.linalg\.eig is not supported .*use np\.linalg\.eigh"):
        tr.compile(np.linalg.eig)(np.eye(3))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_solve_inside_a_rolled_loop(backend, rng):
    """The loop becomes one SCAN whose body holds the numpy step (C: the body's function)."""
    def f(a, x):
        for _ in range(6):
            x = np.linalg.solve(a, x) + np.tanh(x)
        return np.sum(x ** 2)
    a, x = general(rng, (), 4) + 2 * np.eye(4), rng.normal(size=4)
    compiled = tr.compile(f, backend=backend)
    assert "scan" in compiled.lower(a, x).as_text()
    np.testing.assert_allclose(compiled(a, x), f(a, x), rtol=1e-13)
    np.testing.assert_allclose(tr.compile(tr.grad(f), backend=backend)(a, x),
                               numeric_grad(f, (a, x), 0), rtol=1e-6, atol=1e-8)
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        compiled(np.zeros((4, 4)), x)


@pytest.mark.parametrize("n", [4, 40], ids=["substitution", "lu"])
@pytest.mark.parametrize("lower, trans, unit", [(True, 0, False), (False, 1, True), (True, 1, False)])
def test_batched_solve_triangular_against_scipy_per_matrix(n, lower, trans, unit, rng):
    a = rng.normal(size=(3, n, n)) / n + np.eye(n)     # well conditioned, unit diagonal too
    b = rng.normal(size=(3, n, 2))
    f = tr.compile(lambda a, b: scipy.linalg.solve_triangular(a, b, trans=trans, lower=lower,
                                                              unit_diagonal=unit))
    want = [scipy.linalg.solve_triangular(a[i], b[i], trans=trans, lower=lower,
                                          unit_diagonal=unit) for i in range(3)]
    np.testing.assert_allclose(f(a, b), np.stack(want), rtol=1e-10, atol=1e-12)
    a[1, 2, 2] = 0
    with pytest.raises(np.linalg.LinAlgError, match="[Ss]ingular"):
        tr.compile(lambda a, b: scipy.linalg.solve_triangular(a, b, lower=True))(a, b)
