"""Bit-exact C results for what the differential fuzzer (tests/fuzz) found: the new
elementwise ops np.fmod, np.nextafter, np.spacing, np.signbit on every float dtype
(float16 on the half's bits: every one of its 65536 values), integer fmod and
reciprocal, exact int64/uint64 comparisons, numpy's rad2deg/deg2rad constants."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tracer.backends.python.impls import IMPLS
from tracer.ir import Op, make_node

from .support import graph, params, run_both, specials


def _bits_equal(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        ok = np.isnan(want) | ((got == want) & (np.signbit(got) == np.signbit(want)))
        assert ok.all(), f"{got[~ok][:5]} != numpy's {want[~ok][:5]}"
    else:
        np.testing.assert_array_equal(got, want)


def _run(fn, *args):
    with np.errstate(all="ignore"):
        want = fn(*args)
    for backend in ("python", "c"):
        got = tr.compile(fn, backend=backend)(*args)
        for g, w in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            _bits_equal(np.asarray(g), np.asarray(w))


def _all_halves() -> np.ndarray:
    return np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)


def _graph_run(op: Op, *args: np.ndarray) -> None:
    """float16 is no argument dtype: the op's graph on the backends directly."""
    ps = params(*[(a.dtype.name, a.shape) for a in args])
    got, want = run_both(graph(ps, [make_node(op, ps)]), list(args))
    with np.errstate(all="ignore"):
        numpy = IMPLS[op]({}, *args)
    _bits_equal(np.asarray(want[0]), np.asarray(numpy))
    _bits_equal(got[0], np.asarray(numpy))


def test_spacing_and_signbit_of_every_float16():
    _graph_run(Op.SPACING, _all_halves())
    _graph_run(Op.SIGNBIT, _all_halves())


def test_nextafter_of_every_float16_towards_edges():
    h = _all_halves()
    for toward in (0.0, -0.0, np.inf, -np.inf, 1.0, np.nan):
        _graph_run(Op.NEXTAFTER, h, np.full_like(h, toward))
    _graph_run(Op.NEXTAFTER, h, h[::-1].copy())


def test_half_results_from_small_integers():
    """numpy computes these for int8 and bool inputs in its float16 loops."""
    i8 = np.arange(-128, 128, dtype=np.int8)
    _run(lambda x: (np.spacing(x), np.nextafter(x, x[::-1]), np.signbit(x)), i8)
    _run(lambda b: np.spacing(b), np.array([True, False]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fmod_nextafter_spacing_signbit_on_edges(dtype):
    v = specials(dtype)
    x, y = np.repeat(v, v.size), np.tile(v, v.size)
    _run(lambda a, b: (np.fmod(a, b), np.nextafter(a, b), np.spacing(a), np.signbit(a)), x, y)
    info = np.finfo(dtype)
    edges = np.array([info.max, -info.max, info.tiny, info.smallest_subnormal,
                      -info.smallest_subnormal, 0.0, -0.0], dtype)
    _run(lambda a: (np.spacing(a), np.nextafter(a, np.inf), np.nextafter(a, -np.inf)), edges)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint32",
                                   "uint64", "bool"])
def test_integer_fmod_and_reciprocal(dtype):
    v = specials(dtype)
    x, y = np.repeat(v, v.size), np.tile(v, v.size)
    _run(lambda a, b: np.fmod(a, b), x, y)          # numpy: 0 for a zero divisor
    _run(lambda a: np.reciprocal(a), v)             # 1.0 / 0 converted back: INT_MIN


def test_int64_uint64_comparisons_are_exact():
    i = np.array([-1, 0, 5, -(2**63), 2**63 - 1, 7, -5], np.int64)
    u = np.array([2**64 - 1, 0, 5, 2**63, 2**63 - 1, 6, 3], np.uint64)
    _run(lambda a, b: (a < b, a <= b, a > b, a >= b, a == b, a != b), i, u)
    _run(lambda a, b: (a < b, a <= b, a > b, a >= b, a == b, a != b), u, i)
    _run(lambda a, b: (a < b, b != a), i.astype(np.int8), u)


def test_out_of_range_python_ints_compare_by_value():
    x = np.arange(-3, 3, dtype=np.int8)
    u = np.arange(4, dtype=np.uint64)
    _run(lambda a, b: (a < 1000, a == 1000, -1000 < a, b >= -1, b == -4, a < 2**70,
                       b > -(2**70)), x, u)
    _run(lambda a, s: (a < s, a != s, s >= a), x, 1000)     # a traced Python int


@pytest.mark.parametrize("dtype", ["float32", "int8", "bool", "float64"])
def test_rad2deg_and_deg2rad_use_numpys_constants(dtype):
    x = np.linspace(-400, 400, 1001).astype(dtype) if dtype != "bool" else \
        np.array([True, False])
    _run(lambda a: (np.rad2deg(a), np.deg2rad(a), np.degrees(a), np.radians(a)), x)
