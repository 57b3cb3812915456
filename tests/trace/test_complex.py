"""Complex numbers against numpy: values (NaN, inf and empty arrays included), dtypes
and shapes, on the reference and the C backend; gradients of real functions of complex
inputs against central differences (JAX's convention: df/dx - i df/dy)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracer as tr

BACKENDS = ["python", "c"]


def cplx(rng, *shape, dtype=np.complex128):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def special(dtype=np.complex128):
    """Every pairing of 0, +-1, +-inf and NaN as real and imaginary parts."""
    parts = np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan])
    re, im = np.meshgrid(parts, parts)
    out = np.empty(re.size, dtype)
    out.real, out.imag = re.ravel(), im.ravel()
    return out


def same(got, want, rtol):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"dtype {got.dtype} != numpy's {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape} != numpy's {want.shape}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True)


def check(fn, *args, backend="python", rtol=1e-12):
    with np.errstate(all="ignore"):
        want = fn(*args)
        got = tr.compile(fn, backend=backend)(*args)
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            same(g, w, rtol)
    else:
        same(got, want, rtol)


UNARY = {
    "neg": np.negative, "abs": np.abs, "conj": np.conj, "real": np.real, "imag": np.imag,
    "angle": np.angle, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "arcsin": np.arcsin, "arctan": np.arctan,
    "log1p": np.log1p, "expm1": np.expm1, "square": np.square, "reciprocal": np.reciprocal,
    "sign": np.sign, "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite,
    "attr_real": lambda z: z.real, "attr_imag": lambda z: z.imag, "method_conj": lambda z: z.conj(),
    "iscomplex": np.iscomplex, "isreal": np.isreal, "angle_deg": lambda z: np.angle(z, deg=True),
}
BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "pow": np.power, "eq": np.equal, "ne": np.not_equal,
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_numpy(name, dtype, backend, rng):
    rtol = 1e-12 if dtype == np.complex128 else 2e-6
    check(UNARY[name], cplx(rng, 4, 5, dtype=dtype), backend=backend, rtol=rtol)
    check(UNARY[name], special(dtype), backend=backend, rtol=rtol)
    check(UNARY[name], np.zeros((0, 3), dtype), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_numpy_with_special_values(name, dtype, backend, rng):
    z = special(dtype)
    a, b = np.meshgrid(z, z)
    rtol = 1e-12 if dtype == np.complex128 else 2e-6
    check(BINARY[name], a.ravel(), b.ravel(), backend=backend, rtol=rtol)
    check(BINARY[name], cplx(rng, 3, 4, dtype=dtype), cplx(rng, 4, dtype=dtype), backend=backend,
          rtol=rtol)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("name", ["mul", "div", "add", "abs", "conj", "cast"])
def test_native_c_kernels_give_numpys_bits(name, dtype, rng):
    """The ops complex_ops.py renders in C, bit for bit, on random and special values."""
    fns = {"mul": lambda a, b: a * b, "div": lambda a, b: a / b, "add": lambda a, b: a - b + a,
           "abs": lambda a, b: np.abs(a) * 2, "conj": lambda a, b: np.conj(a) + b.real,
           "cast": lambda a, b: a.astype(np.complex64) + b.astype(np.complex128)}
    z = np.concatenate([special(dtype), cplx(rng, 1000, dtype=dtype)])
    a, b = z, np.roll(z, 7)
    fn = tr.compile(fns[name], backend="c")
    assert "numpy step" not in fn.lower(a, b).source()
    with np.errstate(all="ignore"):
        want = fns[name](a, b)
    got = fn(a, b)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_promotion_follows_nep50(backend, rng):
    z64, x32, x64 = cplx(rng, 4, dtype=np.complex64), rng.random(4, np.float32), rng.random(4)
    i = np.arange(4)
    check(lambda z, x: z * x, z64, x32, backend=backend, rtol=2e-6)
    check(lambda z, x: z * x, z64, x64, backend=backend)        # complex128
    check(lambda z: z * 2.5 + 1j, z64, backend=backend, rtol=2e-6)   # stays complex64
    check(lambda x: x * (1 + 2j), x32, backend=backend, rtol=2e-6)  # complex64
    check(lambda x: x + 1j, i, backend=backend)                    # complex128
    check(lambda z, s: z * s, z64, 1.5 + 2j, backend=backend, rtol=2e-6)   # weak argument


@pytest.mark.parametrize("backend", BACKENDS)
def test_reductions_matmul_and_layout(backend, rng):
    z, w = cplx(rng, 3, 4), cplx(rng, 4, 2)
    for fn in (np.sum, np.prod, np.mean, np.var, np.std, lambda v: np.sum(v, axis=0),
               lambda v: np.cumsum(v, axis=1), lambda v: np.mean(v, axis=1, keepdims=True)):
        check(fn, z, backend=backend, rtol=1e-12)
    check(lambda a, b: a @ b, z, w, backend=backend)
    check(lambda a: a.T[::-1] + a[:, :1].T, z.reshape(4, 3), backend=backend)
    check(lambda a: np.concatenate([a, a.real]), z, backend=backend)
    check(lambda a: np.where(a.real > 0, a, 0), z, backend=backend)
    check(np.sum, np.zeros((0, 2), complex), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_casts_follow_numpy(backend, rng):
    z = cplx(rng, 5)
    check(lambda v: v.astype(np.complex64), z, backend=backend, rtol=1e-6)
    check(lambda v: v.real.astype(np.complex128) + v.imag, z, backend=backend)
    check(lambda v: v.astype(bool), special(), backend=backend)
    with pytest.warns(np.exceptions.ComplexWarning):
        got = tr.compile(lambda v: v.astype(np.float64), backend=backend)(z)
    same(got, z.real, 0)


def test_python_complex_scalars_are_weak_arguments():
    f = tr.compile(lambda x, s: x * s, backend="python")
    x = np.ones(3, np.complex64)
    assert f(x, 2j).dtype == np.complex64
    assert f(np.ones(3, np.float32), 2j).dtype == np.complex64
    assert tr.compile(lambda z: np.iscomplexobj(z), backend="python")(np.ones(2, complex))


def test_grad_matches_central_differences(rng):
    """tr.grad of a real loss of complex inputs is dL/dx - i dL/dy (JAX's convention)."""
    z, a = cplx(rng, 6), cplx(rng, 6)

    def loss(z):
        return np.sum(np.abs(np.exp(z) * a - z ** 2) ** 2) + np.real(np.sum(np.log(z * z + 3)))

    g = tr.grad(loss)(z)
    eps = 1e-6
    for k in range(z.size):
        e = np.zeros(z.size)
        e[k] = eps
        d_re = (loss(z + e) - loss(z - e)) / (2 * eps)
        d_im = (loss(z + 1j * e) - loss(z - 1j * e)) / (2 * eps)
        np.testing.assert_allclose(g[k], d_re - 1j * d_im, rtol=1e-6)


def test_holomorphic_jvp_is_the_complex_derivative(rng):
    z, t = cplx(rng, 5), cplx(rng, 5)
    _, tangent = tr.jvp(lambda v: np.sin(v) * v, (z,), (t,))
    np.testing.assert_allclose(tangent, (np.cos(z) * z + np.sin(z)) * t, rtol=1e-12)


def test_complex_to_real_cast_warns_once_at_trace_time(rng):
    f = tr.compile(lambda v: v.astype(np.float32), backend="python")
    z = cplx(rng, 3)
    with pytest.warns(np.exceptions.ComplexWarning):
        f(z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f(z)        # traced already: numpy's warning was raised at trace time


@pytest.mark.parametrize("backend", BACKENDS)
def test_norms_and_vdot_conjugate_as_numpy(backend, rng):
    z = cplx(rng, 3, 4)
    for fn in (np.linalg.norm, lambda v: np.linalg.norm(v, axis=1), lambda v: np.linalg.norm(v, 1),
               lambda v: np.linalg.norm(v[0], np.inf), lambda v: np.vdot(v, v[::-1])):
        check(fn, z, backend=backend)
    g = tr.grad(lambda v: np.linalg.norm(v))(z)
    np.testing.assert_allclose(g, np.conj(z) / np.linalg.norm(z), rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_loops_updates_and_scalar_arguments(backend, rng):
    z = cplx(rng, 5)

    def loop(v):
        acc = v
        for _ in range(4):
            acc = acc * v + 1j
        return acc

    def update(v):
        v = v.copy()
        v[0] = 1j
        v[1:3] = v[3:5] * 2
        return v

    check(loop, z, backend=backend)
    check(update, z, backend=backend)
    check(lambda v, s: v * s, z.astype(np.complex64), 2j, backend=backend, rtol=1e-6)


@pytest.mark.parametrize("transform", [tr.jacobian, tr.hessian])
def test_jacobians_of_complex_values_are_refused_as_in_jax(transform):
    z = np.array([1 + 2j, 3 - 1j])
    with pytest.raises(TypeError, match="complex"):
        transform(lambda v: np.sum(np.abs(v) ** 2))(z)
    with pytest.raises(TypeError, match="complex"):
        tr.jacobian(lambda v: v * 1j)(np.array([1.0, 2.0]))
    hvp = tr.hvp(lambda v: np.sum(np.abs(v) ** 2), (z,), (np.ones(2, complex),))
    np.testing.assert_allclose(hvp[0] if isinstance(hvp, tuple) else hvp, [2, 2])


@pytest.mark.parametrize("backend", BACKENDS)
def test_real_only_rewrites_leave_complex_values_alone(backend, rng):
    """sqrt(z*z) is not |z|, log(exp(z)) wraps the phase, numpy's z**2, log(1 + z) and
    (inf+infj) * 1 are not z*z, log1p(z) and z: the optimizer's real identities skip them."""
    z = np.concatenate([special(), cplx(rng, 20) * 3])
    for fn in (lambda v: np.sqrt(v * v), lambda v: np.log(np.exp(v)), lambda v: v ** 2,
               lambda v: np.log(1 + v), lambda v: v * 1, lambda v: np.sqrt(v ** 2)):
        with np.errstate(all="ignore"):
            want = fn(z)
            got = tr.compile(fn, backend=backend)(z)
        np.testing.assert_array_equal(got, want)
