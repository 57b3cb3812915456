"""x[mask] with a traced boolean mask: a selection whose length depends on the data.

numpy's x[mask] has one row per true element of the mask, a count the trace
does not know. Most code uses it in ways whose result shape does not depend on
that count: elementwise work written back (`z[mask] = f(x[mask])`) or a
reduction (`x[mask].sum()`). A MaskedSelection keeps the full array and the
mask: elementwise work runs on every lane of the full array and only the
selected lanes count; reductions are where-masked reductions over the full
array; `z[mask] = sel` is one SELECT. Any use that needs the selection's shape
raises DataDependentShapeError naming the line.

Masked-out lanes are replaced by 1 before the first elementwise function runs on
them (the double-where trick): the lanes the user excluded never reach f (no
exp(-x) overflow in a numerically stable sigmoid), and the SELECT that puts
them in place of x drops their cotangent by selection, not by a product with
0, so an inf or NaN derivative of f there never reaches x's gradient.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...ir import Loc, Node
from .. import prims
from ..context import user_loc
from ..errors import at_line
from ..proxy import Proxy, operand, wrap
from . import masked_reduce as mr
from . import reductions
from .common import normalize_axes, shape_text
from .indexing import getitem, setitem
from .selection import FUNCTIONS as _SELECTION
from .ufuncs import call_ufunc


class DataDependentShapeError(IndexError):
    """A use of x[mask] (traced mask) that needs its length, which the data decides."""


_USES = ("elementwise arithmetic and ufuncs on it, its reductions (sum, mean, max, min, prod, "
         "any, all, std, var, np.count_nonzero) and writing it back with z[mask] = ...")


def refuse(what: str, made: Loc | None = None) -> DataDependentShapeError:
    """The error for a use of a selection that needs its shape."""
    origin = f" (made at {made})" if made else ""
    return DataDependentShapeError(at_line(
        f"{what}: boolean mask indexing with a traced mask{origin} has a data-dependent "
        f"shape. tracer supports x[mask] in {_USES}; otherwise use np.where(mask, x, fill) "
        "to keep the shape, or pass the mask as a static argument (static_argnums)",
        user_loc()))


def spread(mask: Node, shape: tuple[int, ...]) -> Node:
    """The mask over the leading axes of `shape`, broadcast over the rest."""
    lead = prims.reshape(mask, mask.shape + (1,) * (len(shape) - mask.ndim))
    return prims.broadcast_to(lead, shape)


class MaskedSelection:
    """x[mask] for a traced mask: `values` holds every lane of the full array (the
    mask's shape, then the selected rows' shape), `mask` says which lanes count.
    `clean`: the masked-out lanes already hold values computed from a safe input."""

    __slots__ = ("values", "mask", "clean", "made")
    __array_priority__ = 1001
    __hash__ = None  # like ndarray: unhashable

    def __init__(self, values: Node, mask: Node, clean: bool, made: Loc | None):
        self.values, self.mask, self.clean, self.made = values, mask, clean, made

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @property
    def rank(self) -> int:
        """The number of axes after the selected one."""
        return self.values.ndim - self.mask.ndim

    @property
    def ndim(self) -> int:
        return 1 + self.rank

    @property
    def row_shape(self) -> tuple[int, ...]:
        return self.values.shape[self.mask.ndim:]

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    def where_selected(self) -> Node:
        return spread(self.mask, self.values.shape)

    def safe_values(self) -> Node:
        """The values with masked-out lanes replaced by 1 (once): what f may see."""
        if self.clean:
            return self.values
        one = prims.full(self.values.shape, 1, self.dtype)
        return prims.select(self.where_selected(), self.values, one)

    def like(self, values: Node, clean: bool = True) -> MaskedSelection:
        return MaskedSelection(values, self.mask, clean, self.made)

    def __repr__(self) -> str:
        return f"Traced<x[mask] of {self.values.type}>"

    def __copy__(self) -> MaskedSelection:
        return self

    def __deepcopy__(self, memo: dict) -> MaskedSelection:
        return self

    def __getattr__(self, name: str) -> Any:
        """ndarray's other attributes need the selection's shape."""
        if not name.startswith("__") and hasattr(np.ndarray, name):
            raise refuse(f"x[mask].{name}", self.made)
        raise AttributeError(f"'MaskedSelection' object has no attribute '{name}'")


def _needs_shape(what: str):
    def refused(self: MaskedSelection, *args: Any, **kwargs: Any) -> Any:
        raise refuse(what, self.made)
    return refused


for _name, _what in {
    "__len__": "len(x[mask])", "__iter__": "iterating over x[mask]",
    "__getitem__": "indexing x[mask]", "__setitem__": "assigning into x[mask]",
    "__array__": "x[mask] returned, or converted with np.asarray()", "__bool__": "bool() of x[mask]",
    "__float__": "float() of x[mask]", "__int__": "int() of x[mask]",
    "__index__": "x[mask] used as an index", "__complex__": "complex() of x[mask]",
    "__matmul__": "a matrix product of x[mask]", "__rmatmul__": "a matrix product of x[mask]",
}.items():
    setattr(MaskedSelection, _name, _needs_shape(_what))
for _name in ("shape", "size", "nbytes", "T", "mT", "flat"):
    setattr(MaskedSelection, _name, property(_needs_shape(f"x[mask].{_name}")))


# -- x[mask] and z[mask] = ... ----------------------------------------------------------------

def _row_item(k: Any) -> bool:
    return k is Ellipsis or isinstance(k, slice) or \
        (isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)))


def traced_mask(shape: tuple[int, ...], key: Any) -> tuple[Node, tuple] | None:
    """(mask, rest) for a key that is one traced boolean array (of rank >= 1) over the
    leading axes followed by ints, slices and `...` on the rows; None for other keys.
    numpy puts the selected axis first whatever follows (a mask is an advanced index)."""
    items = key if isinstance(key, tuple) else (key,)
    if not items or not isinstance(items[0], Proxy) or items[0].dtype.kind != "b" \
            or items[0].ndim == 0:
        return None
    rest = items[1:]
    if not all(_row_item(k) for k in rest) or sum(k is Ellipsis for k in rest) > 1:
        return None
    mask = items[0].node
    if mask.ndim + sum(k is not Ellipsis for k in rest) > len(shape):
        return None
    for axis, (m, n) in enumerate(zip(mask.shape, shape)):
        if m != n:
            raise IndexError(at_line(
                f"boolean index did not match indexed array along axis {axis}; size of axis "
                f"is {n} but size of corresponding boolean axis is {m}", user_loc()))
    return mask, rest


def _rows_key(mask: Node, rest: tuple) -> tuple:
    """The key that applies `rest` to the rows and keeps the mask's axes whole."""
    return (slice(None),) * mask.ndim + rest


def select(x: Proxy, mask: Node, rest: tuple = ()) -> MaskedSelection:
    """x[mask, *rest] for a traced mask over x's leading axes."""
    values = getitem(x.node, _rows_key(mask, rest)) if rest else x.node
    return MaskedSelection(values, mask, False, user_loc())


def assign(target: Proxy, key: Any, value: Any) -> None:
    """z[mask, *rest] = v: v's lanes where the mask holds, z's elsewhere (one SELECT, then
    one update of the rows' box when `rest` picks part of each row)."""
    found = traced_mask(target.shape, key)
    if found is None or (isinstance(value, MaskedSelection) and found[0] is not value.mask):
        raise refuse("z[key] = x[mask] with a key other than the same traced mask (the "
                     "selected elements could not be matched up)", value.made)
    mask, rest = found
    part = wrap(getitem(target.node, _rows_key(mask, rest))) if rest else target
    if isinstance(value, MaskedSelection):
        shape, rows = part.shape, value.row_shape
        if len(rows) != len(shape) - mask.ndim or \
                np.broadcast_shapes(rows, shape[mask.ndim:]) != shape[mask.ndim:]:
            raise ValueError(at_line(
                f"shape mismatch: x[mask] rows of shape {shape_text(rows)} cannot be assigned "
                f"to rows of shape {shape_text(shape[mask.ndim:])}", user_loc()))
        values = prims.broadcast_to(prims.cast(value.values, part.dtype), shape)
        part = wrap(prims.select(spread(mask, shape), values, part.node))
    else:
        setitem(part, wrap(mask), value)
    if rest:
        setitem(target, _rows_key(mask, rest), part)
    else:
        target.node, target.weak = part.node, False


# -- elementwise work on the lanes ------------------------------------------------------------

def _fit(a: Any, rank: int, made: Loc | None) -> Any:
    """An operand next to selections of `rank` row axes: it broadcasts against one row
    (numpy's leading 1s dropped); a longer one would meet the data-dependent axis."""
    if not isinstance(a, (Proxy, np.ndarray, np.generic, list, tuple)):
        return a
    node, weak = operand(a)
    while node.ndim > rank and node.shape[0] == 1:
        node = prims.reshape(node, node.shape[1:])
    if node.ndim > rank:
        raise refuse(f"an operand of shape {shape_text(node.shape)} combined with x[mask] "
                     f"(rows of rank {rank})", made)
    return wrap(node, weak)


def lanes(args: Sequence[Any]) -> tuple[list[Any], MaskedSelection]:
    """The arguments of an elementwise call, selections among them, as values on the full
    array's lanes; and a selection they share the mask of."""
    sels = [a for a in args if isinstance(a, MaskedSelection)]
    first = sels[0]
    for s in sels[1:]:
        if s.mask is not first.mask:
            raise refuse("x[m1] combined with y[m2] for different traced masks (the "
                         "selected elements could not be matched up)", first.made)
        if s.rank != first.rank:
            raise refuse("selections with rows of different ranks combined", first.made)
    return [wrap(a.safe_values()) if isinstance(a, MaskedSelection) else
            _fit(a, first.rank, first.made) for a in args], first


def _as_selection(result: Any, like: MaskedSelection) -> Any:
    if isinstance(result, tuple):
        return tuple(_as_selection(r, like) for r in result)
    if not isinstance(result, Proxy) or result.shape[:like.mask.ndim] != like.mask.shape:
        raise refuse("a result that is not one value per selected element", like.made)
    return like.like(result.node)


def _array_ufunc(self: MaskedSelection, ufunc: np.ufunc, method: str, *inputs: Any,
                 **kwargs: Any) -> Any:
    dtype = kwargs.pop("dtype", None)
    for name in ("casting", "order", "subok"):
        kwargs.pop(name, None)
    if method != "__call__" or kwargs.pop("out", None) is not None or \
            kwargs.pop("where", True) is not True or kwargs:
        raise refuse(f"np.{ufunc.__name__}.{method} or its out=/where= on x[mask]", self.made)
    args, like = lanes(inputs)
    return _as_selection(call_ufunc(ufunc, tuple(args), dtype), like)


def _operator(ufunc: np.ufunc, reflected: bool = False):
    def apply(self: MaskedSelection, other: Any) -> Any:
        args, like = lanes((other, self) if reflected else (self, other))
        return _as_selection(call_ufunc(ufunc, tuple(args), python_operator=True), like)
    return apply


def _unary(ufunc: np.ufunc):
    return lambda self: _as_selection(call_ufunc(ufunc, (wrap(self.safe_values()),)), self)


def _astype(self: MaskedSelection, dtype: Any, *args: Any, **kwargs: Any) -> MaskedSelection:
    return self.like(prims.cast(self.safe_values(), np.dtype(dtype)))


def _lanewise(func: Any):
    """A numpy function that works element by element (np.where, np.clip, ...)."""
    impl = _SELECTION[func]

    def apply(*args: Any, **kwargs: Any) -> Any:
        keys = list(kwargs)
        converted, like = lanes(list(args) + [kwargs[k] for k in keys])
        result = impl(*converted[:len(args)], **dict(zip(keys, converted[len(args):])))
        return _as_selection(result, like)
    return apply


# -- reductions ------------------------------------------------------------------------------

def _axes(sel: MaskedSelection, axis: Any, out: Any, where: Any, name: str) -> tuple:
    """(the selection's axes, the full array's axes) a reduction runs over."""
    if out is not None or where is not True:
        raise refuse(f"np.{name} of x[mask] with out= or where=", sel.made)
    axes = normalize_axes(axis, sel.ndim)
    lead = sel.mask.ndim
    full = tuple(range(lead)) if 0 in axes else ()
    return axes, full + tuple(lead - 1 + a for a in axes if a > 0)


def _reduced(sel: MaskedSelection, axes: tuple, keepdims: bool, masked: Any, lanewise: Any) -> Any:
    """Over the selected axis: a where-masked reduction of the full array (a plain value);
    over row axes only: one result per selected element (a selection)."""
    if 0 not in axes:
        return sel.like(lanewise(wrap(sel.safe_values())).node)
    node = masked()
    if keepdims:
        node = prims.reshape(node, [1 if i in axes else d
                                    for i, d in enumerate((1,) + sel.row_shape)])
    return wrap(node)


def _plain(kind: str):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, initial=mr.NO_VALUE,
               where=True):
        axes, full = _axes(a, axis, out, where, kind)
        kwargs = {} if dtype is None else {"dtype": dtype}
        if initial is not mr.NO_VALUE:
            kwargs["initial"] = initial
        return _reduced(a, axes, keepdims,
                        lambda: mr.where_reduce(kind, a.values, a.where_selected(), full, **kwargs),
                        lambda v: getattr(reductions, kind)(v, axis=full, keepdims=keepdims,
                                                            **kwargs))
    return reduce


def _extreme(kind: str):
    def reduce(a, axis=None, out=None, keepdims=False, initial=mr.NO_VALUE, where=True):
        return _plain(kind)(a, axis, None, out, keepdims, initial, where)
    return reduce


def _logical(kind: str):
    def reduce(a, axis=None, out=None, keepdims=False, *, where=True):
        return _plain(kind)(a, axis, None, out, keepdims, mr.NO_VALUE, where)
    return reduce


def _mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    axes, full = _axes(a, axis, out, where, "mean")
    return _reduced(a, axes, keepdims,
                    lambda: mr.where_mean(a.values, a.where_selected(), full, dtype),
                    lambda v: reductions.mean(v, axis=full, dtype=dtype, keepdims=keepdims))


def _spread_stat(name: str):
    def stat(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
             mean=None, correction=mr.NO_VALUE):
        axes, full = _axes(a, axis, out, where, name)
        if mean is not None:
            raise refuse(f"np.{name} of x[mask] with mean=", a.made)
        if correction is not mr.NO_VALUE:
            ddof = correction
        masked = mr.where_var if name == "var" else mr.where_std
        return _reduced(a, axes, keepdims,
                        lambda: masked(a.values, a.where_selected(), full, dtype, ddof),
                        lambda v: getattr(reductions, name)(v, axis=full, dtype=dtype, ddof=ddof,
                                                            keepdims=keepdims))
    return stat


def _count_nonzero(a, axis=None, *, keepdims=False):
    nonzero = a.like(prims.cast(prims.cast(a.values, bool), np.int64), a.clean)
    return _plain("sum")(nonzero, axis, None, None, keepdims)


_FUNCTIONS: dict[Any, Any] = {f: _lanewise(f) for f in (np.where, np.clip, np.round,
                                                         np.around, np.nan_to_num)}
_FUNCTIONS.update({
    np.sum: _plain("sum"), np.prod: _plain("prod"), np.max: _extreme("max"),
    np.amax: _extreme("max"), np.min: _extreme("min"), np.amin: _extreme("min"),
    np.any: _logical("any"), np.all: _logical("all"), np.mean: _mean,
    np.var: _spread_stat("var"), np.std: _spread_stat("std"),
    np.count_nonzero: _count_nonzero,
    np.copy: lambda a, *args, **kwargs: a, np.ndim: lambda a: a.ndim,
})


def _array_function(self: MaskedSelection, func: Any, types: Any, args: tuple,
                    kwargs: dict) -> Any:
    impl = _FUNCTIONS.get(func)
    if impl is None:
        raise refuse(f"np.{getattr(func, '__name__', func)} of x[mask]", self.made)
    return impl(*args, **kwargs)


def _method(func: Any):
    return lambda self, *args, **kwargs: _array_function(self, func, (), (self, *args), kwargs)


def _install() -> None:
    table: dict[str, Any] = {
        "__array_ufunc__": _array_ufunc, "__array_function__": _array_function,
        "__neg__": _unary(np.negative), "__pos__": _unary(np.positive),
        "__abs__": _unary(np.absolute), "__invert__": _unary(np.invert),
        "astype": _astype, "copy": lambda self, order="C": self,
    }
    for name, uf in {
        "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
        "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
        "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
        "lshift": np.left_shift, "rshift": np.right_shift,
    }.items():
        table[f"__{name}__"], table[f"__r{name}__"] = _operator(uf), _operator(uf, True)
    for name, uf in {"lt": np.less, "le": np.less_equal, "gt": np.greater,
                     "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}.items():
        table[f"__{name}__"] = _operator(uf)
    for name in ("sum", "prod", "mean", "max", "min", "any", "all", "std", "var", "clip",
                 "round"):
        table[name] = _method(getattr(np, name))
    for name, value in table.items():
        setattr(MaskedSelection, name, value)


_install()


__all__ = ["DataDependentShapeError", "MaskedSelection", "assign", "lanes", "refuse", "select",
           "spread", "traced_mask"]
