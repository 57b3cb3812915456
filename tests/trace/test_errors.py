"""Errors that teach: each names the user's file and line, numpy's words, and the fix."""
from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
from numpy import asarray as numpy_asarray

import tracer as tr

X = np.arange(6.0).reshape(2, 3)
THIS_FILE = os.path.basename(__file__)


def line_of(fn, snippet: str) -> int:
    """The absolute line number of the line of `fn` containing `snippet`."""
    lines, first = inspect.getsourcelines(fn)
    matches = [first + i for i, text in enumerate(lines) if snippet in text]
    assert len(matches) == 1, f"{snippet!r} found {len(matches)} times"
    return matches[0]


def assert_names_line(err: BaseException, fn, snippet: str) -> None:
    message = str(err)
    assert f"{THIS_FILE}:{line_of(fn, snippet)}" in message, message


# --- concretization ------------------------------------------------------------


def python_if(x):
    if x.sum() > 0:
        return x
    return -x


def python_while(x):
    while x.max() < 10:
        x = x * 2
    return x


def python_and(x):
    return (x > 0).all() and x


def call_float(x):
    return x * float(x.sum())


def call_int(x):
    return x[: int(x[0, 0])]


def call_item(x):
    return x.sum().item() + x


def call_asarray(x):
    # bound before tracing, so it is numpy's own (np.asarray(x) in the function is x)
    return numpy_asarray(x) + 1


def format_spec(x):
    print(f"loss {x.sum():.3f}")
    return x


def call_format(x):
    return format(x.sum(), ".3f")


def percent_format(x):
    return "%f" % x.sum()  # noqa: UP031 (the %-format under test)


def traced_range(x, n):
    return sum(x[i] for i in range(n))


CONCRETIZATION = [
    (python_if, "if x.sum() > 0", ["tr.ifelse", "np.where", "static_argnums"]),
    (python_while, "while x.max() < 10", ["tr.ifelse", "np.where", "static_argnums"]),
    (python_and, "(x > 0).all() and x", ["np.where", "static_argnums"]),
    (call_float, "float(x.sum())", ["static_argnums"]),
    (call_int, "int(x[0, 0])", ["static_argnums"]),
    (call_item, ".item()", ["outside"]),
    (call_asarray, "numpy_asarray(x)", ["static_argnums"]),
    (format_spec, "x.sum():.3f", ["format it outside"]),
    (call_format, "format(x.sum()", ["format it outside"]),
    (percent_format, '"%f" % x.sum()', ["static_argnums"]),
]


@pytest.mark.parametrize("fn, snippet, fixes", CONCRETIZATION,
                         ids=[c[0].__name__ for c in CONCRETIZATION])
def test_concretization_names_line_and_fix(fn, snippet, fixes):
    with pytest.raises(tr.ConcretizationError) as info:
        tr.compile(fn)(X)
    assert isinstance(info.value, TypeError)
    assert_names_line(info.value, fn, snippet)
    for fix in fixes:
        assert fix in str(info.value)


def test_formatting_without_a_spec_shows_the_traced_type():
    shown = []

    def f(x):
        shown.extend([f"{x}", str(x), repr(x), format(x), "%s" % (x,),  # noqa: UP031
                      f"{x!r:>20}"])
        return x

    tr.compile(f)(X)
    assert shown[:5] == ["Traced<f64[2,3]>"] * 5, shown
    assert shown[5] == "Traced<f64[2,3]>".rjust(20)


def test_traced_python_int_as_range_bound_names_line():
    with pytest.raises(tr.ConcretizationError) as info:
        tr.compile(traced_range)(X, 2)
    assert_names_line(info.value, traced_range, "range(n)")
    assert "static_argnums" in str(info.value)
    # the fix the message names works
    got = tr.compile(traced_range, static_argnums=1)(X, 2)
    np.testing.assert_array_equal(got, traced_range(X, 2))


def test_np_arange_of_traced_value_is_a_concretization_error():
    def f(x, k):
        return x[:, None] == np.arange(k)

    with pytest.raises(tr.ConcretizationError) as info:
        tr.compile(f)(np.arange(3), 4)
    assert_names_line(info.value, f, "np.arange(k)")


def test_concretization_error_is_catchable_as_type_error():
    with pytest.raises(TypeError):
        tr.compile(python_if)(X)


# --- shape errors at trace time: numpy's words plus the user's line ------------------


def numpy_message(fn, *args) -> str:
    try:
        fn(*args)
    except (ValueError, IndexError) as err:
        return str(err).strip()
    raise AssertionError("numpy accepted it")


def bad_matmul(a, b):
    return a @ b


def bad_broadcast(a, b):
    return a + b


def bad_reshape(a):
    return a.reshape(4, 2)


def bad_index(a):
    return a[5]


def bad_index_column(a):
    return a[:, 3]


def bad_array_index(a):
    return a[[0, 7]]


def too_many_indices(a):
    return a[0, 0, 0]


def bad_concatenate(a, b):
    return np.concatenate([a, b], axis=0)


def bad_axis(a):
    return a.sum(axis=2)


def matrix_transpose_of_vector(a):
    return a[0].mT


SHAPE_ERRORS = [
    (bad_matmul, (np.ones((2, 3)), np.ones((5, 4))), ValueError, "a @ b"),
    (bad_broadcast, (np.ones((2, 3)), np.ones(4)), ValueError, "a + b"),
    (bad_reshape, (X,), ValueError, "reshape(4, 2)"),
    (bad_index, (X,), IndexError, "a[5]"),
    (bad_index_column, (X,), IndexError, "a[:, 3]"),
    (bad_array_index, (X,), IndexError, "a[[0, 7]]"),
    (too_many_indices, (X,), IndexError, "a[0, 0, 0]"),
    (bad_concatenate, (np.ones((2, 3)), np.ones((2, 4))), ValueError, "np.concatenate"),
    (bad_axis, (X,), np.exceptions.AxisError, "axis=2"),
    (matrix_transpose_of_vector, (X,), ValueError, "a[0].mT"),
]


@pytest.mark.parametrize("fn, args, kind, snippet", SHAPE_ERRORS,
                         ids=[c[0].__name__ for c in SHAPE_ERRORS])
def test_shape_errors_use_numpys_words_and_name_line(fn, args, kind, snippet):
    want = numpy_message(fn, *args)
    with pytest.raises(kind) as info:
        tr.compile(fn)(*args)
    assert want in str(info.value)
    assert_names_line(info.value, fn, snippet)


def test_error_in_nested_helper_names_the_helpers_line():
    def helper(a):
        return a.reshape(5, 5)

    def outer(a):
        return helper(a * 2) + 1

    with pytest.raises(ValueError) as info:
        tr.compile(outer)(X)
    assert_names_line(info.value, helper, "a.reshape(5, 5)")


def test_unsupported_ufunc_keyword_names_line():
    def f(a):
        return np.add(a, 1, where=a > 0)

    with pytest.raises(TypeError) as info:
        tr.compile(f)(X)
    assert_names_line(info.value, f, "np.add(")


def test_traced_boolean_mask_read_explains_the_fix():
    # a[a > 0].sum() and elementwise work written back trace (tests/trace/test_masked.py);
    # a use that needs the selection's length does not
    def f(a):
        return a[a > 0]

    def g(a):
        selected = a[a > 0]
        return np.zeros(selected.shape)

    for fn, snippet in ((f, "a[a > 0]"), (g, "selected.shape")):
        with pytest.raises(IndexError) as info:
            tr.compile(fn)(X)
        assert "np.where" in str(info.value)
        assert_names_line(info.value, fn, snippet)


def test_traced_mask_assignment_of_many_values_explains_the_fix():
    def f(a):
        b = a.copy()
        b[a > 0] = np.arange(6.0)
        return b

    with pytest.raises(IndexError) as info:
        tr.compile(f)(X)
    assert "np.where" in str(info.value)
    assert_names_line(info.value, f, "b[a > 0] = ")


def test_setitem_value_shape_error_names_line():
    def f(a):
        b = a.copy()
        b[0] = np.ones(4)
        return b

    want = numpy_message(f, X)
    with pytest.raises(ValueError) as info:
        tr.compile(f)(X)
    assert want in str(info.value)
    assert_names_line(info.value, f, "b[0] = ")


def test_output_that_is_not_an_array():
    with pytest.raises(TypeError, match="output 0 .* str"):
        tr.compile(lambda a: "done")(X)


def test_python_integer_too_large_for_dtype_is_numpys_overflow_error():
    def f(a):
        return a + 300

    with pytest.raises(OverflowError, match="300"):
        f(np.zeros(3, np.int8))
    with pytest.raises(OverflowError, match="300"):
        tr.compile(f)(np.zeros(3, np.int8))


def test_traced_python_integer_that_does_not_fit_is_an_overflow_error_at_call_time():
    f = tr.compile(lambda a, n: a + n)
    small = np.zeros(3, np.int8)
    np.testing.assert_array_equal(f(small, 100), small + 100)
    with pytest.raises(OverflowError, match="argument n: Python integer 300 out of bounds"):
        f(small, 300)
    with pytest.raises(OverflowError, match="-1 out of bounds for uint8"):
        f(np.zeros(2, np.uint8), -1)


def test_a_traced_value_leaked_from_another_call_is_named():
    kept = []

    @tr.compile
    def remember(a):
        kept.append(a * 2)
        return a

    @tr.compile
    def use(b):
        return b + kept[0]

    remember(X)
    with pytest.raises(TypeError, match="traced for another call .*pass it as an argument"):
        use(X)


def test_np_array_of_traced_values_stacks_them():
    """numpy converts a list before dispatch; while tracing, a list holding traced values is
    stacked as numpy would stack arrays (a lone traced value still raises, above)."""
    def f(x):
        return np.array([x.sum(), 1.0]), np.asarray([[x[0], x[1]], [x[1], x[0]]], np.float32)
    x = np.array([1.5, -2.0])
    got = tr.compile(f)(x)
    want = f(x)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and np.array_equal(g, w)


def test_an_unsupported_scipy_ufunc_is_named_with_its_module():
    import scipy.special

    with pytest.raises(TypeError, match=r"scipy\.special\.struve"):
        tr.compile(lambda a: scipy.special.struve(a, a))(np.ones(3))
