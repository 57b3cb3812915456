"""Focused regressions for what the differential fuzzer (tests/fuzz) found in the numpy
surface, on the reference backend (tests/backends/c/test_numpy_edges.py runs the
elementwise ones bit-exactly on C too)."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tests.helpers import check_against_numpy


def _same_bits(got, want) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


# -- comparisons: exact for int64 against uint64 and for out-of-range Python ints -----
@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
def test_int64_against_uint64_compares_exactly(op):
    i = np.array([-1, 0, 5, -(2**63), 2**63 - 1], np.int64)
    u = np.array([2**64 - 1, 0, 5, 2**63, 2**63 - 1], np.uint64)
    check_against_numpy(eval(f"lambda a, b: (a {op} b, b {op} a)"), i, u)


@pytest.mark.parametrize("value", [1000, -1000, 2**63, 2**64 - 1, 2**70, -(2**70)])
def test_integer_array_against_out_of_range_python_int(value):
    x = np.arange(-2, 3, dtype=np.int8)
    u = np.arange(3, dtype=np.uint16)
    check_against_numpy(lambda a, b: (a < value, a == value, value >= a, b != value,
                                      np.greater(b, value)), x, u)


def test_traced_python_int_beyond_the_arrays_dtype_compares_by_value():
    f = tr.compile(lambda a, s: (a < s, a == s, s <= a))
    x = np.arange(-3, 3, dtype=np.int8)
    for s in (1000, -1000, 5, 2**40):
        for got, want in zip(f(x, s), (x < s, x == s, s <= x)):
            _same_bits(got, want)


def test_arithmetic_with_an_out_of_range_python_int_still_raises():
    with pytest.raises(OverflowError, match="1000 out of bounds for int8"):
        tr.compile(lambda a: a + 1000)(np.arange(3, dtype=np.int8))


def test_python_ints_beyond_uint64():
    f = np.array([1.5, -2.0], np.float32)
    check_against_numpy(lambda a: (a + 2**64, np.maximum(a, 10**30), np.where(a > 0, a, 2**70),
                                   a < 2**70), f)
    for fn in (lambda a: np.logical_and(a, -(2**63) - 1), lambda a: a == 2**64,
               lambda a: np.add(a, 2**64)):
        with pytest.raises(OverflowError):
            fn(np.array([True]))
        with pytest.raises(OverflowError):
            tr.compile(fn)(np.array([True]))


# -- indexing, rounding, reductions -------------------------------------------------
def test_bare_bool_index_is_a_new_axis_of_length_one_or_zero():
    x = np.arange(6.0).reshape(2, 3)
    check_against_numpy(lambda a: (a[True], a[False], a[:, True], a[..., False],
                                   a[False, ..., None], a[1:, False, ::-1]), x)
    check_against_numpy(lambda a: (a[True], a[False]), np.array(5))


def test_bare_bool_with_an_integer_index_names_the_alternative():
    with pytest.raises(IndexError, match=r"x\[None\]"):
        tr.compile(lambda a: a[True, 0])(np.arange(6.0).reshape(2, 3))


def test_round_of_a_bool_array_is_float16():
    b = np.array([True, False])
    check_against_numpy(lambda a: (np.round(a), np.around(a, 0)), b)
    with pytest.raises(TypeError):
        tr.compile(lambda a: np.round(a, 1))(b)


@pytest.mark.parametrize("axis", [0, -1])
def test_reductions_of_a_0d_array_take_axis_0_and_minus_1(axis):
    check_against_numpy(lambda a: (np.sum(a, axis=axis), np.max(a, axis=axis, keepdims=True),
                                   np.all(a, axis=axis), np.argmin(a, axis=axis),
                                   np.cumsum(a, axis=axis), np.cumprod(a, axis=axis)),
                        np.array(3.0))
    for fn in (lambda a: np.sum(a, axis=1), lambda a: np.mean(a, axis=0),
               lambda a: np.cumsum(a, axis=1)):
        with pytest.raises(np.exceptions.AxisError):
            tr.compile(fn)(np.array(3.0))


def test_clip_with_scalar_bounds_keeps_signed_zero_like_numpy():
    x = np.array([-0.0, 0.0, np.nan, -1.0, 3.0], np.float32)
    f = tr.compile(lambda a: (np.clip(a, 0, 2), np.clip(-a, -0.0, 2), np.clip(a, np.zeros(5), 2)))
    for got, want in zip(f(x), (np.clip(x, 0, 2), np.clip(-x, -0.0, 2),
                                np.clip(x, np.zeros(5), 2))):
        _same_bits(got, want)


def test_take_with_nothing_to_copy_checks_no_index():
    check_against_numpy(lambda a: np.take(a, [2, -2, 7], axis=2), np.zeros((3, 0, 2)))
    with pytest.raises(IndexError):
        tr.compile(lambda a: np.take(a, [5], axis=0))(np.zeros((2, 0)))


@pytest.mark.parametrize("value", [1000, -1, 2.7, -2.7, float("nan"), float("inf"), True])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int64", "bool", "float32"])
def test_python_scalar_stored_into_an_array(value, dtype):
    def fn(a):
        b = a.copy()
        b[1:] = value
        return b
    x = np.zeros(3, dtype)
    try:
        want = fn(x)
    except (OverflowError, ValueError) as err:
        with pytest.raises(type(err)):
            tr.compile(fn)(x)
        return
    _same_bits(tr.compile(fn)(x), want)


def test_bool_squared_is_int8_like_numpy():
    check_against_numpy(lambda a: (a ** 2, a ** 3, np.power(a, 2)), np.array([True, False]))


def test_integer_reciprocal_of_zero_is_numpys():
    for dtype in ("int8", "int32", "int64", "uint32", "uint64"):
        check_against_numpy(np.reciprocal, np.array([0, 1, 2, 3], dtype))


def test_fmod_nextafter_spacing_signbit_are_traced():
    x = np.array([-3.5, 2.0, -0.0, 0.0, np.inf, np.nan], np.float32)
    y = np.array([2.0, -1.5, 1.0, -0.0, 2.0, 1.0], np.float32)
    f = tr.compile(lambda a, b: (np.fmod(a, b), np.nextafter(a, b), np.spacing(a),
                                 np.signbit(a)))
    with np.errstate(all="ignore"):
        want = (np.fmod(x, y), np.nextafter(x, y), np.spacing(x), np.signbit(x))
    for got, w in zip(f(x, y), want):
        _same_bits(np.nan_to_num(got), np.nan_to_num(w))


def test_fmod_and_nextafter_have_derivatives():
    x, y = np.array([2.5, -3.7]), np.array([1.5, 2.0])
    gx, gy = tr.grad(lambda a, b: np.sum(np.fmod(a, b) * 3.0), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, [3.0, 3.0])
    np.testing.assert_allclose(gy, -3.0 * np.trunc(x / y))
    np.testing.assert_allclose(tr.grad(lambda a: np.sum(np.nextafter(a, 0.0) ** 2))(x), 2 * x)


# -- a documented difference: an index whose value is never used is not checked -----
def test_unused_out_of_bounds_index_is_not_checked_but_a_used_one_is():
    def dead(x, i):
        unused = x[i]          # noqa: F841 - numpy raises here; tracer never computes it
        return x + 1

    np.testing.assert_array_equal(tr.compile(dead)(np.arange(3), 5), np.arange(1, 4))
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        tr.compile(lambda x, i: x[i] + 1)(np.arange(3), 5)
