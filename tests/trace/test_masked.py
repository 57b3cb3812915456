"""x[mask] with a traced boolean mask (trace/numpy_api/masked.py).

The selection's length depends on the data, but these uses of it do not: elementwise
work written back with z[mask] = ..., x[mask] = c or a row, and reductions. Each runs
on both backends against numpy on random inputs (all-true and all-false masks, empty
arrays, NaN), with gradients against central differences, including the CS231n-style
stable sigmoid and LeakyReLU as users write them; every other use of the selection
keeps the data-dependent-shape error naming the line.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracer as tr
from tests.helpers import assert_same

BACKENDS = ["python", "c"]


def _numpy(f, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")          # mean of an empty selection warns
        return f(*args)


def _check(f, backend, *args, rtol=1e-12):
    got = tr.compile(f, backend=backend)(*args)
    assert_same(got, _numpy(f, *args), rtol=rtol)
    return got


def _inputs(shape=(4, 5), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 3
    return x


# -- the users' code ---------------------------------------------------------------------------

def stable_sigmoid(x):
    pos = x >= 0
    z = np.empty_like(x)
    z[pos] = 1 / (1 + np.exp(-x[pos]))
    z[~pos] = np.exp(x[~pos]) / (1 + np.exp(x[~pos]))
    return z


def leaky_relu(x, alpha=0.01):
    z = x * 2.0 - 1.0
    _x = x.copy()
    _x[z < 0] = _x[z < 0] * alpha
    return _x


EXTREMES = np.array([-1000.0, -30.0, -1.0, -0.0, 0.0, 1e-300, 1.0, 30.0, 1000.0])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn", [stable_sigmoid, leaky_relu])
def test_users_code_values(fn, backend):
    for x in (EXTREMES, _inputs(), _inputs((0,)), np.array([np.nan, -np.inf, np.inf, 2.0]),
              _inputs().astype(np.float32)):
        _check(fn, backend, x, rtol=1e-12 if x.dtype == np.float64 else 1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_stable_sigmoid_gradient_is_finite_where_a_lane_overflows(backend):
    # exp(-x) overflows for x = -1000 in the lane the mask drops; the gradient stays exact
    grad = tr.compile(tr.grad(lambda x: stable_sigmoid(x).sum()), backend=backend)(EXTREMES)
    s = 1 / (1 + np.exp(-np.clip(EXTREMES, -700, 700)))
    np.testing.assert_allclose(grad, s * (1 - s), rtol=1e-12, atol=1e-300)
    hess = tr.compile(tr.hessian(lambda x: stable_sigmoid(x).sum()), backend=backend)(EXTREMES)
    assert np.isfinite(hess).all()
    np.testing.assert_allclose(np.diag(hess), s * (1 - s) * (1 - 2 * s), rtol=1e-10,
                               atol=1e-300)


def _central(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        grad.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad


def _log_where_positive(x):
    z = np.zeros_like(x)
    m = x > 0
    z[m] = np.log(x[m])              # log of a negative lane would be NaN
    return (z ** 2).sum()


LOSSES = {
    "sigmoid": lambda x: (stable_sigmoid(x) ** 2).sum(),
    "leaky": lambda x: (leaky_relu(x) ** 2).sum(),
    "log_where_positive": _log_where_positive,
    "sum_mean_max": lambda x: x[x > 0].sum() + x[x < 0].mean() * 2 + x[x > -1].max(),
    "min_prod": lambda x: x[x < 1].min() + x[np.abs(x) < 2].prod(),
    "std_var": lambda x: x[x > -1].std() + x[x < 2].var(ddof=1),
    "rows": lambda x: (x[x[:, 0] > 0].mean(axis=0) ** 2).sum(),
    # sqrt's derivative is NaN at the negative lanes the mask drops: they must not reach x
    "sqrt_where_positive": lambda x: _updated(_sqrt)(x).sum(),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradients_against_central_differences(name, backend):
    loss = LOSSES[name]
    x = _inputs(seed=3)
    got = tr.compile(tr.grad(loss), backend=backend)(x)
    np.testing.assert_allclose(got, _central(loss, x), rtol=1e-5, atol=1e-6)


# -- writes -------------------------------------------------------------------------------------

def _updated(update):
    def f(x, *rest):
        x = x.copy()
        update(x, *rest)
        return x
    return f


def _set_constant(x):
    x[x > 0] = 0


def _set_row(x, v):
    x[x[:, 0] > 0] = v


def _set_function(x):
    x[x[:, 0] > 0] = x[x[:, 0] > 0] * 2 + 1


def _iadd(x):
    x[x > 0] += 1


def _sqrt(x):
    x[x > 0] = np.sqrt(x[x > 0])


def _row_sums(x):
    m = x[:, 0] > 0
    x[m, :] = x[m, ...].sum(axis=1, keepdims=True)


def _where_clip(x):
    m = x > 0
    x[m] = np.where(x[m] > 0.5, np.clip(x[m], 1, 2), -x[m])


def _cast(x):
    x[x > 0] = x[x > 0].astype(np.int64)


def _other_array(x, v):
    m = x[:, 0] > 0
    x[m] = x[m] + v


def _second_array(x, y):
    m = y > 0
    x[m] = x[m] * y[m] - np.float32(1)


def _same_mask_rebuilt(x):
    y = x * 1
    y[x > 0] = np.exp(-x[x > 0])        # two spellings of one mask are one node


WRITES = [_same_mask_rebuilt, _set_constant, _set_function, _iadd, _sqrt, _row_sums, _where_clip, _cast]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("update", WRITES, ids=lambda u: u.__name__)
def test_writes(update, backend):
    x = _inputs()
    x[1, 2] = np.nan
    for arg in (x, np.abs(x) + 1, -np.abs(x) - 1, x[:0], x.astype(np.float32)):
        _check(_updated(update), backend, arg, rtol=1e-12 if arg.dtype == np.float64 else 1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_writes_with_other_arrays(backend):
    x, v = _inputs(), np.arange(5.0)
    _check(_updated(_set_row), backend, x, v)
    _check(_updated(_set_row), backend, x, 7)
    _check(_updated(_other_array), backend, x, v)
    _check(_updated(_other_array), backend, x, v[None])
    _check(_updated(_second_array), backend, x, _inputs(seed=1))
    _check(_updated(_second_array), backend, x.astype(np.int32), _inputs(seed=1))


def _rows_part(x):
    m = x[:, 0] > 0
    x[m, 1:3] = x[m, 1:3] * 2


def _rows_column_constant(x):
    x[x[:, 0] > 0, 0] = 5


def _rows_column_iadd(x):
    x[x[:, 0] > 0, -1] += 1


def _rows_shifted(x):
    m = x[:, 0] > 0
    x[m, 1:] = np.exp(x[m, :-1])


def _rows_list(x):
    x[x[:, 0] > 0, ::2] = [7.0, 8.0, 9.0]


def _rows_ellipsis(x):
    y = x[:, :, None] * np.ones(2)
    m = y[:, 0, 0] > 0
    y[m, ..., 0] = y[m, ..., 1] + x[m, :2].sum()
    x[:] = y.sum(axis=2)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("update", [_rows_part, _rows_column_constant, _rows_column_iadd,
                                    _rows_shifted, _rows_list, _rows_ellipsis],
                         ids=lambda u: u.__name__)
def test_mask_then_ints_and_slices_on_the_rows(update, backend):
    # x[mask, 1:3], x[mask, 0], x[mask, ..., 0]: numpy puts the selected axis first
    x = _inputs()
    for arg in (x, np.abs(x), -np.abs(x)):
        _check(_updated(update), backend, arg)
    _check(lambda x: x[x[:, 0] > 0, 1:3].mean(axis=0) + x[x[:, 1] > 0, -1].sum(), backend, x)
    with pytest.raises(IndexError, match="out of bounds"):
        tr.compile(lambda x: x[x[:, 0] > 0, 7].sum())(x)


# -- reductions ---------------------------------------------------------------------------------

REDUCTIONS = {
    "sum": lambda x: x[x > 0].sum(),
    "np.sum": lambda x: np.sum(x[x > 0]),
    "mean": lambda x: x[x > 0].mean(),
    "np.mean": lambda x: np.mean(x[x > 0]),
    "mean_f32": lambda x: np.mean(x[x > 0], dtype=np.float32),
    "max": lambda x: x[x > 0].max(),
    "min": lambda x: x[x < 0].min(),
    "max_initial": lambda x: np.max(x[x > 1], initial=-3.0),
    "prod": lambda x: x[np.abs(x) < 2].prod(),
    "any": lambda x: (x[x > 0] > 4).any(),
    "all": lambda x: (x[x > -1] < 4).all(),
    "std": lambda x: x[x > 0].std(),
    "var_ddof": lambda x: x[x > 0].var(ddof=1),
    "count_nonzero_mask": lambda x: np.count_nonzero(x > 0),
    "count_nonzero_selection": lambda x: np.count_nonzero(x[x > -1] > 0),
    "rows_sum": lambda x: x[x[:, 0] > 0].sum(axis=0),
    "rows_mean": lambda x: x[x[:, 0] > 0].mean(axis=0),
    "rows_max_keepdims": lambda x: x[x[:, 0] > 0].max(axis=0, keepdims=True, initial=-9.0),
    "rows_std_all": lambda x: x[x[:, 0] > 0].std(axis=(0, 1)),
    "rows_then_lanes": lambda x: x[x[:, 0] > 0].sum(axis=1).sum(),
    "abs_neg_pow": lambda x: abs(x[x < 0]).sum() + (-x[x < 0]).sum() + (2 ** x[x < 0]).sum(),
    "ints": lambda x: x.astype(np.int32)[x > 0].sum(),
    "bools": lambda x: (x > 1)[x > -1].sum(),
    "float32": lambda x: x.astype(np.float32)[x > 0].mean(),
    "with_mask_count": lambda x: x[x > 0].sum() / np.count_nonzero(x > 0),
    "numpy_row_right": lambda x: (x[x[:, 0] > 0] * np.arange(5.0)).sum(),
    "numpy_row_left": lambda x: np.min(np.arange(5.0) - x[x[:, 0] > 0], initial=0.0),
    "numpy_scalar": lambda x: (np.float32(2) * x[x > 0]).max(initial=-1.0),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions(name, backend):
    f = REDUCTIONS[name]
    x = _inputs()
    with_nan = x.copy()
    with_nan[::2, 1] = np.nan
    # random, all selected, none selected, NaN (numpy's max and min of nothing raise:
    # test_empty_selection_max_is_the_identity)
    for arg in (x, np.abs(x) + 1, -np.abs(x) - 5, with_nan, x.T.copy()[:, :4]):
        try:
            _numpy(f, arg)
        except ValueError as err:
            if "zero-size" not in str(err):       # numpy's broadcasting error: ours too
                with pytest.raises(ValueError, match="broadcast"):
                    tr.compile(f, backend=backend)(arg)
            continue
        _check(f, backend, arg, rtol=1e-12 if "32" not in name else 1e-6)


def test_empty_selection_max_is_the_identity():
    # numpy raises for x[mask].max() with nothing selected; a compiled function cannot,
    # and gives what np.max(x, where=mask, initial=-inf) gives
    x = -np.ones(5)
    got = tr.compile(lambda x: x[x > 0].max())(x)
    assert got == np.max(x, where=x > 0, initial=-np.inf) == -np.inf
    assert tr.compile(lambda x: x[x > 0].astype(np.int8).min())(x) == 127


def test_empty_arrays():
    for shape in ((0,), (0, 3)):
        x = np.zeros(shape)
        for f in (REDUCTIONS["sum"], REDUCTIONS["mean"], REDUCTIONS["std"]):
            _check(f, "python", x)
        _check(_updated(_sqrt), "python", x)


# -- what stays refused -------------------------------------------------------------------------

def _returned(x):
    return x[x > 0]


def _shape(x):
    return np.zeros(x[x > 0].shape)


def _length(x):
    return x[:len(x[x > 0])]


def _concatenated(x):
    return np.concatenate([x[x > 0], x])


def _indexed(x):
    return x[x > 0][0]


def _two_masks(x):
    return (x[x > 0] + x[x < 0]).sum()


def _full_array(x):
    return (x[x > 0] + x).sum()


def _into_other_mask(x):
    y = x.copy()
    y[x < 1] = x[x > 0]
    return y


def _reshaped(x):
    return x[x > 0].reshape(-1).sum()


def _iterated(x):
    return sum(v for v in x[x > 0])


REFUSED = [_returned, _shape, _length, _concatenated, _indexed, _two_masks, _full_array,
           _into_other_mask, _reshaped, _iterated]


@pytest.mark.parametrize("fn", REFUSED, ids=lambda f: f.__name__)
def test_uses_that_need_the_length_are_refused(fn):
    with pytest.raises(IndexError, match="data-dependent shape") as info:
        tr.compile(fn)(np.linspace(-1, 1, 6))
    message = str(info.value)
    assert "np.where(mask, x, fill)" in message and "test_masked.py:" in message


def test_mask_shape_mismatch_is_numpys_error():
    with pytest.raises(IndexError, match="boolean index did not match"):
        tr.compile(lambda x, m: x[m].sum())(np.ones((3, 2)), np.ones(2, bool))


# -- numpy's where= on reductions (what the selection's reductions are made of) -----------------

WHERE = {
    "sum": lambda x, m: np.sum(x, where=m),
    "sum_axis_keepdims": lambda x, m: np.sum(x, axis=1, keepdims=True, where=m),
    "sum_row_mask": lambda x, m: np.sum(x, axis=0, where=m[0]),
    "sum_concrete_mask": lambda x, m: x.sum(axis=0, where=np.arange(5) % 2 == 0),
    "prod_initial": lambda x, m: np.prod(x, where=m, initial=2.0),
    "mean": lambda x, m: np.mean(x, where=m),
    "mean_axis": lambda x, m: x.mean(axis=0, where=m),
    "mean_f32": lambda x, m: np.mean(x.astype(np.float32), axis=1, where=m),
    "mean_int": lambda x, m: np.mean((x * 10).astype(np.int16), where=m),
    "var_ddof": lambda x, m: np.var(x, axis=1, ddof=1, where=m),
    "std": lambda x, m: x.std(where=m),
    "max": lambda x, m: np.max(x, axis=0, where=m, initial=-1.5),
    "min": lambda x, m: x.min(where=m, initial=0.25),
    "any_all": lambda x, m: (np.any(x > 1, axis=1, where=m), np.all(x > -1, where=m)),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(WHERE))
def test_where_reductions(name, backend):
    x = _inputs()
    x[0, 0] = np.nan                      # left out where the mask is x > 0
    for m in (x > 0, np.ones(x.shape, bool), np.zeros(x.shape, bool)):
        _check(WHERE[name], backend, x, m, rtol=1e-12 if "f32" not in name else 1e-6)


def test_where_gradient_drops_the_left_out_elements():
    def loss(x):
        m = x > -1
        return np.mean(2 * x, where=m) + np.var(x, axis=0, where=x < 2).sum() + x.max(
            where=m, initial=0.0)
    x = _inputs(seed=4)
    x[0, 0] = np.nan                      # left out by both masks: no NaN reaches the gradient
    got = tr.compile(tr.grad(loss))(x)
    np.testing.assert_allclose(got, _central(loss, x), rtol=1e-5, atol=1e-6)
    assert got[0, 0] == 0


@pytest.mark.parametrize("f, error, match", [
    (lambda x, m: np.max(x, where=m), ValueError, "to use a where mask one has to specify"),
    (lambda x, m: np.sum(x, where=m.astype(int)), TypeError, "according to the rule 'safe'"),
    (lambda x, m: np.sum(x[0], where=m), ValueError, "more dimensions"),
    (lambda x, m: np.sum(x, where=m[:, :2]), ValueError, "could not be broadcast"),
])
def test_where_errors_are_numpys(f, error, match):
    x = _inputs()
    with pytest.raises(error, match=match):
        f(x, x > 0)
    with pytest.raises(error, match=match):
        tr.compile(f)(x, x > 0)
