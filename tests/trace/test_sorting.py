"""np.sort, np.argsort and ndarray.sort against numpy, with derivatives.

Sorted values must equal numpy's for every kind; indices equal numpy's stable
argsort (numpy's default kind orders ties however its algorithm falls).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tracer as tr
from tests.helpers import assert_same
from tests.trace.test_properties import SETTINGS, agree, arrays

BACKENDS = ["python", "c"]


@SETTINGS
@given(arrays(max_dims=3), st.integers(-4, 3) | st.none(), st.booleans())
def test_sort_and_argsort_match_numpy(x, axis, reference):
    backend = "python" if reference else "c"
    agree(lambda a: np.sort(a, axis=axis), x, backend=backend, rtol=0)
    agree(lambda a: np.argsort(a, axis=axis, kind="stable"), x, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "int8", "uint16", "bool", "complex128"])
def test_dtypes_with_ties_nan_and_inf(backend, dtype):
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (5, 9)).astype(dtype)
    if np.dtype(dtype).kind in "fc":
        x[0, :3] = [np.nan, np.inf, -np.inf]
        x[1, 4] = -0.0
    fn = tr.compile(lambda a: (np.sort(a), np.sort(a, 0), np.argsort(a, 0, kind="stable"),
                               a.argsort(axis=None, stable=True)), backend=backend, wait=True)
    want = (np.sort(x), np.sort(x, 0), np.argsort(x, 0, kind="stable"),
            x.argsort(axis=None, stable=True))
    assert_same(fn(x), want, rtol=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_method_sorts_in_place_through_a_view(backend):
    def f(a):
        a = a.copy()
        a[1].sort()
        b = a.T
        b.sort(axis=1)          # sorts a's columns
        done = a[2].sort()
        return a, done is None
    x = np.random.default_rng(1).random((4, 5))
    got = tr.compile(f, backend=backend, wait=True)(x)
    assert_same(got, f(x), rtol=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sort_per_row_in_a_loop(backend):
    def f(a):
        out = []
        for row in a:
            out.append(np.sort(row * row)[::-1])
        return np.stack(out)
    x = np.random.default_rng(2).standard_normal((40, 6))
    got = tr.compile(f, backend=backend, wait=True)(x)
    assert_same(got, f(x), rtol=1e-12)


def test_empty_and_single_element_axes():
    for shape, axis in (((0,), -1), ((3, 0), 0), ((3, 1), 1), ((1, 4), 0), ((0, 2), None)):
        x = np.ones(shape)
        for backend in BACKENDS:
            agree(lambda a, ax=axis: (np.sort(a, ax), np.argsort(a, ax)), x, backend=backend)


def test_errors_are_numpys():
    x = np.ones((2, 3))
    with pytest.raises(np.exceptions.AxisError):
        tr.compile(lambda a: np.sort(a, axis=2))(x)
    with pytest.raises(ValueError, match="kind"):
        tr.compile(lambda a: np.sort(a, kind="bogus"))(x)
    with pytest.raises(ValueError, match="order"):
        tr.compile(lambda a: np.argsort(a, order="f"))(x)
    with pytest.raises(np.exceptions.AxisError):
        tr.compile(lambda a: np.sort(a))(np.float64(1.0))


def _weights(n):
    return np.linspace(-1.0, 2.0, n) ** 2


def sorted_loss(x):
    return (np.sort(x, axis=-1) * _weights(x.shape[-1])).sum() + (np.sort(x, axis=0) ** 3).sum()


def test_gradient_goes_to_where_each_value_came_from():
    x = np.random.default_rng(3).standard_normal((3, 6))
    got = tr.compile(tr.grad(sorted_loss), wait=True)(x)
    want = np.zeros_like(x)
    np.put_along_axis(want, np.argsort(x, -1), np.broadcast_to(_weights(6), x.shape), -1)
    want += 3 * x ** 2
    assert_same(got, want, rtol=1e-12)


def test_jvp_and_hvp_against_finite_differences():
    rng = np.random.default_rng(4)
    x, v = rng.standard_normal((3, 6)), rng.standard_normal((3, 6))
    eps = 1e-6
    _, tangent = tr.compile(lambda a, t: tr.jvp(sorted_loss, (a,), (t,)), wait=True)(x, v)
    fd = (sorted_loss(x + eps * v) - sorted_loss(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6)
    (hv,) = tr.compile(lambda a, t: tr.hvp(sorted_loss, (a,), (t,)), wait=True)(x, v)
    grad = tr.compile(tr.grad(sorted_loss), wait=True)
    fd = (grad(x + eps * v) - grad(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-7)


def test_argsort_has_a_zero_derivative():
    def f(x):
        return (np.argsort(x) * x).sum()
    x = np.array([3.0, 1.0, 2.0])
    assert_same(tr.compile(tr.grad(f), wait=True)(x), np.argsort(x).astype(float), rtol=0)


def test_text_form_marks_the_numpy_step():
    text = tr.compile(np.sort, wait=True).lower(np.ones(4)).as_text()
    assert "argsort" in text and "# numpy fallback" in text


# -- searchsorted and interp --------------------------------------------------------

@SETTINGS
@given(arrays(max_dims=1, min_dims=1), arrays(max_dims=2), st.sampled_from(["left", "right"]),
       st.booleans())
def test_searchsorted_matches_numpy(a, v, side, reference):
    a = np.sort(a)
    agree(lambda s, w: np.searchsorted(s, w, side=side), a, v,
          backend="python" if reference else "c")


INTERP_X = np.array([-1.0, 0.0, 0.05, 0.3, 0.5, 0.99, 1.0, 1.5, np.nan, np.inf, -np.inf])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", ["plain", "bounds", "period", "one point", "repeated xp",
                                  "infinite fp", "scalar x", "int x"])
def test_interp_is_numpys_bit_for_bit(backend, case):
    xp = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    fp = np.array([1.0, -2.0, 3.5, 0.25, 4.0])
    x, kwargs = INTERP_X, {}
    if case == "bounds":
        kwargs = {"left": -7.0, "right": 9.0}
    elif case == "period":
        kwargs = {"period": 0.6}
        x = x[np.isfinite(x)]
    elif case == "one point":
        xp, fp = xp[:1], fp[:1]
    elif case == "repeated xp":
        xp = np.array([0.0, 0.5, 0.5, 1.0, 1.0])
    elif case == "infinite fp":
        fp = np.array([1.0, np.inf, 3.5, -np.inf, 4.0])
    elif case == "scalar x":
        x = 0.3
    elif case == "int x":
        x = np.arange(-1, 3)
    fn = tr.compile(lambda a, b, c: np.interp(a, b, c, **kwargs), backend=backend, wait=True)
    with np.errstate(all="ignore"):
        want = np.interp(x, xp, fp, **kwargs)
    assert_same(fn(np.asarray(x), xp, fp), np.asarray(want), rtol=0)


def test_interp_and_searchsorted_errors():
    with pytest.raises(ValueError, match="same length"):
        tr.compile(np.interp)(np.ones(3), np.arange(3.0), np.ones(2))
    with pytest.raises(ValueError, match="empty"):
        tr.compile(np.interp)(np.ones(3), np.ones(0), np.ones(0))
    with pytest.raises(ValueError, match="side"):
        tr.compile(lambda a, v: np.searchsorted(a, v, side="middle"))(np.arange(3.0), 1.0)
    with pytest.raises(ValueError, match="too deep"):
        tr.compile(np.searchsorted)(np.ones((2, 2)), 1.0)


def test_interp_derivatives_are_the_chosen_pieces():
    xp = np.array([0.0, 0.4, 1.0, 2.0])
    rng = np.random.default_rng(5)
    fp, x = rng.standard_normal(4), rng.uniform(-0.5, 2.5, 30)

    def loss(x, xp, fp):
        return (np.interp(x, xp, fp) ** 2).sum()
    grads = tr.compile(tr.grad(loss, argnums=(0, 1, 2)), wait=True)(x, xp, fp)
    eps = 1e-6
    for k, arg in enumerate((x, xp, fp)):
        fd = np.zeros_like(arg)
        for i in range(arg.size):
            e = np.zeros_like(arg)
            e[i] = eps
            plus = [a + e if j == k else a for j, a in enumerate((x, xp, fp))]
            minus = [a - e if j == k else a for j, a in enumerate((x, xp, fp))]
            fd[i] = (loss(*plus) - loss(*minus)) / (2 * eps)
        np.testing.assert_allclose(grads[k], fd, rtol=1e-5, atol=1e-6)


# -- partition, argpartition, real_if_close ------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kth", [0, 3, -1, [1, 5]])
def test_partition_puts_every_kth_in_place(backend, kth):
    x = np.random.default_rng(6).standard_normal((4, 9))
    x[0, :4] = 1.0                          # ties
    got, order = tr.compile(lambda a: (np.partition(a, kth), np.argpartition(a, kth)),
                            backend=backend, wait=True)(x)
    want = np.partition(x, kth)
    assert order.dtype == np.argpartition(x, kth).dtype
    for k in np.atleast_1d(kth) % 9:
        np.testing.assert_array_equal(got[:, k], want[:, k])
        np.testing.assert_array_equal(np.take_along_axis(x, order, 1)[:, k], want[:, k])
        assert (got[:, :k] <= got[:, k:k + 1]).all() and (got[:, k + 1:] >= got[:, k:k + 1]).all()


def test_partition_errors_and_real_if_close():
    with pytest.raises(ValueError, match="out of bounds"):
        tr.compile(lambda a: np.partition(a, 9))(np.ones(9))
    x = np.arange(3.0)
    assert_same(tr.compile(np.real_if_close)(x), np.real_if_close(x), rtol=0)
    with pytest.raises(TypeError, match="np.real"):
        tr.compile(lambda a: np.real_if_close(a * 1j))(x)


# -- histogram ----------------------------------------------------------------------

HISTOGRAMS = {
    "default": lambda a: np.histogram(a),
    "range": lambda a: np.histogram(a, bins=7, range=(-1, 2)),
    "weights": lambda a: np.histogram(a, 5, weights=a * a),
    "edges": lambda a: np.histogram(a, bins=np.array([-2.0, -0.5, 0, 0.1, 3])),
    "edges, weights": lambda a: np.histogram(a, bins=[-2.0, -0.5, 0, 0.1, 3], weights=a * a),
    "density": lambda a: np.histogram(a, 4, density=True),
    "int data": lambda a: np.histogram(np.round(a * 3).astype(int), 6),
    "one value": lambda a: np.histogram(a[:1], 3),
    "float32": lambda a: np.histogram(a.astype(np.float32), 6, range=(-1, 1)),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", list(HISTOGRAMS))
def test_histogram_matches_numpy(backend, case):
    fn = HISTOGRAMS[case]
    x = np.random.default_rng(7).normal(size=300)
    assert_same(tr.compile(fn, backend=backend, wait=True)(x), fn(x), rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
def test_histogram_with_a_range_ignores_values_outside_it(backend):
    x = np.concatenate([np.random.default_rng(8).normal(size=50), [np.nan, np.inf, -9.0, 2.0]])
    fn = tr.compile(lambda a: np.histogram(a, 7, range=(-1, 2)), backend=backend, wait=True)
    assert_same(fn(x), np.histogram(x, 7, range=(-1, 2)), rtol=0)


def test_histogram_refusals():
    with pytest.raises(TypeError, match="depends on the data"):
        tr.compile(lambda a: np.histogram(a, bins="auto"))(np.ones(5))
    with pytest.raises(ValueError, match="not finite"):
        tr.compile(lambda a: np.histogram(a, range=(0, np.inf)))(np.ones(5))
    with pytest.raises(ValueError, match="monotonically"):
        tr.compile(lambda a: np.histogram(a, bins=[0.0, 2.0, 1.0]))(np.ones(5))
