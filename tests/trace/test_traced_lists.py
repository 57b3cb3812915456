"""numpy functions given Python lists that hold traced values, and np.r_ / np.c_.

numpy converts such a list with np.asarray before any protocol sees it; while
tracing, tracer's wrappers in numpy's namespace (trace/traced_lists.py) send the
call to tracer's implementation instead. Values, dtypes and shapes against
numpy on both backends, derivatives against central differences, and numpy's
own functions back in place (and untouched in other threads) after tracing.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest

import tracer as tr
from tests.helpers import assert_same

BACKENDS = ["python", "c"]
X = np.array([0.5, -1.25, 3.0])
XI = np.arange(3)
X32 = np.array([0.5, -1.25, 3.0], np.float32)
Y = np.float64(2.0)

LISTED = {
    "mean": lambda x, y: np.mean([x, x + 2]),
    "mean_axis": lambda x, y: np.mean([x, x + 2], axis=0),
    "sum": lambda x, y: np.sum([x, x * y]),
    "sum_mixed": lambda x, y: np.sum([x, [1, 2, 3]], axis=1),
    "max_axis": lambda x, y: np.max([x, x * 2], axis=0),
    "max_tuple": lambda x, y: np.max((x, -x)),
    "min_axis": lambda x, y: np.min([x, -x], axis=0),
    "prod": lambda x, y: np.prod([x, x + 1]),
    "std": lambda x, y: np.std([x, 2 * x], axis=1),
    "cumsum": lambda x, y: np.cumsum([y, y, 2 * y]),
    "diff": lambda x, y: np.diff([y, 2 * y, 5 * y]),
    "clip": lambda x, y: np.clip([y, 2 * y], 0, 3),
    "append": lambda x, y: np.append(x, [y]),
    "concatenate_nested": lambda x, y: np.concatenate([[y], x]),
    "stack": lambda x, y: np.stack([x, x * y]),
    "outer": lambda x, y: np.outer([y, y], x),
    "dot": lambda x, y: np.dot([y, y], [x[0], x[1]]),
    "average": lambda x, y: np.average([x, x * 3], axis=0, weights=[1, 3]),
    "norm": lambda x, y: np.linalg.norm([y, 2 * y]),
}

CONCATENATIONS = {
    "r_": lambda x, y: np.r_[x, y, 0],
    "r_range": lambda x, y: np.r_[x, 1:4],
    "r_linspace": lambda x, y: np.r_[x, 0:1:5j],
    "r_nested_list": lambda x, y: np.r_[[y, y], x],
    "r_rows": lambda x, y: np.r_["0,2", x, x],
    "r_columns": lambda x, y: np.r_["-1,2,0", x, x],
    "r_trans1d": lambda x, y: np.r_["1,2,0", x, x],
    "r_3d": lambda x, y: np.r_["0,3,-1", x, x],
    "r_axis": lambda x, y: np.r_["1", x[None], x[None]],
    "r_scalar_first": lambda x, y: np.r_[x.sum(), x],
    "r_one": lambda x, y: np.r_[y],
    "c_": lambda x, y: np.c_[x, x],
    "c_array": lambda x, y: np.c_[x, np.ones(3)],
    "c_matrix": lambda x, y: np.c_[np.ones((3, 2)), x],
    "c_scalars": lambda x, y: np.c_[y, 1],
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(LISTED) + sorted(CONCATENATIONS))
def test_values_against_numpy(name, backend):
    f = {**LISTED, **CONCATENATIONS}[name]
    assert_same(tr.compile(f, backend=backend)(X, Y), f(X, Y))


@pytest.mark.parametrize("backend", BACKENDS)
def test_dtypes_follow_numpy(backend):
    # a Python scalar stays weak (NEP 50), a numpy scalar does not
    cases = [
        (lambda x, y: np.r_[x, 2.5], (XI, Y)),
        (lambda x, y: np.r_[x, 1.5], (X32, Y)),
        (lambda x, y: np.r_[x, np.float64(1.5)], (X32, Y)),
        (lambda x, y: np.r_[x, y], (X32, 2.0)),          # y: a traced Python float
        (lambda x, y: np.c_[x, y * np.ones(3, np.float32)], (XI, Y)),
        (lambda x, y: np.mean([x, x]), (X32, Y)),
        (lambda x, y: np.sum([x, x]), (XI.astype(np.int8), Y)),
    ]
    for f, args in cases:
        assert_same(tr.compile(f, backend=backend)(*args), f(*args))


def test_empty_pieces():
    f = lambda x, y: np.r_[x, y, x[:0]]       # noqa: E731
    assert_same(tr.compile(f)(X, Y), f(X, Y))
    g = lambda x, y: np.sum([x[:0], x[:0]])   # noqa: E731
    assert_same(tr.compile(g)(X, Y), g(X, Y))


def _central(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        grad[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("loss", [
    lambda x: np.mean([x, x ** 2]),
    lambda x: np.max([x, 1 - x], axis=0).sum(),
    lambda x: np.sum(np.r_[x, x ** 2, x.sum()] ** 2),
    lambda x: np.sum(np.c_[x, np.sin(x)] @ np.array([1.0, 2.0])),
])
def test_gradients_against_central_differences(loss, backend):
    got = tr.compile(tr.grad(loss), backend=backend)(X)
    np.testing.assert_allclose(got, _central(loss, X), rtol=1e-6, atol=1e-8)


def test_numpy_functions_are_numpy_outside_tracing():
    before = (np.mean, np.sum, np.linalg.norm, np.r_, np.c_)
    tr.compile(lambda x: np.mean([x, x]) + np.r_[x, 1.0].sum())(X)
    assert (np.mean, np.sum, np.linalg.norm, np.r_, np.c_) == before
    assert np.mean([1.0, 2.0]) == 1.5 and np.r_[1, 2:4].tolist() == [1, 2, 3]


def test_other_threads_get_numpy_while_one_traces():
    started, release = threading.Event(), threading.Event()
    seen = []

    def slow(x):
        started.set()
        release.wait(5)
        return np.mean([x, x])

    worker = threading.Thread(target=lambda: seen.append(tr.compile(slow)(X)))
    worker.start()
    started.wait(5)
    assert np.mean([1.0, 3.0]) == 2.0 and np.r_[1, 2].tolist() == [1, 2]
    release.set()
    worker.join()
    assert_same(seen[0], np.mean([X, X]))


def test_matrix_directive_is_refused_naming_the_line():
    with pytest.raises(TypeError, match="np.matrix") as info:
        tr.compile(lambda x: np.r_["r", x, x])(X)
    assert "test_traced_lists.py" in str(info.value)


BLOCKS = {
    "row": lambda x, y: np.block([x, y, 1.0]),
    "grid": lambda x, y: np.block([[x, y], [x * 2, 1.0]]),
    "matrix": lambda x, y: np.block([[np.outer(x, x), x[:, None]], [x[None], np.ones((1, 1))]]),
    "ranks": lambda x, y: np.block([[np.ones((1, 2, 3))], [x[None, None] * y]]),
    "deep": lambda x, y: np.block([[[x]], [[x]]]),
    "one": lambda x, y: np.block(x),
    "ints_and_floats": lambda x, y: np.block([x.astype(np.int32), 2]),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_block(name, backend):
    f = BLOCKS[name]
    assert_same(tr.compile(f, backend=backend)(X, Y), f(X, Y))
    assert_same(tr.compile(f, backend=backend)(X32, Y), f(X32, Y))


@pytest.mark.parametrize("f, error, match", [
    (lambda x: np.block([x, (x,)]), TypeError, r"arrays\[1\] is a tuple"),
    (lambda x: np.block([[x], []]), ValueError, r"List at arrays\[1\] cannot be empty"),
    (lambda x: np.block([x, []]), ValueError, "List depths are mismatched"),
    (lambda x: np.block([x, [x]]), ValueError, "List depths are mismatched"),
    (lambda x: np.block([[x], [x[:2]]]), ValueError, "dimensions"),
])
def test_block_errors_are_numpys(f, error, match):
    with pytest.raises(error, match=match):
        f(X)
    with pytest.raises(error, match=match):
        tr.compile(f)(X)


def test_block_gradient():
    def loss(x):
        return np.sum(np.block([[x, x ** 2], [np.sin(x), x]]) ** 2)
    got = tr.compile(tr.grad(loss))(X)
    np.testing.assert_allclose(got, _central(loss, X), rtol=1e-6, atol=1e-8)
