"""Stabilizing rewrites: each one's graph before and after, and its values.

Every case is a numpy function traced twice (the stabilize pass off, then on): the
op lists show the rewrite, and the stabilized values are checked on inputs full of
specials (NaN, inf, -0.0, 1e-20, +-1000, 1e300) against the mathematical value
(computed in long double with a formula that is exact there) and against numpy's
own formula wherever that one is accurate: a rewrite changes a value only where
numpy's formula overflows or cancels, and keeps numpy's NaN and inf.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.special as sc

import tracer as tr

from ..backends.c.support import needs_cc

LD = np.longdouble
SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-20, -1e-20, 1e-300, 1000.0, -1000.0, 700.0,
            -700.0, 40.0, -40.0, 1e300, -1e300, 3e20, -1e-25, 1.0, -1.0, 0.5]


@dataclass
class Case:
    name: str
    fn: Callable[..., np.ndarray]          # the naive numpy formula
    truth: Callable[[np.ndarray], np.ndarray]   # the exact value, in long double
    before: list[str]                      # op lists of the graph before and after
    after: list[str]
    ulps: float = 4.0
    rows: bool = False                     # a reduction over the last axis: tolerance of max|x|


def _lse(x):
    m = np.max(np.where(np.isfinite(x), x, -np.inf), axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(all="ignore"):
        return np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True)) + m


def _sigmoid_ld(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


CASES = [
    Case("log1p", lambda x: np.log(1 + x), np.log1p,
         ["broadcast_to", "add", "log"], ["log1p", "broadcast_to", "add"]),
    Case("log1p-right", lambda x: np.log(x + 1), np.log1p,
         ["broadcast_to", "add", "log"], ["log1p", "broadcast_to", "add"]),
    Case("expm1", lambda x: np.exp(x) - 1, np.expm1,
         ["exp", "broadcast_to", "sub"], ["expm1", "broadcast_to", "add"]),
    Case("softplus", lambda x: np.log(1 + np.exp(x)), lambda x: np.logaddexp(0, x),
         ["broadcast_to", "exp", "add", "log"], ["broadcast_to", "logaddexp"]),
    Case("softplus-log1p", lambda x: np.log1p(np.exp(x)), lambda x: np.logaddexp(0, x),
         ["exp", "log1p"], ["broadcast_to", "logaddexp"]),
    Case("sigmoid", lambda x: 1 / (1 + np.exp(-x)), _sigmoid_ld,
         ["broadcast_to", "neg", "exp", "add", "div"], ["sigmoid"]),
    Case("sigmoid-exp-over", lambda x: np.exp(x) / (1 + np.exp(x)), _sigmoid_ld,
         ["exp", "broadcast_to", "add", "div"], ["sigmoid"]),
    Case("log-sigmoid", lambda x: np.log(1 / (1 + np.exp(-x))), lambda x: -np.logaddexp(0, -x),
         ["broadcast_to", "neg", "exp", "add", "div", "log"],
         ["broadcast_to", "neg", "logaddexp", "sub"]),
    Case("log-one-minus-sigmoid", lambda x: np.log(1 - sc.expit(x)),
         lambda x: -np.logaddexp(0, x),
         ["broadcast_to", "sigmoid", "sub", "log"], ["broadcast_to", "logaddexp", "sub"]),
    Case("log-expit", lambda x: np.log(sc.expit(x)), lambda x: -np.logaddexp(0, -x),
         ["sigmoid", "log"], ["broadcast_to", "neg", "logaddexp", "sub"]),
    Case("log-exp", lambda x: np.log(np.exp(x)), lambda x: x,
         ["exp", "log"], ["broadcast_to", "add"]),
    Case("sqrt-square", lambda x: np.sqrt(x * x), np.abs, ["mul", "sqrt"], ["abs"]),
    Case("sqrt-power", lambda x: np.sqrt(x ** 2), np.abs, ["mul", "sqrt"], ["abs"]),
    Case("logsumexp", lambda x: np.log(np.sum(np.exp(x), axis=-1)), lambda x: _lse(x)[..., 0],
         ["exp", "reduce_sum", "log"],
         ["reduce_max", "isfinite", "broadcast_to", "select", "reshape", "broadcast_to", "sub",
          "exp", "reduce_sum", "log", "add"], rows=True),
    Case("logsumexp-keepdims", lambda x: np.log(np.exp(x).sum(axis=-1, keepdims=True)), _lse,
         ["exp", "reduce_sum", "reshape", "log"],
         ["reduce_max", "isfinite", "broadcast_to", "select", "reshape", "broadcast_to", "sub",
          "exp", "reduce_sum", "log", "add", "reshape"], rows=True),
    Case("log-softmax", lambda x: np.log(np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)),
         lambda x: x - _lse(x),
         ["exp", "reduce_sum", "reshape", "broadcast_to", "div", "log"],
         ["reduce_max", "isfinite", "broadcast_to", "select", "reshape", "broadcast_to", "sub",
          "exp", "reduce_sum", "log", "reshape", "broadcast_to", "sub"], rows=True),
    Case("z-minus-logsumexp", lambda x: x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True)),
         lambda x: x - _lse(x),
         ["exp", "reduce_sum", "reshape", "log", "broadcast_to", "sub"],
         ["reduce_max", "isfinite", "broadcast_to", "select", "reshape", "broadcast_to", "sub",
          "exp", "reduce_sum", "log", "add", "reshape", "broadcast_to", "sub"], rows=True),
    Case("softmax", lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True),
         lambda x: np.exp(x - _lse(x)),
         ["exp", "reduce_sum", "reshape", "broadcast_to", "div"],
         ["reduce_max", "isfinite", "broadcast_to", "select", "reshape", "broadcast_to", "sub",
          "exp", "reduce_sum", "reshape", "broadcast_to", "div"], rows=True),
]


def _lower(fn, x, disabled=(), backend="python"):
    saved = tr.config.disabled_passes
    tr.config.disabled_passes = disabled
    try:
        return tr.compile(fn, backend=backend).lower(x)
    finally:
        tr.config.disabled_passes = saved


def _inputs(dtype, rows: bool) -> np.ndarray:
    rng = np.random.default_rng(0)
    finite = np.concatenate([rng.standard_normal(30), rng.standard_normal(30) * 30,
                             rng.uniform(-1e-8, 1e-8, 10)])
    with np.errstate(over="ignore"):        # 1e300 is inf in float32
        flat = np.concatenate([SPECIALS, finite]).astype(dtype)
    if not rows:
        return flat
    # rows of 4: a special in most rows, some rows all finite, some all equal
    width = 4
    flat = flat[: flat.size // width * width].reshape(-1, width)
    return np.concatenate([flat, np.full((1, width), -np.inf, dtype),
                           np.full((1, width), 1000.0, dtype)])


def _per_result(mask: np.ndarray, shape, rows: bool) -> np.ndarray:
    """An input mask as a mask of the results (a row's results: any of its inputs)."""
    if not rows:
        return mask
    return np.broadcast_to(mask.any(axis=-1).reshape(-1, *[1] * (len(shape) - 1)), shape)


def _ulp_error(got, want, dtype, scale=None):
    want = np.asarray(want)
    ref = np.abs(want if scale is None else np.maximum(np.abs(want), scale))
    ulp = np.spacing(np.asarray(ref, dtype).astype(dtype)).astype(LD)
    with np.errstate(invalid="ignore"):
        return np.abs(got.astype(LD) - want) / np.maximum(ulp, np.finfo(dtype).smallest_subnormal)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rewrite_graph_before_and_after(case):
    x = _inputs("float64", case.rows)
    naive = _lower(case.fn, x, disabled=("stabilize",))
    stable = _lower(case.fn, x)
    assert naive.ops() == case.before, naive.as_text()
    assert stable.ops() == case.after, stable.as_text()


@pytest.mark.parametrize("backend", ["python", pytest.param("c", marks=needs_cc)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rewrite_values(case, dtype, backend):
    x = _inputs(dtype, case.rows)
    got = np.asarray(_lower(case.fn, x, backend=backend).compile()(x))
    with np.errstate(all="ignore"):
        naive = np.asarray(case.fn(x))
        truth = case.truth(x.astype(LD))
    assert got.dtype == naive.dtype and got.shape == naive.shape
    # NaN in the input: NaN out; +-inf: the mathematical limit, which is numpy's value
    # unless numpy's formula turns it into NaN (inf / inf)
    nan_in, inf_in = (_per_result(m, got.shape, case.rows) for m in (np.isnan(x), np.isinf(x)))
    assert np.isnan(got[nan_in]).all()
    limit = inf_in & ~nan_in
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got[limit], truth[limit].astype(dtype))
    same = limit & ~np.isnan(naive)
    np.testing.assert_array_equal(got[same], naive[same])
    special = nan_in | inf_in
    # elsewhere: the true value, to a few ulps (of the largest element for a row reduction)
    scale = np.max(np.abs(x), axis=-1).reshape(-1, *[1] * (got.ndim - 1)) if case.rows else None
    with np.errstate(all="ignore"):
        err = _ulp_error(got, truth, dtype, scale)
        naive_err = _ulp_error(naive, truth, dtype, scale)
    with np.errstate(over="ignore"):
        finite = ~special & np.isfinite(truth.astype(dtype))
    assert np.all(err[finite] <= case.ulps), (x, got, truth)
    # where numpy's formula is accurate, the rewrite gives numpy's value to a few ulps
    accurate = finite & (naive_err <= 2)
    assert np.all(_ulp_error(got, naive.astype(LD), dtype, scale)[accurate] <= case.ulps + 2)
    # the rewrite mattered: somewhere numpy's formula is off (or not finite) and ours is
    # not (1 / (1 + exp(-x)) is accurate: sigmoid's reason is its derivative)
    off = finite & (~np.isfinite(naive) | (naive_err > 1e3))
    assert np.any(off) or case.name == "sigmoid"


def test_the_issue_examples():
    x = np.array([1000.0, -1000.0, 0.0])
    f = tr.compile(lambda x: np.log(1 + np.exp(x)), backend="python")
    np.testing.assert_allclose(f(x), [1000.0, 0.0, np.log(2)], rtol=1e-15)
    g = tr.grad(lambda x: np.log(1 + np.exp(x)).sum())
    np.testing.assert_allclose(tr.compile(g, backend="python")(x), [1.0, 0.0, 0.5])
    assert tr.compile(lambda x: np.log(1 + x), backend="python")(np.array([1e-20]))[0] == 1e-20
    z = np.array([1000.0, 0.0, -1000.0])
    h = tr.compile(lambda z: np.log(np.exp(z) / np.exp(z).sum()), backend="python")
    np.testing.assert_array_equal(h(z), [0.0, -1000.0, -2000.0])


@pytest.mark.parametrize("fn", [
    lambda x: np.log(1 + np.exp(x)),
    lambda x: np.log(1 / (1 + np.exp(-x))),
    lambda x: np.log(1 - 1 / (1 + np.exp(-x))),
    lambda x: np.log(np.sum(np.exp(x))),
    lambda x: np.log(np.exp(x) / np.sum(np.exp(x)))[0],
    lambda x: (np.exp(x) / np.sum(np.exp(x)))[0],
], ids=["softplus", "log-sigmoid", "log-1-sigmoid", "logsumexp", "log-softmax", "softmax"])
def test_gradients_are_finite_where_the_math_is(fn):
    x = np.array([1000.0, -1000.0, 0.0, 3.0])

    def total(x):
        return np.sum(fn(x))
    grad = tr.compile(tr.grad(total), backend="python")(x)
    assert np.all(np.isfinite(grad)), grad
    step = 1e-6
    for i in (2, 3):        # central differences where numpy's own formula is fine
        e = np.zeros_like(x)
        e[i] = step
        with np.errstate(all="ignore"):
            fd = (np.sum(total(x + e)) - np.sum(total(x - e))) / (2 * step)
        if np.isfinite(fd):
            assert abs(grad[i] - fd) < 1e-6, (i, grad, fd)


@needs_cc
def test_softplus_gradient_at_1000_is_one_on_c():
    g = tr.compile(tr.grad(lambda x: np.log(1 + np.exp(x)).sum()), backend="c")
    np.testing.assert_array_equal(g(np.array([1000.0, -1000.0])), [1.0, 0.0])


def test_scipy_logsumexp_and_expit_trace_to_the_rewritten_nodes():
    x = np.random.default_rng(1).standard_normal((5, 6))
    for axis, keep in [(-1, False), (0, True), (None, False), ((0, 1), True)]:
        ours = _lower(lambda x, a=axis, k=keep: sc.logsumexp(x, axis=a, keepdims=k), x)
        naive = _lower(lambda x, a=axis, k=keep: np.log(np.sum(np.exp(x), axis=a, keepdims=k)), x)
        assert ours.as_text() == naive.as_text()
        np.testing.assert_allclose(ours.compile()(x), sc.logsumexp(x, axis=axis, keepdims=keep),
                                   rtol=1e-14)
    ours = _lower(lambda x: sc.expit(x), x)
    naive = _lower(lambda x: 1 / (1 + np.exp(-x)), x)
    assert ours.as_text() == naive.as_text() and ours.ops() == ["sigmoid"]


def test_scipy_logsumexp_weights_signs_and_edges():
    rng = np.random.default_rng(2)
    x, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    f = tr.compile(lambda x, b: sc.logsumexp(x, axis=1, b=b, return_sign=True), backend="python")
    with np.errstate(invalid="ignore"):
        want = sc.logsumexp(x, axis=1, b=b, return_sign=True)
    for got, ref in zip(f(x, b), want):
        np.testing.assert_allclose(got, ref, rtol=1e-13)
    for arr in [np.array([np.inf, 1.0]), np.array([-np.inf, -np.inf]), np.array([np.nan, 1.0]),
                np.array([1000.0, 1000.0]), np.zeros(0), np.array(3.0)]:
        got = tr.compile(lambda x: sc.logsumexp(x), backend="python")(arr)
        np.testing.assert_allclose(got, sc.logsumexp(arr), rtol=1e-15)
    assert sc.logsumexp.__wrapped__ is sc.logsumexp.__tracer_original__
    assert sc.logsumexp([1.0, 2.0]) == sc.logsumexp.__tracer_original__([1.0, 2.0])


def test_stabilize_is_switched_off_by_name_and_by_optimize():
    x = np.array([1000.0])

    def f(x):
        return np.log(1 + np.exp(x))
    assert "logaddexp" in _lower(f, x).ops()
    assert "logaddexp" not in _lower(f, x, disabled=("stabilize",)).ops()
    tr.config.optimize = False
    try:
        assert tr.compile(f, backend="python").lower(x).ops() == ["broadcast_to", "exp", "add",
                                                                    "log"]
        grad = tr.compile(tr.grad(lambda x: f(x).sum()), backend="python")(x)
        assert np.isnan(grad[0])            # numpy's formula: inf / inf
    finally:
        tr.config.optimize = True
    with pytest.raises(ValueError, match="stabilize"):
        tr.config.disabled_passes = ("stabilise",)
    with pytest.raises(TypeError):
        tr.config.disabled_passes = "stabilize"


def test_already_shifted_forms_are_left_alone():
    """The MLP benchmark's hand-stabilized log-softmax gets no second shift."""
    z = np.random.default_rng(3).standard_normal((4, 10))

    def logp(z):
        m = np.max(z, axis=1, keepdims=True)
        return z - (m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)))
    assert _lower(logp, z).ops().count("reduce_max") == 1
    assert _lower(lambda z: np.log(np.exp(z) / np.exp(z).sum(1, keepdims=True)), z) \
        .ops().count("reduce_max") == 1


def _logistic_fit(loss, x, y, steps=200, lr=0.5):
    grad = tr.compile(tr.grad(loss), backend="python")
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        w = w - lr * grad(w, x, y)
    return w


def test_naive_logistic_regression_trains_like_the_stable_one():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((200, 3)) * 30          # large logits: numpy's formula overflows
    y = (x @ np.array([1.0, -2.0, 0.5]) + rng.standard_normal(200) > 0).astype(float)

    def naive(w, x, y):
        p = 1 / (1 + np.exp(-(x @ w)))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    def stable(w, x, y):
        z = x @ w
        return np.mean(np.logaddexp(0, z) - y * z)
    w_naive, w_stable = _logistic_fit(naive, x, y), _logistic_fit(stable, x, y)
    assert np.all(np.isfinite(w_naive))
    np.testing.assert_allclose(w_naive, w_stable, rtol=1e-9, atol=1e-12)
    with np.errstate(all="ignore"):     # numpy itself: the loss is inf or NaN at these weights
        assert not np.isfinite(naive(w_stable * 10, x, y))
    assert np.isfinite(tr.compile(naive, backend="python")(w_stable * 10, x, y))


def test_softmax_cross_entropy_is_stable():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])

    def xent(z, y):
        p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
        return -np.sum(y * np.log(p))
    got = tr.compile(xent, backend="python")(z, y)
    np.testing.assert_allclose(got, 1000.0 + (np.log(np.exp([1, 2, 3]).sum()) - 3), rtol=1e-15)
    g = tr.compile(tr.grad(xent), backend="python")(z, y)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[0], [1.0, -1.0, 0.0], atol=1e-300)
