"""numpy functions given Python lists that hold traced values; np.r_ and np.c_.

numpy's `__array_function__` protocol looks only at the arguments a function's
dispatcher names, and for most functions (np.mean, np.sum, np.max, ...) that is
the list itself, not what it holds: `np.mean([x, x + 2])` converts the list with
np.asarray before tracer could see it, a concretization error. np.r_ and np.c_
are objects whose indexing converts each item the same way.

While a thread traces, array_entry.patched() puts wrappers in numpy's namespaces
(as it does for np.array): a call to a function tracer implements, with a traced
value inside a list or tuple among its arguments, goes to tracer's
implementation exactly as the protocol would have sent it; np.r_[...] and
np.c_[...] with a traced item concatenate traced values. Every other call, and
every call from a thread that is not tracing, goes to numpy unchanged. Code that
bound a function before tracing (`from numpy import mean`) keeps numpy's own.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

import numpy as np

from ..ir import Node
from . import prims
from .context import current_trace, user_loc
from .errors import at_line
from .numpy_api import FUNCTIONS
from .numpy_api.common import weak_marker
from .proxy import Proxy, contains_proxy, operand, wrap

_NAMESPACES = ("numpy", "numpy.linalg", "numpy.fft")
# np.array and the creation functions have their own wrappers (array_entry.py)
_SKIP = frozenset({"array", "asarray", "asanyarray", "ascontiguousarray", "zeros", "ones",
                   "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like"})


def _first_listed(args: tuple, kwargs: dict) -> Proxy | None:
    """A traced value held in a list or tuple argument (None if there is none)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, (list, tuple)) and contains_proxy(value):
            return _find(value)
    return None


def _find(x: Any) -> Proxy | None:
    if isinstance(x, Proxy):
        return x
    if isinstance(x, (list, tuple)):
        for v in x:
            found = _find(v)
            if found is not None:
                return found
    return None


class _Listing:
    """numpy's function `func`, sending calls with a traced value in a list to tracer.

    It equals and hashes as `func`, so tracer's own code that looks up the numpy name
    at call time (FUNCTIONS.get(np.clip)) finds the implementation while it is patched."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[..., Any]):
        self.func = func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if current_trace() is not None:
            traced = _first_listed(args, kwargs)
            if traced is not None:
                return type(traced).__array_function__(traced, self.func, (Proxy,), args, kwargs)
        return self.func(*args, **kwargs)

    def __eq__(self, other: Any) -> bool:
        return other is self or other is self.func or \
            (isinstance(other, _Listing) and other.func is self.func)

    def __hash__(self) -> int:
        return hash(self.func)

    @property
    def __wrapped__(self) -> Callable[..., Any]:
        return self.func

    def __getattr__(self, name: str) -> Any:
        return getattr(self.func, name)

    def __repr__(self) -> str:
        return repr(self.func)


_wrappers: dict[Any, _Listing] = {}
_found: list = [-1, []]       # (len(FUNCTIONS), replacements) when last looked up
_CONCATENATE = np.concatenate


def replacements() -> list[tuple[Any, str, Any, Any]]:
    """(namespace, name, numpy's object, wrapper) for every name to patch while tracing
    (looked up again when tracer implements more functions)."""
    if _found[0] != len(FUNCTIONS):
        _found[:] = [len(FUNCTIONS), _lookup()]
    return _found[1]


def _lookup() -> list[tuple[Any, str, Any, Any]]:
    out = []
    for module_name in _NAMESPACES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.startswith("_") or name in _SKIP or not _implemented(value):
                continue
            wrapper = _wrappers.get(value)
            if wrapper is None:
                wrapper = _wrappers[value] = _Listing(value)
            out.append((module, name, value, wrapper))
    for name in ("r_", "c_"):
        original = getattr(np, name)
        if not isinstance(original, _Concatenator):
            out.append((np, name, original, _Concatenator(original)))
    return out


def _implemented(value: Any) -> bool:
    """A function in FUNCTIONS; not a ufunc (numpy hands a ufunc's protocol whatever its
    operands are, and code compares ufuncs by identity: np.matmul must stay itself)."""
    if isinstance(value, np.ufunc):
        return False
    try:
        return value in FUNCTIONS
    except TypeError:           # unhashable
        return False


# -- np.r_ and np.c_ ---------------------------------------------------------------------------

class _Concatenator:
    """np.r_ / np.c_ that concatenate traced items (numpy's AxisConcatenator rules)."""

    __slots__ = ("original",)

    def __init__(self, original: Any):
        self.original = original

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if current_trace() is None or isinstance(key, str) or not contains_proxy(items):
            return self.original[key]
        return _concatenate(self.original, items)

    def __len__(self) -> int:
        return 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


def _directive(item: str, settings: list[int]) -> None:
    """numpy's string directives: 'r'/'c' (a matrix), 'axis', 'axis,ndmin[,trans1d]'."""
    if item in ("r", "c"):
        raise TypeError(at_line(f"np.r_['{item}', ...] builds an np.matrix, which tracer does not "
                                "support; leave the directive out", user_loc()))
    try:
        values = [int(v) for v in item.split(",")]
    except ValueError:
        raise ValueError(f"unknown special directive {item!r}") from None
    if "," in item and len(values) not in (2, 3):
        raise ValueError(f"unknown special directive {item!r}")
    settings[:len(values)] = values


def _piece(original: Any, item: Any, ndmin: int, trans1d: int) -> tuple[Node, Any]:
    """(node, what numpy's result_type sees) for one item of np.r_/np.c_: a scalar
    (Python's weak, numpy's strong) becomes ndmin 1s; an array gets leading 1s, then
    numpy's trans1d transpose."""
    if isinstance(item, slice):       # a range: numpy's own piece, with the same settings
        piece = np.asarray(original[(f"0,{ndmin},{trans1d}", item)])
        return prims.const(piece), piece.dtype
    node, weak = operand(item)
    scalar = type(item) in np.ScalarType or weak
    kind = weak_marker(node.dtype) if weak else node.dtype
    ndim = node.ndim
    if ndim < ndmin:
        node = prims.reshape(node, (1,) * (ndmin - ndim) + node.shape)
        if trans1d != -1 and not scalar:
            k2, k1 = ndmin - ndim, trans1d
            if k1 < 0:
                k1 += k2 + 1
            axes = list(range(ndmin))
            node = prims.transpose(node, axes[:k1] + axes[k2:] + axes[k1:k2])
    return node, kind


def _concatenate(original: Any, items: tuple) -> Proxy:
    if original.matrix:
        raise TypeError(at_line("np.r_/np.c_ building an np.matrix is not supported on "
                                "traced values", user_loc()))
    settings = [original.axis, original.ndmin, original.trans1d]
    pieces = []
    for k, item in enumerate(items):
        if isinstance(item, str):
            if k != 0:
                raise ValueError("special directives must be the first entry.")
            _directive(item, settings)
            continue
        pieces.append(_piece(original, item, settings[1], settings[2]))
    dtype = np.result_type(*[kind for _, kind in pieces])
    nodes = tuple(wrap(prims.cast(node, dtype)) for node, _ in pieces)
    return FUNCTIONS[_CONCATENATE](nodes, axis=settings[0])
