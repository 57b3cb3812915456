"""numpy_api/selection.py and numpy_api/creation.py against numpy itself.

Every check runs the same function through tracer and through numpy and
compares dtype, shape and values (tests.helpers.check_against_numpy); error
cases check that tracer raises numpy's exception type.
"""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tests.helpers import check_against_numpy

DTYPES = ["bool", "int32", "int64", "float32", "float64"]
NUMERIC = ["int32", "int64", "float32", "float64"]


def make(shape, dtype, seed=0, layout="c"):
    """Random values of a dtype; layout 'c' contiguous, 's' strided, 't' transposed."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    if layout == "s" and shape:
        base_shape = (2 * shape[0],) + shape[1:]
    elif layout == "t":
        base_shape = shape[::-1]
    else:
        base_shape = shape
    if dtype.kind == "b":
        base = rng.random(base_shape) < 0.5
    elif dtype.kind in "iu":
        base = rng.integers(-6, 7, base_shape).astype(dtype)
    else:
        base = (rng.standard_normal(base_shape) * 3).astype(dtype)
    if layout == "s" and shape:
        return base[::2]
    if layout == "t":
        return base.T
    return base


def with_specials(x):
    """A float array with NaN, inf and -inf planted."""
    x = np.array(x)
    flat = x.reshape(-1)
    for i, v in zip(range(0, flat.size, 3), (np.nan, np.inf, -np.inf, np.nan)):
        flat[i] = v
    return x


def raises(exc, fn, *args):
    """numpy raises exc, and so does tracer (at trace time)."""
    with pytest.raises(exc):
        with np.errstate(all="ignore"):
            fn(*args)
    with pytest.raises(exc):
        tr.compile(fn)(*args)


# -- where / select ----------------------------------------------------------------------------

@pytest.mark.parametrize("xd", DTYPES)
@pytest.mark.parametrize("yd", DTYPES)
def test_where_promotes_and_broadcasts(xd, yd):
    cond = make((3, 1), bool, 1)
    check_against_numpy(lambda c, x, y: np.where(c, x, y), cond, make((1, 4), xd, 2),
                        make((4,), yd, 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", [0.5, 3, True, -2])
def test_where_python_scalars_are_weak(dtype, scalar):
    c, x = make((5,), bool, 1), make((5,), dtype, 2)
    check_against_numpy(lambda c, x: np.where(c, x, scalar), c, x)
    check_against_numpy(lambda c, x: np.where(c, scalar, x), c, x)
    check_against_numpy(lambda c: np.where(c, scalar, 2.5), c)
    # a Python scalar argument is traced, and stays weak
    check_against_numpy(lambda c, x, s: np.where(c, x, s), c, x, scalar)


@pytest.mark.parametrize("cd", ["int32", "float64"])
@pytest.mark.parametrize("layout", ["c", "s", "t"])
def test_where_nonbool_condition_and_layouts(cd, layout):
    c = make((4, 3), cd, 1, layout)
    check_against_numpy(lambda c, x: np.where(c, x, -x), c, make((4, 3), "float32", 2, layout))


def test_where_empty_and_nan():
    check_against_numpy(lambda c, x: np.where(c, x, 0), np.zeros((0, 3), bool), np.ones((0, 3)))
    x = with_specials(make((6,), "float64"))
    check_against_numpy(lambda x: np.where(np.isnan(x), 0.0, x), x)


def test_where_and_select_take_lists_of_traced_values():
    x = make((3,), "float32")
    check_against_numpy(lambda x: np.where(x > 0, [x[0], 1.0, x[2]], 0), x)
    check_against_numpy(lambda x: np.where(x > 0, [1, 2, 3], x), x)
    check_against_numpy(lambda x: np.select([x > 0], [[x[1], x[0], 2]], default=-1), x)


def test_where_one_argument_is_refused():
    with pytest.raises(TypeError, match="np.where"):
        tr.compile(lambda c: np.where(c))(np.ones(3, bool))
    raises(ValueError, lambda c: np.where(c, c), np.ones(3, bool))


@pytest.mark.parametrize("dtype", NUMERIC)
def test_select(dtype):
    x = make((3, 4), dtype, 1)
    check_against_numpy(lambda x: np.select([x < 0, x > 2], [x, x * 2], default=7), x)
    check_against_numpy(lambda x: np.select([x < 0, x > 2], [x, 1.5]), x)
    check_against_numpy(lambda x, y: np.select([x > 0, y > 0], [y, x], default=-1),
                        x, make((4,), "float32", 2))
    check_against_numpy(lambda x: np.select([x > 0], [x], default=np.int8(3)), x)


def test_select_errors():
    x = make((4,), "float64")
    raises(ValueError, lambda x: np.select([x > 0], [x, x]), x)
    raises(ValueError, lambda x: np.select([], []), x)
    raises(TypeError, lambda x: np.select([x], [x]), x)


CHOOSE_CASES = [
    lambda a, x: np.choose(a, [x, 2.5, np.float32(1)]),
    lambda a, x: np.choose(a, [1, 2, 3]),
    lambda a, x: np.choose(a, [x.astype(np.float32), 3.5, 1]),
    lambda a, x: np.choose(a + 5, [x, 2, 3], mode="clip"),
    lambda a, x: np.choose(a - 7, [x, 2, 3], mode="wrap"),
    lambda a, x: np.choose([[0, 1], [1, 0]], [x, x[::-1]]),
    lambda a, x: np.choose([[0, 5], [-1, 0]], [x, x.T], mode="clip"),
    lambda a, x: np.choose(a[0], [x, x.T, x * 2]),
]


@pytest.mark.parametrize("case", range(len(CHOOSE_CASES)))
@pytest.mark.parametrize("dtype", ["int32", "float64", "bool"])
def test_choose(case, dtype):
    a = np.array([[0, 1], [2, 1]])
    check_against_numpy(CHOOSE_CASES[case], a, make((2, 2), dtype, 1, "t"))


def test_choose_errors():
    x = np.ones((2, 2))
    raises(ValueError, lambda x: np.choose([0, 2], [x, x]), x)
    raises(TypeError, lambda x, a: np.choose(a, [x, x]), x, np.array([0.5, 1.0]))
    raises(ValueError, lambda x: np.choose([0, 1], [x, x], mode="bad"), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_compress_extract(dtype):
    x = make((3, 4), dtype, 1, "s")
    check_against_numpy(lambda x: np.compress([1, 0, 1, 1], x, axis=1), x)
    check_against_numpy(lambda x: np.compress([True, False, True], x, axis=-2), x)
    check_against_numpy(lambda x: np.compress([False, True], x), x)
    check_against_numpy(lambda x: np.extract(np.arange(12).reshape(3, 4) % 3 == 0, x), x)
    check_against_numpy(lambda x: np.extract([1, 0, 2], x), x)


def test_compress_extract_errors():
    x = make((3, 4), "float64")
    raises(IndexError, lambda x: np.compress([0, 0, 0, 1], x, axis=0), x)
    with pytest.raises(TypeError, match="depends on the data"):
        tr.compile(lambda x: np.compress(x[:, 0] > 0, x, axis=0))(x)
    with pytest.raises(TypeError, match="depends on the data"):
        tr.compile(lambda x: np.extract(x > 0, x))(x)


# -- clip --------------------------------------------------------------------------------------

CLIP_BOUNDS = [
    (0, 3), (-1.5, 2.5), (None, 2), (-2, None), (3, -3), (None, None), (True, False),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lo,hi", CLIP_BOUNDS)
def test_clip_scalar_bounds(dtype, lo, hi):
    if dtype == "bool" and (lo, hi) == (None, None):
        pytest.skip("np.positive rejects bool (checked in test_clip_errors)")
    x = make((3, 4), dtype, 1, "t")
    check_against_numpy(lambda x: np.clip(x, lo, hi), x)
    check_against_numpy(lambda x: np.clip(x, min=lo, max=hi), x)
    check_against_numpy(lambda x: x.clip(lo, hi), x)


@pytest.mark.parametrize("dtype", NUMERIC)
def test_clip_array_bounds_broadcast(dtype):
    x, lo, hi = make((3, 4), dtype, 1), make((4,), dtype, 2), make((3, 1), "float32", 3)
    check_against_numpy(lambda x, lo, hi: np.clip(x, lo, hi), x, lo, hi)
    check_against_numpy(lambda x, lo: np.clip(x, lo, None), x, lo)
    check_against_numpy(lambda x, lo: np.clip(x, a_min=lo, a_max=5), x, lo)
    check_against_numpy(lambda x, hi: np.clip(x, 0, hi), make((0, 4), dtype), hi[:0, :])


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32"])
def test_clip_python_int_beyond_dtype(dtype):
    x = make((6,), dtype).astype(dtype) if dtype != "uint8" else np.arange(6, dtype=dtype)
    check_against_numpy(lambda x: np.clip(x, -1000, 1000), x)
    check_against_numpy(lambda x: np.clip(x, 2, 1000), x)
    check_against_numpy(lambda x: np.clip(x, -1000, 3), x)


def test_clip_python_int_that_does_not_fit_raises():
    raises(OverflowError, lambda x: np.clip(x, 1, -1), np.arange(3, dtype=np.uint8))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_nan(dtype):
    x = with_specials(make((9,), dtype))
    check_against_numpy(lambda x: np.clip(x, -1, 1), x)
    check_against_numpy(lambda x: np.clip(x, np.nan, 1), x)
    check_against_numpy(lambda x: np.clip(x, -1, np.nan), x)
    check_against_numpy(lambda x: np.clip(x, x[::-1], 1.0), x)


def test_clip_traced_scalar_bounds():
    x = make((5,), "float32")
    check_against_numpy(lambda x, lo, hi: np.clip(x, lo, hi), x, -1.0, 1)


def test_clip_errors():
    x = make((4,), "float64")
    raises(ValueError, lambda x: np.clip(x, 0, 1, min=0), x)
    raises(TypeError, lambda x: np.clip(x, 0), x)
    raises(TypeError, lambda x: np.clip(x, a_max=0), x)
    raises(TypeError, lambda x: np.clip(x, None, None), np.ones(3, bool))


# -- take / take_along_axis --------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take(dtype, axis):
    x = make((4, 5), dtype, 1, "s")
    for idx in ([0, 3, -1, 2], [[1, -2], [0, 0]], 2, np.array([], np.int64), np.int32(-3)):
        check_against_numpy(lambda x, idx=idx: np.take(x, idx, axis=axis), x)
    check_against_numpy(lambda x: x.take([1, 0], axis=axis), x)


@pytest.mark.parametrize("mode", ["clip", "wrap"])
def test_take_modes(mode):
    x = make((4, 5), "float64")
    check_against_numpy(lambda x: np.take(x, [-7, -1, 0, 4, 9], axis=1, mode=mode), x)
    check_against_numpy(lambda x, i: np.take(x, i, axis=0, mode=mode), x,
                        np.array([-9, -1, 0, 3, 4, 11]))


def test_take_traced_indices():
    x = make((4, 5), "float32")
    i = np.array([[3, -1], [0, 2]])
    check_against_numpy(lambda x, i: np.take(x, i, axis=0), x, i)
    check_against_numpy(lambda x, i: np.take(x, i), x, i.astype(np.int32) + 5)
    check_against_numpy(lambda x, i: np.take(x, i, axis=-1), x, 4)


def test_zero_d_arrays_act_as_one_d_for_take_repeat_count():
    x = np.array(3.5)
    check_against_numpy(lambda x: (np.take(x, [0, -1], axis=-1), np.take(x, 0, axis=0)), x)
    check_against_numpy(lambda x: (np.repeat(x, 2, axis=-1), np.repeat(x, 3, axis=0)), x)
    check_against_numpy(lambda x: np.count_nonzero(x, axis=-1, keepdims=True), x)
    check_against_numpy(lambda x: np.count_nonzero(x, axis=0), x)
    raises(np.exceptions.AxisError, lambda x: np.take(x, [0], axis=1), x)
    raises(np.exceptions.AxisError, lambda x: np.repeat(x, 2, axis=1), x)
    raises(np.exceptions.AxisError, lambda x: np.count_nonzero(x, axis=1), x)


def test_take_errors():
    x = make((4, 5), "float64")
    raises(IndexError, lambda x: np.take(x, [5], axis=1), x)
    raises(IndexError, lambda x: np.take(x, [-5], axis=0), x)
    raises(IndexError, lambda x: np.take(x, [0]), np.ones((0, 3)))
    raises(TypeError, lambda x: np.take(x, np.array([0.5])), x)
    raises(TypeError, lambda x, i: np.take(x, i), x, np.array([1.0]))
    check_against_numpy(lambda x: np.take(x, [0.5, 2.7, -1.2]), x)
    raises(np.exceptions.AxisError, lambda x: np.take(x, [0], axis=2), x)
    raises(ValueError, lambda x: np.take(x, [0], mode="bad"), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_take_along_axis(dtype, axis):
    x = make((4, 5), dtype, 1, "t")
    ref = make((4, 5), "float64", 2)
    order = np.argsort(ref, axis=axis) if axis is not None else np.argsort(ref, axis=None)
    check_against_numpy(lambda x: np.take_along_axis(x, order, axis=axis), x)
    check_against_numpy(lambda x, i: np.take_along_axis(x, i, axis=axis), x, order)
    if axis is not None:
        firsts = np.take(order, [0], axis=axis) - 4  # negative, and broadcast on the axis
        check_against_numpy(lambda x, i: np.take_along_axis(x, i, axis=axis), x, firsts)


def test_take_along_axis_broadcasts_and_sorts():
    x = make((3, 1, 5), "float64")
    i = np.argsort(make((1, 4, 5), "float64", 3), axis=-1)
    check_against_numpy(lambda x, i: np.take_along_axis(x, i, axis=-1), x, i)
    check_against_numpy(lambda x, i: np.take_along_axis(x, i, axis=2),
                        np.ones((2, 0, 3)), np.zeros((2, 0, 1), np.int64))


def test_take_along_axis_errors():
    x = make((4, 5), "float64")
    raises(ValueError, lambda x: np.take_along_axis(x, np.zeros(3, np.int64), axis=0), x)
    raises(IndexError, lambda x: np.take_along_axis(x, np.zeros((4, 5)), axis=0), x)
    raises(ValueError, lambda x: np.take_along_axis(x, np.zeros((1, 1), np.int64), None), x)
    raises(np.exceptions.AxisError, lambda x: np.take_along_axis(x, np.zeros((1, 1),
                                                                            np.int64), 2), x)


# -- triangles, diagonals, trace ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [-2, -1, 0, 1, 3, 7])
@pytest.mark.parametrize("shape", [(4, 5), (2, 5, 3), (6,), (0, 3)])
def test_triu_tril(dtype, k, shape):
    x = make(shape, dtype, 1, "s")
    check_against_numpy(lambda x: np.triu(x, k), x)
    check_against_numpy(lambda x: np.tril(x, k=k), x)


def test_triu_tril_nan():
    x = with_specials(make((3, 4), "float64"))
    check_against_numpy(lambda x: (np.triu(x), np.tril(x, -1)), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [-3, -1, 0, 2, 5])
def test_diag(dtype, k):
    check_against_numpy(lambda v: np.diag(v, k), make((4,), dtype, 1))
    check_against_numpy(lambda m: np.diag(m, k=k), make((4, 6), dtype, 2, "t"))
    check_against_numpy(lambda v: np.diag(v, k), make((0,), dtype))


def test_diag_errors():
    raises(ValueError, lambda x: np.diag(x), np.ones((2, 2, 2)))
    raises(ValueError, lambda x: np.diag(x), np.ones(()))


@pytest.mark.parametrize("offset", [-4, -1, 0, 1, 3])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (0, 2), (-1, 1), (2, 0)])
def test_diagonal(offset, axes):
    x = make((3, 4, 5), "float32", 1, "t")
    check_against_numpy(lambda x: np.diagonal(x, offset, *axes), x)
    check_against_numpy(lambda x: x.diagonal(offset=offset, axis1=axes[0], axis2=axes[1]), x)


def test_diagonal_errors():
    raises(ValueError, lambda x: np.diagonal(x), np.ones(3))
    raises(ValueError, lambda x: np.diagonal(x, 0, 1, -1), np.ones((2, 2)))
    raises(np.exceptions.AxisError, lambda x: np.diagonal(x, 0, 0, 2), np.ones((2, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("offset", [-1, 0, 2])
def test_trace(dtype, offset):
    x = make((4, 5), dtype, 1)
    check_against_numpy(lambda x: np.trace(x, offset), x)
    check_against_numpy(lambda x: np.trace(x, offset, dtype=np.float32), x)
    y = make((3, 4, 5), dtype, 2, "s")
    check_against_numpy(lambda y: np.trace(y, offset, axis1=1, axis2=-1), y)
    check_against_numpy(lambda y: y.trace(offset, 2, 0), y)


# -- round, nan_to_num -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "float32", "float64"])
@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 2, 4])
def test_round(dtype, decimals):
    rng = np.random.default_rng(5)
    if np.dtype(dtype).kind == "f":
        x = np.concatenate([rng.standard_normal(20) * 300,
                            [0.5, 1.5, 2.5, -0.5, -2.5, 2.675, 0.125, 1250.0, 150.0, -0.0]])
        x = with_specials(x).astype(dtype)
    else:
        x = np.array([0, 5, 15, 25, 35, 45, 55, 99, 100, 120], dtype=dtype)
        x = x if dtype == "uint8" else x - np.array(50, dtype)
    check_against_numpy(lambda x: np.round(x, decimals), x)
    check_against_numpy(lambda x: np.around(x, decimals=decimals), x)
    check_against_numpy(lambda x: x.round(decimals), x)


@pytest.mark.parametrize("decimals", [-400, -20, 20, 400])
def test_round_extreme_decimals(decimals):
    x = np.array([1.5, -2.25, 1e300, np.nan, 123456.0])
    check_against_numpy(lambda x: np.round(x, decimals), x)
    with np.errstate(over="ignore"):
        x32 = x.astype(np.float32)
    check_against_numpy(lambda x: np.round(x, decimals), x32)
    if decimals < 0:
        check_against_numpy(lambda x: np.round(x, decimals), np.array([5, -123], np.int64))


def test_round_bool_is_float16_as_in_numpy():
    check_against_numpy(lambda x: np.round(x), np.array([True, False, True]))
    with pytest.raises(TypeError):      # numpy: a float64 multiply cannot go back to bool
        tr.compile(lambda x: np.round(x, 1))(np.ones(3, bool))


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_to_num(dtype):
    x = make((4, 3), dtype, 1, "t")
    if np.dtype(dtype).kind == "f":
        x = with_specials(x)
    check_against_numpy(lambda x: np.nan_to_num(x), x)
    check_against_numpy(lambda x: np.nan_to_num(x, nan=-1.5, posinf=9, neginf=-9.0), x)
    check_against_numpy(lambda x: np.nan_to_num(x, copy=False, posinf=1e300), x)


# -- isclose, allclose -------------------------------------------------------------------------

CLOSE_PAIRS = [
    ("float64", "float64"), ("float32", "float32"), ("float32", "float64"),
    ("int32", "float32"), ("int64", "int64"), ("bool", "float64"), ("float64", "int32"),
]


@pytest.mark.parametrize("ad,bd", CLOSE_PAIRS)
@pytest.mark.parametrize("equal_nan", [False, True])
def test_isclose(ad, bd, equal_nan):
    a = make((3, 4), ad, 1)
    b = np.array(a).astype(bd)
    if np.dtype(bd).kind == "f":
        b = with_specials(b + np.linspace(0, 1e-5, 12).reshape(3, 4).astype(bd))
        if np.dtype(ad).kind == "f":
            a = with_specials(a)
    check_against_numpy(lambda a, b: np.isclose(a, b, equal_nan=equal_nan), a, b)
    check_against_numpy(lambda a, b: np.isclose(a, b[0], rtol=0, atol=1e-6), a, b)
    check_against_numpy(lambda a, b: np.allclose(a, b, equal_nan=equal_nan), a, b)


@pytest.mark.parametrize("b", [1, 0.5, True, np.float32(1.0)])
def test_isclose_scalars(b):
    a = np.array([1.0, 0.5, 1.0 + 1e-9, np.nan], np.float32)
    check_against_numpy(lambda a: np.isclose(a, b), a)
    check_against_numpy(lambda a: np.isclose(b, a), a)
    check_against_numpy(lambda a: np.allclose(a[:3], b, atol=0.6), a)
    check_against_numpy(lambda a, b: np.isclose(a, b), a, b)


# -- count_nonzero, data-dependent refusals ----------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_count_nonzero(dtype, axis, keepdims):
    x = make((4, 5), dtype, 1, "s")
    check_against_numpy(lambda x: np.count_nonzero(x, axis=axis, keepdims=keepdims), x)


def test_count_nonzero_nan_and_empty():
    check_against_numpy(lambda x: np.count_nonzero(x, axis=0), with_specials(np.zeros((3, 4))))
    check_against_numpy(lambda x: np.count_nonzero(x), np.zeros((0, 4)))


@pytest.mark.parametrize("fn", [np.nonzero, np.argwhere, np.unique, np.flatnonzero])
def test_data_dependent_shapes_are_refused(fn):
    with pytest.raises(TypeError, match="depends on the data"):
        tr.compile(fn)(np.ones(3))
    with pytest.raises(TypeError, match="depends on the data"):
        tr.compile(lambda x: x.nonzero())(np.ones(3))


# == creation ======================================================================================

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", [np.zeros_like, np.ones_like])
def test_zeros_ones_like(dtype, fn):
    x = make((3, 4), dtype, 1, "t")
    check_against_numpy(lambda x: fn(x), x)
    check_against_numpy(lambda x: fn(x, dtype=np.float32), x)
    check_against_numpy(lambda x: fn(x, shape=(2, 0)), x)
    check_against_numpy(lambda x: fn(x, dtype="int8", shape=5), x)


def test_empty_like_is_zeros_of_the_right_type():
    x = make((3, 4), "float32")
    got = tr.compile(lambda x: np.empty_like(x, dtype=np.int64))(x)
    assert got.dtype == np.empty_like(x, dtype=np.int64).dtype and got.shape == (3, 4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fill", [2, -1.5, True, np.nan])
def test_full_like(dtype, fill):
    x = make((3, 4), dtype, 1)
    if np.dtype(dtype).kind in "biu" and fill is np.nan:
        pytest.skip("numpy warns on casting NaN to int")
    check_against_numpy(lambda x: np.full_like(x, fill), x)
    check_against_numpy(lambda x: np.full_like(x, fill, dtype=np.float64), x)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "bool"])
@pytest.mark.parametrize("fill", [300, -1, 2.5, 2**70])
def test_full_like_and_pad_cast_fill_values_like_numpy(dtype, fill):
    x = np.arange(4).astype(dtype)
    for fn in (lambda x: np.full_like(x, fill), lambda x: np.pad(x, 1, constant_values=fill)):
        try:
            want = fn(x)
        except (OverflowError, ValueError) as err:
            with pytest.raises(type(err)):
                tr.compile(fn)(x)
            continue
        check_against_numpy(fn, x)
        assert want.dtype == x.dtype


def test_full_like_traced_fill():
    x = make((3, 4), "int32")
    check_against_numpy(lambda x, v: np.full_like(x, v), x, make((4,), "float64"))
    check_against_numpy(lambda x, v: np.full_like(x, v, dtype=np.float32), x, 2.5)
    raises(ValueError, lambda x, v: np.full_like(x, v), x, np.ones(3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_copy(dtype):
    x = make((3, 4), dtype, 1, "s")
    check_against_numpy(lambda x: np.copy(x), x)
    check_against_numpy(lambda x: np.copy(x).T + np.copy(x.T), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("obj,axis", [(1, 0), ([0, -1], None), (slice(None, None, 2), -1),
                                      ([], 1), (np.array([True, False, True, False]), 1)])
def test_delete(dtype, obj, axis):
    check_against_numpy(lambda x: np.delete(x, obj, axis), make((3, 4), dtype, 1, "t"))


def test_delete_errors():
    raises(IndexError, lambda x: np.delete(x, 5, 0), np.ones((2, 2)))
    raises(IndexError, lambda x: np.delete(x, [0.5]), np.ones((2, 2)))
    with pytest.raises(TypeError):
        tr.compile(lambda x, i: np.delete(x, i))(np.ones(3), np.array([1]))


@pytest.mark.parametrize("k", [-2, 0, 1])
def test_diagflat(k):
    check_against_numpy(lambda x: np.diagflat(x, k), make((2, 2), "float32", 1, "t"))
    check_against_numpy(lambda x: np.diagflat(x, k=k), make((3,), "int64", 2))


@pytest.mark.parametrize("reps", [2, (2, 3), (1, 1), (2, 1, 3), (0, 2), [3], (1, 2, 1, 2)])
@pytest.mark.parametrize("shape", [(3,), (2, 3), ()])
def test_tile(reps, shape):
    x = make(shape, "float32", 1)
    check_against_numpy(lambda x: np.tile(x, reps), x)


def test_tile_errors():
    raises(ValueError, lambda x: np.tile(x, -1), np.ones(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("repeats", [0, 1, 3, [2], "array"])
def test_repeat(dtype, axis, repeats):
    x = make((3, 4), dtype, 1, "t")
    if repeats == "array":
        n = x.size if axis is None else x.shape[axis]
        repeats = np.arange(n) % 3
    check_against_numpy(lambda x: np.repeat(x, repeats, axis=axis), x)
    check_against_numpy(lambda x: x.repeat(repeats, axis), x)


def test_repeat_errors():
    raises(ValueError, lambda x: np.repeat(x, [1, 2], axis=0), np.ones((3, 2)))
    raises(ValueError, lambda x: np.repeat(x, -1), np.ones(3))
    raises(TypeError, lambda x: np.repeat(x, np.array([1.0, 2.0, 0.0])), np.ones(3))
    check_against_numpy(lambda x: np.repeat(x, [1.5, 2.0, 0.9]), np.ones(3))
    check_against_numpy(lambda x: np.repeat(x, 2.7), np.ones(3))
    raises(np.exceptions.AxisError, lambda x: np.repeat(x, 2, axis=2), np.ones((3, 2)))
    with pytest.raises(TypeError):
        tr.compile(lambda x, r: np.repeat(x, r))(np.ones(3), np.array([1, 2, 3]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (-1, 0, 1), ()])
def test_flip(dtype, axis):
    x = make((3, 4, 2), dtype, 1, "t")
    check_against_numpy(lambda x: np.flip(x, axis), x)


def test_flip_lr_ud_and_edges():
    x = make((3, 4), "int64", 1, "s")
    check_against_numpy(lambda x: (np.fliplr(x), np.flipud(x), np.flipud(x[0])), x)
    check_against_numpy(lambda x: np.flip(x), np.ones((0, 3)))
    raises(ValueError, lambda x: np.fliplr(x), np.ones(3))
    raises(ValueError, lambda x: np.flipud(x), np.ones(()))
    raises(ValueError, lambda x: np.flip(x, (0, 0)), np.ones((2, 2)))
    raises(np.exceptions.AxisError, lambda x: np.flip(x, 2), np.ones((2, 2)))


@pytest.mark.parametrize("shift,axis", [
    (1, None), (-7, None), (2, 0), (-1, 1), (5, -1), ((1, 2), (0, 1)), ((1, -3), 1),
    (2, (0, 1)), ((1, 1), (0, 0)), (0, None),
])
def test_roll(shift, axis):
    x = make((3, 4), "float64", 1, "s")
    check_against_numpy(lambda x: np.roll(x, shift, axis), x)


def test_roll_edges():
    check_against_numpy(lambda x: np.roll(x, 3, 0), np.ones((0, 2)))
    check_against_numpy(lambda x: np.roll(x, 3), make((), "int32"))
    raises(ValueError, lambda x: np.roll(x, [[1, 1]], [0, 1]), np.ones((2, 2)))
    raises(TypeError, lambda x: np.roll(x, [[1]], [[0]]), np.ones((2, 2)))
    raises(np.exceptions.AxisError, lambda x: np.roll(x, 1, 3), np.ones((2, 2)))


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (0, 2), (-1, -2)])
def test_rot90(k, axes):
    x = make((2, 3, 4), "int32", 1, "t")
    check_against_numpy(lambda x: np.rot90(x, k, axes), x)


def test_rot90_errors():
    raises(ValueError, lambda x: np.rot90(x, 1, (0,)), np.ones((2, 2)))
    raises(ValueError, lambda x: np.rot90(x, 1, (0, 0)), np.ones((2, 2)))
    raises(ValueError, lambda x: np.rot90(x, 1, (0, -2)), np.ones((2, 2)))
    raises(ValueError, lambda x: np.rot90(x, 1, (0, 5)), np.ones((2, 2)))


PAD_WIDTHS = [1, (2,), (1, 3), ((0, 2), (3, 1)), ((1,), (2,)), 0, [[4, 5], [6, 1]]]


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("width", PAD_WIDTHS)
def test_pad_modes(mode, width):
    x = make((3, 2), "float32", 1, "t")
    check_against_numpy(lambda x: np.pad(x, width, mode=mode), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("values", [0, 7, -2.5, (1, 2), ((1, 2), (3, 4)), True])
def test_pad_constant_values(dtype, values):
    x = make((2, 3), dtype, 1, "s")
    check_against_numpy(lambda x: np.pad(x, ((1, 2), (2, 1)), constant_values=values), x)


@pytest.mark.parametrize("dtype", DTYPES + ["uint8"])
@pytest.mark.parametrize("mode", ["maximum", "minimum", "mean"])
@pytest.mark.parametrize("stat_length", [None, 1, 2, ((1, 3), (10, 2))])
def test_pad_stat_modes(dtype, mode, stat_length):
    x = make((3, 4), dtype, 1, "s")
    if dtype == "uint8":
        x = np.arange(12, dtype=dtype).reshape(3, 4) * 7
    check_against_numpy(lambda x: np.pad(x, ((1, 2), (3, 0)), mode, stat_length=stat_length), x)
    check_against_numpy(lambda x: np.pad(x, 2, mode), x)


@pytest.mark.parametrize("dtype", DTYPES + ["uint8"])
@pytest.mark.parametrize("end_values", [0, 3, ((1, 2.5), (-3, 10))])
@pytest.mark.parametrize("width", [1, ((0, 2), (3, 1)), 5])
def test_pad_linear_ramp(dtype, end_values, width):
    x = make((3, 4), dtype, 1, "t")
    if dtype == "uint8":
        x = np.arange(12, dtype=dtype).reshape(3, 4) * 7
    check_against_numpy(lambda x: np.pad(x, width, "linear_ramp", end_values=end_values), x)


def test_pad_linear_ramp_zero_step():
    check_against_numpy(lambda x: np.pad(x, 2, "linear_ramp", end_values=1.0), np.ones((2, 2)))


def test_pad_empty_mode_shape_and_dtype():
    x = make((2, 3), "int32")
    got = tr.compile(lambda x: np.pad(x, ((1, 0), (2, 2)), "empty"))(x)
    want = np.pad(x, ((1, 0), (2, 2)), "empty")
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got[1:, 2:-2], x)


def test_pad_edges():
    check_against_numpy(lambda x: np.pad(x, 2, "constant", constant_values=5), np.ones((0, 3)))
    check_against_numpy(lambda x: np.pad(x, ((0, 0), (1, 2)), "edge"), np.ones((0, 3)))
    check_against_numpy(lambda x: np.pad(x, 3, "wrap"), make((4,), "int64"))
    check_against_numpy(lambda x: np.pad(x, 2), make((), "int64"))
    check_against_numpy(lambda x, v: np.pad(x, 1, constant_values=v), make((2, 2), "float32"),
                        -1.0)


def test_pad_errors():
    x = make((2, 3), "float64")
    raises(ValueError, lambda x: np.pad(x, -1), x)
    raises(TypeError, lambda x: np.pad(x, 1.5), x)
    raises(ValueError, lambda x: np.pad(x, 1, "nope"), x)
    raises(ValueError, lambda x: np.pad(x, 1, "edge", constant_values=2), x)
    raises(ValueError, lambda x: np.pad(x, 1, "edge"), np.ones((0, 2)))
    raises(ValueError, lambda x: np.pad(x, ((1, 2), (3, 4), (5, 6))), x)
    raises(ValueError, lambda x: np.pad(x, 1, "maximum", stat_length=0), x)
    with pytest.raises(NotImplementedError):
        tr.compile(lambda x: np.pad(x, 1, "median"))(x)
    with pytest.raises(NotImplementedError):
        tr.compile(lambda x: np.pad(x, 1, "reflect", reflect_type="odd"))(x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sections,axis", [
    (2, 0), (3, 1), (1, -1), ([1, 3], 1), ([2, 2], 0), ([-1, 7], 1), ([3, 1], 1), ([], 0),
])
def test_split(dtype, sections, axis):
    x = make((4, 6), dtype, 1, "t")
    check_against_numpy(lambda x: np.split(x, sections, axis), x)
    check_against_numpy(lambda x: np.array_split(x, sections, axis=axis), x)


@pytest.mark.parametrize("sections", [1, 3, 4, 7, [1, 2]])
def test_array_split_uneven(sections):
    check_against_numpy(lambda x: np.array_split(x, sections), make((5, 2), "int32"))
    check_against_numpy(lambda x: np.array_split(x, sections, axis=1), make((2, 5), "int32"))


def test_hsplit_vsplit_dsplit():
    x = make((4, 6, 2), "float64")
    check_against_numpy(lambda x: (np.hsplit(x, 3), np.vsplit(x, [1]), np.dsplit(x, 2)), x)
    check_against_numpy(lambda x: np.hsplit(x, 2), make((6,), "int64"))


def test_split_errors():
    x = make((4, 6), "float64")
    raises(ValueError, lambda x: np.split(x, 4, 1), x)
    raises(ValueError, lambda x: np.array_split(x, 0), x)
    raises(ValueError, lambda x: np.hsplit(x, 2), np.ones(()))
    raises(ValueError, lambda x: np.vsplit(x, 2), np.ones(4))
    raises(ValueError, lambda x: np.dsplit(x, 2), x)


@pytest.mark.parametrize("shapes", [[(3,), (2,)], [(2, 3), (2, 1)], [(), ()],
                                    [(2, 1, 3), (2, 2, 3)]])
@pytest.mark.parametrize("dtypes", [("int32", "float32"), ("bool", "int64"),
                                    ("float64", "float64")])
def test_hstack(shapes, dtypes):
    a, b = make(shapes[0], dtypes[0], 1), make(shapes[1], dtypes[1], 2)
    check_against_numpy(lambda a, b: np.hstack([a, b]), a, b)
    check_against_numpy(lambda a, b: np.hstack((a, b), dtype=np.float64), a, b)


@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (1, 3)], [(), ()], [(3,), (2, 3)],
                                    [(1, 2, 2), (3, 2, 2)]])
def test_vstack_dstack_column_stack(shapes):
    a, b = make(shapes[0], "float32", 1), make(shapes[1], "int32", 2)
    check_against_numpy(lambda a, b: np.vstack([a, b]), a, b)
    if shapes[0] == shapes[1]:
        check_against_numpy(lambda a, b: np.dstack([a, b]), a, b)
    if len(shapes[0]) < 3 and shapes[0][:1] == shapes[1][:1]:
        check_against_numpy(lambda a, b: np.column_stack([a, b]), a, b)


def test_stack_python_scalars_are_strong():
    x = make((3,), "float32")
    check_against_numpy(lambda x: np.hstack([x, 1.0]), x)
    check_against_numpy(lambda x: np.vstack([x, [1, 2, 3]]), x)
    check_against_numpy(lambda x: np.column_stack([x, x.astype(np.int8)]), x)
    check_against_numpy(lambda x, s: np.hstack([x, s]), x, 2.0)


def test_stack_errors():
    raises(ValueError, lambda a: np.hstack([a, a[0]]), np.ones((2, 2)))
    raises(ValueError, lambda a: np.vstack([a, np.ones(3)]), np.ones((2, 2)))
    raises(TypeError, lambda a: np.hstack(a for _ in range(2)), np.ones(2))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (0,)])
def test_atleast(shape):
    x = make(shape, "int64", 1)
    for fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
        check_against_numpy(lambda x, fn=fn: fn(x), x)
        check_against_numpy(lambda x, fn=fn: fn(x, x.astype(np.float32)), x)
    check_against_numpy(lambda x: np.atleast_2d(x, 1.5), x)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_append(axis):
    a, b = make((2, 3), "int32", 1, "t"), make((2, 3), "float32", 2)
    check_against_numpy(lambda a, b: np.append(a, b, axis=axis), a, b)
    if axis is None:
        check_against_numpy(lambda a: np.append(a, [1.5, 2]), a)
        check_against_numpy(lambda a, s: np.append(a, s), a, 7)


def test_append_errors():
    raises(ValueError, lambda a: np.append(a, [1, 2], axis=0), np.ones((2, 2)))


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("copy", [False, True])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_meshgrid(indexing, sparse, copy, n):
    arrays = [make((3,), "float64", 1), make((4,), "int32", 2), make((2, 1), "float32", 3)][:n]
    check_against_numpy(lambda *xs: np.meshgrid(*xs, indexing=indexing, sparse=sparse,
                                                copy=copy), *arrays)


def test_meshgrid_errors():
    raises(ValueError, lambda x: np.meshgrid(x, indexing="yx"), np.ones(2))


DIFF_CASES = [
    lambda x: np.diff(x),
    lambda x: np.diff(x, 2, 0),
    lambda x: np.diff(x, 3),
    lambda x: np.diff(x, 0),
    lambda x: np.diff(x, 7),
    lambda x: np.diff(x, prepend=0),
    lambda x: np.diff(x, axis=0, append=x[:1]),
    lambda x: np.diff(x, prepend=1.5, append=[[1], [2], [3]]),
    lambda x: np.diff(x[:, :0]),
    lambda x: np.ediff1d(x),
    lambda x: np.ediff1d(x, to_begin=[1, 2], to_end=3),
    lambda x: np.ediff1d(x[0, :1], to_end=-1),
]


@pytest.mark.parametrize("case", range(len(DIFF_CASES)))
@pytest.mark.parametrize("dtype", DTYPES + ["int8", "uint8"])
def test_diff_ediff1d(case, dtype):
    if dtype == "bool" and case >= 9:
        pytest.skip("np.ediff1d subtracts, which numpy refuses for bool")
    x = make((3, 5), dtype, 1, "t")
    if dtype == "uint8" and case in (10, 11):  # int64 ends do not cast same_kind to uint8
        raises(TypeError, DIFF_CASES[case], x)
        return
    check_against_numpy(DIFF_CASES[case], x)


def test_diff_errors():
    raises(ValueError, lambda x: np.diff(x, -1), np.ones(3))
    raises(ValueError, lambda x: np.diff(x), np.ones(()))
    raises(np.exceptions.AxisError, lambda x: np.diff(x, axis=1), np.ones(3))
    raises(TypeError, lambda x: np.ediff1d(x, to_begin=0.5), np.ones(3, np.int32))
    raises(TypeError, lambda x: np.ediff1d(x), np.ones(3, bool))


LINSPACE_CASES = [
    lambda a: np.linspace(a[0], a[-1], 7),
    lambda a: np.linspace(0, a, 5),
    lambda a: np.linspace(a, 10, 4, endpoint=False),
    lambda a: np.linspace(a, a, 3),
    lambda a: np.linspace(a, 2 * a, 1),
    lambda a: np.linspace(a, 1, 0),
    lambda a: np.linspace(a, 1, 5, axis=-1),
    lambda a: np.linspace(a, 1, 5, retstep=True),
    lambda a: np.linspace(a, 20, 6, dtype=np.int32),
    lambda a: np.linspace(a, 20.5, 1, endpoint=False, retstep=True),
]


@pytest.mark.parametrize("case", range(len(LINSPACE_CASES)))
@pytest.mark.parametrize("dtype", ["int32", "float32", "float64"])
def test_linspace_traced_endpoints(case, dtype):
    x = make((2, 3), dtype, 1, "t")
    check_against_numpy(LINSPACE_CASES[case], x)


def test_linspace_errors():
    raises(ValueError, lambda a: np.linspace(a, 1, -1), np.ones(2))
    raises(np.exceptions.AxisError, lambda a: np.linspace(a, 1, 3, axis=2), np.ones(2))
    with pytest.raises(TypeError):
        tr.compile(lambda a, n: np.linspace(0, a, n))(np.ones(2), 3)


# -- derivatives through the compositions (central differences as the reference) -------

GRAD_CASES = {
    "where": lambda x: np.where(x > 0, x, x * x).sum(),
    "clip": lambda x: (np.clip(x, -0.5, 0.5) * x).sum(),
    "take": lambda x: (np.take(x, [0, 2, 2, -1], axis=1) ** 2).sum(),
    "take_along_axis": lambda x: (np.take_along_axis(x, np.array([[1], [0], [3], [2]]), 1)
                                  ** 3).sum(),
    "triu": lambda x: (np.triu(x, 1) ** 2).sum(),
    "diag": lambda x: (np.diag(x) * np.arange(4)).sum() + (np.diag(x[0], 1) ** 2).sum(),
    "trace": lambda x: np.trace(x * x, 1),
    "select": lambda x: np.select([x > 0.5, x < -0.5], [x * 2, x ** 2], x).sum(),
    "choose": lambda x: (np.choose(np.arange(20).reshape(4, 5) % 2, [x, x ** 2])).sum(),
    "tile_repeat": lambda x: ((np.tile(x, (2, 1)) ** 2).sum()
                              + (np.repeat(x, [1, 2, 0, 1, 1], 1) ** 3).sum()),
    "flip_roll_rot90": lambda x: (((np.flip(x) + np.roll(x, 2, 1)) * np.arange(5)).sum()
                                  + (np.rot90(x) ** 2).sum()),
    "pad": lambda x: (np.pad(x, 2, "reflect") ** 2).sum() + (np.pad(x, 1, "mean") ** 2).sum(),
    "pad_ramp": lambda x: (np.pad(x, 2, "linear_ramp", end_values=1.0) ** 2).sum(),
    "split_stack": lambda x: (np.hstack(np.array_split(x, 3, 1)[::-1]) * np.arange(5)).sum(),
    "linspace": lambda x: (np.linspace(x[0], x[1], 4) ** 2).sum(),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_central_differences(name):
    f = GRAD_CASES[name]
    x = make((4, 5), "float64", 7)
    got = tr.grad(f)(x)
    eps, want = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        want[i] = (f(x + step) - f(x - step)) / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
