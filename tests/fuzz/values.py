"""Random inputs for fuzzed programs: every supported dtype, shapes with 0- and 1-size
dimensions, odd layouts (Fortran, negative and non-unit strides, broadcast views) and
edge values (NaN, +-inf, -0.0, huge, tiny, integer limits)."""
from __future__ import annotations

import numpy as np

DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float32", "float64")
LAYOUTS = ("C", "C", "C", "F", "neg", "step", "T", "bcast")
DIMS = (0, 1, 1, 2, 2, 3, 3, 4, 5)


def float_specials(dtype: np.dtype) -> list[float]:
    info = np.finfo(dtype)
    return [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0,
            float(info.max), -float(info.max), float(info.tiny), float(info.smallest_subnormal),
            float(info.eps), 1e10, -1e-3, 100.0]


def int_specials(dtype: np.dtype) -> list[int]:
    if dtype.kind == "b":
        return [0, 1]
    info = np.iinfo(dtype)
    vals = [0, 1, 2, 3, 7, 8, 31, 63, 64, int(info.max), int(info.min), int(info.max) - 1]
    if dtype.kind == "i":
        vals += [-1, -2, -7, -64, int(info.min) + 1]
    return [v for v in vals if info.min <= v <= info.max]


def random_values(rng: np.random.Generator, dtype: str, shape: tuple[int, ...],
                  edges: float = 0.25) -> np.ndarray:
    """Values of `dtype` and `shape`: small random numbers with a share of edge values."""
    dt = np.dtype(dtype)
    size = int(np.prod(shape))
    if dt.kind == "f":
        vals = (rng.standard_normal(size) * 4).astype(dt)
        specials = np.array(float_specials(dt), dt)
    elif dt.kind == "b":
        vals = rng.random(size) < 0.5
        specials = np.array([False, True])
    else:
        lo, hi = (0, 20) if dt.kind == "u" else (-20, 20)
        vals = rng.integers(lo, hi, size).astype(dt)
        specials = np.array(int_specials(dt), dt)
    mask = rng.random(size) < edges
    if mask.any():
        vals[mask] = rng.choice(specials, int(mask.sum()))
    return vals.reshape(shape)


def laid_out(rng: np.random.Generator, arr: np.ndarray, layout: str) -> np.ndarray:
    """The values of `arr` in the given memory layout (a view where the layout needs one)."""
    if arr.ndim == 0 or layout == "C":
        return arr.copy()
    if layout == "F":
        return np.asfortranarray(arr)
    if layout == "neg":
        base = np.empty_like(arr)
        view = base[(slice(None, None, -1),) * arr.ndim]
        view[...] = arr
        return view
    if layout == "step":
        base = np.zeros(tuple(2 * d for d in arr.shape), arr.dtype)
        view = base[(slice(None, None, 2),) * arr.ndim]
        view[...] = arr
        return view
    if layout == "T":
        return np.ascontiguousarray(arr.T).T
    if layout == "bcast":
        # broadcast a row along every axis whose length is not already 1
        axis = int(rng.integers(arr.ndim))
        row = np.take(arr, [0], axis=axis) if arr.shape[axis] else arr
        return np.broadcast_to(row, arr.shape)
    raise ValueError(layout)


def random_shapes(rng: np.random.Generator, count: int) -> list[tuple[int, ...]]:
    """`count` shapes that broadcast together most of the time: drawn from one base shape
    with some dimensions set to 1 or dropped from the front."""
    rank = int(rng.choice([0, 1, 1, 2, 2, 2, 3, 3]))
    base = [int(rng.choice(DIMS)) for _ in range(rank)]
    shapes = []
    for _ in range(count):
        shape = [d if rng.random() < 0.8 else 1 for d in base]
        drop = int(rng.integers(0, rank + 1)) if rng.random() < 0.25 else 0
        if rng.random() < 0.08:          # now and then, a shape that does not broadcast
            shape = [int(rng.choice(DIMS)) for _ in range(int(rng.integers(0, 4)))]
            drop = 0
        shapes.append(tuple(shape[drop:]))
    return shapes


PY_INTS = (0, 1, -1, 2, 3, 5, 7, 100, 127, 128, 255, 256, 1000, 2**31 - 1, 2**31, 2**32,
           2**53 + 1, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**64, -(2**63) - 1, 10**30,
           -129, -(2**31) - 1)
PY_FLOATS = (0.0, -0.0, 0.5, 1.5, -2.0, 1e-3, 3.0, 1e10, 1e300, 1e-310, float("inf"),
             float("-inf"), float("nan"), 65504.0, 3.4e38)


def python_scalar(rng: np.random.Generator, small: bool = False) -> object:
    """A Python bool, int or float, often an edge value; `small`: a few small ints only."""
    if small:
        return int(rng.integers(-3, 4))
    kind = rng.random()
    if kind < 0.12:
        return bool(rng.random() < 0.5)
    if kind < 0.6:
        if rng.random() < 0.5:
            return PY_INTS[int(rng.integers(len(PY_INTS)))]
        return int(rng.integers(-5, 6))
    if rng.random() < 0.5:
        return PY_FLOATS[int(rng.integers(len(PY_FLOATS)))]
    return float(rng.integers(-8, 9)) / 2


def literal(value: object) -> str:
    """Python source text for a scalar (nan and inf as float('...'))."""
    if isinstance(value, float) and not np.isfinite(value):
        return f"float('{value}')"
    return repr(value)
