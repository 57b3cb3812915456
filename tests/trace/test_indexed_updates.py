"""x[idx] = v, x[idx] op= v and np.ufunc.at with traced indices: numpy's semantics.

numpy's assignment writes the values in the C order of the indexing result, so
the last write to a repeated position wins, and `x[idx] += v` reads x[idx]
before any write; `np.add.at` (and friends) accumulates every update. Each case
runs on both backends against plain numpy, on the arrays given as arguments
(traced indices), and the derivatives are checked against their definitions.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracer as tr
from tests.helpers import assert_same

BACKENDS = ["python", "c"]


def _updated(update):
    """f(x, *rest) that applies `update` to a copy of x and returns it."""
    def f(x, *rest):
        x = x.copy()
        update(x, *rest)
        return x
    return f


def _check(update, backend, x, *rest):
    f = _updated(update)
    with np.errstate(all="ignore"):
        want = f(x, *rest)
    got = tr.compile(f, backend=backend)(x, *rest)
    assert_same(got, want, rtol=0)
    return got


def _assign(x, i, v):
    x[i] = v


def _iadd(x, i, v):
    x[i] += v


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_issue_example(backend):
    x, idx, v = np.array([1, 2, 3, 4]), np.array([1, 1, 3]), np.array([10, 20, 30])
    assert _check(_iadd, backend, x, idx, v).tolist() == [1, 22, 3, 34]
    assert _check(_assign, backend, x, idx, v).tolist() == [1, 20, 3, 30]


def _isub(x, i, v):
    x[i] -= v


def _imul(x, i, v):
    x[i] *= v


def _imax(x, i, v):
    x[i] = np.maximum(x[i], v)


UPDATES = [_assign, _iadd, _isub, _imul, _imax]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("update", UPDATES, ids=lambda u: u.__name__)
def test_repeated_and_negative_indices(update, backend, rng):
    x = rng.normal(size=6)
    idx = np.array([1, -5, 4, 1, -1, 5, 0, 1])
    _check(update, backend, x, idx, rng.normal(size=8))
    _check(update, backend, x, idx, 2.5)                       # a broadcast scalar


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_and_bool_arrays(backend):
    x = np.arange(6, dtype=np.int16)
    idx = np.array([2, 2, 0])
    _check(_iadd, backend, x, idx, np.array([100, 30000, -7], np.int16))   # wraps like numpy
    _check(_assign, backend, np.zeros(4, bool), np.array([1, 1, 3]), np.array([True, False, True]))


def _rows(x, i, v):
    x[i] = v


def _cols(x, i, v):
    x[:, i] += v


def _pairs(x, i, j, v):
    x[i, j] = v


def _pairs_iadd(x, i, j, v):
    x[i, j] += v


def _broadcast_pairs(x, i, j, v):
    x[i[:, None], j] -= v


def _mixed_slice(x, i, v):
    x[1:, i] *= v                        # a partial slice: scattered through flat positions


def _split_advanced(x, i, v):
    x[i, :, i] = v                       # advanced indices apart: their dims go first


@pytest.mark.parametrize("backend", BACKENDS)
def test_multi_axis_and_mixed_indices(backend, rng):
    x = rng.normal(size=(4, 5))
    i, j = np.array([0, 3, 0, -4]), np.array([1, 1, 1, 4])
    _check(_rows, backend, x, i, rng.normal(size=(4, 5)))
    _check(_rows, backend, x, i, rng.normal(size=5))            # broadcast over rows
    _check(_cols, backend, x, j, rng.normal(size=(4, 4)))
    _check(_pairs, backend, x, i, j, rng.normal(size=4))
    _check(_pairs_iadd, backend, x, i, j, rng.normal(size=4))
    _check(_broadcast_pairs, backend, x, i, j, rng.normal(size=(4, 4)))
    _check(_mixed_slice, backend, x, j, rng.normal(size=(3, 4)))
    _check(_split_advanced, backend, rng.normal(size=(4, 2, 4)), i, rng.normal(size=(4, 2)))


def _add_at(x, i, v):
    np.add.at(x, i, v)


def _subtract_at(x, i, v):
    np.subtract.at(x, i, v)


def _multiply_at(x, i, v):
    np.multiply.at(x, i, v)


def _maximum_at(x, i, v):
    np.maximum.at(x, i, v)


def _minimum_at(x, i, v):
    np.minimum.at(x, i, v)


def _add_at_cols(x, i, v):
    np.add.at(x, (slice(None), i), v)


AT = [_add_at, _subtract_at, _multiply_at, _maximum_at, _minimum_at]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("update", AT, ids=lambda u: u.__name__)
def test_ufunc_at_accumulates(update, backend, rng):
    x = rng.normal(size=5)
    x[2] = np.nan
    idx = np.array([0, 0, 4, -1, 2, 0])
    _check(update, backend, x, idx, rng.normal(size=6))
    _check(update, backend, np.arange(5, dtype=np.int32), idx, np.array([3, -2, 7, 1, 1, 9], np.int32))


@pytest.mark.parametrize("backend", BACKENDS)
def test_ufunc_at_on_columns_and_python_scalars(backend, rng):
    _check(_add_at_cols, backend, rng.normal(size=(3, 4)), np.array([1, 1, 0]),
           rng.normal(size=(3, 3)))
    _check(_add_at, backend, np.zeros(4, np.int8), np.array([0, 0]), 300)   # wraps, as numpy


def test_ufunc_at_refuses_what_it_would_compute_differently():
    f = tr.compile(_updated(_add_at))
    with pytest.raises(TypeError, match="computes each update in float64"):
        f(np.zeros(3, np.int32), np.array([0, 0]), np.array([1.5, 1.5]))



def test_ufunc_at_into_an_array_the_function_made():
    """np.zeros in the user's code is a traced constant, so np.add.at can write into it."""
    def into_new_array(i, v):
        out = np.zeros(3)
        np.add.at(out, i, v)
        return out
    i, v = np.array([0, 1, 0]), np.array([1.0, 2.0, 4.0])
    np.testing.assert_array_equal(tr.compile(into_new_array)(i, v), into_new_array(i, v))


@pytest.mark.parametrize("backend", BACKENDS)
def test_out_of_bounds_traced_index_raises(backend):
    f = tr.compile(_updated(_assign), backend=backend)
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.zeros(3), np.array([0, 3]), 1.0)
    with pytest.raises(IndexError, match="out of bounds"):
        tr.compile(_updated(_add_at), backend=backend)(np.zeros(3), np.array([-4]), 1.0)


# -- derivatives -------------------------------------------------------------------------
def test_gradient_of_last_write_skips_overwritten_writes():
    idx = np.array([1, 1, 3])
    w = np.array([1.0, 2.0, 3.0, 4.0])

    def loss(x, v):
        y = x * 1.0
        y[idx] = v
        return np.sum(y * w)
    gx, gv = tr.grad(loss, argnums=(0, 1))(np.ones(4), np.ones(3))
    np.testing.assert_array_equal(gx, [1.0, 0.0, 3.0, 0.0])     # overwritten: no gradient
    np.testing.assert_array_equal(gv, [0.0, 2.0, 4.0])          # the first write lost


def test_gradient_of_indexed_add_reads_before_writing():
    idx = np.array([1, 1, 3])

    def loss(x, v):
        y = x * 1.0
        y[idx] += v * x[idx]
        return np.sum(y ** 2)
    x, v = np.array([0.5, -1.0, 2.0, 1.5]), np.array([0.3, -0.7, 1.1])
    for argnum in (0, 1):
        got = tr.grad(loss, argnums=argnum)(x, v)
        np.testing.assert_allclose(got, _numeric_grad(loss, (x, v), argnum), rtol=1e-7)


@pytest.mark.parametrize("update", AT, ids=lambda u: u.__name__)
def test_gradients_of_ufunc_at(update, rng):
    idx = np.array([0, 0, 4, -1, 2, 0])

    def loss(x, v):
        y = x * 1.0
        update(y, idx, v)
        return np.sum(np.sin(y))
    x, v = rng.normal(size=5), rng.normal(size=6)
    if update is _multiply_at:
        v[1] = 0.0                  # a zero factor: the others' product, no division
    for argnum in (0, 1):
        got = tr.grad(loss, argnums=argnum)(x, v)
        np.testing.assert_allclose(got, _numeric_grad(loss, (x, v), argnum), rtol=1e-6,
                                   atol=1e-9)


def _numeric_grad(f, args, argnum, eps=1e-6):
    args = [np.array(a, dtype=float) for a in args]
    out = np.zeros_like(args[argnum])
    for k in range(out.size):
        plus = [a.copy() for a in args]
        minus = [a.copy() for a in args]
        plus[argnum].flat[k] += eps
        minus[argnum].flat[k] -= eps
        out.flat[k] = (f(*plus) - f(*minus)) / (2 * eps)
    return out


# -- random index arrays -------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_index_arrays_match_numpy(data):
    n = data.draw(st.integers(1, 6), label="n")
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=8)), np.int64)
    update = data.draw(st.sampled_from(UPDATES + AT), label="update")
    dtype = data.draw(st.sampled_from(["float64", "int64", "uint8", "float32"]), label="dtype")
    x = np.arange(n).astype(dtype) + 1
    v = (np.arange(idx.size) * 3 + 2).astype(dtype)
    f = _updated(update)
    with np.errstate(all="ignore"):
        want = f(x, idx, v)
    assert_same(tr.compile(f)(x, idx, v), want, rtol=0)
