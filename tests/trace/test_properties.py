"""Property tests: random shapes, dtypes, layouts and values, tracer vs numpy.

Shapes include 0-size axes and broadcasting pairs; dtypes bool, int32, int64,
float32, float64; inputs may be reversed, strided or transposed views; floats
include NaN, inf and -0.0. Where numpy raises, tracer must raise the same kind
of error; where numpy returns, tracer must return the same dtype, shape and
values (integers exactly).
"""
from __future__ import annotations

import math
import os
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tracer as tr
from tests.helpers import assert_same

# A fixed, modest run by default; TRACER_PROPERTY_EXAMPLES=2000 explores afresh.
_EXPLORE = int(os.environ.get("TRACER_PROPERTY_EXAMPLES", "0"))
with warnings.catch_warnings():
    # hypothesis imports libcst to explain a failure; its import warns (mypy_extensions),
    # which the suite's warnings-as-errors would turn into an INTERNALERROR hiding the failure
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import libcst.metadata  # noqa: F401
    except ImportError:
        pass

SETTINGS = settings(max_examples=_EXPLORE or 60, deadline=None, derandomize=not _EXPLORE,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
DTYPES = [np.dtype(d) for d in ("bool", "int32", "int64", "float32", "float64")]
ERROR_KINDS = (IndexError, ValueError, TypeError, OverflowError, ZeroDivisionError)


# --- strategies ------------------------------------------------------------


def elements(dtype: np.dtype) -> st.SearchStrategy:
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        return st.integers(-20, 20)
    special = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0])
    finite = st.floats(-100, 100, width=dtype.itemsize * 8)
    return st.one_of(finite, special)


@st.composite
def layouts(draw, array: np.ndarray) -> np.ndarray:
    """The same values as `array`, possibly as a reversed, strided or transposed view
    (the transposed view changes the shape: callers compare against numpy on it)."""
    kind = draw(st.sampled_from(["plain", "reversed", "strided", "transposed", "fortran"]))
    if kind == "reversed" and array.ndim:
        return np.flip(np.flip(array, 0).copy(), 0)
    if kind == "strided" and array.ndim:
        return np.repeat(array, 2, axis=-1)[..., ::2]
    if kind == "transposed":
        return np.ascontiguousarray(array.T).T
    if kind == "fortran":
        return np.asfortranarray(array)
    return array


@st.composite
def arrays(draw, dtype=None, shape=None, min_dims=0, max_dims=3, min_side=0) -> np.ndarray:
    dtype = draw(st.sampled_from(DTYPES)) if dtype is None else np.dtype(dtype)
    if shape is None:
        shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                      max_side=4))
    base = draw(hnp.arrays(dtype, shape, elements=elements(dtype)))
    return draw(layouts(base))


def python_scalars() -> st.SearchStrategy:
    return st.one_of(st.booleans(), st.integers(-20, 20),
                     st.floats(-100, 100), st.sampled_from([math.nan, math.inf, 0.5]))


# --- the oracle --------------------------------------------------------------


def numpy_result(fn, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*args)
        except ERROR_KINDS as err:
            return err


def agree(fn, *args, rtol=1e-6, atol=0.0, **options):
    """tracer(fn) and fn agree on args: same error kind, or the same result."""
    want = numpy_result(fn, *args)
    try:
        got = tr.compile(fn, **options)(*args)
    except ERROR_KINDS as err:
        if not isinstance(want, Exception):
            raise
        assert _kinds(err) & _kinds(want), f"tracer raised {err!r}, numpy raised {want!r}"
        return
    assert not isinstance(want, Exception), f"numpy raised {want!r}, tracer returned {got!r}"
    assert_same(got, want, rtol=rtol, atol=atol)


def _kinds(err: Exception) -> set[type]:
    return {k for k in ERROR_KINDS if isinstance(err, k)}


# --- ufuncs ---------------------------------------------------------------------

UNARY = [np.negative, np.positive, np.absolute, np.sign, np.exp, np.expm1, np.log, np.log1p,
         np.log2, np.sqrt, np.cbrt, np.square, np.reciprocal, np.sin, np.cos, np.tanh,
         np.arctan, np.arcsinh, np.floor, np.ceil, np.trunc, np.rint, np.isnan, np.isinf,
         np.isfinite, np.logical_not, np.invert, np.exp2, np.deg2rad]
BINARY = [np.add, np.subtract, np.multiply, np.true_divide, np.floor_divide, np.remainder,
          np.power, np.maximum, np.minimum, np.fmax, np.fmin, np.arctan2, np.hypot,
          np.logaddexp, np.copysign, np.equal, np.not_equal, np.less, np.less_equal,
          np.greater, np.greater_equal, np.logical_and, np.logical_or, np.logical_xor,
          np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.left_shift, np.right_shift,
          np.heaviside, np.float_power]


def _safe_int_power(ufunc, a, b) -> bool:
    """numpy raises for negative integer exponents only once it sees the values."""
    return ufunc not in (np.power, np.left_shift, np.right_shift) or not (
        np.asarray(b).dtype.kind in "iu" and (np.asarray(b) < 0).any())


@SETTINGS
@given(st.sampled_from(UNARY), arrays())
def test_unary_ufuncs(ufunc, x):
    if ufunc is np.reciprocal and x.dtype.kind in "iu":
        assume(not (x == 0).any())  # C's 1 / 0: numpy's value is the platform's
    agree(lambda a: ufunc(a), x)


@SETTINGS
@given(st.sampled_from(BINARY), st.data())
def test_binary_ufuncs_broadcast(ufunc, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                         min_side=0, max_side=3))
    a = data.draw(arrays(shape=shapes.input_shapes[0]))
    b = data.draw(arrays(shape=shapes.input_shapes[1]))
    assume(_safe_int_power(ufunc, a, b))
    agree(lambda x, y: ufunc(x, y), a, b)


@SETTINGS
@given(st.sampled_from(BINARY), arrays(), python_scalars(), st.booleans(), st.booleans())
def test_binary_ufuncs_python_scalar(ufunc, x, scalar, traced, scalar_first):
    """NEP 50: a Python scalar takes the array's dtype, as a constant or a traced argument."""
    assume(_safe_int_power(ufunc, x, scalar))
    if ufunc in (np.left_shift, np.right_shift) and isinstance(scalar, int):
        assume(0 <= scalar < 8)

    def call(a, s):
        return ufunc(s, a) if scalar_first else ufunc(a, s)

    if traced:
        agree(call, x, scalar)
    else:
        agree(lambda a: call(a, scalar), x)


@SETTINGS
@given(st.sampled_from(UNARY), arrays(), python_scalars())
def test_ufunc_of_a_traced_python_scalar_is_strong(ufunc, x, scalar):
    """np.f(s) is a numpy scalar (strong), unlike Python arithmetic on s (weak)."""
    agree(lambda a, s: (a + ufunc(s), a * (s - 1)), x, scalar)


@SETTINGS
@given(arrays(), python_scalars(), st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "<",
                                                     "==", "&", "|"]))
def test_operators_with_python_scalars(x, scalar, op):
    assume(op != "**" or not (isinstance(scalar, int) and scalar < 0 and x.dtype.kind in "biu"))
    expr = eval(f"lambda a, s: (a {op} s, s {op} a)")
    agree(expr, x, scalar)


# --- reductions ---------------------------------------------------------------

REDUCTIONS = ["sum", "prod", "mean", "max", "min", "any", "all", "std", "var"]


@st.composite
def axes_for(draw, ndim: int):
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or ndim == 0:
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


@SETTINGS
@given(st.sampled_from(REDUCTIONS), st.data(), st.booleans())
def test_reductions(name, data, keepdims):
    x = data.draw(arrays())
    axis = data.draw(axes_for(x.ndim))
    fn = getattr(np, name)
    agree(lambda a: fn(a, axis=axis, keepdims=keepdims), x, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(st.sampled_from(["argmax", "argmin", "cumsum", "cumprod"]), st.data())
def test_axis_reductions_and_scans(name, data):
    x = data.draw(arrays())
    axis = None if x.ndim == 0 or data.draw(st.booleans()) else \
        data.draw(st.integers(-x.ndim, x.ndim - 1))
    fn = getattr(np, name)
    agree(lambda a: fn(a, axis=axis), x, rtol=1e-5)


@SETTINGS
@given(arrays(dtype="float64", min_dims=1), st.integers(0, 2))
def test_var_std_ddof(x, ddof):
    agree(lambda a: (a.var(axis=0, ddof=ddof), np.std(a, ddof=ddof)), x, rtol=1e-6, atol=1e-9)


@SETTINGS
@given(arrays(), st.sampled_from([None, "float64", "int64", "float32"]))
def test_sum_dtype_argument(x, dtype):
    agree(lambda a: (np.sum(a, dtype=dtype), np.mean(a, dtype=dtype), np.cumsum(a, dtype=dtype),
                     np.prod(a, dtype=dtype), np.std(a, dtype=dtype)), x, rtol=1e-5, atol=1e-6)
    agree(lambda a: np.var(a, axis=-1, dtype=dtype), x, rtol=1e-5, atol=1e-6)
    agree(lambda a: np.std(a, axis=-1, dtype=dtype), x, rtol=1e-5, atol=1e-6)


# --- indexing ----------------------------------------------------------------


@st.composite
def index_keys(draw, shape: tuple[int, ...]):
    """A valid numpy key mixing ints, slices, None, Ellipsis, integer arrays and masks."""
    key: list = []
    index_shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    ndim = len(shape)
    used = draw(st.integers(0, ndim))
    axis = 0
    while axis < used:
        n = shape[axis]
        kinds = ["slice", "none"] + (["int", "array"] if n else []) + ["mask"]
        kind = draw(st.sampled_from(kinds))
        if kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            stop = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(bool)))
            key.append(slice(start, stop, step))
        elif kind == "none":
            key.append(None)
            continue
        elif kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "array":
            key.append(draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-n, n - 1))))
        else:
            key.append(draw(hnp.arrays(np.bool_, (n,))))
        axis += 1
    if draw(st.booleans()):
        key.insert(draw(st.integers(0, len(key))), Ellipsis)
    arrays_in = [k for k in key if isinstance(k, np.ndarray)]
    assume(sum(k.dtype == bool for k in arrays_in) <= 1)
    return tuple(key) if len(key) != 1 or draw(st.booleans()) else key[0]


def _valid(x: np.ndarray, key) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x[key]
    except (IndexError, ValueError, DeprecationWarning):
        return False
    return True


@SETTINGS
@given(st.data())
def test_getitem_constant_keys(data):
    x = data.draw(arrays(min_dims=1))
    key = data.draw(index_keys(x.shape))
    assume(_valid(x, key))
    agree(lambda a: a[key], x)


@SETTINGS
@given(st.data())
def test_getitem_traced_integer_arrays(data):
    """Index arrays passed as arguments: traced, so one GATHER per key shape."""
    x = data.draw(arrays(min_dims=1))
    key = data.draw(index_keys(x.shape))
    items = key if isinstance(key, tuple) else (key,)
    assume(any(isinstance(k, np.ndarray) and k.dtype != bool for k in items))
    assume(_valid(x, key))
    slots = [i for i, k in enumerate(items) if isinstance(k, np.ndarray) and k.dtype != bool]
    index_arrays = [items[i] for i in slots]

    def f(a, idx):
        full = list(items)
        for i, arr in zip(slots, idx):
            full[i] = arr
        return a[tuple(full)]

    agree(f, x, index_arrays)


@SETTINGS
@given(st.data(), st.booleans())
def test_setitem_constant_keys(data, scalar_value):
    x = data.draw(arrays(min_dims=1))
    key = data.draw(index_keys(x.shape))
    assume(_valid(x, key))
    target_shape = x[key].shape
    value = data.draw(arrays(dtype=x.dtype, shape=() if scalar_value else target_shape))

    def f(a, v):
        a = a.copy()
        a[key] = v
        return a

    agree(f, x, value)


@SETTINGS
@given(st.data(), st.booleans())
def test_setitem_traced_unique_indices(data, scalar_value):
    """x[idx] = v with idx a traced argument (a scatter); indices unique, since numpy
    leaves the order of repeated writes unspecified."""
    x = data.draw(arrays(min_dims=1))
    n = x.shape[0]
    assume(n > 0)
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), max_size=n,
                                      unique_by=lambda i: i % n)), dtype=np.int64)
    cols = data.draw(st.sampled_from(["all", "first"])) if x.ndim > 1 and x.shape[1] else "all"
    target = x[idx] if cols == "all" else x[idx, 0]
    value = data.draw(arrays(dtype=x.dtype, shape=() if scalar_value else target.shape))

    def f(a, i, v):
        a = a.copy()
        if cols == "all":
            a[i] = v
        else:
            a[i, 0] = v
        return a

    agree(f, x, idx, value)


@SETTINGS
@given(arrays(dtype="float64", min_dims=1), st.floats(-5, 5))
def test_setitem_traced_mask(x, threshold):
    def f(a, t):
        b = a.copy()
        b[b > t] = t
        b[np.isnan(b)] = -1.0
        return b

    agree(f, x, threshold)


# --- layout ----------------------------------------------------------------


@st.composite
def reshape_targets(draw, shape: tuple[int, ...]):
    size = math.prod(shape)
    dims: list[int] = []
    rest = size
    for _ in range(draw(st.integers(0, 3))):
        divisors = [d for d in range(1, 5) if rest % d == 0] if rest else [0, 1, 2]
        d = draw(st.sampled_from(divisors))
        dims.append(d)
        rest = rest // d if d else rest
    dims.append(rest if size else 0)
    if size and draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


@SETTINGS
@given(st.data())
def test_reshape(data):
    x = data.draw(arrays())
    target = data.draw(reshape_targets(x.shape))
    agree(lambda a: (a.reshape(target), np.reshape(a, target).ravel()), x)


@SETTINGS
@given(st.data())
def test_transpose_and_axis_moves(data):
    x = data.draw(arrays())
    perm = data.draw(st.permutations(range(x.ndim)))
    ops = [lambda a: np.transpose(a, perm), lambda a: a.T, lambda a: np.expand_dims(a, 0),
           lambda a: np.squeeze(a), lambda a: np.broadcast_to(a, (2,) + a.shape)]
    if x.ndim:
        src, dst = data.draw(st.integers(-x.ndim, x.ndim - 1)), data.draw(
            st.integers(-x.ndim, x.ndim - 1))
        ops += [lambda a: np.moveaxis(a, src, dst), lambda a: np.swapaxes(a, src, dst)]
    agree(lambda a: tuple(op(a) for op in ops), x)


@SETTINGS
@given(st.data())
def test_concatenate_and_stack_promote(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3))
    a = data.draw(arrays(shape=shape))
    b = data.draw(arrays(shape=shape))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    agree(lambda x, y: (np.concatenate([x, y], axis=axis), np.stack([x, y], axis=axis)), a, b)


@SETTINGS
@given(st.data())
def test_matmul_broadcast_and_dtypes(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(signature="(m?,n),(n,p?)->(m?,p?)",
                                                         max_dims=4, min_side=0, max_side=3))
    a = data.draw(arrays(shape=shapes.input_shapes[0]))
    b = data.draw(arrays(shape=shapes.input_shapes[1]))
    agree(lambda x, y: x @ y, a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_inf_zero_size_fixed_examples(dtype):
    """Edge values every strategy above may miss on a short run."""
    if dtype.kind == "f":
        x = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5], dtype)
    else:
        x = np.array([0, 1, 1, 0, 1, 0], dtype)
    agree(lambda a: (a.max(), a.min(), a.sum(), np.maximum(a, a[::-1]), a[::-2], a.argmax()), x)
    agree(lambda a: (a.sum(axis=0), a.prod(axis=1), a.any(axis=0), a.T), np.zeros((0, 3), dtype))
