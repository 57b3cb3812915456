"""The Array API standard namespace over traced values: `x.__array_namespace__()`.

Library code written against the standard (scipy with SCIPY_ARRAY_API=1,
array-api-extra, ...) asks a traced array for its namespace and calls
`xp.sum`, `xp.astype`, ... This namespace delegates to the numpy surface,
since numpy 2's main namespace is close to the standard, and adds what
differs (astype, concat, permute_dims, vecdot, cumulative_sum, sort with
`descending`, ...). Results are always traced: concrete values (creation
functions, all-constant arguments) become constant nodes, so code that
mixes them stays in this one namespace.

The namespace is a module object named "tracer.array_api": hashable (as
array_api_compat needs) and matching none of array_api_compat's names for
numpy, jax, torch, cupy or dask, so library code takes its generic,
standard-conforming path.
"""
from __future__ import annotations

import math
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import prims
from .numpy_api import contractions
from .numpy_api.common import broadcast_shapes, normalize_axis, result_dtype
from .proxy import Proxy, operand, wrap

API_VERSION = "2024.12"
_KNOWN_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12")
NAME = "tracer.array_api"


def _lift(value: Any) -> Any:
    """Concrete numpy results as constant traced arrays; tuples and lists itemwise."""
    if isinstance(value, (np.ndarray, np.generic)):
        return wrap(prims.const(np.asarray(value)))
    if isinstance(value, (tuple, list)):
        return type(value)(_lift(v) for v in value)
    return value


def _delegate(func: Callable[..., Any], name: str | None = None) -> Callable[..., Any]:
    """func on traced values (numpy dispatches to tracer), results lifted."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return _lift(func(*args, **kwargs))
    call.__name__ = call.__qualname__ = name or getattr(func, "__name__", "function")
    call.__doc__ = f"The Array API `{call.__name__}` over traced values (numpy's semantics)."
    return call


def _dtype_of(x: Any) -> np.dtype:
    """A dtype from a dtype, a type, or an array (traced or not)."""
    if isinstance(x, Proxy):
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    return np.dtype(x)


def _check_device(device: Any) -> None:
    if device not in (None, "cpu"):
        raise ValueError(f"tracer arrays live on the 'cpu' device, got device={device!r}")


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


# -- creation -------------------------------------------------------------------

def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, copy: bool | None = None):
    """A traced array: proxies pass through (a new object when copied or recast)."""
    _check_device(device)
    if isinstance(obj, Proxy):
        node = obj.node if dtype is None else prims.cast(obj.node, np.dtype(dtype))
        if node is obj.node and not copy and not obj.weak:
            return obj
        return wrap(node)
    node = operand(obj)[0]
    return wrap(node if dtype is None else prims.cast(node, np.dtype(dtype)))


def _default_dtype(value: Any) -> np.dtype:
    if isinstance(value, bool):
        return np.dtype(bool)
    if isinstance(value, int):
        return np.dtype(np.int64)
    if isinstance(value, float):
        return np.dtype(np.float64)
    return _dtype_of(value) if isinstance(value, Proxy) else np.asarray(value).dtype


def full(shape: Any, fill_value: Any, *, dtype: Any = None, device: Any = None):
    _check_device(device)
    dt = _default_dtype(fill_value) if dtype is None else np.dtype(dtype)
    if isinstance(fill_value, Proxy):
        return wrap(prims.broadcast_to(prims.cast(fill_value.node, dt), _shape(shape)))
    return wrap(prims.full(_shape(shape), fill_value, dt))


def zeros(shape: Any, *, dtype: Any = None, device: Any = None):
    return full(shape, 0, dtype=np.float64 if dtype is None else dtype, device=device)


def ones(shape: Any, *, dtype: Any = None, device: Any = None):
    return full(shape, 1, dtype=np.float64 if dtype is None else dtype, device=device)


def empty(shape: Any, *, dtype: Any = None, device: Any = None):
    return zeros(shape, dtype=dtype, device=device)


def full_like(x: Any, /, fill_value: Any, *, dtype: Any = None, device: Any = None):
    x = asarray(x)
    return full(x.shape, fill_value, dtype=x.dtype if dtype is None else dtype, device=device)


def zeros_like(x: Any, /, *, dtype: Any = None, device: Any = None):
    return full_like(x, 0, dtype=dtype, device=device)


def ones_like(x: Any, /, *, dtype: Any = None, device: Any = None):
    return full_like(x, 1, dtype=dtype, device=device)


def empty_like(x: Any, /, *, dtype: Any = None, device: Any = None):
    return zeros_like(x, dtype=dtype, device=device)


def arange(start: Any, /, stop: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None):
    _check_device(device)
    if stop is None:
        start, stop = 0, start
    return _lift(np.arange(start, stop, step, dtype=dtype))


def linspace(start: Any, stop: Any, /, num: int, *, dtype: Any = None, device: Any = None,
             endpoint: bool = True):
    _check_device(device)
    return _lift(np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype))


def eye(n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: Any = None,
        device: Any = None):
    _check_device(device)
    return _lift(np.eye(n_rows, n_cols, k=k, dtype=np.float64 if dtype is None else dtype))


# -- data types -------------------------------------------------------------------

def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None):
    _check_device(device)
    return wrap(prims.cast(asarray(x).node, np.dtype(dtype)))


def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """NEP 50 promotion: Python scalars and scalar-born traced values are weak."""
    parts = []
    for a in arrays_and_dtypes:
        if isinstance(a, (Proxy, bool, int, float, np.dtype)):
            parts.append(a)
        elif isinstance(a, (np.ndarray, np.generic)):
            parts.append(a.dtype)
        else:
            parts.append(np.dtype(a))
    return result_dtype(*parts)


def can_cast(from_: Any, to: Any, /) -> bool:
    return bool(np.can_cast(_dtype_of(from_), np.dtype(to)))


def finfo(type: Any, /) -> np.finfo:
    return np.finfo(_dtype_of(type))


def iinfo(type: Any, /) -> np.iinfo:
    return np.iinfo(_dtype_of(type))


def isdtype(dtype: Any, kind: Any) -> bool:
    return bool(np.isdtype(_dtype_of(dtype), kind))


# -- manipulation -----------------------------------------------------------------

def reshape(x: Any, /, shape: Any, *, copy: bool | None = None):
    return _lift(np.reshape(asarray(x), _shape(shape)))


def concat(arrays: Sequence[Any], /, *, axis: int | None = 0):
    return _lift(np.concatenate([asarray(a) for a in arrays], axis=axis))


def stack(arrays: Sequence[Any], /, *, axis: int = 0):
    return _lift(np.stack([asarray(a) for a in arrays], axis=axis))


def permute_dims(x: Any, /, axes: Sequence[int]):
    return _lift(np.transpose(asarray(x), tuple(axes)))


def matrix_transpose(x: Any, /):
    x = asarray(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose needs at least 2 dimensions, got {x.ndim}")
    return _lift(np.swapaxes(x, -1, -2))


def expand_dims(x: Any, /, axis: int = 0):
    return _lift(np.expand_dims(asarray(x), axis))


def squeeze(x: Any, /, axis: int | tuple[int, ...]):
    return _lift(np.squeeze(asarray(x), axis=axis))


def broadcast_arrays(*arrays: Any) -> tuple[Proxy, ...]:
    proxies = [asarray(a) for a in arrays]
    shape = broadcast_shapes([p.shape for p in proxies])
    return tuple(wrap(prims.broadcast_to(p.node, shape)) for p in proxies)


def unstack(x: Any, /, *, axis: int = 0) -> tuple[Proxy, ...]:
    x = asarray(x)
    moved = np.moveaxis(x, normalize_axis(axis, x.ndim), 0)
    return tuple(moved[i] for i in range(moved.shape[0]))


def take(x: Any, indices: Any, /, *, axis: int | None = None):
    return _lift(np.take(asarray(x), indices, axis=axis))


# -- reductions and scans ---------------------------------------------------------

def std(x: Any, /, *, axis: Any = None, correction: float = 0.0, keepdims: bool = False):
    return _lift(np.std(asarray(x), axis=axis, ddof=correction, keepdims=keepdims))


def var(x: Any, /, *, axis: Any = None, correction: float = 0.0, keepdims: bool = False):
    return _lift(np.var(asarray(x), axis=axis, ddof=correction, keepdims=keepdims))


def _cumulative(func: Callable[..., Any], identity: int, x: Any, axis: Any, dtype: Any,
                include_initial: bool) -> Proxy:
    x = asarray(x)
    if axis is None:
        if x.ndim != 1:
            raise ValueError("axis must be given for arrays of more than one dimension")
        axis = 0
    ax = normalize_axis(axis, x.ndim)
    r = asarray(func(x, axis=ax, dtype=dtype))
    if not include_initial:
        return r
    shape = list(r.shape)
    shape[ax] = 1
    return concat([full(shape, identity, dtype=r.dtype), r], axis=ax)


def cumulative_sum(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                   include_initial: bool = False):
    return _cumulative(np.cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                    include_initial: bool = False):
    return _cumulative(np.cumprod, 1, x, axis, dtype, include_initial)


def diff(x: Any, /, *, axis: int = -1, n: int = 1, prepend: Any = None, append: Any = None):
    x = asarray(x)
    ax = normalize_axis(axis, x.ndim)
    parts = [asarray(p) for p in (prepend, x, append) if p is not None]
    y = concat(parts, axis=ax) if len(parts) > 1 else x
    for _ in range(n):
        hi = [slice(None)] * y.ndim
        lo = [slice(None)] * y.ndim
        hi[ax], lo[ax] = slice(1, None), slice(None, -1)
        y = y[tuple(hi)] - y[tuple(lo)]
    return y


# -- elementwise odds and ends -----------------------------------------------------

def clip(x: Any, /, min: Any = None, max: Any = None):
    x = asarray(x)
    if min is None and max is None:
        return x
    return _lift(np.clip(x, min, max))


def real(x: Any, /):
    return asarray(x)


def imag(x: Any, /):
    return zeros_like(x)


def where(condition: Any, x1: Any, x2: Any, /):
    return _lift(np.where(condition, x1, x2))


# -- sorting ------------------------------------------------------------------------

def sort(x: Any, /, *, axis: int = -1, descending: bool = False, stable: bool = True):
    r = np.sort(asarray(x), axis=axis, kind="stable")
    return _lift(np.flip(r, axis=axis) if descending else r)


def argsort(x: Any, /, *, axis: int = -1, descending: bool = False, stable: bool = True):
    x = asarray(x)
    if not descending:
        return _lift(np.argsort(x, axis=axis, kind="stable"))
    # stable descending: ascending order of the reversed array, read backwards
    ax = normalize_axis(axis, x.ndim)
    idx = np.argsort(np.flip(x, axis=ax), axis=ax, kind="stable")
    return _lift(np.flip(x.shape[ax] - 1 - idx, axis=ax))


# -- linear algebra -------------------------------------------------------------------

def tensordot(x1: Any, x2: Any, /, *, axes: Any = 2):
    return contractions.tensordot(x1, x2, axes=axes)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1):
    """sum(x1 * x2, axis) over the broadcast shapes, as one dot_general."""
    a, b = asarray(x1), asarray(x2)
    ndim = max(a.ndim, b.ndim)
    ax = normalize_axis(axis, ndim) - ndim
    if -ax > min(a.ndim, b.ndim):
        raise ValueError(f"vecdot: axis {axis} must name a dimension of both x1 {a.shape} "
                         f"and x2 {b.shape}")
    if a.shape[ax] != b.shape[ax]:
        raise ValueError(f"vecdot: x1 and x2 must have the same size along axis {axis}, "
                         f"got {a.shape[ax]} and {b.shape[ax]}")
    a, b = np.moveaxis(a, ax, -1), np.moveaxis(b, ax, -1)
    return contractions.einsum("...i,...i->...", a, b)


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2):
    """The standard's vector norm: any set of axes, flattened into one."""
    x = asarray(x)
    axes = tuple(range(x.ndim)) if axis is None else axis
    axes = tuple(sorted(normalize_axis(a, x.ndim) for a in np.atleast_1d(axes)))
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = np.reshape(moved, tuple(x.shape[i] for i in rest) + (-1,))
    r = contractions.norm(flat, ord=ord, axis=-1)
    if keepdims:
        r = np.reshape(r, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
    return r


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro"):
    return contractions.norm(asarray(x), ord=ord, axis=(-2, -1), keepdims=keepdims)


def _linalg_namespace() -> types.ModuleType:
    ns = types.ModuleType(NAME + ".linalg", "The Array API linalg extension, traced.")
    for name in ("cholesky", "det", "eigh", "eigvalsh", "inv", "matrix_power",
                 "matrix_rank", "pinv", "qr", "slogdet", "solve", "svd", "svdvals"):
        if hasattr(np.linalg, name):
            setattr(ns, name, _delegate(getattr(np.linalg, name), name))
    ns.matmul = _delegate(np.matmul, "matmul")
    ns.matrix_transpose = matrix_transpose
    ns.tensordot = tensordot
    ns.vecdot = vecdot
    ns.vector_norm = vector_norm
    ns.matrix_norm = matrix_norm
    ns.outer = _delegate(np.outer, "outer")
    ns.cross = lambda x1, x2, /, *, axis=-1: contractions.cross(x1, x2, axis=axis)
    ns.diagonal = lambda x, /, *, offset=0: _lift(np.diagonal(x, offset, -2, -1))
    ns.trace = lambda x, /, *, offset=0, dtype=None: _lift(
        np.trace(x, offset, -2, -1, dtype=dtype))
    return ns


# -- inspection ------------------------------------------------------------------------

class _Info:
    """What `xp.__array_namespace_info__()` reports."""

    def capabilities(self) -> dict[str, Any]:
        return {"boolean indexing": False, "data-dependent shapes": False,
                "max dimensions": 64}

    def default_device(self) -> str:
        return "cpu"

    def devices(self) -> list[str]:
        return ["cpu"]

    def default_dtypes(self, *, device: Any = None) -> dict[str, Any]:
        return {"real floating": np.dtype(np.float64), "complex floating":
                np.dtype(np.complex128), "integral": np.dtype(np.int64),
                "indexing": np.dtype(np.int64)}

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, np.dtype]:
        real = {name: np.dtype(t) for name, t in _DTYPES.items() if "complex" not in name}
        return {name: t for name, t in real.items() if kind is None or np.isdtype(t, kind)}


# -- the namespace ----------------------------------------------------------------------

_DTYPES = {
    "bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
    "uint64": np.uint64, "float32": np.float32, "float64": np.float64,
    "complex64": np.complex64, "complex128": np.complex128,
}
_ELEMENTWISE = (
    "abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift "
    "bitwise_invert bitwise_or bitwise_right_shift bitwise_xor ceil conj copysign cos cosh "
    "divide equal exp expm1 floor floor_divide greater greater_equal hypot isfinite isinf "
    "isnan less less_equal log log1p log2 log10 logaddexp logical_and logical_not logical_or "
    "logical_xor maximum minimum multiply negative nextafter not_equal positive pow reciprocal "
    "remainder round sign signbit sin sinh square sqrt subtract tan tanh trunc"
).split()
_NUMPY_SAME = (
    "all any argmax argmin count_nonzero matmul max mean min moveaxis nonzero prod "
    "broadcast_to flip repeat roll searchsorted sum take_along_axis tile tril triu meshgrid"
).split()
_OWN = (
    asarray, full, zeros, ones, empty, full_like, zeros_like, ones_like, empty_like, arange,
    linspace, eye, astype, result_type, can_cast, finfo, iinfo, isdtype, reshape, concat,
    stack, permute_dims, matrix_transpose, expand_dims, squeeze, broadcast_arrays, unstack,
    take, std, var, cumulative_sum, cumulative_prod, diff, clip, real, imag, where, sort,
    argsort, tensordot, vecdot,
)


def _build() -> types.ModuleType:
    ns = types.ModuleType(NAME, __doc__)
    ns.__array_api_version__ = API_VERSION
    for name in _ELEMENTWISE + _NUMPY_SAME:
        setattr(ns, name, _delegate(getattr(np, name), name))
    for func in _OWN:
        setattr(ns, func.__name__, func)
    for name, t in _DTYPES.items():
        setattr(ns, name, t)
    ns.e, ns.pi, ns.inf, ns.nan, ns.newaxis = math.e, math.pi, math.inf, math.nan, None
    ns.linalg = _linalg_namespace()
    info = _Info()
    ns.__array_namespace_info__ = lambda: info
    return ns


namespace = _build()


def namespace_for(api_version: str | None = None) -> types.ModuleType:
    """What `Proxy.__array_namespace__(api_version=...)` returns."""
    if api_version is not None and api_version not in _KNOWN_VERSIONS:
        raise ValueError(f"tracer implements the Array API {API_VERSION}; "
                         f"api_version={api_version!r} is not supported")
    return namespace


__all__ = ["namespace", "namespace_for", "API_VERSION", "NAME"]
