"""What a Proxy does when numpy or Python operates on it.

One table of methods, installed on Proxy once: numpy's protocols
(`__array_ufunc__`, `__array_function__`, `__array_namespace__`), Python's
operators, and ndarray's methods, each routed to the numpy surface.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from . import array_api, prims, views
from .context import user_loc
from .errors import at_line, with_line
from .numpy_api import (
    FUNCTIONS,
    complex_api,
    indexing,
    linalg,
    linalg_decomp,
    reductions,
    shapes,
    sorting,
)
from .numpy_api.masked import MaskedSelection, traced_mask
from .numpy_api.masked import assign as masked_assign
from .numpy_api.masked import select as masked_select
from .numpy_api.ufuncs import call_ufunc
from .proxy import Proxy, wrap


def _array_ufunc(self: Proxy, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    if any(type(i) is MaskedSelection for i in inputs):
        return NotImplemented           # x[mask] (masked.py) computes on its lanes
    out = kwargs.pop("out", None)
    outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o is not None]
    if len(outs) == 1 and isinstance(outs[0], Proxy) and method == "__call__":
        return views.write_into(outs[0], _array_ufunc(self, ufunc, method, *inputs, **kwargs),
                                ufunc.__name__)
    if outs and not (method == "__call__" and _augmented(outs, inputs)):
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
    if method == "at":
        return indexing.ufunc_at(ufunc, *inputs)
    if method == "accumulate" and ufunc in _UFUNC_ACCUMULATE:
        kwargs.setdefault("axis", 0)
        return _UFUNC_ACCUMULATE[ufunc](*inputs, **kwargs)
    raise TypeError(at_line(f"np.{ufunc.__name__}.{method} is not supported on traced values",
                            user_loc()))


def _augmented(outs: list[Any], inputs: tuple) -> bool:
    """`a += traced` on a numpy array a (numpy calls np.add(a, traced, out=a)): the
    result is returned instead of written, and Python rebinds `a` to it (as it rebinds
    a traced a). Other names for the same array keep the old values."""
    return len(outs) == 1 and isinstance(outs[0], np.ndarray) and bool(inputs) and \
        outs[0] is inputs[0]


_UFUNC_REDUCE = {
    np.add: reductions.sum, np.multiply: reductions.prod, np.maximum: reductions.max,
    np.minimum: reductions.min, np.logical_and: reductions.all, np.logical_or: reductions.any,
}
_UFUNC_ACCUMULATE = {np.add: reductions.cumsum, np.multiply: reductions.cumprod}


def unsupported_message(func: Any) -> str:
    """'np.linalg.eig is not supported ...': the function with its public module, and
    what to write instead where the numpy surface knows."""
    module = getattr(func, "__module__", None) or "numpy"
    module = "np" + module[len("numpy"):] if module.startswith("numpy") else module
    name = f"{module}.{getattr(func, '__name__', repr(func))}"
    instead = linalg_decomp.INSTEAD.get(func)
    return f"{name} is not supported on traced values yet" + (
        f"; use {instead}" if instead else "")


def _array_function(self: Proxy, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
    if MaskedSelection in types:
        return NotImplemented
    impl = FUNCTIONS.get(func)
    if impl is None:
        raise TypeError(at_line(unsupported_message(func), user_loc()))
    return impl(*args, **kwargs)


def _binary(ufunc: np.ufunc):
    def forward(self: Proxy, other: Any) -> Any:
        if type(other) is MaskedSelection:
            return NotImplemented
        return call_ufunc(ufunc, (self, other), python_operator=True)

    def reflected(self: Proxy, other: Any) -> Any:
        if type(other) is MaskedSelection:
            return NotImplemented
        return call_ufunc(ufunc, (other, self), python_operator=True)
    return forward, reflected


def _unary(ufunc: np.ufunc):
    return lambda self: call_ufunc(ufunc, (self,), python_operator=True)


def _getitem(self: Proxy, key: Any) -> Any:
    masked = traced_mask(self.shape, key)       # x[mask, ...] with a traced mask
    if masked is not None:
        return masked_select(self, *masked)
    items = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, (bool, np.bool_)) for k in items):
        return _bare_bool(self, items)
    return views.index_view(self, key, indexing.getitem, indexing.setitem)


def _bare_bool(x: Proxy, items: tuple) -> Proxy:
    """numpy's x[True] is x[None] and x[False] an empty x[None][:0]: a new axis of length
    1 or 0 where the bool stands. With integers or arrays in the key numpy broadcasts it
    as an index array; that mix is refused, naming the spelling that works."""
    flags = [k for k in items if isinstance(k, (bool, np.bool_))]
    if len(flags) != 1 or not all(k is None or k is Ellipsis or isinstance(k, (slice, bool, np.bool_))
                                  for k in items):
        raise IndexError(at_line("tracer supports a bare bool in an index only with slices, None "
                                 "and ...: write None for True (x[None]) and x[None][:0] for False",
                                 user_loc()))
    where = next(i for i, k in enumerate(items) if isinstance(k, (bool, np.bool_)))
    key = tuple(None if i == where else k for i, k in enumerate(items))
    out = indexing.index_proxy(x, key)
    if flags[0]:
        return out
    consumed = sum(isinstance(k, slice) for k in items)
    before = sum(x.ndim - consumed if k is Ellipsis else 1 for k in items[:where])
    return indexing.index_proxy(out, (slice(None),) * before + (slice(0, 0),))


def _setitem(self: Proxy, key: Any, value: Any) -> None:
    if type(value) is MaskedSelection:
        return masked_assign(self, key, value)
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        value = _assigned_scalar(value, self.dtype)
    if traced_mask(self.shape, key) is not None:
        return masked_assign(self, key, value)
    indexing.setitem(self, key, value)


def _assigned_scalar(value: bool | int | float, dtype: np.dtype) -> bool | int | float:
    """A Python scalar as numpy stores it into an array of `dtype`: an integer array
    takes int(value) (NaN and inf refused), which must fit; a float array the float."""
    if dtype.kind == "b":
        return bool(value)
    if dtype.kind == "f":
        return float(value)
    if isinstance(value, float):
        if np.isnan(value):
            raise ValueError("cannot convert float NaN to integer")
        if np.isinf(value):
            raise OverflowError("cannot convert float infinity to integer")
        value = int(value)
    info = np.iinfo(dtype)
    if not int(info.min) <= value <= int(info.max):
        raise OverflowError(f"Python integer {value} out of bounds for {dtype}")
    return value


def _astype(self: Proxy, dtype: Any, order: str = "K", casting: str = "unsafe",
            subok: bool = True, copy: bool = True) -> Proxy:
    return wrap(complex_api.cast(self.node, dtype))


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
    "conj": complex_api.conj, "conjugate": complex_api.conj,
    "real": property(complex_api.real), "imag": property(complex_api.imag), "clip": _clip,
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
    if _name != "divmod":
        METHODS[f"__i{_name}__"] = views.augmented(METHODS[f"__{_name}__"], _uf.__name__)
def _power(self: Proxy, other: Any) -> Any:
    """ndarray ** 2 is np.square (numpy's fast scalar power); its values are np.power's,
    but not its dtype for a bool array: int8 (np.power: int64)."""
    if type(other) is int and other == 2 and self.dtype.kind == "b":
        return call_ufunc(np.square, (self,), python_operator=True)
    if self.dtype.kind == "c":      # a Python 2, -1 or 0.5: numpy's other loops, other bits
        fast = {(int, 2): np.square, (int, -1): np.reciprocal, (float, 0.5): np.sqrt}
        ufunc = fast.get((type(other), other))
        if ufunc is not None:
            return call_ufunc(ufunc, (self,), python_operator=True)
    return call_ufunc(np.power, (self, other), python_operator=True)


METHODS["__pow__"] = _power
METHODS["__ipow__"] = views.augmented(_power, "power")
METHODS["__imatmul__"] = views.augmented(METHODS["__matmul__"], "matmul")


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
METHODS["sort"] = sorting.sort_in_place
for _name in ("sum", "prod", "mean", "max", "min", "any", "all", "argmax", "argmin", "std",
              "var", "cumsum", "cumprod", "squeeze", "swapaxes", "dot", "trace", "diagonal",
              "repeat", "take", "round", "nonzero", "argsort", "searchsorted"):
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
