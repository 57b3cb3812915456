"""Derivatives of numpy code: the surface composes primitives, the rules do the rest.

Each case is an ordinary numpy function; its tr.grad is checked against
central differences and its tr.vjp against its tr.jvp (transposition).
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import tracer as tr
from tests.autodiff.numeric import check_derivatives, check_hvp, numeric_grad

R = np.random.default_rng(42)


def n(*shape):
    return R.normal(size=shape)


def pos(*shape):
    return R.uniform(0.5, 2.0, size=shape)


def _logsumexp(x):
    m = np.max(x, axis=-1, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=-1)) + m[..., 0]


CASES = {
    "broadcast_add_mul": (lambda x, y: (x + y) * x, n(3, 1), n(4)),
    "broadcast_scalar_python": (lambda x: 2.0 * x ** 3 - 1 / (1 + x * x), n(5)),
    "broadcast_rank0": (lambda x, y: np.sin(x) * y, n(), n(2, 3)),
    "divide_power": (lambda x, y: x / y + y ** x, pos(2, 3), pos(3)),
    "sum_keepdims": (lambda x: x * x.sum(axis=0, keepdims=True), n(3, 4)),
    "mean_var_std": (lambda x: x.mean(axis=1) + x.var(axis=1) + np.std(x, axis=0).sum(), n(3, 4)),
    "prod_axis": (lambda x: np.prod(x, axis=1), n(3, 4)),
    "max_min_axis": (lambda x: np.max(x, axis=0) - np.min(x, axis=1).sum(), n(4, 3)),
    "amax_keepdims": (lambda x: x - np.amax(x, axis=1, keepdims=True), n(3, 4)),
    "fancy_index_repeats": (lambda x, i: x[i] * 2.0, n(5, 3), np.array([0, 3, 3, -1, 0])),
    "fancy_index_2d": (lambda x: x[np.array([1, 2, 1]), np.array([0, 0, 3])], n(3, 4)),
    "basic_index": (lambda x: x[1:, ::-2] + x[0, 1], n(4, 5)),
    "setitem": (lambda x, y: _setitem(x, y), n(4, 3), n(3)),
    "take": (lambda x: np.take(x, np.array([2, 0, 2]), axis=1), n(3, 4)),
    "take_along_axis": (lambda x: np.take_along_axis(x, np.array([[0], [2], [1]]), axis=1),
                        n(3, 4)),
    "concatenate": (lambda x, y: np.concatenate([x, y, x], axis=0), n(2, 3), n(1, 3)),
    "stack": (lambda x, y: np.stack([x, y * y], axis=1), n(2, 3), n(2, 3)),
    "split": (lambda x: np.split(x, 3, axis=1)[1] * np.split(x, [1], axis=0)[0][:, :2], n(3, 6)),
    "hstack_vstack": (lambda x: np.vstack([x, np.hstack([x[:, :1], x[:, 1:]])]), n(2, 3)),
    "reshape_transpose": (lambda x: x.reshape(3, 8).T @ np.ones(3) + x.transpose(2, 0, 1).ravel()[:8],
                          n(2, 3, 4)),
    "matmul_2d": (lambda a, b: a @ b, n(3, 4), n(4, 2)),
    "matmul_batched": (lambda a, b: np.matmul(a, b), n(2, 3, 4), n(4, 5)),
    "matmul_broadcast_batch": (lambda a, b: a @ b, n(2, 1, 3, 4), n(3, 4, 2)),
    "matmul_1d": (lambda a, b, c: (a @ b) * (b @ c), n(3), n(3, 3), n(3)),
    "dot_vector": (lambda a, b: np.dot(a, b), n(4), n(4)),
    "einsum": (lambda a, b: np.einsum("bij,bjk->bik", a, b), n(2, 3, 4), n(2, 4, 2)),
    "einsum_trace_outer": (lambda a, b: np.einsum("ii,j->j", a, b), n(3, 3), n(2)),
    "tensordot": (lambda a, b: np.tensordot(a, b, axes=([1, 2], [0, 1])), n(2, 3, 4), n(3, 4, 2)),
    "where": (lambda x, y: np.where(x > 0, x * y, y - x), n(3, 4), n(4)),
    "clip": (lambda x: np.clip(x, -0.5, 0.7) * x, n(4, 4)),
    "cumsum": (lambda x: np.cumsum(x, axis=1) * np.cumsum(x[::-1], axis=0), n(3, 4)),
    "cumprod": (lambda x: np.cumprod(x, axis=0), n(4, 3)),
    "norm": (lambda x: np.linalg.norm(x) + np.linalg.norm(x, axis=1).sum(), n(3, 4)),
    "pad": (lambda x: np.pad(x, ((1, 2), (0, 1))) * 3.0, n(2, 3)),
    "flip_roll": (lambda x: np.roll(np.flip(x, axis=0), 2, axis=1), n(3, 4)),
    "erf_erfc": (lambda x: sc.erf(x) * sc.erfc(x / 2), n(6)),
    "expit_logit": (lambda x: sc.expit(x) + sc.logit(sc.expit(x / 3)), n(6)),
    "xlogy_xlog1py": (lambda x, y: sc.xlogy(x, y) + sc.xlog1py(x, y), n(5), pos(5)),
    "gammaln": (lambda x: sc.gammaln(x), R.uniform(0.3, 8, size=6)),
    "logsumexp": (lambda x: _logsumexp(x), n(3, 5)),
    "logaddexp_hypot_arctan2": (lambda x, y: np.logaddexp(x, y) + np.hypot(x, y) + np.arctan2(x, y),
                                n(4), n(3, 4)),
    "trig_hyperbolic": (lambda x: np.tan(x / 3) + np.arcsinh(x) + np.cosh(x) * np.arctan(x), n(6)),
    "maximum_fmin": (lambda x, y: np.maximum(x, y) * np.fmin(x, 0.1), n(5), n(5)),
    "abs_sqrt_cbrt": (lambda x: np.abs(x) + np.sqrt(np.abs(x) + 1) + np.cbrt(x * x + 1), n(6)),
    "exp_log_family": (lambda x: np.exp2(x) + np.expm1(x) + np.log1p(x * x) + np.log10(x * x + 1)
                       + np.log2(x * x + 2), n(6)),
    "cast_float32_roundtrip": (lambda x: (x.astype(np.float32) * 2).astype(np.float64) * 0 + x * x,
                               n(4)),
    "floor_is_flat": (lambda x: np.floor(x) * x + np.sign(x), n(5)),
}


def _setitem(x, y):
    z = x * 1.0
    z[1] = y
    z[2:, 0] = y[:2] * y[0]
    return z


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_function_derivatives(name):
    f, *args = CASES[name]
    check_derivatives(f, *args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_function_hessian_vector_products(name):
    f, *args = CASES[name]
    check_hvp(f, *args)


def test_scipy_logsumexp_if_traceable():
    x = n(3, 4)
    try:
        g = tr.grad(lambda x: sc.logsumexp(x))(x)
    except TypeError as err:
        pytest.skip(f"scipy.special.logsumexp does not trace: {err}")
    np.testing.assert_allclose(g, sc.softmax(x), rtol=1e-10)


def test_max_ties_split_equally():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_allclose(tr.grad(lambda x: np.max(x, axis=1).sum())(x),
                               [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(tr.grad(lambda x: np.min(x))(x), [[1.0, 0, 0], [0, 0, 0]])
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])
    ga, gb = tr.grad(lambda a, b: np.sum(np.maximum(a, b)), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, [0.5, 0, 1])
    np.testing.assert_allclose(gb, [0.5, 1, 0])


def test_kinks_follow_jax():
    assert tr.grad(lambda x: np.abs(x))(0.0) == 1.0
    assert tr.grad(lambda x: np.sum(x ** 2.0))(np.zeros(2)).tolist() == [0.0, 0.0]
    assert tr.grad(lambda x, y: x ** y, argnums=1)(0.0, 2.0) == 0.0
    assert tr.grad(lambda x: np.sqrt(x))(0.0) == np.inf


def test_cumprod_and_prod_with_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    f = lambda x: np.sum(np.cumprod(x) * np.arange(1.0, 6.0)) + np.prod(x[:3])  # noqa: E731
    np.testing.assert_allclose(tr.grad(f)(x), numeric_grad(f, [x], 0), rtol=1e-7, atol=1e-8)


def test_scatter_add_repeated_indices():
    x = n(4)
    idx = np.array([1, 1, 3, 1])
    g = tr.grad(lambda x: np.sum(x[idx] * np.array([1.0, 2.0, 3.0, 4.0])))(x)
    np.testing.assert_allclose(g, [0, 7, 0, 3])


def test_integer_paths_get_no_gradient():
    x = n(5)
    g = tr.grad(lambda x: np.sum(x * np.argmax(x) + (x > 0) * 1.0 + x.astype(np.int64)))(x)
    np.testing.assert_allclose(g, np.full(5, float(np.argmax(x))))


def _domain(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, size=shape)


def _normal(rng, shape):
    return rng.normal(size=shape)


_UNIT, _POS, _ABOVE1 = _domain(-0.9, 0.9), _domain(0.5, 2.0), _domain(1.2, 3.0)
UFUNCS = {
    np.negative: [_normal], np.absolute: [_normal], np.exp: [_normal], np.exp2: [_normal],
    np.expm1: [_normal], np.log: [_POS], np.log2: [_POS], np.log10: [_POS], np.log1p: [_POS],
    np.sqrt: [_POS], np.cbrt: [_POS], np.sin: [_normal], np.cos: [_normal],
    np.tan: [_UNIT], np.arcsin: [_UNIT], np.arccos: [_UNIT], np.arctan: [_normal],
    np.sinh: [_normal], np.cosh: [_normal], np.tanh: [_normal], np.arcsinh: [_normal],
    np.arccosh: [_ABOVE1], np.arctanh: [_UNIT], sc.erf: [_normal], sc.erfc: [_normal],
    sc.gammaln: [_POS], np.square: [_normal], np.reciprocal: [_POS], np.deg2rad: [_normal],
    np.add: [_normal, _normal], np.subtract: [_normal, _normal],
    np.multiply: [_normal, _normal], np.true_divide: [_normal, _POS],
    np.power: [_POS, _normal], np.maximum: [_normal, _normal],
    np.minimum: [_normal, _normal], np.fmax: [_normal, _normal], np.fmin: [_normal, _normal],
    np.arctan2: [_normal, _normal], np.hypot: [_normal, _normal],
    np.logaddexp: [_normal, _normal], np.logaddexp2: [_normal, _normal],
    np.copysign: [_normal, _normal], np.remainder: [_domain(0.1, 0.9), _domain(1.5, 2.0)],
}


def _random_shapes(rng, count):
    """Shapes that broadcast together: a random full shape, others with 1s and fewer dims."""
    full = tuple(int(d) for d in rng.integers(1, 4, size=rng.integers(0, 4)))
    shapes = [full]
    for _ in range(count - 1):
        shape = [1 if rng.random() < 0.4 else d for d in full]
        shapes.append(tuple(shape[rng.integers(0, len(shape) + 1):]))
    rng.shuffle(shapes)
    return shapes


@pytest.mark.parametrize("ufunc", list(UFUNCS), ids=lambda u: u.__name__)
@pytest.mark.parametrize("seed", [0, 1])
def test_ufunc_derivatives_on_random_broadcast_shapes(ufunc, seed):
    rng = np.random.default_rng(seed + 100 * list(UFUNCS).index(ufunc))
    shapes = _random_shapes(rng, ufunc.nin)
    args = [make(rng, shape) for make, shape in zip(UFUNCS[ufunc], shapes)]
    check_derivatives(lambda *a: ufunc(*a), *args, seed=seed)
