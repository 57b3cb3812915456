"""What a Proxy does when numpy or Python operates on it.

One table of methods, installed on Proxy once: numpy's protocols
(`__array_ufunc__`, `__array_function__`, `__array_namespace__`), Python's
operators, and ndarray's methods, each routed to the numpy surface.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from . import array_api, prims
from .context import user_loc
from .errors import at_line, with_line
from .numpy_api import FUNCTIONS, indexing, linalg, reductions, shapes
from .numpy_api.ufuncs import call_ufunc
from .proxy import Proxy, wrap


def _array_ufunc(self: Proxy, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    out = kwargs.pop("out", None)
    if out is not None and any(o is not None for o in (out if isinstance(out, tuple) else (out,))):
        raise TypeError(at_line(f"np.{ufunc.__name__}: out= is not supported on traced values; "
                                "use the returned array instead", user_loc()))
    if method == "__call__":
        if ufunc is np.matmul:
            return linalg.matmul(*inputs)
        where = kwargs.pop("where", True)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("casting", None), kwargs.pop("order", None), kwargs.pop("subok", None)
        if where is not True or kwargs:
            raise TypeError(at_line(f"np.{ufunc.__name__}: arguments {sorted(kwargs) or ['where']} "
                                    "are not supported on traced values", user_loc()))
        return call_ufunc(ufunc, inputs, dtype)
    if method == "reduce" and ufunc in _UFUNC_REDUCE:
        kwargs.setdefault("axis", 0)
        return _UFUNC_REDUCE[ufunc](*inputs, **kwargs)
    if method == "accumulate" and ufunc in _UFUNC_ACCUMULATE:
        kwargs.setdefault("axis", 0)
        return _UFUNC_ACCUMULATE[ufunc](*inputs, **kwargs)
    raise TypeError(at_line(f"np.{ufunc.__name__}.{method} is not supported on traced values",
                            user_loc()))


_UFUNC_REDUCE = {
    np.add: reductions.sum, np.multiply: reductions.prod, np.maximum: reductions.max,
    np.minimum: reductions.min, np.logical_and: reductions.all, np.logical_or: reductions.any,
}
_UFUNC_ACCUMULATE = {np.add: reductions.cumsum, np.multiply: reductions.cumprod}


def _array_function(self: Proxy, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
    impl = FUNCTIONS.get(func)
    if impl is None:
        name = getattr(func, "__name__", repr(func))
        raise TypeError(at_line(f"np.{name} is not supported on traced values yet", user_loc()))
    return impl(*args, **kwargs)


def _binary(ufunc: np.ufunc):
    def forward(self: Proxy, other: Any) -> Any:
        return call_ufunc(ufunc, (self, other), python_operator=True)

    def reflected(self: Proxy, other: Any) -> Any:
        return call_ufunc(ufunc, (other, self), python_operator=True)
    return forward, reflected


def _unary(ufunc: np.ufunc):
    return lambda self: call_ufunc(ufunc, (self,), python_operator=True)


def _getitem(self: Proxy, key: Any) -> Proxy:
    return indexing.index_proxy(self, key)


def _setitem(self: Proxy, key: Any, value: Any) -> None:
    indexing.setitem(self, key, value)


def _astype(self: Proxy, dtype: Any, order: str = "K", casting: str = "unsafe",
            subok: bool = True, copy: bool = True) -> Proxy:
    return wrap(prims.cast(self.node, np.dtype(dtype)))


def _reshape(self: Proxy, *shape: Any, order: str = "C", copy: Any = None) -> Proxy:
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    return shapes.reshape(self, shape, order)


def _transpose(self: Proxy, *axes: Any) -> Proxy:
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], (int, np.integer))):
        axes = axes[0]
    return shapes.transpose(self, axes or None)


def _clip(self: Proxy, min: Any = None, max: Any = None, out: Any = None, **kw: Any) -> Any:
    return _array_function(self, np.clip, (), (self, min, max), dict(out=out, **kw))


def _matrix_transpose(self: Proxy) -> Proxy:
    if self.ndim < 2:
        raise ValueError(at_line("matrix transpose with ndim < 2 is undefined", user_loc()))
    return shapes.swapaxes(self, -1, -2)


def _method(func: Any):
    """ndarray.name(...) as np.name(self, ...)."""
    return lambda self, *args, **kwargs: _array_function(self, func, (), (self, *args), kwargs)


METHODS: dict[str, Any] = {
    "__array_ufunc__": _array_ufunc,
    "__array_function__": _array_function,
    "__array_namespace__": lambda self, api_version=None: array_api.namespace_for(api_version),
    # The Array API standard's device: traced values live where the backend runs them.
    "device": property(lambda self: "cpu"),
    "to_device": lambda self, device, /, *, stream=None: self,
    "__getitem__": _getitem,
    "__setitem__": _setitem,
    "__neg__": _unary(np.negative), "__pos__": _unary(np.positive),
    "__abs__": _unary(np.absolute), "__invert__": _unary(np.invert),
    "astype": _astype, "reshape": _reshape, "transpose": _transpose,
    "T": property(lambda self: shapes.transpose(self)),
    "mT": property(_matrix_transpose),
    "flatten": lambda self, order="C": shapes.ravel(self, order),
    "ravel": lambda self, order="C": shapes.ravel(self, order),
    "copy": lambda self, order="C": self.__class__(self.node),
    "conj": lambda self: self, "conjugate": lambda self: self,
    "real": property(lambda self: self), "clip": _clip,
    "__matmul__": lambda self, other: linalg.matmul(self, other),
    "__rmatmul__": lambda self, other: linalg.matmul(other, self),
}
for _name, _uf in {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
    "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
    "lshift": np.left_shift, "rshift": np.right_shift, "divmod": np.divmod,
}.items():
    METHODS[f"__{_name}__"], METHODS[f"__r{_name}__"] = _binary(_uf)
def _equality(ufunc: np.ufunc):
    """x == None is elementwise False in numpy (x != None True), not an error."""
    forward = _binary(ufunc)[0]

    def compare(self: Proxy, other: Any) -> Any:
        if other is None:
            return wrap(prims.full(self.shape, ufunc is np.not_equal, bool))
        return forward(self, other)
    return compare


for _name, _uf in {"lt": np.less, "le": np.less_equal, "gt": np.greater,
                   "ge": np.greater_equal}.items():
    METHODS[f"__{_name}__"] = _binary(_uf)[0]
METHODS["__eq__"], METHODS["__ne__"] = _equality(np.equal), _equality(np.not_equal)
for _name in ("sum", "prod", "mean", "max", "min", "any", "all", "argmax", "argmin", "std",
              "var", "cumsum", "cumprod", "squeeze", "swapaxes", "dot", "trace", "diagonal",
              "repeat", "take", "round", "nonzero", "sort", "argsort", "searchsorted"):
    _func = getattr(np, _name)
    METHODS[_name] = _method(_func)


def _located(method: Callable[..., Any]) -> Callable[..., Any]:
    """Errors raised while tracing a numpy call name the user's line that made it."""
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (ValueError, IndexError, TypeError, OverflowError) as err:
            located = with_line(err, user_loc())
            if located is err:
                raise
            raise located from None
    return call


def install() -> None:
    for name, value in METHODS.items():
        setattr(Proxy, name, _located(value) if callable(value) else value)


install()
