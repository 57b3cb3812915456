"""Views and in-place writes keep numpy's aliasing (tracer/trace/views.py).

Each program writes through a view or into a base that a view was taken from,
the kind of code that gave a silently different answer while a traced array was
only a value. Every case runs on both backends against plain numpy; functions
copy their arguments first, since numpy would write into the caller's array.
"""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tests.helpers import assert_same

BACKENDS = ["python", "c"]


def view_then_write_base(a):
    a = a.copy()
    u = a[0]
    a[0] = 5.0
    return u


def ufunc_out_into_a_row(a):
    a = a.copy()
    np.add(a[0], 1.0, out=a[0])
    return a


def augmented_row(a):
    a = a.copy()
    v = a[1]
    v += 1.0
    return a


def alias_then_augment(a):
    a = a.copy()
    b = a
    b += 1.0
    return a, b


def normalise_rows_in_a_loop(a):
    a = a.copy()
    for row in a:
        row /= row.sum()
    return a


def write_through_transpose(a):
    a = a.copy()
    a.T[0] = -1.0
    return a


def write_through_swapaxes_slice(a):
    a = a.copy()
    s = np.swapaxes(a, 0, 1)[1:]
    s *= 2.0
    return a


def view_of_a_view(a):
    a = a.copy()
    v = a[1:][:, ::2]
    v[0] = 7.0
    return a, v


def base_write_seen_through_column(a):
    a = a.copy()
    c = a[:, 1]
    a *= 3.0
    return c


def scalar_rebinds(a):
    s = a.sum()
    t = s
    s += a[0, 0]
    return s, t


def element_is_a_scalar_not_a_view(a):
    a = a.copy()
    e = a[0, 0]
    a[0, 0] = 99.0
    return e, a


def matmul_in_place(a, m):
    a = a.copy()
    a @= m
    return a


def copy_is_not_a_view(a):
    a = a.copy()
    c = a[0].copy()
    a[0] = 0.0
    return c


def fancy_index_is_a_copy(a):
    a = a.copy()
    c = a[[0, 1]]
    c += 100.0
    return a, c


CASES = [view_then_write_base, ufunc_out_into_a_row, augmented_row, alias_then_augment,
         normalise_rows_in_a_loop, write_through_transpose, write_through_swapaxes_slice,
         view_of_a_view, base_write_seen_through_column, scalar_rebinds,
         element_is_a_scalar_not_a_view, copy_is_not_a_view, fancy_index_is_a_copy]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_views_match_numpy(fn, backend):
    a = np.random.default_rng(0).random((4, 6)) + 0.5
    want = fn(a.copy())
    got = tr.compile(fn, backend=backend, wait=True)(a)
    assert_same(got, want, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_matmul_in_place(backend):
    rng = np.random.default_rng(1)
    a, m = rng.random((3, 4)), rng.random((4, 4))
    got = tr.compile(matmul_in_place, backend=backend, wait=True)(a, m)
    assert_same(got, matmul_in_place(a, m), rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_contiguous_argument(backend):
    a = np.random.default_rng(2).random((6, 8))[::2, 1::2]
    for fn in (augmented_row, write_through_transpose, normalise_rows_in_a_loop):
        got = tr.compile(fn, backend=backend, wait=True)(a)
        assert_same(got, fn(a.copy()), rtol=1e-12)


def test_long_loop_of_row_writes_matches_numpy():
    def f(a):
        a = a.copy()
        for t in range(1, 60):
            row = a[t]
            row += 0.5 * a[t - 1]
        return a
    a = np.random.default_rng(3).random((60, 5))
    for backend in BACKENDS:
        assert_same(tr.compile(f, backend=backend, wait=True)(a), f(a.copy()), rtol=1e-12)


def test_casting_an_in_place_result_follows_same_kind():
    def f(a):
        a = a.copy()
        a += 1.5
        return a
    with pytest.raises(TypeError, match="same_kind"):
        f(np.arange(3))
    with pytest.raises(TypeError, match="same_kind"):
        tr.compile(f)(np.arange(3))


def test_an_in_place_result_keeps_its_shape():
    def f(a, b):
        a = a.copy()
        a += b
        return a
    with pytest.raises(ValueError, match="broadcast"):
        f(np.ones(3), np.ones((2, 3)))
    with pytest.raises(ValueError, match="broadcast"):
        tr.compile(f)(np.ones(3), np.ones((2, 3)))


def test_in_place_broadcast_into_a_larger_array():
    def f(a, b):
        a = a.copy()
        a[1:] -= b
        return a
    a, b = np.ones((4, 3)), np.arange(3.0)
    assert_same(tr.compile(f, wait=True)(a, b), f(a, b), rtol=0)


def test_gradient_through_an_in_place_row_update():
    def loss(a):
        a = a * 1.0
        row = a[0]
        row *= 3.0
        return (a ** 2).sum()
    a = np.random.default_rng(4).random((3, 2))
    want = 2 * a * np.array([[9.0], [1.0], [1.0]])
    assert_same(tr.compile(tr.grad(loss), wait=True)(a), want, rtol=1e-12)
